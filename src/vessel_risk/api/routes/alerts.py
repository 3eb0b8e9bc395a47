"""The review queue: the filtered, cursor-paginated list of alerts and tips; one item
with its evidence and tips.

The list is JSON (:class:`~vessel_risk.api.models.AlertPage`) by default, and an RFC
7946 FeatureCollection served as ``application/geo+json`` (each alert at its last
known position) when the caller's ``Accept`` header asks for it
(:func:`vessel_risk.api.geojson.wants_geojson`), or CSV (``text/csv``,
:func:`vessel_risk.alerts.export.queue_csv`). Every item carries its ``source``.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import StringConstraints
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from vessel_risk.alerts.build import CAVEAT
from vessel_risk.alerts.export import queue_csv
from vessel_risk.alerts.lifecycle import TransitionError
from vessel_risk.alerts.persistence import alert_history, transition
from vessel_risk.api import crud
from vessel_risk.api.deps import (
    AlertReader,
    Analyst,
    ReadSessionDep,
    ReviewedAlert,
    ScopedAlert,
    SessionDep,
)
from vessel_risk.api.geojson import (
    GEOJSON_MEDIA_TYPE,
    GeoJSONResponse,
    point_feature,
    wants_csv,
    wants_geojson,
)
from vessel_risk.api.models import (
    AlertDetail,
    AlertPage,
    AlertPublic,
    AlertStatusUpdate,
    EvidenceEventPublic,
    IndicatorPublic,
    ScoreHistoryItem,
    Source,
    Tier,
    TipPublic,
)
from vessel_risk.api.problems import problem_responses
from vessel_risk.db.tables import AlertRow, as_utc
from vessel_risk.referral.tips import tip_summary, tips_of

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=problem_responses(401, 403, 429))

Iso3 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
BBOX_PATTERN = r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?$"


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in text.split(","))
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise HTTPException(422, "bbox longitudes must lie in [-180, 180].")
    if not (-90 <= min_lat <= max_lat <= 90):
        raise HTTPException(422, "bbox latitudes must lie in [-90, 90], min before max.")
    return min_lon, min_lat, max_lon, max_lat


MAX_AREA_DEPTH = 6
"""Deepest JSON nesting of an area: a MultiPolygon is 5 deep (object, rings, ring,
position, and the polygon list); one spare."""


def _depth(text: str) -> int:
    """The deepest ``[``/``{`` nesting of a JSON text (strings skipped), without parsing."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _finite(value: Any) -> bool:
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _area(text: str | None) -> BaseGeometry | None:
    if text is None:
        return None
    if _depth(text) > MAX_AREA_DEPTH:
        raise HTTPException(422, f"area is nested deeper than {MAX_AREA_DEPTH} levels.")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise HTTPException(422, f"area is not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        raise HTTPException(422, "area must be a GeoJSON Polygon or MultiPolygon.")
    if not _finite(data.get("coordinates")):
        raise HTTPException(422, "area coordinates must be finite numbers (no NaN, no Infinity).")
    try:
        geom = shape(data)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, ShapelyError) as exc:
        raise HTTPException(422, f"area is not a GeoJSON geometry: {exc}") from exc
    if geom.is_empty or not geom.is_valid:
        raise HTTPException(422, "area must be a valid, non-empty GeoJSON Polygon or MultiPolygon.")
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise HTTPException(422, "area must lie within longitudes ±180 and latitudes ±90.")
    return geom


def utc_param(name: str, value: datetime | None) -> datetime | None:
    """A query parameter's datetime in UTC; 422 when it has no UTC equivalent (year 9999
    at a negative offset, year 1 at a positive one)."""
    try:
        return as_utc(value)
    except OverflowError as exc:
        raise HTTPException(422, f"{name} is out of the range of UTC datetimes.") from exc


ReviewStatus = Literal["new", "under_review", "referred", "dismissed", "withdrawn"]
"""The review statuses of :data:`vessel_risk.alerts.lifecycle.STATUSES`."""


ALERT_LIST_GEOJSON = {
    "description": "With `Accept: application/geo+json`: the same page as an RFC 7946 "
    "FeatureCollection, one Point feature per alert at its last known position (null "
    "geometry where none), the alert's fields as properties; `next_cursor` and `limit` "
    "as foreign members.",
    "content": {
        GEOJSON_MEDIA_TYPE: {
            "schema": {
                "type": "object",
                "required": ["type", "features"],
                "properties": {
                    "type": {"const": "FeatureCollection"},
                    "features": {"type": "array", "items": {"type": "object"}},
                    "next_cursor": {"type": ["string", "null"]},
                    "limit": {"type": "integer"},
                },
            }
        }
    },
}
"""The OpenAPI description of the list's GeoJSON answer."""


def alerts_feature_collection(page: AlertPage) -> dict[str, Any]:
    """A page of alerts as an RFC 7946 FeatureCollection (WGS 84 lon/lat points)."""
    features = [
        point_feature(a.last_lon, a.last_lat, a.model_dump(mode="json")) for a in page.items
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "next_cursor": page.next_cursor,
        "limit": page.limit,
    }


@router.get(
    "", response_model=AlertPage, responses={**problem_responses(422), 200: ALERT_LIST_GEOJSON}
)
def list_alerts(
    request: Request,
    session: ReadSessionDep,
    caller: AlertReader,
    tier: Annotated[list[Tier], Query(description="Any of these tiers.")] = [],  # noqa: B006
    flag: Annotated[list[Iso3], Query(description="Flag states, ISO3.")] = [],  # noqa: B006
    gear: Annotated[str | None, Query(max_length=64)] = None,
    port: Annotated[str | None, Query(max_length=128, description="Last port label.")] = None,
    status: Annotated[ReviewStatus | None, Query(description="Review status.")] = None,
    source: Annotated[
        list[Source],
        Query(description="Any of these sources: model, or a tip's entry point."),
    ] = [],  # noqa: B006
    bbox: Annotated[
        str | None,
        Query(
            pattern=BBOX_PATTERN,
            description="min_lon,min_lat,max_lon,max_lat in degrees of the last position; "
            "min_lon > max_lon crosses the antimeridian.",
        ),
    ] = None,
    area: Annotated[
        str | None,
        Query(max_length=100_000, description="A GeoJSON Polygon or MultiPolygon (RFC 7946)."),
    ] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    seen_since: Annotated[datetime | None, Query(description="Last seen at or after, UTC.")] = None,
    seen_until: Annotated[
        datetime | None, Query(description="Last seen at or before, UTC.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=crud.MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AlertPage | Response:
    """The review queue in the caller's scope: the model's alerts and unscored tips, each
    marked by its source (JSON; GeoJSON with ``Accept: application/geo+json``; CSV with
    ``Accept: text/csv``).

    Order (:mod:`vessel_risk.alerts.queue`): high and medium alerts by score, then tips
    (never scored) by urgency and the number of ILO indicators observed, then low and
    "insufficient data" alerts by score."""
    filters = crud.AlertFilters(
        tiers=tuple(tier),
        flags=tuple(flag),
        gear=gear,
        port=port,
        status=status,
        sources=tuple(source),
        bbox=_bbox(bbox),
        area=_area(area),
        year=year,
        seen_since=utc_param("seen_since", seen_since),
        seen_until=utc_param("seen_until", seen_until),
    )
    try:
        rows, next_cursor = crud.list_alerts(session, caller, filters, limit=limit, cursor=cursor)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    page = AlertPage(
        items=[AlertPublic.model_validate(r) for r in rows], next_cursor=next_cursor, limit=limit
    )
    accept = request.headers.get("accept")
    if wants_geojson(accept):
        return GeoJSONResponse(alerts_feature_collection(page))
    if wants_csv(accept):
        return Response(
            queue_csv([a.model_dump(mode="json") for a in page.items]),
            media_type="text/csv; charset=utf-8",
            headers={"X-Next-Cursor": page.next_cursor or ""},
        )
    return page


def alert_detail(session: Session, alert: AlertRow) -> AlertDetail:
    """The alert (in the caller's scope) with indicators, evidence, explanation and
    score history."""
    detail = alert.detail or {}
    history = alert_history(session, alert.id)
    events = crud.evidence_of(session, [alert.score_id] if alert.score_id is not None else [])
    return AlertDetail(
        **AlertPublic.model_validate(alert).model_dump(),
        indicators=[IndicatorPublic.model_validate(i) for i in detail.get("indicators", [])],
        explanation=crud.explanation(alert),
        data_note=str(detail.get("data_note", "")),
        position_messages=int(detail.get("position_messages", 0)),
        days_observed=int(detail.get("days_observed", 0)),
        caveat=str(detail.get("caveat", CAVEAT)),
        status_reason=alert.status_reason,
        evidence_events=[EvidenceEventPublic.model_validate(e) for e in events],
        score_history=[ScoreHistoryItem.model_validate(s) for s in history["scores"]],
        tips=[TipPublic.model_validate(tip_summary(t)) for t in tips_of(session, alert.id)],
        coastal_states_iso3=sorted(alert.coastal_iso3),
    )


@router.get("/{alert_id}", response_model=AlertDetail, responses=problem_responses(404, 422))
def get_alert(session: ReadSessionDep, alert: ScopedAlert) -> AlertDetail:
    """One alert: its indicators, evidence events, explanation and score history."""
    return alert_detail(session, alert)


@router.post(
    "/{alert_id}/status", response_model=AlertPublic, responses=problem_responses(404, 409, 422)
)
def change_status(
    session: SessionDep, caller: Analyst, alert: ReviewedAlert, body: AlertStatusUpdate
) -> AlertPublic:
    """Move the alert along its review lifecycle (audited)."""
    try:
        alert = transition(session, alert.id, body.status, actor=caller.actor, reason=body.reason)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except TransitionError as exc:
        raise HTTPException(409, str(exc)) from exc
    session.commit()
    return AlertPublic.model_validate(alert)
