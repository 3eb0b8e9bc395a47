"""Presumed-victim cases (issue 17): screening, the case's states, consent, follow-ups,
transfers and referral of one person to the agencies that protect them.

A case worker (or a child-protection officer) screens a person and opens their case;
each sees only the cases in its scope (:meth:`~vessel_risk.api.access.Principal.may_see_case`):
any other reads as absent (404). Lists and case pages carry metadata only; the
person's answers come only from ``GET /cases/{case_id}/intake``. Every read and every
change is written to the audit log (field names, never values). The rules live in
:mod:`vessel_risk.referral.cases` (states), :mod:`vessel_risk.referral.screening` and
:mod:`vessel_risk.referral.case_store` (the session side).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from vessel_risk.api.access import Principal
from vessel_risk.api.case_models import (
    STATE_LABELS,
    CaseCreate,
    CaseDetail,
    CaseSummary,
    ConsentRequest,
    FollowUpPublic,
    FollowUpRequest,
    IntakeRecord,
    ReferralQueued,
    TransferPublic,
    TransferRequest,
    TransferStatusRequest,
    TransitionPublic,
    TransitionRequest,
    presumed_victim_status,
)
from vessel_risk.api.deps import (
    CaseReader,
    IntakeCase,
    ReadCase,
    Screener,
    SessionDep,
    WrittenCase,
    authorize,
)
from vessel_risk.api.problems import problem_responses
from vessel_risk.db.tables import (
    AlertRow,
    Case,
    CaseFollowUp,
    CaseTransfer,
    CaseTransition,
    EvidenceEvent,
    Inspection,
    ReferralNotice,
    as_utc,
    audit,
    utcnow,
)

router = APIRouter(
    prefix="/cases", tags=["cases"], responses=problem_responses(401, 403, 404, 422, 429)
)
CaseWriter = Annotated[Principal, Depends(authorize("cases.write"))]
IntakeReader = Annotated[Principal, Depends(authorize("cases.intake"))]
MAX_CASES = 500
"""Cases a list returns at most (newest change first)."""

T = TypeVar("T")


def refused(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a case-store call, answering its refusals as HTTP problems.

    Raises
    ------
    HTTPException
        409 for a refused change of state (:class:`~vessel_risk.referral.cases.CaseError`:
        e.g. a decision on a child without child protection on the panel, or a period
        that would be shortened), 404 for something absent, 422 for other bad input.
    """
    from vessel_risk.referral.cases import CaseError

    try:
        return call(*args, **kwargs)
    except CaseError as exc:
        raise HTTPException(409, str(exc)) from exc
    except LookupError as exc:
        raise HTTPException(404, str(exc).strip("'\"")) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


def cases_in_scope(session: Session, who: Principal, *, state: str | None = None) -> list[Case]:
    """The cases ``who`` may see (:meth:`Principal.may_see_case`), newest change first.

    Parameters
    ----------
    session : Session
    who : Principal
    state : str, optional
        Only cases in this state.

    Returns
    -------
    list of Case
        At most :data:`MAX_CASES`.
    """
    query = select(Case)
    if not who.is_admin:
        mine = Case.owner_client_id == who.client_id
        if who.role == "child_protection_officer":
            mine = or_(
                mine,
                and_(Case.child.is_(True), Case.child_protection_agency_id == who.agency_id),
            )
        query = query.where(mine)
    if state:
        query = query.where(Case.state == state)
    query = query.order_by(Case.updated_at.desc(), Case.id).limit(MAX_CASES)
    return list(session.scalars(query))


def summary(case: Case) -> CaseSummary:
    """A case's :class:`CaseSummary` (metadata only)."""
    return CaseSummary.model_validate(
        {
            **{k: getattr(case, k) for k in CaseSummary.model_fields if hasattr(case, k)},
            "state_label": STATE_LABELS.get(case.state, case.state),
            "status": presumed_victim_status(bool(case.presumed_victim), bool(case.child)),
        }
    )


def _follow_up(row: CaseFollowUp, now: datetime) -> FollowUpPublic:
    due = as_utc(row.due_at)
    public = FollowUpPublic.model_validate(row)
    public.overdue = row.done_at is None and due is not None and due < now
    return public


def case_notes(case: Case) -> list[str]:
    """What a case needs done that the worker should see first."""
    notes = []
    if case.child and not case.child_protection_agency_id:
        notes.append(
            "Child protection must be assigned: no child-protection agency of "
            f"{case.state_iso3} was found in the agency directory."
        )
    return notes


