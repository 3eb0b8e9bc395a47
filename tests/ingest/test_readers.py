"""Readers and accounting on every real AIS file in ../shared/data/ais.

Each file's counts are asserted: ``rows in = positions + static reports +
quarantined``. The NMEA counts agree with pyais's own reader (979 messages from
843 vessels in the tag-block file; 778 decodable messages in the malformed sample).
"""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from tests.builders import DATA, shared_file
from vessel_risk.frames import columns
from vessel_risk.ingest import (
    POSITION_COLUMNS,
    STATIC_COLUMNS,
    UnknownDialectError,
    read_ais,
    sniff,
)
from vessel_risk.ingest.schemas import IngestPositionSchema, StaticReportSchema

# file: (dialect, rows_in, positions, static reports, quarantined by reason)
EXPECTED = {
    "danube_vessel_2024_10days.parquet": ("gfw", 4680, 4680, 0, {}),
    "squid_jiggers_2020_2023.parquet": (
        "gfw",
        111_384,
        96_509,
        13_342,
        {"no_position_no_identity": 919, "not_a_vessel_report": 614},
    ),
    "nmea/aishub_mixed.nmea": (
        "nmea",
        21,
        10,
        2,
        {"not_ais_sentence": 6, "malformed_sentence": 3},
    ),
    "nmea/mixed_with_malformed.nmea": (
        "nmea",
        898,
        762,
        2,
        {"empty_payload": 100, "incomplete_multipart": 20, "not_a_vessel_report": 14},
    ),
    "nmea/receiver_log_201201.nmea": ("nmea", 26, 5, 2, {"not_a_vessel_report": 19}),
    "nmea/tagblock_20211101.nm4": ("nmea", 979, 917, 42, {"not_a_vessel_report": 20}),
    "snapshots/decoded_global_20210701.csv.gz": (
        "decoded139",
        2498,
        2372,
        64,
        {"not_a_vessel_report": 62},
    ),
    "snapshots/noaa_marinecadastre_20230111.csv.gz": ("noaa", 1000, 1000, 0, {}),
}
RAW = "squid_jiggers_raw/"
EXPECTED.update(
    {
        RAW + name: ("gfw_raw", n, n, 0, {})
        for name, n in {
            "150400453.csv.gz": 6963,
            "150402944_18Jul2022.csv.gz": 772,
            "150402944_25Jul2022.csv.gz": 784,
            "150402944_b_2023.csv.gz": 7172,
            "150402951_01dec2021_15feb2022.csv.gz": 14558,
            "150402951_a_2021_2023.csv.gz": 15217,
            "412334074_seg1.csv.gz": 12492,
            "412334074_seg2.csv.gz": 4414,
            "LRYY715_150400453.csv.gz": 34,
            "LRYY715_412331284.csv.gz": 1113,
            "fuyuanyu_715.csv.gz": 1040,
            "implausible_speed_research_messages_150_412.csv.gz": 388,
            "overlapping_seg_check.csv.gz": 7135,
            "test_outside_chn.csv.gz": 5295,
            "voi_150402951_2021_a.csv.gz": 5923,
            "voi_150402951_2021_b.csv.gz": 11432,
            "voi_150402951_high_implied.csv.gz": 15,
            "voi_150402951_na_implied.csv.gz": 27,
        }.items()
    }
)
EXPECTED.update(
    {
        RAW + "150_non_gear_segs2023_02_07.csv.gz": (
            "gfw_raw",
            9460,
            7192,
            719,
            {"no_position_no_identity": 940, "not_a_vessel_report": 609},
        ),
        RAW + "name_changes_150voi_local.csv.gz": ("gfw_raw", 51, 43, 8, {}),
        RAW + "nb_non_gear_outside_CHN.csv.gz": (
            "gfw_raw",
            36680,
            23944,
            12677,
            {"no_position_no_identity": 54, "not_a_vessel_report": 5},
        ),
    }
)
# GFW's analyses published beside the raw exports: tables about vessels, segments and
# encounters, not AIS messages. Reading one as AIS is a clear error, not a guess.
NOT_AIS = {
    RAW + name
    for name in (
        "150_vessels_identity.csv.gz",
        "150_voi_annex_table1_input.csv.gz",
        "150_voi_annex_table2_input.csv.gz",
        "150_voi_names_frequency.csv.gz",
        "Bahia_Posesion_encounters.csv.gz",
        "Bahia_Posession_2022.csv.gz",
        "MMSIs_of_interest.csv.gz",
        "daily_identity.csv.gz",
        "nb_Bahia_Posession_2021.csv.gz",
        "relevant_overlapping_segs_voi.csv.gz",
    )
}
AIS_DIR = DATA / "ais"


