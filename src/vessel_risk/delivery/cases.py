"""The outbox for messages about one person's case (issue 17), and a person's hand on it.

A case message goes through the same outbox, worker, signatures, retries and callbacks
as a vessel-level notice (:mod:`vessel_risk.delivery.outbox`); its row has ``case_id``
instead of ``notice_id`` and records the consent it was sent under (``consent_use``).

- :func:`enqueue_case_message` queues one message about a case for one agency;
- :func:`revoke_deliveries` acts on a withdrawn consent: every recipient that received
  data under it is sent ``case.consent_revoked`` and its row is marked revoked
  (``revoked_at``); rows not yet sent are cancelled;
- :func:`notify_withdrawn` tells every agency that received a notice that it was
  withdrawn (``referral.withdrawn``);
- :func:`requeue_delivery` sends a dead letter again (API and CLI).

Which agencies a case goes to, and which fields each may receive, is routing's
(:func:`vessel_risk.referral.routing.route_case`); building the case message from the
consented fields is :func:`vessel_risk.referral.case_referral.refer_case`'s.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import (
    Agency,
    Case,
    Delivery,
    ReferralNotice,
    as_utc,
    audit,
    utcnow,
)
from vessel_risk.delivery.outbox import requeue

CASE_REFERRAL = "case.referral"
"""Event type of a person's case sent to an agency."""
CONSENT_REVOKED = "case.consent_revoked"
"""Event type telling a recipient that the consent its copy was sent under is withdrawn."""
NOTICE_WITHDRAWN = "referral.withdrawn"
"""Event type telling a notice's recipients that the notice was withdrawn."""

NON_PUNISHMENT = (
    "This person is to be treated as a presumed victim of forced labour, never as a "
    "suspect. They must not be punished for unlawful acts they were compelled to commit "
    "(non-punishment principle, ASEAN Convention against Trafficking in Persons Art. "
    "14(7)), and protection and support must not depend on their cooperation with any "
    "investigation."
)
"""The non-punishment statement every message about a person carries (seed §4.3.1)."""
DATA_USE = (
    "Personal data shared with the person's consent for the stated use only; it must not "
    "be passed on, nor shared with the vessel's owner, operator, master or agents."
)
"""The data-use statement every message about a person carries (CETS 197 Art. 11)."""

REVOKED_INSTRUCTION = (
    "The person withdrew the consent this data was shared under: mark your copy revoked, "
    "stop using it and delete it unless a law you must cite requires you to keep it."
)


def _frozen(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _held(row: Delivery, when: datetime) -> bool:
    """Whether the recipient holds (or may be receiving) ``row`` at ``when``: delivered, or
    pending and leased by a worker right now."""
    leased = row.leased_until is not None and (as_utc(row.leased_until) or when) > when
    return row.status == "delivered" or (row.status == "pending" and leased)


def _queue(
    session: Session,
    row: Delivery,
    when: datetime,
    *,
    actor: str,
    reason: str,
    after: dict[str, Any],
) -> Delivery:
    """Add ``row`` to the outbox, pending from ``when``, and audit ``delivery.enqueued``."""
    row.id = str(uuid.uuid4())
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = when
    row.created_at = when
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor,
        action="delivery.enqueued",
        entity_type="delivery",
        entity_id=row.id,
        reason=reason,
        after=after,
    )
    return row


