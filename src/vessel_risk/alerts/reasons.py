"""How alert reasons say what they measure: the comparison with peers and what bounds
the longest voyage (a port visit, an AIS silence of 30 days or more, or the data's ends).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from vessel_risk.model import indicators as ind

__all__ = ["COMPARATIVES", "VOYAGE_ENDS", "comparison", "describe", "longest_voyage_ends"]


def _clean(v: object) -> object:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return None
    return v


COMPARATIVES = {
    "max_voyage_duration_hours": ("longer", "shorter"),
    "max_distance_from_port_km": ("farther from port", "nearer port"),
    "gaps_12_hours": ("more", "fewer"),
    "number_carrier_encounters": ("more", "fewer"),
    "average_daily_fishing_hours": ("longer fishing days", "shorter fishing days"),
}
"""How a reason compares a value with its peers: (above the median, below it)."""

VOYAGE_ENDS = {
    "port": "a port visit",
    "silence": "an AIS silence of 30 days or more",
    "data_start": "the start of the data",
    "data_end": "the end of the data",
}
"""What bounds the longest voyage (:func:`longest_voyage_ends`)."""


def longest_voyage_ends(voyages: pd.DataFrame) -> pd.DataFrame:
    """What starts and ends each vessel-year's longest voyage.

    A voyage with a port at an end is bounded by a port visit; without one, by the first
    or last position of the track (the start or end of the data) or by an AIS silence of
    30 days or more (:data:`vessel_risk.events.voyages.MAX_SILENCE_H`). The year is the
    voyage's start year, as for ``max_voyage_duration_hours``.

    Parameters
    ----------
    voyages : DataFrame
        :class:`~vessel_risk.events.schemas.VoyageSchema` rows.

    Returns
    -------
    DataFrame with ``mmsi``, ``track_id``, ``year``, ``longest_voyage_from`` and
    ``longest_voyage_to`` (keys of :data:`VOYAGE_ENDS`).
    """
    cols = ["mmsi", "track_id", "year", "longest_voyage_from", "longest_voyage_to"]
    if voyages is None or voyages.empty:
        return pd.DataFrame(columns=cols)
    v = voyages.copy()
    v["track_id"] = v["track_id"].fillna(0).astype("int64") if "track_id" in v else 0
    key = ["mmsi", "track_id"]
    first = v.groupby(key)["start"].transform("min")
    last = v.groupby(key)["end"].transform("max")
    v["longest_voyage_from"] = np.where(
        v["from_port"].notna(), "port", np.where(v["start"] <= first, "data_start", "silence")
    )
    v["longest_voyage_to"] = np.where(
        v["to_port"].notna(), "port", np.where(v["end"] >= last, "data_end", "silence")
    )
    v["year"] = v["start"].dt.year.astype("int64")
    v = v.sort_values("duration_h", ascending=False, kind="stable")
    return v.drop_duplicates(["mmsi", "track_id", "year"])[cols].reset_index(drop=True)


def describe(i: ind.Indicator, row: Mapping[str, Any]) -> str:
    """The indicator's reason; the longest voyage says what bounds it."""
    if i.name != "long_voyages":
        return ind.describe(i, row)
    value = _clean(row.get(i.feature))
    if value is None:
        return "longest voyage unknown"
    h = float(value)  # type: ignore[arg-type]
    a, b = _clean(row.get("longest_voyage_from")), _clean(row.get("longest_voyage_to"))
    if a == "port" and b == "port":
        return f"longest time at sea between port visits: {h / 24:.0f} days ({h:.0f} h)"
    if a is None or b is None:
        return (
            f"longest voyage {h / 24:.0f} days ({h:.0f} h), from a port visit, the start "
            "of the data or an AIS silence of 30 days or more to the next of these"
        )
    return (
        f"longest voyage {h / 24:.0f} days ({h:.0f} h), from {VOYAGE_ENDS[str(a)]} to "
        f"{VOYAGE_ENDS[str(b)]}"
        + ("" if b == "port" else ", not a port visit: time at sea after it is not known")
    )


def comparison(feature: str, pct: float | None, label: str) -> str:
    """``, longer than 97 % of squid jiggers in 2021`` for a peer percentile (0..100);
    empty without one."""
    if pct is None or label == "":
        return ""
    more, less = COMPARATIVES.get(feature, ("higher", "lower"))
    if pct >= 50:
        return f", {more} than {pct:.0f} % of {label}"
    return f", {less} than {100 - pct:.0f} % of {label}"
