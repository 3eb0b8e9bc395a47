"""Each failing input of ../shared/cases, as a test named after it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.builders import shared_file
from vessel_risk.events.clean import clean_positions
from vessel_risk.geo.shore import ShoreDistance
from vessel_risk.geo.tracks import track_length_km
from vessel_risk.ingest import read_ais, read_many
from vessel_risk.pipeline import process


def _process(name: str, ports: pd.DataFrame, **kw):
    return process(
        read_many([shared_file("cases", name)]), shore=ShoreDistance(), ports=ports, **kw
    )


# C02 and C04 place their (invented) vessels 60-80 km inland of Thailand and Malaysia;
# their fault is MMSI forms and duplicates, so the land check is off for them. With it
# on, those rows are quarantined as "on_land" (test_land_check_quarantines_with_reason).
LAND_CHECK_OFF = {"on_land_margin_km": None}


def test_C01_not_available_values(port_table):
    result = _process("C01_not_available_values.csv", port_table)
    pos = result.positions
    assert len(pos) == 10  # every row stays: its time counts for gaps and last-seen
    assert pos["lat"].isna().sum() == 2 and pos["lon"].isna().sum() == 2
    assert pos["speed_knots"].isna().sum() == 1
    assert pos["speed_knots"].mean() == 0.0
    assert pos["course"].isna().sum() == 1 and pos["heading"].isna().sum() == 1
    assert track_length_km(pos).iloc[0] < 0.1
    real = pos.dropna(subset=["lat"])
    assert len(real) == 8
    expected_shore = ShoreDistance()([7.1012], [100.9021])[0]
    f = result.features.iloc[0]
    assert f["max_distance_from_shore_km"] == pytest.approx(expected_shore, abs=1e-9)
    assert f["position_messages"] == 10
    assert f["last_lat"] == pytest.approx(7.1012)


def test_C02_mmsi_forms(port_table):
    result = _process("C02_mmsi_forms.csv", port_table, **LAND_CHECK_OFF)
    f = result.features.set_index("mmsi")
    assert len(result.positions) == 21  # nothing dropped
    assert set(f.index) == {
        "009123456",
        "000000000",
        "123456789",
        "000012345",
        "567000202",
        "412000203",
        "150400999",
    }
    assert f.loc["567000202", "flag_iso3"] == "THA" and f.loc["567000202", "mmsi_valid"]
    assert f.loc["412000203", "flag_iso3"] == "CHN" and f.loc["412000203", "mmsi_valid"]
    for bad in ("000000000", "123456789", "000012345", "150400999", "009123456"):
        assert not f.loc[bad, "mmsi_valid"]
        assert pd.isna(f.loc[bad, "flag_iso3"])


def test_C03_out_of_order():
    cleaned = clean_positions(read_ais(shared_file("cases", "C03_out_of_order.csv")).positions)
    pos = cleaned.positions
    assert cleaned.counts["out_of_order"] == 1
    assert (pos["timestamp"].diff().dropna() > pd.Timedelta(0)).all()
    assert track_length_km(pos).iloc[0] == pytest.approx(20.0, abs=0.05)
    legs_h = pos["timestamp"].diff().dt.total_seconds().iloc[1:] / 3600
    seg = np.array([10.0, 10.0])  # two legs of 10 km each (0.08983° at the equator)
    speeds = seg * 1000 / 1852 / legs_h.to_numpy()
    assert speeds == pytest.approx([5.4, 5.4], abs=0.01)


def test_C04_duplicate_messages(port_table):
    result = _process("C04_duplicate_messages.csv", port_table, **LAND_CHECK_OFF)
    assert len(result.positions) == 3
    assert result.counts["cleaning"]["duplicate_message"] == 1
    assert result.counts["cleaning"]["same_second_other_position"] == 1
    assert result.counts["quarantined"] == 2
    numeric = result.features.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(numeric).any()


@pytest.mark.parametrize(
    ("name", "naive"),
    [
        ("C05a_nanosecond_utc_word.csv", 0),
        ("C05b_offset_plus_one.csv", 0),
        ("C05c_naive_is_utc.csv", 1),
    ],
)
def test_C05_timestamp_forms(name, naive):
    r = read_ais(shared_file("cases", name))
    ts = r.positions["timestamp"].iloc[0]
    assert str(r.positions["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert ts.floor("s") == pd.Timestamp("2024-11-15T03:55:33Z")
    assert r.files[0]["naive_timestamps"] == naive
    if name.startswith("C05a"):
        assert ts.microsecond == 207576


def test_C08_repeated_port_visits(port_table):
    result = _process("C08_repeated_port_visits.csv", port_table)
    visits = result.visits
    assert list(visits["port_label"]) == ["SONGKHLA", "SONGKHLA"]
    assert list(visits["port_iso3"]) == ["THA", "THA"]
    assert [t.hour for t in visits["start"]] == [3, 8]
    complete = result.voyages.dropna(subset=["from_port", "to_port"])
    assert len(complete) == 1
    assert (result.voyages["duration_h"] >= 0).all()


def test_C09_thirty_hour_gap(port_table):
    result = _process("C09_thirty_hour_gap.csv", port_table)
    assert len(result.positions) == 500
    gaps = result.gaps
    assert len(gaps) == 1
    g = gaps.iloc[0]
    assert g["start"] == pd.Timestamp("2024-03-02T17:30:00Z")
    assert g["duration_h"] == pytest.approx(30 + 10 / 60)
    # Splitting at the gap keeps every position: 250 before, 250 after.
    assert (result.positions["timestamp"] <= g["start"]).sum() == 250
    assert (result.positions["timestamp"] >= g["end"]).sum() == 250


def test_C10_malformed_rows():
    r = read_ais(shared_file("cases", "C10_malformed_rows.csv"))
    assert len(r.positions) == 20
    q = r.quarantine.sort_values("line")
    assert list(q["line"]) == [7, 12, 16]
    assert list(q["reason"]) == ["malformed_line", "missing_mmsi", "invalid_timestamp"]
    assert q["raw"].iloc[0].endswith("EXTRA,FIELDS")  # the raw line is kept
    assert (q["source"] == "C10_malformed_rows.csv").all()
    assert r.files[0]["rows_in"] == 23 == len(r.positions) + len(r.static) + len(r.quarantine)


def test_land_check_quarantines_with_reason(port_table):
    result = _process("C04_duplicate_messages.csv", port_table)
    assert len(result.positions) == 0
    reasons = result.quarantine["reason"].value_counts().to_dict()
    # The exact copy goes first; positions at one second collapse only within a
    # transmitter track, after the land check has taken all four.
    assert reasons == {"on_land": 4, "duplicate_message": 1}
    assert (
        result.counts["rows_in"]
        == 5
        == result.counts["positions_kept"]
        + result.counts["static_reports"]
        + result.counts["quarantined"]
    )


def test_C06_multipart_fragments():
    r = read_ais(shared_file("cases", "C06_multipart_fragments.nmea"))
    static = r.static.set_index("mmsi")
    s = static.loc["567000207"]
    assert (s["shipname"], s["callsign"], s["shiptype"], s["destination"]) == (
        "SEA FORTUNE 7",
        "HSX1234",
        "30",
        "SONGKHLA",
    )
    # Reassembled although a position sentence sat between its two parts.
    assert s["timestamp"] == pd.Timestamp("2024-03-01T00:00:20Z")
    assert list(r.quarantine["mmsi"]) == ["567000208"]
    assert list(r.quarantine["reason"]) == ["incomplete_multipart"]
    assert list(r.quarantine["line"]) == [1]
    assert r.files[0]["quarantined_by_reason"] == {"incomplete_multipart": 1}
    pos = r.positions
    assert list(pos["mmsi"]) == ["567000209", "567000209"]
    # Times from the NMEA 4.10 tag blocks, never from the AIS "second" field (30).
    assert list(pos["timestamp"]) == [
        pd.Timestamp("2024-03-01T00:00:10Z"),
        pd.Timestamp("2024-03-01T00:01:10Z"),
    ]
    assert r.balanced and r.rows_in == 4


def test_C07_class_b_static():
    r = read_ais(shared_file("cases", "C07_class_b_static.nmea"))
    halves = r.static[r.static["mmsi"] == "567000210"]
    assert len(halves) == 2  # 24A and 24B, six minutes apart, each completed by the other
    for _, s in halves.iterrows():
        assert (s["shipname"], s["shiptype"], s["callsign"], s["ais_class"]) == (
            "NAM CHAI 3",
            "30",
            "HSY5678",
            "B",
        )
    p = r.positions.set_index("mmsi").loc["567000211"]
    assert (p["shipname"], p["shiptype"], p["ais_class"]) == ("KRUNG 9", "30", "B")
    assert (p["speed_knots"], p["lat"], p["lon"]) == (7.1, 7.2, 100.5)
    assert r.balanced and r.quarantine.empty


def test_C07_class_b_static_reaches_features(port_table):
    result = _process("C07_class_b_static.nmea", port_table, **LAND_CHECK_OFF)
    f = result.features.set_index("mmsi")
    assert f.loc["567000210", "shipname"] == "NAM CHAI 3"
    assert f.loc["567000211", "shipname"] == "KRUNG 9"
