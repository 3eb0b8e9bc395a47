"""The tables of the regional exchange (issue 18): other states' exports, imported.

Part of the database described in :mod:`vessel_risk.db.tables` (which re-exports these
classes). One row of ``exchange_imports`` per export imported (its id is the SHA-256 of
the export's canonical form, so importing it again changes nothing); the export's rows
land in ``exchange_indicators``, ``exchange_alerts`` and ``exchange_inspections``, each
tagged by the state it came from. Nothing here is about a person: the indicators were
disclosure-controlled by the exporting state, the vessel tables hold vessel facts only
(:mod:`vessel_risk.referral.exchange`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from vessel_risk.db.base import Base


class ExchangeImport(Base):
    """One export of another state's mechanism, imported and verified.

    ``id`` is the export's id (SHA-256 of its canonical form); ``key_id`` the trusted
    key its signature verified against; ``created_at`` when the exporting state made it;
    ``rows`` the row count of each table; ``figures`` the figures' definitions as sent.
    """

    __tablename__ = "exchange_imports"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_state: Mapped[str] = mapped_column(String(3), index=True)
    key_id: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    k: Mapped[int] = mapped_column(Integer)
    figures: Mapped[list[Any]]
    rows: Mapped[dict[str, Any]]
    imported_at: Mapped[datetime]
    imported_by: Mapped[str] = mapped_column(String(128))


class ExchangeIndicator(Base):
    """One published cell of another state's monitoring figures (null where suppressed)."""

    __tablename__ = "exchange_indicators"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[str] = mapped_column(ForeignKey("exchange_imports.id"), index=True)
    source_state: Mapped[str] = mapped_column(String(3), index=True)
    figure: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str | None] = mapped_column(String(16))
    port: Mapped[str | None] = mapped_column(String(128))
    flag: Mapped[str | None] = mapped_column(String(16))
    nationality: Mapped[str | None] = mapped_column(String(16))
    gender: Mapped[str | None] = mapped_column(String(32))
    age_group: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float)
    persons: Mapped[int | None] = mapped_column(Integer)
    suppressed: Mapped[bool] = mapped_column(Boolean)


class ExchangeAlert(Base):
    """One alert another state shared: vessel facts, its tier and review status."""

    __tablename__ = "exchange_alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[str] = mapped_column(ForeignKey("exchange_imports.id"), index=True)
    source_state: Mapped[str] = mapped_column(String(3), index=True)
    mmsi: Mapped[str] = mapped_column(String(9), index=True)
    vessel_id: Mapped[str | None] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    shipname: Mapped[str | None] = mapped_column(String(128))
    flag_iso3: Mapped[str | None] = mapped_column(String(3))
    flag_inferred_iso3: Mapped[str | None] = mapped_column(String(3))
    vessel_class: Mapped[str | None] = mapped_column(String(32))
    gear: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(32))
    model_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    last_port_label: Mapped[str | None] = mapped_column(String(128))
    last_port_iso3: Mapped[str | None] = mapped_column(String(3))
    last_seen: Mapped[datetime]
    raised_at: Mapped[datetime]


class ExchangeInspection(Base):
    """One boarding another state shared: vessel, port, agency, outcome, what it found."""

    __tablename__ = "exchange_inspections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[str] = mapped_column(ForeignKey("exchange_imports.id"), index=True)
    source_state: Mapped[str] = mapped_column(String(3), index=True)
    mmsi: Mapped[str] = mapped_column(String(9), index=True)
    vessel_id: Mapped[str | None] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    inspected_at: Mapped[datetime]
    port_label: Mapped[str | None] = mapped_column(String(128))
    port_iso3: Mapped[str | None] = mapped_column(String(3))
    agency_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    ilo_indicators: Mapped[list[Any]]
    documents_missing: Mapped[list[Any]]
