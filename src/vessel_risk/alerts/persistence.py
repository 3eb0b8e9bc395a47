"""Alerts in the database: runs recorded without losing history, status changes audited.

Thin adapters around the rules of :mod:`vessel_risk.alerts.lifecycle`: every status
change writes one audit-log entry (who, when, what, why) in the caller's transaction.

Re-scoring a vessel-period adds a score row and moves the alert to it; the old scores
and their evidence stay. When late data changes an alert's tier,
:func:`vessel_risk.alerts.lifecycle.follow_evidence` decides whether it is withdrawn,
reopened, or (referred) left for a person to decide.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.alerts.build import ALERT_SCORE_FIELDS, Alert
from vessel_risk.alerts.lifecycle import follow_evidence, next_status
from vessel_risk.db.tables import (
    AlertRow,
    AuditEntry,
    EvidenceEvent,
    Run,
    Score,
    Vessel,
    VesselPeriod,
    as_utc,
    audit,
    utcnow,
)


def _json(value: object) -> Any:
    # Null means unknown (issue 14): NaN and infinities become JSON null, which
    # PostgreSQL's json type accepts (it refuses the NaN token).
    return json.loads(json.dumps(value, default=str), parse_constant=lambda _: None)


def transition(
    session: Session,
    alert_id: int,
    to: str,
    *,
    actor: str,
    reason: str | None = None,
    via_notice: bool = False,
) -> AlertRow:
    """Move an alert to status ``to``, auditing who, when and why.

    Parameters
    ----------
    session : Session
        Committed by the caller.
    alert_id : int
    to : str
        One of :data:`vessel_risk.alerts.lifecycle.STATUSES`.
    actor : str
        Who makes the change.
    reason : str, optional
        Required for ``dismissed``, ``withdrawn`` and for reopening.
    via_notice : bool, default False
        Set by :mod:`vessel_risk.referral.notices` only: an alert becomes ``referred`` when a
        notice is approved, and goes back under review when its notice is withdrawn.

    Returns
    -------
    AlertRow

    Raises
    ------
    LookupError
        If there is no alert ``alert_id``.
    TransitionError
        If :func:`vessel_risk.alerts.lifecycle.next_status` refuses the change: it is not
        in ``TRANSITIONS``, a needed reason is missing, or the change to or from
        ``referred`` does not come from a notice.
    """
    alert = session.get(AlertRow, alert_id)
    if alert is None:
        raise LookupError(f"No alert {alert_id}.")
    next_status(alert.status, to, alert_id=alert_id, reason=reason, via_notice=via_notice)
    before = {"status": alert.status, "status_reason": alert.status_reason}
    alert.status = to
    alert.status_reason = reason
    alert.updated_at = utcnow()
    audit(
        session,
        actor=actor,
        action="alert.status",
        entity_type="alert",
        entity_id=alert_id,
        reason=reason,
        before=before,
        after={"status": to, "status_reason": reason},
    )
    return alert


def _identity_records(identity: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    if identity.empty:
        return {}
    cols = ["field", "value", "first_seen", "last_seen", "messages"]
    return {
        str(m): _json(g[cols].sort_values("first_seen").to_dict("records"))
        for m, g in identity.groupby("mmsi", sort=False)
    }


VESSEL_YEAR = ("mmsi", "track_id", "year")
"""The key of a vessel-year: the MMSI, its transmitter track (0 = the first) and the year."""


def _with_track(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``track_id`` (int, 0 where the frame has none: one track per MMSI)."""
    out = frame.copy()
    out["track_id"] = out["track_id"].fillna(0).astype("int64") if "track_id" in out else 0
    out["mmsi"] = out["mmsi"].astype(str)
    return out


def _key(row: dict[str, Any]) -> tuple[str, int, int]:
    return (str(row["mmsi"]), int(row.get("track_id") or 0), int(row["year"]))


def _last_visits(visits: pd.DataFrame) -> pd.DataFrame:
    cols = ["mmsi", "track_id", "port_label", "port_iso3", "start", "end"]
    if visits.empty:
        return pd.DataFrame(columns=cols)
    return _with_track(visits)[cols].sort_values(["mmsi", "track_id", "start"])


