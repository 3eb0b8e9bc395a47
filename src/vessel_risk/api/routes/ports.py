"""Ports: the inspection queue of a port, its expected arrivals and the printable brief."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from sqlalchemy.orm import Session

from vessel_risk.alerts.arrival_store import queued_arrivals
from vessel_risk.alerts.arrivals import QueuedArrival, rank_arrivals
from vessel_risk.alerts.display import flag_label, vessel_label
from vessel_risk.api import crud
from vessel_risk.api.access import Principal
from vessel_risk.api.deps import AlertReader, ReadSessionDep, ScopedPort, ScopedVessel
from vessel_risk.api.models import (
    AlertPublic,
    ArrivalPublic,
    PortArrivals,
    PortQueue,
    PortQueueItem,
    PortSummary,
)
from vessel_risk.api.problems import problem_responses
from vessel_risk.api.routes.alerts import utc_param
from vessel_risk.api.security import csp_nonce
from vessel_risk.db.tables import AlertRow, Vessel, as_utc, utcnow
from vessel_risk.referral.briefs import Brief, brief_html, brief_pdf

router = APIRouter(
    prefix="/ports", tags=["ports"], responses=problem_responses(401, 403, 404, 422, 429)
)

BRIEF_EVENTS = 8


@router.get("", response_model=list[PortSummary])
def list_ports(session: ReadSessionDep, caller: AlertReader) -> list[PortSummary]:
    """Ports with alerts in the caller's scope, busiest first."""
    return [
        PortSummary(port_label=label, port_iso3=iso3, alerts=n, max_score=top)
        for label, iso3, n, top in crud.ports(session, caller)
    ]


def in_port(alert: AlertRow) -> bool:
    """Whether the alert's last port visit lasts to its last position (still in port)."""
    departure, seen = as_utc(alert.last_port_departure), as_utc(alert.last_seen)
    return departure is not None and seen is not None and departure >= seen


def queue(
    session: Session, caller: Principal, port_label: str, since: datetime | None = None
) -> PortQueue:
    """The port's queue, as the route returns it."""
    try:
        rows = crud.port_queue(session, caller, port_label, since=utc_param("since", since))
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from exc
    if not rows and not crud.port_known(session, port_label):
        raise HTTPException(404, f"No alert names {port_label!r} as its last port; see /ports.")
    items = [
        PortQueueItem(
            **AlertPublic.model_validate(r).model_dump(),
            in_port=in_port(r),
            reasons=[str(i.get("reason")) for i in (r.detail or {}).get("indicators", [])],
        )
        for r in rows
    ]
    return PortQueue(
        port_label=port_label.upper(), port_iso3=crud.port_iso3(session, port_label), items=items
    )


@router.get("/{port_label}/queue", response_model=PortQueue)
def get_queue(
    session: ReadSessionDep,
    caller: AlertReader,
    port_label: ScopedPort,
    since: Annotated[
        datetime | None,
        Query(description="Only vessels whose last port visit ended at or after this, UTC."),
    ] = None,
) -> PortQueue:
    """Vessels whose last port is this one, latest vessel-year each, ranked by score."""
    return queue(session, caller, port_label, since)


def arrivals(
    session: Session, port_label: str, days: float, now: datetime | None = None
) -> PortArrivals:
    """Vessels expected at ``port_label`` (in scope already) within ``days``, ranked.

    Raises
    ------
    HTTPException
        404 when neither an alert nor a predicted arrival names the port.
    """
    now = now or utcnow()
    stored = queued_arrivals(session, port_label=port_label)
    if not stored and not crud.port_known(session, port_label):
        raise HTTPException(404, f"No alert or expected arrival names {port_label!r}.")
    ranked = rank_arrivals(stored, now=now, days=days)
    return PortArrivals(
        port_label=port_label.upper(),
        port_iso3=crud.port_iso3(session, port_label),
        days=days,
        now=now,
        items=[arrival_public(a) for a in ranked],
    )


def arrival_public(a: QueuedArrival) -> ArrivalPublic:
    """The API's view of one expected arrival."""
    return ArrivalPublic(
        id=a.id,
        mmsi=a.mmsi,
        track_id=a.track_id,
        vessel_label=vessel_label(a.mmsi, a.track_id),
        shipname=a.shipname,
        flag_iso3=a.flag_iso3,
        alert_id=a.alert_id,
        tier=a.tier,
        score=a.score,
        port_label=a.port_label,
        port_iso3=a.port_iso3,
        eta=a.eta,
        eta_low=a.eta_low,
        eta_high=a.eta_high,
        method=a.method,  # type: ignore[arg-type]
        confidence=a.confidence,
        prediction=a.prediction_note,
        evidence=a.detail,
    )


