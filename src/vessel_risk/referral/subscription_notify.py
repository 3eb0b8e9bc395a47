"""Telling subscribers: a run's new and revised alerts, and vessels expected at a port.

Each run's new and revised alerts (:func:`notify_alerts`) and each expected arrival due
within the lead time (:func:`notify_arrivals`) are matched against every active
subscription (:func:`vessel_risk.referral.subscription_store.active_concerns`,
:func:`vessel_risk.referral.subscriptions.matches`) and recorded once per subscription
(``subscription_events``, unique by event key): an ``immediate`` subscription gets one
outbox message per event at once, a ``digest`` one holds them for
:func:`vessel_risk.delivery.subscriptions.send_due_digests`. Messages carry vessel facts
only; crew nationalities recorded on notices and boardings (country codes, no person)
are used to match and never sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from vessel_risk.alerts.arrival_store import due_for_notice
from vessel_risk.alerts.coastal import coastal_of
from vessel_risk.db.tables import (
    AlertRow,
    AuditEntry,
    Inspection,
    ReferralNotice,
    Run,
    Subscription,
    SubscriptionEvent,
    as_utc,
    utcnow,
)
from vessel_risk.delivery.subscriptions import EVENT_PREFIX, enqueue_subscription_message
from vessel_risk.referral.subscription_store import active_concerns
from vessel_risk.referral.subscriptions import (
    DEFAULT_LEAD_H,
    VesselFacts,
    alert_item,
    arrival_item,
    arrival_kind,
    is_revision,
    matches,
    reasons_summary,
)

QUIET_STATUSES = frozenset({"dismissed", "withdrawn"})
"""Alert statuses whose rescoring tells no one (a person closed them)."""


def crew_nationalities(session: Session, mmsis: Iterable[str]) -> dict[str, frozenset[str]]:
    """Crew nationalities recorded per vessel: its notices' ``crew_nationalities_iso3``
    and its boardings' ``crew_by_nationality`` (country codes only, no person)."""
    wanted = sorted(set(mmsis))
    found: dict[str, set[str]] = {m: set() for m in wanted}
    if not wanted:
        return {}
    for mmsi, payload in session.execute(
        select(ReferralNotice.mmsi, ReferralNotice.payload).where(
            ReferralNotice.mmsi.in_(wanted), ReferralNotice.status != "withdrawn"
        )
    ):
        found[mmsi].update(
            str(c).upper() for c in (payload or {}).get("crew_nationalities_iso3") or []
        )
    for mmsi, crew in session.execute(
        select(Inspection.mmsi, Inspection.crew_by_nationality).where(Inspection.mmsi.in_(wanted))
    ):
        found[mmsi].update(str(c).upper() for c, n in (crew or {}).items() if n)
    return {m: frozenset(v) for m, v in found.items()}


def alert_facts(alert: AlertRow, crew: frozenset[str] = frozenset(), **arrival: Any) -> VesselFacts:
    """The vessel facts of a model alert (``arrival`` overrides port and adds the ETA).

    Raises
    ------
    ValueError
        For a tip's own queue item (no score): tips reach agencies through review and
        referral only, never through subscriptions.
    """
    if alert.score is None or alert.mmsi is None:
        raise ValueError(f"Queue item {alert.id} is a tip's (no score): not a subscription event.")
    detail = alert.detail or {}
    fields: dict[str, Any] = {
        "alert_id": alert.id,
        "mmsi": alert.mmsi,
        "track_id": int(alert.track_id or 0),
        "shipname": alert.shipname,
        "flag_iso3": alert.flag_iso3,
        "flag_inferred_iso3": alert.flag_inferred_iso3,
        "tier": alert.tier,
        "score": float(alert.score),
        "reasons": reasons_summary(detail.get("indicators") or []),
        "port_label": alert.last_port_label,
        "port_iso3": alert.last_port_iso3,
        "crew_nationalities": crew,
    }
    fields.update(arrival)
    return VesselFacts(**fields)


