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
import math
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import orjson
import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from vessel_risk.alerts.build import Alert
from vessel_risk.alerts.evidence import EvidenceTable, evidence_row_chunks
from vessel_risk.alerts.lifecycle import follow_evidence, next_status
from vessel_risk.db.engine import bulk_insert, bulk_update, json_text, select_in
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
    """``value`` as JSON builtins; NaN and infinities become null (unknown): PostgreSQL's
    JSON type refuses them. Other objects (timestamps, ``pd.NA``) become their ``str``.

    Through :func:`~vessel_risk.db.engine.json_text` (orjson: a fifth of the time of the
    standard library's round trip, the same values)."""
    text = json_text(value)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # the standard encoder's NaN (an int beyond 64 bits)
        return json.loads(text, parse_constant=lambda _: None)


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
    ordered = identity.sort_values(["mmsi", "first_seen"], kind="stable")
    records = _json(ordered[cols].to_dict("records"))
    out: dict[str, list[dict[str, Any]]] = {}
    for mmsi, record in zip(ordered["mmsi"].astype(str), records, strict=True):
        out.setdefault(mmsi, []).append(record)
    return out


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
    evidence: EvidenceTable,
    identity: pd.DataFrame,
    visits: pd.DataFrame,
    inputs: list[str],
    model_version: str,
    counts: dict[str, Any],
    actor: str = "system:run",
) -> int:
    """Store one run: vessels, vessel-periods, a new score each, alerts, evidence.

    Written in bulk (:func:`vessel_risk.db.engine.bulk_insert`: ``COPY`` on PostgreSQL,
    batched core inserts on SQLite), a statement per table rather than a row at a time.
    Every :class:`~vessel_risk.alerts.build.Alert` field with a column of the same name in
    ``alerts`` (or ``vessel_periods``) is written there.

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
    evidence : EvidenceTable
        :func:`vessel_risk.alerts.evidence.evidence_events` (matched to alerts by
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
    values = {"started_at": now, "inputs": inputs, "model_version": model_version}
    stmt = insert(Run).values(**values, counts=_json(counts)).returning(Run.id)
    run_id = int(session.execute(stmt).scalar_one())
    alerts = list(alerts)
    if not alerts:
        return run_id
    session.flush()  # the caller's pending changes before the bulk statements
    keys = [(a.mmsi, a.track_id, a.year) for a in alerts]
    feats = _feature_rows(features, set(keys))
    # the identity histories of the alerted MMSIs only (a third of a run's at 5M)
    alerted = (
        identity
        if identity.empty
        else identity[identity["mmsi"].astype(str).isin({a.mmsi for a in alerts})]
    )
    vessels = _write_vessels(session, alerts, feats, _identity_records(alerted), now)
    periods = _write_periods(session, alerts, feats, now)
    score_ids = bulk_insert(
        session,
        Score.__table__,
        [
            {
                "vessel_period_id": periods[k],
                "run_id": run_id,
                "model_version": a.model_version,
                "score": a.score,
                "tier": a.tier,
                "rank": a.rank,
                "data_note": a.data_note,
                "indicators": [i.model_dump(mode="json") for i in a.indicators],
                "scored_at": now,
            }
            for a, k in zip(alerts, keys, strict=True)
        ],
        returning="id",
    )
    by_key = dict(zip(keys, score_ids, strict=True))
    for chunk in _evidence_rows(evidence, by_key):
        bulk_insert(session, EvidenceEvent.__table__, chunk)
    ports = _last_ports(alerts, visits)
    existing = {  # a tip's queue item on the same vessel stays its own (no vessel-period)
        (r.mmsi, r.track_id, r.year): r
        for r in select_in(
            session,
            [AlertRow.id, AlertRow.mmsi, AlertRow.track_id, AlertRow.year, AlertRow.source]
            + [AlertRow.score, AlertRow.tier, AlertRow.model_version, AlertRow.status],
            AlertRow.mmsi,
            sorted({a.mmsi for a in alerts}),
        )
        if r.source == "model"
    }
    new_rows, updates, audits, followed = [], [], [], []
    for a, k, port in zip(alerts, keys, ports, strict=True):
        fields = {
            **_alert_columns(a),
            "score_id": by_key[k],
            "run_id": run_id,
            "gear": vessels[a.mmsi],
            **port,
            "detail": a.model_dump(mode="json"),
            "updated_at": now,
        }
        after = {"score": a.score, "tier": a.tier, "model_version": a.model_version}
        old = existing.get(k)
        if old is None:
            new_rows.append(
                {**fields, "vessel_period_id": periods[k], "status": "new", "created_at": now}
            )
            continue
        updates.append({**fields, "id": old.id})
        before = {"score": old.score, "tier": old.tier, "model_version": old.model_version}
        audits.append(_audit_row(actor, "alert.rescored", old.id, now, before=before, after=after))
        if follow_evidence(old.status, old.tier, a.tier) is not None:
            followed.append((old.id, old.tier, a.tier))
    bulk_update(session, AlertRow.__table__, "id", updates)
    new_ids = bulk_insert(session, AlertRow.__table__, new_rows, returning="id")
    audits.extend(
        _audit_row(
            actor,
            "alert.created",
            alert_id,
            now,
            after={"score": r["score"], "tier": r["tier"], "model_version": r["model_version"]},
        )
        for alert_id, r in zip(new_ids, new_rows, strict=True)
    )
    bulk_insert(session, AuditEntry.__table__, audits)
    session.expire_all()  # ORM objects loaded before now reload what the bulk writes changed
    for alert_id, old_tier, new_tier in followed:
        _follow_evidence(session, alert_id, old_tier, new_tier, actor=actor)
    return run_id


_ALERT_COLUMNS_SET_HERE = frozenset(
    {"id", "vessel_period_id", "score_id", "run_id", "status", "status_reason", "detail"}
    | {"created_at", "updated_at", "gear"}
)


def _alert_columns(a: Alert) -> dict[str, Any]:
    """Every field of ``a`` that is a column of ``alerts`` (NaN stored as null).

    Generic on purpose: a field added to :class:`~vessel_risk.alerts.build.Alert` with a
    column of the same name in :class:`~vessel_risk.db.tables.AlertRow` is written with
    no change here.
    """
    columns = AlertRow.__table__.columns.keys()
    names = [n for n in type(a).model_fields if n in columns and n not in _ALERT_COLUMNS_SET_HERE]
    return {n: _null_nan(getattr(a, n)) for n in names}


def _period_columns(a: Alert) -> dict[str, Any]:
    """Every field of ``a`` that is a column of ``vessel_periods``."""
    columns = set(VesselPeriod.__table__.columns.keys()) - {"id", "updated_at", "features"}
    return {n: _null_nan(getattr(a, n)) for n in type(a).model_fields if n in columns}


def _null_nan(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def _audit_row(
    actor: str,
    action: str,
    alert_id: int,
    at: datetime,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One audit-log row about an alert, as :func:`vessel_risk.db.tables.audit` writes it."""
    return {
        "at": at,
        "actor": actor,
        "action": action,
        "entity_type": "alert",
        "entity_id": str(alert_id),
        "reason": None,
        "before": before,
        "after": after,
    }


