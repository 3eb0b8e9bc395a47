"""Loitering (vessel_risk.events.loitering) on planted tracks with hand-computed answers."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.builders import fleet, track_frame
from vessel_risk.events.loitering import MAX_SILENCE_IN_EVENT_H, detect_loitering
from vessel_risk.geo.tracks import MAX_SILENCE_H


def test_loitering_needs_an_hour_and_twenty_nm_and_carriers_four_hours():
    slow_far = track_frame("412000001", "2024-03-01T00:00", 7, "10min", -45.0, -60.0)  # 1 h
    slow_near = track_frame("412000002", "2024-03-01T00:00", 13, "10min", -45.0, -60.0, shore=20.0)
    carrier = track_frame("636000003", "2024-03-01T00:00", 13, "10min", -45.0, -60.0)  # 2 h
    lo = detect_loitering(fleet(slow_far, slow_near, carrier), carriers={"636000003"})
    assert list(lo["mmsi"]) == ["412000001"]
    assert lo.iloc[0]["duration_h"] == 1.0
    assert lo.iloc[0]["distance_from_shore_km"] == 300.0


def test_loitering_runs_end_at_a_fast_row_a_gap_or_another_vessel():
    # 00:00-01:00 slow (7 rows: 1 h), 01:10 fast, 01:20-01:40 slow (20 min: too short),
    # then 13 h of silence and 14:40-15:40 slow (1 h); B starts slow right after A.
    a = track_frame("412000001", "2024-03-01T00:00", 11, "10min", -45.0, -60.0)
    a.loc[7, "speed_knots"] = 6.0
    a2 = track_frame("412000001", "2024-03-01T14:40", 7, "10min", -45.0, -60.0)
    b = track_frame("412000002", "2024-03-01T15:50", 7, "10min", -45.0, -60.0, sog=1.5)
    lo = detect_loitering(fleet(a, a2, b))
    assert list(
        zip(lo["mmsi"], lo["start"].dt.strftime("%H:%M"), lo["duration_h"], strict=True)
    ) == [
        ("412000001", "00:00", 1.0),
        ("412000001", "14:40", 1.0),
        ("412000002", "15:50", 1.0),
    ]
    assert list(lo["median_speed_knots"]) == [0.5, 0.5, 1.5]
    assert detect_loitering(fleet(a.iloc[:3])).empty  # runs, but none long enough


def test_loitering_mean_longitude_stays_at_the_antimeridian():
    t = track_frame("412000001", "2024-03-01T00:00", 13, "10min", 0.0, 179.99, dlon=0.002)
    lo = detect_loitering(t)
    assert len(lo) == 1
    assert abs(lo.iloc[0]["lon"]) > 179.9


def test_loitering_splits_at_a_30_h_silence_and_never_spans_the_24_h_limit():
    # 1 h slow, silent 30 h, 1 h slow: two events; the limit inside loitering is the 12 h
    # of an AIS gap, within geo.tracks.MAX_SILENCE_H.
    a = track_frame("412000001", "2024-03-01T00:00", 7, "10min", -45.0, -60.0)
    a2 = track_frame("412000001", "2024-03-02T07:00", 7, "10min", -45.0, -60.0)
    lo = detect_loitering(fleet(a, a2))
    assert list(lo["start"].dt.strftime("%d %H:%M")) == ["01 00:00", "02 07:00"]
    assert list(lo["duration_h"]) == [1.0, 1.0]
    assert list(lo["track_id"]) == [0, 0]  # positions without track_id: track 0
    assert MAX_SILENCE_IN_EVENT_H == 12.0 <= MAX_SILENCE_H
    # An 11 h silence is not a gap: one event of 13 h.
    a3 = track_frame("412000001", "2024-03-01T12:00", 7, "10min", -45.0, -60.0)
    assert list(detect_loitering(fleet(a, a3))["duration_h"]) == [13.0]


def test_two_tracks_of_one_mmsi_loiter_apart():
    # Track 0 and track 1 of one MMSI, 300 km apart, each slow for 1 h at the same times:
    # two events, each at its own track's place (sorted by mmsi, track_id, timestamp).
    t0 = track_frame("412000001", "2024-03-01T00:00", 7, "10min", -45.0, -60.0).assign(track_id=0)
    t1 = track_frame("412000001", "2024-03-01T00:05", 7, "10min", -47.7, -60.0).assign(track_id=1)
    lo = detect_loitering(pd.concat([t0, t1], ignore_index=True))
    assert list(lo["track_id"]) == [0, 1]
    assert list(lo["duration_h"]) == [1.0, 1.0]
    assert lo["lat"].to_numpy() == pytest.approx([-45.0, -47.7])
