"""Next port calls of a run's tracks, and the day-by-day replay that checks them."""

from __future__ import annotations

import pandas as pd
import pytest

from vessel_risk.events.arrival_runs import (
    predict_arrivals,
    replay_days,
    replay_summary,
    vessel_states,
)

PORTS = pd.DataFrame(
    {
        "port_label": ["ALPHA", "BRAVO"],
        "port_iso3": ["ARG", "URY"],
        "lat": [0.0, 0.0],
        "lon": [0.0, 1.0],
    }
)

# A vessel alternating between two ports. Voyages: ALPHA->BRAVO 66 h, BRAVO->ALPHA 66 h,
# ALPHA->BRAVO 72 h, BRAVO->ALPHA 72 h.
CALLS = [
    ("ALPHA", "2020-01-01 03:00", "2020-01-01 09:00"),
    ("BRAVO", "2020-01-04 03:00", "2020-01-04 09:00"),
    ("ALPHA", "2020-01-07 03:00", "2020-01-07 09:00"),
    ("BRAVO", "2020-01-10 09:00", "2020-01-10 15:00"),
    ("ALPHA", "2020-01-13 15:00", "2020-01-13 21:00"),
]


def _visits() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mmsi": "412000001",
            "track_id": 0,
            "port_label": [c[0] for c in CALLS],
            "port_iso3": [{"ALPHA": "ARG", "BRAVO": "URY"}[c[0]] for c in CALLS],
            "start": pd.to_datetime([c[1] for c in CALLS], utc=True),
            "end": pd.to_datetime([c[2] for c in CALLS], utc=True),
        }
    )


def _positions() -> pd.DataFrame:
    """One position a day at 23:00, at sea between the ports (no course: no heading)."""
    times = pd.date_range("2020-01-01 23:00", "2020-01-13 23:00", freq="D", tz="UTC")
    return pd.DataFrame(
        {"mmsi": "412000001", "track_id": 0, "timestamp": times, "lat": 0.0, "lon": 0.5}
    )


def test_replay_of_a_vessel_alternating_two_ports_has_the_hand_counted_score():
    """Days 1-3: only ALPHA known, ALPHA predicted, BRAVO came: miss. Days 4-6: ALPHA
    and BRAVO seen once each, no voyage from BRAVO yet, back to BRAVO predicted,
    ALPHA came: miss. Days 7-9: ALPHA->BRAVO once (66 h) -> BRAVO at Jan 10 03:00,
    came 09:00: hit, 6 h. Days 10-12: BRAVO->ALPHA once (66 h) from Jan 10 15:00 ->
    Jan 13 09:00, came 15:00: hit, 6 h. Day 13: no later call, not checked."""
    days = replay_days(_positions(), _visits(), PORTS)
    assert len(days) == 12
    assert days["hit"].tolist() == [False] * 6 + [True] * 6
    assert (
        days["predicted_port"].tolist()
        == ["ALPHA"] * 3 + ["BRAVO"] * 3 + ["BRAVO"] * 3 + ["ALPHA"] * 3
    )
    assert days.loc[days["hit"], "error_h"].tolist() == pytest.approx([6.0] * 6)
    summary = replay_summary(days)
    assert summary["track_days"] == 12 and summary["tracks"] == 1
    assert summary["hit_rate"] == 0.5
    assert summary["median_abs_error_h"] == 6.0
    assert summary["by_method"]["history"]["hits"] == 6
    assert summary["confident"]["track_days"] == 0  # one voyage each: insufficient data
    # back where it was last: never, the vessel alternates
    assert summary["baseline_last_port_hit_rate"] == 0.0
    # every day lies within 3 days of the next arrival (51, 27, 3 h ahead on days 1-3)
    near = summary["within_7_days"]
    assert (near["track_days"], near["hits"], near["median_abs_error_h"]) == (12, 6, 6.0)
    assert days["lead_h"].tolist()[:3] == [51.0, 27.0, 3.0]


def test_replay_of_nothing_is_empty():
    assert replay_days(_positions().iloc[0:0], _visits(), PORTS).empty
    assert replay_summary(replay_days(_positions(), _visits().iloc[0:0], PORTS))["hit_rate"] is None


def test_vessel_states_take_the_latest_year_and_the_latest_destination():
    features = pd.DataFrame(
        {
            "mmsi": ["412000001", "412000001", "412000002"],
            "track_id": [0, 0, 0],
            "year": [2021, 2022, 2022],
            "last_timestamp": pd.to_datetime(["2021-12-31", "2022-03-01", "2022-02-01"], utc=True),
            "last_lat": [1.0, 0.0, float("nan")],
            "last_lon": [1.0, 0.5, float("nan")],
            "vessel_id": ["v1", "v1", None],
        }
    )
    identity = pd.DataFrame(
        {
            "mmsi": ["412000001", "412000001"],
            "field": ["destination", "destination"],
            "value": ["BUSAN", "BRAVO"],
            "last_seen": pd.to_datetime(["2022-01-01", "2022-02-01"], utc=True),
        }
    )
    states = vessel_states(features, identity)
    assert [(s.mmsi, s.as_of.month, s.lat, s.destination) for s in states] == [
        ("412000001", 3, 0.0, "BRAVO"),
        ("412000002", 2, None, None),
    ]
    out = predict_arrivals(states, _visits(), PORTS)
    assert out[["mmsi", "port_label", "method"]].values.tolist() == [
        ["412000001", "BRAVO", "destination"]
    ]
