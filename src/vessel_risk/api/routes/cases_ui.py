"""The case worker's dashboard (issue 17): my cases, reflection deadlines, overdue
follow-ups, the screening form, a case's page with its decisions and follow-ups.

Same access rules as ``/cases`` (:mod:`vessel_risk.api.routes.cases`): every page goes
through :func:`~vessel_risk.api.deps.authorize` or :func:`~vessel_risk.api.deps.scoped`
(a case outside the caller's scope reads as absent), every form post carries the
session's CSRF token, every read of a case is audited. The pages are plain HTML forms:
they work by keyboard alone and on a phone-sized screen, with no script; values from
data are escaped text (autoescape), never HTML.

The screening form is trauma-informed and minimal (ASEAN Do No Harm Guide for Frontline
Responders, seed report §5.1.1): only the place and the person's language are required,
every other question is marked optional and may be left unanswered; gender is written
as the person states it; an uncertain or unknown age presumes a child; each use of the
person's data is asked separately, law enforcement unticked and consular notice as
"does not object" by default.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRouter
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy.orm import Session

from vessel_risk.api.access import Principal
from vessel_risk.api.case_models import STATE_LABELS, CaseCreate, presumed_victim_status
from vessel_risk.api.deps import SessionDep, authorize, scoped
from vessel_risk.api.routes import cases as api
from vessel_risk.db.tables import Case, utcnow
from vessel_risk.referral.cases import CONSENT_DEFAULTS, CONSENT_USES
from vessel_risk.referral.screening import AGE_BANDS, ENTRY_POINTS, NEEDS
from vessel_risk.referral.standards import IACAT_INDICATORS, IACAT_STATUSES, ILO_INDICATORS

router = APIRouter(prefix="/ui/cases", include_in_schema=False)
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parents[1] / "templates"),
        autoescape=True,
    )
)

CONSENT_QUESTIONS: dict[str, str] = {
    "services": "Agrees that their information is used to arrange support services",
    "referral": "Agrees to be referred to the national referral mechanism's case system",
    "law_enforcement": (
        "Agrees that law enforcement receives their information (support never depends on this)"
    ),
    "consular": "Does not object to their country's consulate being told",
    "transfer": "Agrees that their case may be transferred to another country's mechanism",
}
"""The question of each consent use, as the form asks it (one at a time)."""

PANEL_ROLES: dict[str, str] = {
    "social_welfare": "social welfare",
    "child_protection": "child protection",
    "labour_inspection": "labour inspection",
    "ngo": "non-governmental organisation",
    "law_enforcement": "law enforcement",
}
"""Roles a decision panel member may hold (the form's choices)."""

UiCaseReader = Annotated[Principal, Depends(authorize("cases.read", ui=True))]
UiScreener = Annotated[Principal, Depends(authorize("cases.screen", ui=True))]
UiScreenPost = Annotated[Principal, Depends(authorize("cases.screen", ui=True, form=True))]
UiWriter = Annotated[Principal, Depends(authorize("cases.write", ui=True, form=True))]
UiIntakeReader = Annotated[Principal, Depends(authorize("cases.intake", ui=True))]
UiCase = Annotated[Case, Depends(scoped("case", "cases.read", ui=True))]
UiIntakeCase = Annotated[Case, Depends(scoped("case", "cases.intake", ui=True))]
UiWrittenCase = Annotated[Case, Depends(scoped("case", "cases.write", ui=True, form=True))]


async def posted(request: Request) -> dict[str, list[str]]:
    """Every field of the posted form, each with all its values (checkboxes repeat)."""
    form = await request.form()
    return {k: [str(v) for v in form.getlist(k)] for k in form.keys()}


Posted = Annotated[dict[str, list[str]], Depends(posted)]


def _page(request: Request, name: str, who: Principal, status: int = 200, **ctx: Any) -> Response:
    csrf = getattr(request.state, "csrf_token", "")
    response = templates.TemplateResponse(
        request,
        name,
        {"who": who, "csrf_token": csrf, "state_labels": STATE_LABELS, **ctx},
    )
    response.status_code = status
    return response


def _one(fields: dict[str, list[str]], name: str) -> str | None:
    values = [v.strip() for v in fields.get(name, []) if v.strip()]
    return values[-1] if values else None


def form_to_intake(fields: dict[str, list[str]]) -> dict[str, Any]:
    """The ``POST /cases`` body of a posted screening form (blank answers left out).

    Parameters
    ----------
    fields : dict
        Field name -> values, as :func:`posted` gives them.

    Returns
    -------
    dict
        ``{"intake": {...}, "inspection_id": ...}``, for :class:`CaseCreate`.
    """
    intake: dict[str, Any] = {}
    for name in (
        "entry_point",
        "state_iso3",
        "nationality_iso3",
        "gender",
        "language",
        "interpreter_language",
        "age",
        "age_band",
    ):
        value = _one(fields, name)
        if value is not None:
            intake[name] = value
    if _one(fields, "age_uncertain"):
        intake["age_uncertain"] = True
    answers = {"yes": True, "no": False}
    indicators = {
        key: answers[v]
        for key in ILO_INDICATORS
        if (v := _one(fields, f"indicator_{key}") or "") in answers
    }
    if indicators:
        intake["indicators"] = indicators
    needs = [n for n in fields.get("needs", []) if n]
    if needs:
        intake["needs"] = needs
    intake["consents"] = {use: bool(_one(fields, f"consent_{use}")) for use in CONSENT_USES}
    body: dict[str, Any] = {"intake": intake}
    for name in ("inspection_id", "alert_id"):
        value = _one(fields, name)
        if value is not None:
            body[name] = value
    return body


def _problems(exc: ValidationError) -> list[str]:
    out = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"] if p != "intake")
        out.append(f"{where}: {error['msg']}" if where else str(error["msg"]))
    return out


def _form_context(values: dict[str, list[str]] | None = None) -> dict[str, Any]:
    values = values or {}
    return {
        "entry_points": ENTRY_POINTS,
        "age_bands": AGE_BANDS,
        "needs": NEEDS,
        "ilo": ILO_INDICATORS,
        "consent_uses": CONSENT_USES,
        "consent_questions": CONSENT_QUESTIONS,
        "consent_defaults": CONSENT_DEFAULTS,
        "values": {k: v[-1] if v else "" for k, v in values.items()},
        "multi": values,
        "posted": bool(values),
    }


def dashboard_context(session: Session, who: Principal, now: datetime) -> dict[str, Any]:
    """What the dashboard shows: the caller's cases, the reflection deadlines soonest
    first, the overdue follow-ups (each case read is audited)."""
    cases = api.cases_in_scope(session, who)
    rows = []
    for case in cases:
        api.audit_read(session, who, case, "dashboard")
        rows.append(api.summary(case))
    deadlines: list[dict[str, Any]] = []
    for s in rows:
        if s.reflection_ends_at is not None and s.state in ("presumed_victim", "reflection"):
            left = s.reflection_ends_at - now
            deadlines.append({"case": s, "days_left": left.days if left.days >= 0 else 0})
    deadlines.sort(key=lambda d: (d["case"].reflection_ends_at, d["case"].id))
    overdue = api.overdue_in_scope(session, who, now)
    return {
        "cases": rows,
        "deadlines": deadlines,
        "overdue": [{"f": f, "days": (now - f.due_at).days} for f in overdue],
        "status_of": presumed_victim_status,
    }


@router.get("")
def case_dashboard(
    request: Request,
    session: SessionDep,
    who: UiCaseReader,
    message: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """My cases, reflection deadlines soonest first, overdue follow-ups."""
    ctx = dashboard_context(session, who, utcnow())
    session.commit()
    return _page(request, "cases.html", who, message=message, **ctx)


@router.get("/new")
def screening_form(
    request: Request,
    session: SessionDep,
    who: UiScreener,
    inspection_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """The screening form (trauma-informed, minimal); from a boarding
    (``?inspection_id=``) it shows the vessel's AIS evidence it will carry."""
    values = {"inspection_id": [str(inspection_id)]} if inspection_id else {}
    evidence: dict[str, Any] = {}
    if inspection_id:
        values["entry_point"] = ["boarding"]
        try:
            _, evidence = api.vessel_evidence(session, inspection_id=inspection_id, alert_id=None)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
    ctx = _form_context(values)
    ctx["posted"] = False
    return _page(request, "cases_new.html", who, errors=[], evidence=evidence, **ctx)


@router.post("")
def screen_person(
    request: Request, session: SessionDep, who: UiScreenPost, fields: Posted
) -> Response:
    """Open the case of the screened person, or show the form again with what to fix
    (the answers kept)."""
    try:
        body = CaseCreate.model_validate(form_to_intake(fields))
    except ValidationError as exc:
        return _page(
            request, "cases_new.html", who, 422, errors=_problems(exc), **_form_context(fields)
        )
    try:
        out = api.create_case(body, session, who)
    except HTTPException as exc:
        session.rollback()
        return _page(
            request,
            "cases_new.html",
            who,
            exc.status_code,
            errors=[str(exc.detail)],
            **_form_context(fields),
        )
    return RedirectResponse(
        f"/ui/cases/{quote(out.id)}?message=" + quote("Case opened"), status_code=303
    )


@router.get("/{case_id}")
def case_page(
    request: Request,
    session: SessionDep,
    who: UiCaseReader,
    case: UiCase,
    message: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """One case: status, notes, decisions (with a reason), consents, follow-ups."""
    api.audit_read(session, who, case, "dashboard case page")
    view = api.detail(session, case)
    session.commit()
    return _page(
        request,
        "cases_detail.html",
        who,
        c=view,
        message=message,
        can_write=who.may("cases.write"),
        can_read_intake=who.may("cases.intake"),
        panel_roles=PANEL_ROLES,
        consent_uses=CONSENT_USES,
        consent_questions=CONSENT_QUESTIONS,
        iacat=IACAT_INDICATORS,
        iacat_statuses=IACAT_STATUSES,
    )


@router.get("/{case_id}/intake")
def intake_page(
    request: Request, session: SessionDep, who: UiIntakeReader, case: UiIntakeCase
) -> Response:
    """The person's own answers (the read is audited)."""
    record = api.read_intake(case, session, who)
    return _page(
        request, "cases_intake.html", who, record=record, ilo=ILO_INDICATORS, case_id=case.id
    )


def _back(case_id: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"/ui/cases/{quote(case_id)}?message={quote(message)}", 303)


@router.post("/{case_id}/transitions")
def case_transition(
    session: SessionDep, who: UiWriter, case: UiWrittenCase, fields: Posted
) -> Response:
    """Move the case on (the button pressed names the state; a reason is required)."""
    from vessel_risk.api.case_models import TransitionRequest

    case_id = case.id
    try:
        body = TransitionRequest.model_validate(
            {
                "to_state": _one(fields, "to_state") or "",
                "reason": _one(fields, "reason") or "",
                "panel": [{"role": r} for r in fields.get("panel", []) if r],
            }
        )
    except ValidationError:
        return _back(case_id, "Say why the case moves on: a reason is required.")
    try:
        api.change_state(body, case, session, who)
    except HTTPException as exc:
        session.rollback()
        return _back(case_id, f"Not changed: {exc.detail}")
    return _back(case_id, f"Now: {STATE_LABELS.get(body.to_state, body.to_state)}")


@router.post("/{case_id}/consents")
def case_consent(
    session: SessionDep, who: UiWriter, case: UiWrittenCase, fields: Posted
) -> Response:
    """Record the person's decision on one use of their data."""
    from vessel_risk.api.case_models import ConsentRequest

    case_id = case.id
    try:
        body = ConsentRequest(
            use=_one(fields, "use") or "",  # type: ignore[arg-type]
            granted=_one(fields, "granted") == "yes",
            interpreter_language=_one(fields, "interpreter_language"),
        )
    except ValidationError:
        return _back(case_id, "Choose which use of their data the person decided on.")
    try:
        api.decide_consent(body, case, session, who)
    except HTTPException as exc:
        session.rollback()
        return _back(case_id, f"Not recorded: {exc.detail}")
    return _back(case_id, "Decision recorded")


@router.post("/{case_id}/follow-ups/{months}")
def case_follow_up(
    session: SessionDep,
    who: UiWriter,
    case: UiWrittenCase,
    fields: Posted,
    months: Annotated[int, PathParam(ge=1, le=120)],
) -> Response:
    """Mark a follow-up done with the IACAT reintegration indicators' status."""
    from vessel_risk.api.case_models import FollowUpRequest

    case_id = case.id
    indicators = {
        key: status
        for key in IACAT_INDICATORS
        if (status := _one(fields, f"iacat_{key}") or "") in IACAT_STATUSES
    }
    try:
        body = FollowUpRequest.model_validate({"indicators": indicators})
        api.complete_follow_up(body, case, session, who, months)
    except (ValidationError, HTTPException) as exc:
        session.rollback()
        detail = exc.detail if isinstance(exc, HTTPException) else "check the indicators"
        return _back(case_id, f"Not recorded: {detail}")
    return _back(case_id, f"Follow-up at {months} months recorded")
