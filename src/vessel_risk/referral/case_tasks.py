"""What follows a person's case: follow-ups at 3, 6 and 12 months, and transfers.

Session side, audited like :mod:`vessel_risk.referral.case_store` (which re-exports these
names). Follow-ups record the Philippines IACAT reintegration indicators (seed report
§5.6); a transfer hands a case to another state's mechanism with the person's consent,
carrying only the fields the person agreed to (seed §5.4.3).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import (
    Agency,
    Case,
    CaseFollowUp,
    CaseTransfer,
    as_utc,
    audit,
)
from vessel_risk.delivery.cases import enqueue_case_message
from vessel_risk.referral.case_records import (
    as_now,
    current_consents,
    get_case,
    read_intake,
)
from vessel_risk.referral.cases import (
    CaseError,
)
from vessel_risk.referral.follow_ups import (
    FOLLOW_UP_EARLY_DAYS,
    check_iacat_statuses,
)
from vessel_risk.referral.reflection import reflection_rule
from vessel_risk.referral.screening import (
    CASE_STATEMENT,
    PERSONAL_INTAKE_FIELDS,
)

TRANSFER_PURPOSES = ("repatriation", "third_country_relocation", "onward_migration")
"""Why a case goes to another state's mechanism (seed §5.4, §5.4.3; IOM Guidance on
Referral Mechanisms, 2019, p. 20)."""
TRANSFER_MOVES: dict[str, frozenset[str]] = {
    "requested": frozenset({"sent", "declined"}),
    "sent": frozenset({"accepted", "declined"}),
    "accepted": frozenset({"completed"}),
    "declined": frozenset(),
    "completed": frozenset(),
}
"""A transfer's statuses and the moves between them."""


def complete_follow_up(
    session: Session,
    case_id: str,
    months: int,
    indicators: Mapping[str, str],
    *,
    actor: str,
    now: datetime | None = None,
) -> CaseFollowUp:
    """Mark a follow-up done with the status of each IACAT reintegration indicator.

    Parameters
    ----------
    indicators : mapping
        IACAT key -> status (:func:`vessel_risk.referral.follow_ups.check_iacat_statuses`;
        seed report §5.6). Stored encrypted; the audit names the indicators only.

    Raises
    ------
    LookupError
        No such case, or no ``months`` follow-up (assistance has not begun).
    CaseError
        Already done, more than :data:`~vessel_risk.referral.follow_ups.FOLLOW_UP_EARLY_DAYS`
        days before it is due, past the case's retention, or bad indicators.
    """
    now = as_now(now)
    case = get_case(session, case_id)
    try:
        statuses = check_iacat_statuses(indicators)
    except ValueError as exc:
        raise CaseError(str(exc)) from exc
    row = session.scalars(
        select(CaseFollowUp).where(CaseFollowUp.case_id == case.id, CaseFollowUp.months == months)
    ).one_or_none()
    if row is None:
        raise LookupError(f"Case {case_id!r} has no {months}-month follow-up scheduled.")
    if row.done_at is not None:
        raise CaseError(f"The {months}-month follow-up was already recorded.")
    due = as_utc(row.due_at)
    assert due is not None
    if now < due - timedelta(days=FOLLOW_UP_EARLY_DAYS):
        raise CaseError(
            f"The {months}-month follow-up is due {due.date().isoformat()}; it can be "
            f"recorded from {FOLLOW_UP_EARLY_DAYS} days before."
        )
    retain = as_utc(case.retain_until)
    if retain is not None and now >= retain:
        raise CaseError(
            "The case is past its retention; nothing more is recorded about the person."
        )
    row.done_at = now
    row.done_by = actor
    row.indicators = statuses
    case.updated_at = now
    session.flush()
    audit(
        session,
        actor=actor,
        action="case.follow_up_done",
        entity_type="case",
        entity_id=case.id,
        after={"months": months, "indicators": list(statuses), "days_late": (now - due).days},
    )
    return row


def overdue_follow_ups(
    session: Session, now: datetime | None = None, *, owner_client_id: str | None = None
) -> list[CaseFollowUp]:
    """Follow-ups past due and not done, oldest first (cases past retention left out).

    ``owner_client_id`` keeps one case worker's cases only.
    """
    now = as_now(now)
    q = (
        select(CaseFollowUp)
        .join(Case, Case.id == CaseFollowUp.case_id)
        .where(CaseFollowUp.done_at.is_(None), CaseFollowUp.due_at < now)
        .order_by(CaseFollowUp.due_at, CaseFollowUp.id)
    )
    if owner_client_id is not None:
        q = q.where(Case.owner_client_id == owner_client_id)
    rows = []
    for f in session.scalars(q):
        case = session.get(Case, f.case_id)
        retain = as_utc(case.retain_until) if case else None
        if retain is None or now < retain:
            rows.append(f)
    return rows


