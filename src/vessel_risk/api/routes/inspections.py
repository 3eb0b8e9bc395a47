"""Boarding and inspection outcomes (issue 17 item 1): the API and the dashboard form.

``POST /inspections`` records what a boarding found, for the caller's agency, checked
against the ILO forced-labour indicators and the ILO C188 checklist
(:func:`vessel_risk.referral.inspections.record_inspection`, audited);
``GET /inspections`` and ``GET /inspections/{inspection_id}`` read them. An inspection
is in the caller's scope when its alert is, or, for a port inspector, when its port is
one of theirs (:meth:`~vessel_risk.api.access.Principal.may_see_inspection`); anything
else reads as absent. No person is named: crew are counted by nationality.

The dashboard form (``/ui/inspections/new``) posts the same fields with the session's
CSRF token; it works by keyboard alone and on a phone-sized screen.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.api import crud
from vessel_risk.api.access import Principal
from vessel_risk.api.deps import ReadSessionDep, SessionDep, authorize, scoped
from vessel_risk.api.models import MMSI_PATTERN
from vessel_risk.api.problems import problem_responses
from vessel_risk.db.tables import AlertRow, Inspection
from vessel_risk.referral.inspections import (
    CREW_STATEMENT,
    INSPECTION_OUTCOMES,
    InspectionError,
    inspection_view,
    record_inspection,
)
from vessel_risk.referral.standards import C188_DOCUMENTS, DOCUMENT_STATUSES, ILO_INDICATORS

router = APIRouter(
    prefix="/inspections",
    tags=["inspections"],
    responses=problem_responses(401, 403, 404, 422, 429),
)
ui_router = APIRouter(prefix="/ui/inspections", include_in_schema=False)

InspectionWriter = Annotated[Principal, Depends(authorize("inspections.write"))]
InspectionReader = Annotated[Principal, Depends(authorize("inspections.read"))]
ScopedInspection = Annotated[Inspection, Depends(scoped("inspection", "inspections.read"))]
UiInspectionReader = Annotated[Principal, Depends(authorize("inspections.read", ui=True))]
UiInspectionWriter = Annotated[Principal, Depends(authorize("inspections.write", ui=True))]
UiInspectionPoster = Annotated[
    Principal, Depends(authorize("inspections.write", ui=True, form=True))
]

MAX_LIST = 500


class InspectionCreate(BaseModel):
    """A boarding's outcome, as an inspector reports it (the agency is the caller's)."""

    model_config = ConfigDict(extra="forbid")

    alert_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    mmsi: str = Field(pattern=MMSI_PATTERN)
    year: int = Field(ge=2000, le=2100)
    inspected_at: AwareDatetime
    port_label: str | None = Field(default=None, max_length=128)
    port_iso3: str | None = Field(default=None, min_length=3, max_length=3)
    outcome: Literal["confirmed", "none_found", "not_boarded"]
    ilo_indicators: list[str] = Field(default_factory=list, max_length=len(ILO_INDICATORS))
    documents_seen: dict[str, str] = Field(default_factory=dict, max_length=len(C188_DOCUMENTS))
    crew_by_nationality: dict[str, int] = Field(default_factory=dict, max_length=250)
    not_boarded_reason: str | None = Field(default=None, max_length=2000)


class InspectionPublic(BaseModel):
    """A recorded inspection; ``source`` is the provenance its label carries in training
    (``inspection:<id>:<agency>``); ``statement`` the non-punishment statement."""

    id: int
    alert_id: int | None
    mmsi: str
    vessel_id: str | None
    year: int
    inspected_at: datetime
    port_label: str | None
    port_iso3: str | None
    agency_id: str
    outcome: str
    not_boarded_reason: str | None
    ilo_indicators: list[str]
    documents_seen: dict[str, str]
    crew_by_nationality: dict[str, int]
    recorded_by: str
    recorded_at: datetime
    source: str
    statement: str


def _public(row: Inspection) -> InspectionPublic:
    return InspectionPublic(**inspection_view(row))


def create(session: Session, who: Principal, body: InspectionCreate) -> Inspection:
    """Record ``body`` for ``who``'s agency, within its scope.

    The alert, when named, must be in scope (else 404) and gives the port when none is
    named; a port inspector records at its own ports only, and anyone else without an
    alert at a port in its scope (else 403).

    Raises
    ------
    HTTPException
        404, 403 as above; 422 for fields that break the standards.
    """
    alert: AlertRow | None = None
    if body.alert_id is not None:
        try:
            alert = crud.get_alert(session, who, body.alert_id)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
    label = (body.port_label or (alert.last_port_label if alert else None) or "").upper()
    iso3 = body.port_iso3 or (alert.last_port_iso3 if alert else None)
    if who.role == "port_inspector" and label not in who.ports:
        raise HTTPException(403, f"The port {label or '(none)'!r} is not one of this client's.")
    if alert is None and not who.is_admin and not (label and who.may_see_port(label, iso3)):
        raise HTTPException(
            403, "Name an alert in your scope, or a port in your scope (port_label)."
        )
    try:
        return record_inspection(
            session,
            alert_id=body.alert_id,
            mmsi=body.mmsi,
            year=body.year,
            inspected_at=body.inspected_at,
            port_label=label or None,
            port_iso3=iso3,
            agency_id=who.agency_id,
            outcome=body.outcome,
            ilo_indicators=body.ilo_indicators,
            documents_seen=body.documents_seen,
            crew_by_nationality=body.crew_by_nationality,
            not_boarded_reason=body.not_boarded_reason,
            actor=who.actor,
        )
    except InspectionError as exc:
        raise HTTPException(422, str(exc)) from exc


def visible(
    session: Session,
    who: Principal,
    *,
    mmsi: str | None = None,
    outcome: str | None = None,
    limit: int = 100,
) -> list[Inspection]:
    """The inspections in ``who``'s scope, newest first, at most ``limit``."""
    stmt = select(Inspection).order_by(Inspection.inspected_at.desc(), Inspection.id.desc())
    if mmsi:
        stmt = stmt.where(Inspection.mmsi == mmsi)
    if outcome:
        stmt = stmt.where(Inspection.outcome == outcome)
    out: list[Inspection] = []
    alerts: dict[int, AlertRow | None] = {}
    for row in session.scalars(stmt):
        alert = None
        if row.alert_id is not None:
            if row.alert_id not in alerts:
                alerts[row.alert_id] = session.get(AlertRow, row.alert_id)
            alert = alerts[row.alert_id]
        if who.may_see_inspection(row, alert):
            out.append(row)
            if len(out) >= limit:
                break
    return out


