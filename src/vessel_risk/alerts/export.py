"""Alerts as files: a flat table (``alerts.csv``), a GeoJSON FeatureCollection and
GeoParquet (``alerts.parquet``); and the review queue (alerts and tips) as CSV.

All carry every field of :class:`vessel_risk.alerts.build.Alert`, its caveat and its
``source`` (``model``) included; :func:`queue_csv` writes items of the review queue,
whose ``source`` may be a tip's entry point (an unscored tip: empty score);
the GeoJSON follows RFC 7946 (WGS 84 longitude/latitude, no ``crs`` member); the
GeoParquet file is the flat table with the last known position as its point geometry
(GeoParquet 1.1, EPSG:4326: :mod:`vessel_risk.geo.geoparquet`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from vessel_risk.alerts.build import TOP_INDICATORS, Alert
from vessel_risk.geo.geoparquet import write_geoparquet


def alerts_frame(alerts: list[Alert]) -> pd.DataFrame:
    """Alerts as a flat table, one row each, top indicators in numbered columns.

    Returns
    -------
    DataFrame with ``rank``, ``mmsi``, ``year``, ``shipname``, ``flag_iso3``,
    ``score``, ``tier``, ..., ``indicator_1``, ``indicator_1_value``,
    ``indicator_1_reason``, ``indicator_1_ilo``, ... up to 3.
    """
    rows = []
    for a in alerts:
        d = a.model_dump(exclude={"indicators"})
        for k in range(TOP_INDICATORS):
            e = a.indicators[k] if k < len(a.indicators) else None
            d[f"indicator_{k + 1}"] = e.name if e else None
            d[f"indicator_{k + 1}_value"] = e.value if e else None
            d[f"indicator_{k + 1}_reason"] = e.reason if e else None
            d[f"indicator_{k + 1}_ilo"] = e.ilo_indicator if e else None
        rows.append(d)
    indicator_columns = [
        f"indicator_{k + 1}{part}"
        for k in range(TOP_INDICATORS)
        for part in ("", "_value", "_reason", "_ilo")
    ]
    # No alert still gives the columns, so an empty alerts.csv has its header.
    columns = [c for c in Alert.model_fields if c != "indicators"] + indicator_columns
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("first_seen", "last_seen"):
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return frame


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters with which a spreadsheet reads a cell as a formula (OWASP, CSV
injection)."""


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula, prefixed with ``'``.

    Ship names, call signs and destinations are written by whoever owns a transmitter:
    a name such as ``=HYPERLINK(...)`` must open as text. Numbers are left as they are.

    Parameters
    ----------
    frame : DataFrame of shape (n, k)

    Returns
    -------
    DataFrame of shape (n, k)
        A copy; text cells starting with one of :data:`FORMULA_START` get a leading
        ``'`` (OWASP's advice for CSV injection).
    """
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            text = out[col].astype("string")
            risky = text.str.startswith(FORMULA_START).fillna(False).astype(bool)
            out[col] = out[col].where(~risky, "'" + text)
    return out


def write_alerts_csv(alerts: list[Alert], path: Path) -> None:
    """Write ``alerts.csv``: :func:`alerts_frame`, one alert a row, ``caveat`` included;
    text that a spreadsheet would run as a formula is written as text
    (:func:`neutralise_formulas`)."""
    neutralise_formulas(alerts_frame(alerts)).to_csv(path, index=False)


def alerts_geojson(alerts: list[Alert]) -> dict[str, object]:
    """Alerts as an RFC 7946 FeatureCollection, the last known position as the point.

    Alerts without any known position are features with a null geometry.
    """
    features = []
    for a in alerts:
        geom = (
            {"type": "Point", "coordinates": [round(a.last_lon, 6), round(a.last_lat, 6)]}
            if a.last_lat is not None and a.last_lon is not None
            else None
        )
        props = json.loads(a.model_dump_json())
        features.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": features}


def write_alerts_geojson(alerts: list[Alert], path: Path) -> None:
    """Write ``alerts.geojson`` (RFC 7946: WGS 84 lon/lat, no ``crs`` member)."""
    path.write_text(json.dumps(alerts_geojson(alerts)), encoding="utf-8")


def write_alerts_geoparquet(alerts: list[Alert], path: Path) -> None:
    """Write ``alerts.parquet``: the columns of :func:`alerts_frame`, then ``geometry``
    (the last known position, null where none) and its ``bbox`` (GeoParquet 1.1)."""
    frame = alerts_frame(alerts)
    for col in ("last_lat", "last_lon"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    write_geoparquet(frame, path, lon="last_lon", lat="last_lat")


QUEUE_COLUMNS = (
    "id",
    "source",
    "source_label",
    "reported_by",
    "mmsi",
    "vessel_label",
    "track_id",
    "year",
    "shipname",
    "flag_label",
    "flag_iso3",
    "vessel_class",
    "gear",
    "score",
    "tier",
    "rank",
    "model_version",
    "status",
    "last_seen",
    "last_lat",
    "last_lon",
    "last_port_label",
    "last_port_iso3",
)
"""The columns of :func:`queue_csv`, in order."""


def queue_csv(items: Sequence[Mapping[str, Any]]) -> str:
    """Review-queue items (the API's alert fields as JSON) as CSV text.

    Parameters
    ----------
    items : sequence of mapping
        One per item, with the keys of :data:`QUEUE_COLUMNS` (missing ones are empty);
        ``reported_by`` a list, written ``;``-separated.

    Returns
    -------
    str
        A header and one row per item, in the given order; text a spreadsheet would run
        as a formula is written as text (:func:`neutralise_formulas`). A tip's score,
        rank and model version are empty: it is never scored.
    """
    rows = [
        {
            c: ";".join(item.get(c) or []) if c == "reported_by" else item.get(c)
            for c in QUEUE_COLUMNS
        }
        for item in items
    ]
    frame = pd.DataFrame(rows, columns=list(QUEUE_COLUMNS))
    return str(neutralise_formulas(frame).to_csv(index=False))
