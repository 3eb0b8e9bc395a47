"""Line-level helpers of the CSV reader (:mod:`vessel_risk.ingest.csv`): the line-by-line
fallback for blocks pyarrow will not parse, the field-length
check of the limits, and the parsed block (:class:`_CsvBlock`). Pure functions of bytes,
text and Arrow arrays.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


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