def notify_overdue(session: Session, now: datetime | None = None) -> list[CaseFollowUp]:
    """Tell each overdue follow-up's case owner once: audit entry, dashboard, outbox.

    Sets ``notified_at`` on each overdue follow-up not yet notified and audits it
    (``case.follow_up_overdue``, the dashboard's queue). Where the owner's agency has a
    transport other than ``manual``, a message ``case.follow_up_overdue.<n>m`` (case id,
    months, due date; no personal data) is queued to it with
    :func:`vessel_risk.delivery.cases.enqueue_case_message`.

    Returns
    -------
    list of CaseFollowUp
        Those notified now.
    """
    now = as_now(now)
    out = []
    for f in overdue_follow_ups(session, now):
        if f.notified_at is not None:
            continue
        case = get_case(session, f.case_id)
        due = as_utc(f.due_at)
        assert due is not None
        f.notified_at = now
        audit(
            session,
            actor="system:follow_ups",
            action="case.follow_up_overdue",
            entity_type="case",
            entity_id=case.id,
            reason=f"{f.months}-month follow-up due {due.date().isoformat()} not recorded",
            after={"months": f.months, "owner_client_id": case.owner_client_id},
        )
        agency = session.get(Agency, case.owner_agency_id)
        if agency is not None and agency.transport != "manual":
            enqueue_case_message(
                session,
                case,
                agency.id,
                f"case.follow_up_overdue.{f.months}m",
                {"case_id": case.id, "months": f.months, "due_at": due.isoformat()},
                consent_use=None,
                actor="system:follow_ups",
                rule="follow_up_overdue:case_owner",
            )
        out.append(f)
    session.flush()
    return out


def request_transfer(
    session: Session,
    case_id: str,
    to_agency_id: str,
    purpose: str,
    fields: Sequence[str],
    *,
    actor: str,
    now: datetime | None = None,
) -> CaseTransfer:
    """Hand a case to another state's mechanism, with the person's consent ``transfer``.

    The message (``case.transfer``, queued with
    :func:`vessel_risk.delivery.cases.enqueue_case_message` under consent ``transfer``)
    carries the non-punishment statement, the case's state and
    the purpose, and names in ``person_fields`` the intake fields the person agreed to
    share (``fields``, those the intake holds). The outbox stores no personal value: the
    delivery worker reads those fields' values from the encrypted intake when it sends.

    Parameters
    ----------
    to_agency_id : str
        The receiving agency's directory entry, of a state other than the case's.
    purpose : str
        One of :data:`TRANSFER_PURPOSES`.
    fields : sequence of str
        From :data:`vessel_risk.referral.screening.PERSONAL_INTAKE_FIELDS` (and
        ``vessel_evidence``); fields the intake lacks are not sent.

    Raises
    ------
    LookupError
        No such case or agency.
    CaseError
        No consent ``transfer`` in force, an unknown purpose or field, the same state,
        a closed case or one past retention.
    """
    now = as_now(now)
    case = get_case(session, case_id)
    agency = session.get(Agency, to_agency_id)
    if agency is None:
        raise LookupError(f"No agency {to_agency_id!r} in the directory.")
    if purpose not in TRANSFER_PURPOSES:
        raise CaseError(
            f"Unknown transfer purpose {purpose!r}; purposes: {list(TRANSFER_PURPOSES)}."
        )
    allowed = (*PERSONAL_INTAKE_FIELDS, "vessel_evidence")
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise CaseError(f"Unknown intake fields {unknown}; fields: {list(allowed)}.")
    if not current_consents(session, case.id)["transfer"]:
        raise CaseError("A transfer needs the person's consent 'transfer', which is not in force.")
    if case.state == "closed":
        raise CaseError("A closed case cannot be transferred.")
    if agency.country_iso3 == case.state_iso3:
        raise CaseError(
            f"Agency {to_agency_id!r} is in {agency.country_iso3}, the case's own state; a "
            "transfer goes to another state's mechanism."
        )
    intake = read_intake(session, case.id, actor=actor, now=now)
    if intake is None:
        raise CaseError("The case is past its retention; nothing about the person can be sent.")
    agreed = sorted(k for k in set(fields) if k in intake)
    transfer = CaseTransfer(
        id=str(uuid.uuid4()),
        case_id=case.id,
        to_agency_id=agency.id,
        to_iso3=agency.country_iso3,
        purpose=purpose,
        fields=agreed,
        status="requested",
        requested_by=actor,
        requested_at=now,
        updated_at=now,
    )
    session.add(transfer)
    session.flush()
    payload = {
        "transfer_id": transfer.id,
        "case_id": case.id,
        "presumed_victim_statement": CASE_STATEMENT,
        "purpose": purpose,
        "from_iso3": case.state_iso3,
        "to_iso3": agency.country_iso3,
        "case_state": case.state,
        "child": case.child,
        "person_fields": agreed,
    }
    delivery = enqueue_case_message(
        session,
        case,
        agency.id,
        "case.transfer",
        payload,
        consent_use="transfer",
        actor=actor,
        rule="consent:transfer",
    )
    transfer.delivery_id = delivery.id
    audit(
        session,
        actor=actor,
        action="case.transfer_requested",
        entity_type="case",
        entity_id=case.id,
        reason=purpose,
        after={
            "transfer_id": transfer.id,
            "to_agency_id": agency.id,
            "to_iso3": agency.country_iso3,
            "fields": agreed,
            "delivery_id": transfer.delivery_id,
        },
    )
    session.flush()
    return transfer


