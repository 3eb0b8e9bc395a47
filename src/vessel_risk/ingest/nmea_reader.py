"""Raw NMEA 0183 AIS logs (plain or gzipped) read into an ``IngestResult``.

:mod:`vessel_risk.ingest.nmea` decodes lines of text and knows nothing of files or
frames; this module reads a log's lines (bytes that are not UTF-8 as Latin-1) and
builds the same frames and report as the other readers. :func:`iter_nmea` reads a log
in blocks of :data:`BLOCK_LINES` lines and yields each block's position reports as
they are decoded, so the position store (:func:`~vessel_risk.ingest.store.write_store`)
never holds the whole log's frame; multipart messages are joined across blocks (the
decoder's state carries over), and the static reports (whose two class B halves are
joined across the whole log), the quarantine and the decoder's counts come with the
last chunk. :func:`read_nmea` stacks the chunks. The report adds the decoder's counts
(``messages_decoded``, ``multipart_messages``, ``undated_messages``,
``bad_tag_block_checksum``, ``blank_or_comment_lines``) and the number of ``vessels``.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from vessel_risk.ingest.dialects import _is_gzip
from vessel_risk.ingest.limits import DEFAULT_LIMITS, RAW_KEPT_CHARS, IngestLimits, _Budget
from vessel_risk.ingest.nmea import (
    LineDecoder,
    _Decoded,
    _Fragment,
    decode_lines,
    join_class_b_halves,
)
from vessel_risk.ingest.nmea import _decode as _decode_message
from vessel_risk.ingest.nmea_vector import decode_block
from vessel_risk.ingest.quarantine import _stack_quarantine
from vessel_risk.ingest.result import IngestResult, merge_reports
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
    line ends at LF, CRLF or a lone CR (classic Mac OS line ends). A
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

    def raw_lines(self) -> Iterator[bytes]:
        """The lines as bytes, their line ends attached (a line over the limit: ``b""``)."""
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
                body = raw.rstrip(b"\r\n")
                if len(body) <= limits.max_line_bytes:
                    if not ended and (fh.read(1) or fh.exceeded):  # cut at the limit
                        self._stop(number, raw, "decompressed_size_limit", "max_decompressed_bytes")
                        return
                    if b"\r" in body:  # CR-only line ends (classic Mac OS): each a line
                        *pieces, last = body.split(b"\r")
                        for piece in pieces:
                            yield piece + b"\n"
                            number += 1
                            if number > limits.max_rows:
                                self._stop(number, last, "row_limit_reached", "max_rows")
                                return
                        raw = last + raw[len(body) :]
                    yield raw
                    continue
                start = raw
                while not ended and (part := fh.readline(1 << 20)):  # skip the rest, bounded
                    ended = part.endswith(b"\n")
                if not ended and (fh.read(1) or fh.exceeded):
                    self._stop(number, start, "decompressed_size_limit", "max_decompressed_bytes")
                    return
                self.quarantine.append((number, None, "line_too_long", self._raw(start)))
                self.too_long += 1
                yield b""
            if fh.read(1) or fh.exceeded:  # the limit fell at the end of a line
                self._stop(number + 1, b"", "decompressed_size_limit", "max_decompressed_bytes")

    def __iter__(self) -> Iterator[str]:
        return (_decode(raw) for raw in self.raw_lines())

    def blocks(self, size: int) -> Iterator[list[bytes]]:
        """:meth:`raw_lines` in lists of ``size`` lines (the last may be shorter)."""
        lines = self.raw_lines()
        while block := list(islice(lines, size)):
            yield block

    @staticmethod
    def _raw(raw: bytes) -> str:
        return _decode(raw[:RAW_KEPT_CHARS]).rstrip("\r\n")[:RAW_KEPT_CHARS]

    def _stop(self, number: int, raw: bytes, reason: str, limit: str) -> None:
        self.quarantine.append((number, None, reason, self._raw(raw)))
        self.limit_reached = limit


_TEXT_COLUMNS = [*IDENTITY_FIELDS, "destination", "ais_class", "mmsi", "source"]
BLOCK_LINES = 65_536
"""Lines framed and decoded together by the vectorised reader (about 5 MiB of NMEA)."""
NMEA_BATCH_ROWS = 1_000_000
"""Position rows the store holds (as Arrow, about 100 B a row) before writing an NMEA
log's (:class:`~vessel_risk.ingest.store_split.SplitBatches`): its chunks are blocks of
about 60,000 rows, and written every 200,000 rows a partition of the 1.8M-line file of
``bench_aisdb.py`` came in 7 files, whose reading cost the run 1.4 s of page faults."""


def _frame(rows: pd.DataFrame, columns: list[str], source: str) -> pd.DataFrame:
    f = rows.reindex(columns=sorted(set(columns) | set(rows.columns) | {"time_s"}))
    f["timestamp"] = pd.to_datetime(
        pd.to_numeric(f["time_s"], errors="coerce"), unit="s", utc=True
    ).astype("datetime64[ns, UTC]")
    f["source"] = source
    f["line"] = f["line"].astype("float64")
    return f


def _position_frame(rows: pd.DataFrame, source: str) -> pd.DataFrame:
    pos = _frame(rows, POSITION_COLUMNS, source)
    for col in NUMERIC + OPTIONAL_NUMERIC:
        pos[col] = pos[col].astype("float64")
    for col in OPTIONAL_BOOLEAN:  # raw AIS carries no vessel classification
        pos[col] = pd.array([pd.NA] * len(pos), dtype="boolean")
    for col in _TEXT_COLUMNS:
        if col in pos.columns:
            pos[col] = pos[col].astype("string")
    return pos[POSITION_COLUMNS]


def _static_frame(rows: list[dict[str, object]], source: str) -> pd.DataFrame:
    """Static report rows as typed columns (text as ``string``), with the type 24 ``part``."""
    frame = _frame(pd.DataFrame(rows), [*STATIC_COLUMNS, "part"], source)
    for col in [*_TEXT_COLUMNS, "part"]:
        frame[col] = frame[col].astype("string")
    return frame[[*STATIC_COLUMNS, "part"]]


def _finish(
    out: _Decoded,
    batches: list[pd.DataFrame],
    source: str,
    read: _BoundedLines | None,
    static_frames: list[pd.DataFrame] | None = None,
) -> IngestResult:
    """The result of a decoded log: frames, quarantine and report.

    ``batches`` are position frames already made, ``static_frames`` static ones
    (:func:`_static_frame`); the rows still in ``out`` follow them.
    """
    if read is not None:  # lines the reader held back: counted as blank by the decoder
        out.quarantine.extend(read.quarantine)
        out.counts["blank_or_comment_lines"] -= read.too_long
    if out.positions or not batches:
        batches.append(_position_frame(pd.DataFrame(out.positions), source))
    out.positions = []
    pos = batches[0] if len(batches) == 1 else pd.concat(batches, ignore_index=True)
    frames = list(static_frames or [])
    if out.static or not frames:
        frames.append(_static_frame(out.static, source))
    out.static = []
    static = join_class_b_halves(
        frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    )
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
    if read is not None and read.limit_reached is not None:
        report["limit_reached"] = read.limit_reached
    return IngestResult(positions, static, quarantine, [report])


def decoded_frames(
    lines: Iterable[str], *, source: str, _read: _BoundedLines | None = None
) -> IngestResult:
    """Raw NMEA lines as an :class:`~vessel_risk.ingest.result.IngestResult` (no I/O).

    The lines are decoded one by one by :mod:`vessel_risk.ingest.nmea` (every payload
    by pyais): the reference :func:`read_nmea`'s vectorised reader is held to.

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
    # Positions become columns batch by batch as they are decoded (memory: a dict per
    # row would be about 1 KiB; columns are a tenth of that).
    batches: list[pd.DataFrame] = []
    out = decode_lines(
        lines, flush=lambda rows: batches.append(_position_frame(pd.DataFrame(rows), source))
    )
    return _finish(out, batches, source, _read)


