"""Raw NMEA 0183 AIS logs (plain or gzipped) read into an ``IngestResult``.

:mod:`vessel_risk.ingest.nmea` decodes lines of text and knows nothing of files or
frames; this module reads a log's lines (bytes that are not UTF-8 as Latin-1) and
builds the same frames and report as the other readers. A log is read whole, since
multipart messages and the two halves of class B static reports are joined across it.
The report adds the decoder's counts (``messages_decoded``, ``multipart_messages``,
``undated_messages``, ``bad_tag_block_checksum``, ``blank_or_comment_lines``) and the
number of ``vessels``.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from vessel_risk.ingest.dialects import _is_gzip
from vessel_risk.ingest.nmea import decode_lines, join_class_b_halves
from vessel_risk.ingest.quarantine import _stack_quarantine
from vessel_risk.ingest.result import IngestResult
from vessel_risk.ingest.schemas import (
    IDENTITY_FIELDS,
    NUMERIC,
    OPTIONAL_BOOLEAN,
    OPTIONAL_NUMERIC,
    POSITION_COLUMNS,
    STATIC_COLUMNS,
)


def _text_lines(path: Path) -> Iterable[str]:
    """Lines of a (possibly gzipped) text file; bytes that are not UTF-8 read as Latin-1."""
    opener = gzip.open if _is_gzip(path) else open
    with opener(path, "rb") as fh:
        for raw in fh:
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                yield raw.decode("latin-1")


def decoded_frames(lines: Iterable[str], *, source: str) -> IngestResult:
    """Raw NMEA lines as an :class:`~vessel_risk.ingest.result.IngestResult` (no I/O).

    The lines are decoded by :mod:`vessel_risk.ingest.nmea`.

    Parameters
    ----------
    lines : iterable of str
        The lines of one log, in file order.
    source : str
        Name recorded with every row.

    Returns
    -------
    IngestResult
    """
    out = decode_lines(lines)

    def frame(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
        f = pd.DataFrame(rows)
        f = f.reindex(columns=sorted(set(columns) | set(f.columns) | {"time_s"}))
        f["timestamp"] = pd.to_datetime(
            pd.to_numeric(f["time_s"], errors="coerce"), unit="s", utc=True
        ).astype("datetime64[ns, UTC]")
        f["source"] = source
        f["line"] = f["line"].astype("float64")
        return f

    pos = frame(out.positions, POSITION_COLUMNS)
    for col in NUMERIC + OPTIONAL_NUMERIC:
        pos[col] = pos[col].astype("float64")
    for col in OPTIONAL_BOOLEAN:  # raw AIS carries no vessel classification
        pos[col] = pd.array([pd.NA] * len(pos), dtype="boolean")
    static = join_class_b_halves(frame(out.static, [*STATIC_COLUMNS, "part"]))
    text_cols = [*IDENTITY_FIELDS, "destination", "ais_class", "mmsi", "source"]
    for f in (pos, static):
        for col in text_cols:
            if col in f.columns:
                f[col] = f[col].astype("string")
    positions = pos[POSITION_COLUMNS].reset_index(drop=True)
    static = static[STATIC_COLUMNS].reset_index(drop=True)
    quarantine = _stack_quarantine(
        [
            pd.DataFrame(out.quarantine, columns=["line", "mmsi", "reason", "raw"]).assign(
                source=source
            )
        ]
    )
    rows_in = len(positions) + len(static) + len(quarantine)
    report: dict[str, object] = {
        "source": source,
        "dialect": "nmea",
        "rows_in": rows_in,
        "positions": len(positions),
        "static_reports": len(static),
        "quarantined": len(quarantine),
        "naive_timestamps": 0,
        **out.counts,
        "vessels": len(out.mmsis),
        "quarantined_by_reason": {
            str(k): int(v) for k, v in quarantine["reason"].value_counts().items()
        },
    }
    return IngestResult(positions, static, quarantine, [report])


def read_nmea(path: str | Path) -> IngestResult:
    """Read a raw NMEA 0183 AIS log (plain or gzipped), see :mod:`vessel_risk.ingest.nmea`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    IngestResult
        ``files[0]`` adds ``messages_decoded``, ``vessels``, ``multipart_messages``,
        ``undated_messages``, ``bad_tag_block_checksum``, ``blank_or_comment_lines``
        and ``quarantined_by_reason``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"The AIS file {str(path)!r} does not exist.")
    return decoded_frames(_text_lines(path), source=path.name)