@router.post("", response_model=InspectionPublic, status_code=201)
def post_inspection(
    session: SessionDep, caller: InspectionWriter, body: InspectionCreate
) -> InspectionPublic:
    """Record what a boarding found (audited), for the caller's agency."""
    row = create(session, caller, body)
    session.commit()
    return _public(row)


@router.get("", response_model=list[InspectionPublic])
def list_inspections(
    session: ReadSessionDep,
    caller: InspectionReader,
    mmsi: Annotated[str | None, Query(pattern=MMSI_PATTERN)] = None,
    outcome: Annotated[Literal["confirmed", "none_found", "not_boarded"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100,
) -> list[InspectionPublic]:
    """Inspections in the caller's scope, newest first."""
    return [_public(r) for r in visible(session, caller, mmsi=mmsi, outcome=outcome, limit=limit)]


@router.get("/{inspection_id}", response_model=InspectionPublic, responses=problem_responses(404))
def get_inspection(caller: InspectionReader, inspection: ScopedInspection) -> InspectionPublic:
    """One inspection in the caller's scope."""
    return _public(inspection)


# --- the dashboard form -------------------------------------------------------------

_CREW_ITEM = re.compile(r"^\s*([A-Za-z]{3})\s*[=:]\s*(\d{1,4})\s*$")
_OFFSET = re.compile(r"^[+-](0\d|1[0-4]):[0-5]\d$")


def _page(request: Request, name: str, who: Principal, **context: Any) -> HTMLResponse:
    from vessel_risk.api.routes.dashboard import templates

    csrf = getattr(request.state, "csrf_token", "")
    return templates.TemplateResponse(request, name, {"who": who, "csrf_token": csrf, **context})


def _form_context(session: Session, who: Principal, alert_id: int | None) -> dict[str, Any]:
    alert = None
    if alert_id is not None:
        try:
            alert = crud.get_alert(session, who, alert_id)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
    return {
        "alert": alert,
        "indicators": ILO_INDICATORS,
        "documents": C188_DOCUMENTS,
        "statuses": DOCUMENT_STATUSES,
        "outcomes": INSPECTION_OUTCOMES,
        "statement": CREW_STATEMENT,
        "ports": sorted(who.ports),
    }


def parse_crew(text: str) -> dict[str, int]:
    """``"MMR=12, KHM 3"``-style crew counts (ISO3 and a number, comma or line
    separated) as a dict; raises ValueError naming the item it cannot read."""
    out: dict[str, int] = {}
    for raw in re.split(r"[,;\n]+", text or ""):
        item = raw.strip()
        if not item:
            continue
        m = _CREW_ITEM.match(item.replace(" ", "=", 1) if "=" not in item else item)
        if m is None:
            raise ValueError(f"Crew count {item!r}: write it as ISO3=number, e.g. MMR=12.")
        out[m.group(1).upper()] = out.get(m.group(1).upper(), 0) + int(m.group(2))
    return out


@ui_router.get("")
def inspections_page(
    request: Request,
    session: SessionDep,
    who: UiInspectionReader,
    recorded: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """Inspections in the caller's scope, newest first, with a link to the form."""
    rows = [inspection_view(r) for r in visible(session, who, limit=100)]
    return _page(
        request,
        "inspections.html",
        who,
        rows=rows,
        indicators=ILO_INDICATORS,
        can_record=who.may("inspections.write"),
        statement=CREW_STATEMENT,
        recorded=recorded,
    )


@ui_router.get("/new")
def inspection_form(
    request: Request,
    session: SessionDep,
    who: UiInspectionWriter,
    alert_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """The boarding outcome form, prefilled from the alert when one is named."""
    return _page(
        request,
        "inspection_form.html",
        who,
        errors=[],
        values={},
        **_form_context(session, who, alert_id),
    )


@ui_router.post("")
def inspection_submit(
    request: Request,
    session: SessionDep,
    who: UiInspectionPoster,
    mmsi: Annotated[str, Form(max_length=9)] = "",
    year: Annotated[str, Form(max_length=4)] = "",
    inspected_at: Annotated[str, Form(max_length=32)] = "",
    utc_offset: Annotated[str, Form(max_length=6)] = "+00:00",
    port_label: Annotated[str, Form(max_length=128)] = "",
    port_iso3: Annotated[str, Form(max_length=3)] = "",
    outcome: Annotated[str, Form(max_length=16)] = "",
    ilo_indicators: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI form default
    documents: Annotated[list[str], Form()] = [],  # noqa: B006
    crew: Annotated[str, Form(max_length=2000)] = "",
    not_boarded_reason: Annotated[str, Form(max_length=2000)] = "",
    alert_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Record the form's boarding outcome (CSRF-checked); errors come back on the form
    (422) with what was typed kept."""
    errors: list[str] = []
    docs = dict(d.split("=", 1) for d in documents if "=" in d)
    values = {
        "mmsi": mmsi,
        "year": year,
        "inspected_at": inspected_at,
        "utc_offset": utc_offset,
        "port_label": port_label,
        "port_iso3": port_iso3,
        "outcome": outcome,
        "ilo_indicators": ilo_indicators,
        "documents": docs,
        "crew": crew,
        "not_boarded_reason": not_boarded_reason,
    }
    aid = int(alert_id) if alert_id.isdigit() else None
    try:
        context = _form_context(session, who, aid)
    except HTTPException:
        context = _form_context(session, who, None)
        errors.append(f"No alert {alert_id} in your scope.")
    if not _OFFSET.match(utc_offset):
        errors.append(f"Time zone {utc_offset!r}: write it as +07:00 or -03:00.")
    when = None
    if inspected_at and not errors:
        try:
            when = datetime.fromisoformat(f"{inspected_at}{utc_offset}")
        except ValueError:
            errors.append(
                f"Date and time {inspected_at!r}: use the date picker (YYYY-MM-DDTHH:MM)."
            )
    try:
        counts = parse_crew(crew)
    except ValueError as exc:
        errors.append(str(exc))
        counts = {}
    body = None
    if not errors:
        try:
            body = InspectionCreate(
                alert_id=aid,
                mmsi=mmsi.strip(),
                year=int(year) if year.strip().isdigit() else 0,
                inspected_at=when,  # type: ignore[arg-type]
                port_label=port_label.strip() or None,
                port_iso3=port_iso3.strip().upper() or None,
                outcome=outcome,  # type: ignore[arg-type]
                ilo_indicators=ilo_indicators,
                documents_seen=docs,
                crew_by_nationality=counts,
                not_boarded_reason=not_boarded_reason.strip() or None,
            )
        except ValueError as exc:  # pydantic.ValidationError
            errors.extend(_readable(exc))
    if body is not None:
        try:
            row = create(session, who, body)
        except HTTPException as exc:
            errors.append(str(exc.detail))
        else:
            session.commit()
            return RedirectResponse(
                f"/ui/inspections?recorded={row.id}#inspection-{row.id}", status_code=303
            )
    session.rollback()
    page = _page(request, "inspection_form.html", who, errors=errors, values=values, **context)
    page.status_code = 422
    return page


def _readable(exc: ValueError) -> list[str]:
    """Pydantic's errors as ``field: message`` lines."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return [str(exc)]
    names = {"inspected_at": "date and time", "mmsi": "MMSI", "outcome": "outcome"}
    return [
        f"{names.get(str(e['loc'][0]), str(e['loc'][0])) if e.get('loc') else 'form'}: {e['msg']}"
        for e in errors()
    ]
