"""What every frame schema shares: the strict base, UTC times, empty frames, column lists.

Each frame that crosses a stage boundary is declared once, as a pandera
``DataFrameModel`` in the package that produces it (``ingest.schemas``,
``events.schemas``, ``features.schemas``); ``validate(frame)`` checks column names,
dtypes and value ranges and raises :class:`pandera.errors.SchemaError` on a mismatch.
Units are in the column names (``_km``, ``_h``); times are timezone-aware UTC.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pandera.pandas as pa


def _without_pandera_dask_types() -> None:
    """Keep pandera from importing ``dask.dataframe`` for type annotations we never use.

    pandera builds a schema by checking each column's annotation against its index and
    series types of every backend installed (``pandera.typing.get_index_types``), and
    imports ``pandera.typing.dask``, hence ``dask.dataframe``, when Dask is installed,
    as it is here for the engine (:mod:`vessel_risk.pipeline.engine`): 0.58 s and 42 MiB
    in every process that builds a schema (the driver and each worker), most of a
    run's tail over 1 GiB on the decoded CSV (benchmarks/README.md, issue 15 session
    8). Our schemas are pandas schemas only, so pandera is shown a ``pandera.typing.dask``
    that says Dask is absent, unless the real one was imported first.
    """
    name = "pandera.typing.dask"
    if name not in sys.modules:
        stub = types.ModuleType(name, "pandera's Dask types, left out by vessel_risk.frames")
        stub.DASK_INSTALLED = False  # type: ignore[attr-defined]
        sys.modules[name] = stub


_without_pandera_dask_types()

UTC_NS = pd.DatetimeTZDtype("ns", "UTC")


class StrictSchema(pa.DataFrameModel):
    """Base of the frame schemas: no column beyond those declared; values coerced."""

    class Config:
        strict = True
        coerce = True


def empty_frame(schema: type[pa.DataFrameModel]) -> pd.DataFrame:
    """An empty frame with the columns and dtypes of ``schema``.

    Parameters
    ----------
    schema : pandera DataFrameModel subclass

    Returns
    -------
    DataFrame of shape (0, n_columns)
    """
    cols = schema.to_schema().columns
    return pd.DataFrame(
        {
            name: pd.Series(dtype=str(col.dtype) if col.dtype else "object")
            for name, col in cols.items()
        }
    )


def columns(schema: type[pa.DataFrameModel]) -> list[str]:
    """The ordered column names of ``schema``."""
    return list(schema.to_schema().columns)


def sort_order(frame: pd.DataFrame, by: list[str]) -> npt.NDArray[np.intp]:
    """Row positions that sort ``frame`` by ``by``: ``frame.sort_values(by, kind="stable")``.

    pandas sorts on several keys by making each a categorical (a hash of every value,
    slow for tz-aware times); here each key becomes an array that orders as its values
    do (times as integer ns, strings as their sorted codes, missing values last, as
    pandas puts them) and one stable ``np.lexsort`` orders the rows. Same order, rows
    of equal keys in their original order (issue 15).

    Parameters
    ----------
    frame : DataFrame of shape (n, k)
    by : list of str
        Columns, most significant first; numbers, booleans, times or strings.

    Returns
    -------
    ndarray of shape (n,)
        Positions for ``frame.take``.
    """
    keys: list[npt.NDArray[Any]] = []
    # Keys of the leading columns up to the first time: sorted on all rows. The later
    # keys only break ties among rows equal on those, so only the tied rows are sorted
    # on them (rows of one vessel rarely share a second).
    lead = 0
    for i, name in enumerate(by):
        col = frame[name]
        if isinstance(col.dtype, pd.DatetimeTZDtype) or col.dtype.kind == "M":
            ns = col.to_numpy(dtype="datetime64[ns]").view("int64")
            missing = col.isna().to_numpy()
            keys.append(np.where(missing, np.iinfo("int64").max, ns))
            keys.append(missing)  # NaT after every time, even the largest
            if not lead:
                lead = len(keys) if i < len(by) - 1 else 0
        elif col.dtype.kind == "f":
            keys.append(col.to_numpy())  # NaN sorts last in NumPy as in pandas
        elif col.dtype.kind in "iub" and not col.hasnans:
            keys.append(col.to_numpy())
        else:
            codes, _ = pd.factorize(col, sort=True)
            keys.append(np.where(codes < 0, np.iinfo("int64").max, codes))
    if not keys:
        return np.arange(len(frame))
    if not lead:
        # lexsort's last key is the most significant; a key's "missing" flag follows it.
        return np.lexsort(keys[::-1])
    order = np.lexsort(keys[:lead][::-1])
    tied = np.zeros(len(order), dtype=bool)
    if len(order) > 1:
        same = np.ones(len(order) - 1, dtype=bool)
        for key in keys[:lead]:
            k = key[order]
            eq = k[1:] == k[:-1]
            if k.dtype.kind == "f":
                eq |= np.isnan(k[1:]) & np.isnan(k[:-1])  # NaNs sort as equals
            same &= eq
        tied[1:] = same
        tied[:-1] |= same
    if tied.any():
        # Runs of tied rows, each in its original order (lexsort is stable): order
        # each run on the later keys, stably, as one sort on (run, later keys).
        at = np.flatnonzero(tied)
        run = np.cumsum(~np.r_[False, same][at])
        rows = order[at]
        order[at] = rows[np.lexsort([key[rows] for key in keys[lead:][::-1]] + [run])]
    return order


def sorted_by(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``frame`` in the order of :func:`sort_order` (``frame.sort_values(by,
    kind="stable")``), with its index labels; ``frame`` itself when already in that
    order, so a sorted frame is not copied (issue 15).

    Parameters
    ----------
    frame : DataFrame of shape (n, k)
    by : list of str
        As for :func:`sort_order`.

    Returns
    -------
    DataFrame of shape (n, k)
    """
    order = sort_order(frame, by)
    if len(order) and not (order[1:] < order[:-1]).any():
        return frame
    return frame.take(order)
