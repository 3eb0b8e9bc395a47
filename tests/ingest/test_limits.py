"""Per-file limits of ingest (issue 19): small generated bombs, exact counts and reasons.

Each file is built in ``tmp_path``; the limits are set low so the bombs stay small.
Memory is checked with tracemalloc (Python, NumPy and gzip buffers are traced), with
chunks small enough that a reader holding an overlong line whole would show it.
"""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from vessel_risk.ingest import (
    RAW_KEPT_CHARS,
    IngestLimits,
    iter_ais,
    merge_reports,
    read_ais,
    write_store,
)
from vessel_risk.ingest.nmea import nmea_checksum

HEADER = b"mmsi,timestamp,lat,lon,speed_knots,course,heading,shipname\n"
ROW = b"412000001,2020-01-01T00:00:00Z,10.5,20.5,3.0,40.0,41,JIN HAI\n"
MiB = 1 << 20


def _gzip(path: Path, *parts: bytes, repeat: tuple[bytes, int] | None = None) -> Path:
    """A gzip file of ``parts``, then ``repeat[0]`` written ``repeat[1]`` times."""
    with gzip.open(path, "wb", compresslevel=1) as fh:
        for part in parts:
            fh.write(part)
        if repeat is not None:
            block, times = repeat
            for _ in range(times):
                fh.write(block)
    return path


def _single_line_bomb(path: Path, line_mib: int) -> Path:
    """Header, two rows, one line of ``line_mib`` MiB, two more rows (gzipped)."""
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(HEADER + ROW * 2)
        junk = b"x" * MiB
        for _ in range(line_mib):
            fh.write(junk)
        fh.write(b"\n" + ROW * 2)
    return path


def test_limits_are_checked_when_built():
    assert IngestLimits().max_line_bytes == 64 << 10
    with pytest.raises(ValueError, match="'max_rows' parameter of IngestLimits must be a positive"):
        IngestLimits(max_rows=0)
    with pytest.raises(ValueError, match="'max_line_bytes'.*Got True"):
        IngestLimits(max_line_bytes=True)


def test_line_over_limit_is_quarantined_and_never_held(tmp_path):
    path = _single_line_bomb(tmp_path / "one_line.csv.gz", 100)
    limits = IngestLimits(max_line_bytes=MiB)
    tracemalloc.start()
    try:
        chunks = list(iter_ais(path, chunk_bytes=MiB, limits=limits))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The 100 MiB line was never held whole: what is held is the encoding scan's
    # 16 MiB block (and its text), then a 1 MiB chunk and its line ends.
    assert peak < 48 * MiB
    report = merge_reports([c.files[0] for c in chunks])
    assert report["rows_in"] == 5
    assert report["positions"] == 4
    assert report["quarantined_by_reason"] == {"line_too_long": 1}
    assert "limit_reached" not in report

    result = read_ais(path, limits=limits)
    assert result.balanced
    (q,) = result.quarantine.itertuples()
    assert (q.line, q.reason, q.raw) == (4.0, "line_too_long", "x" * RAW_KEPT_CHARS)
    assert result.positions["line"].tolist() == [2.0, 3.0, 5.0, 6.0]


def test_line_over_limit_in_the_middle_of_a_block(tmp_path):
    long_line = b"412000002," + b"y" * 5000 + b"\n"
    path = tmp_path / "mixed.csv"
    path.write_bytes(HEADER + ROW + long_line + ROW + long_line + long_line + ROW)
    result = read_ais(path, limits=IngestLimits(max_line_bytes=4096))
    assert result.balanced
    assert result.files[0]["rows_in"] == 6
    assert result.positions["line"].tolist() == [2.0, 4.0, 7.0]
    assert result.quarantine["line"].tolist() == [3.0, 5.0, 6.0]
    assert set(result.quarantine["reason"]) == {"line_too_long"}
    assert result.quarantine["raw"].str.len().tolist() == [RAW_KEPT_CHARS] * 3


