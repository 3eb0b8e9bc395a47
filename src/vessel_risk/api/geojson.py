"""GeoJSON responses: the ``application/geo+json`` media type and choosing it by ``Accept``.

RFC 7946 section 12 registers ``application/geo+json`` for GeoJSON; routes that always
answer GeoJSON (a vessel's track) use :class:`GeoJSONResponse`, routes that answer
JSON by default (the alert list) answer GeoJSON when the caller asks for it
(:func:`wants_geojson`), or CSV (:func:`wants_csv`). Every alert feature carries the
item's ``source`` (``model`` or a tip's entry point) among its properties.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

GEOJSON_MEDIA_TYPE = "application/geo+json"
"""The media type of GeoJSON (RFC 7946, section 12)."""


class GeoJSONResponse(JSONResponse):
    """A JSON response served as ``application/geo+json``."""

    media_type = GEOJSON_MEDIA_TYPE


def _quality(params: list[str]) -> float:
    """The ``q`` parameter of a media range (RFC 9110 section 12.4.2), 1 when absent."""
    for p in params:
        name, _, value = p.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def wants_geojson(accept: str | None) -> bool:
    """Whether an ``Accept`` header asks for GeoJSON rather than plain JSON.

    GeoJSON is chosen when ``application/geo+json`` is named with a quality above 0 and
    at least that of ``application/json`` (or of ``application/*`` and ``*/*`` where
    ``application/json`` is not named). Wildcards alone keep plain JSON, the default.

    Parameters
    ----------
    accept : str or None
        The header's value (RFC 9110 section 12.5.1).

    Returns
    -------
    bool
    """
    if not accept:
        return False
    geo: float | None = None
    json_q: dict[str, float] = {}
    for item in accept.split(",")[:32]:  # a header of hundreds of ranges is not read
        media, *params = item.split(";")
        media = media.strip().lower()
        q = _quality(params)
        if media == GEOJSON_MEDIA_TYPE:
            geo = max(geo or 0.0, q)
        elif media in ("application/json", "application/*", "*/*"):
            json_q[media] = max(json_q.get(media, 0.0), q)
    if geo is None or geo <= 0:
        return False
    plain = json_q.get("application/json", json_q.get("application/*", json_q.get("*/*", 0.0)))
    return geo >= plain


def wants_csv(accept: str | None) -> bool:
    """Whether an ``Accept`` header asks for CSV (``text/csv`` named with a quality
    above 0 and at least that of ``application/json``); GeoJSON is asked first
    (:func:`wants_geojson`).

    Parameters
    ----------
    accept : str or None
        The header's value (RFC 9110 section 12.5.1).
    """
    if not accept:
        return False
    csv_q: float | None = None
    json_q = 0.0
    for item in accept.split(",")[:32]:
        media, *params = item.split(";")
        media = media.strip().lower()
        if media == "text/csv":
            csv_q = max(csv_q or 0.0, _quality(params))
        elif media == "application/json":
            json_q = max(json_q, _quality(params))
    return csv_q is not None and csv_q > 0 and csv_q >= json_q


def point_feature(lon: float | None, lat: float | None, properties: dict[str, Any]) -> dict:
    """An RFC 7946 Feature at ``(lon, lat)``; a null geometry where either is unknown."""
    geometry = None if lon is None or lat is None else {"type": "Point", "coordinates": [lon, lat]}
    return {"type": "Feature", "geometry": geometry, "properties": properties}
