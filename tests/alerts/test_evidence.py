"""The events behind alerts: one ordered table, details kept as columns until written."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from tests.builders import make_gaps, make_visits
from vessel_risk.alerts.evidence import EVIDENCE_COLUMNS, evidence_events, evidence_row_chunks


def _encounters() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mmsi": ["412000001", "412000002"],
            "track_id": [0, 1],
            "other_mmsi": ["412000002", "412000001"],
            "other_is_carrier": [True, False],
            "start": pd.to_datetime(["2022-06-01 00:00", "2021-02-01 00:00"], utc=True),
            "end": pd.to_datetime(["2022-06-01 04:00", "2021-02-01 03:00"], utc=True),
            "duration_h": [4.0, 3.0],
            "lat": [-45.0, np.nan],
            "lon": [-60.0, 10.0],
            "median_distance_m": [120.0, np.nan],
            "median_speed_knots": [1.5, 0.4],
        },
        index=[7, 7],  # an index the table must not rely on
    )


def _table():
    empty = pd.DataFrame(columns=["mmsi", "start", "end", "duration_h", "lat", "lon"])
    return evidence_events(make_visits(), make_gaps(), _encounters(), empty)


def test_events_are_ordered_and_details_are_their_kind_columns_as_python_values():
    table = _table()
    frame = table.frame()
    assert list(frame.columns) == EVIDENCE_COLUMNS
    assert list(zip(frame["mmsi"], frame["kind"], frame["year"], strict=True)) == [
        ("412000001", "port_visit", 2022),
        ("412000001", "ais_gap", 2022),  # ties on start: visits, gaps, encounters, loitering
        ("412000001", "encounter", 2022),
        ("412000001", "port_visit", 2022),
        ("412000002", "encounter", 2021),
    ]
    details = frame["detail"].tolist()
    assert details[0] == {"port_label": "PUNTA ARENAS", "port_iso3": "CHL"}
    assert details[1] == {
        "gap_class": "likely_disabling",
        "distance_km": 58.0,
        "distance_from_shore_km": 420.0,
        "end_lat": -45.5,
        "end_lon": -60.2,
    }
    assert details[4] == {
        "other_mmsi": "412000001",
        "other_is_carrier": False,
        "median_distance_m": None,  # missing: None, never NaN
        "median_speed_knots": 0.4,
    }
    assert type(details[2]["other_is_carrier"]) is bool  # JSON true, not "True"
    assert json.loads(json.dumps(details[2], default=str))["other_is_carrier"] is True
    assert frame["lat"].isna().tolist() == [True, False, False, True, True]
    assert frame["track_id"].tolist() == [0, 0, 0, 0, 1]


def test_chunks_hold_only_alerted_vessel_years_in_order_with_their_scores():
    table = _table()
    score_ids = {("412000001", 0, 2022): 11, ("412000002", 1, 2021): 12}
    chunks = list(evidence_row_chunks(table, score_ids, 2))
    assert [len(c) for c, _ in chunks] == [2, 2, 1]
    kinds = [k for c, _ in chunks for k in c["kind"]]
    assert kinds == ["port_visit", "ais_gap", "encounter", "port_visit", "encounter"]
    assert [s for c, _ in chunks for s in c["score_id"]] == [11, 11, 11, 11, 12]
    whole = table.frame()["detail"].tolist()
    assert [d for _, ds in chunks for d in ds] == whole
    only = list(evidence_row_chunks(table, {("412000002", 1, 2021): 5}, 50))
    assert [(len(c), ds[0]["other_mmsi"]) for c, ds in only] == [(1, "412000001")]
    assert list(evidence_row_chunks(table, {}, 50)) == []


def test_no_events_is_an_empty_table():
    empty = pd.DataFrame(columns=["mmsi", "start", "end", "duration_h", "lat", "lon"])
    table = evidence_events(empty, empty, empty, empty)
    assert table.empty and len(table) == 0
    assert list(table.frame().columns) == EVIDENCE_COLUMNS
    assert list(evidence_row_chunks(table, {("412000001", 0, 2022): 1}, 10)) == []