def record_event(
    session: Session,
    sub: Subscription,
    *,
    event_key: str,
    kind: str,
    item: Mapping[str, Any],
    alert_id: int | None = None,
    arrival_id: int | None = None,
    now: datetime | None = None,
) -> SubscriptionEvent | None:
    """Record one event for ``sub`` once (also when a run and the worker match at once),
    and queue its message in ``immediate`` mode.

    Returns
    -------
    SubscriptionEvent or None
        None when ``sub`` already had ``event_key`` (nothing queued again).
    """
    when = as_utc(now) or utcnow()
    values = {
        "subscription_id": sub.id,
        "event_key": event_key,
        "kind": kind,
        "alert_id": alert_id,
        "arrival_id": arrival_id,
        "item": dict(item),
        "created_at": when,
    }
    # ON CONFLICT DO NOTHING: a run and the worker matching at once record an event once,
    # and neither transaction fails for it.
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.flush()
    new_id = session.execute(
        insert(SubscriptionEvent)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["subscription_id", "event_key"])
        .returning(SubscriptionEvent.id)
    ).scalar_one_or_none()
    if new_id is None:
        return None
    event = session.get(SubscriptionEvent, new_id)
    assert event is not None
    if sub.mode == "immediate":
        enqueue_subscription_message(
            session, sub, [event], event_type=EVENT_PREFIX + kind, now=when
        )
    return event


def _run_changes(session: Session, run_id: int) -> list[tuple[AlertRow, str, str, dict[str, Any]]]:
    """(alert, kind, event key, the run's tier and score) of a run's new and revised alerts.

    Read from the run's ``alert.created`` and ``alert.rescored`` audit entries (written
    at the run's start time by :func:`vessel_risk.alerts.persistence.record_run`), so a
    run is told as it was even after later runs moved its alerts on.
    """
    run = session.get(Run, run_id)
    if run is None:
        raise LookupError(f"No run {run_id}.")
    entries = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.entity_type == "alert",
            AuditEntry.action.in_(("alert.created", "alert.rescored")),
            AuditEntry.at == run.started_at,
        )
        .order_by(AuditEntry.id)
    ).all()
    latest = {int(e.entity_id): e for e in entries}
    if not latest:
        return []
    alerts = {a.id: a for a in session.scalars(select(AlertRow).where(AlertRow.id.in_(latest)))}
    out = []
    for alert_id, entry in sorted(latest.items()):
        alert = alerts.get(alert_id)
        if alert is None or alert.status in QUIET_STATUSES:
            continue
        after = dict(entry.after or {})
        told = {k: after[k] for k in ("tier", "score") if after.get(k) is not None}
        if entry.action == "alert.created":
            out.append((alert, "alert.raised", f"alert:{alert_id}:raised", told))
        elif is_revision(entry.before or {}, after):
            out.append((alert, "alert.revised", f"alert:{alert_id}:revised:run{run_id}", told))
    return out


def notify_alerts(session: Session, *, run_id: int, now: datetime | None = None) -> dict[str, int]:
    """Tell every concerned subscription of a run's new and revised alerts.

    Parameters
    ----------
    session : Session
        The run's transaction (or a later one): events and messages commit together.
    run_id : int
        A recorded run (:func:`vessel_risk.alerts.persistence.record_run`): its
        ``alert.created`` entries are raised alerts, its ``alert.rescored`` ones revised
        alerts when :func:`~vessel_risk.referral.subscriptions.is_revision` says so.
    now : datetime, optional

    Returns
    -------
    dict
        ``{"events": alert events considered, "matched": (event, subscription) pairs
        newly recorded}``. Running it twice records nothing new. With no active
        subscription nothing is considered (``events`` 0): the run's alerts are not
        read at all (1.3 s of a run with 10,451 alerts).

    Raises
    ------
    LookupError
        If there is no run ``run_id``.
    """
    subs = active_concerns(session)
    if not subs:
        if session.get(Run, run_id) is None:
            raise LookupError(f"No run {run_id}.")
        return {"events": 0, "matched": 0}
    changes = _run_changes(session, run_id)
    mmsis = {a.mmsi for a, _, _, _ in changes if a.mmsi is not None}
    crew = crew_nationalities(session, mmsis)
    coastal = coastal_of(session, [a.id for a, _, _, _ in changes])
    matched = 0
    for alert, kind, key, told in changes:
        facts = alert_facts(
            alert,
            crew.get(alert.mmsi or "", frozenset()),
            coastal_iso3=coastal.get(alert.id, frozenset()),
            **told,
        )
        for sub, concerns in subs:
            if matches(concerns, facts, kind):
                item = alert_item(facts, kind)
                if record_event(
                    session, sub, event_key=key, kind=kind, item=item, alert_id=alert.id, now=now
                ):
                    matched += 1
    return {"events": len(changes), "matched": matched}


