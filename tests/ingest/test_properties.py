"""Properties of ingest on arbitrary and corrupted input (hypothesis).

The contract (see ``vessel_risk.ingest``): :func:`read_ais` raises ``ValueError``
only when a file as a whole is not AIS it can read (empty, no header of a known
dialect, corrupt Parquet or gzip; the CLI turns it into exit code 2). Otherwise it
never raises, and every row read is a position, a static report or quarantined.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vessel_risk.ingest import read_ais

from ..conftest import SHARED

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
    assert r.balanced and r.rows_in >= 0


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
    text = data.decode("latin-1").split("\n")  # the reader splits at newlines only
    records = [t for t in text if t.strip() and not t.strip().startswith("#")]
    assert sentences <= len(records)
    assert (
        report["blank_or_comment_lines"] + sentences >= len(records) - report["multipart_messages"]
    )
