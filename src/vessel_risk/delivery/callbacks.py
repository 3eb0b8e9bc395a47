"""Receivers' status callbacks: what became of a delivered notice.

A receiving case system reports, in a callback signed with its agency's secrets
(:func:`agency_secrets`, checked with :func:`vessel_risk.delivery.signing.verify`), that
it received, accepted or rejected, and closed a notice. :func:`apply_status_callback`
applies the report to the delivery and to its notice.

Which status may follow which (:data:`RECEIVER_STATUSES`, :func:`may_follow`) and which
one the notice shows across its agencies (:func:`furthest_receiver_status`) are
functions of plain values; only :func:`agency_secrets` and
:func:`apply_status_callback` touch the database session.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from vessel_risk.db.tables import Agency, Delivery, ReferralNotice, as_utc, audit, utcnow
from vessel_risk.delivery.signing import verify

RECEIVER_STATUSES: dict[str, int] = {"received": 1, "accepted": 2, "rejected": 2, "closed": 3}
"""Receiver statuses and their order: received → accepted | rejected → closed.

A callback may skip steps (``accepted`` with no ``received`` before it) but never go
back or sideways: after ``accepted`` only ``closed``; nothing after ``closed``. The same
status reported again is a no-op (receivers retry callbacks).
"""


class ReceiverStatusError(ValueError):
    """Raised for a status callback that would go back or sideways (answer 409)."""


def may_follow(old: str | None, new: str) -> bool:
    """Whether a receiver may report ``new`` about a delivery whose status is ``old``.

    Parameters
    ----------
    old : str or None
        The delivery's receiver status so far; None before the first callback.
    new : str
        The reported status. Both are keys of :data:`RECEIVER_STATUSES`.

    Returns
    -------
    bool
        True for a step forward, skipped steps allowed (``received`` → ``closed``);
        False for a step back or sideways (``accepted`` → ``rejected``, anything after
        ``closed``) and for the same status again, which
        :func:`apply_status_callback` takes as a repeat (a no-op) before asking.

    Raises
    ------
    KeyError
        For a status not in :data:`RECEIVER_STATUSES`.
    """
    return old is None or RECEIVER_STATUSES[new] > RECEIVER_STATUSES[old]


def furthest_receiver_status(current: str | None, reported: str) -> str:
    """The notice's receiver status after one of its agencies reports ``reported``.

    A notice goes to several agencies; it shows the furthest status any of them has
    reported, and among equals the latest (``rejected`` by one agency after
    ``accepted`` by another shows ``rejected``).

    Parameters
    ----------
    current : str or None
        The notice's receiver status so far (None: no callback yet). A value not in
        :data:`RECEIVER_STATUSES` ranks below every status.
    reported : str
        A key of :data:`RECEIVER_STATUSES`.

    Returns
    -------
    str
        ``reported`` when it is at least as far as ``current``, else ``current``.
    """
    if current is None or RECEIVER_STATUSES[reported] >= RECEIVER_STATUSES.get(current, 0):
        return reported
    return current


def agency_secrets(session: Session, delivery_id: str) -> list[str]:
    """The ``whsec_`` secrets a status callback about ``delivery_id`` must be signed with.

    For the API: ``verify(agency_secrets(s, id), request.headers, await request.body())``.
    """
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise LookupError(f"No delivery {delivery_id!r}.")
    agency = session.get(Agency, row.agency_id)
    assert agency is not None
    return [s for s in (agency.secrets or []) if isinstance(s, str)]


def verify_callback(
    session: Session,
    delivery_id: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime | None = None,
) -> bool:
    """Check a status callback's Standard Webhooks signature, bound to ``delivery_id``.

    The signed ``webhook-id`` must be the delivery the callback reports on
    (:func:`vessel_risk.delivery.signing.verify` with ``expected_id``): a callback
    signed for one delivery is refused for another.

    Returns
    -------
    bool
        True when verified, False when the agency has no secrets (nothing to check).

    Raises
    ------
    LookupError
        If there is no delivery ``delivery_id``.
    WebhookVerificationError
        If the signature, timestamp or id does not verify.
    """
    secrets = agency_secrets(session, delivery_id)
    if not secrets:
        return False
    verify(secrets, headers, body, now=now, expected_id=delivery_id)
    return True


def apply_status_callback(
    session: Session,
    delivery_id: str,
    status: str,
    *,
    actor: str,
    at: datetime | None = None,
    reason: str | None = None,
) -> Delivery:
    """Apply a receiver's report on a delivered notice, audited, in ``session``.

    Parameters
    ----------
    session : Session
        Committed by the caller.
    delivery_id : str
        The ``webhook-id`` the receiver got.
    status : str
        ``received``, ``accepted``, ``rejected`` or ``closed``, in the order of
        :data:`RECEIVER_STATUSES` (steps may be skipped, never undone).
    actor : str
        Who reports, e.g. ``"agency:<id>"``.
    at : datetime, optional
        When the receiver's status changed (default: now, UTC).
    reason : str, optional
        The receiver's words (e.g. why it rejected).

    Returns
    -------
    Delivery
        Its ``receiver_status`` updated; the notice's ``receiver_status`` becomes the
        furthest status any of its agencies has reported (the latest among equals).
        A callback is proof of receipt: a row still pending (its worker died after
        sending), manual or dead is marked delivered, audited.

    Raises
    ------
    ValueError
        For an unknown status.
    LookupError
        For an unknown delivery.
    ReceiverStatusError
        When the status would go back or sideways (e.g. ``received`` after
        ``accepted``, ``rejected`` after ``accepted``, anything after ``closed``). The
        same status again is accepted and changes nothing.
    """
    if status not in RECEIVER_STATUSES:
        raise ValueError(
            f"A receiver status must be one of {', '.join(RECEIVER_STATUSES)}. Got {status!r}."
        )
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise LookupError(f"No delivery {delivery_id!r}.")
    old = row.receiver_status
    if old == status:
        return row
    if not may_follow(old, status):
        raise ReceiverStatusError(
            f"Delivery {delivery_id!r} is {old!r}; a receiver status cannot go from {old!r} "
            f"to {status!r} (order: received → accepted | rejected → closed)."
        )
    when = as_utc(at) or utcnow()
    before: dict[str, Any] = {"receiver_status": old}
    after: dict[str, Any] = {"receiver_status": status, "receiver_status_at": when.isoformat()}
    if row.status != "delivered":
        before["status"] = row.status
        after["status"] = "delivered"
        row.status = "delivered"
        row.delivered_at = row.delivered_at or when
        row.lease_owner = None
        row.leased_until = None
    row.receiver_status = status
    row.receiver_status_at = when
    audit(
        session,
        actor=actor,
        action="delivery.receiver_status",
        entity_type="delivery",
        entity_id=row.id,
        reason=reason,
        before=before,
        after=after,
    )
    notice = session.get(ReferralNotice, row.notice_id)
    assert notice is not None
    current = notice.receiver_status
    furthest = furthest_receiver_status(current, status)
    if furthest != current:
        audit(
            session,
            actor=actor,
            action="notice.receiver_status",
            entity_type="referral_notice",
            entity_id=notice.id,
            reason=reason,
            before={"receiver_status": current},
            after={"receiver_status": furthest, "agency_id": row.agency_id},
        )
        notice.receiver_status = furthest
    return row
