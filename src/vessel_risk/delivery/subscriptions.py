"""The outbox for subscriptions (issue 18 part 4): one message per event, or a digest.

A subscription's message goes through the same outbox, worker, retries and audit as a
notice (:mod:`vessel_risk.delivery.outbox`); its row has ``subscription_id`` and goes to
the subscription's own channel and target (a signed webhook, or an e-mail through
:mod:`vessel_risk.delivery.email`), not the agency's endpoint.

- :func:`subscription_message` is the payload of one message: vessel facts in
  ``items``, the :data:`STATEMENTS` (evidence, not proof; crew presumed victims; no
  person named);
- :func:`enqueue_subscription_message` queues one message and links its events;
- :func:`send_due_digests` gathers each digest subscription's events held since its
  last digest into one message, when its digest is due (the worker's schedule:
  :func:`vessel_risk.delivery.worker.run_worker`, ``digest_every_s``);
- :func:`cancel_subscription_deliveries` cancels what an unsubscribed subscription has
  not been sent;
- :func:`unsubscribe_url` is the link every message carries.

Which subscriptions an event concerns is :mod:`vessel_risk.referral.subscriptions`'s.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import (
    Delivery,
    Subscription,
    SubscriptionEvent,
    as_utc,
    audit,
    utcnow,
)
from vessel_risk.delivery.outbox import ACTOR, cancel_rows

EVENT_PREFIX = "subscription."
"""Event types of subscription messages: ``subscription.alert.raised``, ...,
``subscription.digest``."""
DIGEST = "subscription.digest"

EVIDENCE_NOT_PROOF = (
    "A risk score is evidence to check, never proof of forced labour. Thin data reads "
    "'insufficient data', never 'low risk'."
)
PRESUMED_VICTIMS = (
    "The crew are presumed victims, never suspects: any boarding puts their protection "
    "first (social welfare and shelter before law enforcement), and nothing here may be "
    "shared with the vessel's owner, operator, master or agents."
)
NO_PERSONS = (
    "Vessel facts only: this message names no person. Person-level data is shared only "
    "through a case, with the person's consent."
)
STATEMENTS = (EVIDENCE_NOT_PROOF, PRESUMED_VICTIMS, NO_PERSONS)
"""The statements every subscription message carries."""


def _frozen(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def subscription_message(
    subscription_id: str, items: Sequence[Mapping[str, Any]], *, digest: bool
) -> dict[str, Any]:
    """The payload of one subscription message (one event, or a digest of several).

    Parameters
    ----------
    subscription_id : str
    items : sequence of mapping
        Each event's item (:func:`vessel_risk.referral.subscriptions.alert_item`,
        ``arrival_item``): ``kind``, ``summary`` and vessel facts.
    digest : bool

    Returns
    -------
    dict
        ``subscription_id``, ``digest``, ``title`` (≤ 200 characters), ``count``,
        ``items`` and ``statements``; the worker adds ``unsubscribe_url`` when sending.
    """
    if digest:
        title = f"vessel-risk digest: {len(items)} vessel event(s)"
    else:
        title = f"vessel-risk: {items[0]['summary']}" if items else "vessel-risk"
    return {
        "subscription_id": subscription_id,
        "digest": digest,
        "title": title[:200],
        "count": len(items),
        "items": _frozen([dict(i) for i in items]),
        "statements": list(STATEMENTS),
    }


def unsubscribe_url(base_url: str, token: str) -> str:
    """The one-click unsubscribe link of a subscription (RFC 8058 for e-mail).

    Parameters
    ----------
    base_url : str
        The service's public address (``VESSEL_RISK_PUBLIC_URL``).
    token : str
        The subscription's unsubscribe token.
    """
    return f"{base_url.rstrip('/')}/subscriptions/unsubscribe?token={quote(token, safe='')}"


def enqueue_subscription_message(
    session: Session,
    subscription: Subscription,
    events: Sequence[SubscriptionEvent],
    *,
    event_type: str,
    actor: str = ACTOR,
    now: datetime | None = None,
) -> Delivery:
    """Queue one message of ``events`` to ``subscription`` and link them to it.

    Parameters
    ----------
    session : Session
        The caller's transaction: the events and their message commit together.
    subscription : Subscription
        Active.
    events : sequence of SubscriptionEvent
        Not yet sent (``delivery_id`` null), in the order they are listed.
    event_type : str
        ``subscription.<kind>`` for one event, :data:`DIGEST` for a digest.
    actor : str, default "system:delivery"
    now : datetime, optional

    Returns
    -------
    Delivery
        Pending from ``now``; ``delivery.enqueued`` audited with the subscription,
        channel and event count (never the target address).

    Raises
    ------
    ValueError
        For a removed subscription or no events.
    """
    if subscription.status != "active":
        raise ValueError(f"Subscription {subscription.id!r} is {subscription.status!r}.")
    if not events:
        raise ValueError("A subscription message needs at least one event.")
    when = as_utc(now) or utcnow()
    payload = subscription_message(
        subscription.id, [e.item for e in events], digest=event_type == DIGEST
    )
    row = Delivery(
        id=str(uuid.uuid4()),
        subscription_id=subscription.id,
        agency_id=subscription.agency_id,
        rule="subscription",
        event_type=event_type,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=when,
        created_at=when,
    )
    session.add(row)
    session.flush()
    for e in events:
        e.delivery_id = row.id
    audit(
        session,
        actor=actor,
        action="delivery.enqueued",
        entity_type="delivery",
        entity_id=row.id,
        after={
            "subscription_id": subscription.id,
            "agency_id": subscription.agency_id,
            "channel": subscription.channel,
            "event_type": event_type,
            "events": [e.event_key for e in events],
        },
    )
    return row


def send_due_digests(
    session: Session, *, now: datetime | None = None, force: bool = False
) -> dict[str, int]:
    """Queue one digest per digest subscription whose digest is due, with its held events.

    A digest is due at ``next_digest_at`` (then moved on by ``digest_every_h`` hours,
    past ``now``); ``force`` sends every held event now (``vessel-risk subscriptions
    digest --now``). A subscription with nothing held sends nothing and only moves on.

    Returns
    -------
    dict
        ``{"digests": messages queued, "events": events they carry}``.
    """
    when = as_utc(now) or utcnow()
    subs = session.scalars(
        select(Subscription)
        .where(Subscription.status == "active", Subscription.mode == "digest")
        .order_by(Subscription.id)
    ).all()
    counts = {"digests": 0, "events": 0}
    for sub in subs:
        due = as_utc(sub.next_digest_at)
        if not force and due is not None and due > when:
            continue
        held = session.scalars(
            select(SubscriptionEvent)
            .where(
                SubscriptionEvent.subscription_id == sub.id,
                SubscriptionEvent.delivery_id.is_(None),
            )
            .order_by(SubscriptionEvent.created_at, SubscriptionEvent.id)
        ).all()
        if held:
            enqueue_subscription_message(session, sub, held, event_type=DIGEST, now=when)
            counts["digests"] += 1
            counts["events"] += len(held)
        step = timedelta(hours=max(1, sub.digest_every_h))
        following = due or when
        while following <= when:
            following += step
        sub.next_digest_at = following
    return counts


def cancel_subscription_deliveries(
    session: Session, subscription_id: str, *, actor: str, reason: str
) -> list[str]:
    """Cancel a subscription's messages not yet sent (pending); each is audited.

    Returns the ids cancelled. A row leased at this moment may still go out; the
    worker refuses rows of a removed subscription it has not leased yet.
    """
    rows = session.scalars(
        select(Delivery).where(
            Delivery.subscription_id == subscription_id, Delivery.status == "pending"
        )
    ).all()
    return cancel_rows(session, rows, actor=actor, reason=reason)
