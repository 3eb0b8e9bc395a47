"""What every frame schema shares: the strict base, UTC times, empty frames, column lists.

Each frame that crosses a stage boundary is declared once, as a pandera
``DataFrameModel`` in the package that produces it (``ingest.schemas``,
``events.schemas``, ``features.schemas``); ``validate(frame)`` checks column names,
dtypes and value ranges and raises :class:`pandera.errors.SchemaError` on a mismatch.
Units are in the column names (``_km``, ``_h``); times are timezone-aware UTC.
"""

from __future__ import annotations

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
