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
    table = arrow_table(frame)
    # Dictionary pages for text only: tried on every float column they were thrown away
    # (too many distinct values) after costing a quarter of the write.
    text = [f.name for f in table.schema if not _numeric(f.type)]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    table = table.take(pa.array(order))  # one gather; each key's rows are then a slice
    for a, b in zip(starts, [*starts[1:], len(keys)], strict=True):
        path = folder / f"{key_name}={int(sorted_keys[a]):05d}" / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.slice(a, b - a), path, compression="snappy", use_dictionary=text)


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
