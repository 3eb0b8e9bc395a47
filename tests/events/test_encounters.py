"""Loitering, encounters and gap classes on planted tracks with hand-computed answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vessel_risk.events.encounters import detect_encounters, resample_tracks
from vessel_risk.events.gaps import detect_gaps
from vessel_risk.events.loitering import detect_loitering


def _track(mmsi, start, n, every, lat, lon, sog=0.5, shore=300.0, port=500.0, dlon=0.0):
    t = pd.date_range(start, periods=n, freq=every, tz="UTC")
    return pd.DataFrame(
        {
            "mmsi": mmsi,
            "timestamp": t.astype("datetime64[ns, UTC]"),
            "lat": lat,
            "lon": (lon + np.arange(n) * dlon + 540.0) % 360.0 - 180.0,
            "speed_knots": sog,
            "distance_from_shore_km": shore,
            "distance_from_port_km": port,
        }
    )


def _frame(*tracks):
    return pd.concat(tracks).sort_values(["mmsi", "timestamp"]).reset_index(drop=True)


def test_planted_encounter_found_with_its_start_and_end():
    fishing = _track("412000001", "2024-03-01T00:00", 40, "15min", -45.0, -60.0, dlon=0.0001)
    carrier = _track("636000002", "2024-03-01T02:07", 20, "20min", -45.002, -60.0, sog=0.8)
    e = detect_encounters(_frame(fishing, carrier), carriers={"636000002"})
    assert len(e) == 2  # one row for each side
    mine = e[e["mmsi"] == "412000001"].iloc[0]
    # The carrier reports from 02:07 to 08:27; on the 10-min grid: 02:10 to 08:20.
    assert mine["start"] == pd.Timestamp("2024-03-01T02:10Z")
    assert mine["end"] == pd.Timestamp("2024-03-01T08:20Z")
    assert mine["duration_h"] == pytest.approx(37 / 6)
    assert mine["other_mmsi"] == "636000002" and mine["other_is_carrier"]
    assert 222 < mine["median_distance_m"] < 500
    assert not e[e["mmsi"] == "636000002"].iloc[0]["other_is_carrier"]


def test_encounter_across_the_antimeridian():
    a = _track("412000001", "2024-03-01T00:00", 20, "10min", 10.0, 179.9995)
    b = _track("412000002", "2024-03-01T00:00", 20, "10min", 10.0, -179.9995)
    e = detect_encounters(_frame(a, b))
    assert len(e) == 2
    assert e.iloc[0]["median_distance_m"] == pytest.approx(109.6, abs=0.5)


def test_no_encounter_when_too_short_too_fast_or_near_port():
    a = _track("412000001", "2024-03-01T00:00", 12, "10min", 0.0, 0.0)
    b = _track("412000002", "2024-03-01T00:00", 12, "10min", 0.001, 0.0)
    assert detect_encounters(_frame(a, b)).empty  # 1 h 50 min only
    a = _track("412000001", "2024-03-01T00:00", 30, "10min", 0.0, 0.0, sog=5.0)
    b = _track("412000002", "2024-03-01T00:00", 30, "10min", 0.001, 0.0, sog=5.0)
    assert detect_encounters(_frame(a, b)).empty  # median speed 5 kn
    a = _track("412000001", "2024-03-01T00:00", 30, "10min", 0.0, 0.0, port=5.0)
    b = _track("412000002", "2024-03-01T00:00", 30, "10min", 0.001, 0.0, port=5.0)
    assert detect_encounters(_frame(a, b)).empty  # 5 km from an anchorage


def test_resampling_does_not_bridge_long_intervals():
    a = _track("412000001", "2024-03-01T00:00", 2, "3h", 0.0, 0.0)
    grid = resample_tracks(a)
    assert len(grid) == 2  # the two fixes only, nothing interpolated across 3 h


def test_loitering_needs_an_hour_and_twenty_nm_and_carriers_four_hours():
    slow_far = _track("412000001", "2024-03-01T00:00", 7, "10min", -45.0, -60.0)  # 1 h
    slow_near = _track("412000002", "2024-03-01T00:00", 13, "10min", -45.0, -60.0, shore=20.0)
    carrier = _track("636000003", "2024-03-01T00:00", 13, "10min", -45.0, -60.0)  # 2 h
    lo = detect_loitering(_frame(slow_far, slow_near, carrier), carriers={"636000003"})
    assert list(lo["mmsi"]) == ["412000001"]
    assert lo.iloc[0]["duration_h"] == 1.0
    assert lo.iloc[0]["distance_from_shore_km"] == 300.0


def test_loitering_runs_end_at_a_fast_row_a_gap_or_another_vessel():
    # 00:00-01:00 slow (7 rows: 1 h), 01:10 fast, 01:20-01:40 slow (20 min: too short),
    # then 13 h of silence and 14:40-15:40 slow (1 h); B starts slow right after A.
    a = _track("412000001", "2024-03-01T00:00", 11, "10min", -45.0, -60.0)
    a.loc[7, "speed_knots"] = 6.0
    a2 = _track("412000001", "2024-03-01T14:40", 7, "10min", -45.0, -60.0)
    b = _track("412000002", "2024-03-01T15:50", 7, "10min", -45.0, -60.0, sog=1.5)
    lo = detect_loitering(_frame(a, a2, b))
    assert list(
        zip(lo["mmsi"], lo["start"].dt.strftime("%H:%M"), lo["duration_h"], strict=True)
    ) == [
        ("412000001", "00:00", 1.0),
        ("412000001", "14:40", 1.0),
        ("412000002", "15:50", 1.0),
    ]
    assert list(lo["median_speed_knots"]) == [0.5, 0.5, 1.5]
    assert detect_loitering(_frame(a.iloc[:3])).empty  # runs, but none long enough


def test_loitering_mean_longitude_stays_at_the_antimeridian():
    t = _track("412000001", "2024-03-01T00:00", 13, "10min", 0.0, 179.99, dlon=0.002)
    lo = detect_loitering(t)
    assert len(lo) == 1
    assert abs(lo.iloc[0]["lon"]) > 179.9


def test_gap_classes():
    # Dense reporting (every 30 min) far offshore, then 20 h of silence: likely disabling.
    dense = _track("412000001", "2024-03-01T00:00", 30, "30min", -45.0, -60.0, shore=300.0)
    after = _track("412000001", "2024-03-02T10:30", 2, "30min", -45.0, -60.0, shore=300.0)
    # The same silence near shore: other. A lone vessel in an empty cell: coverage.
    near = _track("412000002", "2024-03-01T00:00", 30, "30min", -45.0, -60.0, shore=30.0)
    near2 = _track("412000002", "2024-03-02T10:30", 2, "30min", -45.0, -60.0, shore=30.0)
    lone = _track("412000003", "2024-03-01T00:00", 3, "4h", 10.0, 150.0)
    lone2 = _track("412000003", "2024-03-03T00:00", 2, "4h", 10.0, 150.0)
    g = detect_gaps(_frame(dense, after, near, near2, lone, lone2)).set_index("mmsi")
    assert g.loc["412000001", "gap_class"] == "likely_disabling"
    assert g.loc["412000001", "positions_12h_before"] == 25  # 02:30 to 14:30 inclusive
    assert g.loc["412000002", "gap_class"] == "other"
    assert g.loc["412000003", "gap_class"] == "coverage"
    assert g.loc["412000003", "area_messages_per_day"] == 3


def test_gap_ends_are_the_nearest_known_positions_of_the_same_vessel():
    # A: fix at 00:00, no position at 01:00, 20 h silence, no position at 21:00, fix at
    # 22:00: the gap runs 01:00-21:00 between the two fixes. B's gap has a fix before
    # it but none after, and C (with no fix at all) must not borrow B's or D's.
    a = _track("412000001", "2024-03-01T00:00", 2, "1h", [-45.0, np.nan], [-60.0, np.nan])
    a2 = _track("412000001", "2024-03-01T21:00", 2, "1h", [np.nan, -45.5], [np.nan, -60.5])
    a.loc[1, "distance_from_shore_km"] = np.nan
    b = _track("412000002", "2024-03-01T00:00", 1, "1h", 10.0, 150.0, shore=80.0)
    b2 = _track("412000002", "2024-03-02T00:00", 1, "1h", np.nan, np.nan)
    c = _track("412000003", "2024-03-01T00:00", 1, "1h", np.nan, np.nan, shore=np.nan)
    c2 = _track("412000003", "2024-03-02T00:00", 1, "1h", np.nan, np.nan, shore=np.nan)
    d = _track("412000004", "2024-03-01T00:00", 1, "1h", 20.0, 160.0)
    d2 = _track("412000004", "2024-03-02T00:00", 1, "1h", 20.5, 160.0)
    g = detect_gaps(_frame(a, a2, b, b2, c, c2, d, d2)).set_index("mmsi")
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


def _brute_force_pairs(grid, max_distance_m=500.0):
    from vessel_risk.geo.geodesy import distance_km

    i, j = np.triu_indices(len(grid), k=1)
    m, s = grid["mmsi"].astype(str).to_numpy(), grid["slot"].to_numpy()
    keep = (s[i] == s[j]) & (m[i] != m[j])
    i, j = i[keep], j[keep]
    lat, lon = grid["lat"].to_numpy(), grid["lon"].to_numpy()
    d = distance_km(lat[i], lon[i], lat[j], lon[j]) * 1000.0
    i, j = (
        np.where(m[i] < m[j], i, j)[d <= max_distance_m],
        np.where(m[i] < m[j], j, i)[d <= max_distance_m],
    )
    return set(zip(i.tolist(), j.tolist(), strict=True))


@pytest.mark.parametrize("block", [7, 4_000_000])
def test_close_pairs_finds_exactly_the_pairs_within_500_m(monkeypatch, block):
    """The latitude-window search returns what comparing every pair returns."""
    import vessel_risk.events.encounters as enc

    monkeypatch.setattr(enc, "_MAX_CANDIDATES", block)
    rng = np.random.default_rng(0)
    rows = []
    # A dense fleet (2 km box) near 60° S, one astride 180°, one at 85° N, over 4 slots.
    for lat0, lon0 in ((-60.0, -60.0), (0.0, 179.995), (85.0, 10.0)):
        for v in range(30):
            for slot in range(4):
                rows.append(
                    (
                        f"41200{v:04d}",
                        1000 + slot,
                        lat0 + rng.uniform(-0.009, 0.009),
                        (lon0 + rng.uniform(-0.02, 0.02) + 540.0) % 360.0 - 180.0,
                    )
                )
    grid = pd.DataFrame(rows, columns=["mmsi", "slot", "lat", "lon"])
    pairs = enc.close_pairs(grid)
    found = set(zip(pairs["i"].tolist(), pairs["j"].tolist(), strict=True))
    expected = _brute_force_pairs(grid)
    assert len(expected) > 1000
    assert found == expected
    assert (pairs["slot"].to_numpy() == grid["slot"].to_numpy()[pairs["i"]]).all()
    assert pairs["distance_m"].max() <= 500.0


@pytest.mark.parametrize("lat0", [0.0, 45.0, -60.0, 89.9])
@pytest.mark.parametrize("azimuth", [0.0, 45.0, 90.0])
def test_close_pairs_keeps_pairs_just_within_500_m_in_any_direction(lat0, azimuth):
    """The sphere used to rule pairs out never puts a pair within 500 m beyond it."""
    import vessel_risk.events.encounters as enc
    from vessel_risk.geo.geodesy import WGS84

    lon1, lat1, _ = WGS84.fwd([179.9999] * 2, [lat0] * 2, [azimuth] * 2, [499.99, 500.01])
    grid = pd.DataFrame(
        {
            "mmsi": ["412000001", "412000002", "412000002"],  # 2's two points: no pair
            "slot": 5,
            "lat": [lat0, *lat1],
            "lon": [179.9999, *lon1],
        }
    )
    pairs = enc.close_pairs(grid)
    assert sorted(zip(pairs["i"], pairs["j"], strict=True)) == [(0, 1)]
    assert pairs.iloc[0]["distance_m"] == pytest.approx(499.99, abs=1e-6)


def test_close_pairs_keeps_a_north_south_pair_at_499_m_on_the_equator():
    """On WGS 84 a meridian degree at the equator is 110.574 km: 0.004513° is 499.0 m."""
    import vessel_risk.events.encounters as enc

    grid = pd.DataFrame(
        {"mmsi": ["412000001", "412000002"], "slot": [5, 5], "lat": [0.0, 0.004513], "lon": 0.0}
    )
    pairs = enc.close_pairs(grid)
    assert len(pairs) == 1
    assert pairs.iloc[0]["distance_m"] == pytest.approx(499.0, abs=0.2)
