"""Identity history: every name, call sign, IMO number, ship type and destination an
MMSI broadcast, with first and last time seen and how often.

Renaming and reflagging are themselves indicators (ILO: deception); the history feeds
the vessel-year features (``number_of_shipnames``...) and the database's vessel record.
"""

from __future__ import annotations

import pandas as pd


def identity_history(static: pd.DataFrame) -> pd.DataFrame:
    """Names, call signs, IMO numbers, types and destinations each MMSI broadcast, with
    first and last time.

    Parameters
    ----------
    static : DataFrame
        Rows with ``mmsi``, ``timestamp`` and any of ``shipname``, ``callsign``,
        ``imo``, ``shiptype``, ``destination`` (static reports and position rows that
        carry them).

    Returns
    -------
    DataFrame with columns ``mmsi``, ``field``, ``value``, ``first_seen``,
    ``last_seen``, ``messages``; one row per distinct (mmsi, field, value).
    """
    fields = [
        c for c in ("shipname", "callsign", "imo", "shiptype", "destination") if c in static.columns
    ]
    if not fields or static.empty:
        return pd.DataFrame(
            columns=["mmsi", "field", "value", "first_seen", "last_seen", "messages"]
        )
    long = static.melt(id_vars=["mmsi", "timestamp"], value_vars=fields, var_name="field")
    long["value"] = long["value"].astype("string").str.strip()
    long = long[long["value"].notna() & (long["value"] != "")]
    out = (
        long.groupby(["mmsi", "field", "value"], observed=True)["timestamp"]
        .agg(first_seen="min", last_seen="max", messages="size")
        .reset_index()
    )
    return out
