"""Rows split by vessel partition into Hive-style Parquet files (the position store's writer).

:func:`vessel_partition` gives each row its partition (a stable hash of the MMSI);
:func:`write_split` writes the rows of each key to ``<folder>/<key_name>=<key>/<file>``.
A frame is turned into Arrow once and each key's rows are taken from that table:
converting every key's slice from pandas on its own cost a third of ingesting a file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def vessel_partition(mmsi: pd.Series, partitions: int) -> np.ndarray:
    """The vessel partition of each row: a stable hash of its MMSI modulo ``partitions``.

    The hash is pandas' (SipHash with a fixed key), the same on every machine and
    run, so all rows of one vessel land in one partition whatever file they come from.

    Parameters
    ----------
    mmsi : Series of shape (n,)
        9-character MMSIs, no nulls.
    partitions : int
        At least 1.

    Returns
    -------
    ndarray of shape (n,), int64 in ``[0, partitions)``.
    """
    codes, uniques = pd.factorize(mmsi)
    hashed = pd.util.hash_array(np.asarray(uniques, dtype=object)) % np.uint64(partitions)
    return hashed.astype("int64")[codes]


def write_split(
    frame: pd.DataFrame, keys: np.ndarray, folder: Path, key_name: str, file_name: str
) -> None:
    """Write the rows of each key to ``folder/<key_name>=<key>/<file_name>`` (Hive style).

    Rows keep their order in ``frame``. Keys are written with five digits at least.
    Every file has the whole frame's Arrow schema (with pandas' metadata, as
    ``DataFrame.to_parquet`` writes it), Snappy-compressed, dictionary-encoded for text.

    Parameters
    ----------
    frame : DataFrame of shape (n, k)
    keys : ndarray of shape (n,), int
    folder : Path
    key_name, file_name : str
    """
    if len(keys) == 0:
        return
    _write_table(arrow_table(frame), keys, folder, key_name, file_name)


def _write_table(
    table: pa.Table, keys: np.ndarray, folder: Path, key_name: str, file_name: str
) -> None:
    """:func:`write_split` of an Arrow table."""
    # Dictionary pages for text only: tried on every float column they were thrown away
    # (too many distinct values) after costing a quarter of the write.
    text = [f.name for f in table.schema if not _numeric(f.type)]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    for a, b in zip(starts, [*starts[1:], len(keys)], strict=True):
        path = folder / f"{key_name}={int(sorted_keys[a]):05d}" / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        # each key's rows gathered on their own: a sorted copy of the whole table at once
        # raised the peak of a 1.8M-line NMEA ingest by 120 MiB
        part = table.take(pa.array(order[a:b]))
        pq.write_table(part, path, compression="snappy", use_dictionary=text)


BATCH_ROWS = 200_000
"""Rows :class:`SplitBatches` holds before writing them: a Parquet file costs about
0.75 ms to write whatever its size, and a 1.8M-row CSV in 14 blocks made 715 of them
(27 vessel partitions a block, static reports a few hundred rows each); batched, 173-200.
Two blocks of positions held cost about 20 MiB of peak memory (300,000 rows: 30 MiB)."""


class SplitBatches:
    """Chunks of one file's rows held as Arrow, written by partition a few chunks at a time.

    Each write is :func:`write_split` of the chunks added since the last one, in their
    order, to ``<folder>/<key_name>=<key>/<prefix>-<n>.parquet`` (``n`` from 0): the
    store reads back the same rows in the same order as with one file per chunk.

    Parameters
    ----------
    folder : Path
    key_name : str
    partitions : int
        Vessel partitions (:func:`vessel_partition`).
    prefix : str
        File names' start, e.g. ``file00000``.
    rows : int, optional
        Write once this many rows are held (default :data:`BATCH_ROWS`).
    """

    def __init__(
        self, folder: Path, key_name: str, partitions: int, prefix: str, rows: int | None = None
    ) -> None:
        self.folder, self.key_name, self.partitions = folder, key_name, partitions
        self.prefix, self.rows = prefix, BATCH_ROWS if rows is None else rows
        self.written = 0
        self._tables: list[pa.Table] = []
        self._keys: list[np.ndarray] = []
        self._held = 0

    def add(self, frame: pd.DataFrame) -> None:
        """Hold the rows of ``frame`` (a ``mmsi`` column, no nulls); write if enough are held."""
        if frame.empty:
            return
        table = arrow_table(frame)
        if self._tables and not table.schema.equals(self._tables[0].schema, check_metadata=True):
            self.flush()  # another schema (a column's type): its own file
        self._tables.append(table)
        self._keys.append(vessel_partition(frame["mmsi"], self.partitions))
        self._held += len(table)
        if self._held >= self.rows:
            self.flush()

    def flush(self) -> None:
        """Write the rows held, if any."""
        if not self._tables:
            return
        table = self._tables[0] if len(self._tables) == 1 else pa.concat_tables(self._tables)
        keys = np.concatenate(self._keys)
        self._tables, self._keys, self._held = [], [], 0
        name = f"{self.prefix}-{self.written:05d}.parquet"
        _write_table(table, keys, self.folder, self.key_name, name)
        self.written += 1


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """``pa.Table.from_pandas(frame, preserve_index=False)``, the same table and metadata.

    pyarrow reads a time-zone-aware column through ``Series.values``, which pandas 3.1
    deprecates (``Pandas4Warning``: it will return the ``DatetimeArray`` in pandas 4):
    such columns go over as naive UTC values and get their zone back in Arrow and in
    the pandas metadata.

    Parameters
    ----------
    frame : DataFrame of shape (n, k)

    Returns
    -------
    pyarrow.Table with k columns and pandas' schema metadata.
    """
    zones = {
        c: str(frame[c].dt.tz)
        for c in frame.columns
        if isinstance(frame[c].dtype, pd.DatetimeTZDtype)
    }
    if not zones:
        return pa.Table.from_pandas(frame, preserve_index=False)
    naive = frame.assign(**{c: frame[c].dt.tz_convert(None) for c in zones})
    table = pa.Table.from_pandas(naive, preserve_index=False)
    meta = json.loads(table.schema.metadata[b"pandas"])
    for col in meta["columns"]:
        if col["name"] in zones:
            col["pandas_type"] = "datetimetz"
            col["metadata"] = {"timezone": zones[col["name"]]}
    fields = [
        pa.field(f.name, pa.timestamp(f.type.unit, tz=zones[f.name]), f.nullable, f.metadata)
        if f.name in zones
        else f
        for f in table.schema
    ]
    schema = pa.schema(
        fields, metadata={**table.schema.metadata, b"pandas": json.dumps(meta).encode()}
    )
    return table.cast(schema)


def _numeric(kind: pa.DataType) -> bool:
    """Whether a column of this Arrow type is numbers, times or booleans (not text)."""
    return bool(
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_temporal(kind)
        or pa.types.is_boolean(kind)
    )