def detail(session: Session, case: Case, *, now: datetime | None = None) -> CaseDetail:
    """A case's :class:`CaseDetail`: history, consents in force, follow-ups, transfers."""
    from vessel_risk.referral.case_store import current_consents
    from vessel_risk.referral.case_tasks import reflection_phases
    from vessel_risk.referral.cases import CASE_TRANSITIONS

    now = now or utcnow()
    transitions = session.scalars(
        select(CaseTransition)
        .where(CaseTransition.case_id == case.id)
        .order_by(CaseTransition.at, CaseTransition.id)
    )
    follow_ups = session.scalars(
        select(CaseFollowUp).where(CaseFollowUp.case_id == case.id).order_by(CaseFollowUp.months)
    )
    transfers = session.scalars(
        select(CaseTransfer)
        .where(CaseTransfer.case_id == case.id)
        .order_by(CaseTransfer.requested_at)
    )
    base = summary(case).model_dump()
    extra = {
        k: getattr(case, k)
        for k in CaseDetail.model_fields
        if k not in base and hasattr(case, k) and k not in ("transitions",)
    }
    return CaseDetail.model_validate(
        {
            **base,
            **extra,
            "reflection_phases": [
                {"label": label, "ends_at": ends} for label, ends in reflection_phases(case)
            ],
            "next_states": sorted(CASE_TRANSITIONS.get(case.state, ())),
            "notes": case_notes(case),
            "transitions": [TransitionPublic.model_validate(t) for t in transitions],
            "consents": current_consents(session, case.id),
            "follow_ups": [_follow_up(f, now) for f in follow_ups],
            "transfers": [TransferPublic.model_validate(t) for t in transfers],
        }
    )


def audit_read(session: Session, who: Principal, case: Case, why: str) -> None:
    """Write one ``case.read`` entry (who read which case, and where)."""
    audit(
        session,
        actor=who.actor,
        action="case.read",
        entity_type="case",
        entity_id=case.id,
        reason=why,
    )


def overdue_in_scope(session: Session, who: Principal, now: datetime) -> list[FollowUpPublic]:
    """Follow-ups past due and not done, of the cases in ``who``'s scope, oldest first."""
    from vessel_risk.referral.case_store import overdue_follow_ups

    out = []
    for row in overdue_follow_ups(session, now):
        case = session.get(Case, row.case_id)
        if case is not None and who.may_see_case(case):
            out.append(_follow_up(row, now))
    out.sort(key=lambda f: (f.due_at, f.case_id))
    return out


def vessel_evidence(
    session: Session, *, inspection_id: int | None, alert_id: int | None
) -> tuple[int | None, dict[str, Any]]:
    """The alert a screening comes from (given, or the boarding's) and the vessel's AIS
    evidence that pre-fills its intake (:func:`vessel_risk.referral.screening.prefill`:
    time at sea, port visits, encounters, gaps; plain values about the vessel, never a
    score).

    Returns
    -------
    (int or None, dict)
        The alert id and the evidence; ``(None, {})`` without an alert.

    Raises
    ------
    LookupError
        For an inspection or alert that does not exist.
    """
    from vessel_risk.referral.screening import prefill

    if inspection_id is not None:
        inspection = session.get(Inspection, inspection_id)
        if inspection is None:
            raise LookupError(f"No inspection {inspection_id}.")
        alert_id = alert_id or inspection.alert_id
    if alert_id is None:
        return None, {}
    alert = session.get(AlertRow, alert_id)
    if alert is None:
        raise LookupError(f"No alert {alert_id}.")
    events = session.scalars(
        select(EvidenceEvent)
        .where(EvidenceEvent.score_id == alert.score_id)
        .order_by(EvidenceEvent.start, EvidenceEvent.id)
    )
    return alert_id, prefill(alert, events)


@router.post("", status_code=201)
def create_case(body: CaseCreate, session: SessionDep, who: Screener) -> CaseDetail:
    """Screen one person and open their case (``screened``; a presumed victim, with the
    reflection and recovery period of the state's rule, when an indicator is present; a
    child or a person of uncertain age goes to child protection). From a boarding or an
    alert, the intake is pre-filled with the vessel's AIS evidence."""
    from vessel_risk.referral.case_store import open_case

    alert_id, evidence = refused(
        vessel_evidence, session, inspection_id=body.inspection_id, alert_id=body.alert_id
    )
    if body.notice_id is not None and session.get(ReferralNotice, body.notice_id) is None:
        raise HTTPException(404, f"No notice {body.notice_id!r}.")
    form = body.intake
    if evidence and not form.vessel_evidence:
        form = form.model_copy(update={"vessel_evidence": evidence})
    case = refused(
        open_case,
        session,
        form,
        actor=who.actor,
        owner_client_id=who.client_id,
        owner_agency_id=who.agency_id,
        inspection_id=body.inspection_id,
        alert_id=alert_id,
        notice_id=body.notice_id,
    )
    session.flush()
    out = detail(session, case)
    session.commit()
    return out


@router.get("")
def list_cases(
    session: SessionDep,
    who: CaseReader,
    state: Annotated[str | None, Query(max_length=32)] = None,
) -> list[CaseSummary]:
    """The caller's cases (its own; a child-protection officer's also the children's
    cases routed to its agency), newest change first; metadata only. Audited."""
    cases = cases_in_scope(session, who, state=state)
    for case in cases:
        audit_read(session, who, case, "list")
    session.commit()
    return [summary(c) for c in cases]


