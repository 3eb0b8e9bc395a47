"""Port visits, voyages and gaps on hand-built tracks with hand-computed answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.builders import make_track, write_csv
from vessel_risk.events.port_visits import in_port_state
from vessel_risk.geo.shore import ShoreDistance
from vessel_risk.ingest import read_ais, read_many
from vessel_risk.pipeline import process

PORT_B = (5.35, 103.2)  # from the port_table fixture: 5.5 km off the coast
SEA = (5.5, 104.0)  # open sea off Malaysia, 90.2 km from PORT B


def _run(tmp_path, rows, ports):
    return process(read_many([write_csv(tmp_path, rows)]), shore=ShoreDistance(), ports=ports)


def test_hysteresis_keeps_one_visit_while_between_3_and_4_km():
    mmsi = pd.Series(["1"] * 6)
    d = pd.Series([10.0, 2.9, 3.5, 3.9, 4.1, 3.5])
    # Enters at 2.9 km, stays while <= 4 km, leaves at 4.1, does not re-enter at 3.5.
    assert list(in_port_state(mmsi, d, enter_km=3.0, exit_km=4.0)) == [
        False,
        True,
        True,
        True,
        False,
        False,
    ]


def test_known_port_visit_and_the_voyages_around_it(tmp_path, port_table):
    # 3 h at sea, 4 h at PORT B (hourly pings), 3 h at sea.
    points = [SEA] * 3 + [PORT_B] * 4 + [SEA] * 3
    result = _run(tmp_path, make_track("567000001", "2024-03-01T00:00:00Z", points), port_table)
    v = result.visits
    assert len(v) == 1
    assert v.iloc[0]["port_label"] == "PORT B" and v.iloc[0]["port_iso3"] == "MYS"
    assert v.iloc[0]["start"] == pd.Timestamp("2024-03-01T03:00Z")
    assert v.iloc[0]["end"] == pd.Timestamp("2024-03-01T06:00Z")
    assert v.iloc[0]["duration_h"] == 3.0
    voy = result.voyages
    assert len(voy) == 2
    assert voy.iloc[0]["from_port"] is pd.NA and voy.iloc[0]["to_port"] == "PORT B"
    assert voy.iloc[1]["from_port"] == "PORT B" and voy.iloc[1]["to_port"] is pd.NA
    assert list(voy["duration_h"]) == [3.0, 3.0]
    # Each voyage covers one sea-port leg of the track.
    leg = 90.2  # km, SEA to PORT B on WGS 84
    assert voy["distance_km"].to_numpy() == pytest.approx([leg, leg], abs=0.5)
    f = result.features.iloc[0]
    assert f["number_voyages"] == 2 and f["number_port_visits"] == 1
    assert f["flag_iso3"] == "THA"  # PORT B is in MYS: a foreign visit
    assert f["number_foreign_port_visits"] == 1


def test_home_port_visit_is_not_foreign_and_unknown_flag_is_unknown(tmp_path, port_table):
    points = [SEA] * 2 + [PORT_B] * 2 + [SEA] * 2
    rows = make_track("533000001", "2024-03-01T00:00:00Z", points)  # MID 533: Malaysia
    rows += make_track("150000001", "2024-03-01T00:00:00Z", points)  # no valid MID
    f = _run(tmp_path, rows, port_table).features.set_index("mmsi")
    assert f.loc["533000001", "flag_iso3"] == "MYS"
    assert f.loc["533000001", "number_foreign_port_visits"] == 0
    assert f.loc["150000001", "number_port_visits"] == 1
    assert np.isnan(f.loc["150000001", "number_foreign_port_visits"])


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
    result = _run(tmp_path, rows, port_table)
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
    result = _run(tmp_path, rows, port_table)
    assert len(result.gaps) == 0  # the 16 h silence is broken by the 08:00 message


def test_data_starting_in_port_has_no_voyage_before_it(tmp_path, port_table):
    points = [PORT_B] * 3 + [SEA] * 3
    voy = _run(
        tmp_path, make_track("567000004", "2024-03-01T00:00:00Z", points), port_table
    ).voyages
    assert len(voy) == 1
    assert voy.iloc[0]["from_port"] == "PORT B"
    assert voy.iloc[0]["start"] == pd.Timestamp("2024-03-01T02:00Z")


def test_vessel_never_in_port_has_one_open_voyage(tmp_path, port_table):
    voy = _run(
        tmp_path, make_track("567000005", "2024-03-01T00:00:00Z", [SEA, (5.6, 104.0)]), port_table
    ).voyages
    assert len(voy) == 1
    assert voy.iloc[0]["from_port"] is pd.NA and voy.iloc[0]["to_port"] is pd.NA
    assert voy.iloc[0]["duration_h"] == 1.0
    assert np.isclose(voy.iloc[0]["distance_km"], 11.06, atol=0.05)


def test_read_ais_rejects_unknown_columns(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="must include mmsi,timestamp,lat,lon"):
        read_ais(path)


def test_month_long_silence_ends_a_voyage_instead_of_counting_as_time_at_sea(tmp_path, port_table):
    rows = make_track("567000006", "2024-03-01T00:00:00Z", [SEA, (5.6, 104.0)])
    rows += make_track("567000006", "2024-04-15T00:00:00Z", [(5.6, 104.0), (5.7, 104.0)])
    result = _run(tmp_path, rows, port_table)
    voy = result.voyages
    assert len(voy) == 2
    assert list(voy["duration_h"]) == [1.0, 1.0]
    assert voy["from_port"].isna().all() and voy["to_port"].isna().all()
    assert result.features.iloc[0]["max_voyage_duration_hours"] == 1.0
    assert len(result.gaps) == 1  # the silence is still an AIS gap
