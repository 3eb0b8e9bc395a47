"""Reasons say what bounds the longest voyage: a port visit, an AIS silence, the data's end."""

from __future__ import annotations

import pandas as pd

from vessel_risk.alerts.reasons import comparison, describe, longest_voyage_ends
from vessel_risk.model import indicators as ind

LONG = next(i for i in ind.INDICATORS if i.name == "long_voyages")


def _voyages() -> pd.DataFrame:
    t = pd.Timestamp("2021-01-01", tz="UTC")
    day = pd.Timedelta(days=1)
    return pd.DataFrame(
        {
            "mmsi": ["412000001"] * 3,
            "track_id": [0, 0, 0],
            "from_port": ["A", "B", None],
            "to_port": ["B", None, None],
            "start": [t, t + 12 * day, t + 100 * day],
            "end": [t + 10 * day, t + 52 * day, t + 120 * day],
            "duration_h": [240.0, 960.0, 480.0],
            "distance_km": [100.0, 900.0, 300.0],
        }
    )


def test_a_voyage_ending_in_a_silence_is_not_called_time_between_port_visits():
    ends = longest_voyage_ends(_voyages())
    assert ends.to_dict("records") == [
        {
            "mmsi": "412000001",
            "track_id": 0,
            "year": 2021,
            "longest_voyage_from": "port",
            "longest_voyage_to": "silence",
        }
    ]
    row = {"max_voyage_duration_hours": 960.0, **ends.iloc[0].to_dict()}
    assert describe(LONG, row) == (
        "longest voyage 40 days (960 h), from a port visit to an AIS silence of 30 days or "
        "more, not a port visit: time at sea after it is not known"
    )


def test_the_last_voyage_ends_at_the_end_of_the_data_and_port_to_port_says_so():
    v = _voyages()
    v.loc[2, "duration_h"] = 2000.0
    ends = longest_voyage_ends(v).iloc[0]
    assert (ends["longest_voyage_from"], ends["longest_voyage_to"]) == ("silence", "data_end")
    row = {"max_voyage_duration_hours": 240.0, "longest_voyage_from": "port"}
    assert describe(LONG, {**row, "longest_voyage_to": "port"}) == (
        "longest time at sea between port visits: 10 days (240 h)"
    )


def test_comparison_follows_the_side_of_the_median():
    label = "squid jiggers in 2021"
    assert comparison("max_voyage_duration_hours", 97.0, label) == (
        ", longer than 97 % of squid jiggers in 2021"
    )
    assert comparison("max_voyage_duration_hours", 10.0, label) == (
        ", shorter than 90 % of squid jiggers in 2021"
    )
    assert comparison("gaps_12_hours", None, label) == ""
