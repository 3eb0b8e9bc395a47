"""One MMSI, several transmitters: split a vessel's positions into physically possible tracks.

Distant-water fleets share MMSIs: two or more transmitters broadcast the same number at
once, and the positions alternate between places no vessel could travel between.
Following Global Fishing Watch's segmenter (``gpsdio-segment``), each position joins the
open track it can be reached from at the lowest implied speed, if that speed is at most
``max_speed_kn`` (30 kn for fishing vessels); otherwise it opens a new track. The number
of tracks that overlap in time is an identity indicator (deception, abuse of
vulnerability: DOMAIN.md), never proof: a transmitter moved between hulls looks the same.

Pure functions of frames; no I/O.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vessel_risk.geodesy import distance_km
from vessel_risk.tracks import same_vessel_as_previous

MAX_SPEED_KN = 30.0
"""Fastest plausible speed of a fishing vessel between two positions (GFW segmenter)."""
CLOSE_KM = 1.0
"""Positions this close are the same place whatever the time between them (GPS noise)."""
MIN_TRACK_POSITIONS = 10
"""Tracks with fewer positions are noise, not a transmitter."""
KM_PER_NM = 1.852


EARTH_RADIUS_KM = 6371.0088


def _haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: float, lon2: float) -> np.ndarray:
    """Great-circle distance (mean Earth radius): within 0.5 % of the geodesic, and
    cheap enough to call once per position against each open track."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1))))


def _assign(
    times_h: np.ndarray, lat: np.ndarray, lon: np.ndarray, max_speed_kn: float
) -> np.ndarray:
    """Track number of each position of one MMSI, in time order (greedy, GFW-style)."""
    last_t: list[float] = []
    last_lat: list[float] = []
    last_lon: list[float] = []
    out = np.empty(len(times_h), dtype="int64")
    for i in range(len(times_h)):
        best, best_speed = -1, np.inf
        if last_t:
            d = _haversine_km(np.array(last_lat), np.array(last_lon), lat[i], lon[i])
            dt = times_h[i] - np.array(last_t)
            with np.errstate(divide="ignore", invalid="ignore"):
                speed = np.where(d <= CLOSE_KM, 0.0, d / KM_PER_NM / dt)
            ok = speed <= max_speed_kn
            if ok.any():
                best = int(np.argmin(np.where(ok, speed, np.inf)))
                best_speed = speed[best]
        if best < 0 or not np.isfinite(best_speed):
            last_t.append(times_h[i])
            last_lat.append(lat[i])
            last_lon.append(lon[i])
            out[i] = len(last_t) - 1
        else:
            last_t[best], last_lat[best], last_lon[best] = times_h[i], lat[i], lon[i]
            out[i] = best
    return out


def split_transmitters(positions: pd.DataFrame, *, max_speed_kn: float = MAX_SPEED_KN) -> pd.Series:
    """Track number of each position within its MMSI (0 for the first transmitter).

    Parameters
    ----------
    positions : DataFrame of shape (n, k)
        With ``mmsi``, ``timestamp``, ``lat``, ``lon``; any order.
    max_speed_kn : float, default 30
        Fastest implied speed (knots) within one track.

    Returns
    -------
    Series of shape (n,), dtype Int64, aligned with ``positions``
        NA where the position is missing.
    """
    if max_speed_kn <= 0:
        raise ValueError(
            "The 'max_speed_kn' parameter of split_transmitters must be > 0. "
            f"Got {max_speed_kn} instead."
        )
    track = pd.Series(pd.NA, index=positions.index, dtype="Int64")
    p = positions.loc[
        positions["lat"].notna() & positions["lon"].notna(), ["mmsi", "timestamp", "lat", "lon"]
    ]
    p = p.sort_values(["mmsi", "timestamp"], kind="stable")
    if p.empty:
        return track
    t_h = p["timestamp"].astype("datetime64[ns, UTC]").astype("int64").to_numpy() / 3.6e12
    lat, lon = p["lat"].to_numpy(), p["lon"].to_numpy()
    same = same_vessel_as_previous(p["mmsi"])
    d = distance_km(np.roll(lat, 1), np.roll(lon, 1), lat, lon)
    dt = t_h - np.roll(t_h, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        jump = same & (d > CLOSE_KM) & ~(d / KM_PER_NM / dt <= max_speed_kn)
    result = np.zeros(len(p), dtype="int64")
    # Only MMSIs with at least one impossible step need the track-by-track pass.
    bounds = np.flatnonzero(~same)
    ends = np.append(bounds[1:], len(p))
    for start, end in zip(bounds, ends, strict=True):
        if jump[start:end].any():
            result[start:end] = _assign(
                t_h[start:end], lat[start:end], lon[start:end], max_speed_kn
            )
    track.loc[p.index] = result
    return track


def shared_mmsi_indicator(
    positions: pd.DataFrame,
    track: pd.Series,
    *,
    min_positions: int = MIN_TRACK_POSITIONS,
) -> pd.DataFrame:
    """Per MMSI, how many transmitters seem to share it.

    Parameters
    ----------
    positions : DataFrame
        With ``mmsi`` and ``timestamp``.
    track : Series
        From :func:`split_transmitters`, aligned with ``positions``.
    min_positions : int, default 10
        Tracks with fewer positions are ignored.

    Returns
    -------
    DataFrame with one row per MMSI: ``mmsi``, ``tracks`` (tracks of at least
    ``min_positions`` positions), ``concurrent_tracks`` (the most of them active at
    once, judged by their first and last times) and ``shared_mmsi`` (True when
    ``concurrent_tracks`` is 2 or more).
    """
    frame = pd.DataFrame(
        {"mmsi": positions["mmsi"], "timestamp": positions["timestamp"], "track": track}
    )
    frame = frame.dropna(subset=["track"])
    spans = frame.groupby(["mmsi", "track"]).agg(
        first=("timestamp", "min"), last=("timestamp", "max"), n=("timestamp", "size")
    )
    spans = spans[spans["n"] >= min_positions].reset_index()
    rows = []
    for mmsi, g in spans.groupby("mmsi", sort=True):
        events = sorted(
            [(t, 1) for t in g["first"]] + [(t, -1) for t in g["last"]], key=lambda e: (e[0], -e[1])
        )
        active = peak = 0
        for _, step in events:
            active += step
            peak = max(peak, active)
        rows.append({"mmsi": mmsi, "tracks": len(g), "concurrent_tracks": peak})
    out = pd.DataFrame(rows, columns=["mmsi", "tracks", "concurrent_tracks"])
    out["shared_mmsi"] = out["concurrent_tracks"] >= 2
    return out
