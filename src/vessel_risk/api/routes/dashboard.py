"""The dashboard: server-rendered pages over the same data and access rules as the API.

Log in with an agency client's API key to start a server-side session
(:mod:`vessel_risk.api.sessions`): the cookie holds a random token, never the key. Every
page goes through :func:`~vessel_risk.api.deps.authorize` and
:func:`~vessel_risk.api.deps.scoped` like the API; every form post carries the session's
CSRF token. Pages: the ranked alert queue with a map, the vessel page (tabs: overview,
events filtered and paged, track with its distances from shore and port), the port
inspector's queue and briefs, the referral approval screen with what a notice carries
and who will receive it. Leaflet is served from the package (``static/leaflet``) and
the maps' base map is the package's own Natural Earth land layer
(:mod:`vessel_risk.api.basemap`), so nothing is fetched from the internet. Every page
works by keyboard and on a phone-sized screen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote_plus

import jinja2
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from vessel_risk.alerts.queue import SOURCES
from vessel_risk.api import crud, pages, sessions
from vessel_risk.api.access import CASE_ROLES, Principal, authenticate
from vessel_risk.api.charts import time_chart
from vessel_risk.api.deps import SessionDep, VesselScope, authorize, scoped
from vessel_risk.api.models import AlertPublic, Source, Tier
from vessel_risk.api.routes import ports as ports_routes
from vessel_risk.api.routes import vessels as vessel_routes
from vessel_risk.api.routes.alerts import alert_detail
from vessel_risk.db.tables import AlertRow, ReferralNotice, as_utc, audit

router = APIRouter(prefix="/ui", include_in_schema=False)
# Autoescape on for every template: a value from data (a ship name broadcast over AIS)
# is text, never HTML. The pages have no inline script or style (the CSP forbids them):
# the maps are in static/dashboard/dashboard.js, their data in JSON blocks.
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parents[1] / "templates"),
        autoescape=True,
    )
)
templates.env.filters["utc"] = as_utc  # a time from the database, as UTC (PostgreSQL
# answers in the session's time zone)
LOGIN_FAILURES_PER_MINUTE = 10
"""Failed logins one address may make in a minute before 429 (OWASP Authentication
Cheat Sheet: throttle by source)."""


def _page(request: Request, name: str, who: Principal | None, **context: Any) -> HTMLResponse:
    csrf = getattr(request.state, "csrf_token", "")
    return templates.TemplateResponse(request, name, {"who": who, "csrf_token": csrf, **context})


def _login_redirect() -> RedirectResponse:
    return RedirectResponse("/ui/login", status_code=303)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _map_points(alerts: Iterable[Any]) -> list[dict[str, Any]]:
    """Map markers of alerts at their last known position (those without one left out)."""
    return [
        {
            "lat": a.last_lat,
            "lon": a.last_lon,
            "mmsi": a.mmsi,
            "score": a.score,
            "tier": a.tier,
            "name": a.shipname or a.vessel_label,
        }
        for a in alerts
        if a.last_lat is not None and a.last_lon is not None
    ]


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    """The login form."""
    return _page(request, "login.html", None, error=None)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    key: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    """Check the key and start a server-side session (the key is never the cookie).

    Failed logins from one address are a token bucket of
    :data:`LOGIN_FAILURES_PER_MINUTE` a minute (ten at once, then one every 6 s), answered
    429 with ``Retry-After``. Each attempt takes its token atomically *before* the key is
    checked and a good key gives it back, so simultaneous attempts cannot all pass the
    check before any failure is counted.
    """
    sessions.check_origin(request)
    limiter = request.app.state.limiter
    address = _address(request)
    bucket = f"login:{address}"
    wait_s = limiter.take(bucket, LOGIN_FAILURES_PER_MINUTE)
    if wait_s > 0:
        audit(
            session,
            actor=f"ui:{address}",
            action="ui.login_throttled",
            entity_type="ui_session",
            entity_id=address[:64],
        )
        session.commit()
        return Response(
            "Too many failed logins from this address; try again later.",
            status_code=429,
            headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
            media_type="text/plain",
        )
    who = authenticate(session, key.strip())
    if who is None:
        audit(
            session,
            actor=f"ui:{address}",
            action="ui.login_failed",
            entity_type="ui_session",
            entity_id=address[:64],
        )
        session.commit()
        refused = _page(request, "login.html", None, error="That key is not valid.")
        refused.status_code = 401
        return refused
    limiter.give_back(bucket, LOGIN_FAILURES_PER_MINUTE)
    token = sessions.start(
        session,
        who,
        address=address,
        previous=request.cookies.get(sessions.COOKIE_NAME),
        ttl_s=request.app.state.settings.ui_session_ttl_s,
    )
    session.commit()
    target = "/ui/ports" if who.role == "port_inspector" else "/ui/"
    if who.role == "case_system":
        target = "/ui/referrals"
    if who.role in CASE_ROLES:
        target = "/ui/cases"
    if who.role == "coordinator":
        target = "/ui/monitoring"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        sessions.COOKIE_NAME,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=int(request.app.state.settings.ui_session_ttl_s),
        path="/ui",
    )
    return response


@router.get("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """End the session on the server and forget the cookie."""
    token = request.cookies.get(sessions.COOKIE_NAME)
    found = sessions.lookup(session, token)
    if token and found is not None:
        sessions.end(session, token, actor=found[0].actor, reason="logout")
        session.commit()
    response = _login_redirect()
    response.delete_cookie(sessions.COOKIE_NAME, path="/ui")
    return response


UiCaller = Annotated[Principal, Depends(authorize("dashboard", ui=True))]
UiAlertReader = Annotated[Principal, Depends(authorize("alerts.read", ui=True))]
UiNoticeReader = Annotated[Principal, Depends(authorize("notices.read", ui=True))]
UiPort = Annotated[str, Depends(scoped("port", "alerts.read", ui=True))]
UiVessel = Annotated[VesselScope, Depends(scoped("vessel", "alerts.read", ui=True))]
UiReadNotice = Annotated[ReferralNotice, Depends(scoped("notice", "notices.read", ui=True))]
UiApprover = Annotated[Principal, Depends(authorize("notices.approve", ui=True, form=True))]
UiApprovedNotice = Annotated[
    ReferralNotice, Depends(scoped("notice", "notices.approve", ui=True, form=True))
]


@router.get("/")
def alert_queue(
    request: Request,
    session: SessionDep,
    who: UiCaller,
    tier: Annotated[Tier | Literal[""], Query()] = "",
    source: Annotated[Source | Literal[""], Query()] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The ranked alert queue with a map (port inspectors go to their ports, case
    systems to their notices)."""
    if who.role == "tip_source":  # a tip's source never reads the queue
        return RedirectResponse("/ui/tips/new", status_code=303)
    if who.role == "port_inspector":
        return RedirectResponse("/ui/ports", status_code=303)
    if who.role in CASE_ROLES:
        return RedirectResponse("/ui/cases", status_code=303)
    if who.role == "coordinator":
        return RedirectResponse("/ui/monitoring", status_code=303)
    if not who.may("alerts.read"):
        return RedirectResponse("/ui/referrals", status_code=303)
    filters = crud.AlertFilters(tiers=(tier,) if tier else (), sources=(source,) if source else ())
    try:
        rows, next_cursor = crud.list_alerts(session, who, filters, limit=100, cursor=cursor)
    except ValueError:
        rows, next_cursor = crud.list_alerts(session, who, filters, limit=100)
    alerts = [AlertPublic.model_validate(r) for r in rows]
    points = _map_points(alerts)
    return _page(
        request,
        "alerts.html",
        who,
        alerts=alerts,
        points=points,
        tier=tier,
        source=source,
        sources=SOURCES,
        next_cursor=next_cursor,
    )


UiScopedAlert = Annotated[AlertRow, Depends(scoped("alert", "alerts.read", ui=True))]


@router.get("/alerts/{alert_id}")
def alert_view(
    request: Request, session: SessionDep, who: UiAlertReader, alert: UiScopedAlert
) -> Response:
    """One queue item: its source, its score or "no model score: tip from <source>",
    the tips on it and its review history (tips show no person's data)."""
    from vessel_risk.referral.tips import tip_summary, tips_of

    return _page(
        request,
        "alert.html",
        who,
        alert=AlertPublic.model_validate(alert),
        explanation=crud.explanation(alert),
        status_reason=alert.status_reason,
        tips=[tip_summary(t) for t in tips_of(session, alert.id)],
    )


@router.get("/ports")
def port_list(request: Request, session: SessionDep, who: UiAlertReader) -> Response:
    """The ports in the caller's scope."""
    rows = [
        {"port_label": p, "port_iso3": c, "alerts": n, "max_score": s}
        for p, c, n, s in crud.ports(session, who)
    ]
    return _page(request, "ports.html", who, ports=rows)


@router.get("/ports/{port_label}")
def port_view(
    request: Request,
    session: SessionDep,
    who: UiAlertReader,
    port_label: UiPort,
    days: Annotated[float, Query(gt=0, le=90)] = 7.0,
) -> Response:
    """The port inspector's queue: vessels of this port ranked, with briefs, and the
    vessels expected in the next ``days`` days, highest risk first."""
    try:
        arrivals = ports_routes.arrivals(session, port_label, days)
    except HTTPException:
        arrivals = None
    try:
        q = ports_routes.queue(session, who, port_label)
    except HTTPException as exc:
        if exc.status_code != 404 or arrivals is None:
            raise
        q = ports_routes.PortQueue(
            port_label=arrivals.port_label, port_iso3=arrivals.port_iso3, items=[]
        )
    return _page(
        request,
        "port_queue.html",
        who,
        q=q,
        arrivals=arrivals,
        days=days,
        points=_map_points(q.items),
    )


