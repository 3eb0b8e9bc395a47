"""CSV files (gzipped or not), read in blocks of whole lines and judged with pandas.

The header names the dialect (:mod:`vessel_risk.ingest.dialects`) before anything
else is read, so a large file that is not AIS fails at once. A first pass over the
bytes decides the text encoding (UTF-8, else Latin-1: every byte is a character,
nothing is lost) and whether the file holds a ``/`` at all. The rest is cut into
blocks of about :data:`CHUNK_BYTES` that end at a newline, each parsed by pyarrow with
every column as text; lines pyarrow refuses (wrong field count, a stray quote that
would swallow the following lines) cost only themselves and are quarantined as
``malformed_line`` or ``empty_line`` with their file line number (the header is
line 1). When a file is longer than one block and holds slash dates, their order
(``dd/mm/yyyy`` or ``mm/dd/yyyy``) is decided once over the whole timestamp column.

Each block is then judged by :func:`_parse`, the pandas path, with the verdicts of
:mod:`vessel_risk.ingest.verdicts`; Parquet takes the Arrow path
(:mod:`vessel_risk.ingest.parquet`) to the same verdicts.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vessel_risk.ingest.csv_lines import (
    _CsvBlock,
    _field_lengths_over,
    _parse_block,
)
from vessel_risk.ingest.dialects import DIALECT_COLUMNS, _is_gzip, _standardize, detect_dialect
from vessel_risk.ingest.limits import (
    DEFAULT_LIMITS,
    RAW_KEPT_CHARS,
    IngestLimits,
    _Budget,
    _line_blocks,
    _Lines,
)
from vessel_risk.ingest.quarantine import raw_text
from vessel_risk.ingest.result import IngestResult, _chunk_result
from vessel_risk.ingest.schemas import (
    EXTRA_TEXT,
    IDENTITY_FIELDS,
    NUMERIC,
    OPTIONAL_BOOLEAN,
    OPTIONAL_NUMERIC,
    POSITION_COLUMNS,
    STANDARD_COLUMNS,
    STATIC_COLUMNS,
)
from vessel_risk.ingest.timestamps import _iso_text, _parse_timestamps, _slash_evidence
from vessel_risk.ingest.verdicts import (
    ARROW_STRING,
    _ais_class,
    _ais_shiptype,
    _booleans,
    _clean_text,
    _normalize_mmsi,
    _not_vessel_report,
    _numbers,
    _strings,
)

CHUNK_BYTES = 64 << 20
"""The most CSV bytes (decompressed) read at a time (:func:`_block_bytes`)."""
BLOCK_ROWS = 150_000
"""Rows a CSV block aims at: memory follows rows (each becomes some 30 typed values in
pandas) as much as bytes, so a narrow file's block is cut shorter (:func:`_block_bytes`)."""
BLOCK_FIELDS = 20_000_000
"""Fields (rows x columns) a CSV block aims at: a block whose every column must be read
(a line long enough to hold an overlong field) holds that many Arrow strings."""


