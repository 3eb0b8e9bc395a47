"""AIS gaps: intervals of at least 12 h between consecutive messages of a vessel.

Global Fishing Watch (pipe-gaps; Welch et al. 2022, Science Advances) keeps raw gaps
of 6 h or more and treats gaps of 12 h or more that start 50 nm or more from shore as
candidates for intentional disabling. Every row of a vessel counts, including rows
whose position was "not available": their time is still a message (case C01).
Splitting a track at a gap keeps every position (case C09).

Each gap is classed, following GFW's definition of a likely disabling (pipe-gaps;
Welch et al. 2022): ``likely_disabling`` when it starts at least 50 nm from shore,
the vessel sent at least 14 messages in the 12 h before it, and the area had
reception (at least 10 messages a day from all vessels in the 1° cell where the gap
starts, that UTC day); ``coverage`` when the area had less than that (the silence
may be the receivers', not the vessel's); ``other`` otherwise (near shore, or too
few messages before it to judge). Reception is measured on the data at hand, so it
understates reception where only a few vessels are in the input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vessel_risk.geodesy import M_PER_NM, distance_km
from vessel_risk.schemas import GapSchema, empty_frame
from vessel_risk.tracks import same_vessel_as_previous

GAP_HOURS = 12.0
OFFSHORE_NM = 50.0
OFFSHORE_KM = OFFSHORE_NM * M_PER_NM / 1000.0
"""50 nm in km (92.6): GFW's minimum distance from shore of a likely disabling."""
MIN_MESSAGES_BEFORE = 14
"""Messages in the 12 h before a gap for it to count as a likely disabling (GFW)."""
MIN_AREA_MESSAGES_PER_DAY = 10
"""Messages a day in the gap's 1° cell below which the gap is a coverage gap (GFW)."""


def detect_gaps(
    positions: pd.DataFrame,
    *,
    min_hours: float = GAP_HOURS,
    area_messages: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """AIS gaps of every vessel.

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi``, ``timestamp``; ``lat``, ``lon`` may be NaN; optional
        ``distance_from_shore_km``.
    min_hours : float, default 12
        Shortest gap kept, in hours.
    area_messages : DataFrame, optional
        Messages per UTC day and 1° cell from all vessels (:func:`area_message_counts`,
        summed over partitions when ``positions`` holds only some of the vessels);
        default: counted from ``positions``.

    Returns
    -------
    DataFrame with :class:`~vessel_risk.schemas.GapSchema` columns. Start and end
    positions are the last known position before the gap and the first after it.
    """
    if positions.empty:
        return empty_frame(GapSchema)
    same = same_vessel_as_previous(positions["mmsi"])
    ts = positions["timestamp"]
    dt_h = (ts - ts.shift(1)).dt.total_seconds().to_numpy() / 3600.0
    is_gap = same & (dt_h >= min_hours)
    end_rows = np.flatnonzero(is_gap)
    if len(end_rows) == 0:
        return empty_frame(GapSchema)
    start_rows = end_rows - 1
    group = np.cumsum(~same)
    shore = (
        positions["distance_from_shore_km"]
        if "distance_from_shore_km" in positions.columns
        else pd.Series(np.nan, index=positions.index)
    )
    known = positions[["lat", "lon"]].assign(shore=shore.to_numpy(), g=group)
    before = known.groupby("g")[["lat", "lon", "shore"]].ffill().to_numpy()
    after = known.groupby("g")[["lat", "lon"]].bfill().to_numpy()
    out = pd.DataFrame(
        {
            "mmsi": positions["mmsi"].take(end_rows).to_numpy(),
            "start": ts.take(start_rows).reset_index(drop=True),
            "end": ts.take(end_rows).reset_index(drop=True),
            "duration_h": dt_h[end_rows],
            "start_lat": before[start_rows, 0],
            "start_lon": before[start_rows, 1],
            "end_lat": after[end_rows, 0],
            "end_lon": after[end_rows, 1],
            "distance_from_shore_km": before[start_rows, 2],
        }
    )
    out["distance_km"] = distance_km(
        out["start_lat"], out["start_lon"], out["end_lat"], out["end_lon"]
    )
    out["positions_12h_before"] = _messages_before(positions, group, start_rows, GAP_HOURS)
    if area_messages is None:
        area_messages = area_message_counts(positions)
    out["area_messages_per_day"] = _area_messages(area_messages, out)
    offshore = out["distance_from_shore_km"] >= OFFSHORE_KM
    seen = out["positions_12h_before"] >= MIN_MESSAGES_BEFORE
    received = out["area_messages_per_day"] >= MIN_AREA_MESSAGES_PER_DAY
    located = out["start_lat"].notna()
    out["gap_class"] = np.where(
        located & ~received,
        "coverage",
        np.where(offshore & seen & received, "likely_disabling", "other"),
    )
    return out[list(GapSchema.to_schema().columns)]


def _messages_before(
    positions: pd.DataFrame, group: np.ndarray, rows: np.ndarray, hours: float
) -> np.ndarray:
    """Messages of the same vessel in the ``hours`` up to and including each row."""
    t = positions["timestamp"].to_numpy(dtype="datetime64[ns]").astype("int64") // 1_000_000_000
    t = t - t.min()
    key = group.astype("int64") * (int(t.max()) + 1 + int(hours * 3600)) + t
    lo = np.searchsorted(key, key[rows] - int(hours * 3600), side="left")
    return (rows - lo + 1).astype("int64")


def area_message_counts(positions: pd.DataFrame) -> pd.DataFrame:
    """Located messages per UTC day and 1° cell, the reception measure of gap classes.

    Parameters
    ----------
    positions : DataFrame
        With ``timestamp``, ``lat``, ``lon``; rows without a position are not counted.

    Returns
    -------
    DataFrame with ``day`` (UTC midnight), ``cy``, ``cx`` (floor of latitude and
    longitude, degrees) and ``n`` (messages), one row per cell-day with messages.
    Counts of disjoint sets of vessels add up: concatenate and sum ``n`` by cell-day.
    """
    p = positions[positions["lat"].notna()]
    cells = pd.DataFrame(
        {
            "day": p["timestamp"].dt.floor("D"),
            "cy": np.floor(p["lat"].to_numpy()).astype("int64"),
            "cx": np.floor(p["lon"].to_numpy()).astype("int64"),
        }
    )
    return cells.groupby(["day", "cy", "cx"]).size().rename("n").reset_index()


def _area_messages(counts: pd.DataFrame, gaps: pd.DataFrame) -> np.ndarray:
    """Messages from all vessels in each gap's starting 1° cell on its UTC start day."""
    want = pd.DataFrame(
        {
            "day": gaps["start"].dt.floor("D"),
            "cy": np.floor(gaps["start_lat"].fillna(0).to_numpy()).astype("int64"),
            "cx": np.floor(gaps["start_lon"].fillna(0).to_numpy()).astype("int64"),
        }
    )
    n = want.merge(counts, on=["day", "cy", "cx"], how="left")["n"]
    return n.fillna(0).to_numpy(dtype="int64")
