"""Crew personal data on a notice: minimised, consented, audited, purged when due.

Personal data is never in a notice's payload. A person may add minimised crew data
(:data:`PERSONAL_FIELDS`) with the crew's consent or a recorded override and a retention
limit (CETS 197 Art. 11; Council of Europe Convention 108); it is kept in its own table,
every addition and read is audited, and :func:`purge_expired` deletes it when its time is
up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import (
    NoticePersonalData,
    ReferralNotice,
    as_utc,
    audit,
    utcnow,
)
from vessel_risk.delivery.retention import purge_expired_personal_data
from vessel_risk.referral.notices import NoticeError

DEFAULT_RETENTION_DAYS = 365
"""Default retention of crew personal data added to a notice."""
PERSONAL_FIELDS = frozenset(
    {
        "crew_count",
        "nationalities_iso3",
        "languages",
        "minors_on_board",
        "urgent_needs",
        "contact_channel",
    }
)
"""The minimised crew fields a person may add; nothing that names a person."""


def add_personal_data(
    session: Session,
    notice_id: str,
    fields: Mapping[str, Any],
    *,
    actor: str,
    consent: bool,
    override_reason: str | None = None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> NoticePersonalData:
    """Attach minimised crew data a person gathered, with consent or a recorded override.

    The notice's payload is not changed: the data stays in its own table.

    Raises
    ------
    NoticeError
        If a field is outside :data:`PERSONAL_FIELDS`, neither consent nor an override
        reason is given, or ``retention_days`` is not in 1–3650.
    LookupError
        If there is no notice ``notice_id``.
    """
    unknown = sorted(set(fields) - PERSONAL_FIELDS)
    if unknown:
        raise NoticeError(
            f"Fields {unknown} are not allowed; crew data is limited to "
            f"{sorted(PERSONAL_FIELDS)} (data minimisation)."
        )
    if not consent and not (override_reason and override_reason.strip()):
        raise NoticeError("Crew data needs the crew's consent or an override with a reason.")
    if not 1 <= retention_days <= 3650:
        raise NoticeError(f"retention_days must be 1 to 3650. Got {retention_days} instead.")
    if session.get(ReferralNotice, notice_id) is None:
        raise LookupError(f"No referral notice {notice_id}.")
    now = utcnow()
    row = NoticePersonalData(
        notice_id=notice_id,
        fields=dict(fields),
        consent=consent,
        override_reason=override_reason,
        added_by=actor,
        added_at=now,
        retain_until=now + timedelta(days=retention_days),
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor,
        action="notice.personal_data_added",
        entity_type="notice",
        entity_id=notice_id,
        reason=override_reason,
        after={"fields": sorted(fields), "consent": consent, "retention_days": retention_days},
    )
    return row


def read_personal_data(
    session: Session, notice_id: str, *, actor: str, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The crew data attached to a notice and still within retention; the read is audited.

    A record past its ``retain_until`` is never returned, whether or not the purge
    (:func:`purge_expired`) has run yet.
    """
    when = as_utc(now) or utcnow()
    rows = session.scalars(
        select(NoticePersonalData).where(
            NoticePersonalData.notice_id == notice_id, NoticePersonalData.retain_until > when
        )
    ).all()
    audit(
        session,
        actor=actor,
        action="notice.personal_data_read",
        entity_type="notice",
        entity_id=notice_id,
        after={"records": len(rows)},
    )
    return [
        {"fields": r.fields, "consent": r.consent, "retain_until": as_utc(r.retain_until)}
        for r in rows
    ]


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete crew data of notices past its retention limit, auditing each notice affected.

    :func:`vessel_risk.delivery.purge_expired_personal_data` purges case intakes too;
    the delivery worker runs it on a schedule and ``vessel-risk purge`` from cron.

    Returns
    -------
    int
        Notice records deleted.
    """
    return purge_expired_personal_data(session, now)["notice_personal_data"]
