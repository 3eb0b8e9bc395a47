"""The database read into the frames of :mod:`vessel_risk.referral.monitoring`.

Session side of the monitoring figures: alerts and their status history (the audit log's
``alert.status`` entries), inspections, cases with their transitions, follow-ups and
transfers. A person's nationality, gender and age group come from their intake, read
through :func:`vessel_risk.referral.case_store.read_intake` (so every read is audited
and nothing is read past retention), and only for the cases a figure of the window
counts. The frames hold no name and no free text about a person beyond the gender as
stated; what leaves this module is aggregated by
:func:`~vessel_risk.referral.monitoring.compute_figures`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.alerts.queue import MODEL
from vessel_risk.db.tables import (
    AlertRow,
    AuditEntry,
    Case,
    CaseFollowUp,
    CaseTransfer,
    CaseTransition,
    Inspection,
    as_utc,
    utcnow,
)
from vessel_risk.referral.case_store import read_intake
from vessel_risk.referral.monitoring import (
    FRAME_COLUMNS,
    MonitoringFrames,
    age_group,
    compute_figures,
)

MONITORING_ACTOR = "system:monitoring"
"""The audit log's actor of the intake reads monitoring makes when no caller is named."""


def _frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(FRAME_COLUMNS[name]))


def _utc(t: datetime | date) -> datetime:
    if isinstance(t, datetime):
        out = as_utc(t)
        assert out is not None
        return out
    return as_utc(datetime(t.year, t.month, t.day)) or datetime.min


def _in(t: datetime | None, lo: datetime, hi: datetime) -> bool:
    u = as_utc(t)
    return u is not None and lo <= u < hi


def monitoring_frames(
    session: Session,
    start: datetime | date,
    end: datetime | date,
    *,
    actor: str = MONITORING_ACTOR,
    now: datetime | None = None,
) -> MonitoringFrames:
    """Read the mechanism's records into :class:`~.monitoring.MonitoringFrames`.

    Parameters
    ----------
    session : Session
        Intake reads write audit entries to it: the caller commits.
    start, end : datetime or date
        The window (UTC; naive read as UTC; end excluded). Records after ``end`` are left
        out; records before ``start`` are read where a figure of the window needs them
        (the alert of a boarding, a case whose follow-up falls in the window).
    actor : str
        Who reads, for the audit entries of the intake reads (an API client's
        ``<agency>/<client>``).
    now : datetime, optional
        The present, against which each case's retention is checked (tests); default
        the current time.

    Returns
    -------
    MonitoringFrames
        Persons' nationality, gender and age group are read only for cases that a figure
        of the window counts; a case past retention reads ``unknown`` (its age group
        ``child`` for a child's case).
    """
    lo, hi = _utc(start), _utc(end)
    # the model's vessel-years; a tip's own queue item is not an alert (see FIGURES)
    alerts = session.scalars(
        select(AlertRow).where(AlertRow.created_at < hi, AlertRow.source == MODEL)
    ).all()
    inspections = session.scalars(select(Inspection).where(Inspection.inspected_at < hi)).all()
    cases = session.scalars(select(Case).where(Case.created_at < hi).order_by(Case.id)).all()
    case_ids = {c.id for c in cases}
    statuses = session.execute(
        select(AuditEntry.entity_id, AuditEntry.at, AuditEntry.after).where(
            AuditEntry.action == "alert.status", AuditEntry.entity_type == "alert"
        )
    ).all()
    transitions = session.execute(
        select(CaseTransition.case_id, CaseTransition.to_state, CaseTransition.at).where(
            CaseTransition.at < hi
        )
    ).all()
    follow_ups = session.scalars(select(CaseFollowUp)).all()
    transfers = session.scalars(select(CaseTransfer).where(CaseTransfer.requested_at < hi)).all()

    counted = {c.id for c in cases if _in(c.created_at, lo, hi)}
    counted |= {c.id for c in cases if _in(c.reflection_started_at, lo, hi)}
    counted |= {f.case_id for f in follow_ups if _in(f.due_at, lo, hi)}
    counted |= {t.case_id for t in transfers if _in(t.requested_at, lo, hi)}
    case_rows = []
    for c in cases:
        intake = read_intake(session, c.id, actor=actor, now=now) if c.id in counted else None
        intake = intake or {}
        case_rows.append(
            {
                "case_id": c.id,
                "screened_at": as_utc(c.created_at),
                "presumed_victim": bool(c.presumed_victim),
                "child": bool(c.child),
                "inspection_id": c.inspection_id,
                "alert_id": c.alert_id,
                "reflection_started_at": as_utc(c.reflection_started_at),
                "reflection_ends_at": as_utc(c.reflection_ends_at),
                "assistance_started_at": as_utc(c.assistance_started_at),
                "state": c.state_iso3,
                "nationality": intake.get("nationality_iso3"),
                "gender": intake.get("gender"),
                "age_group": age_group(intake, child=bool(c.child)),
            }
        )
    return MonitoringFrames(
        alerts=_frame(
            "alerts",
            [
                {
                    "alert_id": a.id,
                    "raised_at": as_utc(a.created_at),
                    "state": a.last_port_iso3,
                    "port": a.last_port_label,
                    "flag": a.flag_iso3,
                }
                for a in alerts
            ],
        ),
        alert_statuses=_frame(
            "alert_statuses",
            [
                {"alert_id": int(eid), "at": as_utc(at), "status": (after or {}).get("status")}
                for eid, at, after in statuses
                if str(eid).isdigit()
            ],
        ),
        inspections=_frame(
            "inspections",
            [
                {
                    "inspection_id": i.id,
                    "alert_id": i.alert_id,
                    "inspected_at": as_utc(i.inspected_at),
                    "outcome": i.outcome,
                    "state": i.port_iso3,
                    "port": i.port_label,
                }
                for i in inspections
            ],
        ),
        cases=_frame("cases", case_rows),
        transitions=_frame(
            "transitions",
            [
                {"case_id": cid, "to_state": to, "at": as_utc(at)}
                for cid, to, at in transitions
                if cid in case_ids
            ],
        ),
        follow_ups=_frame(
            "follow_ups",
            [
                {
                    "case_id": f.case_id,
                    "months": f.months,
                    "due_at": as_utc(f.due_at),
                    "done_at": as_utc(f.done_at),
                    "indicators": f.indicators if f.case_id in counted else None,
                }
                for f in follow_ups
                if f.case_id in case_ids
            ],
        ),
        transfers=_frame(
            "transfers",
            [
                {
                    "case_id": t.case_id,
                    "purpose": t.purpose,
                    "status": t.status,
                    "requested_at": as_utc(t.requested_at),
                }
                for t in transfers
                if t.case_id in case_ids
            ],
        ),
    )


def monitoring_figures(
    session: Session,
    start: datetime | date,
    end: datetime | date,
    *,
    actor: str = MONITORING_ACTOR,
    now: datetime | None = None,
    where: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The monitoring figures of the database over ``[start, end)``: read, then compute.

    :func:`monitoring_frames` then :func:`~vessel_risk.referral.monitoring.compute_figures`
    (``where`` as there), with statuses read as of the earlier of ``end`` and ``now``
    (default the current time): a follow-up due after today is not yet due. The caller
    commits (the intake reads are audited).
    """
    present = as_utc(now) or utcnow()
    frames = monitoring_frames(session, start, end, actor=actor, now=present)
    asof = min(_utc(end), present)
    return compute_figures(frames, start, end, asof=asof, where=where)
