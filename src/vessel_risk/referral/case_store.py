"""Presumed-victim cases in the database: open, move, consent, read, follow up, transfer.

The session side of :mod:`vessel_risk.referral.cases` (the state machine),
:mod:`vessel_risk.referral.reflection` (the state's reflection rule) and
:mod:`vessel_risk.referral.screening` (the intake form). Every change writes the audit
log in the caller's transaction (:func:`vessel_risk.db.tables.audit`) with who and why;
about the person, the audit names fields, never their values. Functions flush but do
not commit: the caller's transaction holds the change and its audit entry together.

Follow-ups and transfers are in :mod:`vessel_risk.referral.case_tasks`, the shared
records in :mod:`vessel_risk.referral.case_records`; this module re-exports their public
names, so callers import every case function from here.

Messages to agencies go through the outbox of :mod:`vessel_risk.delivery.cases`
(``enqueue_case_message``, ``revoke_deliveries``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import (
    Agency,
    Case,
    CaseConsent,
    CaseFollowUp,
    CaseIntake,
    CaseTransition,
    as_utc,
    audit,
    utcnow,
)
from vessel_risk.delivery.cases import revoke_deliveries
from vessel_risk.referral.case_records import (
    CHILD_PROTECTION,
    SYSTEM,
    as_now,
    current_consents,
    get_case,
    read_intake,
    record_move,
    schedule_follow_ups,
    start_reflection,
    state_agencies,
)
from vessel_risk.referral.case_tasks import (
    TRANSFER_MOVES,
    TRANSFER_PURPOSES,
    case_transfers,
    cases_in_reflection,
    complete_follow_up,
    notify_overdue,
    overdue_follow_ups,
    reflection_phases,
    request_transfer,
    update_transfer,
)
from vessel_risk.referral.cases import (
    CONSENT_USES,
    CaseError,
    check_transition,
)
from vessel_risk.referral.personal_data import DEFAULT_RETENTION_DAYS
from vessel_risk.referral.screening import (
    IntakeForm,
    intake_fields,
    screen,
)


def open_case(
    session: Session,
    form: IntakeForm,
    *,
    actor: str,
    owner_client_id: str,
    owner_agency_id: str,
    inspection_id: int | None = None,
    alert_id: int | None = None,
    notice_id: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Open one person's case from their screening.

    The case starts ``screened``. When an indicator is present
    (:func:`vessel_risk.referral.screening.screen`) the person is a presumed victim and
    the reflection and recovery period starts at once, by the rule of the state
    (``form.state_iso3``) lengthened by any longer period an active agency of that state
    or the owner's agency sets (:func:`vessel_risk.referral.reflection.reflection_rule`).
    A child, or a person of uncertain age, gets the state's child-protection agency
    (directory role ``child_protection``); where there is none the case still opens and
    the audit log says child protection must be assigned (:func:`assign_child_protection`).

    Parameters
    ----------
    session : Session
    form : IntakeForm
    actor : str
        Who screened (a case worker's client or user).
    owner_client_id, owner_agency_id : str
        The case worker's API client and agency.
    inspection_id, alert_id, notice_id : optional
        What the case came from, where it came from a boarding or a notice.
    now : datetime, optional
        UTC; default the current time.

    Returns
    -------
    Case
        With its intake (only the fields the person entered), the consents the person
        stated, and its transitions recorded.
    """
    now = as_now(now)
    result = screen(form)
    cp = state_agencies(session, form.state_iso3, CHILD_PROTECTION) if result.child else []
    case = Case(
        id=str(uuid.uuid4()),
        inspection_id=inspection_id,
        alert_id=alert_id,
        notice_id=notice_id,
        entry_point=form.entry_point,
        state="screened",
        state_iso3=form.state_iso3,
        presumed_victim=result.presumed_victim,
        child=result.child,
        age_uncertain=form.age_uncertain,
        owner_client_id=owner_client_id,
        owner_agency_id=owner_agency_id,
        child_protection_agency_id=cp[0].id if cp else None,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    fields = intake_fields(form)
    session.add(CaseIntake(case_id=case.id, fields=fields, recorded_by=actor, recorded_at=now))
    session.add(
        CaseTransition(
            case_id=case.id,
            from_state=None,
            to_state="screened",
            at=now,
            actor=actor,
            reason=f"screened at entry point {form.entry_point}",
            rule=result.statement,
            panel=[],
        )
    )
    for use, granted in form.consents.items():
        session.add(
            CaseConsent(
                case_id=case.id,
                use=use,
                granted=granted,
                interpreter_language=form.interpreter_language,
                recorded_by=actor,
                recorded_at=now,
            )
        )
    audit(
        session,
        actor=actor,
        action="case.opened",
        entity_type="case",
        entity_id=case.id,
        reason=f"screening at entry point {form.entry_point}",
        after={
            "state_iso3": case.state_iso3,
            "presumed_victim": case.presumed_victim,
            "child": case.child,
            "intake_fields": sorted(fields),
            "consents_stated": sorted(form.consents),
            "child_protection_agency_id": case.child_protection_agency_id,
            "inspection_id": inspection_id,
            "alert_id": alert_id,
            "notice_id": notice_id,
        },
    )
    if case.child and case.child_protection_agency_id is None:
        audit(
            session,
            actor=SYSTEM,
            action="case.child_protection_required",
            entity_type="case",
            entity_id=case.id,
            reason=(
                f"presumed a child and no child-protection agency of {case.state_iso3} in "
                "the directory: child protection must be assigned (seed report §5.2)"
            ),
        )
    if result.presumed_victim:
        reason = f"{len(result.indicators_present)} ILO forced-labour indicator(s) present"
        record_move(
            session,
            case,
            "presumed_victim",
            actor=actor,
            reason=reason,
            rule="any indicator present (seed report §5.1.2)",
            panel=(),
            now=now,
        )
        start_reflection(session, case, actor=SYSTEM, now=now)
    session.flush()
    return case


def child_protection_missing(case: Case) -> bool:
    """True for a child's case (or uncertain age) with no child-protection agency yet."""
    return bool(case.child) and case.child_protection_agency_id is None


def assign_child_protection(session: Session, case_id: str, agency_id: str, *, actor: str) -> Case:
    """Give a child's case its child-protection agency (directory role ``child_protection``).

    Raises
    ------
    LookupError
        If the case or agency does not exist.
    CaseError
        If the case is not a child's or the agency's role is not ``child_protection``.
    """
    case = get_case(session, case_id)
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise LookupError(f"No agency {agency_id!r} in the directory.")
    if not case.child:
        raise CaseError("Only a child's case (or a person of uncertain age) has child protection.")
    if agency.role != CHILD_PROTECTION:
        raise CaseError(f"Agency {agency_id!r} has role {agency.role!r}, not {CHILD_PROTECTION!r}.")
    before = case.child_protection_agency_id
    case.child_protection_agency_id = agency_id
    case.updated_at = utcnow()
    audit(
        session,
        actor=actor,
        action="case.child_protection_assigned",
        entity_type="case",
        entity_id=case.id,
        before={"child_protection_agency_id": before},
        after={"child_protection_agency_id": agency_id},
    )
    return case


def transition(
    session: Session,
    case_id: str,
    to_state: str,
    *,
    actor: str,
    reason: str,
    panel: Sequence[Mapping[str, Any]] = (),
    now: datetime | None = None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> Case:
    """Move a case to ``to_state`` by the rules of :func:`~.cases.check_transition`.

    Side effects by state: ``presumed_victim`` starts the reflection period at once (the
    case ends in ``reflection``, both moves recorded); ``assistance`` sets
    ``assistance_started_at`` and schedules the 3/6/12-month follow-ups; ``closed`` sets
    ``closed_at`` and ``retain_until`` = the later of closure and the last follow-up due,
    plus ``retention_days`` (retention runs from closure and always outlasts the
    12-month follow-up).

    Parameters
    ----------
    session : Session
    case_id, to_state : str
    actor : str
    reason : str
        Why (required; kept on the transition and in the audit log).
    panel : sequence of mapping
        The decision panel, for ``identified`` / ``not_identified`` (``role`` each).
    now : datetime, optional
    retention_days : int
        Days personal data is kept after closure (default
        :data:`vessel_risk.referral.personal_data.DEFAULT_RETENTION_DAYS`).

    Raises
    ------
    LookupError
        No such case.
    CaseError
        The move is refused (the message says which rule), or ``reason`` is empty.
    """
    now = as_now(now)
    if not (reason and reason.strip()):
        raise CaseError("A case transition needs a reason.")
    if not 1 <= retention_days <= 3650:
        raise CaseError(f"retention_days must be 1 to 3650. Got {retention_days}.")
    case = get_case(session, case_id)
    rule = check_transition(
        case.state,
        to_state,
        child=case.child,
        panel=panel,
        now=now,
        reflection_ends_at=case.reflection_ends_at,
    )
    record_move(
        session, case, to_state, actor=actor, reason=reason, rule=rule, panel=panel, now=now
    )
    if to_state == "presumed_victim":
        case.presumed_victim = True
        start_reflection(session, case, actor=SYSTEM, now=now)
    elif to_state == "assistance":
        case.assistance_started_at = now
        schedule_follow_ups(session, case)
    elif to_state == "closed":
        dues = session.scalars(
            select(CaseFollowUp.due_at).where(CaseFollowUp.case_id == case.id)
        ).all()
        last = max([now, *(as_utc(d) or now for d in dues)])
        case.closed_at = now
        case.retain_until = last + timedelta(days=retention_days)
        audit(
            session,
            actor=actor,
            action="case.retention_set",
            entity_type="case",
            entity_id=case.id,
            after={"retain_until": case.retain_until.isoformat(), "days": retention_days},
        )
    session.flush()
    return case


def record_consent(
    session: Session,
    case_id: str,
    use: str,
    granted: bool,
    *,
    actor: str,
    interpreter_language: str | None = None,
    now: datetime | None = None,
) -> CaseConsent:
    """Record a person's decision on one use of their data; a withdrawal reaches recipients.

    A withdrawal (the use was in force, now refused) calls
    :func:`vessel_risk.delivery.cases.revoke_deliveries`, which marks every copy sent
    under the use revoked and tells each recipient.

    Raises
    ------
    LookupError
        No such case.
    CaseError
        ``use`` is not one of :data:`~vessel_risk.referral.cases.CONSENT_USES`.
    """
    if use not in CONSENT_USES:
        raise CaseError(f"Unknown consent use {use!r}; uses: {list(CONSENT_USES)}.")
    now = as_now(now)
    case = get_case(session, case_id)
    before = current_consents(session, case_id)[use]
    row = CaseConsent(
        case_id=case.id,
        use=use,
        granted=bool(granted),
        interpreter_language=interpreter_language,
        recorded_by=actor,
        recorded_at=now,
    )
    session.add(row)
    case.updated_at = now
    session.flush()
    audit(
        session,
        actor=actor,
        action="case.consent",
        entity_type="case",
        entity_id=case.id,
        reason="withdrawn" if before and not granted else None,
        before={"use": use, "granted": before},
        after={"use": use, "granted": bool(granted), "interpreter": interpreter_language},
    )
    if before and not granted:
        revoke_deliveries(session, case.id, use, actor=actor)
    return row


__all__ = [
    "CHILD_PROTECTION",
    "SYSTEM",
    "TRANSFER_MOVES",
    "TRANSFER_PURPOSES",
    "assign_child_protection",
    "case_transfers",
    "cases_in_reflection",
    "child_protection_missing",
    "complete_follow_up",
    "current_consents",
    "get_case",
    "notify_overdue",
    "open_case",
    "overdue_follow_ups",
    "read_intake",
    "reflection_phases",
    "record_consent",
    "request_transfer",
    "schedule_follow_ups",
    "transition",
    "update_transfer",
]