def test_every_shared_ais_file_is_listed():
    if not AIS_DIR.exists():
        pytest.skip(f"{AIS_DIR} is absent: this test needs the shared data")
    on_disk = {str(p.relative_to(AIS_DIR)) for p in AIS_DIR.rglob("*") if p.is_file()}
    assert on_disk == set(EXPECTED) | NOT_AIS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_round_trip_balances(name):
    dialect, rows_in, n_pos, n_static, reasons = EXPECTED[name]
    r = read_ais(shared_file("data", "ais", name))
    report = r.files[0]
    assert report["dialect"] == dialect
    assert (r.rows_in, len(r.positions), len(r.static)) == (rows_in, n_pos, n_static)
    assert r.quarantine["reason"].value_counts().to_dict() == reasons
    assert report["quarantined_by_reason"] == reasons
    assert r.balanced
    assert report["positions"] + report["static_reports"] + report["quarantined"] == rows_in
    assert list(r.positions.columns) == POSITION_COLUMNS == columns(IngestPositionSchema)
    assert list(r.static.columns) == STATIC_COLUMNS == columns(StaticReportSchema)
    IngestPositionSchema.validate(r.positions)
    StaticReportSchema.validate(r.static)
    assert r.positions["mmsi"].str.len().eq(9).all()
    assert r.quarantine["line"].notna().all() and r.quarantine["raw"].notna().all()


@pytest.mark.parametrize("name", sorted(NOT_AIS))
def test_analysis_tables_are_a_clear_error(name):
    with pytest.raises(UnknownDialectError, match="columns must include"):
        read_ais(shared_file("data", "ais", name))


def test_nmea_tag_block_file_matches_pyais():
    r = read_ais(shared_file("data", "ais", "nmea", "tagblock_20211101.nm4"))
    report = r.files[0]
    assert report["messages_decoded"] == 979 and report["vessels"] == 843
    assert report["multipart_messages"] == 18 and report["undated_messages"] == 0
    assert report["blank_or_comment_lines"] == 3
    first = r.positions.iloc[0]  # line 2: a type 27 whose tag block says c:1635731909
    assert first["line"] == 2 and first["mmsi"] == "412750020"
    assert first["timestamp"] == pd.Timestamp(1635731909, unit="s", tz="UTC")
    # Type 5 statics come from two-part messages; the AIS second is never the time.
    assert (r.static["timestamp"].dt.date == pd.Timestamp("2021-11-01").date()).all()


def test_nmea_malformed_sample_keeps_the_rest():
    r = read_ais(shared_file("data", "ais", "nmea", "mixed_with_malformed.nmea"))
    report = r.files[0]
    assert report["messages_decoded"] == 778  # as many as pyais decodes
    q = r.quarantine
    empty = q[q["reason"] == "empty_payload"]
    assert list(empty["line"].head(3)) == [4, 6, 13]
    assert empty["raw"].str.fullmatch(r"!AIVDM,1,1,,[AB],,0\*2[56]").all()
    orphan = q[q["reason"] == "incomplete_multipart"].iloc[0]
    assert orphan["line"] == 96 and orphan["mmsi"] == "357121000"
    # No tag block and no receiver time: kept, dated by nobody, counted.
    assert report["undated_messages"] == 764 and r.positions["timestamp"].isna().all()


def test_nmea_receiver_metadata_gives_the_time():
    r = read_ais(shared_file("data", "ais", "nmea", "receiver_log_201201.nmea"))
    first = r.positions.iloc[0]
    assert first["mmsi"] == "367033650" and first["line"] == 2
    assert first["timestamp"] == pd.Timestamp("2012-01-01T05:01:00Z")


def test_gfw_raw_day_first_minutes():
    r = read_ais(shared_file("data", "ais", "squid_jiggers_raw", "150400453.csv.gz"))
    first = r.positions.iloc[0]
    assert first["mmsi"] == "150400453" and first["timestamp"] == pd.Timestamp(
        "2020-12-20T08:49:00Z"
    )
    assert r.files[0]["slash_dates"] == "day-first"
    assert r.positions["shipname"].iloc[0] == "LURONGYUANYU715"
    # 01/01/2023 is ambiguous alone; the file's other dates (13/01/...) settle it.
    b = read_ais(shared_file("data", "ais", "squid_jiggers_raw", "150402944_b_2023.csv.gz"))
    assert b.positions["timestamp"].iloc[0] == pd.Timestamp("2023-01-01T02:17:00Z")
    assert b.positions["timestamp"].dt.month.nunique() > 1
    assert b.positions["ais_class"].iloc[0] == "B"


