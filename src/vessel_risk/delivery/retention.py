"""Personal data past its retention limit: unreadable at once, deleted by the purge.

Two kinds of personal data are kept, both encrypted at rest
(:class:`vessel_risk.db.crypto.EncryptedJSON`):

- crew data a person added to a vessel notice (``NoticePersonalData``, its own
  ``retain_until``; :mod:`vessel_risk.referral.personal_data`);
- a case's intake (``CaseIntake.fields``) and the IACAT statuses of its follow-ups
  (``CaseFollowUp.indicators``), kept until the case's ``retain_until`` (set at closure:
  retention runs from closure, so it always outlasts the 12-month follow-up);
- a tip's account and what it says about a person (``Tip.observed``, ``Tip.person``),
  kept until the tip's ``retain_until`` (:mod:`vessel_risk.referral.tips`).

Case messages in the outbox never hold personal data: the worker reads the consented
fields from the intake when it sends (:mod:`vessel_risk.delivery.worker`), and sends
nothing once the case is past ``retain_until``. :func:`intake_readable` is the one test
of expiry every reader applies, so data is unreadable from the instant it expires, before
any purge runs. :func:`purge_expired_personal_data` deletes it; the delivery worker runs
it on a schedule (``purge_every_s``) and ``vessel-risk purge`` runs it from cron.

Lives with delivery, below :mod:`vessel_risk.referral`, because the worker runs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import (
    Case,
    CaseFollowUp,
    CaseIntake,
    NoticePersonalData,
    Tip,
    as_utc,
    audit,
    utcnow,
)

ACTOR = "system:retention"
"""The audit-log actor of the purge."""


def intake_readable(case: Case | None, now: datetime | None = None) -> bool:
    """Whether a case's personal data may still be read at ``now``.

    False when there is no case or ``retain_until`` is at or before ``now`` (UTC).
    """
    if case is None:
        return False
    until = as_utc(case.retain_until)
    return until is None or until > (as_utc(now) or utcnow())


def _purge(
    session: Session, table: Any, rows: Sequence[Any], *, key: str, entity: tuple[str, str]
) -> None:
    """Audit then delete ``rows`` of ``table`` (by column ``key``).

    Each audit entry (``<entity type>.personal_data_purged``) is about the entity named by
    ``entity`` (type, the row's attribute holding its id) and names the fields, never
    their values.
    """
    entity_type, entity_key = entity
    for r in rows:
        audit(
            session,
            actor=ACTOR,
            action=f"{entity_type}.personal_data_purged",
            entity_type=entity_type,
            entity_id=getattr(r, entity_key),
            before={"fields": sorted(r.fields or {})},
        )
    if rows:
        column = getattr(table, key)
        session.execute(delete(table).where(column.in_([getattr(r, key) for r in rows])))


def purge_expired_personal_data(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Delete every piece of personal data past its retention limit, auditing each.

    Deletes ``NoticePersonalData`` rows with ``retain_until <= now`` and the
    ``CaseIntake`` of every case with ``retain_until <= now``, and empties the
    ``indicators`` of those cases' follow-ups and the ``observed`` and ``person`` of
    tips with ``retain_until <= now`` (the tip stays: its source, vessel and ILO
    indicators are not about a person). The audit entries name the fields purged,
    never their values. Runs in the caller's transaction.

    Parameters
    ----------
    session : Session
    now : datetime, optional
        Default: the clock (UTC).

    Returns
    -------
    dict
        ``notice_personal_data``, ``case_intakes``, ``case_follow_ups`` and ``tips``:
        rows purged.
    """
    when = as_utc(now) or utcnow()
    notices = session.scalars(
        select(NoticePersonalData).where(NoticePersonalData.retain_until <= when)
    ).all()
    _purge(session, NoticePersonalData, notices, key="id", entity=("notice", "notice_id"))
    expired = select(Case.id).where(Case.retain_until.is_not(None), Case.retain_until <= when)
    intakes = session.scalars(select(CaseIntake).where(CaseIntake.case_id.in_(expired))).all()
    _purge(session, CaseIntake, intakes, key="case_id", entity=("case", "case_id"))
    follow_ups = [
        f
        for f in session.scalars(select(CaseFollowUp).where(CaseFollowUp.case_id.in_(expired)))
        if f.indicators is not None
    ]
    for f in follow_ups:
        f.indicators = None
    tips = [
        t
        for t in session.scalars(select(Tip).where(Tip.retain_until <= when))
        if t.observed is not None or t.person is not None
    ]
    for t in tips:
        fields = [k for k in ("observed", "person") if getattr(t, k) is not None]
        audit(
            session,
            actor=ACTOR,
            action="tip.personal_data_purged",
            entity_type="tip",
            entity_id=t.id,
            before={"fields": fields},
        )
        t.observed = None
        t.person = None
    session.flush()
    return {
        "notice_personal_data": len(notices),
        "case_intakes": len(intakes),
        "case_follow_ups": len(follow_ups),
        "tips": len(tips),
    }
