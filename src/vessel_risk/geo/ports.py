"""Ports and anchorages: the port list, the nearest port to each position, PSMA parties.

The default port list is the UN/LOCODE-based port table shipped inside the ``searoute``
package (Apache-2.0, 3,962 ports). A richer list, such as Global Fishing Watch's named
anchorages (the basis of GFW's port visits), is read with :func:`read_ports`;
:class:`PortIndex` finds the nearest one to each position. :func:`read_psma_parties`
reads FAO's list of Port State Measures Agreement parties. Nothing here reads the
project's test data.

Destinations typed in AIS static reports are matched to the list here too
(:func:`normalize_port`, :func:`port_countries`, :func:`destination_iso3`,
:func:`match_destination`), for routing by the next port and for predicting arrivals.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
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
    UN/LOCODE's country), ``lat``, ``lon``, ``locode`` (the UN/LOCODE, 5 letters); about
    3,960 rows.
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
                "locode": locode.upper() or None,
            }
        )
    return pd.DataFrame(rows).astype(
        {"port_label": "string", "port_iso3": "string", "locode": "string"}
    )


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


def normalize_port(name: str) -> str:
    """Port name for matching: upper case ASCII, no "PORT"/"PUERTO DE" filler words."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    words = [w for w in re.split(r"[^A-Z0-9]+", ascii_name) if w and w not in ("PORT", "OF")]
    if words[:2] in (["PUERTO", "DE"], ["PORTO", "DE"], ["PORTO", "DO"]):
        words = words[2:]  # "Puerto de Punta Arenas" is Punta Arenas; "Puerto Montt" stays
    return " ".join(words)


_LOCODE = re.compile(r"^([A-Z]{2})[ -]([A-Z2-9]{3})$")


def port_countries(labels: Sequence[str], iso3: Sequence[str | None]) -> dict[str, str]:
    """Normalised port name -> ISO3, for names that belong to one country only.

    Parameters
    ----------
    labels, iso3 : sequences of equal length
        A port list's ``port_label`` and ``port_iso3`` columns (:func:`default_ports`).
    """
    seen: dict[str, set[str]] = {}
    for label, country in zip(labels, iso3, strict=True):
        if isinstance(label, str) and isinstance(country, str) and country:
            seen.setdefault(normalize_port(label), set()).add(country)
    return {name: next(iter(c)) for name, c in seen.items() if len(c) == 1}


def destination_text(destination: str | None) -> str:
    """The next port of an AIS destination: the part after the last ``>`` of a route
    (``CN SHA>KR PUS`` -> ``KR PUS``), stripped and upper case; ``""`` for none."""
    if not destination:
        return ""
    return destination.split(">")[-1].strip().upper()


def destination_iso3(
    destination: str | None, ports: Mapping[str, str] | None
) -> tuple[str | None, str | None]:
    """The country of the next port a vessel reported (AIS destination, free text).

    AIS destinations are typed by the crew: a port name (``BUSAN``), a UN/LOCODE with a
    space or dash (``KR PUS``), or a route (``CN SHA>KR PUS``: the part after the last
    ``>`` is the next port). A name is looked up in ``ports`` (:func:`port_countries`;
    names shared by two countries are not guessed); a UN/LOCODE gives its country
    (UNECE UN/LOCODE: the first two letters are the ISO 3166-1 alpha-2 code).

    Returns
    -------
    (iso3, basis)
        ``basis`` is ``"port_name"``, ``"locode"`` or None when nothing matched.
    """
    text = destination_text(destination)
    if not text:
        return None, None
    if ports:
        found = ports.get(normalize_port(text))
        if found:
            return found, "port_name"
    match = _LOCODE.match(text)
    if match:
        country = pycountry.countries.get(alpha_2=match.group(1))
        if country is not None:
            return str(country.alpha_3), "locode"
    return None, None


def port_names(ports: pd.DataFrame) -> dict[str, list[int]]:
    """Normalised port label (:func:`normalize_port`) -> positional rows of ``ports``
    carrying it; built once, for matching many destinations."""
    names: dict[str, list[int]] = {}
    for i, label in enumerate(ports["port_label"].astype("string").fillna("")):
        names.setdefault(normalize_port(str(label)), []).append(i)
    return names


def match_destination(
    destination: str | None,
    ports: pd.DataFrame,
    names: Mapping[str, list[int]] | None = None,
) -> int | None:
    """The row of ``ports`` an AIS destination names, or None.

    The destination's next port (:func:`destination_text`) must equal one port label
    of the list once both are normalised (:func:`normalize_port`), and that label must
    name one place: a label two rows share in different countries, or at points more
    than 50 km apart, is not guessed (the first row is returned when all its rows lie
    within 50 km: the anchorages of one port). A UN/LOCODE (``KR PUS``, ``KR-PUS``,
    ``KRPUS``) names the port of that code when ``ports`` has a ``locode`` column
    (:func:`default_ports` does); otherwise it gives only a country
    (:func:`destination_iso3`), not a port.

    Parameters
    ----------
    destination : str or None
        As broadcast in AIS static reports (message 5 or 24).
    ports : DataFrame
        ``port_label``, ``port_iso3``, ``lat``, ``lon`` (:func:`default_ports`).
    names : mapping, optional
        :func:`port_names` of ``ports``, when matching many destinations.

    Returns
    -------
    int or None
        Positional row index into ``ports``.
    """
    text = destination_text(destination)
    if not text:
        return None
    if "locode" in ports.columns:
        code = _LOCODE.match(text)
        compact = text if re.fullmatch(r"[A-Z]{2}[A-Z2-9]{3}", text) else None
        wanted_code = code.group(1) + code.group(2) if code else compact
        if wanted_code:
            hits = np.flatnonzero((ports["locode"] == wanted_code).fillna(False).to_numpy())
            if len(hits):
                return int(hits[0])
    wanted = normalize_port(text)
    if not wanted:
        return None
    rows = np.asarray((names if names is not None else port_names(ports)).get(wanted, []))
    if len(rows) == 0:
        return None
    iso3 = {str(c) for c in ports["port_iso3"].take(rows) if isinstance(c, str) and c}
    if len(iso3) > 1:
        return None
    lat = ports["lat"].to_numpy(dtype="float64")[rows]
    lon = ports["lon"].to_numpy(dtype="float64")[rows]
    spread = distance_km(lat, lon, np.full(len(rows), lat[0]), np.full(len(rows), lon[0]))
    if np.nanmax(spread) > 50.0:
        return None
    return int(rows[0])
