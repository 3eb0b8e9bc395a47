"""Line-level helpers of the CSV reader (:mod:`vessel_risk.ingest.csv`): a block of whole
lines parsed by pyarrow (:func:`_parse_block`) with its line-by-line fallback for blocks
pyarrow will not parse, the field-length check of the limits, and the parsed block
(:class:`_CsvBlock`). Pure functions of bytes, text and Arrow arrays.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from vessel_risk.ingest.limits import _line_total


def _read_lines_python(
    text: str, names: list[str]
) -> tuple[pd.DataFrame, list[tuple[int, str]], list[int]]:
    """Line-by-line fallback for blocks pyarrow will not parse: never raises on content.

    Line numbers are 1-based within ``text``.
    """
    rows: list[list[str | None]] = []
    good: list[int] = []
    bad: list[tuple[int, str]] = []
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        text_line = line.rstrip("\r\n")
        try:
            fields = next(csv.reader([text_line]), [])
        except csv.Error:
            fields = []
        if len(fields) == len(names) or (not text_line and len(names) > 0):
            values: list[str | None] = [f if f != "" else None for f in fields] or [None] * len(
                names
            )
            rows.append(values)
            good.append(number)
        else:
            bad.append((number, text_line))
    frame = pd.DataFrame(rows, columns=names, dtype="object")
    return frame, bad, good


def _field_lengths_over(columns: list[pa.Array | pa.ChunkedArray], limit: int) -> np.ndarray:
    """Whether each row has a field longer than ``limit`` characters (text columns)."""
    n = len(columns[0]) if columns else 0
    over = np.zeros(n, dtype=bool)
    for col in columns:
        length = pc.utf8_length(col)
        over |= pc.fill_null(pc.greater(length, limit), False).to_numpy(zero_copy_only=False)
    return over


@dataclass
class _CsvBlock:
    """One block of whole lines of a CSV, parsed with every column as text."""

    frame: pd.DataFrame
    malformed: pd.DataFrame  # ``line`` (absolute, 1-based), ``raw``, ``reason`` (or None)
    lines: np.ndarray  # absolute line number of each row of ``frame``
    rows_in: int  # data rows in the block: rows of ``frame`` plus malformed lines
    limit_reached: str | None = None  # the limit reading stopped at, on the last block
    # Every column of the rows of ``frame`` as Arrow text, when ``frame`` holds only the
    # columns the dialect reads (a 139-column file keeps 20 or so in pandas); None
    # when ``frame`` holds them all. Limits and raw lines read every column from it.
    table: pa.Table | None = None
    # Parses every column of the block's rows when a limit or the row limit needs them
    # and ``frame`` holds only the dialect's columns (a wide file's usual block is
    # parsed for those alone: pyarrow then converts 14 of 139 columns, 4x less work).
    full: Callable[[], pa.Table] | None = None

    def full_table(self) -> pa.Table | None:
        """Every column of the rows of ``frame`` as Arrow text (None: ``frame`` has them)."""
        if self.table is None and self.full is not None:
            self.table = self.full()
            self.full = None
        return self.table

    def full_rows(self, rows: np.ndarray) -> pd.DataFrame:
        """Every column of the rows of ``frame`` at positions ``rows``, as text."""
        if self.full_table() is None:
            return self.frame.iloc[rows]
        assert self.table is not None
        part = self.table.take(pa.array(np.asarray(rows, dtype="int64"))).to_pandas()
        part.columns = list(self.table.column_names)
        part.index = self.frame.index[rows]
        return part


def _parse_block(
    data: bytes,
    names: list[str],
    encoding: str,
    first_line: int,
    wanted: frozenset[str] | None = None,
    line_count: int | None = None,
) -> _CsvBlock:
    """Parse whole CSV lines (no header); ``first_line`` is the file line number of the first.

    ``line_count``, when the caller has counted them (:class:`~vessel_risk.ingest.limits._Lines`),
    is the number of lines in ``data`` as pyarrow counts them.

    With ``wanted``, the block's ``frame`` holds only those columns (in file order) and
    ``table`` every column as Arrow text: turning 139 text columns into pandas was most
    of the time spent reading a wide file, for columns no stage reads.
    """
    keep = [i for i, n in enumerate(names) if n in wanted] if wanted is not None else None
    if keep is not None and (len(keep) == len(names) or len(set(names)) < len(names)):
        keep = None  # nothing to leave out, or names pyarrow could not tell apart
    bad: list[tuple[int | None, str]] = []

    def parse(
        columns: list[str] | None, invalid: list[tuple[int | None, str]], threads: bool = False
    ) -> pa.Table:
        def on_invalid(row: pacsv.InvalidRow) -> str:
            invalid.append((row.number, row.text))
            return "skip"

        return pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                use_threads=threads,
                column_names=names,
                encoding=encoding,
                block_size=1 << 24,
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=on_invalid, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True,
                include_columns=columns,
            ),
        )

    if line_count is None:
        line_count = _line_total(data)
    columns = None if keep is None else [names[i] for i in keep]
    table = None
    with contextlib.suppress(pa.ArrowInvalid, UnicodeDecodeError):
        # pyarrow's threads first (its 16 MiB parts on every core); a block with any
        # invalid row is parsed again on one thread, which numbers the invalid rows.
        table = parse(columns, bad, threads=True)
    if table is None or bad or len(table) != line_count:
        table, bad = None, []
    try:
        # Only the dialect's columns are converted; the rows (and the invalid ones) are
        # the same whatever columns are kept, since every field is tokenised.
        if table is None:
            table = parse(columns, bad)
        # A stray quote makes pyarrow read the following lines as one quoted field,
        # hiding them in a single record: AIS fields never span lines, so fewer records
        # than lines means exactly that.
        if b'"' in data and len(table) + len(bad) != line_count:
            raise pa.ArrowInvalid("a quoted field runs over several lines")
    except (pa.ArrowInvalid, UnicodeDecodeError):
        # Rows pyarrow refuses outright (overlong rows, stray quotes): read this block
        # line by line so one bad line costs only itself.
        frame, bad_rows, good = _read_lines_python(data.decode(encoding, "replace"), names)
        shift = first_line - 1
        return _CsvBlock(
            frame,
            pd.DataFrame(
                {"line": [float(n + shift) for n, _ in bad_rows], "raw": [t for _, t in bad_rows]}
            ),
            np.array(good, dtype="int64") + shift,
            len(frame) + len(bad_rows),
        )
    keep = [i for i, n in enumerate(names) if n in wanted] if wanted is not None else None
    full: Callable[[], pa.Table] | None = None
    if keep is not None:
        frame = table.to_pandas()
        frame.columns = [names[i] for i in keep]

        def full() -> pa.Table:
            return parse(None, []).rename_columns(names)

    else:
        frame = table.to_pandas()
        frame.columns = names
    shift = first_line - 1
    bad_lines = np.array([n for n, _ in bad if n is not None], dtype="int64")
    total = len(frame) + len(bad)
    all_lines = np.arange(1, total + 1)
    good_lines = np.setdiff1d(all_lines, bad_lines, assume_unique=True)[: len(frame)]
    malformed = pd.DataFrame(
        {
            "line": [float(n + shift) if n is not None else np.nan for n, _ in bad],
            "raw": [t for _, t in bad],
        }
    )
    return _CsvBlock(frame, malformed, good_lines + shift, total, None, None, full)
