"""The tables of agencies' subscriptions (issue 18 part 4): what concerns them, and what went.

Part of the database described in :mod:`vessel_risk.db.tables` (which re-exports these
classes). What a subscription matches is decided by
:mod:`vessel_risk.referral.subscriptions` (pure); the rows are written by
:mod:`vessel_risk.referral.subscription_store` and sent through the outbox
(:mod:`vessel_risk.delivery.subscriptions`). A subscription carries vessel facts only:
person-level data flows through cases and their consents, never through here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vessel_risk.db.base import Base
from vessel_risk.db.crypto import EncryptedJSON


class Subscription(Base):
    """One agency's standing request to be told about vessels that concern it.

    ``channel`` is ``webhook`` (``target`` an https URL; the message is signed with the
    subscription's own ``whsec_`` secret, shown once at creation) or ``email``
    (``target`` an address). The concerns are ``ports`` (port labels, upper case),
    ``flags`` and ``nationalities`` (ISO 3166-1 alpha-3: vessels whose recorded crew
    includes them), any one of which matching is enough (none given: every vessel), and
    ``min_tier``, which every match must reach. ``kinds`` lists the events wanted
    (:data:`vessel_risk.referral.subscriptions.KINDS`). ``mode`` is ``immediate`` (one
    message per event) or ``digest`` (one message with every event since the last,
    each ``digest_every_h`` hours, next at ``next_digest_at``). ``client_id`` is the API
    client that subscribed: its scope (countries, ports) bounds every match, and an
    inactive client's subscriptions match nothing. ``secrets`` (encrypted at rest) holds
    ``{"webhook": [whsec_...], "unsubscribe": token}``; ``unsubscribe_sha256`` is the
    token's digest, looked up by the unsubscribe link. ``status`` is ``active`` or
    ``removed`` (kept, for the audit trail and the events it received).
    """

    __tablename__ = "subscriptions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(512))
    ports: Mapped[list[Any]] = mapped_column(default=list)
    flags: Mapped[list[Any]] = mapped_column(default=list)
    nationalities: Mapped[list[Any]] = mapped_column(default=list)
    min_tier: Mapped[str] = mapped_column(String(32))
    kinds: Mapped[list[Any]] = mapped_column(default=list)
    mode: Mapped[str] = mapped_column(String(16), default="immediate")
    digest_every_h: Mapped[int] = mapped_column(Integer, default=24)
    next_digest_at: Mapped[datetime | None]
    secrets: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    unsubscribe_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    removed_by: Mapped[str | None] = mapped_column(String(128))
    removed_at: Mapped[datetime | None]


class SubscriptionEvent(Base):
    """One event (an alert raised or revised, an arrival expected or revised) that went,
    or waits to go, to one subscription: the de-duplication record.

    ``event_key`` names the event and its version (``alert:12:raised``,
    ``alert:12:revised:340``, ``arrival:7:expected``, ``arrival:7:revised:<eta>``), unique
    per subscription, so an event reaches a subscription once however often matching
    runs. ``item`` is the message's vessel facts, frozen. ``delivery_id`` is the outbox
    row that carried it: set at once in ``immediate`` mode, by the digest in ``digest``
    mode (null meanwhile).
    """

    __tablename__ = "subscription_events"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_key", name="uq_subscription_events_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    event_key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    arrival_id: Mapped[int | None] = mapped_column(Integer, index=True)
    item: Mapped[dict[str, Any]]
    delivery_id: Mapped[str | None] = mapped_column(ForeignKey("deliveries.id"), index=True)
    created_at: Mapped[datetime]
