"""The database: vessels, scores, alerts, evidence, referral notices, agencies, deliveries.

SQLAlchemy 2 models; the schema is created and evolved by Alembic migrations
(``src/vessel_risk/db/migrations``) through :func:`vessel_risk.db.engine.migrate`.
SQLite is the default, PostgreSQL is supported and tested. Side effects take an
injected engine or session so tests can swap them.

Tables
------
``runs``
    One execution of ``vessel-risk run``.
``vessels``
    One row per MMSI: latest identity, IUU status, identity history.
``vessel_periods``
    One row per vessel-year of a transmitter track (``mmsi``, ``track_id``, ``year``): its
    features and how much data they rest on.
``scores``
    Every score ever given to a vessel-period (model version, tier, explanation);
    re-scoring adds a row, never overwrites one.
``alerts``
    One per vessel-period, pointing at its current score; carries the review status
    (:mod:`vessel_risk.alerts.lifecycle`), the vessel identity, class, and the declared
    and inferred flags.
``alert_coastal_states``
    The coastal states of an alert (migration 0011): the states in whose waters its
    current score's located events lie (:mod:`vessel_risk.alerts.coastal`), written when
    a run records its alerts. A country scope covers an alert of its coastal states.
``evidence_events``
    The port visits, AIS gaps, encounters and loitering events behind a score.
``agencies``
    The directory of agencies notices are routed to (:mod:`vessel_risk.referral.routing`);
    their webhook secrets, like crew personal data, are encrypted at rest
    (:mod:`vessel_risk.db.crypto`).
``referral_notices``, ``notice_personal_data``
    Presumed-victim referral notices (:mod:`vessel_risk.referral.notices`); personal data,
    only ever added by a person, lives apart from the notice with its consent record.
``deliveries``, ``delivery_attempts``
    The transactional outbox of notices to agencies and every attempt to deliver one.
``inspections``
    Boardings and inspections of vessels and what they found (ILO indicators, C188
    documents, crew count by nationality): the outcomes that return to the model as
    labels (:mod:`vessel_risk.referral.inspections`). Defined in :mod:`vessel_risk.db.cases`.
``cases``, ``case_intakes``, ``case_consents``, ``case_transitions``, ``case_follow_ups``,
``case_transfers``
    One presumed-victim case per person through the NRM's stages (issue 17): the
    person's screening answers (encrypted, purged after retention), consent to each use
    of their data, every transition with who and why, follow-ups at 3, 6 and 12 months,
    transfers to another state's mechanism.
``expected_arrivals``
    Each vessel track's predicted next port and arrival time, its method, confidence
    and evidence, revised by later runs (issue 18). Defined in :mod:`vessel_risk.db.arrivals`.
``subscriptions``, ``subscription_events``
    Agencies' subscriptions to the vessels that concern them (ports, flag, crew
    nationalities, tier) and every event each was sent, for de-duplication and digests
    (issue 18). Defined in :mod:`vessel_risk.db.subscriptions`.
``exchange_imports``, ``exchange_indicators``, ``exchange_alerts``, ``exchange_inspections``
    Other states' exports of the regional exchange (issue 18), verified and tagged by
    source state: disclosure-controlled figures and vessel facts, never a person.
    Defined in :mod:`vessel_risk.db.exchange`.
``tips``
    Tips from the mechanism's other entry points (a hotline, an NGO, a consulate, a
    first responder) about a vessel or a person, in the same review queue as the model's
    alerts (:mod:`vessel_risk.referral.tips`). Defined in :mod:`vessel_risk.db.tips`.
``api_clients``
    The API clients of agencies: role, scopes, key digest (:mod:`vessel_risk.api.access`).
``rate_buckets``
    Token buckets of the API's rate limits (per client, per login address), shared by
    every worker process (:mod:`vessel_risk.api.limits`).
``ui_sessions``
    Dashboard sessions: the digest of a random token, its client, CSRF token and expiry
    (:mod:`vessel_risk.api.sessions`).
``audit_log``
    Append-only record of every access and change: who, when, what, why. Database
    triggers refuse UPDATE and DELETE on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Computed,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from vessel_risk.db.arrivals import ExpectedArrival as ExpectedArrival
from vessel_risk.db.base import Base as Base
from vessel_risk.db.base import UTCDateTime as UTCDateTime
from vessel_risk.db.base import as_utc as as_utc
from vessel_risk.db.base import utcnow as utcnow
from vessel_risk.db.cases import Case as Case
from vessel_risk.db.cases import CaseConsent as CaseConsent
from vessel_risk.db.cases import CaseFollowUp as CaseFollowUp
from vessel_risk.db.cases import CaseIntake as CaseIntake
from vessel_risk.db.cases import CaseTransfer as CaseTransfer
from vessel_risk.db.cases import CaseTransition as CaseTransition
from vessel_risk.db.cases import Inspection as Inspection
from vessel_risk.db.crypto import EncryptedJSON
from vessel_risk.db.exchange import ExchangeAlert as ExchangeAlert
from vessel_risk.db.exchange import ExchangeImport as ExchangeImport
from vessel_risk.db.exchange import ExchangeIndicator as ExchangeIndicator
from vessel_risk.db.exchange import ExchangeInspection as ExchangeInspection
from vessel_risk.db.subscriptions import Subscription as Subscription
from vessel_risk.db.subscriptions import SubscriptionEvent as SubscriptionEvent
from vessel_risk.db.tips import Tip as Tip


class Run(Base):
    """One execution of ``vessel-risk run``."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime]
    inputs: Mapped[list[Any]]
    model_version: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict[str, Any]]


