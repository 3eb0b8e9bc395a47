"""The dashboard: server-rendered pages over the same data and access rules as the API.

Log in with an agency client's API key; it is kept in an HttpOnly, SameSite=Strict
cookie. Pages: the ranked alert queue with a map, vessel detail with track and events,
the port inspector's queue and briefs, the referral approval screen. Leaflet is served
from the package (``static/leaflet``), so nothing is fetched from the internet; there
is no base map, only a graticule.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote_plus

import jinja2
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from vessel_risk.api import crud
from vessel_risk.api.access import Principal, authenticate
from vessel_risk.api.deps import COOKIE_NAME, SessionDep, get_caller
from vessel_risk.api.models import AlertPublic
from vessel_risk.api.routes import ports as ports_routes
from vessel_risk.api.routes import vessels as vessel_routes
from vessel_risk.api.routes.alerts import alert_detail

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
ALERT_ROLES = frozenset({"analyst", "port_inspector", "referral_approver", "admin"})


class _Login(Exception):
    pass


def _who(request: Request, session: SessionDep) -> Principal:
    try:
        return get_caller(request, session, None)
    except HTTPException as exc:
        if exc.status_code == 401:
            raise _Login() from exc
        raise


def _page(request: Request, name: str, who: Principal | None, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"who": who, **context})


def _login_redirect() -> RedirectResponse:
    return RedirectResponse("/ui/login", status_code=303)


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
def login(request: Request, session: SessionDep, key: Annotated[str, Form()] = "") -> Response:
    """Check the key and keep it in the session cookie."""
    who = authenticate(session, key.strip())
    if who is None:
        return _page(request, "login.html", None, error="That key is not valid.")
    target = "/ui/ports" if who.role == "port_inspector" else "/ui/"
    if who.role == "case_system":
        target = "/ui/referrals"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        key.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=8 * 3600,
    )
    return response


@router.get("/logout")
def logout() -> Response:
    """Forget the key."""
    response = _login_redirect()
    response.delete_cookie(COOKIE_NAME)
    return response


@router.get("/")
def alert_queue(
    request: Request, session: SessionDep, tier: str = "", cursor: str | None = None
) -> Response:
    """The ranked alert queue with a map."""
    try:
        who = _who(request, session)
    except _Login:
        return _login_redirect()
    if who.role == "port_inspector":
        return RedirectResponse("/ui/ports", status_code=303)
    if who.role not in ALERT_ROLES:
        return RedirectResponse("/ui/referrals", status_code=303)
    filters = crud.AlertFilters(tiers=(tier,) if tier else ())
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
        next_cursor=next_cursor,
    )


@router.get("/ports")
def port_list(request: Request, session: SessionDep) -> Response:
    """The ports in the caller's scope."""
    try:
        who = _who(request, session)
    except _Login:
        return _login_redirect()
    if who.role not in ALERT_ROLES:
        raise HTTPException(403, "This role has no port view.")
    rows = [
        {"port_label": p, "port_iso3": c, "alerts": n, "max_score": s}
        for p, c, n, s in crud.ports(session, who)
    ]
    return _page(request, "ports.html", who, ports=rows)


@router.get("/ports/{port_label}")
def port_view(request: Request, session: SessionDep, port_label: str) -> Response:
    """The port inspector's queue: vessels of this port ranked, with briefs."""
    try:
        who = _who(request, session)
    except _Login:
        return _login_redirect()
    if who.role not in ALERT_ROLES:
        raise HTTPException(403, "This role has no port view.")
    q = ports_routes.queue(session, who, port_label)
    return _page(request, "port_queue.html", who, q=q, points=_map_points(q.items))


@router.get("/vessels/{mmsi}")
def vessel_view(
    request: Request, session: SessionDep, mmsi: str, port: str | None = None
) -> Response:
    """Vessel detail: profile, track, events, the reasons of each year's score."""
    try:
        who = _who(request, session)
    except _Login:
        return _login_redirect()
    if who.role not in ALERT_ROLES:
        raise HTTPException(403, "This role has no vessel view.")
    v = vessel_routes.profile(session, who, mmsi)
    details = [alert_detail(session, who, p.alert_id) for p in reversed(v.periods) if p.alert_id]
    track: dict[str, Any] | None = None
    note = None
    try:
        track = vessel_routes.track(request, session, who, mmsi).model_dump()
    except HTTPException as exc:
        note = str(exc.detail)
    events = [e for d in details for e in d.evidence_events]
    events.sort(key=lambda e: e.start)
    event_points = [
        {"lat": e.lat, "lon": e.lon, "kind": e.kind, "start": e.start.isoformat()}
        for e in events
        if e.lat is not None and e.lon is not None
    ]
    return _page(
        request,
        "vessel.html",
        who,
        v=v,
        details=details,
        track=track,
        track_note=note,
        events=events,
        event_points=event_points,
        port=port,
    )


@router.get("/referrals")
def referral_view(request: Request, session: SessionDep, message: str | None = None) -> Response:
    """The referral approval screen: the agency's notices, drafts to approve.

    Each draft shows its approval preview: the flag routing uses (declared, or inferred
    with its source and confidence), the agencies it would go to and the rules that
    found no agency. A draft routed by an inferred flag has a box the approver ticks to
    confirm that flag; approval without it is refused.
    """
    from vessel_risk.api.routes.referrals import _fleets
    from vessel_risk.referral.notices import preview_notice

    try:
        who = _who(request, session)
    except _Login:
        return _login_redirect()
    if who.role not in ("analyst", "referral_approver", "case_system", "admin"):
        raise HTTPException(403, "This role reads no referral notices.")
    notices = crud.list_notices(session, who)
    from vessel_risk.db.tables import audit

    for n in notices:
        audit(
            session,
            actor=who.actor,
            action="notice.read",
            entity_type="notice",
            entity_id=n.id,
            reason="dashboard list",
        )
    can_approve = who.role in ("referral_approver", "admin")
    fleets = _fleets(request.app.state.settings) if can_approve else []
    previews = {
        n.id: preview_notice(session, n.id, fleets=fleets)
        for n in notices
        if can_approve and n.status == "draft"
    }
    session.commit()
    return _page(
        request,
        "referrals.html",
        who,
        notices=notices,
        previews=previews,
        message=message,
        can_approve=can_approve,
    )


@router.post("/referrals/{notice_id}/approve")
def referral_approve(
    request: Request,
    session: SessionDep,
    notice_id: str,
    confirm_inferred_flag: Annotated[bool, Form()] = False,
) -> Response:
    """Approve a draft notice from the approval screen (with the inferred-flag box, if
    ticked); a refusal comes back to the screen as its message."""
    from vessel_risk.api.models import NoticeApprove
    from vessel_risk.api.routes.referrals import approve_notice

    try:
        who = _who(request, session)
    except _Login:
        return _login_redirect()
    if who.role not in ("referral_approver", "admin"):
        raise HTTPException(403, "Only referral approvers approve notices.")
    body = NoticeApprove(confirm_inferred_flag=confirm_inferred_flag)
    try:
        approve_notice(session, request.app.state.settings, who, notice_id, body)
    except HTTPException as exc:
        if exc.status_code != 409:
            raise
        session.rollback()
        return RedirectResponse(
            f"/ui/referrals?message={quote_plus(str(exc.detail))}", status_code=303
        )
    return RedirectResponse("/ui/referrals?message=Approved+and+routed", status_code=303)
