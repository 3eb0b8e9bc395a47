"""The records of a person's case, read and written by the case modules (session side).

Shared by :mod:`vessel_risk.referral.case_store` (open, move, consent) and
:mod:`vessel_risk.referral.case_tasks` (follow-ups, transfers): looking a case up, the
consents in force, reading the intake (audited, never after retention), recording a
move with its audit entry, starting the reflection period, scheduling follow-ups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
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
from vessel_risk.referral.cases import (
    CONSENT_DEFAULTS,
    CaseError,
)
from vessel_risk.referral.follow_ups import (
    FOLLOW_UP_MONTHS,
    case_follow_up_due,
)
from vessel_risk.referral.reflection import reflection_rule

CHILD_PROTECTION = "child_protection"
"""The directory role of a state's child-protection agency (seed report §5.2)."""

SYSTEM = "system:cases"
"""Actor of the moves the rules make on their own (a presumed victim's reflection)."""


def as_now(now: datetime | None) -> datetime:
    """``now`` as aware UTC, or the current time where None."""
    return as_utc(now) or utcnow()


def get_case(session: Session, case_id: str) -> Case:
    """The case ``case_id``; raises LookupError if there is none."""
    case = session.get(Case, case_id)
    if case is None:
        raise LookupError(f"No case {case_id!r}.")
    return case


def state_agencies(session: Session, iso3: str, role: str | None = None) -> list[Agency]:
    """The active agencies of state ``iso3`` (of ``role`` where given), by id."""
    q = select(Agency).where(Agency.country_iso3 == iso3, Agency.active.is_(True))
    if role is not None:
        q = q.where(Agency.role == role)
    return list(session.scalars(q.order_by(Agency.id)))


def record_move(
    session: Session,
    case: Case,
    to_state: str,
    *,
    actor: str,
    reason: str,
    rule: str | None,
    panel: Sequence[Mapping[str, Any]],
    now: datetime,
) -> None:
    """Move ``case`` to ``to_state`` and record it: a transition row and an audit entry
    (state before and after, rule, panel roles; the reason as given)."""
    before = case.state
    session.add(
        CaseTransition(
            case_id=case.id,
            from_state=before,
            to_state=to_state,
            at=now,
            actor=actor,
            reason=reason,
            rule=rule,
            panel=[dict(m) for m in panel],
        )
    )
    case.state = to_state
    case.updated_at = now
    audit(
        session,
        actor=actor,
        action="case.transition",
        entity_type="case",
        entity_id=case.id,
        reason=reason,
        before={"state": before},
        after={
            "state": to_state,
            "rule": rule,
            "panel_roles": sorted(str(m.get("role")) for m in panel),
        },
    )


def start_reflection(session: Session, case: Case, *, actor: str, now: datetime) -> None:
    """presumed_victim -> reflection, by the rule of the state where the person is."""
    owner = session.get(Agency, case.owner_agency_id)
    periods = [a.reflection_period_days for a in state_agencies(session, case.state_iso3)]
    periods.append(owner.reflection_period_days if owner else None)
    given = [d for d in periods if d]
    rule = reflection_rule(case.state_iso3, max(given) if given else None)
    case.reflection_started_at = now
    case.reflection_days = rule.days
    case.reflection_ends_at = rule.ends(now)
    phases = " + ".join(f"{d} {label}" for label, d in rule.phases_for(child=case.child))
    case.reflection_rule = f"{rule.iso3 or 'default'}: {rule.days} days ({phases}); {rule.source}"
    record_move(
        session,
        case,
        "reflection",
        actor=actor,
        reason=f"reflection and recovery period of {rule.days} days starts",
        rule=case.reflection_rule,
        panel=(),
        now=now,
    )


def current_consents(session: Session, case_id: str) -> dict[str, bool]:
    """The consent in force for each use: the latest decision, else the default.

    Returns
    -------
    dict
        Every use of :data:`~vessel_risk.referral.cases.CONSENT_USES`; where the person
        never decided, :data:`~vessel_risk.referral.cases.CONSENT_DEFAULTS` (consular
        True: the person does not object; the rest False).
    """
    rows = session.scalars(
        select(CaseConsent)
        .where(CaseConsent.case_id == case_id)
        .order_by(CaseConsent.recorded_at, CaseConsent.id)
    ).all()
    out = dict(CONSENT_DEFAULTS)
    for r in rows:
        out[r.use] = r.granted
    return out


def read_intake(
    session: Session, case_id: str, *, actor: str, now: datetime | None = None
) -> dict[str, Any] | None:
    """The person's intake; None once the case is past ``retain_until`` or purged.

    Every read, and every refused read after expiry, is audited (field names only).
    """
    now = as_now(now)
    case = get_case(session, case_id)
    retain = as_utc(case.retain_until)
    intake = session.get(CaseIntake, case.id)
    if (retain is not None and now >= retain) or intake is None:
        audit(
            session,
            actor=actor,
            action="case.intake_unavailable",
            entity_type="case",
            entity_id=case.id,
            reason="past retention" if intake is not None else "purged",
        )
        return None
    fields = dict(intake.fields)
    audit(
        session,
        actor=actor,
        action="case.intake_read",
        entity_type="case",
        entity_id=case.id,
        after={"fields": sorted(fields)},
    )
    return fields


def schedule_follow_ups(session: Session, case: Case) -> list[CaseFollowUp]:
    """Create the case's 3, 6 and 12-month follow-ups from ``assistance_started_at``.

    Idempotent: follow-ups already scheduled are kept. Returns all three, by months.
    """
    start = as_utc(case.assistance_started_at)
    if start is None:
        raise CaseError("Follow-ups start when assistance begins; this case has not.")
    have = {
        f.months: f
        for f in session.scalars(select(CaseFollowUp).where(CaseFollowUp.case_id == case.id))
    }
    for months, due in case_follow_up_due(start):
        if months not in have:
            have[months] = CaseFollowUp(case_id=case.id, months=months, due_at=due)
            session.add(have[months])
    session.flush()
    return [have[m] for m in FOLLOW_UP_MONTHS]
