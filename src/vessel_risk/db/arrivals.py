"""The table of expected arrivals (issue 18): each vessel's predicted next port and time.

Part of the database described in :mod:`vessel_risk.db.tables` (which re-exports
:class:`ExpectedArrival`). The prediction itself is pure code in
:mod:`vessel_risk.events.arrivals`; :mod:`vessel_risk.alerts.arrivals` writes the rows at
the end of every run and revises them on later runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from vessel_risk.db.base import Base

ARRIVAL_STATUSES = ("expected", "arrived", "missed", "superseded")
"""``expected``: the current prediction; ``arrived``: a later run saw the vessel in that
port; ``missed``: the time window passed without it; ``superseded``: a later run predicts
another port for the vessel."""


class ExpectedArrival(Base):
    """One prediction of a vessel track's next port call (issue 18).

    ``port_label``/``port_iso3`` name the port as the port list does
    (:mod:`vessel_risk.geo.ports`); ``eta`` is the expected arrival (UTC) within
    ``eta_low``..``eta_high`` (UTC; null when the method gives no spread). ``method`` is
    ``destination`` (AIS destination and ETA), ``history`` (the vessel's past port calls)
    or ``heading`` (a port ahead of its course); ``confidence`` is 0..1; ``detail`` holds
    the evidence (the destination text, the past voyages counted, distances in km, speed
    in kn). ``alert_id`` is the vessel's current alert, if any: its tier ranks the port's
    queue. ``status`` is one of :data:`ARRIVAL_STATUSES`; a later run revises the row of
    a vessel's ``expected`` prediction in place (same port) or supersedes it (another
    port), never duplicates it. ``run_id`` is the run that last predicted it. A
    prediction is evidence for planning a boarding, never proof of anything about the
    crew, who are presumed victims, never suspects.
    """

    __tablename__ = "expected_arrivals"
    __table_args__ = (Index("ix_expected_arrivals_port_status_eta", "port_label", "status", "eta"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mmsi: Mapped[str] = mapped_column(String(9), index=True)
    track_id: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    vessel_id: Mapped[str | None] = mapped_column(String(32), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    port_label: Mapped[str] = mapped_column(String(128))
    port_iso3: Mapped[str | None] = mapped_column(String(3), index=True)
    eta: Mapped[datetime]
    eta_low: Mapped[datetime | None]
    eta_high: Mapped[datetime | None]
    method: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    predicted_at: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="expected", index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