def update_transfer(
    session: Session, transfer_id: str, status: str, *, actor: str, now: datetime | None = None
) -> CaseTransfer:
    """Move a transfer along :data:`TRANSFER_MOVES` (either side may report its status).

    Raises
    ------
    LookupError
        No such transfer.
    CaseError
        An unknown status or a move :data:`TRANSFER_MOVES` does not allow.
    """
    now = as_now(now)
    transfer = session.get(CaseTransfer, transfer_id)
    if transfer is None:
        raise LookupError(f"No case transfer {transfer_id!r}.")
    if status not in TRANSFER_MOVES:
        raise CaseError(f"Unknown transfer status {status!r}; statuses: {list(TRANSFER_MOVES)}.")
    if status not in TRANSFER_MOVES[transfer.status]:
        raise CaseError(
            f"A transfer cannot move from {transfer.status!r} to {status!r}; "
            f"allowed: {sorted(TRANSFER_MOVES[transfer.status]) or 'none (final)'}."
        )
    before = transfer.status
    transfer.status = status
    transfer.updated_at = now
    audit(
        session,
        actor=actor,
        action="case.transfer_status",
        entity_type="case",
        entity_id=transfer.case_id,
        before={"transfer_id": transfer.id, "status": before},
        after={"transfer_id": transfer.id, "status": status},
    )
    session.flush()
    return transfer


def case_transfers(session: Session, case_id: str) -> list[CaseTransfer]:
    """A case's transfers, oldest first (what both sides see: status, fields, agency)."""
    return list(
        session.scalars(
            select(CaseTransfer)
            .where(CaseTransfer.case_id == case_id)
            .order_by(CaseTransfer.requested_at, CaseTransfer.id)
        )
    )


def cases_in_reflection(session: Session, *, owner_client_id: str | None = None) -> list[Case]:
    """Cases in their reflection and recovery period, the soonest to end first.

    The dashboard's reflection deadlines; ``owner_client_id`` keeps one case worker's.
    """
    q = select(Case).where(Case.state == "reflection").order_by(Case.reflection_ends_at, Case.id)
    if owner_client_id is not None:
        q = q.where(Case.owner_client_id == owner_client_id)
    return list(session.scalars(q))


def reflection_phases(case: Case) -> list[tuple[str, datetime]]:
    """Each phase of a case's reflection period and when it ends (UTC), in order.

    Rebuilt from the case's state and stored length with
    :func:`vessel_risk.referral.reflection.reflection_rule` (a stored length above the
    state's rule is the agency's extension), for a child with the child's phases (Thailand:
    the Children and Family Home Centre, seed §5.2). Empty where no period started.
    """
    started = as_utc(case.reflection_started_at)
    if started is None or not case.reflection_days:
        return []
    rule = reflection_rule(case.state_iso3, case.reflection_days)
    return rule.phase_ends(started, child=bool(case.child))