@router.get("/follow-ups/overdue")
def overdue(session: SessionDep, who: CaseReader) -> list[FollowUpPublic]:
    """Follow-ups past their due date and not done, of the caller's cases."""
    rows = overdue_in_scope(session, who, utcnow())
    audit(
        session,
        actor=who.actor,
        action="case.follow_ups_read",
        entity_type="case",
        entity_id="overdue",
        after={"count": len(rows)},
    )
    session.commit()
    return rows


@router.get("/{case_id}")
def read_case(case: ReadCase, session: SessionDep, who: CaseReader) -> CaseDetail:
    """One case: state, history, consents in force, follow-ups, transfers. Audited."""
    audit_read(session, who, case, "case")
    out = detail(session, case)
    session.commit()
    return out


@router.get("/{case_id}/intake")
def read_intake(case: IntakeCase, session: SessionDep, who: IntakeReader) -> IntakeRecord:
    """The person's own answers. Audited; the admin may not; gone after the case's
    retention ends (404)."""
    from vessel_risk.referral.case_store import read_intake as read

    fields = read(session, case.id, actor=who.actor)
    session.commit()
    if fields is None:
        raise HTTPException(404, "This person's data is past its retention and unreadable.")
    return IntakeRecord(case_id=case.id, fields=fields, read_at=utcnow())


@router.post("/{case_id}/transitions")
def change_state(
    body: TransitionRequest, case: WrittenCase, session: SessionDep, who: CaseWriter
) -> CaseDetail:
    """Move the case to ``to_state``, with the reason (and the decision panel for a
    formal identification decision). Refusals are 409 with the rule that refused."""
    from vessel_risk.referral.case_store import transition

    changed = refused(
        transition,
        session,
        case.id,
        body.to_state,
        actor=who.actor,
        reason=body.reason,
        panel=[m.model_dump() for m in body.panel],
    )
    session.flush()
    out = detail(session, changed)
    session.commit()
    return out


@router.post("/{case_id}/consents")
def decide_consent(
    body: ConsentRequest, case: WrittenCase, session: SessionDep, who: CaseWriter
) -> dict[str, bool]:
    """Record the person's decision on one use of their data; return the consents in
    force. A withdrawal reaches every recipient that received data under it."""
    from vessel_risk.referral.case_store import current_consents, record_consent

    refused(
        record_consent,
        session,
        case.id,
        body.use,
        body.granted,
        actor=who.actor,
        interpreter_language=body.interpreter_language,
    )
    session.flush()
    out = current_consents(session, case.id)
    session.commit()
    return out


@router.post("/{case_id}/follow-ups/{months}")
def complete_follow_up(
    body: FollowUpRequest,
    case: WrittenCase,
    session: SessionDep,
    who: CaseWriter,
    months: Annotated[int, Path(ge=1, le=120)],
) -> FollowUpPublic:
    """Mark the follow-up at ``months`` done with the IACAT indicators' status."""
    from vessel_risk.referral.case_store import complete_follow_up as complete

    row = refused(complete, session, case.id, months, dict(body.indicators), actor=who.actor)
    session.flush()
    out = _follow_up(row, utcnow())
    session.commit()
    return out


@router.post("/{case_id}/transfers", status_code=201)
def transfer(
    body: TransferRequest, case: WrittenCase, session: SessionDep, who: CaseWriter
) -> TransferPublic:
    """Hand the case to another state's mechanism (needs consent to ``transfer``);
    only ``fields`` the person agreed to travel."""
    from vessel_risk.referral.case_store import request_transfer

    row = refused(
        request_transfer,
        session,
        case.id,
        body.to_agency_id,
        body.purpose,
        list(body.fields),
        actor=who.actor,
    )
    session.flush()
    out = TransferPublic.model_validate(row)
    session.commit()
    return out


@router.post("/{case_id}/transfers/{transfer_id}")
def update_transfer(
    body: TransferStatusRequest,
    case: WrittenCase,
    session: SessionDep,
    who: CaseWriter,
    transfer_id: Annotated[str, Path(max_length=64)],
) -> TransferPublic:
    """Record a transfer's new status (sent, accepted, declined, completed), as the
    receiving mechanism reports it; a move the statuses do not allow is a 409."""
    from vessel_risk.referral.case_store import update_transfer as update

    row = session.get(CaseTransfer, transfer_id)
    if row is None or row.case_id != case.id:
        raise HTTPException(404, f"No transfer {transfer_id!r} of this case.")
    row = refused(update, session, transfer_id, body.status, actor=who.actor)
    out = TransferPublic.model_validate(row)
    session.commit()
    return out


@router.post("/{case_id}/refer")
def refer(case: WrittenCase, session: SessionDep, who: CaseWriter) -> list[ReferralQueued]:
    """Refer the case to the agencies that protect the person, protection first (social
    welfare and shelter; child protection for a child; the NRM case system with consent
    to ``referral``; consular services unless the person objects; law enforcement only
    with consent or by a state's law, which the route names)."""
    from vessel_risk.referral.case_referral import refer_case

    queued = refused(refer_case, session, case.id, actor=who.actor)
    session.flush()
    out = [ReferralQueued.model_validate(d) for d in queued]
    session.commit()
    return out