def _feature_rows(
    features: pd.DataFrame, keys: set[tuple[str, int, int]]
) -> dict[tuple[str, int, int], dict[str, Any]]:
    """The JSON-ready feature row of each alerted vessel-year."""
    if features.empty:
        return {}
    track = (
        features["track_id"].fillna(0).astype("int64")
        if "track_id" in features
        else pd.Series(0, index=features.index)
    )
    row_keys = list(
        zip(
            features["mmsi"].astype(str),
            track.tolist(),
            features["year"].astype("int64").tolist(),
            strict=True,
        )
    )
    wanted = [k in keys for k in row_keys]
    records = _json(features[wanted].to_dict("records"))
    return dict(zip([k for k, w in zip(row_keys, wanted, strict=True) if w], records, strict=True))


def _write_vessels(
    session: Session,
    alerts: Sequence[Alert],
    feats: dict[tuple[str, int, int], dict[str, Any]],
    history: dict[str, list[dict[str, Any]]],
    now: datetime,
) -> dict[str, str | None]:
    """Insert or update the ``vessels`` row of each alerted MMSI; return each one's gear.

    Alerts of one MMSI apply in order, the last one's identity winning where it has one.
    """
    names = ["mmsi", "shipname", "callsign", "imo", "flag_iso3", "vessel_id", "gear"]
    names += ["mmsi_valid", "iuu_listed", "identity_history", "first_seen", "last_seen"]
    columns = [getattr(Vessel, n) for n in names]
    mmsis = sorted({a.mmsi for a in alerts})
    state = {r.mmsi: dict(r._mapping) for r in select_in(session, columns, Vessel.mmsi, mmsis)}
    known = set(state)
    for a in alerts:
        v = state.setdefault(a.mmsi, {n: None for n in names} | {"mmsi": a.mmsi})
        v["shipname"] = a.shipname or v["shipname"]
        v["flag_iso3"] = a.flag_iso3
        v["vessel_id"] = a.vessel_id or v["vessel_id"]
        v["mmsi_valid"], v["iuu_listed"] = a.mmsi_valid, a.iuu_listed
        v["gear"] = feats.get((a.mmsi, a.track_id, a.year), {}).get("gear") or v["gear"]
        v["identity_history"] = history.get(a.mmsi, v["identity_history"] or [])
        for f in ("callsign", "imo"):
            values = [h["value"] for h in v["identity_history"] if h["field"] == f]
            if values:
                v[f] = values[-1]
        seen = [as_utc(t) for t in (v["first_seen"], v["last_seen"]) if t is not None]
        v["first_seen"] = min([*seen, as_utc(a.first_seen)])  # type: ignore[type-var]
        v["last_seen"] = max([*seen, as_utc(a.last_seen)])  # type: ignore[type-var]
        v["updated_at"] = now
    table = Vessel.__table__
    bulk_update(session, table, "mmsi", [state[m] for m in mmsis if m in known])
    bulk_insert(session, table, [state[m] for m in mmsis if m not in known])
    return {m: v["gear"] for m, v in state.items()}