def record_run(
    session: Session,
    *,
    alerts: Sequence[Alert],
    features: pd.DataFrame,
    evidence: pd.DataFrame,
    identity: pd.DataFrame,
    visits: pd.DataFrame,
    inputs: list[str],
    model_version: str,
    counts: dict[str, Any],
    actor: str = "system:run",
) -> int:
    """Store one run: vessels, vessel-periods, a new score each, alerts, evidence.

    A vessel-year is keyed by (``mmsi``, ``track_id``, ``year``): two transmitter tracks
    of one MMSI in one year are two vessel-periods with an alert each. Existing alerts
    of the same vessel-years move to the new score and keep their status and history;
    :func:`vessel_risk.alerts.lifecycle.follow_evidence` decides when late data withdraws
    or reopens one.

    Parameters
    ----------
    session : Session
        Committed by the caller.
    alerts : sequence of Alert
        Ranked alerts (:func:`vessel_risk.alerts.build.build_alerts`).
    features : DataFrame
        Vessel-year features the alerts were built from (one row per ``mmsi``,
        ``track_id``, ``year``; without ``track_id``, track 0).
    evidence : DataFrame
        :func:`vessel_risk.alerts.build.evidence_events` (matched to alerts by
        ``mmsi``, ``track_id``, ``year``).
    identity : DataFrame
        :func:`vessel_risk.identity.history.identity_history`.
    visits : DataFrame
        Port visits (``PortVisitSchema``): the last one of the alert's track before its
        last position is its last port.
    inputs : list of str
        The AIS files read.
    model_version : str
    counts : dict
        Ingest and cleaning counts, stored with the run.
    actor : str, default "system:run"

    Returns
    -------
    int
        The run's id.
    """
    now = utcnow()
    run = Run(started_at=now, inputs=inputs, model_version=model_version, counts=_json(counts))
    session.add(run)
    session.flush()
    mmsis = sorted({a.mmsi for a in alerts})
    vessels = {v.mmsi: v for v in session.scalars(select(Vessel).where(Vessel.mmsi.in_(mmsis)))}
    periods = {
        (p.mmsi, p.track_id, p.year): p
        for p in session.scalars(select(VesselPeriod).where(VesselPeriod.mmsi.in_(mmsis)))
    }
    found = session.scalars(select(AlertRow).where(AlertRow.mmsi.in_(mmsis)))
    existing = {(a.mmsi, a.track_id, a.year): a for a in found}
    feats = {_key(r): r for r in _json(features.to_dict("records"))}
    history = _identity_records(identity)
    events = (
        {key: g for key, g in _with_track(evidence).groupby(list(VESSEL_YEAR), sort=False)}
        if len(evidence)
        else {}
    )
    last_visits = _last_visits(visits)
    visits_by_track = {
        (str(g["mmsi"].iloc[0]), int(g["track_id"].iloc[0])): g
        for _, g in last_visits.groupby(["mmsi", "track_id"], sort=False)
    }

    for a in alerts:
        key = (a.mmsi, a.track_id, a.year)
        row = feats.get(key, {})
        vessel = vessels.get(a.mmsi)
        if vessel is None:
            vessel = Vessel(mmsi=a.mmsi, first_seen=a.first_seen)
            session.add(vessel)
            vessels[a.mmsi] = vessel
        vessel.shipname = a.shipname or vessel.shipname
        vessel.flag_iso3 = a.flag_iso3
        vessel.vessel_id = a.vessel_id or vessel.vessel_id
        vessel.mmsi_valid = a.mmsi_valid
        vessel.iuu_listed = a.iuu_listed
        vessel.gear = row.get("gear") or vessel.gear
        vessel.identity_history = history.get(a.mmsi, vessel.identity_history or [])
        for f in ("callsign", "imo"):
            values = [h["value"] for h in vessel.identity_history if h["field"] == f]
            if values:
                setattr(vessel, f, values[-1])
        seen = [as_utc(t) for t in (vessel.first_seen, vessel.last_seen) if t is not None]
        vessel.first_seen = min([*seen, as_utc(a.first_seen)])  # type: ignore[type-var]
        vessel.last_seen = max([*seen, as_utc(a.last_seen)])  # type: ignore[type-var]
        vessel.updated_at = now

        period = periods.get(key)
        if period is None:
            period = VesselPeriod(mmsi=a.mmsi, track_id=a.track_id, year=a.year)
            session.add(period)
            periods[key] = period
        period.start, period.end = a.first_seen, a.last_seen
        period.position_messages = a.position_messages
        period.days_observed = a.days_observed
        period.features = row
        period.updated_at = now
        session.flush()

        indicators = [i.model_dump(mode="json") for i in a.indicators]
        score = Score(
            vessel_period_id=period.id,
            run_id=run.id,
            model_version=a.model_version,
            score=a.score,
            tier=a.tier,
            rank=a.rank,
            data_note=a.data_note,
            indicators=indicators,
            scored_at=now,
        )
        session.add(score)
        session.flush()
        ev = events.get(key)
        if ev is not None:
            session.add_all(
                EvidenceEvent(
                    score_id=score.id,
                    kind=e["kind"],
                    start=e["start"].to_pydatetime(),
                    end=e["end"].to_pydatetime(),
                    duration_h=float(e["duration_h"]),
                    lat=None if pd.isna(e["lat"]) else float(e["lat"]),
                    lon=None if pd.isna(e["lon"]) else float(e["lon"]),
                    detail=_json(e["detail"]),
                )
                for e in ev.to_dict("records")
            )
        port = None
        vv = visits_by_track.get((a.mmsi, a.track_id))
        if vv is not None:
            before_last = vv[vv["start"] <= pd.Timestamp(a.last_seen)]
            if len(before_last):
                port = before_last.iloc[-1]
        fields = {
            "score_id": score.id,
            "run_id": run.id,
            "vessel_id": a.vessel_id,
            "vessel_class": a.vessel_class,
            "shipname": a.shipname,
            "flag_iso3": a.flag_iso3,
            "flag_inferred_iso3": a.flag_inferred_iso3,
            "flag_inferred_source": a.flag_inferred_source,
            "flag_inferred_confidence": a.flag_inferred_confidence,
            "gear": vessel.gear,
            "score": a.score,
            "tier": a.tier,
            "rank": a.rank,
            "model_version": a.model_version,
            # Issue 14: where the model applies, the score's place and spread, coverage.
            **{name: getattr(a, name) for name in ALERT_SCORE_FIELDS},
            "last_lat": a.last_lat,
            "last_lon": a.last_lon,
            "last_seen": a.last_seen,
            "last_port_label": None if port is None else str(port["port_label"]),
            "last_port_iso3": None
            if port is None or pd.isna(port["port_iso3"])
            else str(port["port_iso3"]),
            "last_port_departure": None if port is None else port["end"].to_pydatetime(),
            "detail": a.model_dump(mode="json"),
            "updated_at": now,
        }
        alert = existing.get(key)
        if alert is None:
            alert = AlertRow(
                vessel_period_id=period.id,
                mmsi=a.mmsi,
                track_id=a.track_id,
                year=a.year,
                status="new",
                created_at=now,
                **fields,
            )
            session.add(alert)
            session.flush()
            audit(
                session,
                actor=actor,
                action="alert.created",
                entity_type="alert",
                entity_id=alert.id,
                after={"score": a.score, "tier": a.tier, "model_version": a.model_version},
            )
            continue
        old_tier = alert.tier
        before = {"score": alert.score, "tier": old_tier, "model_version": alert.model_version}
        for name, value in fields.items():
            setattr(alert, name, value)
        after = {"score": a.score, "tier": a.tier, "model_version": a.model_version}
        audit(
            session,
            actor=actor,
            action="alert.rescored",
            entity_type="alert",
            entity_id=alert.id,
            before=before,
            after=after,
        )
        _follow_evidence(session, alert, old_tier, a.tier, actor=actor)
    return int(run.id)