def test_decoded_139_columns():
    r = read_ais(shared_file("data", "ais", "snapshots", "decoded_global_20210701.csv.gz"))
    first = r.positions.iloc[0]
    assert first["mmsi"] == "432905000"
    assert first["timestamp"] == pd.Timestamp("2021-07-01T18:51:51.680Z")
    assert (first["lat"], first["lon"], first["speed_knots"]) == (8.87747666667, -103.63687, 13.6)
    assert r.static["shipname"].notna().any()


DMA_HEADER = (
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,"
    "Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,"
    "Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D"
)


def test_danish_maritime_authority_csv(tmp_path):
    rows = [
        "13/11/2021 00:00:01,Class A,219000873,56.990000,10.304000,Engaged in fishing,0.0,"
        "2.1,58.3,61,Unknown,OXQB2,NORDSOEN,Fishing,,6,20,GPS,3.0,SKAGEN,,AIS,8,12,3,3",
        "13/11/2021 00:00:02,Class B,219012345,55.1,11.2,Unknown value,,0.0,,,"
        "Unknown,,,Undefined,,,,Undefined,,,,AIS,,,,",
        "13/11/2021 00:00:03,Base Station,002190068,55.5,9.1,Unknown value,,,,,"
        "Unknown,,,Undefined,,,,Surveyed,,,,AIS,,,,",
    ]
    path = tmp_path / "aisdk-2021-11-13.csv"
    path.write_text(DMA_HEADER + "\n" + "\n".join(rows) + "\n")
    r = read_ais(path)
    assert r.files[0]["dialect"] == "dma" and r.files[0]["slash_dates"] == "day-first"
    p = r.positions.set_index("mmsi")
    assert p.loc["219000873", "timestamp"] == pd.Timestamp("2021-11-13T00:00:01Z")
    assert p.loc["219000873", "shipname"] == "NORDSOEN"
    assert p.loc["219000873", "ais_class"] == "A" and pd.isna(p.loc["219000873", "imo"])
    assert p.loc["219012345", "ais_class"] == "B"
    assert p.loc["002190068", "lat"] == 55.5  # base stations are kept, MMSI as sent
    assert r.balanced and r.quarantine.empty


