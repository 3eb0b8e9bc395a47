"""Encounters: two vessels side by side at sea, as in a transshipment.

Rule (Global Fishing Watch encounters): two vessels within 500 m of each other for at
least 2 h, with a median speed below 2 kn, at least 10 km from an anchorage. As GFW
does, each track is first put on a common time grid (10 min) by linear
interpolation, so that two vessels reporting at different moments can be compared;
a track is only interpolated across intervals shorter than ``max_interp_h``.
An encounter with a vessel on a carrier list (refrigerated cargo vessels) is marked:
transshipment lets a fishing vessel stay at sea for months (DOMAIN.md).

Each side is a vessel track (``mmsi``, ``track_id``): a track is only interpolated
within itself, and two tracks of one MMSI are never paired (two transmitters of one
MMSI side by side are one hull or one identity, not a transshipment). An encounter
never spans a silence longer than :data:`vessel_risk.geo.tracks.MAX_SILENCE_H` (24 h):
the grid is not interpolated across intervals of ``max_interp_h`` (2 h) or more, so a
silence of either vessel leaves slots without a sample and ends the run of the pair.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from vessel_risk.geo.geodesy import distance_km
from vessel_risk.geo.tracks import MAX_SILENCE_H, epoch_ns, track_ids

MAX_DISTANCE_M = 500.0
MIN_HOURS = 2.0
MAX_MEDIAN_SPEED_KN = 2.0
MIN_PORT_KM = 10.0
STEP_MIN = 10
MAX_INTERP_H = 2.0
MIN_MERIDIAN_RADIUS_M = 6_335_439.0
"""Smallest meridional radius of curvature of WGS 84, a(1 - e²), at the equator (m).

