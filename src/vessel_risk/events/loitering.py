"""Loitering: a vessel drifting or stopped far from shore.

Rule (Global Fishing Watch loitering events): speed below 2 kn for at least 1 h, at
least 20 nm from shore; carriers (refrigerated cargo vessels, which loiter to
transship) need 4 h (Miller et al. 2018 used 8 h). A run of qualifying messages ends
at the first message that does not qualify or at an AIS gap of 12 h or more.

Loitering is per vessel track (``mmsi``, ``track_id``). Ending at a 12 h gap keeps every
event within :data:`vessel_risk.geo.tracks.MAX_SILENCE_H` (24 h), the one limit on
silences inside events: a loitering event never spans a longer silence.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from vessel_risk.events.gaps import GAP_HOURS
from vessel_risk.geo.geodesy import M_PER_NM
from vessel_risk.geo.tracks import (
    MAX_SILENCE_H,
    epoch_ns,
    hours_since_previous,
    same_vessel_as_previous,
    track_ids,
)

MAX_SPEED_KN = 2.0
MIN_HOURS = 1.0
MIN_HOURS_CARRIER = 4.0
MIN_SHORE_NM = 20.0
MIN_SHORE_KM = MIN_SHORE_NM * M_PER_NM / 1000.0
MAX_SILENCE_IN_EVENT_H = min(GAP_HOURS, MAX_SILENCE_H)
"""A silence this long or longer (hours) ends a loitering run: the 12 h of an AIS gap,
within the 24 h of :data:`vessel_risk.geo.tracks.MAX_SILENCE_H`."""

LOITERING_COLUMNS = [
    "mmsi",
    "track_id",
    "start",
    "end",
    "duration_h",
    "lat",
    "lon",
    "distance_from_shore_km",
    "median_speed_knots",
    "carrier",
]


def detect_loitering(
    positions: pd.DataFrame,
    *,
    carriers: Collection[str] = (),
    max_speed_kn: float = MAX_SPEED_KN,
    min_hours: float = MIN_HOURS,
    min_hours_carrier: float = MIN_HOURS_CARRIER,
    min_shore_km: float = MIN_SHORE_KM,
) -> pd.DataFrame:
    """Loitering events of every vessel track.

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi``, ``track_id`` (optional), ``timestamp``, with ``speed_knots``,
        ``lat``, ``lon`` and ``distance_from_shore_km``. A row without a position ends a
        loitering run, and so does a silence of :data:`MAX_SILENCE_IN_EVENT_H` (12 h).
    carriers : collection of str, optional
        MMSIs of carriers, which need ``min_hours_carrier``.
    max_speed_kn, min_hours, min_hours_carrier, min_shore_km : float
        GFW's thresholds: 2 kn, 1 h, 4 h, 20 nm (37.04 km).

    Returns
    -------
    DataFrame with columns ``mmsi``, ``track_id`` (from the positions, 0 where they have
    none), ``start``, ``end``, ``duration_h``, ``lat``, ``lon`` (mean position),
    ``distance_from_shore_km`` (minimum over the event), ``median_speed_knots``,
    ``carrier``.
    """
    if positions.empty:
        return pd.DataFrame(columns=LOITERING_COLUMNS)
    same = same_vessel_as_previous(positions)
    shore = positions["distance_from_shore_km"].to_numpy(dtype="float64")
    ok = (
        (positions["speed_knots"].to_numpy() < max_speed_kn)
        & (shore >= min_shore_km)
        & positions["lat"].notna().to_numpy()
    )
    ts = positions["timestamp"]
    # A qualifying row continues the run of the row before if that row qualifies too.
    continues = (
        ok
        & same
        & np.concatenate([[False], ok[:-1]])
        & (hours_since_previous(ts) < MAX_SILENCE_IN_EVENT_H)
    )
    start = ok & ~continues
    first = np.flatnonzero(start)
    if len(first) == 0:
        return pd.DataFrame(columns=LOITERING_COLUMNS)
    # A run's rows are contiguous: it ends at a qualifying row the next does not continue.
    last = np.flatnonzero(ok & ~np.append(continues[1:], False))
    t = epoch_ns(ts)
    duration_h = (t[last] - t[first]) / 1e9 / 3600.0
    mmsi = positions["mmsi"].take(first)
    carrier = mmsi.isin(set(carriers)).to_numpy()
    keep = duration_h >= np.where(carrier, min_hours_carrier, min_hours)
    # Only the rows of runs long enough are summarised (mean position, median speed...).
    run = np.cumsum(start) - 1
    rows = np.flatnonzero(ok & keep[run])
    lon_rad = np.radians(positions["lon"].to_numpy(dtype="float64")[rows])
    frame = pd.DataFrame(
        {
            "run": run[rows],
            "lat": positions["lat"].to_numpy(dtype="float64")[rows],
            "lon_cos": np.cos(lon_rad),
            "lon_sin": np.sin(lon_rad),
            "shore": shore[rows],
            "speed": positions["speed_knots"].to_numpy(dtype="float64")[rows],
        }
    )
    out = (
        frame.groupby("run", sort=True)
        .agg(
            lat=("lat", "mean"),
            lon_cos=("lon_cos", "mean"),
            lon_sin=("lon_sin", "mean"),
            distance_from_shore_km=("shore", "min"),
            median_speed_knots=("speed", "median"),
        )
        .reset_index(drop=True)
    )
    out["mmsi"] = mmsi.to_numpy()[keep]
    out["track_id"] = track_ids(positions)[first[keep]]
    out["start"] = ts.array[first[keep]]
    out["end"] = ts.array[last[keep]]
    out["duration_h"] = duration_h[keep]
    out["carrier"] = carrier[keep]
    # Mean longitude on the circle, so an event astride 180° is not placed at 0°.
    out["lon"] = np.degrees(np.arctan2(out.pop("lon_sin"), out.pop("lon_cos")))
    return out[LOITERING_COLUMNS]
