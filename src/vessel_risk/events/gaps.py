"""AIS gaps: intervals of at least 12 h between consecutive messages of a vessel.

Global Fishing Watch (pipe-gaps; Welch et al. 2022, Science Advances) keeps raw gaps
of 6 h or more and treats gaps of 12 h or more that start 50 nm or more from shore as
candidates for intentional disabling. Every row of a vessel counts, including rows
whose position was "not available": their time is still a message (case C01).
Splitting a track at a gap keeps every position (case C09).

Gaps are per vessel track (``mmsi``, ``track_id``): the silence between two messages of
one transmitter track is a gap even where events end at it (port visits, loitering and
encounters never span a silence longer than
:data:`vessel_risk.geo.tracks.MAX_SILENCE_H`), and the interval between two tracks of
one MMSI is not.

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
import numpy.typing as npt
import pandas as pd

from vessel_risk.events.schemas import GapSchema
from vessel_risk.frames import empty_frame
from vessel_risk.geo.geodesy import M_PER_NM, distance_km
from vessel_risk.geo.tracks import (
    DAY_NS,
    epoch_ns,
    hours_since_previous,
    same_vessel_as_previous,
    track_ids,
)

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
    """AIS gaps of every vessel track.

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi``, ``track_id`` (optional), ``timestamp``; ``lat``, ``lon`` may
        be NaN; optional ``distance_from_shore_km``.
    min_hours : float, default 12
        Shortest gap kept, in hours.
    area_messages : DataFrame, optional
        Messages per UTC day and 1° cell from all vessels (:func:`area_message_counts`,
        summed over partitions when ``positions`` holds only some of the vessels);
        default: counted from ``positions``.

    Returns
    -------
    DataFrame with :class:`~vessel_risk.events.schemas.GapSchema` columns. Start and end
    positions are the last known position before the gap and the first after it, within
    the track; ``track_id`` is the positions' (0 where they have none).
    """
    if positions.empty:
        return empty_frame(GapSchema)
    same = same_vessel_as_previous(positions)
    ts = positions["timestamp"]
    dt_h = hours_since_previous(ts)
    is_gap = same & (dt_h >= min_hours)
    end_rows = np.flatnonzero(is_gap)
    if len(end_rows) == 0:
        return empty_frame(GapSchema)
    start_rows = end_rows - 1
    group = np.cumsum(~same)
    # The rows of each gap's vessel track, which the last and next known positions stay within.
    vessel_start = np.flatnonzero(~same)
    first = vessel_start[group[end_rows] - 1]
    last = np.append(vessel_start[1:], len(same))[group[end_rows] - 1] - 1
    shore = (
        positions["distance_from_shore_km"].to_numpy(dtype="float64")
        if "distance_from_shore_km" in positions.columns
        else np.full(len(positions), np.nan)
    )
    lat = positions["lat"].to_numpy(dtype="float64")
    lon = positions["lon"].to_numpy(dtype="float64")
    out = pd.DataFrame(
        {
            "mmsi": positions["mmsi"].take(end_rows).to_numpy(),
            "track_id": track_ids(positions)[end_rows],
            "start": ts.take(start_rows).reset_index(drop=True),
            "end": ts.take(end_rows).reset_index(drop=True),
            "duration_h": dt_h[end_rows],
            "start_lat": _last_known(lat, start_rows, first),
            "start_lon": _last_known(lon, start_rows, first),
            "end_lat": _next_known(lat, end_rows, last),
            "end_lon": _next_known(lon, end_rows, last),
            "distance_from_shore_km": _last_known(shore, start_rows, first),
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


def _last_known(
    values: npt.NDArray[np.float64], rows: npt.NDArray[np.intp], first: npt.NDArray[np.intp]
) -> npt.NDArray[np.float64]:
    """The last non-NaN value at or before each row, from row ``first`` on (else NaN).

    Parameters
    ----------
    values : ndarray of shape (n,)
    rows, first : ndarray of int, shape (m,)
        Row positions, and the first row each may look back to (its vessel's first).

    Returns
    -------
    ndarray of shape (m,)
    """
    known = np.concatenate([[-1], np.flatnonzero(~np.isnan(values))])
    at = known[np.searchsorted(known, rows, side="right") - 1]  # -1: none before
    return np.where(at >= first, values[at], np.nan)


def _next_known(
    values: npt.NDArray[np.float64], rows: npt.NDArray[np.intp], last: npt.NDArray[np.intp]
) -> npt.NDArray[np.float64]:
    """The first non-NaN value at or after each row, up to row ``last`` (else NaN).

    Parameters
    ----------
    values : ndarray of shape (n,)
    rows, last : ndarray of int, shape (m,)
        Row positions, and the last row each may look ahead to (its vessel's last).

    Returns
    -------
    ndarray of shape (m,)
    """
    n = len(values)
    known = np.concatenate([np.flatnonzero(~np.isnan(values)), [n]])
    at = known[np.searchsorted(known, rows, side="left")]  # n: none after
    return np.where(at <= last, values[np.minimum(at, n - 1)], np.nan)


def _messages_before(
    positions: pd.DataFrame, group: np.ndarray, rows: np.ndarray, hours: float
) -> np.ndarray:
    """Messages of the same vessel in the ``hours`` up to and including each row."""
    t = epoch_ns(positions["timestamp"]) // 1_000_000_000
    t = t - t.min()
    key = group.astype("int64") * (int(t.max()) + 1 + int(hours * 3600)) + t
    lo = np.searchsorted(key, key[rows] - int(hours * 3600), side="left")
    return (rows - lo + 1).astype("int64")


def _cell_days(
    t_ns: npt.NDArray[np.int64], lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """One integer per (UTC day, 1° latitude cell, 1° longitude cell).

    Parameters
    ----------
    t_ns : ndarray of int64, shape (n,), nanoseconds since the epoch (UTC).
    lat, lon : ndarray of shape (n,), degrees within [-90, 90] and [-180, 180].

    Returns
    -------
    ndarray of int64, shape (n,); equal exactly when day and both cells are equal.
    """
    cy = np.floor(lat).astype("int64") + 90  # 0 to 180
    cx = np.floor(lon).astype("int64") + 180  # 0 to 360
    return (t_ns // DAY_NS * 181 + cy) * 361 + cx


def area_message_counts(positions: pd.DataFrame) -> pd.DataFrame:
    """Located messages per UTC day and 1° cell, the reception measure of gap classes.

    Parameters
    ----------
    positions : DataFrame
        With ``timestamp``, ``lat``, ``lon``; rows without a position are not counted.

    Returns
    -------
    DataFrame with ``cell_day`` (int64 key of the UTC day and the 1° cell) and ``n``
    (messages), one row per cell-day with messages, sorted by ``cell_day``. Counts of
    disjoint sets of vessels add up: concatenate and sum ``n`` by ``cell_day``.
    """
    located = positions["lat"].notna().to_numpy()
    keys = _cell_days(
        epoch_ns(positions["timestamp"])[located],
        positions["lat"].to_numpy(dtype="float64")[located],
        positions["lon"].to_numpy(dtype="float64")[located],
    )
    cell_day, n = np.unique(keys, return_counts=True)
    return pd.DataFrame({"cell_day": cell_day, "n": n.astype("int64")})


def _area_messages(counts: pd.DataFrame, gaps: pd.DataFrame) -> np.ndarray:
    """Messages from all vessels in each gap's starting 1° cell on its UTC start day."""
    wanted = _cell_days(
        epoch_ns(gaps["start"]),
        gaps["start_lat"].fillna(0).to_numpy(dtype="float64"),
        gaps["start_lon"].fillna(0).to_numpy(dtype="float64"),
    )
    keys = counts["cell_day"].to_numpy(dtype="int64")
    n = counts["n"].to_numpy(dtype="int64")
    if len(keys) == 0:
        return np.zeros(len(wanted), dtype="int64")
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, n[at], 0).astype("int64")
