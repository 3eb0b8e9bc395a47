"""One MMSI used by several transmitters: split into tracks, reported per MMSI."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.builders import SQUID, make_track, run_pipeline, shared_file
from vessel_risk.events.clean import clean_positions
from vessel_risk.geo.shore import ShoreDistance
from vessel_risk.identity.transmitters import (
    shared_mmsi_indicator,
    simultaneous_transmitters,
    split_transmitters,
)
from vessel_risk.ingest import read_ais


def _frame(rows):
    f = pd.DataFrame(rows)
    f["timestamp"] = pd.to_datetime(f["timestamp"], utc=True)
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


def test_pipeline_reports_two_transmitters_and_no_jump(tmp_path):
    pos = _two_boats()
    rows = pos.assign(timestamp=pos["timestamp"].map(lambda t: t.isoformat())).to_dict("records")
    port = pd.DataFrame(
        {"port_label": ["CALLAO"], "port_iso3": ["PER"], "lat": [-12.05], "lon": [-77.15]}
    )
    r = run_pipeline(tmp_path, rows, port)
    f = r.features.iloc[0]
    # Counted on the positions before cleaning drops the jumps between the two boats.
    assert f["max_simultaneous_transmitters"] == 2
    assert r.counts["transmitters"]["mmsis_with_several_tracks"] == 1
    # Cleaning still drops positions that jump away and back (21 of the 23 here), so
    # no 600 km jump is read as movement; the two left are 0.11 deg apart at 12 S.
    assert r.counts["quarantined_by_reason"]["implied_speed_outlier"] == 21
    assert f["position_messages"] == 2
    assert f["distance_traveled_km"] < 15


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
    seen = pd.concat([cleaned.positions, cleaned.spikes], ignore_index=True)
    per_year = simultaneous_transmitters(seen, split_transmitters(seen))
    ours = per_year.groupby("mmsi")["max_simultaneous_transmitters"].max() >= 2
    counts = seen.groupby("mmsi").size()
    mmsis = counts[counts >= 100].index
    n_implausible = implausible.astype(str).str.zfill(9).value_counts()
    gfw_overlap = set(overlaps.loc[overlaps["overlapping_seg"], "ssvid"].astype(str).str.zfill(9))
    gfw = {m for m in mmsis if n_implausible.get(m, 0) >= 5 or m in gfw_overlap}
    flagged = {m for m in mmsis if ours.get(m, False)}
    assert len(mmsis) == 43
    assert flagged & gfw == {"150400453", "150402940", "150402944", "150402951", "412334074"}
    # 412331284's second transmitter sent 4 positions, under the 10 a track needs.
    assert gfw - flagged == {"412331284"}
    # 150000022: 800 positions off Busan and 232 in the Southern Ocean over the same
    # months; GFW's files do not study it.
    assert flagged - gfw == {"150000022"}