def events_of(session: Session, subscription_id: str) -> Sequence[SubscriptionEvent]:
    """A subscription's events, oldest first."""
    return session.scalars(
        select(SubscriptionEvent)
        .where(SubscriptionEvent.subscription_id == subscription_id)
        .order_by(SubscriptionEvent.created_at, SubscriptionEvent.id)
    ).all()


ARRIVAL_KINDS = ("arrival.expected", "arrival.revised")


def _arrival_prefix(mmsi: str, track_id: int, port_label: str) -> str:
    port = hashlib.sha256(port_label.upper().encode()).hexdigest()[:12]
    return f"arrival:{mmsi}:{track_id}:{port}:"


def _told_etas(session: Session, sub_id: str, prefix: str) -> list[datetime]:
    items = session.scalars(
        select(SubscriptionEvent.item)
        .where(
            SubscriptionEvent.subscription_id == sub_id,
            SubscriptionEvent.event_key.startswith(prefix, autoescape=True),
        )
        .order_by(SubscriptionEvent.created_at, SubscriptionEvent.id)
    ).all()
    out = []
    for item in items:
        eta = (item or {}).get("eta")
        if eta:
            out.append(datetime.fromisoformat(str(eta).replace("Z", "+00:00")))
    return out


def notify_arrivals(
    session: Session, *, now: datetime | None = None, lead_h: float = DEFAULT_LEAD_H
) -> dict[str, int]:
    """Tell every concerned subscription of vessels expected within ``lead_h`` hours.

    Parameters
    ----------
    session : Session
    now : datetime, optional
        Default: the clock (UTC).
    lead_h : float, default 48
        How far ahead an arrival is announced, in hours (issue 18: 48 h).

    Returns
    -------
    dict
        ``{"arrivals": expected arrivals due with an alert, "matched": (event,
        subscription) pairs newly recorded}``.

    Notes
    -----
    Each arrival due within the lead time
    (:func:`vessel_risk.alerts.arrival_store.due_for_notice`: expected, ETA after
    ``now`` and at most ``lead_h`` hours ahead, the vessel's alert tier low or above;
    "insufficient data" never) is matched with its vessel's alert (tier, score, flag,
    reasons) at the arrival's port; an arrival with no alert has no tier and tells no
    one. A subscription hears of one visit once (``arrival.expected``) and again only
    when the ETA moves by :data:`~vessel_risk.referral.subscriptions.MIN_ETA_CHANGE_H`
    hours or more (``arrival.revised``): :func:`~vessel_risk.referral.subscriptions.arrival_kind`.
    Running it again records nothing new.
    """
    when = as_utc(now) or utcnow()
    # One rule of "due" (expected, ETA in (now, now + lead], a tier at all): the
    # alerts layer's; each subscription's own tier is applied by matches().
    due = due_for_notice(session, when, timedelta(hours=lead_h), min_tier="low")
    subs = active_concerns(session) if due else []
    if not subs:
        return {"arrivals": len(due), "matched": 0}
    alerts = {
        a.id: a
        for a in session.scalars(select(AlertRow).where(AlertRow.id.in_({d.alert_id for d in due})))
    }
    crew = crew_nationalities(session, {a.mmsi for a in alerts.values() if a.mmsi is not None})
    coastal = coastal_of(session, alerts)
    matched = 0
    for arrival in due:
        alert = alerts.get(int(arrival.alert_id or 0))
        if alert is None or alert.status in QUIET_STATUSES:
            continue
        eta = as_utc(arrival.eta)
        assert eta is not None
        facts = alert_facts(
            alert,
            crew.get(alert.mmsi or "", frozenset()),
            port_label=arrival.port_label,
            port_iso3=arrival.port_iso3,
            coastal_iso3=coastal.get(alert.id, frozenset()),
            eta=eta,
            eta_low=as_utc(arrival.eta_low),
            eta_high=as_utc(arrival.eta_high),
        )
        prefix = _arrival_prefix(arrival.mmsi, int(arrival.track_id or 0), arrival.port_label)
        for sub, concerns in subs:
            kind = arrival_kind(eta, _told_etas(session, sub.id, prefix))
            if kind is None or not matches(concerns, facts, kind):
                continue
            key = prefix + eta.strftime("%Y%m%dT%H%MZ")
            item = arrival_item(facts, kind)
            if record_event(
                session,
                sub,
                event_key=key,
                kind=kind,
                item=item,
                alert_id=alert.id,
                arrival_id=arrival.id,
                now=when,
            ):
                matched += 1
    return {"arrivals": len(due), "matched": matched}
