"""Properties of ingest on arbitrary and corrupted input (hypothesis).

The contract (see ``vessel_risk.ingest``): :func:`read_ais` raises ``ValueError``
only when a file as a whole is not AIS it can read (empty, no header of a known
dialect, corrupt Parquet or gzip; the CLI turns it into exit code 2). Otherwise it
never raises, and every row read is a position, a static report or quarantined.
"""

from __future__ import annotations

import gzip
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import SHARED
from vessel_risk.ingest import iter_ais, merge_reports, read_ais

CSV_HEADER = b"mmsi,timestamp,lat,lon,speed_knots,course,heading,shipname\n"
SAMPLES = {
    "canonical": SHARED / "cases" / "C10_malformed_rows.csv",
    "nmea_tag_blocks": SHARED / "data" / "ais" / "nmea" / "tagblock_20211101.nm4",
    "nmea_metadata": SHARED / "data" / "ais" / "nmea" / "receiver_log_201201.nmea",
    "gfw_raw": SHARED / "data" / "ais" / "squid_jiggers_raw" / "fuyuanyu_715.csv.gz",
    "c06": SHARED / "cases" / "C06_multipart_fragments.nmea",
}
# An exception pyarrow swallows inside a callback is still a bug: fail on it.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _lines(name: str, n: int = 60) -> list[bytes]:
    path = SAMPLES[name]
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the shared data beside the checkout")
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.splitlines(keepends=True)[:n]


def check(path: Path) -> None:
    """The contract: a ValueError for a whole unreadable file, else balanced counts."""
    try:
        r = read_ais(path)
    except ValueError:
        return
    assert r.balanced, r.files
    assert r.quarantine["reason"].notna().all()
    assert r.positions["mmsi"].str.len().eq(9).all()