@router.get("/{port_label}/arrivals", response_model=PortArrivals)
def get_arrivals(
    session: ReadSessionDep,
    caller: AlertReader,
    port_label: ScopedPort,
    days: Annotated[
        float, Query(gt=0, le=90, description="Window from now, in days (default 7).")
    ] = 7.0,
) -> PortArrivals:
    """Vessels expected at this port in the next ``days`` days, highest risk first.

    Each carries its predicted arrival (UTC, with its window), the method (AIS
    destination, the vessel's port-call history, or its heading), a confidence, and
    "insufficient data" where the prediction rests on thin data. The port being in the
    caller's scope is what lets it see the vessels coming to it.
    """
    return arrivals(session, port_label, days)


def make_brief(session: Session, caller: Principal, port_label: str, mmsi: str) -> Brief:
    """The brief of vessel ``mmsi`` in the queue of ``port_label``.

    Raises
    ------
    HTTPException
        403 for a port outside the caller's scope, 404 for a vessel not in its queue.
    """
    rows = queue(session, caller, port_label).items
    item = next((r for r in rows if r.mmsi == mmsi), None)
    if item is None:
        raise HTTPException(404, f"No vessel {mmsi} in the queue of {port_label.upper()}.")
    alert = session.get(AlertRow, item.id)
    vessel = session.get(Vessel, mmsi)
    assert alert is not None and vessel is not None
    # the port queue holds the model's alerts only (crud.port_queue): scored, ranked
    assert alert.score_id is not None and alert.score is not None
    assert alert.rank is not None and alert.model_version is not None
    events = crud.evidence_of(session, [alert.score_id])[-BRIEF_EVENTS:]
    names = [
        str(h.get("value"))
        for h in vessel.identity_history or []
        if h.get("field") == "shipname" and h.get("value")
    ]
    return Brief(
        mmsi=mmsi,
        shipname=alert.shipname,
        callsign=vessel.callsign,
        imo=vessel.imo,
        flag_iso3=alert.flag_iso3,
        flag=flag_label(
            alert.flag_iso3,
            alert.flag_inferred_iso3,
            alert.flag_inferred_source,
            alert.flag_inferred_confidence,
        ),
        vessel=vessel_label(alert.mmsi, alert.track_id),
        gear=alert.gear,
        iuu_listed=vessel.iuu_listed,
        year=alert.year,
        score=alert.score,
        tier=alert.tier,
        rank=alert.rank,
        model_version=alert.model_version,
        data_note=str((alert.detail or {}).get("data_note", "")),
        indicators=list((alert.detail or {}).get("indicators", [])),
        port_label=alert.last_port_label,
        port_iso3=alert.last_port_iso3,
        last_seen_utc=as_utc(alert.last_seen) or utcnow(),
        events=[
            {
                "kind": e.kind,
                "start": (as_utc(e.start) or e.start).strftime("%Y-%m-%d %H:%M"),
                "duration_h": e.duration_h,
            }
            for e in events
        ],
        names_seen=list(dict.fromkeys(names)),
        generated_at_utc=utcnow(),
    )


@router.get(
    "/{port_label}/briefs/{mmsi}",
    response_class=Response,
    responses={
        200: {
            "description": "The brief, HTML or PDF.",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def get_brief(
    request: Request,
    session: ReadSessionDep,
    caller: AlertReader,
    port_label: ScopedPort,
    vessel: ScopedVessel,
    format: Annotated[Literal["html", "pdf"], Query(description="html or pdf.")] = "html",
) -> Response:
    """The printable inspection brief with the ILO C188 checklist (HTML or PDF)."""
    return brief_response(request, session, caller, port_label, vessel.mmsi, format)


def brief_response(
    request: Request,
    session: Session,
    caller: Principal,
    port_label: str,
    mmsi: str,
    format: str,
) -> Response:
    """The brief of ``mmsi`` at ``port_label`` (both already in scope) as HTML or PDF."""
    brief = make_brief(session, caller, port_label, mmsi)
    name = re.sub(r"[^A-Za-z0-9]+", "_", f"brief_{mmsi}_{port_label.upper()}")
    if format == "pdf":
        return Response(
            brief_pdf(brief),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    return Response(
        brief_html(brief, nonce=csp_nonce(request)), media_type="text/html; charset=utf-8"
    )
