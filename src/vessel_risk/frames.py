"""What every frame schema shares: the strict base, UTC times, empty frames, column lists.

Each frame that crosses a stage boundary is declared once, as a pandera
``DataFrameModel`` in the package that produces it (``ingest.schemas``,
``events.schemas``, ``features.schemas``); ``validate(frame)`` checks column names,
dtypes and value ranges and raises :class:`pandera.errors.SchemaError` on a mismatch.
Units are in the column names (``_km``, ``_h``); times are timezone-aware UTC.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pandera.pandas as pa

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
    keys = []
    for name in by:
        col = frame[name]
        if isinstance(col.dtype, pd.DatetimeTZDtype) or col.dtype.kind == "M":
            ns = col.to_numpy(dtype="datetime64[ns]").view("int64")
            missing = col.isna().to_numpy()
            keys.append(np.where(missing, np.iinfo("int64").max, ns))
            keys.append(missing)  # NaT after every time, even the largest
        elif col.dtype.kind == "f":
            keys.append(col.to_numpy())  # NaN sorts last in NumPy as in pandas
        elif col.dtype.kind in "iub" and not col.hasnans:
            keys.append(col.to_numpy())
        else:
            codes, _ = pd.factorize(col, sort=True)
            keys.append(np.where(codes < 0, np.iinfo("int64").max, codes))
    if not keys:
        return np.arange(len(frame))
    # lexsort's last key is the most significant; a key's "missing" flag follows it.
    return np.lexsort(keys[::-1])
