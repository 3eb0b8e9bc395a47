"""Limits on what one AIS file may make ingest read: memory stays bounded whatever the file.

:class:`IngestLimits` caps the decompressed size of a gzipped file, the length of a
line, the length of a field and the rows read per file. What goes past a limit is
counted and quarantined, never read into memory whole:

* a line longer than ``max_line_bytes`` is skipped in bounded reads and quarantined
  as ``line_too_long``, its raw text cut to :data:`RAW_KEPT_CHARS`;
* a row with a field longer than ``max_field_chars`` is quarantined as
  ``field_too_long`` (raw text cut the same way);
* a gzipped file that decompresses past ``max_decompressed_bytes`` is read up to the
  limit and no further: one quarantined row ``decompressed_size_limit`` (the line cut
  at the limit) marks where reading stopped;
* after ``max_rows`` rows a file is read no further: one quarantined row
  ``row_limit_reached`` marks where reading stopped.

A file stopped at a limit says so in its report (``limit_reached``: the name of the
limit). Lines are cut at ``\\n`` (``\\r\\n`` included) for these limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

if TYPE_CHECKING:
    from vessel_risk.settings import Settings

RAW_KEPT_CHARS = 1024
"""Characters of raw text kept for a row quarantined for its size (a line or field
over its limit): enough to recognise the row, never the whole of it."""


@dataclass(frozen=True)
class IngestLimits:
    """Per-file limits of ingest, checked once when built.

    Parameters
    ----------
    max_decompressed_bytes : int, default 8 GiB
        Bytes a gzipped file may decompress to. Larger than any daily or monthly AIS
        export we read (a NOAA MarineCadastre day is about 0.8 GB of CSV); a
        decompression bomb stops here. Plain files are read as they are on disk.
    max_line_bytes : int, default 64 KiB
        Bytes of one line of CSV or NMEA (without its line end). The widest dialect we
        read (decoded, 139 columns) has lines under 2 KB; an NMEA sentence is at most
        82 characters, with its tag block a few hundred.
    max_field_chars : int, default 1024
        Characters of one field (a CSV field, a Parquet text value). AIS text fields
        are at most 20 characters (ITU-R M.1371 names and destinations); timestamps
        and numbers are shorter still.
    max_rows : int, default 100,000,000
        Rows (data lines, Parquet rows, NMEA lines) read from one file: about ten
        days of NOAA's whole-US feed.

    Raises
    ------
    ValueError
        If a limit is not a positive int.
    """

    max_decompressed_bytes: int = 8 << 30
    max_line_bytes: int = 64 << 10
    max_field_chars: int = 1024
    max_rows: int = 100_000_000

    def __post_init__(self) -> None:
        for name in ("max_decompressed_bytes", "max_line_bytes", "max_field_chars", "max_rows"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"The {name!r} parameter of IngestLimits must be a positive int. "
                    f"Got {value!r} instead."
                )

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestLimits:
        """The limits the settings give (``VESSEL_RISK_INGEST_MAX_*``); defaults for the rest.

        Parameters
        ----------
        settings : Settings
            Its ``ingest_max_decompressed_bytes``, ``ingest_max_line_bytes``,
            ``ingest_max_field_chars`` and ``ingest_max_rows`` (None: the default).

        Returns
        -------
        IngestLimits

        Raises
        ------
        ValueError
            If a limit that is set is not a positive int.
        """
        names = ("max_decompressed_bytes", "max_line_bytes", "max_field_chars", "max_rows")
        given = {n: getattr(settings, f"ingest_{n}") for n in names}
        return cls(**{n: v for n, v in given.items() if v is not None})


DEFAULT_LIMITS = IngestLimits()
"""The limits ingest applies when none are given."""


class _Budget:
    """A binary stream read at most ``limit`` bytes; ``exceeded`` once more was there.

    ``read(n)`` returns what the wrapped stream returns, cut at the limit; at the
    limit, one byte more is read to tell a file that ends there from one that goes on.
    """

    def __init__(self, fh: BinaryIO, limit: int | None) -> None:
        self._fh = fh
        self._left = limit
        self.exceeded = False

    def read(self, n: int) -> bytes:
        if self._left is None:
            return self._fh.read(n)
        if self._left == 0:
            if not self.exceeded and self._fh.read(1):
                self.exceeded = True
            return b""
        data = self._fh.read(min(n, self._left))
        self._left -= len(data)
        return data

    def readinto(self, view: memoryview) -> int:
        """Fill ``view`` as far as the stream and the budget go; the bytes read (0 at the end).

        Filling one reused buffer spares a fresh allocation (and its page faults) per read.
        """
        if self._left is not None:
            if self._left == 0:
                self.read(1)  # sets ``exceeded`` if the stream goes on
                return 0
            view = view[: self._left]
        got = 0
        while got < len(view):
            n = self._fh.readinto(view[got:])  # type: ignore[attr-defined]
            if not n:
                break
            got += n
        if self._left is not None:
            self._left -= got
        return got

    def readline(self, limit: int) -> bytes:
        """One line of at most ``limit`` bytes (its end included), within the budget."""
        if self._left is not None:
            limit = min(limit, self._left)
        data = self._fh.readline(limit)
        if self._left is not None:
            self._left -= len(data)
        return data


@dataclass
class _Lines:
    """A block of whole lines read by :func:`_line_blocks`.

    ``data`` holds whole lines, each over the limit replaced by one placeholder line;
    ``long`` gives, for each of those, its line index in ``data`` (from 0, lines
    counted as pyarrow does: ``\\n``, ``\\r\\n`` and ``\\r`` end one) and its first
    bytes; ``lines`` counts the lines of ``data`` that way. ``cut`` is set on the last
    block of a file stopped at its decompressed limit: the start of the line cut there
    (may be empty). ``longest`` bounds the bytes of any line in ``data`` (a field is
    never longer).
    """

    data: bytes
    long: list[tuple[int, bytes]]
    cut: bytes | None = None
    longest: int = 0
    lines: int = 0  # lines in ``data``, counted as pyarrow does (a last one without end too)


def _line_ends(data: bytes, newlines: int | None = None) -> int:
    """Lines ended in ``data``, counted as pyarrow counts them.

    ``newlines``, when known, is ``data.count(b"\\n")``; a ``\\r`` is looked for only
    once (most files have none), so a block costs one pass, not three.
    """
    n = data.count(b"\n") if newlines is None else newlines
    if b"\r" in data:
        n += data.count(b"\r") - data.count(b"\r\n")
    return n


def _newlines(view: memoryview) -> np.ndarray:
    """Offsets of the ``\\n`` bytes in ``view``, found a MiB at a time (no block-sized mask)."""
    arr = np.frombuffer(view, dtype=np.uint8)
    step = 1 << 20
    found = [np.flatnonzero(arr[i : i + step] == 10) + i for i in range(0, len(arr), step)]
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _line_total(data: bytes, newlines: int | None = None) -> int:
    """Lines in ``data``, a last one without its end included, as pyarrow counts them."""
    n = _line_ends(data, newlines)
    return n + (0 if not data or data.endswith((b"\n", b"\r")) else 1)


def _line_blocks(
    stream: _Budget, *, chunk_bytes: int, max_line: int, placeholder: bytes
) -> Iterator[_Lines]:
    """The rest of ``stream`` in blocks of about ``chunk_bytes`` of whole lines.

    A line longer than ``max_line`` bytes is never held whole: its first
    :data:`RAW_KEPT_CHARS` bytes are kept, the rest skipped as it is read, and it is
    replaced in its block by ``placeholder`` (one line, ``\\n``-ended). Memory is
    bounded by ``chunk_bytes + max_line`` (twice, while a block is joined). Only the
    last block's last line may lack its newline. At least one block is yielded.
    """
    rest = b""
    skipping: bytes | None = None  # the kept start of an overlong line being skipped
    parts: list[bytes] = []
    long: list[tuple[int, bytes]] = []
    lines_in = 0
    longest = 0
    yielded = False

    def overlong(start: bytes) -> None:
        nonlocal lines_in
        long.append((lines_in, start[:RAW_KEPT_CHARS]))
        parts.append(placeholder)
        lines_in += 1

    def whole(seg: bytes, newlines: int | None = None) -> None:
        nonlocal lines_in
        parts.append(seg)
        lines_in += _line_ends(seg, newlines)

    inbuf = bytearray(chunk_bytes)  # read into again and again: no fresh pages per block
    while n := stream.readinto(memoryview(inbuf)):
        data = memoryview(inbuf)[:n]
        if skipping is not None:
            nl = inbuf.find(b"\n", 0, n)
            if nl < 0:
                continue
            overlong(skipping)
            skipping = None
            data = data[nl + 1 :]
        ends = _newlines(data)
        if len(ends):
            lengths = np.diff(ends, prepend=-1)
            lengths[0] += len(rest)
            if int(lengths.max()) - 1 <= max_line:  # no line over the limit: one copy
                longest = max(longest, int(lengths.max()) - 1)
                last = int(ends[-1]) + 1
                whole(b"".join((rest, data[:last])), len(ends))
                rest = bytes(data[last:])
                if len(rest) > max_line:
                    skipping, rest = rest[:RAW_KEPT_CHARS], b""
                yield _Lines(b"".join(parts), long, longest=longest, lines=lines_in)
                parts, long, lines_in, longest, yielded = [], [], 0, 0, True
                continue
        buf = rest + bytes(data)
        ends = _newlines(memoryview(buf))
        if len(ends):
            starts = np.r_[0, ends[:-1] + 1]
            lengths = ends - starts
            longest = max(longest, int(lengths.max(initial=0, where=lengths <= max_line)))
            pos, first = 0, 0  # first: index in ``ends`` of the first line from ``pos``
            for i in np.flatnonzero(lengths > max_line):
                s = int(starts[i])
                if s > pos:
                    whole(buf[pos:s], int(i) - first)
                overlong(buf[s : s + RAW_KEPT_CHARS])
                pos, first = int(ends[i]) + 1, int(i) + 1
            last = int(ends[-1]) + 1
            if last > pos:
                whole(buf[pos:last], len(ends) - first)
            rest = buf[last:]
        else:
            rest = buf
        del buf
        if len(rest) > max_line:
            skipping, rest = rest[:RAW_KEPT_CHARS], b""
        if parts:
            yield _Lines(b"".join(parts), long, longest=longest, lines=lines_in)
            parts, long, lines_in, longest, yielded = [], [], 0, 0, True
    cut = None
    if stream.exceeded:
        cut = skipping if skipping is not None else rest[:RAW_KEPT_CHARS]
    elif skipping is not None:
        overlong(skipping)
    elif rest:
        parts.append(rest)
        lines_in += _line_total(rest)
        longest = max(longest, len(rest))
    if parts or cut is not None or not yielded:
        yield _Lines(b"".join(parts), long, cut, longest, lines_in)