def _block_bytes(path: Path, names: list[str], limits: IngestLimits) -> int:
    """Bytes per block for this file: about :data:`BLOCK_ROWS` rows and at most
    :data:`BLOCK_FIELDS` fields, by the mean line of the first MiB, within 1 MiB and
    :data:`CHUNK_BYTES`.

    Measured peaks of ``vessel-risk ingest`` (benchmarks/README.md, issue 15 session 6):
    the 139-column decoded CSV (500 bytes a line) keeps 64 MiB blocks, a 17-column NOAA
    file (114 bytes a line) gets 16 MiB ones; both stay under 1 GiB.
    """
    with _opened(path, limits) as fh:
        fh.readline(limits.max_line_bytes + 2)  # the header
        sample = fh.read(1 << 20)
    lines = sample.count(b"\n")
    if not lines:  # not one whole line in a MiB: few rows per block whatever its size
        return CHUNK_BYTES
    per_line = (sample.rfind(b"\n") + 1) / lines
    rows = min(BLOCK_ROWS, BLOCK_FIELDS // max(1, len(names)))
    return int(min(CHUNK_BYTES, max(1 << 20, rows * per_line)))


def _header_names(first: str) -> list[str]:
    """The column names in a header line: unquoted, no BOM, repeated names numbered."""
    try:
        fields = next(csv.reader([first]), [])
    except csv.Error:  # stray carriage returns or NULs: not a header of ours anyway
        fields = first.split(",")
    names = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(fields):
        name = raw.strip().strip('"').lstrip("\ufeff")
        if i == 0:
            name = name.lstrip("#").strip()  # the Danish Maritime Authority's "# Timestamp"
        if name in seen:  # pandas would return a frame for a repeated name
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


@contextlib.contextmanager
def _opened(path: Path, limits: IngestLimits) -> Iterator[_Budget]:
    """The file's (decompressed) bytes, a gzipped file's only up to its decompressed limit."""
    if _is_gzip(path):
        with gzip.open(path, "rb") as fh:
            yield _Budget(fh, limits.max_decompressed_bytes)  # type: ignore[arg-type]
    else:
        with open(path, "rb") as fh:
            yield _Budget(fh, None)


def _scan(path: Path, limits: IngestLimits, chunk: int = 1 << 24) -> tuple[bool, bool]:
    """Whether the whole (decompressed) file is UTF-8, and whether it holds a ``/``.

    Read in bounded chunks, up to the decompressed limit. A file without any slash
    cannot hold ``dd/mm/yyyy`` dates.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    valid, slash = True, False
    buffer = bytearray(chunk)  # filled again and again: no fresh pages per read
    with _opened(path, limits) as fh:
        while n := fh.readinto(memoryview(buffer)):
            block = memoryview(buffer)[:n]
            slash = slash or buffer.find(b"/", 0, n) >= 0
            ascii_only = (buffer if n == len(buffer) else buffer[:n]).isascii()
            if valid and not (ascii_only and not decoder.getstate()[0]):
                try:  # ASCII after whole characters is UTF-8: no text is made for it
                    decoder.decode(block)
                except UnicodeDecodeError:
                    valid = False
        if valid and not fh.exceeded:  # a file cut at its limit may end mid-character
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                valid = False
    return valid, slash


def _placeholder(names: list[str]) -> bytes:
    """A line that stands for one over the length limit: one field too many, never a row."""
    return b"," * len(names) + b"\n"


def _text(raw: bytes, encoding: str) -> str:
    """The first :data:`~vessel_risk.ingest.limits.RAW_KEPT_CHARS` characters of ``raw``."""
    return raw.decode(encoding, "replace").rstrip("\r\n")[:RAW_KEPT_CHARS]


def _with_limits(
    block: _CsvBlock, lines: _Lines, first_line: int, encoding: str, max_field: int
) -> _CsvBlock:
    """``block`` with its overlong lines and rows with overlong fields quarantined.

    Lines replaced by their placeholder (:func:`_placeholder`) are malformed rows of
    the block: they get the reason ``line_too_long`` and their kept start as raw text.
    Rows with a field over ``max_field`` characters leave the frame as ``field_too_long``.
    """
    malformed = block.malformed
    if "reason" not in malformed.columns:
        malformed = malformed.assign(reason=pd.Series([None] * len(malformed), dtype=object))
    if lines.long:
        long_raw = {float(i + first_line): _text(raw, encoding) for i, raw in lines.long}
        is_long = malformed["line"].isin(long_raw).to_numpy()
        malformed.loc[is_long, "reason"] = "line_too_long"
        malformed.loc[is_long, "raw"] = malformed.loc[is_long, "line"].map(long_raw)
    frame, good = block.frame, block.lines
    table = block.full_table() if len(frame) and lines.longest > max_field else block.table
    if len(frame) and lines.longest > max_field:  # else no field can be over the limit
        if table is not None:
            columns = list(table.columns)
        else:
            columns = [pa.array(frame[c], type=pa.large_string(), from_pandas=True) for c in frame]
        over = _field_lengths_over(columns, max_field)
        if over.any():
            raw = raw_text(block.full_rows(np.flatnonzero(over))).str.slice(0, RAW_KEPT_CHARS)
            malformed = pd.concat(
                [
                    malformed,
                    pd.DataFrame(
                        {
                            "line": good[over].astype("float64"),
                            "raw": raw.to_numpy(dtype=object),
                            "reason": "field_too_long",
                        }
                    ),
                ],
                ignore_index=True,
            )
            frame = frame.loc[~over].reset_index(drop=True)
            good = good[~over]
            if table is not None:
                table = table.filter(pa.array(~over))
    return _CsvBlock(
        frame,
        malformed,
        good,
        block.rows_in,
        block.limit_reached,
        table,
        block.full if table is None else None,
    )


def _wanted_columns(names: list[str]) -> frozenset[str]:
    """The columns of a file that its dialect's standard frame is made from."""
    dialect = detect_dialect(names)
    renames = DIALECT_COLUMNS[dialect]
    wanted = {n for n in names if n in STANDARD_COLUMNS or renames.get(n) in STANDARD_COLUMNS}
    if dialect == "decoded139":
        wanted |= {"Time", "Millisecond"}
    return frozenset(wanted)


def _csv_header(path: Path, limits: IngestLimits) -> tuple[list[str], str, bool]:
    """Column names, text encoding and whether the file holds a ``/``; fails fast on non-AIS.

    The encoding is UTF-8, or Latin-1 for files that are not valid UTF-8 (every byte is a
    character: nothing is lost). A header line over the line limit is refused.
    """
    try:
        with _opened(path, limits) as fh:
            head = fh.readline(limits.max_line_bytes + 2)
            if len(head.rstrip(b"\r\n")) > limits.max_line_bytes:
                raise ValueError(
                    f"The AIS file {str(path)!r} is not a readable CSV: its header line is "
                    f"longer than the line limit ({limits.max_line_bytes:,} bytes, "
                    "IngestLimits.max_line_bytes)."
                )
            first = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Every dialect's header is ASCII; bytes that are not even UTF-8 there mean
        # this is not a CSV (later lines may be Latin-1: those are read as such).
        raise ValueError(
            f"The AIS file {str(path)!r} is not a readable CSV: its first line is not text."
        ) from exc
    names = _header_names(first.rstrip("\r\n"))
    if not any(names):
        raise ValueError(f"The AIS file {str(path)!r} is empty: it has no header line.")
    detect_dialect(names)  # fail fast, before reading a large file that is not AIS
    valid, slash = _scan(path, limits)
    return names, "utf-8" if valid else "latin-1", slash


def _byte_blocks(
    path: Path, chunk_bytes: int, limits: IngestLimits, placeholder: bytes
) -> Iterator[_Lines]:
    """The (decompressed) bytes after the header line, in blocks of whole lines.

    :func:`~vessel_risk.ingest.limits._line_blocks`: lines over the line limit are
    skipped as they are read (replaced by ``placeholder``), a gzipped file is read up
    to its decompressed limit. Only the last block's last line may lack its newline.
    """
    with _opened(path, limits) as fh:
        fh.readline(limits.max_line_bytes + 2)  # the header, checked by _csv_header
        yield from _line_blocks(
            fh, chunk_bytes=chunk_bytes, max_line=limits.max_line_bytes, placeholder=placeholder
        )


def _marker(line: int, raw: str, reason: str) -> pd.DataFrame:
    """The one quarantined row that marks where reading stopped at a limit."""
    return pd.DataFrame({"line": [float(line)], "raw": [raw], "reason": [reason]})


def _csv_blocks(
    path: Path, names: list[str], encoding: str, chunk_bytes: int, limits: IngestLimits
) -> Iterator[_CsvBlock]:
    """Parsed blocks of a CSV, with file line numbers (the header is line 1).

    Lines and fields over their limits are quarantined (:func:`_with_limits`). Reading
    stops after ``limits.max_rows`` data lines, or at a gzipped file's decompressed
    limit: the last block then holds one more quarantined row, ``row_limit_reached`` or
    ``decompressed_size_limit``, at the line where reading stopped, and says so in
    ``limit_reached``.
    """
    next_line = 2
    last_line = limits.max_rows + 1  # the last data line read
    wanted = _wanted_columns(names)
    for lines in _byte_blocks(path, chunk_bytes, limits, _placeholder(names)):
        block = _parse_block(lines.data, names, encoding, next_line, wanted, lines.lines)
        block = _with_limits(block, lines, next_line, encoding, limits.max_field_chars)
        end = next_line + block.rows_in  # the line after the block
        if end - 1 > last_line:
            keep = block.lines <= last_line
            first_unread = block.full_rows(np.flatnonzero(~keep)[:1])
            unread = block.malformed[block.malformed["line"] > last_line]
            raw = ""
            if len(first_unread) and (unread.empty or block.lines[~keep][0] < unread["line"].min()):
                raw = str(raw_text(first_unread).iloc[0])[:RAW_KEPT_CHARS]
            elif len(unread):
                raw = str(unread.sort_values("line")["raw"].iloc[0])[:RAW_KEPT_CHARS]
            malformed = block.malformed[block.malformed["line"] <= last_line]
            yield _CsvBlock(
                block.frame.loc[keep].reset_index(drop=True),
                pd.concat(
                    [malformed, _marker(last_line + 1, raw, "row_limit_reached")],
                    ignore_index=True,
                ),
                block.lines[keep],
                last_line + 1 - next_line + 1,
                "max_rows",
            )
            return
        if lines.cut is not None:
            block.malformed = pd.concat(
                [
                    block.malformed,
                    _marker(end, _text(lines.cut, encoding), "decompressed_size_limit"),
                ],
                ignore_index=True,
            )
            block.rows_in += 1
            block.limit_reached = "max_decompressed_bytes"
        next_line = end
        yield block


def _read_ahead(blocks: Iterator[_CsvBlock]) -> Iterator[_CsvBlock]:
    """``blocks``, the next one read and parsed on a thread while the caller handles this one.

    Reading and pyarrow's parse release the GIL, so on two cores they overlap the
    verdicts and the writing of the block before. At most two blocks are held (the one
    yielded and the one being read); an exception of ``blocks`` is raised here.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="csv-read-ahead") as pool:
        pending = pool.submit(next, blocks, None)
        while (block := pending.result()) is not None:
            pending = pool.submit(next, blocks, None)
            yield block
            del block  # not held while the caller waits for the next one


def _timestamp_column(names: list[str]) -> str:
    """The name the file's dialect gives its timestamp column."""
    dialect = detect_dialect(names)
    raw = [k for k, v in DIALECT_COLUMNS[dialect].items() if v == "timestamp" and k in names]
    return raw[0] if raw else "timestamp"


def _file_day_first(
    path: Path, names: list[str], encoding: str, chunk_bytes: int, limits: IngestLimits
) -> bool | None:
    """The whole file's ``dd/mm/yyyy`` verdict, as one frame's gives.

    The same rule as :func:`~vessel_risk.ingest.timestamps._slash_day_first`, on the
    evidence of every block of the file. None if no value is a slash date.
    """
    col = _timestamp_column(names)
    if col not in names:
        return None
    seen = first_big = second_big = False
    for block in _csv_blocks(path, names, encoding, chunk_bytes, limits):
        arr = pa.array(block.frame[col].astype(ARROW_STRING), from_pandas=True)
        text = pd.Series(pc.utf8_trim_whitespace(arr))
        s, f, b = _slash_evidence(text)
        seen, first_big, second_big = seen or s, first_big or f, second_big or b
    if not seen:
        return None
    return not (second_big and not first_big)


def _parse(
    frame: pd.DataFrame,
    *,
    source: str,
    dialect: str,
    malformed: pd.DataFrame,
    rows_in: int,
    day_first: bool | None = None,
    iso_raw: bool = False,
) -> IngestResult:
    """Judge the rows of one standard frame (the pandas path), as one chunk's result.

    ``frame`` holds :data:`~vessel_risk.ingest.schemas.STANDARD_COLUMNS` as text (those
    the file has) and ``line``; ``malformed`` the lines that did not parse (``line``,
    ``raw``, and ``reason`` where a limit gave one), quarantined as ``empty_line`` or
    ``malformed_line`` unless their ``reason`` says otherwise. The verdicts are
    :mod:`vessel_risk.ingest.verdicts`'s; ``day_first`` imposes the file's order of
    ``dd/mm/yyyy`` dates (None: decided from ``frame``). ``iso_raw``: the timestamps
    are UTC times read from the decoded dialect's digits
    (:func:`~vessel_risk.ingest.timestamps._compact_utc`), written in quarantined rows'
    raw text as the ISO text they stand for.
    """
    given = malformed["reason"] if "reason" in malformed.columns else None
    quarantine = [
        malformed.assign(
            source=source,
            mmsi=None,
            reason=np.where(
                malformed["raw"].astype(str).str.strip() == "", "empty_line", "malformed_line"
            )
            if len(malformed)
            else "malformed_line",
        )
    ]
    if given is not None and len(malformed):
        quarantine[0]["reason"] = given.where(given.notna(), quarantine[0]["reason"])
    mmsi, why = _normalize_mmsi(frame["mmsi"])
    ts, naive, slash = _parse_timestamps(frame["timestamp"], day_first=day_first)
    reason = why.copy()
    reason[(reason.isna() & ts.isna()).to_numpy()] = "invalid_timestamp"
    if "msg_type" in frame.columns:
        other = _not_vessel_report(frame["msg_type"])
        reason[(reason.isna() & other).to_numpy()] = "not_a_vessel_report"
    numeric = {}
    for col in NUMERIC + OPTIONAL_NUMERIC:
        if col not in frame.columns:
            numeric[col] = pd.Series(np.nan, index=frame.index)
            continue
        num, junk = _numbers(frame[col])
        if junk is not None:
            reason[(reason.isna() & junk).to_numpy()] = f"non_numeric_{col}"
        numeric[col] = num
    for col in OPTIONAL_BOOLEAN:
        if col not in frame.columns:
            numeric[col] = pd.Series(pd.NA, index=frame.index, dtype="boolean")
            continue
        flag, junk = _booleans(frame[col])
        reason[(reason.isna() & junk).to_numpy()] = f"non_boolean_{col}"
        numeric[col] = flag
    no_position = numeric["lat"].isna() & numeric["lon"].isna()
    ident = {}
    for col in IDENTITY_FIELDS + EXTRA_TEXT:
        if col in frame.columns:
            ident[col] = _clean_text(frame[col])
        else:
            ident[col] = _strings(pa.nulls(len(frame), pa.string()), frame.index)
    ident["ais_class"] = _ais_class(ident["ais_class"])
    ident["shiptype"] = _ais_shiptype(ident["shiptype"])
    has_identity = pd.concat({c: ident[c] for c in IDENTITY_FIELDS}, axis=1).notna().any(axis=1)
    reason[(reason.isna() & no_position & ~has_identity).to_numpy()] = "no_position_no_identity"

    bad = reason.notna()
    if bad.any():
        q = frame.loc[bad]
        if iso_raw:  # times read from the decoded dialect's digits: raw text as ISO text
            q = q.assign(timestamp=_iso_text(q["timestamp"]))
        quarantine.append(
            pd.DataFrame(
                {
                    "source": source,
                    "line": q["line"],
                    "mmsi": frame.loc[bad, "mmsi"].astype("string"),
                    "reason": reason[bad],
                    "raw": raw_text(q.drop(columns=["line"])),
                }
            )
        )
    good = ~bad
    typed = pd.DataFrame({"mmsi": mmsi, "timestamp": ts, **numeric, **ident, "line": frame["line"]})
    typed["source"] = source
    is_static = good & no_position
    is_position = good & ~no_position
    if is_position.all():  # the common case: no row to drop, no copy of every column
        positions = typed[POSITION_COLUMNS]
    else:
        positions = typed.loc[is_position, POSITION_COLUMNS].reset_index(drop=True)
    static = typed.loc[is_static, STATIC_COLUMNS].reset_index(drop=True)
    return _chunk_result(positions, static, quarantine, source, dialect, int(rows_in), naive, slash)


def iter_csv(
    path: Path, *, chunk_bytes: int | None = None, limits: IngestLimits = DEFAULT_LIMITS
) -> Iterator[IngestResult]:
    """Read a CSV file (gzipped or not) in blocks of whole lines.

    What :func:`~vessel_risk.ingest.iter_ais` yields for a CSV file.

    The file's text encoding (UTF-8, else Latin-1) and the order of its ``dd/mm/yyyy``
    dates are decided once for the whole file; each block is then judged on its own
    (:func:`_parse`) and keeps the file's line numbers (the header is line 1).

    Parameters
    ----------
    path : Path
        An existing file that :func:`~vessel_risk.ingest.dialects.sniff` calls ``"csv"``.
    chunk_bytes : int, optional
        Bytes (decompressed) per block, cut at a newline; default :func:`_block_bytes`
        (about 150,000 rows, at most 64 MiB), which bounds memory whatever the width.
    limits : IngestLimits, optional
        Line, field, row and decompressed-size limits (:mod:`vessel_risk.ingest.limits`):
        what exceeds them is quarantined, and a file stopped at one says so in
        ``limit_reached``.

    Yields
    ------
    IngestResult
        One per block, at least one; ``files[0]`` adds ``encoding``.

    Raises
    ------
    ValueError
        If the file as a whole is not a readable CSV: its first line is not text, it
        has no header, its header is over the line limit, or pyarrow or gzip fail on it.
    UnknownDialectError
        If the header matches no dialect.
    """
    source = path.name
    try:
        names, encoding, has_slash = _csv_header(path, limits)
        dialect = detect_dialect(names)
        if chunk_bytes is None:
            chunk_bytes = _block_bytes(path, names, limits)
        # dd/mm/yyyy dates may be in several blocks: decided once, over the whole file
        # (for a file of one block that is its own verdict). Blocks are parsed one at a
        # time: holding a second parsed block to see whether there is one cost memory.
        day_first = None
        if has_slash:
            day_first = _file_day_first(path, names, encoding, chunk_bytes, limits)
        for block in _read_ahead(_csv_blocks(path, names, encoding, chunk_bytes, limits)):
            frame = _standardize(block.frame, dialect)
            frame.index = pd.RangeIndex(len(frame))
            frame["line"] = block.lines.astype("float64")
            result = _parse(
                frame,
                source=source,
                dialect=dialect,
                malformed=block.malformed,
                rows_in=block.rows_in,
                day_first=day_first,
                # a CSV's text frame holds UTC times only when read from compact digits
                iso_raw=isinstance(frame["timestamp"].dtype, pd.DatetimeTZDtype),
            )
            result.files[0]["encoding"] = encoding
            if block.limit_reached is not None:
                result.files[0]["limit_reached"] = block.limit_reached
            yield result
    except (pa.ArrowInvalid, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        raise ValueError(f"The AIS file {str(path)!r} is not a readable CSV: {exc}") from exc