class Vessel(Base):
    """One vessel, keyed by MMSI (a 9-character string).

    ``vessel_id`` is the vessel identity (GFW's term) its latest alert carried: one hull
    across MMSIs, IMO numbers, call signs and names (issue 16).
    """

    __tablename__ = "vessels"
    mmsi: Mapped[str] = mapped_column(String(9), primary_key=True)
    shipname: Mapped[str | None] = mapped_column(String(128))
    callsign: Mapped[str | None] = mapped_column(String(32))
    imo: Mapped[str | None] = mapped_column(String(16))
    flag_iso3: Mapped[str | None] = mapped_column(String(3), index=True)
    vessel_id: Mapped[str | None] = mapped_column(String(32), index=True)
    gear: Mapped[str | None] = mapped_column(String(64))
    mmsi_valid: Mapped[bool] = mapped_column(Boolean)
    iuu_listed: Mapped[bool] = mapped_column(Boolean, default=False)
    identity_history: Mapped[list[Any]] = mapped_column(default=list)
    first_seen: Mapped[datetime | None]
    last_seen: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class VesselPeriod(Base):
    """One vessel-year of one transmitter track: the features a score was computed from.

    Keyed by (``mmsi``, ``track_id``, ``year``): an MMSI broadcast by two transmitters
    at once is split into tracks (0 = the first track seen), each scored on its own.
    """

    __tablename__ = "vessel_periods"
    __table_args__ = (
        UniqueConstraint("mmsi", "track_id", "year", name="uq_vessel_periods_mmsi_track_year"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mmsi: Mapped[str] = mapped_column(ForeignKey("vessels.mmsi"), index=True)
    track_id: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    year: Mapped[int] = mapped_column(Integer)
    start: Mapped[datetime]
    end: Mapped[datetime]
    position_messages: Mapped[int] = mapped_column(Integer)
    days_observed: Mapped[int] = mapped_column(Integer)
    features: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class Score(Base):
    """One score of one vessel-period by one model version; never updated."""

    __tablename__ = "scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vessel_period_id: Mapped[int] = mapped_column(ForeignKey("vessel_periods.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    model_version: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int] = mapped_column(Integer)
    data_note: Mapped[str] = mapped_column(Text)
    indicators: Mapped[list[Any]]
    scored_at: Mapped[datetime]


QUEUE_BAND_SQL = (
    "CASE WHEN source <> 'model' THEN 1 WHEN tier IN ('high', 'medium') THEN 2 "
    "WHEN tip_urgency IS NOT NULL THEN 1 ELSE 0 END"
)
"""An alert's band in the review queue (2: high or medium, 1: a tip, or a low or
insufficient-data alert a tip joined, 0: other low or insufficient data), as the
database computes it."""

QUEUE_KEY_SQL = (
    "CASE WHEN source <> 'model' OR (tier NOT IN ('high', 'medium') AND tip_urgency IS NOT "
    "NULL) THEN COALESCE(tip_urgency, 0) ELSE COALESCE(score, 0) END"
)
"""An alert's key within its band: the model's score, or in the tips' band the urgency
of its tips."""


class AlertRow(Base):
    """The alert of one vessel-period: its current score and its review status.

    ``status`` follows :data:`vessel_risk.alerts.lifecycle.TRANSITIONS`; the columns copied
    from the current score (score, tier, rank, ...) make the ranked list one indexed
    query. ``flag_iso3`` is the declared flag (from a valid MID); ``flag_inferred_*`` the
    flag inferred without the MID, its source and confidence (0..1), routing by which
    needs a person's confirmation (:mod:`vessel_risk.referral.routing`). ``model_applies``
    (null: unknown), ``model_domain_reason``, ``score_percentile``, ``score_low``,
    ``score_high`` and ``observed_share`` are the current score's, as
    :class:`vessel_risk.alerts.build.Alert` defines them (migration 0004).

    ``source`` says where the queue item came from (migration 0007): ``model`` for a
    scored vessel-period, else the entry point of the tip that made it (``hotline``,
    ``ngo``, ``consulate``, ``first_responder``, ...; :mod:`vessel_risk.alerts.queue`).
    A tip's item has no vessel-period, no score, no rank and no model version (null:
    never invented), tier ``unscored``, and may have no MMSI (a tip about a person, or
    a vessel known by name only); ``tip_urgency`` places it in the queue.
    ``reported_by`` lists the tip sources that also reported this item's vessel.
    ``queue_band`` and ``queue_key`` are the item's place in the review queue, computed
    by the database from the columns above (:data:`QUEUE_BAND_SQL`, :data:`QUEUE_KEY_SQL`;
    the order is explained in :mod:`vessel_risk.alerts.queue`) and indexed with ``id``,
    so the queue's pages are one index scan.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_rank_order", "score", "id"),
        Index("ix_alerts_queue_order", "queue_band", "queue_key", "id"),
        Index("ix_alerts_status_tier", "status", "tier"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vessel_period_id: Mapped[int | None] = mapped_column(
        ForeignKey("vessel_periods.id"), unique=True
    )
    score_id: Mapped[int | None] = mapped_column(ForeignKey("scores.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    source: Mapped[str] = mapped_column(
        String(32), default="model", server_default=text("'model'"), index=True
    )
    reported_by: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    tip_urgency: Mapped[int | None] = mapped_column(Integer)
    queue_band: Mapped[int] = mapped_column(Integer, Computed(QUEUE_BAND_SQL, persisted=True))
    queue_key: Mapped[float] = mapped_column(Float, Computed(QUEUE_KEY_SQL, persisted=True))
    mmsi: Mapped[str | None] = mapped_column(String(9), index=True)
    track_id: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    year: Mapped[int] = mapped_column(Integer)
    vessel_id: Mapped[str | None] = mapped_column(String(32))
    vessel_class: Mapped[str | None] = mapped_column(String(32))
    shipname: Mapped[str | None] = mapped_column(String(128))
    flag_iso3: Mapped[str | None] = mapped_column(String(3), index=True)
    flag_inferred_iso3: Mapped[str | None] = mapped_column(String(3))
    flag_inferred_source: Mapped[str | None] = mapped_column(Text)
    flag_inferred_confidence: Mapped[float | None] = mapped_column(Float)
    gear: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int | None] = mapped_column(Integer)
    model_version: Mapped[str | None] = mapped_column(String(64))
    model_applies: Mapped[bool | None] = mapped_column(Boolean)
    model_domain_reason: Mapped[str | None] = mapped_column(Text)
    score_percentile: Mapped[float | None] = mapped_column(Float)
    score_low: Mapped[float | None] = mapped_column(Float)
    score_high: Mapped[float | None] = mapped_column(Float)
    observed_share: Mapped[float | None] = mapped_column(Float)
    last_lat: Mapped[float | None] = mapped_column(Float)
    last_lon: Mapped[float | None] = mapped_column(Float)
    last_seen: Mapped[datetime]
    last_port_label: Mapped[str | None] = mapped_column(String(128), index=True)
    last_port_iso3: Mapped[str | None] = mapped_column(String(3))
    last_port_departure: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(32), default="new")
    status_reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    coastal_states: Mapped[list[AlertCoastalState]] = relationship(
        viewonly=True, lazy="select", order_by="AlertCoastalState.iso3"
    )

    @property
    def coastal_iso3(self) -> frozenset[str]:
        """The alert's coastal states (ISO3; :class:`AlertCoastalState`): empty for a
        tip's item and for an alert last recorded before migration 0011."""
        return frozenset(c.iso3 for c in self.coastal_states)


class AlertCoastalState(Base):
    """One coastal state of an alert: a state in whose waters (approximated: within
    200 nm of its nearest port, :func:`vessel_risk.alerts.coastal.coastal_states`) one
    of the located events of the alert's current score lies.

    Written with the alert by every run (:func:`vessel_risk.alerts.coastal.record_coastal_states`,
    replaced when a run rescores the alert); a tip's item has none (no events), and an
    alert last recorded before migration 0011 has none until a run records it again.
    The routing rule ``coastal_state`` (:mod:`vessel_risk.referral.routing`) and the
    client scopes (:meth:`vessel_risk.api.access.Principal.may_see`) read the same states.
    """

    __tablename__ = "alert_coastal_states"
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    iso3: Mapped[str] = mapped_column(String(3), primary_key=True, index=True)


class EvidenceEvent(Base):
    """An event behind a score: port visit, AIS gap, encounter or loitering."""

    __tablename__ = "evidence_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("scores.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    start: Mapped[datetime]
    end: Mapped[datetime]
    duration_h: Mapped[float] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[dict[str, Any]]


class Agency(Base):
    """An agency in the routing directory (:mod:`vessel_risk.referral.routing`)."""

    __tablename__ = "agencies"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    country_iso3: Mapped[str] = mapped_column(String(3), index=True)
    role: Mapped[str] = mapped_column(String(32))
    transport: Mapped[str] = mapped_column(String(16), default="manual")
    endpoint_url: Mapped[str | None] = mapped_column(String(512))
    secrets: Mapped[list[Any]] = mapped_column(EncryptedJSON, default=list)
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    auto_refer: Mapped[bool] = mapped_column(Boolean, default=False)
    reflection_period_days: Mapped[int | None] = mapped_column(Integer)
    ports: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ReferralNotice(Base):
    """A vessel-level presumed-victim referral notice (:mod:`vessel_risk.referral.notices`).

    ``payload`` is the notice as sent, with no crew personal data (its ``source``: the
    model or the tip's entry point; a notice from a tip has no ``score_id`` and may have
    no ``mmsi``); ``status`` is
    ``draft``, ``approved`` or ``withdrawn``; ``receiver_status`` the latest status a
    receiving case system reported (received, accepted, rejected, closed).
    """

    __tablename__ = "referral_notices"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    score_id: Mapped[int | None] = mapped_column(ForeignKey("scores.id"))
    mmsi: Mapped[str | None] = mapped_column(String(9), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    receiver_status: Mapped[str | None] = mapped_column(String(16))
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None]
    reflection_period_days: Mapped[int] = mapped_column(Integer)
    reflection_ends_at: Mapped[datetime | None]
    follow_ups: Mapped[list[Any]] = mapped_column(default=list)
    payload: Mapped[dict[str, Any]]


class NoticePersonalData(Base):
    """Crew personal data a person added to a notice, with consent or an override."""

    __tablename__ = "notice_personal_data"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[str] = mapped_column(ForeignKey("referral_notices.id"), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    consent: Mapped[bool] = mapped_column(Boolean)
    override_reason: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(128))
    added_at: Mapped[datetime]
    retain_until: Mapped[datetime]


class Delivery(Base):
    """One message to one agency: an outbox row, delivered at most once per receiver.

    A message is about a vessel-level notice (``notice_id``) or about one person's case
    (``case_id``, issue 17); ``event_type`` says what it is (``referral.notice``,
    ``referral.withdrawn``, ``case.referral``, ``case.consent_revoked``, ...), so one
    agency may receive a notice and later its withdrawal. ``consent_use`` is the consent
    a case message was sent under (:class:`CaseConsent`); ``revoked_at`` is set when that
    consent is withdrawn and the receiver was told to mark its copy revoked.
    ``subscription_id`` marks a message to a subscription (issue 18): it goes to the
    subscription's own channel and target, not the agency's endpoint.

    ``id`` is both the Standard Webhooks ``webhook-id`` and the ``Idempotency-Key``.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint(
            "notice_id", "agency_id", "event_type", name="uq_deliveries_notice_agency_event"
        ),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    notice_id: Mapped[str | None] = mapped_column(ForeignKey("referral_notices.id"), index=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    consent_use: Mapped[str | None] = mapped_column(String(32))
    revoked_at: Mapped[datetime | None]
    subscription_id: Mapped[str | None] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    leased_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    receiver_status: Mapped[str | None] = mapped_column(String(16))
    receiver_status_at: Mapped[datetime | None]


class DeliveryAttempt(Base):
    """One attempt to deliver one outbox row."""

    __tablename__ = "delivery_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id"), index=True)
    attempted_at: Mapped[datetime]
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(Float)


class AuditEntry(Base):
    """One line of the append-only audit log."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class ApiClient(Base):
    """One API client of one agency: role, scopes and the digest of its key.

    Roles and keys are explained in :mod:`vessel_risk.api.access`.
    """

    __tablename__ = "api_clients"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    countries: Mapped[list[Any]] = mapped_column(default=list)
    ports: Mapped[list[Any]] = mapped_column(default=list)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    rate_per_minute: Mapped[int] = mapped_column(Integer, default=600)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))


class RateBucket(Base):
    """One token bucket: ``tokens`` left at ``at`` (seconds since the UNIX epoch)."""

    __tablename__ = "rate_buckets"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    at: Mapped[float] = mapped_column(Float)
    granted: Mapped[bool] = mapped_column(Boolean, default=True)


class UiSession(Base):
    """One dashboard session; the cookie holds the token, the table its SHA-256 only."""

    __tablename__ = "ui_sessions"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("api_clients.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AppendOnlyError(RuntimeError):
    """Raised on an attempt to change or delete an audit-log entry."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: object, _instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise AppendOnlyError("The audit log is append-only: entries cannot change.")


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log in ``session``'s transaction.

    Parameters
    ----------
    session : Session
        The caller's session; the entry commits or rolls back with the change it
        records.
    actor : str
        Who: a user, an agency's API client, or ``system:<component>``.
    action : str
        What, e.g. ``alert.status``, ``notice.read``, ``delivery.delivered``.
    entity_type, entity_id : str
        What it was done to.
    reason : str, optional
        Why, in the actor's words.
    before, after : dict, optional
        The changed fields before and after.
    """
    entry = AuditEntry(
        at=utcnow(),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        reason=reason,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry
