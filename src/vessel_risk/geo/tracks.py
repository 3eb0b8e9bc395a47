"""Per-vessel track arithmetic on frames sorted by ``mmsi`` (then ``track_id``) then ``timestamp``.

These helpers work on whole frames of many vessels at once (no Python loop per
vessel), so every stage can run on any partition of vessels.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from vessel_risk.geo.geodesy import distance_km

DAY_NS = 86_400 * 10**9
"""Nanoseconds in a day."""


MAX_SILENCE_H = 24.0
"""Longest silence (hours without a message) a port visit, loitering event or
encounter may span: the ``max_hours`` of Global Fishing Watch's segmenter
(gpsdio-segment), after which a track is not continued across the silence."""


def track_ids(positions: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Each row's transmitter track within its MMSI.

    Parameters
    ----------
    positions : DataFrame of n rows, optionally with ``track_id``.

    Returns
    -------
    ndarray of int64, shape (n,): ``track_id``, or 0 for every row of a frame without
    it (one track per MMSI).
    """
    if "track_id" in positions.columns:
        return positions["track_id"].to_numpy(dtype="int64")
    return np.zeros(len(positions), dtype="int64")


def after_silence(
    timestamps: pd.Series, max_silence_h: float = MAX_SILENCE_H
) -> npt.NDArray[np.bool_]:
    """Whether each row follows the row before it after a silence longer than the limit.

    Parameters
    ----------
    timestamps : Series of shape (n,), timezone-aware, without NaT, in track order.
    max_silence_h : float, default :data:`MAX_SILENCE_H` (24 h)
        Longest silence (hours) an event may span; a longer one ends it.

    Returns
    -------
    ndarray of bool, shape (n,); the first row is False. Only meaningful where the row
    and the one before it are of the same track (:func:`same_vessel_as_previous`).
    """
    return np.asarray(hours_since_previous(timestamps) > max_silence_h, dtype=bool)