def test_decompression_bomb_stops_at_the_limit(tmp_path):
    # 200 MiB of rows once decompressed (a 0.6 MiB file), read up to 1 MiB only.
    path = _gzip(
        tmp_path / "bomb.csv.gz", HEADER, repeat=(ROW * 16_384, 200 * MiB // len(ROW * 16_384))
    )
    limit = MiB
    result = read_ais(path, limits=IngestLimits(max_decompressed_bytes=limit))
    whole_rows = (limit - len(HEADER)) // len(ROW)
    report = result.files[0]
    assert report["limit_reached"] == "max_decompressed_bytes"
    assert report["positions"] == whole_rows
    assert report["quarantined_by_reason"] == {"decompressed_size_limit": 1}
    assert report["rows_in"] == whole_rows + 1
    assert result.balanced
    (q,) = result.quarantine.itertuples()
    assert q.line == whole_rows + 2
    cut = (limit - len(HEADER)) % len(ROW)
    assert q.raw == ROW[:cut].decode()


def test_decompression_bomb_of_one_line(tmp_path):
    path = _gzip(tmp_path / "zeros.csv.gz", HEADER, ROW, repeat=(b"\0" * MiB, 64))
    result = read_ais(path, limits=IngestLimits(max_decompressed_bytes=4 * MiB))
    report = result.files[0]
    assert (report["rows_in"], report["positions"]) == (2, 1)
    assert report["quarantined_by_reason"] == {"decompressed_size_limit": 1}
    assert result.quarantine["raw"].str.len().tolist() == [RAW_KEPT_CHARS]


def test_a_file_ending_at_the_limit_is_not_cut(tmp_path):
    path = _gzip(tmp_path / "exact.csv.gz", HEADER, ROW * 3)
    size = len(HEADER) + 3 * len(ROW)
    result = read_ais(path, limits=IngestLimits(max_decompressed_bytes=size))
    assert "limit_reached" not in result.files[0]
    assert (result.files[0]["rows_in"], len(result.positions)) == (3, 3)


def test_row_limit_stops_reading(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(HEADER + ROW * 10)
    result = read_ais(path, limits=IngestLimits(max_rows=4))
    report = result.files[0]
    assert (report["rows_in"], report["positions"], report["quarantined"]) == (5, 4, 1)
    assert report["limit_reached"] == "max_rows"
    (q,) = result.quarantine.itertuples()
    assert (q.line, q.reason) == (6.0, "row_limit_reached")
    assert q.raw.startswith("412000001,")


def test_row_limit_across_chunks(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(HEADER + ROW * 100)
    chunks = list(iter_ais(path, chunk_bytes=10 * len(ROW), limits=IngestLimits(max_rows=35)))
    report = merge_reports([c.files[0] for c in chunks])
    assert (report["rows_in"], report["positions"]) == (36, 35)
    assert report["quarantined_by_reason"] == {"row_limit_reached": 1}
    assert report["limit_reached"] == "max_rows"


def test_field_over_limit_is_quarantined(tmp_path):
    path = tmp_path / "field.csv"
    long_name = b"A" * 3000
    path.write_bytes(HEADER + ROW + ROW.replace(b"JIN HAI", long_name) + ROW)
    result = read_ais(path)
    assert result.balanced
    assert result.positions["line"].tolist() == [2.0, 4.0]
    (q,) = result.quarantine.itertuples()
    assert (q.line, q.reason) == (3.0, "field_too_long")
    assert len(q.raw) == RAW_KEPT_CHARS and q.raw.startswith("412000001,")


def test_header_over_limit_is_refused(tmp_path):
    path = _gzip(tmp_path / "header.csv.gz", b"mmsi," * 10_000 + b"\n" + ROW)
    with pytest.raises(ValueError, match="header line is longer than the line limit"):
        read_ais(path, limits=IngestLimits(max_line_bytes=1024))


def _sentence() -> bytes:
    body = "AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0"
    return f"!{body}*{nmea_checksum(body)}\n".encode()


def test_nmea_line_over_limit_and_bomb(tmp_path):
    good = _sentence()
    path = _gzip(tmp_path / "log.nmea.gz", good * 3 + b"!" + b"z" * 70_000 + b"\n" + good)
    result = read_ais(path)
    report = result.files[0]
    assert report["quarantined_by_reason"] == {"line_too_long": 1}
    assert report["blank_or_comment_lines"] == 0
    assert (report["positions"], report["rows_in"]) == (4, 5)
    (q,) = result.quarantine.itertuples()
    assert (q.line, len(q.raw)) == (4.0, RAW_KEPT_CHARS)

    bomb = _gzip(tmp_path / "bomb.nmea.gz", good * 3, repeat=(b"z" * MiB, 32))
    result = read_ais(bomb, limits=IngestLimits(max_decompressed_bytes=2 * MiB))
    report = result.files[0]
    assert report["limit_reached"] == "max_decompressed_bytes"
    assert report["quarantined_by_reason"] == {"decompressed_size_limit": 1}
    assert (report["positions"], report["rows_in"]) == (3, 4)

    rows = _gzip(tmp_path / "rows.nmea.gz", good * 10)
    result = read_ais(rows, limits=IngestLimits(max_rows=6))
    assert result.files[0]["quarantined_by_reason"] == {"row_limit_reached": 1}
    assert (result.files[0]["positions"], result.quarantine["line"].tolist()) == (6, [7.0])


def _parquet(path: Path, mmsi: pa.Array, **kw: object) -> Path:
    n = len(mmsi)
    table = pa.table(
        {
            "mmsi": mmsi,
            "timestamp": pa.array(["2020-01-01T00:00:00Z"] * n),
            "lat": pa.array([10.0] * n),
            "lon": pa.array([20.0] * n),
            **kw,
        }
    )
    pq.write_table(table, path, row_group_size=kw.pop("_rg", None) if "_rg" in kw else None)
    return path


@pytest.mark.parametrize(
    "mmsi",
    [
        pa.array([{"id": 412000001}, {"id": 412000002}]),
        pa.array([[412000001], [412000002]]),
        pa.array([{"a": "412000001"}, {"a": "x"}], type=pa.map_(pa.string(), pa.string())),
        pa.array([b"412000001", b"\xff\xfe"], type=pa.binary()),
    ],
    ids=["struct", "list", "map", "binary_not_utf8"],
)
def test_parquet_column_of_the_wrong_type_is_a_clear_error(tmp_path, mmsi):
    path = _parquet(tmp_path / "bad.parquet", mmsi)
    with pytest.raises(ValueError, match=r"bad\.parquet.*column 'mmsi'"):
        read_ais(path)


def test_parquet_geometry_that_is_not_a_point_encoding_is_a_clear_error(tmp_path):
    # GeoArrow's native "point" encoding is read (tests/ingest/test_parquet.py);
    # a native line string is no AIS position.
    line = pa.array([[{"x": 1.0, "y": 2.0}, {"x": 1.5, "y": 2.5}]])
    table = pa.table(
        {"mmsi": ["412000001"], "timestamp": ["2020-01-01T00:00:00Z"], "geometry": line}
    )
    geo = {"primary_column": "geometry", "columns": {"geometry": {"encoding": "linestring"}}}
    table = table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    pq.write_table(table, tmp_path / "native.geoparquet")
    with pytest.raises(ValueError, match=r"native\.geoparquet.*geometry column 'geometry'"):
        read_ais(tmp_path / "native.geoparquet")


def test_parquet_text_stored_as_binary_is_read(tmp_path):
    path = _parquet(tmp_path / "spark.parquet", pa.array([b"412000001", b"412000002"]))
    result = read_ais(path)
    assert result.positions["mmsi"].tolist() == ["412000001", "412000002"]


def test_parquet_limits(tmp_path):
    n = 10
    names = pa.array(["JIN HAI"] * 4 + ["B" * 2000] + ["JIN HAI"] * (n - 5))
    path = _parquet(
        tmp_path / "rows.parquet", pa.array([f"41200000{i}" for i in range(n)]), shipname=names
    )
    result = read_ais(path)
    assert result.files[0]["quarantined_by_reason"] == {"field_too_long": 1}
    assert result.quarantine["line"].tolist() == [5.0]
    assert result.quarantine["raw"].str.len().tolist() == [RAW_KEPT_CHARS]

    chunks = list(iter_ais(path, chunk_rows=3, limits=IngestLimits(max_rows=7)))
    report = merge_reports([c.files[0] for c in chunks])
    assert (report["rows_in"], report["positions"]) == (8, 6)
    assert report["quarantined_by_reason"] == {"field_too_long": 1, "row_limit_reached": 1}
    assert report["limit_reached"] == "max_rows"

    groups = tmp_path / "groups.parquet"
    table = pq.read_table(path)
    pq.write_table(table, groups, row_group_size=2)
    meta = pq.ParquetFile(groups).metadata
    first_two = sum(
        meta.row_group(i).column(j).total_uncompressed_size
        for i in range(2)
        for j in range(meta.num_columns)
    )
    result = read_ais(groups, limits=IngestLimits(max_decompressed_bytes=first_two))
    report = result.files[0]
    assert report["limit_reached"] == "max_decompressed_bytes"
    assert (report["rows_in"], report["positions"]) == (5, 4)
    assert result.quarantine["line"].tolist() == [5.0]
    assert result.balanced


def test_store_counts_what_the_limits_quarantine(tmp_path):
    path = _single_line_bomb(tmp_path / "one_line.csv.gz", 3)
    reports = write_store([path], tmp_path / "store", limits=IngestLimits(max_line_bytes=MiB))
    assert reports[0]["quarantined_by_reason"] == {"line_too_long": 1}
    assert reports[0]["positions"] == 4


def test_limits_from_settings_reach_the_run_config(tmp_path, monkeypatch):
    from vessel_risk.pipeline.config import RunConfig
    from vessel_risk.settings import Settings

    monkeypatch.setenv("VESSEL_RISK_INGEST_MAX_LINE_BYTES", "4096")
    monkeypatch.setenv("VESSEL_RISK_INGEST_MAX_ROWS", "10")
    settings = Settings()
    assert IngestLimits.from_settings(settings) == IngestLimits(max_line_bytes=4096, max_rows=10)
    ais = tmp_path / "rows.csv"
    ais.write_bytes(HEADER + ROW)
    config = RunConfig.from_settings(settings, out_dir=tmp_path / "out", ais_paths=[ais])
    assert config.ingest_limits.max_rows == 10
    assert config.ingest_limits.max_field_chars == IngestLimits().max_field_chars
    with pytest.raises(ValueError, match="'ingest_limits' parameter of RunConfig"):
        RunConfig(out_dir=tmp_path / "out", ais_paths=[ais], ingest_limits=4096)  # type: ignore[arg-type]
    monkeypatch.setenv("VESSEL_RISK_INGEST_MAX_ROWS", "0")
    with pytest.raises(ValueError, match="'max_rows' parameter of IngestLimits"):
        IngestLimits.from_settings(Settings())