def _block_positions(
    lines: list[bytes], first: int, decoder: LineDecoder, source: str
) -> pd.DataFrame:
    """Decode one block of raw lines (line ``first`` on): position rows in log order.

    :func:`~vessel_risk.ingest.nmea_vector.decode_block` takes the single-sentence
    position reports; ``decoder`` gets every other line, in order. Rows come out in
    the order the line-by-line decoder emits them (a multipart message at its last
    part), so both readers give the same frame.
    """
    out = decoder.out
    lens = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    stops = np.cumsum(lens)
    data = b"".join(lines)
    ended = np.zeros(len(lines), dtype=bool)
    nonempty = lens > 0
    ended[nonempty] = np.frombuffer(data, dtype=np.uint8)[stops[nonempty] - 1] == 10
    block = decode_block(data, stops - lens, stops - ended)
    emitted: list[int] = []
    framed = block.framed.tolist()
    for i in np.flatnonzero(~block.taken).tolist():
        before = len(out.positions)
        if framed[i]:  # a single sentence already framed and checked: straight to pyais
            raw = lines[i].decode("ascii").rstrip("\r\n")
            bang, start, stop, end = block.sentence[i].tolist()
            t = float(block.line_time_s[i])
            frag = _Fragment(first + i, raw, raw[bang:end], raw[start:stop], 1, 1, t)
            if t != t:
                frag.time_s = None
            _decode_message([frag], out)
        else:
            decoder.feed(first + i, _decode(lines[i]))
        emitted.extend([first + i] * (len(out.positions) - before))
    slow = pd.DataFrame(out.positions)
    out.positions = []
    unique, inverse = np.unique(block.mmsi, return_inverse=True)
    names = np.array([f"{m:09d}" for m in unique.tolist()], dtype=object)
    out.mmsis.update(names.tolist())
    out.counts["messages_decoded"] += len(block.index)
    out.counts["undated_messages"] += int(np.isnan(block.time_s).sum())
    ais_class = np.full(len(block.index), None, dtype=object)
    ais_class[block.msg_type <= 3] = "A"
    ais_class[block.msg_type == 18] = "B"
    none = np.full(len(block.index), None, dtype=object)
    fast = pd.DataFrame(
        {
            "mmsi": names[inverse.reshape(-1)],
            "time_s": block.time_s,
            "line": first + block.index,
            "ais_class": ais_class,
            "lat": block.lat,
            "lon": block.lon,
            "speed_knots": block.speed_knots,
            "course": block.course,
            "heading": block.heading,
            "shipname": none,
            "shiptype": none,
        }
    )
    if len(slow):
        order = np.argsort(np.concatenate([first + block.index, emitted]), kind="stable")
        rows = pd.concat([fast, slow], ignore_index=True).take(order)
    else:
        rows = fast
    return _position_frame(rows.reset_index(drop=True), source)


