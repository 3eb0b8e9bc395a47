"""Quarantine: the rows ingest does not keep, with where they came from and why.

A quarantined row (:class:`~vessel_risk.ingest.schemas.QuarantineSchema`) keeps its
``source`` file, ``line`` number, ``mmsi`` as sent, ``reason`` and ``raw`` text: the
line itself for CSV and NMEA, and for rows read as fields (Parquet, or CSV rows
judged after parsing) :func:`raw_text`, the fields joined by commas as pandas would
print them. The reasons are listed in :mod:`vessel_risk.ingest.verdicts` and
:mod:`vessel_risk.ingest.nmea`; CSV lines that do not parse are ``malformed_line``
or ``empty_line``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vessel_risk.frames import empty_frame
from vessel_risk.ingest.schemas import QUARANTINE_COLUMNS, QuarantineSchema

_QUARANTINE_DTYPES = {**dict.fromkeys(QUARANTINE_COLUMNS, "string"), "line": "float64"}
"""Quarantine columns as stacked: text as pandas ``string``, line numbers as floats."""


def raw_text(frame: pd.DataFrame) -> pd.Series:
    """The fields of each row joined by commas, as a stand-in for its raw line.

    Parameters
    ----------
    frame : DataFrame of shape (n, k)

    Returns
    -------
    Series of shape (n,), dtype string
    """
    if frame.shape[1] == 0:
        return pd.Series("", index=frame.index, dtype="string")
    fields = [
        pa.array(_as_text(frame.iloc[:, i]).fillna(""), type=pa.large_string(), from_pandas=True)
        for i in range(frame.shape[1])
    ]
    joined = pc.binary_join_element_wise(*fields, pa.scalar(",", pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(joined), index=frame.index, name=frame.columns[0])


def _as_text(column: pd.Series) -> pd.Series:
    """``column.astype("string")``, the same text at less cost for floats and UTC times."""
    dtype = column.dtype
    if column.empty:
        return column.astype("string")
    if isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC":
        return _utc_text(column)
    if dtype == np.float64:
        # Each distinct bit pattern formatted once (0.0 and -0.0 stay apart).
        codes, bits = pd.factorize(column.to_numpy().view("i8"))
        text = pd.Series(bits.view("float64")).astype("string")
        taken = pa.array(text, type=pa.large_string(), from_pandas=True).take(pa.array(codes))
        return pd.Series(pd.arrays.ArrowStringArray(taken), index=column.index)
    return column.astype("string")


def _utc_text(column: pd.Series) -> pd.Series:
    """``column.astype("string")`` for UTC times, formatted by NumPy in one pass.

    pandas formats a tz-aware time through a Timestamp per value (about 10 us each);
    the text is the same: ``2023-02-05 06:58:12+00:00``, with as many fractional digits
    (3, 6 or 9) as the most precise value of the column needs.
    """
    try:
        values = column.array.as_unit("ns")
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        return column.astype("string")
    ns = np.asarray(values.view("i8"))
    nat = np.asarray(values.isna())
    frac = ns[~nat] % 1_000_000_000
    unit: Literal["ns", "us", "ms", "s"] = "s"
    if (frac % 1_000).any():
        unit = "ns"
    elif (frac % 1_000_000).any():
        unit = "us"
    elif frac.any():
        unit = "ms"
    iso = np.datetime_as_string(ns.view("datetime64[ns]"), unit=unit)
    text = np.strings.add(np.strings.replace(iso, "T", " "), "+00:00")
    return pd.Series(text, index=column.index, dtype="string").mask(nat)


def _stack_quarantine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Quarantined rows of several chunks or files as one frame.

    The frame is as :class:`~vessel_risk.ingest.schemas.QuarantineSchema` declares it.

    Parts may have their columns in any order and loose dtypes (a NMEA file's, a CSV's
    malformed lines); empty parts are skipped, and none at all gives a typed empty frame.
    """
    parts = [q for q in parts if len(q)]
    if not parts:
        return empty_frame(QuarantineSchema)
    q_all = pd.concat(parts, ignore_index=True)
    q_all = q_all.reindex(columns=QUARANTINE_COLUMNS)
    return q_all.astype(_QUARANTINE_DTYPES)
