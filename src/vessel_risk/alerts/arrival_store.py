"""Expected arrivals in the database: written at the end of every run, revised, read back.

:func:`record_arrivals` stores the predictions of :mod:`vessel_risk.events.arrivals` in
``expected_arrivals`` (:class:`vessel_risk.db.tables.ExpectedArrival`): a vessel track
has at most one ``expected`` row; a later run revises it in place when it predicts the
same port, and otherwise closes it (``arrived`` when the track's port visits show it
reached that port after the prediction, ``missed`` when its window passed without,
``superseded`` otherwise) before adding the new one. Every status change is audited.
:func:`queued_arrivals` reads them back with each vessel's current alert
(:class:`vessel_risk.alerts.arrivals.QueuedArrival`); :func:`due_for_notice` picks those a
port inspector is to be told of now.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vessel_risk.alerts.arrivals import (
    NOTICE_LEAD,
    NOTICE_MIN_TIER,
    QueuedArrival,
    arrivals_due_for_notice,
)
from vessel_risk.alerts.queue import MODEL
from vessel_risk.db.tables import AlertRow, ExpectedArrival, as_utc, audit, utcnow
from vessel_risk.model.indicators import TIER_LEVEL

MISSED_GRACE = timedelta(hours=24)
"""An arrival not seen this long after the end of its window (``eta_high``, else
``eta``) is ``missed``."""


def _ts(value: Any) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    return as_utc(pd.Timestamp(value).floor("s").to_pydatetime())


def _current_alerts(session: Session, mmsis: list[str]) -> dict[tuple[str, int], AlertRow]:
    """The strongest alert of each track (tier, score, year), not dismissed or withdrawn:
    the rule of the port queue (:func:`vessel_risk.api.crud.port_queue`)."""
    best: dict[tuple[str, int], AlertRow] = {}
    for start in range(0, len(mmsis), 500):
        stmt = select(AlertRow).where(
            AlertRow.mmsi.in_(mmsis[start : start + 500]),
            AlertRow.source == MODEL,  # a tip's own item has no score: not a queue's rank
            AlertRow.status.not_in(("dismissed", "withdrawn")),
        )
        for r in session.scalars(stmt):
            assert r.mmsi is not None and r.score is not None  # a model alert's
            key = (r.mmsi, r.track_id)
            strength = (TIER_LEVEL.get(r.tier, 0), r.score, r.year)
            old = best.get(key)
            if old is None or strength > (TIER_LEVEL.get(old.tier, 0), old.score or 0.0, old.year):
                best[key] = r
    return best


def _arrived(row: ExpectedArrival, visits: pd.DataFrame | None) -> datetime | None:
    """When the track's visits show it reached the row's port after the prediction."""
    if visits is None or visits.empty:
        return None
    stored = (row.detail or {}).get("as_of")  # to the nanosecond, as predicted
    predicted = as_utc(row.predicted_at) or row.predicted_at
    as_of: Any = pd.Timestamp(stored) if stored else pd.Timestamp(predicted)
    track = visits["track_id"] if "track_id" in visits.columns else 0
    hit = visits[
        (visits["mmsi"] == row.mmsi)
        & (track == row.track_id)
        & (visits["port_label"] == row.port_label)
        & (visits["start"] > as_of)
    ]
    return _ts(hit["start"].min()) if len(hit) else None


def _close(
    session: Session,
    row: ExpectedArrival,
    status: str,
    now: datetime,
    actor: str,
    reason: str,
    arrived_at: datetime | None = None,
) -> None:
    before = {"status": row.status}
    row.status = status
    row.updated_at = now
    if arrived_at is not None:
        row.detail = {**(row.detail or {}), "arrived_at": arrived_at.isoformat()}
    audit(
        session,
        actor=actor,
        action="arrival.status",
        entity_type="expected_arrival",
        entity_id=row.id,
        reason=reason,
        before=before,
        after={"status": status},
    )


def _fields(p: Any, alert: AlertRow | None) -> dict[str, Any]:
    return {
        "vessel_id": p.vessel_id if isinstance(p.vessel_id, str) else None,
        "alert_id": alert.id if alert is not None else None,
        "port_label": str(p.port_label),
        "port_iso3": p.port_iso3 if isinstance(p.port_iso3, str) else None,
        "eta": _ts(p.eta),
        "eta_low": _ts(p.eta_low),
        "eta_high": _ts(p.eta_high),
        "method": str(p.method),
        "confidence": float(p.confidence),
        "detail": {
            **dict(p.evidence),
            "as_of": str(pd.Timestamp(p.as_of)),
            "insufficient_data": bool(p.insufficient_data),
        },
    }


def record_arrivals(
    session: Session,
    predictions: pd.DataFrame,
    *,
    run_id: int | None,
    visits: pd.DataFrame | None = None,
    now: datetime | None = None,
    actor: str = "system:run",
) -> dict[str, int]:
    """Store a run's predictions, revising each track's open one rather than adding a copy.

    Parameters
    ----------
    session : Session
        Committed by the caller.
    predictions : DataFrame
        :func:`vessel_risk.events.arrivals.predict_arrivals` (one row per track).
    run_id : int or None
        The run that made them.
    visits : DataFrame, optional
        The run's port visits (``mmsi``, ``track_id``, ``port_label``, ``start``): an open
        prediction whose port the track reached after it becomes ``arrived``.
    now : datetime, optional
        UTC; default the current time.
    actor : str, default "system:run"

    Returns
    -------
    dict
        Counts: ``added``, ``revised``, ``arrived``, ``missed``, ``superseded``.
    """
    now = now or utcnow()
    counts = dict.fromkeys(("added", "revised", "arrived", "missed", "superseded"), 0)
    if predictions.empty:
        return counts
    mmsis = sorted({str(m) for m in predictions["mmsi"]})
    open_rows: dict[tuple[str, int], ExpectedArrival] = {}
    for start in range(0, len(mmsis), 500):
        stmt = select(ExpectedArrival).where(
            ExpectedArrival.mmsi.in_(mmsis[start : start + 500]),
            ExpectedArrival.status == "expected",
        )
        for r in session.scalars(stmt.order_by(ExpectedArrival.id)):
            old = open_rows.get((r.mmsi, r.track_id))
            if old is not None:  # never two open rows per track; keep the latest
                _close(session, old, "superseded", now, actor, "a newer prediction")
                counts["superseded"] += 1
            open_rows[(r.mmsi, r.track_id)] = r
    alerts = _current_alerts(session, mmsis)
    p: Any
    for p in predictions.itertuples(index=False):
        key = (str(p.mmsi), int(p.track_id))
        fields = _fields(p, alerts.get(key))
        row = open_rows.get(key)
        if row is not None:
            arrived_at = _arrived(row, visits)
            as_of = _ts(p.as_of)
            window_end = as_utc(row.eta_high or row.eta)
            if arrived_at is not None:
                _close(session, row, "arrived", now, actor, "port visit seen", arrived_at)
                counts["arrived"] += 1
            elif row.port_label == fields["port_label"]:
                for name, value in fields.items():
                    setattr(row, name, value)
                row.run_id, row.predicted_at, row.updated_at = run_id, now, now
                counts["revised"] += 1
                continue
            elif as_of is not None and window_end is not None and as_of > window_end + MISSED_GRACE:
                _close(session, row, "missed", now, actor, "window passed without a visit")
                counts["missed"] += 1
            else:
                _close(session, row, "superseded", now, actor, "another port predicted")
                counts["superseded"] += 1
        session.add(
            ExpectedArrival(
                mmsi=key[0],
                track_id=key[1],
                **fields,
                predicted_at=now,
                run_id=run_id,
                status="expected",
                created_at=now,
                updated_at=now,
            )
        )
        counts["added"] += 1
    session.flush()
    return counts


def _queued(row: ExpectedArrival, alert: AlertRow | None) -> QueuedArrival:
    detail = dict(row.detail or {})
    return QueuedArrival(
        id=row.id,
        mmsi=row.mmsi,
        track_id=row.track_id,
        port_label=row.port_label,
        port_iso3=row.port_iso3,
        eta=as_utc(row.eta) or row.eta,
        eta_low=as_utc(row.eta_low),
        eta_high=as_utc(row.eta_high),
        method=row.method,
        confidence=row.confidence,
        insufficient_data=bool(detail.get("insufficient_data", False)),
        status=row.status,
        alert_id=row.alert_id,
        vessel_id=row.vessel_id,
        tier=alert.tier if alert is not None else None,
        score=alert.score if alert is not None else None,
        shipname=alert.shipname if alert is not None else None,
        flag_iso3=alert.flag_iso3 if alert is not None else None,
        detail=detail,
    )


def queued_arrivals(
    session: Session,
    *,
    port_label: str | None = None,
    status: Iterable[str] = ("expected",),
) -> list[QueuedArrival]:
    """Stored arrivals with their vessel's current alert tier and score.

    Parameters
    ----------
    session : Session
    port_label : str, optional
        Only this port (case-insensitive).
    status : iterable of str, default ("expected",)

    Returns
    -------
    list of QueuedArrival
        In id order; rank them with :func:`vessel_risk.alerts.arrivals.rank_arrivals`.
    """
    stmt = (
        select(ExpectedArrival, AlertRow)
        .outerjoin(AlertRow, AlertRow.id == ExpectedArrival.alert_id)
        .where(ExpectedArrival.status.in_(list(status)))
        .order_by(ExpectedArrival.id)
    )
    if port_label is not None:
        stmt = stmt.where(func.upper(ExpectedArrival.port_label) == port_label.upper())
    return [_queued(row, alert) for row, alert in session.execute(stmt).all()]


def arrival_port_iso3(session: Session, port_label: str) -> str | None:
    """The country (ISO3) stored with predicted arrivals at ``port_label``, or None."""
    return session.scalars(
        select(ExpectedArrival.port_iso3)
        .where(
            func.upper(ExpectedArrival.port_label) == port_label.upper(),
            ExpectedArrival.port_iso3.is_not(None),
        )
        .limit(1)
    ).first()


def due_for_notice(
    session: Session,
    now: datetime | None = None,
    lead: timedelta = NOTICE_LEAD,
    min_tier: str = NOTICE_MIN_TIER,
) -> list[QueuedArrival]:
    """The stored arrivals a port inspector is to be told of at ``now``
    (:func:`vessel_risk.alerts.arrivals.arrivals_due_for_notice` over
    :func:`queued_arrivals`): expected, within ``lead`` (48 h by default), vessel's
    current tier ``min_tier`` ("high") or above. Delivery tells each subscriber once.

    Raises
    ------
    ValueError
        As :func:`~vessel_risk.alerts.arrivals.arrivals_due_for_notice`.
    """
    return arrivals_due_for_notice(queued_arrivals(session), now or utcnow(), lead, min_tier)
