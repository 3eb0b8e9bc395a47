"""Alerts: built from scores, exported, and reviewed through their lifecycle.

Modules
-------
build
    :class:`Alert` records ranked by score, with the indicators and events behind them.
evidence
    The events behind alerts as one table, details kept as columns until written.
export
    Alerts as ``alerts.csv`` and ``alerts.geojson``.
lifecycle
    The review rules, pure: allowed status changes, reasons, what late data does.
persistence
    The database side: a run's alerts recorded, status changes audited, history read.
"""

from vessel_risk.alerts.build import CAVEAT, Alert, IndicatorEvidence, build_alerts
from vessel_risk.alerts.evidence import EvidenceTable, evidence_events
from vessel_risk.alerts.export import (
    alerts_frame,
    alerts_geojson,
    write_alerts_csv,
    write_alerts_geojson,
)
from vessel_risk.alerts.lifecycle import (
    REASON_REQUIRED,
    STATUSES,
    TRANSITIONS,
    EvidenceChange,
    TransitionError,
    follow_evidence,
    next_status,
)
from vessel_risk.alerts.persistence import alert_history, record_run, transition

__all__ = [
    "CAVEAT",
    "REASON_REQUIRED",
    "STATUSES",
    "TRANSITIONS",
    "Alert",
    "EvidenceChange",
    "EvidenceTable",
    "IndicatorEvidence",
    "TransitionError",
    "alert_history",
    "alerts_frame",
    "alerts_geojson",
    "build_alerts",
    "evidence_events",
    "follow_evidence",
    "next_status",
    "record_run",
    "transition",
    "write_alerts_csv",
    "write_alerts_geojson",
]