@router.get("/ports/{port_label}/briefs/{mmsi}")
def port_brief(
    request: Request,
    session: SessionDep,
    who: UiAlertReader,
    port_label: UiPort,
    vessel: UiVessel,
    format: Annotated[Literal["html", "pdf"], Query()] = "html",
) -> Response:
    """The inspection brief of a vessel in the port's queue (as the API's)."""
    return ports_routes.brief_response(request, session, who, port_label, vessel.mmsi, format)


@router.get("/referrals/{notice_id}/brief")
def referral_brief(
    request: Request, session: SessionDep, who: UiNoticeReader, notice: UiReadNotice
) -> Response:
    """A notice as a printable page (the read is audited)."""
    from vessel_risk.api.routes.referrals import notice_brief

    return notice_brief(request, session, who, notice)


def _vessel_common(
    session: Session, vessel: VesselScope, port: str | None, tab: str
) -> dict[str, Any]:
    """What every tab of the vessel page shows: the profile, the tab bar, the port."""
    v = vessel_routes.profile(session, vessel)
    return {"v": v, "port": port, "tab": tab, "tabs": VESSEL_TABS}


VESSEL_TABS = (
    ("overview", "Overview", ""),
    ("events", "Events", "/events"),
    ("track", "Track", "/track"),
)
"""The vessel page's tabs: (name, label, path after ``/ui/vessels/{mmsi}``)."""
UiPortParam = Annotated[str | None, Query(max_length=128)]


@router.get("/vessels/{mmsi}")
def vessel_view(
    request: Request,
    session: SessionDep,
    who: UiAlertReader,
    vessel: UiVessel,
    port: UiPortParam = None,
) -> Response:
    """Vessel page, overview tab: identity, each year's score, tier, coverage and
    reasons, within the vessel-years in the caller's scope."""
    common = _vessel_common(session, vessel, port, "overview")
    in_scope = {a.id: a for a in vessel.alerts}
    details = [
        (alert_detail(session, in_scope[p.alert_id]), in_scope[p.alert_id])
        for p in reversed(common["v"].periods)
        if p.alert_id in in_scope
    ]
    years = [
        (d, pages.coverage(d.position_messages, d.days_observed, row.observed_share))
        for d, row in details
    ]
    return _page(request, "vessel.html", who, years=years, **common)


