"""AIS gaps: intervals of at least 12 h between consecutive messages of a vessel.

Global Fishing Watch (pipe-gaps; Welch et al. 2022, Science Advances) keeps raw gaps
of 6 h or more and treats gaps of 12 h or more that start 50 nm or more from shore as
candidates for intentional disabling. Every row of a vessel counts, including rows
whose position was "not available": their time is still a message (case C01).
Splitting a track at a gap keeps every position (case C09).
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


def detect_gaps(positions: pd.DataFrame, *, min_hours: float = GAP_HOURS) -> pd.DataFrame:
    """AIS gaps of every vessel.

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi``, ``timestamp``; ``lat``, ``lon`` may be NaN; optional
        ``distance_from_shore_km``.
    min_hours : float, default 12
        Shortest gap kept, in hours.

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
    return out[list(GapSchema.to_schema().columns)]