Two points ``d`` metres apart on the ellipsoid differ in latitude by at most
``d / MIN_MERIDIAN_RADIUS_M`` radians: the shortest way between two parallels is along a
meridian, whose arc is never shorter than that."""
_SPHERE_SLACK_M = 0.1
"""Added to the distance on the sphere of radius ``MIN_MERIDIAN_RADIUS_M`` against rounding."""

ENCOUNTER_COLUMNS = [
    "mmsi",
    "track_id",
    "other_mmsi",
    "other_track_id",
    "start",
    "end",
    "duration_h",
    "lat",
    "lon",
    "median_distance_m",
    "median_speed_knots",
    "other_is_carrier",
]


def resample_tracks(
    positions: pd.DataFrame, *, step_min: int = STEP_MIN, max_interp_h: float = MAX_INTERP_H
) -> pd.DataFrame:
    """Each vessel track's positions on a common UTC grid of ``step_min`` minutes.

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi``, ``track_id`` (optional), ``timestamp``; ``lat``, ``lon``,
        ``speed_knots``, optional ``distance_from_port_km``; rows without a position are
        ignored.
    step_min : int, default 10
    max_interp_h : float, default 2
        Longest interval (hours) interpolated across; never two tracks.

    Returns
    -------
    DataFrame with ``mmsi`` (categorical), ``track_id`` (int64, 0 where the positions
    have none), ``slot`` (int: minutes since the epoch / step), ``lat``, ``lon``,
    ``speed_knots``, ``distance_from_port_km``. Longitude is interpolated along the
    short way round, so tracks across 180° stay correct.

    Raises
    ------
    ValueError
        If ``max_interp_h`` exceeds :data:`vessel_risk.geo.tracks.MAX_SILENCE_H`: an
        encounter may not span a longer silence.
    """
    if max_interp_h > MAX_SILENCE_H:
        raise ValueError(
            f"max_interp_h={max_interp_h} h exceeds MAX_SILENCE_H={MAX_SILENCE_H} h, the "
            "longest silence an encounter may span"
        )
    empty = pd.DataFrame(
        columns=[
            "mmsi",
            "track_id",
            "slot",
            "lat",
            "lon",
            "speed_knots",
            "distance_from_port_km",
        ]
    )
    # Column arrays of the rows with a position, rather than a copy of those rows.
    rows = np.flatnonzero(positions["lat"].notna().to_numpy())
    if len(rows) == 0:
        return empty
    # MMSI as a categorical: the grid repeats each vessel's MMSI many times, and codes
    # are cheaper to repeat, compare and sort than millions of strings.
    codes, names = pd.factorize(positions["mmsi"], sort=True)
    codes = codes[rows]
    track = track_ids(positions)[rows]
    step_ns = step_min * 60 * 1_000_000_000
    t = epoch_ns(positions["timestamp"])[rows]
    nxt_same = np.append((codes[1:] == codes[:-1]) & (track[1:] == track[:-1]), False)
    t1 = np.append(t[1:], 0)
    ok = nxt_same & ((t1 - t) <= max_interp_h * 3600e9)
    first_slot = -(-t // step_ns)  # ceil
    # Slots in [t, t1) for each interval we interpolate across, and the slot at t itself.
    last_slot = np.where(ok, -(-t1 // step_ns) - 1, first_slot - (t % step_ns != 0))
    n = np.maximum(last_slot - first_slot + 1, 0)
    if n.sum() == 0:
        return empty
    # Grid point k of row r is slot first_slot[r] + (k - the index of r's first point).
    idx = np.repeat(np.arange(len(t)), n)
    slot = np.arange(len(idx)) + np.repeat(first_slot - (np.cumsum(n) - n), n)
    w = np.clip((slot * step_ns - t[idx]) / np.where(ok, t1 - t, 1)[idx], 0.0, 1.0)
    lat = positions["lat"].to_numpy(dtype="float64")[rows]
    lon = positions["lon"].to_numpy(dtype="float64")[rows]
    nxt = np.minimum(np.arange(len(t)) + 1, len(t) - 1)
    dlat = lat[nxt] - lat
    dlon = (lon[nxt] - lon + 540.0) % 360.0 - 180.0
    port = (
        positions["distance_from_port_km"].to_numpy(dtype="float64")[rows]
        if "distance_from_port_km" in positions.columns
        else np.full(len(t), np.inf)
    )
    return pd.DataFrame(
        {
            "mmsi": pd.Categorical.from_codes(
                codes[idx], categories=pd.Index(names, dtype="string")
            ),
            "track_id": track[idx],
            "slot": slot,
            "lat": lat[idx] + w * dlat[idx],
            "lon": (lon[idx] + w * dlon[idx] + 540.0) % 360.0 - 180.0,
            "speed_knots": positions["speed_knots"].to_numpy(dtype="float64")[rows][idx],
            "distance_from_port_km": port[idx],
        }
    )


def _mmsi_order(mmsi: pd.Series) -> np.ndarray:
    """Integer codes in MMSI order: ``codes[i] < codes[j]`` exactly when ``mmsi[i] < mmsi[j]``."""
    if isinstance(mmsi.dtype, pd.CategoricalDtype):
        rank = np.argsort(np.argsort(mmsi.cat.categories.to_numpy(dtype=object), kind="stable"))
        return np.asarray(rank[mmsi.cat.codes.to_numpy()])
    return np.asarray(pd.factorize(mmsi, sort=True)[0])


def _sphere_distance_m(
    lat1: npt.NDArray[np.float64],
    lon1: npt.NDArray[np.float64],
    lat2: npt.NDArray[np.float64],
    lon2: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """A lower bound of the WGS 84 distance: the great-circle distance on a sphere of
    radius ``MIN_MERIDIAN_RADIUS_M`` between the same latitudes and longitudes.

    Both radii of curvature of the ellipsoid, meridional and prime vertical, are at
    least a(1 - e²) everywhere, so every path, the geodesic included, is at least as long
    on the ellipsoid as on that sphere. The haversine costs far less than the exact
    geodesic, and rules out most candidates.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : ndarray of shape (n,), degrees.

    Returns
    -------
    ndarray of shape (n,), metres.
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2.0) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2.0) ** 2
    )
    return 2.0 * MIN_MERIDIAN_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def close_pairs(grid: pd.DataFrame, *, max_distance_m: float = MAX_DISTANCE_M) -> pd.DataFrame:
    """Pairs of different MMSIs within ``max_distance_m`` in the same time slot.

    Two tracks of one MMSI are never a pair.

    Candidates come from one k-d tree (``scipy.spatial.cKDTree``) over every grid point
    as a unit vector on the sphere plus its time slot, scaled so that points of two slots
    are never within range: the pairs whose chord is at most that of ``max_distance_m``
    on a sphere of radius ``MIN_MERIDIAN_RADIUS_M`` (a lower bound of the WGS 84
    distance, :func:`_sphere_distance_m`). The tree compares a point only with points
    near it in both latitude and longitude, where the former sort by slot and latitude
    compared it with every point of its latitude band: in a dense fleet that was close
    to all pairs (issue 15). Candidates farther than ``max_distance_m`` on that sphere
    are dropped; the rest are checked with the exact geodesic distance (WGS 84). Unit
    vectors have no seam, so the antimeridian and the poles need no special case.

    Parameters
    ----------
    grid : DataFrame from :func:`resample_tracks`.
    max_distance_m : float, default 500
        Largest distance between the two vessels, in metres.

    Returns
    -------
    DataFrame with ``i``, ``j`` (row positions in ``grid``, ``mmsi[i] < mmsi[j]``),
    ``slot`` and ``distance_m`` (geodesic, metres), in no particular order.
    """
    empty = pd.DataFrame(
        {
            "i": pd.Series(dtype="int64"),
            "j": pd.Series(dtype="int64"),
            "slot": pd.Series(dtype="int64"),
            "distance_m": pd.Series(dtype="float64"),
        }
    )
    if len(grid) < 2:
        return empty
    slots = grid["slot"].to_numpy(dtype="int64")
    lat = grid["lat"].to_numpy(dtype="float64")
    lon = grid["lon"].to_numpy(dtype="float64")
    codes = _mmsi_order(grid["mmsi"])
    located = np.flatnonzero(~np.isnan(lat) & ~np.isnan(lon))
    if len(located) < 2:
        return empty
    # Candidates: one k-d tree over unit vectors (x, y, z) and the time slot, the slot
    # scaled so points of two slots lie farther apart than any chord (at most 2).
    # The chord of the lower-bound sphere's distance (plus slack) bounds the search, so
    # no pair within max_distance_m on that sphere is missed; the exact filters follow.
    phi, lam = np.radians(lat[located]), np.radians(lon[located])
    points = np.column_stack(
        [
            np.cos(phi) * np.cos(lam),
            np.cos(phi) * np.sin(lam),
            np.sin(phi),
            (slots[located] - slots[located].min()).astype("float64") * 4.0,
        ]
    )
    angle = (max_distance_m + 2 * _SPHERE_SLACK_M) / MIN_MERIDIAN_RADIUS_M
    chord = 2.0 * np.sin(min(angle, np.pi) / 2.0) * (1 + 1e-9)
    found = cKDTree(points).query_pairs(chord, output_type="ndarray")
    if len(found) == 0:
        return empty
    i, j = located[found[:, 0]], located[found[:, 1]]
    other = codes[i] != codes[j]
    i, j = i[other], j[other]
    # Exact geodesics only for the pairs close enough on the smaller sphere.
    maybe = _sphere_distance_m(lat[i], lon[i], lat[j], lon[j]) <= (max_distance_m + _SPHERE_SLACK_M)
    i, j = i[maybe], j[maybe]
    d = distance_km(lat[i], lon[i], lat[j], lon[j]) * 1000.0
    near = d <= max_distance_m
    i, j, d = i[near], j[near], d[near]
    swap = codes[i] > codes[j]
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    return pd.DataFrame({"i": i, "j": j, "slot": slots[i], "distance_m": d})