def same_vessel_as_previous(vessels: pd.Series | pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Whether each row belongs to the same vessel track as the row before it.

    Parameters
    ----------
    vessels : Series or DataFrame of n rows, sorted so each track's rows are contiguous
        A Series of MMSIs, or a frame with ``mmsi`` and optionally ``track_id`` (the
        transmitter track within the MMSI): rows of two tracks of one MMSI are not
        the same vessel track. A frame without ``track_id`` has one track per MMSI.

    Returns
    -------
    ndarray of bool, shape (n,); the first row is False.
    """
    if isinstance(vessels, pd.DataFrame):
        same = same_vessel_as_previous(vessels["mmsi"])
        if "track_id" in vessels.columns:
            track = vessels["track_id"]
            same &= track.eq(track.shift(1)).fillna(False).to_numpy(dtype=bool)
        return same
    equal = vessels.eq(vessels.shift(1)).fillna(False)
    return np.array(equal.to_numpy(dtype=bool), dtype=np.bool_)  # a writable copy


def epoch_ns(timestamps: pd.Series) -> npt.NDArray[np.int64]:
    """Timestamps as integer nanoseconds since 1970-01-01 UTC.

    Arithmetic on these integers is much faster than on timezone-aware Timestamps.

    Parameters
    ----------
    timestamps : Series of shape (n,), timezone-aware, without NaT.

    Returns
    -------
    ndarray of int64, shape (n,), nanoseconds.
    """
    return timestamps.to_numpy(dtype="datetime64[ns]").view("int64")


def hours_since_previous(timestamps: pd.Series) -> npt.NDArray[np.float64]:
    """Hours from the row before, whatever its vessel (NaN for the first row).

    Parameters
    ----------
    timestamps : Series of shape (n,), timezone-aware, without NaT.

    Returns
    -------
    ndarray of float64, shape (n,), hours.
    """
    h = np.full(len(timestamps), np.nan)
    # Seconds first, then hours: the same rounding as Timedelta.total_seconds() / 3600.
    h[1:] = np.diff(epoch_ns(timestamps)) / 1e9 / 3600.0
    return h


def track_length_km(positions: pd.DataFrame) -> pd.Series:
    """Geodesic track length per MMSI over the positions that have coordinates.

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi`` (then ``track_id``), ``timestamp``; columns ``mmsi``, ``lat``,
        ``lon``, optionally ``track_id``.

    Returns
    -------
    Series indexed by ``mmsi``: length in km, summed over the MMSI's tracks (no step
    joins two tracks).
    """
    p = positions.loc[positions["lat"].notna()]
    seg = segment_km(p)
    return seg.groupby(p["mmsi"].to_numpy()).sum()


def segment_km(positions: pd.DataFrame, steps: StepDistances | None = None) -> pd.Series:
    """Distance in km from each position's predecessor of the same vessel track (0 for
    the first; NaN-position rows give 0 and do not break the chain).

    A silence does not break the chain: the step across it is the distance between the
    last fix before and the first after (voyages decide whether it is time at sea).

    Parameters
    ----------
    positions : DataFrame sorted by ``mmsi`` (then ``track_id``), ``timestamp``; with
        ``track_id``, no step joins two tracks of one MMSI.
    steps : StepDistances, optional
        Steps already measured between rows of ``positions`` (by index label).

    Returns
    -------
    Series aligned with ``positions``.
    """
    has = positions["lat"].notna()
    keys = ["mmsi", "track_id"] if "track_id" in positions.columns else ["mmsi"]
    p = positions.loc[has, [*keys, "lat", "lon"]]
    same = same_vessel_as_previous(p)
    if steps is not None:
        d = steps.between(p.index, p["lat"], p["lon"], same)
    else:
        d = distance_km(p["lat"].shift(1), p["lon"].shift(1), p["lat"], p["lon"])
    out = pd.Series(0.0, index=positions.index)
    out.loc[p.index] = np.where(same, d, 0.0)
    return out


class StepDistances:
    """Geodesic km of the steps between rows of one frame, kept by row label for reuse.

    Cleaning measures the steps between consecutive positions three times (the
    transmitter split, the speed outliers, the track lengths) on frames that lose a few
    rows between looks; a step between the same two rows is the same distance, so each
    is computed once (issue 15). Labels are the rows' integer index labels in the frame
    the instance was made for.

    Parameters
    ----------
    n : int
        Rows of that frame: labels run from 0 to ``n - 1``.
    """

    def __init__(self, n: int) -> None:
        self._prev = np.full(n, -1, dtype="int64")
        self._km = np.full(n, np.nan)

    def between(
        self,
        labels: npt.ArrayLike,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        wanted: npt.NDArray[np.bool_],
    ) -> npt.NDArray[np.float64]:
        """Distance from each row to the row before it, where ``wanted``.

        Parameters
        ----------
        labels : array-like of int, shape (n,)
            Row labels, in the order of the steps.
        lat, lon : array-like of shape (n,)
            Degrees, aligned with ``labels``.
        wanted : ndarray of bool, shape (n,)
            Rows whose step is needed (False for the first row).

        Returns
        -------
        ndarray of shape (n,)
            Geodesic km from row ``i - 1`` to row ``i`` (:func:`distance_km`, the same
            value as computing it afresh) where ``wanted``, NaN elsewhere.
        """
        lab = np.asarray(labels, dtype="int64")
        la = np.asarray(lat, dtype="float64")
        lo = np.asarray(lon, dtype="float64")
        out = np.full(len(lab), np.nan)
        if len(lab) < 2:
            return out
        rows = np.flatnonzero(wanted[1:]) + 1
        prev = lab[rows - 1]
        known = self._prev[lab[rows]] == prev
        out[rows[known]] = self._km[lab[rows[known]]]
        new = rows[~known]
        out[new] = distance_km(la[new - 1], lo[new - 1], la[new], lo[new])
        self._prev[lab[new]] = lab[new - 1]
        self._km[lab[new]] = out[new]
        return out


def split_at_antimeridian(
    lon: npt.ArrayLike, lat: npt.ArrayLike
) -> list[list[tuple[float, float]]]:
    """A track's (lon, lat) vertices as lines that never cross the antimeridian.

    Consecutive fixes more than 180° of longitude apart are taken to cross the
    antimeridian the short way round; the line ends at ±180° at the latitude
    interpolated linearly in (unwrapped) longitude and the next one starts on the
    other side, as RFC 7946 §3.1.9 asks.

    Parameters
    ----------
    lon, lat : array-like of shape (n,)
        Longitudes and latitudes in degrees (EPSG:4326), in time order.

    Returns
    -------
    list of lines, each a list of (lon, lat) pairs in degrees; lines of one vertex are
    kept (a single fix), empty input gives an empty list.
    """
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    lines: list[list[tuple[float, float]]] = []
    if len(x) == 0:
        return lines
    current = [(float(x[0]), float(y[0]))]
    for i in range(1, len(x)):
        x0, y0, x1, y1 = x[i - 1], y[i - 1], x[i], y[i]
        if abs(x1 - x0) > 180.0:
            side = 180.0 if x0 > 0 else -180.0
            x1u = x1 + 360.0 if x0 > 0 else x1 - 360.0
            t = (side - x0) / (x1u - x0)
            y_cross = float(y0 + t * (y1 - y0))
            current.append((side, y_cross))
            lines.append(current)
            current = [(-side, y_cross)]
        current.append((float(x1), float(y1)))
    lines.append(current)
    return lines


def track_feature(positions: pd.DataFrame, *, mmsi: str, track_id: int = 0) -> dict[str, object]:
    """One vessel's track as an RFC 7946 GeoJSON Feature (a MultiLineString).

    Parameters
    ----------
    positions : DataFrame
        The vessel's positions with ``timestamp`` (UTC), ``lat``, ``lon`` in degrees;
        rows without coordinates are left out.
    mmsi : str
        The vessel's MMSI, a 9-character string.
    track_id : int, default 0
        The transmitter track these positions belong to.

    Returns
    -------
    dict
        A GeoJSON Feature: ``geometry`` a MultiLineString split at the antimeridian
        (or null without positions); ``properties`` ``mmsi``, ``track_id``, ``positions``,
        ``start_utc`` and ``end_utc`` (ISO 8601) and ``segments``.
    """
    p = positions.dropna(subset=["lat", "lon"]).sort_values("timestamp")
    lines = split_at_antimeridian(p["lon"].to_numpy(), p["lat"].to_numpy())
    geometry = (
        {"type": "MultiLineString", "coordinates": [[list(v) for v in line] for line in lines]}
        if lines
        else None
    )
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "mmsi": mmsi,
            "track_id": track_id,
            "positions": len(p),
            "start_utc": p["timestamp"].iloc[0].isoformat() if len(p) else None,
            "end_utc": p["timestamp"].iloc[-1].isoformat() if len(p) else None,
            "segments": len(lines),
        },
    }
