"""Tips from the mechanism's other entry points: the API endpoint and the dashboard form.

``POST /tips`` (permission ``tips.submit``: the ``tip_source`` role of a hotline, an NGO,
a consulate or a first responder) takes a :class:`~vessel_risk.referral.tips.TipReport`
about a vessel or a person and answers with a receipt only: the submitter never reads
the queue, other tips, or what became of its own. The tip joins the review queue
(:func:`vessel_risk.referral.tips.submit_tip`): linked to its vessel's live item, or an
unscored item of its own, marked by its source, where reviewers read it
(``GET /alerts?source=hotline``, ``GET /alerts/{alert_id}``).

The dashboard form (``/ui/tips/new``) posts the same fields with the session's CSRF
token; it works by keyboard alone and on a phone-sized screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from vessel_risk.alerts.queue import TIP_SOURCES
from vessel_risk.api.access import Principal
from vessel_risk.api.deps import SessionDep, TipSubmitter, authorize
from vessel_risk.api.models import TipReceipt
from vessel_risk.api.problems import problem_responses
from vessel_risk.referral.screening import AGE_BANDS, NEEDS
from vessel_risk.referral.standards import ILO_INDICATORS
from vessel_risk.referral.tips import TipReport, submit_tip

router = APIRouter(prefix="/tips", tags=["tips"], responses=problem_responses(401, 403, 429))
ui_router = APIRouter(prefix="/ui/tips", include_in_schema=False)

UiTipWriter = Annotated[Principal, Depends(authorize("tips.submit", ui=True))]
UiTipPoster = Annotated[Principal, Depends(authorize("tips.submit", ui=True, form=True))]

THANKS = (
    "Thank you. The tip was received and will be reviewed by a person; the crew are "
    "treated as presumed victims, never as suspects. Keep the receipt number if you call "
    "about it."
)


def _receive(session: Any, who: Principal, report: TipReport) -> TipReceipt:
    tip = submit_tip(session, report, actor=who.actor, agency_id=who.agency_id)
    receipt = TipReceipt(
        id=tip.id, source=report.source, received_at=tip.received_at, message=THANKS
    )
    session.commit()
    return receipt


@router.post("", response_model=TipReceipt, status_code=201, responses=problem_responses(422))
def post_tip(session: SessionDep, caller: TipSubmitter, body: TipReport) -> TipReceipt:
    """Submit a tip about a vessel or a person; the answer is a receipt (audited).

    The tip enters the review queue beside the model's alerts, marked by its source;
    it is never scored. Send only what the person or your service added: no names.
    """
    return _receive(session, caller, body)


def _form_context() -> dict[str, Any]:
    return {
        "sources": TIP_SOURCES,
        "indicators": ILO_INDICATORS,
        "age_bands": AGE_BANDS,
        "needs": NEEDS,
        "thanks": THANKS,
    }


def _page(request: Request, who: Principal, **context: Any) -> Response:
    from vessel_risk.api.routes.dashboard import _page as page

    return page(request, "tip_form.html", who, **_form_context(), **context)


@ui_router.get("/new")
def tip_form(
    request: Request,
    who: UiTipWriter,
    received: Annotated[str | None, Query(max_length=36)] = None,
) -> Response:
    """The tip form; after a submission it shows the receipt number."""
    return _page(request, who, errors=[], values={}, received=received)


def _readable(exc: ValidationError) -> list[str]:
    out = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e.get("loc", ())) or "form"
        out.append(f"{where.replace('_', ' ')}: {e['msg']}")
    return out


@ui_router.post("")
def tip_submit(
    request: Request,
    session: SessionDep,
    who: UiTipPoster,
    source: Annotated[str, Form(max_length=32)] = "",
    subject: Annotated[str, Form(max_length=16)] = "vessel",
    mmsi: Annotated[str, Form(max_length=9)] = "",
    imo: Annotated[str, Form(max_length=16)] = "",
    shipname: Annotated[str, Form(max_length=128)] = "",
    callsign: Annotated[str, Form(max_length=32)] = "",
    flag_iso3: Annotated[str, Form(max_length=3)] = "",
    port_label: Annotated[str, Form(max_length=128)] = "",
    port_iso3: Annotated[str, Form(max_length=3)] = "",
    last_seen: Annotated[str, Form(max_length=32)] = "",
    urgent: Annotated[str, Form(max_length=8)] = "",
    ilo_indicators: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI form default
    observed: Annotated[str, Form(max_length=4000)] = "",
    nationality_iso3: Annotated[str, Form(max_length=3)] = "",
    age_band: Annotated[str, Form(max_length=16)] = "",
    needs: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    """Submit the form's tip (CSRF-checked); errors come back on the form (422) with
    what was typed kept; success shows the receipt number."""
    values: dict[str, Any] = {
        "source": source,
        "subject": subject,
        "mmsi": mmsi,
        "imo": imo,
        "shipname": shipname,
        "callsign": callsign,
        "flag_iso3": flag_iso3,
        "port_label": port_label,
        "port_iso3": port_iso3,
        "last_seen": last_seen,
        "urgent": urgent,
        "ilo_indicators": ilo_indicators,
        "observed": observed,
        "nationality_iso3": nationality_iso3,
        "age_band": age_band,
        "needs": needs,
    }
    errors: list[str] = []
    seen = None
    if last_seen.strip():
        try:  # the form's date is UTC (it says so)
            seen = datetime.fromisoformat(last_seen.strip() + "+00:00")
        except ValueError:
            errors.append(f"last seen {last_seen!r}: use the date picker (YYYY-MM-DDTHH:MM).")
    person = None
    if subject == "person" and (nationality_iso3.strip() or age_band or needs):
        person = {
            "nationality_iso3": nationality_iso3.strip() or None,
            "age_band": age_band or None,
            "needs": needs,
        }
    report = None
    if not errors:
        try:
            report = TipReport.model_validate(
                {
                    "source": source,
                    "subject": subject,
                    "mmsi": mmsi or None,
                    "imo": imo or None,
                    "shipname": shipname or None,
                    "callsign": callsign or None,
                    "flag_iso3": flag_iso3 or None,
                    "port_label": port_label or None,
                    "port_iso3": port_iso3 or None,
                    "last_seen": seen,
                    "urgent": urgent == "yes",
                    "ilo_indicators": ilo_indicators,
                    "observed": observed or None,
                    "person": person,
                }
            )
        except ValidationError as exc:
            errors.extend(_readable(exc))
    if report is not None:
        receipt = _receive(session, who, report)
        return RedirectResponse(f"/ui/tips/new?received={receipt.id}", status_code=303)
    page = _page(request, who, errors=errors, values=values, received=None)
    page.status_code = 422
    return page