def enqueue_case_message(
    session: Session,
    case: Case,
    agency_id: str,
    event_type: str,
    payload: Mapping[str, Any],
    *,
    consent_use: str | None,
    actor: str,
    rule: str,
    now: datetime | None = None,
) -> Delivery:
    """Queue one message about ``case`` for one agency, in the caller's transaction.

    Parameters
    ----------
    session : Session
    case : Case
    agency_id : str
        An agency of the directory.
    event_type : str
        ``case.referral``, ``case.consent_revoked``, ``case.transfer``, ...
    payload : mapping
        The message's non-personal facts, and in ``person_fields`` the names of the
        intake fields the person consented to share with this recipient. Personal values
        are never stored in the outbox: a ``person`` dict is replaced by its keys in
        ``person_fields`` (when that is absent), and the worker reads the values from the
        encrypted intake when it sends (:func:`vessel_risk.delivery.worker.case_payload`).
        The payload is frozen (JSON) and given ``case_id``, ``presumed_victim_statement``
        (:data:`NON_PUNISHMENT`) and ``data_use`` (:data:`DATA_USE`) when absent.
    consent_use : str or None
        The consent the data goes out under (None for a route resting on a rule, e.g. a
        child's referral to child protection or a cited state law).
    actor : str
    rule : str
        Why this agency (``Route.rule``); ``Delivery.rule`` keeps its first 64
        characters, the audit entry keeps it whole.
    now : datetime, optional

    Returns
    -------
    Delivery
        The new row, or the existing live row (not revoked or cancelled) with the same
        case, agency, event type and consent use (idempotent).

    Raises
    ------
    LookupError
        If there is no agency ``agency_id``.
    ValueError
        If ``rule`` or ``event_type`` is empty.
    """
    if not rule or not event_type:
        raise ValueError("A case message needs a routing rule and an event type.")
    if session.get(Agency, agency_id) is None:
        raise LookupError(f"No agency {agency_id!r} in the directory.")
    session.flush()
    existing = session.scalars(
        select(Delivery).where(
            Delivery.case_id == case.id,
            Delivery.agency_id == agency_id,
            Delivery.event_type == event_type,
            Delivery.revoked_at.is_(None),
            Delivery.status != "cancelled",
        )
    ).all()
    for row in existing:
        if row.consent_use == consent_use:
            return row
    when = as_utc(now) or utcnow()
    body = _frozen(dict(payload))
    # Personal data never rests in the outbox: only the names of the fields go in, and
    # the worker reads their values from the encrypted intake when it sends.
    person = body.pop("person", None)
    if isinstance(person, dict) and "person_fields" not in body:
        body["person_fields"] = sorted(person)
    body.setdefault("case_id", case.id)
    body.setdefault("presumed_victim_statement", NON_PUNISHMENT)
    body.setdefault("data_use", DATA_USE)
    return _queue(
        session,
        Delivery(
            notice_id=None,
            case_id=case.id,
            consent_use=consent_use,
            agency_id=agency_id,
            rule=rule[:64],
            event_type=event_type,
            payload=body,
        ),
        when,
        actor=actor,
        reason=rule,
        after={
            "case_id": case.id,
            "agency_id": agency_id,
            "event_type": event_type,
            "consent_use": consent_use,
            "rule": rule,
            "fields": sorted(body.get("person_fields") or ()),
        },
    )


def revoke_deliveries(
    session: Session, case_id: str, use: str, *, actor: str, now: datetime | None = None
) -> list[Delivery]:
    """Act on a withdrawn consent: every copy sent under it is revoked at its recipient.

    For each of the case's rows sent under ``use`` and not yet revoked:

    - delivered, or leased by a worker right now (it may reach the receiver): marked
      ``revoked_at`` and a ``case.consent_revoked`` message is queued to the same
      agency (for a Primero agency the transport PATCHes the case it created);
    - not sent yet (pending and not leased, manual, dead): cancelled and marked
      ``revoked_at``; nothing more is sent, since the agency holds no copy.

    Parameters
    ----------
    session : Session
    case_id : str
    use : str
        The consent withdrawn (``services``, ``referral``, ``law_enforcement``,
        ``consular``, ``transfer``).
    actor : str
    now : datetime, optional

    Returns
    -------
    list of Delivery
        The ``case.consent_revoked`` rows queued, one per recipient that held a copy.

    Raises
    ------
    LookupError
        If there is no case ``case_id``.
    """
    case = session.get(Case, case_id)
    if case is None:
        raise LookupError(f"No case {case_id!r}.")
    when = as_utc(now) or utcnow()
    rows = session.scalars(
        select(Delivery)
        .where(
            Delivery.case_id == case_id,
            Delivery.consent_use == use,
            Delivery.revoked_at.is_(None),
            Delivery.event_type != CONSENT_REVOKED,
        )
        .order_by(Delivery.created_at, Delivery.id)
    ).all()
    queued: list[Delivery] = []
    for row in rows:
        held = _held(row, when)
        before = {"status": row.status, "revoked_at": None}
        row.revoked_at = when
        if not held:
            row.status = "cancelled"
            row.lease_owner = None
            row.leased_until = None
        audit(
            session,
            actor=actor,
            action="delivery.revoked",
            entity_type="delivery",
            entity_id=row.id,
            reason=f"consent {use!r} withdrawn",
            before=before,
            after={"status": row.status, "revoked_at": when.isoformat(), "notified": held},
        )
        if held:
            message = enqueue_case_message(
                session,
                case,
                row.agency_id,
                CONSENT_REVOKED,
                {
                    "revoked_delivery_id": row.id,
                    "revoked_event_type": row.event_type,
                    "consent_use": use,
                    "revoked_at": when.isoformat(),
                    "instruction": REVOKED_INSTRUCTION,
                },
                consent_use=None,
                actor=actor,
                rule=f"revoke:{use}",
                now=when,
            )
            queued.append(message)
    return queued


