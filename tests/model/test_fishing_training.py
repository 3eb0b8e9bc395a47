"""Training the fishing classifier: vessels held out in turn, the card, the saved files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.events.test_fishing import _trained, _vessel
from vessel_risk.events.fishing import (
    FEATURES,
    FishingClassifier,
    FishingModel,
    load_fishing_model,
    movement_features,
)
from vessel_risk.model.fishing_training import (
    save_fishing_model,
    train_fishing_model,
    training_fingerprint,
    training_vessels,
)


def _labelled_fleet() -> pd.DataFrame:
    """Three vessels of 1,152 positions each, fishing at night, with GFW-like scores."""
    rng = np.random.default_rng(5)
    fleet = pd.concat(
        [
            _vessel("412000001", 2.0, 9.0, rng),
            _vessel("412000002", 3.0, 10.0, rng),
            _vessel("412000003", 0.4, 8.0, rng),
        ],
        ignore_index=True,
    )
    return fleet.assign(nnet_score=np.where(fleet["fishing"] == 1, 0.9, 0.1))


def test_training_holds_out_each_vessel_and_writes_a_card():
    positions = _labelled_fleet()
    vessels = ["412000001", "412000002", "412000003"]
    assert training_vessels(positions) == vessels
    assert training_vessels(positions, min_positions=1153) == []
    trained = train_fishing_model(
        positions, estimator=FishingClassifier(n_estimators=20), data_source="planted"
    )
    card = trained.card
    assert card["version"] == "fishing-lgbm-1"
    assert card["features"] == FEATURES
    assert card["params"]["n_estimators"] == 20
    assert card["data_source"] == "planted"
    assert card["training_positions"] == 3 * 1152
    assert card["training_positions_by_vessel"] == dict.fromkeys(vessels, 1152)
    assert card["training_fishing_share"] == pytest.approx(positions["fishing"].mean(), abs=1e-4)
    assert card["training_fingerprint"] == training_fingerprint(positions, vessels)
    assert card["training_fingerprint"] != training_fingerprint(positions, vessels[:2])
    assert sorted(card["lovo_f1"]) == vessels
    # Night fishing is learnt from the other two vessels, whatever each one's speeds.
    assert min(card["lovo_f1"].values()) > 0.8
    assert card["lovo_f1_mean"] == pytest.approx(np.mean(list(card["lovo_f1"].values())), abs=1e-4)
    X = movement_features(positions)
    assert (trained.classifier.predict(X) == positions["fishing"].to_numpy()).mean() > 0.9


def test_training_needs_two_labelled_vessels():
    one = _labelled_fleet().query("mmsi == '412000001'")
    with pytest.raises(ValueError, match="at least two vessels"):
        train_fishing_model(one, estimator=FishingClassifier(n_estimators=5))


def test_saved_model_round_trips_with_its_card(tmp_path):
    rng = np.random.default_rng(3)
    model = FishingModel(_trained(rng), {"version": "fishing-lgbm-1", "lovo_f1_mean": 0.5})
    save_fishing_model(model, tmp_path / "fishing")
    loaded = load_fishing_model(tmp_path / "fishing")
    assert loaded is not None and loaded.card == model.card
    assert loaded.label == "fishing-lgbm-1 (LOVO F1 0.50)"
    X = movement_features(_vessel("412000003", 0.4, 8.0, rng))
    np.testing.assert_allclose(
        loaded.classifier.predict_proba(X), model.classifier.predict_proba(X), rtol=1e-9
    )
    assert load_fishing_model(tmp_path / "absent") is None