@FAST
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".nmea", ".parquet"]))
def test_arbitrary_bytes_never_crash(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"f{suffix}"
    path.write_bytes(data)
    check(path)


@FAST
@given(body=st.binary(max_size=2000), gz=st.booleans())
def test_bytes_after_a_valid_header_are_quarantined_not_fatal(tmp_path_factory, body, gz):
    path = tmp_path_factory.mktemp("fuzz") / "f.csv"
    data = CSV_HEADER + body
    path.write_bytes(gzip.compress(data) if gz else data)
    r = read_ais(path)  # a readable header: never an exception
    # Every line after the header is a row in, as the CSV reader splits lines
    # (``\n``, ``\r\n`` or a lone ``\r``; a last line without its newline counts).
    ends = len(re.findall(rb"\r\n|\r|\n", body))
    lines = ends + (1 if body and not body.endswith((b"\n", b"\r")) else 0)
    assert r.rows_in == lines, r.files
    assert r.balanced


# A generated CSV: rows of known content, and corrupted lines of known fate.
T0 = datetime(2000, 1, 1)
VALID_MMSI = st.integers(201_000_000, 775_999_999).map(lambda n: f"{n:09d}")
DEGREES = st.integers(-90_00000, 90_00000).map(lambda n: n / 100_000)
NAME = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ", max_size=12).map(lambda s: "V" + s)
"""A ship name: never a placeholder ("none", "unknown"); spaces around it are stripped."""
WHEN = st.datetimes(min_value=T0, max_value=datetime(2030, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
ZONE = st.sampled_from(["Z", "", "+02:00", "-05:30"])
OFFSET = {"Z": 0, "": 0, "+02:00": 120, "-05:30": -330}  # minutes east of UTC


@st.composite
def csv_rows(draw):
    """One line of a canonical CSV and what ingest must make of it.

    Returns ``(text, fate)``: fate is ``("position", mmsi, utc, lat, lon)``,
    ``("static", mmsi, utc, name)`` or ``("quarantined", reason)``.
    """
    kind = draw(
        st.sampled_from(
            [
                "position",
                "static",
                "few_fields",
                "empty",
                "blank",
                "bad_mmsi",
                "bad_time",
                "bad_lat",
                "no_position_no_identity",
            ]
        )
    )
    mmsi, when, zone = draw(VALID_MMSI), draw(WHEN), draw(ZONE)
    sep = "T" if zone else " "
    stamp = when.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + zone
    utc = pd.Timestamp(when, tz="UTC") - pd.Timedelta(minutes=OFFSET[zone])
    lat, lon, name = draw(DEGREES), draw(DEGREES) * 2, draw(NAME)
    if kind == "position":
        return f"{mmsi},{stamp},{lat!r},{lon!r},3.5,90.0,91,{name}", (kind, mmsi, utc, lat, lon)
    if kind == "static":
        return f"{mmsi},{stamp},,,,,,{name}", (kind, mmsi, utc, name.strip())
    if kind == "few_fields":
        return f"{mmsi},{stamp},{lat!r}", ("quarantined", "malformed_line")
    if kind == "empty":  # pyarrow reads an empty line as a row of nulls
        return "", ("quarantined", "missing_mmsi")
    if kind == "blank":  # one field of spaces: a line that does not parse
        return " " * draw(st.integers(1, 3)), ("quarantined", "empty_line")
    if kind == "bad_mmsi":
        junk = draw(st.sampled_from(["12AB", "1234567890", "4120000O1"]))
        return f"{junk},{stamp},{lat!r},{lon!r},,,,", ("quarantined", "mmsi_not_numeric_9_digits")
    if kind == "bad_time":
        junk = draw(st.sampled_from(["soon", "2021-13-45T00:00:00Z", "??"]))
        return f"{mmsi},{junk},{lat!r},{lon!r},,,,", ("quarantined", "invalid_timestamp")
    if kind == "bad_lat":
        return f"{mmsi},{stamp},north,{lon!r},,,,", ("quarantined", "non_numeric_lat")
    return f"{mmsi},{stamp},,,,,,", ("quarantined", "no_position_no_identity")


@FAST
@given(
    rows=st.lists(csv_rows(), max_size=40),
    gz=st.booleans(),
    chunk_bytes=st.integers(64, 4096),
    crlf=st.booleans(),
)
def test_generated_csv_rows_come_back_exactly(tmp_path_factory, rows, gz, chunk_bytes, crlf):
    """Rows in = positions + static + quarantined, each row where its content sends it.

    Counted against the generator, not the reader's report: every valid row comes back
    with its MMSI, UTC time and position (or name) exactly, at its line, and every
    corrupted line is quarantined at its line with its reason; read whole or in chunks.
    """
    newline = "\r\n" if crlf else "\n"
    text = CSV_HEADER.decode().rstrip("\n") + newline
    text += "".join(line + newline for line, _ in rows)
    data = text.encode()
    path = tmp_path_factory.mktemp("gen") / ("f.csv.gz" if gz else "f.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    line_of = {i: float(i + 2) for i in range(len(rows))}  # the header is line 1
    positions = [(line_of[i], *f[1:]) for i, (_, f) in enumerate(rows) if f[0] == "position"]
    static = [(line_of[i], *f[1:]) for i, (_, f) in enumerate(rows) if f[0] == "static"]
    quarantined = sorted(
        (line_of[i], f[1]) for i, (_, f) in enumerate(rows) if f[0] == "quarantined"
    )

    whole = read_ais(path)
    chunks = list(iter_ais(path, chunk_bytes=chunk_bytes))
    stacked = (
        pd.concat([c.positions for c in chunks], ignore_index=True),
        pd.concat([c.static for c in chunks], ignore_index=True),
        pd.concat([c.quarantine for c in chunks], ignore_index=True),
        merge_reports([c.files[0] for c in chunks]),
    )
    for pos, stat, quar, report in [
        (whole.positions, whole.static, whole.quarantine, whole.files[0]),
        stacked,
    ]:
        assert report["rows_in"] == len(rows) == len(pos) + len(stat) + len(quar)
        got = list(
            zip(pos["line"], pos["mmsi"], pos["timestamp"], pos["lat"], pos["lon"], strict=True)
        )
        assert got == positions
        got = list(
            zip(stat["line"], stat["mmsi"], stat["timestamp"], stat["shipname"], strict=True)
        )
        assert got == static
        assert sorted(zip(quar["line"], quar["reason"], strict=True)) == quarantined


def _mutate(lines: list[bytes], ops: list[tuple[int, int, int, bytes]]) -> bytes:
    out = list(lines)
    for kind, i, j, junk in ops:
        if not out:
            break
        i %= len(out)
        line = out[i]
        if kind == 0:  # truncate a line
            out[i] = line[: j % (len(line) + 1)]
        elif kind == 1:  # random bytes inside a line
            k = j % (len(line) + 1)
            out[i] = line[:k] + junk + line[k:]
        elif kind == 2:  # swap two fields
            parts = line.rstrip(b"\r\n").split(b",")
            a, b = j % len(parts), (j // 7) % len(parts)
            parts[a], parts[b] = parts[b], parts[a]
            out[i] = b",".join(parts) + b"\n"
        elif kind == 3:  # drop a line (an orphan fragment, a lost header)
            del out[i]
        elif kind == 4:  # duplicate a line
            out.insert(i, line)
        elif kind == 5:  # the line in another encoding
            out[i] = line.decode("latin-1").encode("utf-16")
    return b"".join(out)


MUTATIONS = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.integers(0, 10_000),
        st.integers(0, 10_000),
        st.binary(min_size=1, max_size=12),
    ),
    min_size=1,
    max_size=8,
)


@FAST
@given(name=st.sampled_from(sorted(SAMPLES)), ops=MUTATIONS, gz=st.booleans())
def test_corrupted_real_files_balance(tmp_path_factory, name, ops, gz):
    data = _mutate(_lines(name), ops)
    path = tmp_path_factory.mktemp("fuzz") / "f.dat"
    path.write_bytes(gzip.compress(data) if gz else data)
    check(path)


@FAST
@given(ops=MUTATIONS)
def test_corrupted_nmea_never_loses_a_sentence(tmp_path_factory, ops):
    """Every non-blank, non-comment line of a corrupted log lands somewhere."""
    lines = _lines("nmea_tag_blocks", 80)
    data = _mutate(lines[1:], ops)  # keep line 1 so the file stays NMEA
    data = lines[0] + data
    path = tmp_path_factory.mktemp("fuzz") / "f.nmea"
    path.write_bytes(data)
    r = read_ais(path)
    assert r.balanced
    report = r.files[0]
    sentences = report["rows_in"] + report["multipart_messages"]  # two lines, one message
    # the reader splits at LF (CRs before it are the line end) and at a lone CR
    text = [
        piece
        for line in data.decode("latin-1").split("\n")
        for piece in line.rstrip("\r\n").split("\r")
    ]
    records = [t for t in text if t.strip() and not t.strip().startswith("#")]
    assert sentences <= len(records)
    assert (
        report["blank_or_comment_lines"] + sentences >= len(records) - report["multipart_messages"]
    )