def detect_encounters(
    positions: pd.DataFrame,
    *,
    carriers: Collection[str] = (),
    max_distance_m: float = MAX_DISTANCE_M,
    min_hours: float = MIN_HOURS,
    max_median_speed_kn: float = MAX_MEDIAN_SPEED_KN,
    min_port_km: float = MIN_PORT_KM,
    step_min: int = STEP_MIN,
) -> pd.DataFrame:
    """Encounters between vessel tracks, one row per side and encounter (both sides).

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi``, ``track_id`` (optional), ``timestamp``, with ``lat``,
        ``lon``, ``speed_knots`` and ``distance_from_port_km``.
    carriers : collection of str, optional
        MMSIs of carriers (e.g. GFW's reefer list).
    max_distance_m, min_hours, max_median_speed_kn, min_port_km : float
        GFW's thresholds: 500 m, 2 h, 2 kn, 10 km.
    step_min : int, default 10
        Time grid in minutes.

    Returns
    -------
    DataFrame with ``mmsi``, ``track_id``, ``other_mmsi``, ``other_track_id`` (each side's
    vessel track; track ids 0 where the positions have none), ``start``, ``end`` (UTC,
    first and last slot within range), ``duration_h``, ``lat``, ``lon`` (first vessel's mean
    position), ``median_distance_m``, ``median_speed_knots`` (both vessels),
    ``other_is_carrier``.

    Notes
    -----
    Three steps, which a caller holding the vessels in parts can run apart: each
    vessel's grid (:func:`resample_tracks`) depends on that vessel alone; close pairs
    (:func:`close_pairs`, :func:`pair_samples`) only on the grid points of one time
    slot, so any split of the grid by slot gives the same samples; and
    :func:`encounters_from_samples` on the samples of all slots.
    """
    grid = resample_tracks(positions, step_min=step_min)
    samples = pair_samples(grid, close_pairs(grid, max_distance_m=max_distance_m))
    return encounters_from_samples(
        samples,
        carriers=carriers,
        min_hours=min_hours,
        max_median_speed_kn=max_median_speed_kn,
        min_port_km=min_port_km,
        step_min=step_min,
    )


