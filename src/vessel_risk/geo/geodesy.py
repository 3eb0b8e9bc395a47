"""Geodesic distances and speeds on the WGS 84 ellipsoid (through pyproj).

All functions take longitude/latitude in degrees (EPSG:4326) and are correct across
the antimeridian and at high latitude because they solve the inverse geodesic
problem rather than working on projected coordinates.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pyproj import Geod

WGS84 = Geod(ellps="WGS84")
"""The WGS 84 ellipsoid used for every distance in the project."""

M_PER_NM = 1852.0
"""Metres in one international nautical mile."""
SECONDS_PER_HOUR = 3600.0


def distance_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Geodesic distance between pairs of points on WGS 84.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array-like of shape (n,)
        Latitudes and longitudes in degrees. NaN anywhere in a pair gives NaN.

    Returns
    -------
    ndarray of shape (n,)
        Distance in km. Two points on the equator 1° of longitude apart, on either
        side of 180°, are 111.32 km apart; 1° of longitude at 60° N is 55.80 km.
    """
    a = np.broadcast_arrays(*(np.asarray(x, dtype="float64") for x in (lat1, lon1, lat2, lon2)))
    la1, lo1, la2, lo2 = (x.ravel() for x in a)
    out = np.full(la1.shape, np.nan)
    ok = ~(np.isnan(la1) | np.isnan(lo1) | np.isnan(la2) | np.isnan(lo2))
    if ok.any():
        _, _, d_m = WGS84.inv(lo1[ok], la1[ok], lo2[ok], la2[ok])
        out[ok] = np.asarray(d_m) / 1000.0
    return out.reshape(a[0].shape)


def implied_speed_knots(
    distance_km_: npt.ArrayLike, duration_h: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Speed implied by a distance covered in a time.

    Parameters
    ----------
    distance_km_ : array-like of shape (n,)
        Distance in km.
    duration_h : array-like of shape (n,)
        Elapsed time in hours. A zero or negative duration gives NaN, never an
        infinite speed (case C04: same-second positions must not pass a
        ``speed > threshold`` check as infinity).

    Returns
    -------
    ndarray of shape (n,)
        Speed in knots.
    """
    d = np.asarray(distance_km_, dtype="float64")
    h = np.asarray(duration_h, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        v = d * 1000.0 / M_PER_NM / h
    return np.where(h > 0, v, np.nan)
