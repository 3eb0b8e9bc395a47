"""The database: vessels, scores, alerts, evidence, referral notices, agencies, deliveries.

SQLAlchemy 2 models; the schema is created and evolved by Alembic migrations
(``src/vessel_risk/migrations``) through :func:`migrate`. SQLite is the default,
PostgreSQL is supported and tested. Side effects take an injected engine or session so
tests can swap them.

Tables
------
``runs``
    One execution of ``vessel-risk run``.
``vessels``
    One row per MMSI: latest identity, IUU status, identity history.
``vessel_periods``
    One row per vessel-year: its features and how much data they rest on.
``scores``
    Every score ever given to a vessel-period (model version, tier, explanation);
    re-scoring adds a row, never overwrites one.
``alerts``
    One per vessel-period, pointing at its current score; carries the review status
    (:mod:`vessel_risk.alerts.lifecycle`).
``evidence_events``
    The port visits, AIS gaps, encounters and loitering events behind a score.
``agencies``
    The directory of agencies notices are routed to (:mod:`vessel_risk.referral.routing`).
``referral_notices``, ``notice_personal_data``
    Presumed-victim referral notices (:mod:`vessel_risk.referral.notices`); personal data,
    only ever added by a person, lives apart from the notice with its consent record.
``deliveries``, ``delivery_attempts``
    The transactional outbox of notices to agencies and every attempt to deliver one.
``audit_log``
    Append-only record of every access and change: who, when, what, why. Database
    triggers refuse UPDATE and DELETE on it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    create_engine,
    event,
    inspect,
)
from sqlalchemy.engine import Engine


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path.db``, ``postgresql+psycopg://...``).

    SQLite connections wait up to 30 s for a lock, enforce foreign keys and use WAL
    journaling (readers never block the delivery worker's writes; a commit costs a third
    of the default journal's time).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: object) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class SchemaError(RuntimeError):
    """Raised when a database holds tables that no migration made."""


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` with Alembic.

    Parameters
    ----------
    engine : Engine
    revision : str, default "head"

    Raises
    ------
    SchemaError
        If the database has vessel-risk tables but no Alembic version (a database made
        before migrations existed): move it aside and run again.
    """
    from alembic import command
    from alembic.config import Config

    names = set(inspect(engine).get_table_names())
    if "runs" in names and "alembic_version" not in names:
        raise SchemaError(
            f"The database at {engine.url!r} predates schema migrations; move it aside "
            "(its alerts can be rebuilt with `vessel-risk run`) and run again."
        )
    cfg = Config()
    cfg.set_main_option("script_location", "vessel_risk.db:migrations")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None before any migration."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
