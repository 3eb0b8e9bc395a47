"""Read AIS files: one whole, one chunk by chunk, or several at once.

:func:`read_ais` reads one file whole, :func:`iter_ais` chunk by chunk (memory bounded
by the chunk, not the file), :func:`read_many` several files.

The kind of a file is sniffed from its content (:mod:`vessel_risk.ingest.dialects`),
then it is read by its reader: :mod:`vessel_risk.ingest.csv`,
:mod:`vessel_risk.ingest.parquet` or :mod:`vessel_risk.ingest.nmea_reader`. Every chunk
balances on its own (``rows_in = positions + static_reports + quarantined``), keeps
the file's line numbers, and its report merges into the file's
(:func:`~vessel_risk.ingest.result.merge_reports`). :func:`read_ais` stacks the chunks
of a file; Parquet chunks are stacked column by column as they come, so a chunk's
memory is freed before the next one is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vessel_risk.ingest.csv import iter_csv
from vessel_risk.ingest.dialects import sniff
from vessel_risk.ingest.geopackage import iter_geopackage
from vessel_risk.ingest.limits import DEFAULT_LIMITS, IngestLimits
from vessel_risk.ingest.nmea_reader import iter_nmea
from vessel_risk.ingest.parquet import CHUNK_ROWS, iter_parquet
from vessel_risk.ingest.quarantine import _stack_quarantine
from vessel_risk.ingest.result import IngestResult, merge_reports


def read_ais(path: str | Path, *, limits: IngestLimits = DEFAULT_LIMITS) -> IngestResult:
    """Read one AIS file (parquet, GeoParquet, GeoPackage, CSV, gzipped CSV or raw NMEA).

    The file is read in chunks (:func:`iter_ais`) and the chunks are stacked: what is
    returned is the whole file, so memory grows with it. For files larger than memory,
    use :func:`iter_ais` or :func:`~vessel_risk.ingest.store.write_store` (the position
    store).

    Parameters
    ----------
    path : str or Path
    limits : IngestLimits, optional
        Per-file limits (:mod:`vessel_risk.ingest.limits`); what exceeds them is
        quarantined and counted.

    Returns
    -------
    IngestResult

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file as a whole is unreadable: empty, corrupt Parquet or gzip.
    UnknownDialectError
        If the columns match no supported dialect.
    """
    parts = iter_ais(path, limits=limits)
    head = [next(parts)]  # a file unreadable as a whole fails here
    second = next(parts, None)
    if second is None:
        return head[0]
    head.append(second)
    del second
    if sniff(path) == "parquet":
        rows = min(pq.ParquetFile(path).metadata.num_rows, limits.max_rows + 1)
        return _stack_parquet(head, parts, capacity=rows)
    chunks = [*head, *parts]
    return IngestResult(
        positions=pd.concat([c.positions for c in chunks], ignore_index=True),
        static=pd.concat([c.static for c in chunks], ignore_index=True),
        quarantine=_stack_quarantine([c.quarantine for c in chunks]),
        files=[merge_reports([f for c in chunks for f in c.files])],
    )


def _stack_parquet(
    head: list[IngestResult], rest: Iterator[IngestResult], *, capacity: int
) -> IngestResult:
    """The chunks of one Parquet file as one result, each chunk freed once added."""
    positions, static = _Stacked(capacity), _Stacked(capacity)
    quarantine: list[pd.DataFrame] = []
    reports: list[dict[str, object]] = []

    def chunks() -> Iterator[IngestResult]:
        while head:
            yield head.pop(0)
        yield from rest

    for chunk in chunks():
        positions.add(chunk.positions)
        static.add(chunk.static)
        quarantine.append(chunk.quarantine)
        reports.extend(chunk.files)
    return IngestResult(
        positions=positions.frame(),
        static=static.frame(),
        quarantine=_stack_quarantine(quarantine),
        files=[merge_reports(reports)],
    )


class _Stacked:
    """Frames of :func:`~vessel_risk.ingest.parquet._parse_table` stacked as they come.

    What ``pd.concat(frames, ignore_index=True)`` gives, at less memory.

    NumPy-backed columns (floats, UTC times) are copied into arrays allocated once for
    ``capacity`` rows (pages never written cost no memory), so a chunk's Arrow buffers
    are freed, and reused for the next chunk, as soon as it is added. Arrow string
    columns are chained without a copy.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._rows = 0
        self._dtypes: pd.Series | None = None
        self._numbers: dict[str, np.ndarray] = {}
        self._strings: dict[str, list[pa.Array]] = {}

    def add(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` (same columns and dtypes as the first frame)."""
        if self._dtypes is None:
            self._dtypes = frame.dtypes
        start, end = self._rows, self._rows + len(frame)
        for name, series in frame.items():
            key, values = str(name), series.array
            if isinstance(values, pd.arrays.ArrowStringArray):
                self._strings.setdefault(key, []).append(pa.array(values))
                continue
            data: np.ndarray
            if isinstance(values, pd.arrays.DatetimeArray):
                data = np.asarray(values.view("i8"))  # the UTC nanoseconds, not a copy
            elif isinstance(values, pd.arrays.BooleanArray):  # 1, 0, and -1 for NA
                data = values.to_numpy(dtype="int8", na_value=-1)
            else:
                data = series.to_numpy()
            if key not in self._numbers:  # rows kept <= rows in the file: never outgrown
                self._numbers[key] = np.empty(self._capacity, dtype=data.dtype)
            self._numbers[key][start:end] = data
        self._rows = end

    def frame(self) -> pd.DataFrame:
        """The stacked frame, with a fresh RangeIndex."""
        assert self._dtypes is not None
        out: dict[str, object] = {}
        for name, dtype in self._dtypes.items():
            if str(name) in self._strings:
                chunks = pa.chunked_array(self._strings[str(name)], type=pa.large_string())
                out[str(name)] = pd.array(chunks, dtype=dtype)  # wraps, no copy
            elif isinstance(dtype, pd.DatetimeTZDtype):
                naive = self._numbers[str(name)][: self._rows].view("datetime64[ns]")
                out[str(name)] = pd.Series(naive, copy=False).dt.tz_localize(dtype.tz).array
            elif isinstance(dtype, pd.BooleanDtype):
                flags = self._numbers[str(name)][: self._rows]
                out[str(name)] = pd.arrays.BooleanArray(flags == 1, flags < 0)
            else:
                out[str(name)] = self._numbers[str(name)][: self._rows]
        return pd.DataFrame(out, copy=False)


def iter_ais(
    path: str | Path,
    *,
    chunk_bytes: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
    limits: IngestLimits = DEFAULT_LIMITS,
) -> Iterator[IngestResult]:
    """Read one AIS file chunk by chunk, so memory does not grow with the file.

    CSV (gzipped or not) is cut into blocks of whole lines of about ``chunk_bytes``,
    Parquet into batches of ``chunk_rows`` rows; raw NMEA yields the position reports
    of each block of lines, then the static reports, quarantine and decoder counts of
    the whole log (multipart messages and class B halves are joined across it:
    :func:`~vessel_risk.ingest.nmea_reader.iter_nmea`). Every chunk is read as
    :func:`read_ais` reads a file and balances on its own; line numbers are the
    file's. Decisions about the whole file are made once: the text encoding and the
    order of ``dd/mm/yyyy`` dates (a pass over the timestamp column, only when the file
    holds a ``/``). Merge the chunks' ``files[0]`` with
    :func:`~vessel_risk.ingest.result.merge_reports` for the file's report.

    Parameters
    ----------
    path : str or Path
    chunk_bytes : int, optional
        CSV bytes (decompressed) per chunk; default chosen from the file's columns and
        line length (about 150,000 rows, at most 64 MiB:
        :func:`~vessel_risk.ingest.csv._block_bytes`).
    chunk_rows : int, default 1,000,000
        Parquet rows per chunk.
    limits : IngestLimits, optional
        Decompressed size, line, field and row limits per file
        (:mod:`vessel_risk.ingest.limits`): memory stays bounded whatever the file.
        Lines and fields over their limit are quarantined (``line_too_long``,
        ``field_too_long``); a file is read no further than its row or decompressed
        limit (one quarantined row ``row_limit_reached`` or ``decompressed_size_limit``,
        and ``limit_reached`` in its report).

    Yields
    ------
    IngestResult
        At least one per file. ``files[0]`` counts that chunk only.

    Raises
    ------
    FileNotFoundError, ValueError, UnknownDialectError
        As :func:`read_ais`; a file unreadable as a whole fails before its first chunk,
        a Parquet file corrupt further in fails at that chunk. ValueError also if
        ``chunk_rows`` is not positive.
    """
    if chunk_rows < 1:
        raise ValueError(
            f"The 'chunk_rows' parameter of iter_ais must be a positive int. Got {chunk_rows!r} "
            "instead."
        )
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"The AIS file {str(path)!r} does not exist.")
    kind = sniff(path)
    if kind == "nmea":
        yield from iter_nmea(path, limits=limits)
        return
    if kind == "parquet":
        yield from iter_parquet(path, chunk_rows=chunk_rows, limits=limits)
        return
    if kind == "geopackage":
        yield from iter_geopackage(path, chunk_rows=chunk_rows, limits=limits)
        return
    yield from iter_csv(path, chunk_bytes=chunk_bytes, limits=limits)


def read_many(paths: list[str | Path], *, limits: IngestLimits = DEFAULT_LIMITS) -> IngestResult:
    """Read several AIS files and stack what they yield.

    Parameters
    ----------
    paths : list of str or Path
    limits : IngestLimits, optional
        Per-file limits, as :func:`read_ais`.

    Returns
    -------
    IngestResult
        Positions, static reports and quarantine of all files, with per-file counts.
    """
    results = [read_ais(p, limits=limits) for p in paths]
    return IngestResult(
        positions=pd.concat([r.positions for r in results], ignore_index=True),
        static=pd.concat([r.static for r in results], ignore_index=True),
        quarantine=pd.concat([r.quarantine for r in results], ignore_index=True),
        files=[f for r in results for f in r.files],
    )
