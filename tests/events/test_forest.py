"""The fishing classifier's trees compiled by lleaves (vessel_risk.events.forest)."""

from __future__ import annotations

import logging
import pickle
import sys

import numpy as np
import pandas as pd
import pytest

from tests.builders import SQUID, shared_file
from vessel_risk.events.fishing import (
    MODEL_FILE,
    load_fishing_model,
    movement_features,
    packaged_model_dir,
)
from vessel_risk.events.forest import CompiledForest


@pytest.fixture(scope="module")
def real_features() -> pd.DataFrame:
    """Movement features of 20,000 real positions of three squid jiggers."""
    p = pd.read_parquet(
        shared_file(*SQUID),
        columns=["mmsi", "timestamp", "lon", "speed_knots", "course", "distance_from_shore_m"],
    )
    p = p[p["mmsi"].isin([412334074, 412331038, 412420927])].dropna(subset=["speed_knots"])
    p = p.sort_values(["mmsi", "timestamp"], kind="stable").head(20_000)
    p = p.assign(
        mmsi=p["mmsi"].astype(str), distance_from_shore_km=p["distance_from_shore_m"] / 1e3
    ).reset_index(drop=True)
    return movement_features(p)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("forests")


@pytest.fixture(scope="module")
def model_text() -> str:
    return (packaged_model_dir() / MODEL_FILE).read_text(encoding="utf-8")


def test_compiled_trees_predict_what_lightgbm_predicts(real_features, cache, model_text):
    model = load_fishing_model(packaged_model_dir())
    assert model is not None
    booster = model.classifier.booster_
    X = real_features.to_numpy(dtype="float64")
    want = booster.predict(X)
    forest = CompiledForest(model_text, cache_dir=cache)
    got = forest.predict(X)
    assert got is not None and got.shape == (len(X),) == (20_000,)
    # The same trees summed in another order: equal to rounding, same side of 0.5.
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert ((got > 0.5) == (want > 0.5)).all()
    assert 0.05 < (want > 0.5).mean() < 0.95  # both classes are in the sample
    # Compiled once, into the cache, under a name of this model, CPU and versions.
    [cached] = cache.glob("forest-*.o")
    assert cached == forest.cache_file()


def test_a_copy_in_another_process_loads_the_cached_code(real_features, cache, model_text):
    forest = CompiledForest(model_text, cache_dir=cache)
    assert forest.ready()
    [cached] = cache.glob("forest-*.o")
    stamp = cached.stat().st_mtime_ns
    copy = pickle.loads(pickle.dumps(forest))
    assert copy._model is None  # native code does not travel; it is loaded again
    X = real_features.to_numpy(dtype="float64")[:500]
    np.testing.assert_array_equal(copy.predict(X), forest.predict(X))
    assert [p.stat().st_mtime_ns for p in cache.glob("forest-*.o")] == [stamp]


def test_another_model_gets_its_own_cache_file(cache, model_text):
    other = model_text.replace("learning_rate: 0.05", "learning_rate: 0.050")
    assert other != model_text
    assert (
        CompiledForest(other, cache_dir=cache).cache_file()
        != CompiledForest(model_text, cache_dir=cache).cache_file()
    )


def test_without_lleaves_lightgbm_predicts_with_a_warning(
    real_features, cache, model_text, monkeypatch, caplog
):
    monkeypatch.setitem(sys.modules, "lleaves", None)  # import lleaves -> ImportError
    forest = CompiledForest(model_text, cache_dir=cache / "unused")
    X = real_features.to_numpy(dtype="float64")[:300]
    with caplog.at_level(logging.WARNING, logger="vessel_risk.events.forest"):
        assert forest.predict(X) is None
        assert forest.predict(X) is None
    [record] = caplog.records  # once per process
    assert "LightGBM predicts instead" in record.getMessage()
    model = load_fishing_model(packaged_model_dir())
    assert model is not None
    model.classifier.compiled_ = forest
    proba = model.classifier.predict_proba(real_features.iloc[:300])[:, 1]
    np.testing.assert_array_equal(proba, model.classifier.booster_.predict(X))
    assert not (cache / "unused").exists()


def test_the_loaded_model_predicts_with_its_compiled_trees(real_features):
    model = load_fishing_model(packaged_model_dir())
    assert model is not None
    assert isinstance(model.classifier.compiled_, CompiledForest)
    model.compile()
    assert model.classifier.compiled_._model is not None
    proba = model.classifier.predict_proba(real_features)[:, 1]
    want = model.classifier.booster_.predict(real_features.to_numpy(dtype="float64"))
    np.testing.assert_allclose(proba, want, rtol=0, atol=1e-12)
