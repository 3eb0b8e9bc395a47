"""The CSV reader's block size: chosen from the file's columns and line length."""

from __future__ import annotations

import csv
import gzip

import pandas as pd

from tests.builders import shared_file
from vessel_risk.ingest import iter_ais, read_ais
from vessel_risk.ingest.csv import BLOCK_ROWS, CHUNK_BYTES, _block_bytes
from vessel_risk.ingest.limits import DEFAULT_LIMITS

NOAA_HEADER = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,CallSign,VesselType"


def _noaa(path, rows: int) -> None:
    line = "367752440,2023-01-11T00:00:00,43.07917,-70.75733,0.0,360.0,95.0,SAN JOSE,WDI9818,31\n"
    path.write_text(NOAA_HEADER + "\n" + line * rows)


def test_a_narrow_file_gets_blocks_of_about_block_rows_rows(tmp_path):
    path = tmp_path / "noaa.csv"
    _noaa(path, 20_000)  # 84 bytes a line
    names = NOAA_HEADER.split(",")
    assert _block_bytes(path, names, DEFAULT_LIMITS) == BLOCK_ROWS * 84


def test_wide_long_lines_are_capped_and_many_columns_cut_the_rows(tmp_path):
    path = tmp_path / "wide.csv"
    names = [f"c{i}" for i in range(1000)]
    path.write_text(",".join(names) + "\n" + ("x" * 999 + "," * 999 + "\n") * 2000)
    # 1,999 bytes a line; 20,000,000 fields / 1,000 columns = 20,000 rows
    assert _block_bytes(path, names, DEFAULT_LIMITS) == 20_000 * 1999
    few = [f"c{i}" for i in range(10)]
    assert _block_bytes(path, few, DEFAULT_LIMITS) == CHUNK_BYTES  # 150,000 rows: capped


def test_a_file_with_no_whole_line_in_its_first_mib_gets_the_cap(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text(NOAA_HEADER + "\n" + "1" * (2 << 20))
    assert _block_bytes(path, NOAA_HEADER.split(","), DEFAULT_LIMITS) == CHUNK_BYTES


def test_the_default_blocks_read_the_rows_small_blocks_read(tmp_path):
    path = tmp_path / "noaa.csv"
    _noaa(path, 3_000)
    whole = read_ais(path)
    chunks = list(iter_ais(path, chunk_bytes=4096))
    assert len(chunks) == 62  # 3,000 lines of 84 bytes, 48 or 49 lines a block
    assert len(whole.positions) == sum(len(c.positions) for c in chunks) == 3_000
    assert whole.positions["line"].tolist() == list(range(2, 3_002))


def test_decoded_times_from_digits_equal_the_text_path(tmp_path):
    """The real decoded sample read through its digits (every time clean) equals the same
    rows read through the ISO text, which one unreadable time forces on the block."""
    sample = shared_file("data", "ais", "snapshots", "decoded_global_20210701.csv.gz")
    text = gzip.decompress(sample.read_bytes()).decode()
    header, first = text.split("\n", 2)[:2]
    names = next(csv.reader([header]))
    fields = next(csv.reader([first]))
    fields[names.index("Time")] = "not a time"
    odd = ",".join(f'"{f}"' for f in fields)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    clean, forced = tmp_path / "a" / "decoded.csv", tmp_path / "b" / "decoded.csv"
    clean.write_text(text)
    forced.write_text(text.rstrip("\n") + "\n" + odd + "\n")
    a, b = read_ais(clean), read_ais(forced)
    assert len(a.positions) > 2000
    pd.testing.assert_frame_equal(a.positions, b.positions, check_exact=True)
    pd.testing.assert_frame_equal(a.static, b.static, check_exact=True)
    extra = b.quarantine.iloc[-1]
    assert extra["reason"] == "invalid_timestamp" and "not a time" in extra["raw"]
    pd.testing.assert_frame_equal(
        a.quarantine.reset_index(drop=True),
        b.quarantine.iloc[:-1].reset_index(drop=True),
        check_exact=True,
    )
    assert len(a.quarantine) > 0  # raw text of quarantined rows: the ISO time as before
    assert a.quarantine["raw"].str.contains(r"2021-07-01T\d\d:\d\d:\d\d\.\d{3}Z").any()
