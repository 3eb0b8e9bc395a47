"""Encounters (vessel_risk.events.encounters): planted meetings with hand-computed
start, end and distance, and the close-pair search against comparing every pair."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.builders import fleet, track_frame
from vessel_risk.events.encounters import detect_encounters, resample_tracks


def test_planted_encounter_found_with_its_start_and_end():
    fishing = track_frame("412000001", "2024-03-01T00:00", 40, "15min", -45.0, -60.0, dlon=0.0001)
    carrier = track_frame("636000002", "2024-03-01T02:07", 20, "20min", -45.002, -60.0, sog=0.8)
    e = detect_encounters(fleet(fishing, carrier), carriers={"636000002"})
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
    a = track_frame("412000001", "2024-03-01T00:00", 20, "10min", 10.0, 179.9995)
    b = track_frame("412000002", "2024-03-01T00:00", 20, "10min", 10.0, -179.9995)
    e = detect_encounters(fleet(a, b))
    assert len(e) == 2
    assert e.iloc[0]["median_distance_m"] == pytest.approx(109.6, abs=0.5)


def test_no_encounter_when_too_short_too_fast_or_near_port():
    a = track_frame("412000001", "2024-03-01T00:00", 12, "10min", 0.0, 0.0)
    b = track_frame("412000002", "2024-03-01T00:00", 12, "10min", 0.001, 0.0)
    assert detect_encounters(fleet(a, b)).empty  # 1 h 50 min only
    a = track_frame("412000001", "2024-03-01T00:00", 30, "10min", 0.0, 0.0, sog=5.0)
    b = track_frame("412000002", "2024-03-01T00:00", 30, "10min", 0.001, 0.0, sog=5.0)
    assert detect_encounters(fleet(a, b)).empty  # median speed 5 kn
    a = track_frame("412000001", "2024-03-01T00:00", 30, "10min", 0.0, 0.0, port=5.0)
    b = track_frame("412000002", "2024-03-01T00:00", 30, "10min", 0.001, 0.0, port=5.0)
    assert detect_encounters(fleet(a, b)).empty  # 5 km from an anchorage


def test_resampling_does_not_bridge_long_intervals():
    a = track_frame("412000001", "2024-03-01T00:00", 2, "3h", 0.0, 0.0)
    grid = resample_tracks(a)
    assert len(grid) == 2  # the two fixes only, nothing interpolated across 3 h


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


def test_close_pairs_finds_exactly_the_pairs_within_500_m():
    """The k-d tree search returns what comparing every pair returns."""
    import vessel_risk.events.encounters as enc

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


def test_an_encounter_ends_at_a_silence_of_either_vessel():
    # A reports every 10 min for 40 h; B beside it 00:00-03:00, silent 30 h, then beside
    # it again 09:00-12:00 the next day: two encounters of 3 h, none across the silence.
    a = track_frame("412000001", "2024-03-01T00:00", 241, "10min", -45.0, -60.0)
    b = track_frame("636000002", "2024-03-01T00:00", 19, "10min", -45.002, -60.0)
    b2 = track_frame("636000002", "2024-03-02T09:00", 19, "10min", -45.002, -60.0)
    e = detect_encounters(fleet(a, b, b2))
    mine = e[e["mmsi"] == "412000001"]
    assert list(mine["start"].dt.strftime("%d %H:%M")) == ["01 00:00", "02 09:00"]
    assert list(mine["end"].dt.strftime("%d %H:%M")) == ["01 03:00", "02 12:00"]
    assert list(mine["duration_h"]) == [3.0, 3.0]
    assert list(e["track_id"]) == [0, 0, 0, 0]  # positions without track_id: track 0
    assert list(e["other_track_id"]) == [0, 0, 0, 0]


def test_two_tracks_of_one_mmsi_are_never_an_encounter_and_each_meets_others():
    # Two transmitters of 412000001, 200 m apart for 3 h: one hull, not a transshipment.
    # A carrier meets track 1 (300 km from track 0) at the same time.
    t0 = track_frame("412000001", "2024-03-01T00:00", 19, "10min", -45.0, -60.0)
    t1 = track_frame("412000001", "2024-03-01T00:00", 19, "10min", -45.0018, -60.0)
    pos = pd.concat([t0.assign(track_id=0), t1.assign(track_id=1)], ignore_index=True)
    assert detect_encounters(pos).empty
    t1far = track_frame("412000001", "2024-03-01T00:00", 19, "10min", -47.7, -60.0)
    carrier = track_frame("636000002", "2024-03-01T00:00", 19, "10min", -47.7018, -60.0)
    pos = pd.concat(
        [t0.assign(track_id=0), t1far.assign(track_id=1), carrier.assign(track_id=0)],
        ignore_index=True,
    )
    e = detect_encounters(pos, carriers={"636000002"})
    assert list(
        zip(e["mmsi"], e["track_id"], e["other_mmsi"], e["other_track_id"], strict=True)
    ) == [("412000001", 1, "636000002", 0), ("636000002", 0, "412000001", 1)]
    assert e.iloc[0]["other_is_carrier"] and e.iloc[0]["duration_h"] == 3.0
    assert e["median_distance_m"].to_numpy() == pytest.approx([200.0, 200.0], abs=1.0)


def test_resampling_refuses_to_interpolate_across_more_than_24_h():
    a = track_frame("412000001", "2024-03-01T00:00", 2, "30h", 0.0, 0.0)
    with pytest.raises(ValueError, match="MAX_SILENCE_H"):
        resample_tracks(a, max_interp_h=30.0)
    assert len(resample_tracks(a, max_interp_h=24.0)) == 2
