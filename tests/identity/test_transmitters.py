"""One MMSI used by several transmitters: split into tracks, reported per MMSI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.builders import SQUID, make_track, run_pipeline, shared_file
from vessel_risk.events.clean import clean_positions
from vessel_risk.geo.geodesy import distance_km
from vessel_risk.geo.shore import ShoreDistance
from vessel_risk.identity import transmitters
from vessel_risk.identity.transmitters import (
    shared_mmsi_indicator,
    simultaneous_transmitters,
    split_transmitters,
    transmitter_tracks,
)
from vessel_risk.ingest import read_ais


def _frame(rows):
    f = pd.DataFrame(rows)
    f["timestamp"] = pd.to_datetime(f["timestamp"], utc=True)
    f["mmsi"] = f["mmsi"].astype("string")
    # Where ingest would say each row came from (the quarantine names it).
    f["source"], f["line"] = "track.csv", np.arange(2.0, len(f) + 2.0)
    return f


def test_alternating_places_become_two_tracks():
    # Two boats 600 km apart (off Peru and off Chile) send the same MMSI in turn every
    # 30 min: going back and forth would need about 650 kn.
    a = make_track(
        "150400999", "2024-03-01T00:00:00Z", [(-12.0, -80.0 - 0.01 * i) for i in range(12)]
    )
    b = make_track(
        "150400999", "2024-03-01T00:15:00Z", [(-17.5, -78.0 - 0.01 * i) for i in range(12)]
    )
    pos = _frame(a + b).sample(frac=1.0, random_state=0)  # any order
    track = split_transmitters(pos)
    by_place = track.groupby(pos["lat"] > -15).unique()
    assert sorted(len(v) for v in by_place) == [1, 1]
    assert set(track) == {0, 1}
    ind = shared_mmsi_indicator(pos, track)
    assert ind.to_dict("records") == [
        {"mmsi": "150400999", "tracks": 2, "concurrent_tracks": 2, "shared_mmsi": True}
    ]


def test_one_plausible_track_stays_one():
    rows = make_track(
        "567000214", "2024-03-01T00:00:00Z", [(7.0 + 0.05 * i, 100.0) for i in range(20)]
    )
    pos = _frame(rows)
    track = split_transmitters(pos)
    assert (track == 0).all()
    assert not shared_mmsi_indicator(pos, track)["shared_mmsi"].any()


def test_missing_positions_get_no_track():
    rows = make_track(
        "567000214", "2024-03-01T00:00:00Z", [(7.0, 100.0), (float("nan"), float("nan"))]
    )
    track = split_transmitters(_frame(rows))
    assert track.iloc[0] == 0 and pd.isna(track.iloc[1])


def test_max_speed_must_be_positive():
    with pytest.raises(ValueError, match="'max_speed_kn' parameter of split_transmitters"):
        split_transmitters(
            _frame(make_track("567000214", "2024-03-01", [(7.0, 100.0)])), max_speed_kn=0
        )


def test_gfw_overlapping_segments_are_two_transmitters():
    # GFW's own check of 412334074 found overlapping segments: two transmitters at once.
    r = read_ais(shared_file("data", "ais", "squid_jiggers_raw", "overlapping_seg_check.csv.gz"))
    track = split_transmitters(r.positions)
    ind = shared_mmsi_indicator(r.positions, track).set_index("mmsi")
    assert ind.loc["412334074", "concurrent_tracks"] == 2
    assert track.notna().all()


def _two_boats(mmsi: str = "150400999") -> pd.DataFrame:
    """Off Peru and off Chile, ~600 km apart, sending one MMSI in turn every 30 min."""
    a = make_track(mmsi, "2024-03-01T00:00:00Z", [(-12.0, -80.0 - 0.01 * i) for i in range(12)])
    b = make_track(mmsi, "2024-03-01T00:15:00Z", [(-17.5, -78.0 - 0.01 * i) for i in range(11)])
    return _frame(a + b).sort_values("timestamp", kind="stable").reset_index(drop=True)


def test_planted_two_transmitter_mmsi_counts_two_per_year():
    pos = _two_boats()
    per_year = simultaneous_transmitters(pos, split_transmitters(pos))
    assert per_year.to_dict("records") == [
        {"mmsi": "150400999", "year": 2024, "max_simultaneous_transmitters": 2}
    ]


def test_pipeline_gives_each_transmitter_its_own_track_and_vessel_year(tmp_path):
    pos = _two_boats()
    rows = pos.assign(timestamp=pos["timestamp"].map(lambda t: t.isoformat())).to_dict("records")
    port = pd.DataFrame(
        {"port_label": ["CALLAO"], "port_iso3": ["PER"], "lat": [-12.05], "lon": [-77.15]}
    )
    r = run_pipeline(tmp_path, rows, port)
    f = r.features.set_index("track_id")
    # Off Peru (first heard, 12 positions) and off Chile (11): nothing is dropped as a
    # jump, each boat's 0.11 deg of drift is its distance, not 600 km back and forth.
    assert f["position_messages"].to_dict() == {0: 12, 1: 11}
    assert f["max_simultaneous_transmitters"].tolist() == [2, 2]
    assert f.loc[0, "distance_traveled_km"] == pytest.approx(12.0, abs=0.2)
    assert f.loc[1, "distance_traveled_km"] == pytest.approx(10.6, abs=0.2)
    assert r.counts["transmitters"]["mmsis_with_several_tracks"] == 1
    assert r.counts["transmitters"]["transmitter_tracks"] == 2
    assert "implied_speed_outlier" not in r.counts["quarantined_by_reason"]


def _fishing_day(mmsi: str, start: str, lat: float, lon: float, seed: int) -> list[dict]:
    """A day of slow fishing (1 kn, wandering), a position every 4 minutes."""
    rng = np.random.default_rng(seed)
    heading = np.cumsum(rng.normal(0.0, 0.6, 360))
    step_km = 1.852 / 15  # 1 kn for 4 minutes
    dlat = np.cumsum(step_km * np.cos(heading)) / 111.2
    dlon = np.cumsum(step_km * np.sin(heading)) / (111.2 * np.cos(np.radians(lat)))
    points = list(zip(lat + dlat, lon + dlon, strict=True))
    return make_track(mmsi, start, points, step_min=4.0, sog=1.0)


def test_mmsi_shared_by_two_transmitters_300_km_apart_makes_two_plausible_tracks():
    # Issue 16: each transmitter reports every 4 minutes for a day, 300 km apart.
    a = _fishing_day("150400998", "2024-03-01T00:00:00Z", -45.0, -60.0, seed=1)
    b = _fishing_day("150400998", "2024-03-01T00:02:00Z", -45.0, -56.19, seed=2)
    assert distance_km(-45.0, -60.0, -45.0, -56.19) == pytest.approx(300.0, abs=1.0)
    cleaned = clean_positions(_frame(a + b).sample(frac=1.0, random_state=3))
    pos = cleaned.positions
    assert len(pos) == 720 and cleaned.quarantine.empty
    assert pos.groupby("track_id").size().to_dict() == {0: 360, 1: 360}
    assert pos.groupby("track_id")["lon"].max().tolist()[0] < -58  # track 0 is the west boat
    for _, track in pos.groupby("track_id"):
        steps = distance_km(track["lat"].shift(), track["lon"].shift(), track["lat"], track["lon"])
        assert 40.0 < np.nansum(steps) < 50.0  # 1 kn for 24 h: 44.4 km


def test_a_glitch_inside_a_track_fits_no_track_and_is_quarantined():
    rows = make_track(
        "567000214", "2024-03-01T00:00:00Z", [(7.0 + 0.01 * i, 100.0) for i in range(20)]
    )
    rows[10] = {**rows[10], "lat": 12.0}  # 550 km away for one fix
    cleaned = clean_positions(_frame(rows))
    assert cleaned.quarantine["reason"].tolist() == ["fits_no_transmitter_track"]
    assert (cleaned.positions["track_id"] == 0).all() and len(cleaned.positions) == 19


def test_one_transmitter_that_jumps_once_stays_one_track():
    # Relocated (or silent and misplaced) once: the two segments never overlap in time.
    rows = make_track(
        "567000215", "2024-03-01T00:00:00Z", [(7.0, 100.0 + 0.01 * i) for i in range(12)]
    )
    rows += make_track(
        "567000215", "2024-03-02T00:00:00Z", [(12.0, 100.0 + 0.01 * i) for i in range(12)]
    )
    track = transmitter_tracks(_frame(rows))
    assert track.tolist() == [0] * 24


def test_shared_mmsi_flags_agree_with_gfws_research_on_the_squid_fleet():
    # GFW's segmenter rarely overlaps its own segments in this file (2 vessel-years),
    # but its analysts' research files name the MMSIs used by several transmitters:
    # messages at implausible implied speeds and "relevant overlapping segments".
    # Our flag (any year with >= 2 simultaneous tracks) against that evidence (>= 5
    # implausible messages or an overlapping segment), over MMSIs with >= 100 positions.
    raw = ("data", "ais", "squid_jiggers_raw")
    implausible = pd.read_csv(
        shared_file(*raw, "implausible_speed_research_messages_150_412.csv.gz"),
        usecols=["ssvid"],
    )["ssvid"]
    overlaps = pd.read_csv(shared_file(*raw, "relevant_overlapping_segs_voi.csv.gz"))
    ingested = read_ais(shared_file(*SQUID))
    cleaned = clean_positions(ingested.positions, distance_from_shore=ShoreDistance())
    seen = cleaned.positions
    per_year = simultaneous_transmitters(seen, seen["track_id"])
    ours = per_year.groupby("mmsi")["max_simultaneous_transmitters"].max() >= 2
    counts = seen.groupby("mmsi").size()
    mmsis = counts[counts >= 100].index
    n_implausible = implausible.astype(str).str.zfill(9).value_counts()
    gfw_overlap = set(overlaps.loc[overlaps["overlapping_seg"], "ssvid"].astype(str).str.zfill(9))
    gfw = {m for m in mmsis if n_implausible.get(m, 0) >= 5 or m in gfw_overlap}
    flagged = {m for m in mmsis if ours.get(m, False)}
    assert len(mmsis) == 43
    assert flagged & gfw == {"150400453", "150402944", "150402951", "412334074"}
    # 412331284's second transmitter sent 4 positions, under the 10 a track needs;
    # 150402940's 7 implausible messages are single glitches (quarantined: they fit no
    # track), not a second transmitter heard over time.
    assert gfw - flagged == {"150402940", "412331284"}
    # 150000022: 800 positions off Busan and 232 in the Southern Ocean over the same
    # months; GFW's files do not study it.
    assert flagged - gfw == {"150000022"}


def test_a_glitch_far_away_does_not_split_a_vessel_into_two_transmitters():
    # A live track must keep its fixes: a glitch's segment closes after 24 h, and a
    # fix continues the track heard most recently, not the one with the lowest speed.
    points = [(-45.0 + 0.0014 * i, -60.0 + 0.0014 * i) for i in range(2880)]  # ~5 kn
    rows = make_track("150400997", "2024-03-01T00:00:00Z", points, step_min=10.0)
    rows.insert(5, {**rows[5], "lat": -43.2, "timestamp": rows[5]["timestamp"]})
    rows[5] = {
        **rows[5],
        "timestamp": (pd.Timestamp(rows[4]["timestamp"]) + pd.Timedelta(minutes=5)).isoformat(),
    }
    track = transmitter_tracks(_frame(rows))
    assert track.isna().sum() == 1  # the glitch, 200 km north, fits no track
    assert set(track.dropna()) == {0}


def test_two_transmitters_in_the_same_second_are_both_kept():
    a = make_track(
        "150400996",
        "2024-03-01T00:00:00Z",
        [(-45.0, -60.0 + 0.001 * i) for i in range(30)],
        step_min=10.0,
    )
    b = make_track(
        "150400996",
        "2024-03-01T00:00:00Z",
        [(-45.0, -56.0 + 0.001 * i) for i in range(30)],
        step_min=10.0,
    )
    cleaned = clean_positions(_frame(a + b))
    assert cleaned.quarantine.empty
    assert cleaned.positions.groupby("track_id").size().to_dict() == {0: 30, 1: 30}


def _assign_scalar(times_h, lat, lon, max_speed_kn, max_hours=24.0):
    """The greedy segmenter one position and one open segment at a time (the reference)."""
    import math

    segs: list[list[float]] = []  # per segment: last time, lat, lon
    out = []
    for t, la, lo in zip(times_h.tolist(), lat.tolist(), lon.tolist(), strict=True):
        best, best_t = -1, -math.inf
        for k, (st, sla, slo) in enumerate(segs):
            dt = t - st
            if dt > max_hours or st <= best_t:
                continue
            p1, p2 = math.radians(sla), math.radians(la)
            a = (
                math.sin((p2 - p1) / 2) ** 2
                + math.cos(p1)
                * math.cos(p2)
                * math.sin((math.radians(lo) - math.radians(slo)) / 2) ** 2
            )
            d = 2 * transmitters.EARTH_RADIUS_KM * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))
            if d <= transmitters.CLOSE_KM or (dt > 0 and d / 1.852 / dt <= max_speed_kn):
                best, best_t = k, st
        if best < 0:
            segs.append([t, la, lo])
            out.append(len(segs) - 1)
        else:
            segs[best] = [t, la, lo]
            out.append(best)
    return np.array(out)


def test_assign_equals_the_scalar_segmenter_on_random_tracks():
    # Two or three transmitters interleaved, with silences, same-time fixes and fixes
    # 1 km apart: the NumPy runs of one open segment must decide as the scalar loop.
    rng = np.random.default_rng(15)
    differing = 0
    for _case in range(60):
        n = int(rng.integers(5, 400))
        t = np.sort(rng.choice(np.arange(0.0, 400.0, 0.25), n))
        same_time = np.flatnonzero(rng.random(n - 1) < 0.05) + 1
        t[same_time] = t[same_time - 1]
        base = rng.integers(0, 3, n) * rng.choice([0.5, 3.0, 40.0])
        lat = np.clip(10.0 + base + np.cumsum(rng.normal(0, 0.02, n)), -89, 89)
        lon = 120.0 + base + np.cumsum(rng.normal(0, 0.02, n))
        for speed, hours in ((30.0, 24.0), (8.0, 2.0), (1.0, 0.5)):
            got = transmitters._assign(t, lat, lon, speed, hours)
            want = _assign_scalar(t, lat, lon, speed, hours)
            np.testing.assert_array_equal(got, want)
            differing += int(got.max() > 0)
    assert differing > 60  # most cases do open several segments