def _follow_evidence(session: Session, alert: AlertRow, old: str, new: str, *, actor: str) -> None:
    """Withdraw, reopen or flag an alert whose tier late data changed (``follow_evidence``)."""
    change = follow_evidence(alert.status, old, new)
    if change is None:
        return
    if change.to is not None:
        transition(session, alert.id, change.to, actor=actor, reason=change.reason)
        return
    audit(
        session,
        actor=actor,
        action="alert.evidence_changed",
        entity_type="alert",
        entity_id=alert.id,
        reason=change.reason,
    )


def alert_history(session: Session, alert_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every score of an alert's vessel-period and every audit entry about it.

    Returns
    -------
    dict with ``scores`` (oldest first: ``score_id``, ``scored_at``,
    ``model_version``, ``score``, ``tier``) and ``audit`` (oldest first: ``at``,
    ``actor``, ``action``, ``reason``, ``before``, ``after``).

    Raises
    ------
    LookupError
        If there is no alert ``alert_id``.
    """
    alert = session.get(AlertRow, alert_id)
    if alert is None:
        raise LookupError(f"No alert {alert_id}.")
    scores = session.scalars(
        select(Score).where(Score.vessel_period_id == alert.vessel_period_id).order_by(Score.id)
    )
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type == "alert", AuditEntry.entity_id == str(alert_id))
        .order_by(AuditEntry.id)
    )
    return {
        "scores": [
            {
                "score_id": s.id,
                "scored_at": s.scored_at,
                "model_version": s.model_version,
                "score": s.score,
                "tier": s.tier,
            }
            for s in scores
        ],
        "audit": [
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "reason": e.reason,
                "before": e.before,
                "after": e.after,
            }
            for e in entries
        ],
    }
