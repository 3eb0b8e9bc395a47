"""The fishing classifier: contract, features, and recovery of a planted pattern."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vessel_risk.fishing import FEATURES, FishingClassifier, movement_features, solar_hour


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