def _positions_chunk(positions: pd.DataFrame, source: str) -> IngestResult:
    """One block's position reports as a chunk: no static report, nothing quarantined.

    Its report has the keys of :func:`_finish`'s up to ``naive_timestamps`` (so the
    merged report keeps their order); the decoder's counts come with the last chunk.
    """
    report: dict[str, object] = {
        "source": source,
        "dialect": "nmea",
        "rows_in": len(positions),
        "positions": len(positions),
        "static_reports": 0,
        "quarantined": 0,
        "naive_timestamps": 0,
        "quarantined_by_reason": {},
    }
    static = _static_frame([], source)[STATIC_COLUMNS]
    return IngestResult(positions, static, _stack_quarantine([]), [report])


def _vector_chunks(read: _BoundedLines, source: str, block_lines: int) -> Iterator[IngestResult]:
    """A log read in blocks of ``block_lines`` lines, position reports vectorised: one
    chunk per block with positions, then the static reports, quarantine and counts."""
    out = _Decoded()
    decoder = LineDecoder(out)
    static: list[pd.DataFrame] = []  # as columns block by block: a dict a row is ~600 B
    first = 1
    for lines in read.blocks(block_lines):
        positions = _block_positions(lines, first, decoder, source)
        first += len(lines)
        del lines
        if out.static:
            static.append(_static_frame(out.static, source))
            out.static = []
        if len(positions):
            yield _positions_chunk(positions, source)
        del positions
    decoder.finish()
    yield _finish(out, [], source, read, static)


