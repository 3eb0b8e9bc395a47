"""Fishing scores per position: the classifier's contract and features, recovery of a planted
pattern, the heuristic, the choice of source, and the committed model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.builders import shared_file, write_csv
from vessel_risk.events.fishing import (
    FEATURES,
    FishingClassifier,
    FishingModel,
    fishing_scores,
    heuristic_fishing,
    load_fishing_model,
    movement_features,
    packaged_model_dir,
    solar_hour,
)
from vessel_risk.geo.shore import ShoreDistance
from vessel_risk.ingest import read_many
from vessel_risk.pipeline import process

COMMITTED_MODEL = packaged_model_dir()


def test_solar_hour_follows_longitude():
    ts = pd.Series(pd.to_datetime(["2024-03-01T00:00Z", "2024-03-01T12:00Z"]))
    assert list(solar_hour(ts, pd.Series([90.0, -180.0]))) == [6.0, 0.0]


def _vessel(mmsi: str, fishing_speed: float, transit_speed: float, rng) -> pd.DataFrame:
    """A day-and-night pattern: fishes at night (local) slowly, transits by day."""
    t = pd.date_range("2024-03-01", periods=24 * 12 * 4, freq="5min", tz="UTC")
    hour = solar_hour(pd.Series(t), pd.Series(np.full(len(t), -60.0)))
    night = (hour < 6) | (hour >= 18)
    speed = np.where(night, fishing_speed, transit_speed) + rng.normal(0, 0.3, len(t)).clip(-0.2)
    course = np.where(night, rng.uniform(0, 360, len(t)), 90.0)
    return pd.DataFrame(
        {
            "mmsi": mmsi,
            "timestamp": t.astype("datetime64[ns, UTC]"),
            "lat": -45.0,
            "lon": -60.0,
            "speed_knots": speed.clip(0),
            "course": course,
            "distance_from_shore_km": 300.0,
            "fishing": night.astype(int),
        }
    )


def test_planted_night_fishing_is_recovered_on_an_unseen_vessel_of_another_speed():
    rng = np.random.default_rng(0)
    train = pd.concat([_vessel("412000001", 2.0, 9.0, rng), _vessel("412000002", 3.0, 10.0, rng)])
    test = _vessel("412000003", 0.4, 8.0, rng)  # fishes far slower than both
    model = FishingClassifier(n_estimators=50).fit(
        movement_features(train.reset_index(drop=True)), train["fishing"]
    )
    pred = model.predict(movement_features(test))
    assert (pred == test["fishing"].to_numpy()).mean() > 0.9
    assert model.predict_proba(movement_features(test)).shape == (len(test), 2)


def test_fit_rejects_a_single_class_and_missing_columns():
    rng = np.random.default_rng(1)
    v = _vessel("412000001", 2.0, 9.0, rng)
    X = movement_features(v)
    with pytest.raises(ValueError, match="must hold both classes"):
        FishingClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="must have columns"):
        FishingClassifier().fit(X.drop(columns=[FEATURES[0]]), v["fishing"])


def test_heuristic_speed_range_and_shore_margin():
    p = pd.DataFrame(
        {
            "speed_knots": [0.0, 4.9, 5.0, 2.0, np.nan],
            "distance_from_shore_km": [50.0, 50.0, 50.0, 3.0, 50.0],
        }
    )
    out = heuristic_fishing(p)
    assert out[:4].tolist() == [1.0, 1.0, 0.0, 0.0] and np.isnan(out[4])
    with pytest.raises(ValueError, match="'gear' parameter of heuristic_fishing"):
        heuristic_fishing(p, gear="trawler")


def _trained(rng) -> FishingClassifier:
    train = pd.concat([_vessel("412000001", 2.0, 9.0, rng), _vessel("412000002", 3.0, 10.0, rng)])
    return FishingClassifier(n_estimators=50).fit(
        movement_features(train.reset_index(drop=True)), train["fishing"]
    )


def test_scores_come_from_nnet_then_classifier_then_heuristic():
    rng = np.random.default_rng(2)
    v = _vessel("412000003", 0.4, 8.0, rng)
    v["nnet_score"] = np.where(np.arange(len(v)) < 10, 0.9, np.nan)
    with_model = fishing_scores(v, _trained(rng))
    assert (with_model["fishing_source"].iloc[:10] == "nnet_score").all()
    assert (with_model["fishing_score"].iloc[:10] == 0.9).all()
    assert (with_model["fishing_source"].iloc[10:] == "classifier").all()
    without = fishing_scores(v)
    assert (without["fishing_source"].iloc[10:] == "heuristic").all()
    # The heuristic is 0/1: slow night fishing (0.4 kn) is in range, 8 kn transit is not.
    slow = v["speed_knots"].iloc[10:] < 5.0
    assert (without["fishing_score"].iloc[10:] == slow.astype(float)).all()


def test_pipeline_fills_fishing_hours_from_the_classifier_without_nnet_score(tmp_path):
    rng = np.random.default_rng(4)
    v = _vessel("412000003", 0.4, 8.0, rng)  # 4 days, 12 h of night fishing a day
    rows = v.drop(columns=["fishing", "distance_from_shore_km"]).assign(
        timestamp=v["timestamp"].map(lambda t: t.isoformat()), heading=90.0
    )
    ports = pd.DataFrame(
        {"port_label": ["X"], "port_iso3": ["ARG"], "lat": [-38.0], "lon": [-57.5]}
    )
    r = process(
        read_many([write_csv(tmp_path, rows.to_dict("records"))]),
        shore=ShoreDistance(),
        ports=ports,
        fishing_model=FishingModel(_trained(rng), {"version": "test"}),
    )
    f = r.features.iloc[0]
    assert f["fishing_source"] == "classifier"
    # Planted: 48 h of night fishing in 95.9 h of track; the classifier finds it within 10 %.
    assert f["fishing_hours"] == pytest.approx(48.0, rel=0.1)
    assert r.counts["fishing_source_vessel_years"] == {"classifier": 1}


def test_the_committed_model_scores_real_positions_as_it_did_when_trained():
    """The shipped classifier (LightGBM text model and card) on 200 positions of a real vessel.

    The expected probabilities were computed with the model and code as committed before
    the classifier's training moved to vessel_risk.model.fishing_training.
    """
    model = load_fishing_model(COMMITTED_MODEL)
    assert model is not None
    assert model.label == "fishing-lgbm-1 (LOVO F1 0.75)"
    assert model.card["features"] == FEATURES
    p = pd.read_parquet(
        shared_file("data", "ais", "squid_jiggers_2020_2023.parquet"),
        columns=["mmsi", "timestamp", "lat", "lon", "speed_knots", "course"]
        + ["distance_from_shore_m"],
    )
    p = p[p["mmsi"] == 412334074].dropna(subset=["lat", "speed_knots"])
    p = p.sort_values("timestamp", kind="stable").head(200).reset_index(drop=True)
    p = p.assign(
        mmsi=p["mmsi"].astype(str), distance_from_shore_km=p["distance_from_shore_m"] / 1e3
    )
    proba = model.classifier.predict_proba(movement_features(p))[:, 1]
    assert proba.shape == (200,)
    expected = {
        0: 0.9623873922591923,
        37: 0.9970757202030692,
        99: 0.033455522121653605,
        150: 0.004471967516902772,
        199: 0.09039589163497233,
    }
    assert {i: proba[i] for i in expected} == pytest.approx(expected, rel=1e-9)


def test_track_windows_equal_pandas_groupby_time_rolling():
    # Repeated times within and across tracks, tracks of one row, silences longer than
    # the window: the one-pass windows give pandas' per-track values bit for bit.
    from vessel_risk.events.fishing import _TrackWindows

    rng = np.random.default_rng(15)
    n = 5_000
    vessel = np.sort(rng.integers(0, 60, n))
    minutes = rng.choice([0, 0, 1, 7, 30, 95, 400], n).cumsum()
    t = pd.to_datetime(minutes, unit="m").to_numpy(dtype="datetime64[ns]")
    values = pd.Series(np.where(rng.random(n) < 0.1, np.nan, rng.gamma(2.0, 3.0, n)))
    windows = _TrackWindows(vessel, t.view("int64"))
    frame = pd.DataFrame({"vessel": vessel, "timestamp": t, "v": values})
    # Each size twice, out of order: a size searched before is reused, not stale.
    for hours in (1, 3, 6, 12, 3, 1, 6):
        want = (
            frame.set_index("timestamp").groupby("vessel")["v"].rolling(f"{hours}h", min_periods=1)
        )
        window = windows.hours(hours)
        got = values.rolling(window, min_periods=1)
        np.testing.assert_array_equal(got.std().to_numpy(), want.std().to_numpy())
        np.testing.assert_array_equal(got.mean().to_numpy(), want.mean().to_numpy())
