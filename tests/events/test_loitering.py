"""Loitering (vessel_risk.events.loitering) on planted tracks with hand-computed answers."""

from __future__ import annotations

from tests.builders import fleet, track_frame
from vessel_risk.events.loitering import detect_loitering


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