def iter_nmea(
    path: str | Path,
    *,
    limits: IngestLimits = DEFAULT_LIMITS,
    vectorised: bool = True,
    block_lines: int = BLOCK_LINES,
) -> Iterator[IngestResult]:
    """Read a raw NMEA 0183 AIS log (plain or gzipped) chunk by chunk.

    Each block of ``block_lines`` lines that holds position reports yields them
    (in the order :func:`read_nmea` gives them, line numbers the file's); the last
    chunk holds the static reports (class B halves joined across the whole log), the
    quarantine and, in its report, the decoder's counts for the whole file
    (``messages_decoded``, ``vessels``, ...). Memory is bounded by a block, the static
    reports and the quarantine, not by the log's position reports. The chunks' reports
    merge (:func:`~vessel_risk.ingest.result.merge_reports`) into :func:`read_nmea`'s.

    Parameters
    ----------
    path : str or Path
    limits : IngestLimits, optional
        As :func:`read_nmea`.
    vectorised : bool, default True
        False: one chunk, every line decoded with pyais (the reference).
    block_lines : int, default :data:`BLOCK_LINES`
        Lines framed and decoded together (at least 1); the chunks stack to the same
        frames whatever it is.

    Yields
    ------
    IngestResult
        At least one (the last, even for an empty log). Every chunk balances on its own.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist (before the first chunk).
    ValueError
        If ``block_lines`` is below 1.
    """
    if block_lines < 1:
        raise ValueError(
            f"The 'block_lines' parameter of iter_nmea must be at least 1. Got {block_lines!r} "
            "instead."
        )
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"The AIS file {str(path)!r} does not exist.")
    lines = _BoundedLines(path, limits)
    if not vectorised:
        yield decoded_frames(lines, source=path.name, _read=lines)
        return
    yield from _vector_chunks(lines, path.name, block_lines)


def read_nmea(
    path: str | Path,
    *,
    limits: IngestLimits = DEFAULT_LIMITS,
    vectorised: bool = True,
    block_lines: int = BLOCK_LINES,
) -> IngestResult:
    """Read a raw NMEA 0183 AIS log (plain or gzipped), see :mod:`vessel_risk.ingest.nmea`.

    Parameters
    ----------
    path : str or Path
    limits : IngestLimits, optional
        Line, row and decompressed-size limits (:mod:`vessel_risk.ingest.limits`);
        ``max_rows`` counts lines.
    vectorised : bool, default True
        Decode single-sentence position reports (types 1, 2, 3, 18, 27) in blocks with
        numpy (:mod:`vessel_risk.ingest.nmea_vector`), every other line with pyais;
        False: every line with pyais (the reference). Both give equal results.
    block_lines : int, default :data:`BLOCK_LINES`
        As :func:`iter_nmea` (the chunks it yields are stacked here).

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
    ValueError
        If ``block_lines`` is below 1.
    """
    chunks = list(iter_nmea(path, limits=limits, vectorised=vectorised, block_lines=block_lines))
    if len(chunks) == 1:
        return chunks[0]
    *blocks, last = chunks
    positions = [c.positions for c in blocks]
    return IngestResult(
        positions[0] if len(positions) == 1 else pd.concat(positions, ignore_index=True),
        last.static,
        last.quarantine,
        [merge_reports([f for c in chunks for f in c.files])],
    )