def notify_withdrawn(
    session: Session, notice_id: str, *, actor: str, reason: str, now: datetime | None = None
) -> list[Delivery]:
    """Queue ``referral.withdrawn`` to every agency that received notice ``notice_id``.

    An agency received it when its ``referral_notice.created`` row is ``delivered``, or
    is leased by a worker at this moment (it may be arriving). Rows not sent are the
    caller's to cancel (:func:`vessel_risk.delivery.cancel_pending`). Idempotent: the
    (notice, agency, event type) key holds one withdrawal per agency.

    Returns
    -------
    list of Delivery
        The withdrawal rows, one per recipient, in the order the notice was delivered.
    """
    from vessel_risk.delivery.outbox import EVENT_TYPE

    when = as_utc(now) or utcnow()
    sent = session.scalars(
        select(Delivery)
        .where(Delivery.notice_id == notice_id, Delivery.event_type == EVENT_TYPE)
        .order_by(Delivery.delivered_at, Delivery.id)
    ).all()
    out: list[Delivery] = []
    for row in sent:
        if not _held(row, when):
            continue
        existing = session.scalars(
            select(Delivery).where(
                Delivery.notice_id == notice_id,
                Delivery.agency_id == row.agency_id,
                Delivery.event_type == NOTICE_WITHDRAWN,
            )
        ).first()
        if existing is not None:
            out.append(existing)
            continue
        withdrawal = Delivery(
            notice_id=notice_id,
            agency_id=row.agency_id,
            rule="notice_withdrawn",
            event_type=NOTICE_WITHDRAWN,
            payload={
                "notice_id": notice_id,
                "withdrawn_delivery_id": row.id,
                "withdrawn_at": when.isoformat(),
                "reason": reason,
            },
        )
        after = {"notice_id": notice_id, "agency_id": row.agency_id, "event_type": NOTICE_WITHDRAWN}
        out.append(_queue(session, withdrawal, when, actor=actor, reason=reason, after=after))
    return out


def requeue_delivery(
    session: Session, delivery_id: str, *, actor: str, reason: str, now: datetime | None = None
) -> Delivery:
    """Send a dead letter again, audited: the API's and the CLI's requeue.

    A revoked row is never requeued (the person withdrew the consent it was sent
    under), nor a row whose notice was withdrawn.

    Raises
    ------
    LookupError
        If there is no delivery ``delivery_id``.
    ValueError
        If it is not dead, is revoked, or ``reason`` is empty.
    """
    if not reason.strip():
        raise ValueError("Requeueing a delivery needs a reason.")
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise LookupError(f"No delivery {delivery_id!r}.")
    if row.revoked_at is not None:
        raise ValueError(
            f"Delivery {delivery_id!r} was revoked (consent withdrawn); it is never sent again."
        )
    if row.notice_id is not None and row.event_type != NOTICE_WITHDRAWN:
        notice = session.get(ReferralNotice, row.notice_id)
        if notice is not None and notice.status == "withdrawn":
            raise ValueError(
                f"Delivery {delivery_id!r} is of notice {row.notice_id!r}, which was withdrawn."
            )
    return requeue(session, delivery_id, actor=actor, reason=reason, now=now)
