"""Persistence of runs and alerts through SQLAlchemy 2 (SQLite by default).

Side effects take an injected engine so tests can swap it. Schema migrations
(Alembic) arrive with the referral issue; until then :func:`create_schema` creates
the tables if they do not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from vessel_risk.alerts import Alert


class Base(DeclarativeBase):
    """Declarative base of the vessel-risk tables."""


class Run(Base):
    """One execution of ``vessel-risk run``."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    inputs: Mapped[list[str]] = mapped_column(JSON)
    model_version: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)


class AlertRow(Base):
    """One vessel-year alert of a run."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    mmsi: Mapped[str] = mapped_column(String(9), index=True)
    year: Mapped[int] = mapped_column(Integer)
    shipname: Mapped[str | None] = mapped_column(String(128))
    flag_iso3: Mapped[str | None] = mapped_column(String(3))
    score: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(32))
    model_version: Mapped[str] = mapped_column(String(64))
    last_lat: Mapped[float | None] = mapped_column(Float)
    last_lon: Mapped[float | None] = mapped_column(Float)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(32), default="new")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path.db``, ``postgresql+psycopg://...``)."""
    return create_engine(url, future=True)


def create_schema(engine: Engine) -> None:
    """Create the tables that do not exist yet."""
    Base.metadata.create_all(engine)


def save_run(
    engine: Engine,
    alerts: list[Alert],
    *,
    inputs: list[str],
    model_version: str,
    counts: dict[str, Any],
) -> int:
    """Store a run and its alerts in one transaction.

    Parameters
    ----------
    engine : Engine
    alerts : list of Alert
    inputs : list of str
        The AIS files read.
    model_version : str
    counts : dict
        Ingest and cleaning counts, stored with the run.

    Returns
    -------
    int
        The run's id.
    """
    create_schema(engine)
    with Session(engine) as session, session.begin():
        run = Run(
            started_at=datetime.now(UTC), inputs=inputs, model_version=model_version, counts=counts
        )
        session.add(run)
        session.flush()
        session.add_all(
            AlertRow(
                run_id=run.id,
                rank=a.rank,
                mmsi=a.mmsi,
                year=a.year,
                shipname=a.shipname,
                flag_iso3=a.flag_iso3,
                score=a.score,
                tier=a.tier,
                model_version=a.model_version,
                last_lat=a.last_lat,
                last_lon=a.last_lon,
                last_seen=a.last_seen,
                status="new",
                detail=a.model_dump(mode="json"),
            )
            for a in alerts
        )
        return int(run.id)


def load_alerts(engine: Engine, run_id: int) -> list[AlertRow]:
    """The alerts of run ``run_id`` in rank order."""
    with Session(engine) as session:
        rows = session.scalars(
            select(AlertRow).where(AlertRow.run_id == run_id).order_by(AlertRow.rank)
        ).all()
        session.expunge_all()
        return list(rows)
