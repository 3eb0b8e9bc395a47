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
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from vessel_risk.ingest.dialects import _is_gzip
from vessel_risk.ingest.limits import DEFAULT_LIMITS, RAW_KEPT_CHARS, IngestLimits, _Budget
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


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class _BoundedLines:
    """Lines of a (possibly gzipped) text file within :class:`IngestLimits`.

    Iterating yields each line as text (bytes that are not UTF-8 read as Latin-1). A
    line over ``max_line_bytes`` is skipped in bounded reads and yielded as ``""`` (a
    blank line to the decoder); it is recorded in ``quarantine`` as ``line_too_long``.
    Reading stops after ``max_rows`` lines or at a gzipped file's decompressed limit,
    with one row ``row_limit_reached`` or ``decompressed_size_limit`` in
    ``quarantine`` and the limit's name in ``limit_reached``.
    """

    def __init__(self, path: Path, limits: IngestLimits) -> None:
        self.path, self.limits = path, limits
        self.quarantine: list[tuple[int, str | None, str, str]] = []
        self.too_long = 0
        self.limit_reached: str | None = None

    def __iter__(self) -> Iterator[str]:
        limits = self.limits
        gz = _is_gzip(self.path)
        opener = gzip.open if gz else open
        with opener(self.path, "rb") as raw_fh:
            fh = _Budget(raw_fh, limits.max_decompressed_bytes if gz else None)  # type: ignore[arg-type]
            number = 0
            while raw := fh.readline(limits.max_line_bytes + 2):
                number += 1
                if number > limits.max_rows:
                    self._stop(number, raw, "row_limit_reached", "max_rows")
                    return
                ended = raw.endswith(b"\n")
                if len(raw.rstrip(b"\r\n")) <= limits.max_line_bytes:
                    if not ended and (fh.read(1) or fh.exceeded):  # cut at the limit
                        self._stop(number, raw, "decompressed_size_limit", "max_decompressed_bytes")
                        return
                    yield _decode(raw)
                    continue
                start = raw
                while not ended and (part := fh.readline(1 << 20)):  # skip the rest, bounded
                    ended = part.endswith(b"\n")
                if not ended and (fh.read(1) or fh.exceeded):
                    self._stop(number, start, "decompressed_size_limit", "max_decompressed_bytes")
                    return
                self.quarantine.append((number, None, "line_too_long", self._raw(start)))
                self.too_long += 1
                yield ""
            if fh.read(1) or fh.exceeded:  # the limit fell at the end of a line
                self._stop(number + 1, b"", "decompressed_size_limit", "max_decompressed_bytes")

    @staticmethod
    def _raw(raw: bytes) -> str:
        return _decode(raw[:RAW_KEPT_CHARS]).rstrip("\r\n")[:RAW_KEPT_CHARS]

    def _stop(self, number: int, raw: bytes, reason: str, limit: str) -> None:
        self.quarantine.append((number, None, reason, self._raw(raw)))
        self.limit_reached = limit


def decoded_frames(
    lines: Iterable[str], *, source: str, _read: _BoundedLines | None = None
) -> IngestResult:
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

    def frame(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
        f = pd.DataFrame(rows)
        f = f.reindex(columns=sorted(set(columns) | set(f.columns) | {"time_s"}))
        f["timestamp"] = pd.to_datetime(
            pd.to_numeric(f["time_s"], errors="coerce"), unit="s", utc=True
        ).astype("datetime64[ns, UTC]")
        f["source"] = source
        f["line"] = f["line"].astype("float64")
        return f

    text_cols = [*IDENTITY_FIELDS, "destination", "ais_class", "mmsi", "source"]

    def position_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
        pos = frame(rows, POSITION_COLUMNS)
        for col in NUMERIC + OPTIONAL_NUMERIC:
            pos[col] = pos[col].astype("float64")
        for col in OPTIONAL_BOOLEAN:  # raw AIS carries no vessel classification
            pos[col] = pd.array([pd.NA] * len(pos), dtype="boolean")
        for col in text_cols:
            if col in pos.columns:
                pos[col] = pos[col].astype("string")
        return pos[POSITION_COLUMNS]

    # Positions become columns batch by batch as they are decoded (memory: a dict per
    # row would be about 1 KiB; columns are a tenth of that).
    batches: list[pd.DataFrame] = []
    out = decode_lines(lines, flush=lambda rows: batches.append(position_frame(rows)))
    if _read is not None:  # lines the reader held back: counted as blank by the decoder
        out.quarantine.extend(_read.quarantine)
        out.counts["blank_or_comment_lines"] -= _read.too_long
    if out.positions or not batches:
        batches.append(position_frame(out.positions))
    out.positions = []
    pos = batches[0] if len(batches) == 1 else pd.concat(batches, ignore_index=True)
    static = join_class_b_halves(frame(out.static, [*STATIC_COLUMNS, "part"]))
    for col in text_cols:
        if col in static.columns:
            static[col] = static[col].astype("string")
    positions = pos.reset_index(drop=True)
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
    if _read is not None and _read.limit_reached is not None:
        report["limit_reached"] = _read.limit_reached
    return IngestResult(positions, static, quarantine, [report])


def read_nmea(path: str | Path, *, limits: IngestLimits = DEFAULT_LIMITS) -> IngestResult:
    """Read a raw NMEA 0183 AIS log (plain or gzipped), see :mod:`vessel_risk.ingest.nmea`.

    Parameters
    ----------
    path : str or Path
    limits : IngestLimits, optional
        Line, row and decompressed-size limits (:mod:`vessel_risk.ingest.limits`);
        ``max_rows`` counts lines.

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
    lines = _BoundedLines(path, limits)
    return decoded_frames(lines, source=path.name, _read=lines)