def test_geoparquet_takes_lon_lat_from_points(tmp_path):
    import geopandas as gpd

    src = shared_file("data", "ais", "danube_vessel_2024_10days.parquet")
    frame = pd.read_parquet(src)
    geo = gpd.GeoDataFrame(
        frame.drop(columns=["lat", "lon"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs="EPSG:4326",
    )
    path = tmp_path / "danube.geoparquet"
    geo.to_parquet(path)
    r = read_ais(path)
    plain = read_ais(src)
    assert r.files[0]["dialect"] == "gfw" and r.balanced
    pd.testing.assert_series_equal(r.positions["lat"], plain.positions["lat"])
    pd.testing.assert_series_equal(r.positions["lon"], plain.positions["lon"])


def test_dialect_is_sniffed_from_content_not_name(tmp_path):
    nmea = shared_file("data", "ais", "nmea", "tagblock_20211101.nm4")
    disguised = tmp_path / "positions.csv.gz"
    disguised.write_bytes(gzip.compress(nmea.read_bytes()))
    assert sniff(disguised) == "nmea"
    assert read_ais(disguised).files[0]["messages_decoded"] == 979
    parquet = tmp_path / "export.csv"
    parquet.write_bytes(
        shared_file("data", "ais", "danube_vessel_2024_10days.parquet").read_bytes()
    )
    assert sniff(parquet) == "parquet" and len(read_ais(parquet).positions) == 4680


def test_blank_lines_keep_line_numbers(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text(
        "mmsi,timestamp,lat,lon,speed_knots,course,heading\n"
        "567000214,2024-03-01T00:00:00Z,-35.5,-56.0,5.0,180.0,180\n"
        "\n"
        "567000214,2024-03-01T00:10:00Z,-35.49,-56.0,5.0,180.0,180\n"
    )
    r = read_ais(path)
    assert list(r.positions["line"]) == [2, 4]
    assert list(r.quarantine["line"]) == [3] and r.balanced


def test_latin1_bytes_in_a_name_are_kept(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        b"mmsi,timestamp,lat,lon,speed_knots,course,heading,shipname\n"
        b"219000873,2024-03-01T00:00:00Z,56.9,10.3,2.0,58.0,61,S\xd8NDERBORG\n"
    )
    r = read_ais(path)
    assert r.positions["shipname"].iloc[0] == "SØNDERBORG"
    assert r.files[0]["encoding"] == "latin-1"


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_stray_quote_costs_only_its_own_line(tmp_path, newline):
    # An unterminated quote in one name made pyarrow read the rest of the file as one
    # quoted field: 900 rows vanished inside a single quarantined "line".
    text = gzip.decompress(
        shared_file("data", "ais", "snapshots", "noaa_marinecadastre_20230111.csv.gz").read_bytes()
    ).decode()
    lines = text.splitlines()
    fields = lines[100].split(",")
    fields[7] = '"SEA STAR'
    lines[100] = ",".join(fields)
    path = tmp_path / "stray_quote.csv"
    path.write_text(newline.join(lines) + newline)
    r = read_ais(path)
    assert r.rows_in == 1_000 and r.balanced
    assert len(r.positions) + len(r.static) == 999
    assert r.quarantine["line"].tolist() == [101.0]
    assert r.quarantine["raw"].iloc[0] == lines[100]


def _stack(chunks):
    from vessel_risk.ingest import IngestResult, merge_reports

    return IngestResult(
        pd.concat([c.positions for c in chunks], ignore_index=True),
        pd.concat([c.static for c in chunks], ignore_index=True),
        pd.concat([c.quarantine for c in chunks], ignore_index=True),
        [merge_reports([c.files[0] for c in chunks])],
    )


@pytest.mark.parametrize("gz", [False, True])
def test_csv_read_in_small_chunks_equals_one_read(tmp_path, gz):
    """Chunks keep file line numbers, balance, and share one dd/mm/yyyy verdict."""
    from vessel_risk.ingest import iter_ais

    lines = ["ssvid,timestamp,lat,lon,speed"]
    for k in range(60):
        lines.append(f"412000{k % 7:03d},0{1 + k % 9}/03/2021 0{k % 10}:15,-45.{k},-60.0,1.5")
        if k % 11 == 3:
            lines.append("")  # an empty line
        if k % 13 == 5:
            lines.append("412000001,garbage")  # a malformed line
    lines.append("412000002,03/25/2021 10:00,-45.9,-60.0,1.5")  # proves month-first
    data = ("\n".join(lines) + "\n").encode()
    path = tmp_path / ("raw.csv.gz" if gz else "raw.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    whole = read_ais(path)
    chunks = list(iter_ais(path, chunk_bytes=200))
    assert len(chunks) > 5
    assert all(c.balanced for c in chunks)
    stacked = _stack(chunks)
    assert stacked.balanced and stacked.rows_in == whole.rows_in == len(lines) - 1
    assert whole.files[0]["slash_dates"] == "month-first"
    assert stacked.files[0]["slash_dates"] == "month-first"
    assert stacked.files[0]["quarantined_by_reason"] == whole.files[0]["quarantined_by_reason"]
    pd.testing.assert_frame_equal(stacked.positions, whole.positions)
    pd.testing.assert_frame_equal(
        stacked.quarantine.sort_values("line").reset_index(drop=True),
        whole.quarantine.sort_values("line").reset_index(drop=True),
    )
    # 1 March, read month-first, stays 1 March: "01/03/2021" is 3 January.
    assert whole.positions["timestamp"].iloc[0] == pd.Timestamp("2021-01-03T00:15Z")
    assert list(whole.quarantine.sort_values("line")["line"])[:2] == [6.0, 9.0]


def test_parquet_read_in_small_chunks_equals_one_read(tmp_path):
    from vessel_risk.ingest import iter_ais

    src = shared_file("data", "ais", "danube_vessel_2024_10days.parquet")
    whole = read_ais(src)
    chunks = list(iter_ais(src, chunk_rows=1000))
    assert len(chunks) == 5 and all(c.balanced for c in chunks)
    stacked = _stack(chunks)
    assert stacked.rows_in == 4680
    pd.testing.assert_frame_equal(stacked.positions, whole.positions)
    assert list(stacked.positions["line"].iloc[[0, 999, 1000, -1]]) == [1, 1000, 1001, 4680]


def test_read_ais_rejects_unknown_columns(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="must include mmsi,timestamp,lat,lon"):
        read_ais(path)