def pair_samples(grid: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """What :func:`encounters_from_samples` needs of each close pair, without the grid.

    Parameters
    ----------
    grid : DataFrame from :func:`resample_tracks`.
    pairs : DataFrame from :func:`close_pairs` on ``grid``.

    Returns
    -------
    DataFrame with ``a``, ``b`` (the two MMSIs, ``a < b``), ``a_track``, ``b_track``
    (their track ids, 0 where the grid has none), ``slot``, ``distance_m``,
    ``speed`` (mean of the two speeds, knots), ``port`` (the nearer vessel's distance
    from port, km), ``lat`` (first vessel's), ``lon_cos``, ``lon_sin`` (of its
    longitude), one row per pair, in no particular order.
    """
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    sp = grid["speed_knots"].to_numpy(dtype=float)
    port = grid["distance_from_port_km"].to_numpy(dtype=float)
    lon_rad = np.radians(grid["lon"].to_numpy(dtype=float)[i])
    track = track_ids(grid)
    return pd.DataFrame(
        {
            "a": grid["mmsi"].iloc[i].to_numpy(dtype=object),
            "b": grid["mmsi"].iloc[j].to_numpy(dtype=object),
            "a_track": track[i],
            "b_track": track[j],
            "slot": pairs["slot"].to_numpy(),
            "distance_m": pairs["distance_m"].to_numpy(),
            "speed": np.nanmean(np.column_stack([sp[i], sp[j]]), axis=1),
            "port": np.fmin(port[i], port[j]),
            "lat": grid["lat"].to_numpy(dtype=float)[i],
            "lon_cos": np.cos(lon_rad),
            "lon_sin": np.sin(lon_rad),
        }
    )


def encounters_from_samples(
    samples: pd.DataFrame,
    *,
    carriers: Collection[str] = (),
    min_hours: float = MIN_HOURS,
    max_median_speed_kn: float = MAX_MEDIAN_SPEED_KN,
    min_port_km: float = MIN_PORT_KM,
    step_min: int = STEP_MIN,
) -> pd.DataFrame:
    """Encounters from the close-pair samples of all time slots (:func:`pair_samples`).

    Consecutive slots of one pair of vessel tracks make a run; a run is an encounter if it lasts
    ``min_hours``, its median speed is below ``max_median_speed_kn`` and its median
    distance from port is at least ``min_port_km``.

    Parameters
    ----------
    samples : DataFrame from :func:`pair_samples`, stacked over every part of the grid.
    carriers, min_hours, max_median_speed_kn, min_port_km, step_min
        As :func:`detect_encounters`.

    Returns
    -------
    DataFrame as :func:`detect_encounters`.
    """
    if samples.empty:
        return pd.DataFrame(columns=ENCOUNTER_COLUMNS)
    pairs = samples.copy()
    for side in ("a_track", "b_track"):  # samples of grids without track ids: track 0
        if side not in pairs.columns:
            pairs[side] = 0
    key = ["a", "a_track", "b", "b_track"]
    pairs = pairs.sort_values([*key, "slot"]).reset_index(drop=True)
    new = pairs["slot"] - pairs["slot"].shift(1) != 1
    for column in key:
        new |= pairs[column] != pairs[column].shift(1)
    pairs["run"] = np.cumsum(new.to_numpy())
    runs = pairs.groupby("run").agg(
        mmsi=("a", "first"),
        track_id=("a_track", "first"),
        other_mmsi=("b", "first"),
        other_track_id=("b_track", "first"),
        first_slot=("slot", "min"),
        last_slot=("slot", "max"),
        lat=("lat", "mean"),
        lon_cos=("lon_cos", "mean"),
        lon_sin=("lon_sin", "mean"),
        median_distance_m=("distance_m", "median"),
        median_speed_knots=("speed", "median"),
        port=("port", "median"),
    )
    # Mean longitude on the circle, so an encounter astride 180° is not placed at 0°.
    runs["lon"] = np.degrees(np.arctan2(runs.pop("lon_sin"), runs.pop("lon_cos")))
    step_h = step_min / 60.0
    runs["duration_h"] = (runs["last_slot"] - runs["first_slot"]) * step_h
    runs = runs[
        (runs["duration_h"] >= min_hours)
        & (runs["median_speed_knots"] < max_median_speed_kn)
        & (runs["port"] >= min_port_km)
    ]
    if runs.empty:
        return pd.DataFrame(columns=ENCOUNTER_COLUMNS)
    step = pd.Timedelta(minutes=step_min)
    epoch = pd.Timestamp(0, tz="UTC")
    runs["start"] = epoch + runs["first_slot"].to_numpy() * step
    runs["end"] = epoch + runs["last_slot"].to_numpy() * step
    other = runs.rename(
        columns={
            "mmsi": "other_mmsi",
            "other_mmsi": "mmsi",
            "track_id": "other_track_id",
            "other_track_id": "track_id",
        }
    )
    both = pd.concat([runs, other], ignore_index=True)
    both["other_is_carrier"] = both["other_mmsi"].isin(set(carriers))
    both["track_id"] = both["track_id"].astype("int64")
    both["other_track_id"] = both["other_track_id"].astype("int64")
    both = both.sort_values(["mmsi", "track_id", "start"]).reset_index(drop=True)
    return both[ENCOUNTER_COLUMNS]
