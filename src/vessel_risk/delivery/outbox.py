"""The outbox: one ``Delivery`` row per (notice, agency), and what people do with it.

:func:`enqueue` writes the rows in the caller's transaction: the notice is approved and
queued, or neither (the transactional outbox). A row's ``id`` (a UUID4) is both the
Standard Webhooks ``webhook-id`` and the ``Idempotency-Key`` of every attempt, so a
receiver that de-duplicates on it processes a notice once however often it is sent.
The worker (:mod:`vessel_risk.delivery.worker`) sends the rows. A withdrawn notice's
rows are cancelled (:func:`cancel_pending`); dead letters and manual pickups are left
for a person (:func:`requeue`, :func:`mark_handed_over`); :func:`delivery_history`
reads a notice's rows and their attempts back.

Delivery statuses
-----------------
``pending``
    Waiting for its next attempt (``next_attempt_at``), or leased by a worker until
    ``leased_until``.
``delivered``
    The receiver acknowledged it (2xx, or 409: it already has the idempotency key), a
    person handed it over, or a status callback proved receipt.
``manual``
    The agency has no endpoint (transport ``manual``): waiting for a person to hand the
    notice over (print the brief, send it by hand) and record it with
    :func:`mark_handed_over`. It leaves the worker's queue rather than staying
    ``pending``, where it would be leased again forever.
``dead``
    A permanent refusal or ``max_attempts`` failures; :func:`requeue` sends it again.
``cancelled``
    The notice was withdrawn before delivery (:func:`cancel_pending`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import (
    Agency,
    Delivery,
    DeliveryAttempt,
    ReferralNotice,
    as_utc,
    audit,
    utcnow,
)

EVENT_TYPE = "referral_notice.created"
"""The Standard Webhooks event type of a new referral notice."""

ACTOR = "system:delivery"
"""The audit-log actor of the worker (and of :func:`enqueue` by default)."""

DELIVERY_STATUSES = ("pending", "delivered", "manual", "dead", "cancelled")
"""The values of ``Delivery.status``; see the module docstring."""


def _upsert_insert(dialect: str) -> Any:
    """The dialect's ``insert`` that has ``on_conflict_do_nothing``."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def _frozen(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def enqueue(
    session: Session,
    notice: ReferralNotice,
    targets: Iterable[tuple[Agency, str]],
    *,
    actor: str = ACTOR,
    now: datetime | None = None,
) -> list[Delivery]:
    """Queue ``notice`` for each agency, in the caller's transaction (the outbox).

    Parameters
    ----------
    session : Session
        The caller's session: the rows commit or roll back with the approval.
    notice : ReferralNotice
        An approved notice (``status == "approved"``); its payload is copied, so later
        edits to the notice never change what is sent.
    targets : iterable of (Agency, str)
        Each agency and the routing rule that chose it (≤ 64 characters, e.g.
        ``"flag_state_maritime_authority"``). An agency listed twice keeps its first
        rule.
    actor : str, default "system:delivery"
        Audit-log actor of the ``delivery.enqueued`` entries.
    now : datetime, optional
        Enqueue time (default: now, UTC); the first attempt is due then.

    Returns
    -------
    list of Delivery
        One row per distinct agency, in ``targets`` order. Idempotent: a pair queued
        before returns its existing row unchanged (also under concurrent enqueues: the
        insert is ``ON CONFLICT DO NOTHING`` on the (notice, agency, event type) key).

    Raises
    ------
    ValueError
        If the notice is not approved, or a rule is empty or too long.
    """
    if notice.status != "approved":
        raise ValueError(
            f"Only approved notices are delivered. Notice {notice.id!r} is {notice.status!r}."
        )
    when = as_utc(now) or utcnow()
    rules: dict[str, str] = {}
    for agency, rule in targets:
        if not rule or len(rule) > 64:
            raise ValueError(f"A routing rule must have 1 to 64 characters. Got {rule!r}.")
        rules.setdefault(agency.id, rule)
    if not rules:
        return []
    session.flush()
    payload = _frozen(notice.payload)
    dialect = session.get_bind().dialect.name
    for agency_id, rule in rules.items():
        values = {
            "id": str(uuid.uuid4()),
            "notice_id": notice.id,
            "agency_id": agency_id,
            "rule": rule,
            "event_type": EVENT_TYPE,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": when,
            "created_at": when,
        }
        if dialect in ("postgresql", "sqlite"):
            stmt = (
                _upsert_insert(dialect)(Delivery)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["notice_id", "agency_id", "event_type"])
                .returning(Delivery.id)
            )
            created = session.execute(stmt).scalar_one_or_none()
        else:
            exists = session.scalar(
                select(Delivery.id).where(
                    Delivery.notice_id == notice.id,
                    Delivery.agency_id == agency_id,
                    Delivery.event_type == EVENT_TYPE,
                )
            )
            created = None
            if exists is None:
                session.add(Delivery(**values))
                session.flush()
                created = values["id"]
        if created is not None:
            audit(
                session,
                actor=actor,
                action="delivery.enqueued",
                entity_type="delivery",
                entity_id=created,
                after={"notice_id": notice.id, "agency_id": agency_id, "rule": rule},
            )
    rows = session.scalars(
        select(Delivery).where(
            Delivery.notice_id == notice.id,
            Delivery.agency_id.in_(list(rules)),
            Delivery.event_type == EVENT_TYPE,
        )
    ).all()
    by_agency = {r.agency_id: r for r in rows}
    return [by_agency[a] for a in rules]


