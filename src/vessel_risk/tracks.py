"""Per-vessel track arithmetic on frames sorted by ``mmsi`` then ``timestamp``.

These helpers work on whole frames of many vessels at once (no Python loop per
vessel), so every stage can run on any partition of vessels.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from vessel_risk.geodesy import distance_km


def same_vessel_as_previous(mmsi: pd.Series) -> npt.NDArray[np.bool_]:
    """Whether each row belongs to the same vessel as the row before it.

    Parameters
    ----------
    mmsi : Series of shape (n,), sorted so each vessel's rows are contiguous.

    Returns
    -------
    ndarray of bool, shape (n,); the first row is False.
    """
    same = mmsi.eq(mmsi.shift(1)).fillna(False)
    return np.array(same.to_numpy(dtype=bool), dtype=bool)  # a writable copy


def track_length_km(positions: pd.DataFrame) -> pd.Series:
    """Geodesic track length per vessel over the positions that have coordinates.

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi``, ``timestamp``; columns ``mmsi``, ``lat``, ``lon``.

    Returns
    -------
    Series indexed by ``mmsi``: length in km.
    """
    p = positions.loc[positions["lat"].notna(), ["mmsi", "lat", "lon"]]
    seg = segment_km(p)
    return seg.groupby(p["mmsi"].to_numpy()).sum()


def segment_km(positions: pd.DataFrame) -> pd.Series:
    """Distance in km from each position's predecessor of the same vessel (0 for the
    first; NaN-position rows give 0 and do not break the chain).

    Parameters
    ----------
    positions : DataFrame sorted by ``mmsi``, ``timestamp``.

    Returns
    -------
    Series aligned with ``positions``.
    """
    has = positions["lat"].notna()
    p = positions.loc[has, ["mmsi", "lat", "lon"]]
    same = same_vessel_as_previous(p["mmsi"])
    d = distance_km(p["lat"].shift(1), p["lon"].shift(1), p["lat"], p["lon"])
    out = pd.Series(0.0, index=positions.index)
    out.loc[p.index] = np.where(same, d, 0.0)
    return out
