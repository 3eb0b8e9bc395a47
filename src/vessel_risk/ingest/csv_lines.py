"""Line-level helpers of the CSV reader (:mod:`vessel_risk.ingest.csv`): the line-by-line
fallback for blocks pyarrow will not parse, pyarrow's line count, and the field-length
check of the limits. Pure functions of bytes, text and Arrow arrays.
"""

from __future__ import annotations

import csv
import io

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


def _line_count(data: bytes, encoding: str) -> int:
    """Lines in a block of whole lines, ending at ``\n``, ``\r\n`` or ``\r`` as in pyarrow."""
    text = data.decode(encoding, "replace")
    ends = text.count("\n") + text.count("\r") - text.count("\r\n")
    return ends + (0 if not text or text.endswith(("\n", "\r")) else 1)


def _field_lengths_over(columns: list[pa.Array | pa.ChunkedArray], limit: int) -> np.ndarray:
    """Whether each row has a field longer than ``limit`` characters (text columns)."""
    n = len(columns[0]) if columns else 0
    over = np.zeros(n, dtype=bool)
    for col in columns:
        length = pc.utf8_length(col)
        over |= pc.fill_null(pc.greater(length, limit), False).to_numpy(zero_copy_only=False)
    return over