@router.get("/vessels/{mmsi}/events")
def vessel_events_view(
    request: Request,
    session: SessionDep,
    who: UiAlertReader,
    vessel: UiVessel,
    port: UiPortParam = None,
    kind: Annotated[str, Query(max_length=32)] = "",
    start: Annotated[str, Query(alias="from", max_length=32)] = "",
    end: Annotated[str, Query(alias="to", max_length=32)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """Vessel page, events tab: the evidence events behind its current scores, filtered
    by kind and dates (UTC) and paged in SQL (:data:`vessel_risk.api.pages.PAGE_SIZE` a
    page), with a map of the page's events."""
    common = _vessel_common(session, vessel, port, "events")
    score_ids = [a.score_id for a in vessel.alerts if a.score_id is not None]
    flt = pages.parse_event_filter(kind, start, end, pages.event_kinds(session, score_ids))
    found = pages.event_page(session, score_ids, flt, page)
    event_points = [
        {
            "lat": e.lat,
            "lon": e.lon,
            "kind": e.kind,
            "start": (as_utc(e.start) or e.start).isoformat(),
        }
        for e in found.events
        if e.lat is not None and e.lon is not None
    ]
    query = {
        k: v
        for k, v in (
            ("port", port or ""),
            ("kind", flt.kind or ""),
            ("from", flt.start.isoformat() if flt.start else ""),
            ("to", flt.end.isoformat() if flt.end else ""),
        )
        if v
    }
    return _page(
        request,
        "vessel_events.html",
        who,
        flt=flt,
        found=found,
        event_points=event_points,
        query=query,
        **common,
    )


@router.get("/vessels/{mmsi}/track")
def vessel_track_view(
    request: Request,
    session: SessionDep,
    who: UiAlertReader,
    vessel: UiVessel,
    port: UiPortParam = None,
) -> Response:
    """Vessel page, track tab: the track on the map and its distances from shore and from
    port over time (SVG charts drawn on the server, lines broken at AIS gaps)."""
    common = _vessel_common(session, vessel, port, "track")
    track: dict[str, Any] | None = None
    note = None
    charts = []
    try:
        track = vessel_routes.track(request, vessel).model_dump()
    except HTTPException as exc:
        note = str(exc.detail)
    if track is not None:
        path = request.app.state.settings.run_dir / "positions.parquet"
        spans = None if vessel.unrestricted else vessel.spans
        frame = pages.track_distances(path, vessel.mmsi, spans)
        for column, title in (
            ("distance_from_shore_km", "Distance from shore"),
            ("distance_from_port_km", "Distance from port"),
        ):
            chart = None
            if column in frame:
                chart = time_chart(frame["timestamp"], frame[column].to_numpy(), title=title)
            charts.append((column, title, chart))
    return _page(
        request, "vessel_track.html", who, track=track, track_note=note, charts=charts, **common
    )


@router.get("/referrals")
def referral_view(
    request: Request,
    session: SessionDep,
    who: UiNoticeReader,
    message: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The referral approval screen: the agency's notices, drafts to approve.

    Each draft shows what the notice carries (score, tier, reasons, and the data
    coverage they rest on, "insufficient data" where thin) and its approval preview:
    the flag routing uses (declared, or inferred with its source and confidence), who
    will receive it, by which rule and how, and the rules that found no agency
    (:func:`vessel_risk.api.pages.approval_view`). A draft routed by an inferred flag
    has a box the approver ticks to confirm that flag; approval without it is refused.
    """
    from vessel_risk.api.routes.referrals import _fleets
    from vessel_risk.referral.notices import preview_notice

    notices = crud.list_notices(session, who)
    for n in notices:
        audit(
            session,
            actor=who.actor,
            action="notice.read",
            entity_type="notice",
            entity_id=n.id,
            reason="dashboard list",
        )
    can_approve = who.may("notices.approve")
    by_id = {n.id: n for n in notices}
    fleets = _fleets(request.app.state.settings) if can_approve else []
    previews = {
        n.id: preview_notice(session, n.id, fleets=fleets)
        for n in notices
        if can_approve and n.status == "draft" and crud.notice_visible(session, who, n, acting=True)
    }
    views = {nid: pages.approval_view(session, by_id[nid], p) for nid, p in previews.items()}
    session.commit()
    return _page(
        request,
        "referrals.html",
        who,
        notices=notices,
        previews=previews,
        views=views,
        message=message,
        can_approve=can_approve,
    )


@router.post("/referrals/{notice_id}/approve")
def referral_approve(
    request: Request,
    session: SessionDep,
    who: UiApprover,
    notice: UiApprovedNotice,
    confirm_inferred_flag: Annotated[bool, Form()] = False,
) -> Response:
    """Approve a draft notice from the approval screen (with the inferred-flag box, if
    ticked); a refusal comes back to the screen as its message. The form carries the
    session's CSRF token."""
    from vessel_risk.api.models import NoticeApprove
    from vessel_risk.api.routes.referrals import approve_notice

    body = NoticeApprove(confirm_inferred_flag=confirm_inferred_flag)
    try:
        approve_notice(session, request.app.state.settings, who, notice, body)
    except HTTPException as exc:
        if exc.status_code != 409:
            raise
        session.rollback()
        return RedirectResponse(
            f"/ui/referrals?message={quote_plus(str(exc.detail))}", status_code=303
        )
    return RedirectResponse("/ui/referrals?message=Approved+and+routed", status_code=303)
