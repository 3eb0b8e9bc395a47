"""Ports and anchorages: the port list, the nearest port to each position, PSMA parties.

The default port list is the UN/LOCODE-based port table shipped inside the ``searoute``
package (Apache-2.0, 3,962 ports). A richer list, such as Global Fishing Watch's named
anchorages (the basis of GFW's port visits), is read with :func:`read_ports`;
:class:`PortIndex` finds the nearest one to each position. :func:`read_psma_parties`
reads FAO's list of Port State Measures Agreement parties. Nothing here reads the
project's test data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pycountry
from scipy.spatial import cKDTree

from vessel_risk.geo.geodesy import distance_km


def _iso2_to_iso3(code: str) -> str | None:
    country = pycountry.countries.get(alpha_2=code)
    return country.alpha_3 if country is not None else None


def default_ports() -> pd.DataFrame:
    """The port list shipped with the ``searoute`` package.

    Returns
    -------
    DataFrame with columns ``port_label`` (upper-case name), ``port_iso3`` (from the
    UN/LOCODE's country), ``lat``, ``lon``; about 3,960 rows.
    """
    path = resources.files("searoute") / "data" / "ports.geojson"
    with path.open(encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    rows = []
    for f in features:
        props = f["properties"]
        lon, lat = f["geometry"]["coordinates"][:2]
        locode = str(props.get("port") or "")
        rows.append(
            {
                "port_label": str(props.get("name") or locode).upper(),
                "port_iso3": _iso2_to_iso3(locode[:2]) if len(locode) >= 2 else None,
                "lat": float(lat),
                "lon": float(lon),
            }
        )
    return pd.DataFrame(rows).astype({"port_label": "string", "port_iso3": "string"})


_PORT_COLUMNS = {
    "lat": ("lat", "latitude", "LAT", "Latitude", "LATITUDE"),
    "lon": ("lon", "longitude", "LON", "Longitude", "LONGITUDE", "lng"),
    "port_label": ("label", "port_label", "name", "port_name", "Main Port Name", "PORT_NAME"),
    "port_iso3": ("iso3", "port_iso3", "ISO3", "country_iso3"),
}


def read_ports(path: str | Path) -> pd.DataFrame:
    """Read a port or anchorage list (CSV, optionally gzipped).

    Recognised columns: latitude (``lat``/``latitude``), longitude
    (``lon``/``longitude``), name (``label``/``name``/``port_name``) and ISO3 country
    (``iso3``). GFW's named anchorages file has them all.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    DataFrame with columns ``port_label``, ``port_iso3``, ``lat``, ``lon``.

    Raises
    ------
    ValueError
        If no latitude, longitude or name column is found.
    """
    raw = pd.read_csv(path, low_memory=False)
    picked: dict[str, pd.Series] = {}
    for target, options in _PORT_COLUMNS.items():
        found = next((c for c in options if c in raw.columns), None)
        if found is None and target != "port_iso3":
            raise ValueError(
                f"The port file {str(path)!r} must have a {target} column (one of "
                f"{list(options)}). Got {list(raw.columns)[:15]} instead."
            )
        picked[target] = raw[found] if found else pd.Series(pd.NA, index=raw.index)
    out = pd.DataFrame(picked)
    out["lat"] = pd.to_numeric(out["lat"], errors="coerce")
    out["lon"] = pd.to_numeric(out["lon"], errors="coerce")
    out = out.dropna(subset=["lat", "lon"])
    out["port_label"] = out["port_label"].astype("string").fillna("UNNAMED PORT")
    out["port_iso3"] = out["port_iso3"].astype("string")
    return out.reset_index(drop=True)


def _unit_vectors(lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.float64]:
    la = np.radians(np.asarray(lat, dtype="float64"))
    lo = np.radians(np.asarray(lon, dtype="float64"))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


@dataclass
class NearestPort:
    """Distance to and index of the nearest port for each position."""

    distance_km: npt.NDArray[np.float64]
    index: npt.NDArray[np.int64]


class PortIndex:
    """Nearest-port look-up over a port or anchorage list.

    The nearest port is found on the unit sphere (a k-d tree over 3-D unit vectors,
    whose chord length orders points as great-circle distance does, so it is exact
    and correct across the antimeridian); the distance to it is then geodesic on
    WGS 84.

    Parameters
    ----------
    ports : DataFrame
        ``port_label``, ``port_iso3``, ``lat``, ``lon`` as from :func:`default_ports`
        or :func:`read_ports`.

    Raises
    ------
    ValueError
        If ``ports`` is empty.
    """

    def __init__(self, ports: pd.DataFrame) -> None:
        if ports.empty:
            raise ValueError("The 'ports' parameter of PortIndex must have rows. Got none.")
        self.ports = ports.reset_index(drop=True)
        self._tree = cKDTree(
            _unit_vectors(self.ports["lat"].to_numpy(), self.ports["lon"].to_numpy())
        )

    def nearest(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> NearestPort:
        """Nearest port of each position.

        Parameters
        ----------
        lat, lon : array-like of shape (n,)
            Degrees; NaN rows give NaN distance and index -1.

        Returns
        -------
        NearestPort
            ``distance_km`` (geodesic, km) and ``index`` into ``self.ports``.
        """
        la = np.asarray(lat, dtype="float64")
        lo = np.asarray(lon, dtype="float64")
        dist = np.full(la.shape, np.nan)
        idx = np.full(la.shape, -1, dtype="int64")
        ok = ~(np.isnan(la) | np.isnan(lo))
        if ok.any():
            _, i = self._tree.query(_unit_vectors(la[ok], lo[ok]), k=1, workers=-1)
            idx[ok] = i
            p = self.ports
            dist[ok] = distance_km(la[ok], lo[ok], p["lat"].to_numpy()[i], p["lon"].to_numpy()[i])
        return NearestPort(dist, idx)


def read_psma_parties(path: str | Path) -> pd.DataFrame:
    """States party to the FAO Port State Measures Agreement, with entry into force.

    Parameters
    ----------
    path : str or Path
        CSV with ``iso3`` and an entry-into-force date column (``Entry_into_force_date``
        or ``entry_into_force``; month-first dates such as ``6/5/16`` are read as such).

    Returns
    -------
    DataFrame with ``iso3`` and ``in_force_from`` (UTC timestamp).

    Raises
    ------
    ValueError
        If ``iso3`` or the date column is missing.
    """
    raw = pd.read_csv(path, dtype=str)
    date_col = next(
        (c for c in raw.columns if c.lower() in ("entry_into_force_date", "entry_into_force")),
        None,
    )
    if "iso3" not in raw.columns or date_col is None:
        raise ValueError(
            f"The PSMA parties file {str(path)!r} must have 'iso3' and "
            f"'Entry_into_force_date' columns. Got {list(raw.columns)} instead."
        )
    dates = pd.to_datetime(raw[date_col], format="mixed", utc=True, errors="coerce")
    return pd.DataFrame({"iso3": raw["iso3"].str.strip(), "in_force_from": dates}).dropna()
