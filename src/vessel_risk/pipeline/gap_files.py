"""The run's AIS gaps left in the partitions' work files, read as one table in windows.

The gaps are the one event table that grows with messages: the 1.8 million-row decoded
CSV of ``benchmarks/bench_aisdb.py`` gives 1.5 million of them (about 190 MiB as a
frame). :class:`GapFiles` never holds it whole: it keeps only the order of the stacked
table (each row's place, as
:meth:`Events.stack <vessel_risk.pipeline.stages.Events.stack>` orders it: stably by
``mmsi`` over the partitions in partition order) and reads the rows a step needs, a
window of consecutive rows at a time, from the files the second pass wrote
(:func:`~vessel_risk.pipeline.tasks.gaps_file`). ``gaps.parquet`` is written window by
window (:func:`~vessel_risk.pipeline.outputs.write_events`) and the evidence rows of
alerts read the gaps through it (:class:`~vessel_risk.alerts.evidence.RowSource`), in
an order close to the table's, so each window is read about once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

GAP_WINDOW_ROWS = 200_000
"""Rows of the stacked gap table read from the work files at once."""

_KEY_COLUMNS = ("mmsi", "track_id", "start")


def _schema(path: Path) -> pa.Schema:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).schema


def _table(path: Path, columns: list[str] | None) -> pa.Table:
    """A work file as Arrow (``columns`` only), read as :func:`pandas.read_feather` does."""
    with pa.OSFile(str(path)) as source:  # read, not mapped: the rows outlive the file
        table = pa.ipc.open_file(source).read_all()
    return table if columns is None else table.select(columns)


def _rows(path: Path) -> int:
    with pa.memory_map(str(path)) as source:
        reader = pa.ipc.open_file(source)
        return sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))


class GapFiles:
    """The stacked gap table of a run, its rows left in the partitions' work files.

    Parameters
    ----------
    paths : sequence of Path
        Each partition's gaps (Arrow IPC files from
        :func:`~vessel_risk.pipeline.tasks.write_atomic`), in partition order; all
        non-empty files hold the same columns and types (:meth:`open` checks).

    Attributes
    ----------
    columns : Index
        The table's columns.
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        sizes = [_rows(p) for p in paths]
        self.paths = [p for p, n in zip(paths, sizes, strict=True) if n]
        sizes = [n for n in sizes if n]
        self.offsets = np.concatenate([[0], np.cumsum(sizes, dtype="int64")])
        self.columns = pd.Index(_schema(self.paths[0]).names if self.paths else [])
        mmsi = pd.concat(
            [pd.read_feather(p, columns=["mmsi"])["mmsi"] for p in self.paths], ignore_index=True
        )
        # taken[i]: the row of the concatenated files at place i of the stacked table
        self.taken = mmsi.sort_values(kind="stable").index.to_numpy(dtype="int64")
        self._cache: OrderedDict[int, pd.DataFrame] = OrderedDict()

    @classmethod
    def open(cls, paths: Sequence[Path]) -> GapFiles | None:
        """:class:`GapFiles` over ``paths``, or None when its non-empty files differ in
        columns or types (to be stacked as frames instead) or none has a row."""
        schemas = [_schema(p) for p in paths if _rows(p)]
        if not schemas or any(not s.equals(schemas[0]) for s in schemas[1:]):
            return None
        if "mmsi" not in schemas[0].names:
            return None
        return cls(paths)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def _read(self, at: np.ndarray, columns: list[str] | None) -> pd.DataFrame:
        """Rows ``at`` (places in the stacked table) from the files, in that order: taken
        and ordered as Arrow (compact), converted to a frame once."""
        rows = self.taken[at]
        part = np.searchsorted(self.offsets, rows, side="right") - 1
        pieces, where = [], []
        for p in np.unique(part):
            mine = np.flatnonzero(part == p)
            table = _table(self.paths[p], columns)
            pieces.append(table.take(pa.array(rows[mine] - self.offsets[p])))
            del table
            where.append(mine)
        if not pieces:
            return _table(self.paths[0], columns).slice(0, 0).to_pandas()
        order = np.argsort(np.concatenate(where), kind="stable")
        return pa.concat_tables(pieces).take(pa.array(order)).to_pandas()

    def window(self, start: int, stop: int) -> pd.DataFrame:
        """Rows ``start`` to ``stop`` (exclusive) of the stacked table, every column."""
        return self._read(np.arange(start, min(stop, len(self)), dtype="int64"), None)

    def windows(self, rows: int = GAP_WINDOW_ROWS) -> Iterator[pd.DataFrame]:
        """The stacked table, ``rows`` rows at a time, in order."""
        for start in range(0, len(self), rows):
            yield self.window(start, start + rows)

    def column_frame(self, columns: list[str]) -> pd.DataFrame:
        """Whole columns of the stacked table (a few narrow ones: keys, classes)."""
        if not self.paths:
            return self.window(0, 0)[columns]
        whole = pd.concat(
            [pd.read_feather(p, columns=columns) for p in self.paths], ignore_index=True
        )
        return whole.take(self.taken).reset_index(drop=True)

    def file_frames(self, columns: list[str]) -> Iterator[pd.DataFrame]:
        """``columns`` of each non-empty file in turn (partition order, not the table's)."""
        for path in self.paths:
            yield pd.read_feather(path, columns=columns)

    def key_frame(self) -> pd.DataFrame:
        """``mmsi``, ``track_id`` (where present) and ``start`` of every row, in order
        (:class:`~vessel_risk.alerts.evidence.RowSource`)."""
        return self.column_frame([c for c in _KEY_COLUMNS if c in self.columns])

    def take(self, at: np.ndarray, columns: list[str] | None = None) -> pd.DataFrame:
        """Rows ``at`` of the stacked table (any order), on a range index
        (:class:`~vessel_risk.alerts.evidence.RowSource`): read through the last window
        of :data:`GAP_WINDOW_ROWS` rows read, so reads in about the table's order read
        each window about once."""
        at = np.asarray(at, dtype="int64")
        block = at // GAP_WINDOW_ROWS
        pieces, where = [], []
        for b in np.unique(block):
            mine = np.flatnonzero(block == b)
            frame = self._cache.get(int(b))
            if frame is None:
                frame = self.window(int(b) * GAP_WINDOW_ROWS, (int(b) + 1) * GAP_WINDOW_ROWS)
                self._cache[int(b)] = frame
                while len(self._cache) > 1:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(int(b))
            part = frame.take(at[mine] - int(b) * GAP_WINDOW_ROWS)
            pieces.append(part if columns is None else part[columns])
            where.append(mine)
        if not pieces:
            empty = self.window(0, 0)
            return empty if columns is None else empty[columns]
        out = pd.concat(pieces, ignore_index=True)
        return out.take(np.argsort(np.concatenate(where), kind="stable")).reset_index(drop=True)

    def drop_cache(self) -> None:
        """Forget the windows read so far."""
        self._cache.clear()