def cancel_pending(session: Session, notice_id: str, *, actor: str, reason: str) -> list[str]:
    """Cancel a withdrawn notice's deliveries that have not gone out (pending, manual).

    The withdrawal messages themselves (``referral.withdrawn``) are never cancelled.

    Returns the ids cancelled; each is audited. A row leased at this moment may still
    be sent by the worker (its lease is not interrupted); it is then marked delivered
    only if still pending, so a cancelled row stays cancelled.
    """
    rows = session.scalars(
        select(Delivery).where(
            Delivery.notice_id == notice_id,
            Delivery.status.in_(("pending", "manual")),
            Delivery.event_type != "referral.withdrawn",
        )
    ).all()
    return cancel_rows(session, rows, actor=actor, reason=reason)


def cancel_rows(
    session: Session, rows: Sequence[Delivery], *, actor: str, reason: str
) -> list[str]:
    """Mark ``rows`` cancelled, releasing any lease, each audited; return their ids."""
    for row in rows:
        audit(
            session,
            actor=actor,
            action="delivery.cancelled",
            entity_type="delivery",
            entity_id=row.id,
            reason=reason,
            before={"status": row.status},
            after={"status": "cancelled"},
        )
        row.status = "cancelled"
        row.lease_owner = None
        row.leased_until = None
    return [r.id for r in rows]


def requeue(
    session: Session, delivery_id: str, *, actor: str, reason: str, now: datetime | None = None
) -> Delivery:
    """Send a dead letter again (after its agency's configuration was fixed).

    Its ``attempts`` start again from 0; the earlier attempts stay recorded.
    """
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise LookupError(f"No delivery {delivery_id!r}.")
    if row.status != "dead":
        raise ValueError(f"Only dead deliveries are requeued. {delivery_id!r} is {row.status!r}.")
    audit(
        session,
        actor=actor,
        action="delivery.requeued",
        entity_type="delivery",
        entity_id=row.id,
        reason=reason,
        before={"status": "dead", "attempts": row.attempts},
        after={"status": "pending", "attempts": 0},
    )
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = as_utc(now) or utcnow()
    row.lease_owner = None
    row.leased_until = None
    return row


def mark_handed_over(
    session: Session, delivery_id: str, *, actor: str, reason: str, at: datetime | None = None
) -> Delivery:
    """Record that a person handed a ``manual`` delivery to its agency: delivered."""
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise LookupError(f"No delivery {delivery_id!r}.")
    if row.status != "manual":
        raise ValueError(
            f"Only manual deliveries are handed over. {delivery_id!r} is {row.status!r}."
        )
    when = as_utc(at) or utcnow()
    audit(
        session,
        actor=actor,
        action="delivery.delivered",
        entity_type="delivery",
        entity_id=row.id,
        reason=reason,
        before={"status": "manual"},
        after={"status": "delivered", "delivered_at": when.isoformat()},
    )
    row.status = "delivered"
    row.delivered_at = when
    return row


def delivery_history(session: Session, notice_id: str) -> list[dict[str, Any]]:
    """Every delivery of a notice with its attempts, oldest first (for the CLI and API)."""
    out = []
    rows = session.scalars(
        select(Delivery).where(Delivery.notice_id == notice_id).order_by(Delivery.created_at)
    ).all()
    for d in rows:
        attempts = session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == d.id)
            .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
        ).all()
        out.append(
            {
                "delivery_id": d.id,
                "agency_id": d.agency_id,
                "rule": d.rule,
                "status": d.status,
                "attempts": d.attempts,
                "delivered_at": as_utc(d.delivered_at),
                "receiver_status": d.receiver_status,
                "last_error": d.last_error,
                "history": [
                    {
                        "at": as_utc(a.attempted_at),
                        "http_status": a.http_status,
                        "error": a.error,
                        "duration_ms": a.duration_ms,
                    }
                    for a in attempts
                ],
            }
        )
    return out