def _write_periods(
    session: Session,
    alerts: Sequence[Alert],
    feats: dict[tuple[str, int, int], dict[str, Any]],
    now: datetime,
) -> dict[tuple[str, int, int], int]:
    """Insert or update the vessel-period of each alert; return each one's id by key."""
    found = select_in(
        session,
        [VesselPeriod.id, VesselPeriod.mmsi, VesselPeriod.track_id, VesselPeriod.year],
        VesselPeriod.mmsi,
        sorted({a.mmsi for a in alerts}),
    )
    ids = {(r.mmsi, r.track_id, r.year): int(r.id) for r in found}
    rows: dict[tuple[str, int, int], dict[str, Any]] = {}
    for a in alerts:
        k = (a.mmsi, a.track_id, a.year)
        rows[k] = {
            **_period_columns(a),
            "start": a.first_seen,
            "end": a.last_seen,
            "features": feats.get(k, {}),
            "updated_at": now,
        }
    table = VesselPeriod.__table__
    bulk_update(session, table, "id", [{**r, "id": ids[k]} for k, r in rows.items() if k in ids])
    new = [k for k in rows if k not in ids]
    ids.update(
        zip(new, bulk_insert(session, table, [rows[k] for k in new], returning="id"), strict=True)
    )
    return ids


EVIDENCE_CHUNK_ROWS = 20_000
"""Evidence rows built and inserted at once: a run's Python rows stay this many, however
many events its alerts rest on (1.5 million AIS gaps on a global day of decoded AIS)."""


def _evidence_rows(
    evidence: EvidenceTable, score_ids: dict[tuple[str, int, int], int]
) -> Iterator[list[dict[str, Any]]]:
    """The ``evidence_events`` rows of the alerted vessel-years, each with its score, in
    lists of at most :data:`EVIDENCE_CHUNK_ROWS`."""

    def located(values: pd.Series) -> list[float | None]:
        return [None if pd.isna(v) else float(v) for v in values]

    for ev, details in evidence_row_chunks(evidence, score_ids, EVIDENCE_CHUNK_ROWS):
        yield [
            {
                "score_id": int(sid),
                "kind": kind,
                "start": start,
                "end": end,
                "duration_h": float(h),
                "lat": lat,
                "lon": lon,
                "detail": detail,
            }
            for sid, kind, start, end, h, lat, lon, detail in zip(
                ev["score_id"],
                ev["kind"],
                ev["start"].dt.to_pydatetime(),
                ev["end"].dt.to_pydatetime(),
                ev["duration_h"],
                located(ev["lat"]),
                located(ev["lon"]),
                _json(details),
                strict=True,
            )
        ]


def _last_ports(alerts: Sequence[Alert], visits: pd.DataFrame) -> list[dict[str, Any]]:
    """The last port visit of each alert's track that started by its last position."""
    none: dict[str, Any] = {
        "last_port_label": None,
        "last_port_iso3": None,
        "last_port_departure": None,
    }
    last = _last_visits(visits)
    if last.empty:
        return [dict(none) for _ in alerts]
    left = pd.DataFrame(
        {
            "i": range(len(alerts)),
            "mmsi": [a.mmsi for a in alerts],
            "track_id": [a.track_id for a in alerts],
            "at": pd.to_datetime([a.last_seen for a in alerts], utc=True),
        }
    )
    right = last.assign(start=pd.to_datetime(last["start"], utc=True))
    left["at"] = left["at"].astype(right["start"].dtype)
    right = right.astype({"track_id": "int64"}).sort_values("start", kind="stable")
    found = pd.merge_asof(
        left.sort_values("at", kind="stable"),
        right,
        left_on="at",
        right_on="start",
        by=["mmsi", "track_id"],
        direction="backward",
    ).set_index("i")
    out = []
    found = found.sort_index()
    for port in found[["start", "port_label", "port_iso3", "end"]].to_dict("records"):
        if pd.isna(port["start"]):
            out.append(dict(none))
            continue
        out.append(
            {
                "last_port_label": str(port["port_label"]),
                "last_port_iso3": None if pd.isna(port["port_iso3"]) else str(port["port_iso3"]),
                "last_port_departure": pd.Timestamp(port["end"]).to_pydatetime(),
            }
        )
    return out


def _follow_evidence(session: Session, alert_id: int, old: str, new: str, *, actor: str) -> None:
    """Withdraw, reopen or flag an alert whose tier late data changed (``follow_evidence``)."""
    status = session.scalar(select(AlertRow.status).where(AlertRow.id == alert_id))
    assert status is not None
    change = follow_evidence(status, old, new)
    if change is None:
        return
    if change.to is not None:
        transition(session, alert_id, change.to, actor=actor, reason=change.reason)
        return
    audit(
        session,
        actor=actor,
        action="alert.evidence_changed",
        entity_type="alert",
        entity_id=alert_id,
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
