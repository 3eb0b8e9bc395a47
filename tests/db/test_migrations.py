"""The database schema made by the migrations (Alembic), and the append-only audit log.

Every test runs on SQLite and on PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from vessel_risk.db.engine import SchemaError, current_revision, make_engine, migrate
from vessel_risk.db.tables import AppendOnlyError, AuditEntry

TABLES = {
    "runs",
    "vessels",
    "vessel_periods",
    "scores",
    "alerts",
    "evidence_events",
    "agencies",
    "referral_notices",
    "notice_personal_data",
    "deliveries",
    "delivery_attempts",
    "audit_log",
}


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", "vessel_risk.db:migrations")
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def test_migrations_create_every_table_once(engine):
    assert TABLES <= set(inspect(engine).get_table_names())
    assert current_revision(engine) == _head()
    migrate(engine)  # a second upgrade is a no-op
    assert current_revision(engine) == _head()


def test_a_database_made_before_migrations_is_refused_with_advice(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE runs (id INTEGER PRIMARY KEY)"))
    with pytest.raises(SchemaError, match="move it aside"):
        migrate(eng)


def test_audit_log_refuses_update_and_delete_in_the_database(engine):
    with Session(engine) as s, s.begin():
        s.add(
            AuditEntry(
                at=pd.Timestamp("2026-01-01", tz="UTC").to_pydatetime(),
                actor="analyst@tha",
                action="alert.status",
                entity_type="alert",
                entity_id="1",
            )
        )
    for sql in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    with Session(engine) as s:
        entry = s.scalars(select(AuditEntry)).one()
        assert entry.actor == "analyst@tha"
        entry.reason = "tampered"
        with pytest.raises(AppendOnlyError):
            s.flush()
