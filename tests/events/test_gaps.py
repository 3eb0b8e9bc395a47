"""AIS gaps (vessel_risk.events.gaps): the 12 h threshold, gap classes and the known
positions at a gap's ends, on planted tracks with hand-computed answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.builders import fleet, run_pipeline, track_frame
from vessel_risk.events.gaps import detect_gaps


def test_gap_of_exactly_12_h_counts_and_11_h_does_not(tmp_path, port_table):
    t = ["2024-03-01T00:00:00Z", "2024-03-01T11:00:00Z", "2024-03-01T23:00:00Z"]
    rows = [
        {
            "mmsi": "567000002",
            "timestamp": ts,
            "lat": 5.5,
            "lon": 104.0 + i * 0.1,
            "speed_knots": 1.0,
            "course": 0,
            "heading": 0,
        }
        for i, ts in enumerate(t)
    ]
    result = run_pipeline(tmp_path, rows, port_table)
    g = result.gaps
    assert len(g) == 1
    assert g.iloc[0]["duration_h"] == 12.0
    assert g.iloc[0]["start_lon"] == pytest.approx(104.1)
    assert g.iloc[0]["distance_km"] == pytest.approx(11.08, abs=0.05)
    # The hours a vessel was seen exclude the gap.
    assert result.features.iloc[0]["hours"] == 11.0


def test_rows_without_position_still_count_for_gaps(tmp_path, port_table):
    rows = [
        {"mmsi": "567000003", "timestamp": "2024-03-01T00:00:00Z", "lat": 5.5, "lon": 104.0},
        {"mmsi": "567000003", "timestamp": "2024-03-01T08:00:00Z", "lat": 91, "lon": 181},
        {"mmsi": "567000003", "timestamp": "2024-03-01T16:00:00Z", "lat": 5.5, "lon": 104.1},
    ]
    result = run_pipeline(tmp_path, rows, port_table)
    assert len(result.gaps) == 0  # the 16 h silence is broken by the 08:00 message


def test_gap_classes():
    # Dense reporting (every 30 min) far offshore, then 20 h of silence: likely disabling.
    dense = track_frame("412000001", "2024-03-01T00:00", 30, "30min", -45.0, -60.0, shore=300.0)
    after = track_frame("412000001", "2024-03-02T10:30", 2, "30min", -45.0, -60.0, shore=300.0)
    # The same silence near shore: other. A lone vessel in an empty cell: coverage.
    near = track_frame("412000002", "2024-03-01T00:00", 30, "30min", -45.0, -60.0, shore=30.0)
    near2 = track_frame("412000002", "2024-03-02T10:30", 2, "30min", -45.0, -60.0, shore=30.0)
    lone = track_frame("412000003", "2024-03-01T00:00", 3, "4h", 10.0, 150.0)
    lone2 = track_frame("412000003", "2024-03-03T00:00", 2, "4h", 10.0, 150.0)
    g = detect_gaps(fleet(dense, after, near, near2, lone, lone2)).set_index("mmsi")
    assert g.loc["412000001", "gap_class"] == "likely_disabling"
    assert g.loc["412000001", "positions_12h_before"] == 25  # 02:30 to 14:30 inclusive
    assert g.loc["412000002", "gap_class"] == "other"
    assert g.loc["412000003", "gap_class"] == "coverage"
    assert g.loc["412000003", "area_messages_per_day"] == 3


def test_gap_ends_are_the_nearest_known_positions_of_the_same_vessel():
    # A: fix at 00:00, no position at 01:00, 20 h silence, no position at 21:00, fix at
    # 22:00: the gap runs 01:00-21:00 between the two fixes. B's gap has a fix before
    # it but none after, and C (with no fix at all) must not borrow B's or D's.
    a = track_frame("412000001", "2024-03-01T00:00", 2, "1h", [-45.0, np.nan], [-60.0, np.nan])
    a2 = track_frame("412000001", "2024-03-01T21:00", 2, "1h", [np.nan, -45.5], [np.nan, -60.5])
    a.loc[1, "distance_from_shore_km"] = np.nan
    b = track_frame("412000002", "2024-03-01T00:00", 1, "1h", 10.0, 150.0, shore=80.0)
    b2 = track_frame("412000002", "2024-03-02T00:00", 1, "1h", np.nan, np.nan)
    c = track_frame("412000003", "2024-03-01T00:00", 1, "1h", np.nan, np.nan, shore=np.nan)
    c2 = track_frame("412000003", "2024-03-02T00:00", 1, "1h", np.nan, np.nan, shore=np.nan)
    d = track_frame("412000004", "2024-03-01T00:00", 1, "1h", 20.0, 160.0)
    d2 = track_frame("412000004", "2024-03-02T00:00", 1, "1h", 20.5, 160.0)
    g = detect_gaps(fleet(a, a2, b, b2, c, c2, d, d2)).set_index("mmsi")
    ga, gb, gc = g.loc["412000001"], g.loc["412000002"], g.loc["412000003"]
    assert ga["start"] == pd.Timestamp("2024-03-01T01:00Z") and ga["duration_h"] == 20.0
    assert (ga["start_lat"], ga["start_lon"], ga["end_lat"], ga["end_lon"]) == (
        -45.0,
        -60.0,
        -45.5,
        -60.5,
    )
    assert ga["distance_from_shore_km"] == 300.0  # the 00:00 fix's, the last known
    assert (gb["start_lat"], gb["distance_from_shore_km"]) == (10.0, 80.0)
    assert np.isnan(gb["end_lat"]) and np.isnan(gb["distance_km"])
    assert np.isnan(gc["start_lat"]) and np.isnan(gc["end_lat"])
    assert np.isnan(gc["distance_from_shore_km"])
    assert g.loc["412000004", "end_lat"] == 20.5


def test_gaps_are_per_transmitter_track():
    # Track 0 reports every 30 min 00:00-05:00 and 20:00-21:00 (a 15 h gap); track 1 of
    # the same MMSI, 300 km away, every 30 min 02:00-23:00. Only track 0 has a gap, and it
    # starts and ends at track 0's own positions.
    t0 = fleet(
        track_frame("412000001", "2024-03-01T00:00", 11, "30min", -45.0, -60.0),
        track_frame("412000001", "2024-03-01T20:00", 3, "30min", -45.1, -60.0),
    ).assign(track_id=0)
    t1 = track_frame("412000001", "2024-03-01T02:00", 43, "30min", -47.7, -60.0)
    pos = pd.concat([t0, t1.assign(track_id=1)], ignore_index=True)
    g = detect_gaps(pos)
    assert list(zip(g["track_id"], g["duration_h"], strict=True)) == [(0, 15.0)]
    assert (g.iloc[0]["start_lat"], g.iloc[0]["end_lat"]) == (-45.0, -45.1)
    assert g.iloc[0]["positions_12h_before"] == 11
    # Taken as one track (no track_id), the two transmitters hide the gap.
    assert detect_gaps(fleet(pos.drop(columns="track_id"))).empty
