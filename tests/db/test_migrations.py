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
    "expected_arrivals",
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


def test_the_migrations_make_exactly_the_tables_the_code_declares(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from vessel_risk.db.tables import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrading_a_0002_database_keeps_its_rows_as_track_0(engine, tmp_path):
    """A database at 0002 with a vessel, a vessel-year, a score and an alert is upgraded:
    the rows stay, the vessel-year and the alert become track 0, and the new key lets a
    second track of the same MMSI and year in."""
    if engine.dialect.name == "postgresql":  # start again from an empty schema
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'at_0002.db'}")
    migrate(engine, "0002_api_clients")
    assert current_revision(engine) == "0002_api_clients"
    t = "2022-11-20 06:00:00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO vessels (mmsi, shipname, flag_iso3, mmsi_valid, iuu_listed, "
                "identity_history, updated_at) VALUES "
                "('150400453', 'LURONGYUANYU 715', NULL, false, false, '[]', :t)"
            ),
            {"t": t},
        )
        conn.execute(
            text(
                'INSERT INTO vessel_periods (id, mmsi, year, start, "end", position_messages, '
                "days_observed, features, updated_at) VALUES "
                "(1, '150400453', 2022, :t, :t, 5000, 200, '{}', :t)"
            ),
            {"t": t},
        )
        conn.execute(
            text(
                "INSERT INTO scores (id, vessel_period_id, model_version, score, tier, rank, "
                "data_note, indicators, scored_at) VALUES "
                "(1, 1, 'indicator-baseline-1', 0.8, 'high', 1, 'n', '[]', :t)"
            ),
            {"t": t},
        )
        conn.execute(
            text(
                "INSERT INTO alerts (id, vessel_period_id, score_id, mmsi, year, score, tier, "
                "rank, model_version, last_seen, status, detail, created_at, updated_at) "
                "VALUES (1, 1, 1, '150400453', 2022, 0.8, 'high', 1, 'indicator-baseline-1', "
                ":t, 'new', '{}', :t, :t)"
            ),
            {"t": t},
        )
    migrate(engine)
    assert current_revision(engine) == _head()
    with engine.connect() as conn:
        periods = conn.execute(text("SELECT id, mmsi, track_id, year FROM vessel_periods")).all()
        alerts = conn.execute(
            text("SELECT id, track_id, vessel_id, flag_inferred_iso3 FROM alerts")
        ).all()
        vessels = conn.execute(text("SELECT mmsi, vessel_id FROM vessels")).all()
    assert [tuple(r) for r in periods] == [(1, "150400453", 0, 2022)]
    assert [tuple(r) for r in alerts] == [(1, 0, None, None)]
    assert [tuple(r) for r in vessels] == [("150400453", None)]
    with engine.begin() as conn:  # track 1 of the same MMSI and year now fits the key
        conn.execute(
            text(
                'INSERT INTO vessel_periods (id, mmsi, track_id, year, start, "end", '
                "position_messages, days_observed, features, updated_at) VALUES "
                "(2, '150400453', 1, 2022, :t, :t, 900, 30, '{}', :t)"
            ),
            {"t": t},
        )
    with pytest.raises(DatabaseError), engine.begin() as conn:  # the same track twice is not
        conn.execute(
            text(
                'INSERT INTO vessel_periods (id, mmsi, track_id, year, start, "end", '
                "position_messages, days_observed, features, updated_at) VALUES "
                "(3, '150400453', 1, 2022, :t, :t, 900, 30, '{}', :t)"
            ),
            {"t": t},
        )


def test_0004_adds_the_alert_score_columns_and_goes_back_keeping_rows(engine, tmp_path):
    """A database at 0003 with an alert is upgraded to 0004: the alert stays, its new
    columns are null (unknown); downgraded again, the columns go and the alert stays."""
    from alembic import command
    from alembic.config import Config

    if engine.dialect.name == "postgresql":  # start again from an empty schema
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'at_0003.db'}")
    migrate(engine, "0003_tracks_identity_flags")
    t = "2022-11-20 06:00:00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO vessels (mmsi, shipname, flag_iso3, mmsi_valid, iuu_listed, "
                "identity_history, updated_at) VALUES "
                "('150400453', 'LURONGYUANYU 715', NULL, false, false, '[]', :t)"
            ),
            {"t": t},
        )
        conn.execute(
            text(
                'INSERT INTO vessel_periods (id, mmsi, track_id, year, start, "end", '
                "position_messages, days_observed, features, updated_at) VALUES "
                "(1, '150400453', 0, 2022, :t, :t, 11, 1, '{}', :t)"
            ),
            {"t": t},
        )
        conn.execute(
            text(
                "INSERT INTO scores (id, vessel_period_id, model_version, score, tier, rank, "
                "data_note, indicators, scored_at) VALUES "
                "(1, 1, 'indicator-baseline-2', 0.6, 'insufficient data', 1, 'n', '[]', :t)"
            ),
            {"t": t},
        )
        conn.execute(
            text(
                "INSERT INTO alerts (id, vessel_period_id, score_id, mmsi, track_id, year, "
                "score, tier, rank, model_version, last_seen, status, detail, created_at, "
                "updated_at) VALUES (1, 1, 1, '150400453', 0, 2022, 0.6, 'insufficient data', "
                "1, 'indicator-baseline-2', :t, 'new', '{}', :t, :t)"
            ),
            {"t": t},
        )
    migrate(engine, "0004_alert_scores")
    new = ["model_applies", "model_domain_reason", "score_percentile", "score_low"]
    new += ["score_high", "observed_share"]
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT id, score, {', '.join(new)} FROM alerts")).one()
    assert tuple(row) == (1, 0.6, None, None, None, None, None, None)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE alerts SET model_applies = false, observed_share = 0.0111, "
                "model_domain_reason = 'thin: 11 messages on 1 day'"
            )
        )
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT {', '.join(new)} FROM alerts")).one()
    assert tuple(row) == (False, "thin: 11 messages on 1 day", None, None, None, 0.0111)

    cfg = Config()
    cfg.set_main_option("script_location", "vessel_risk.db:migrations")
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":  # batch mode copies the table, as migrate does
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        with conn.begin():
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003_tracks_identity_flags")
    assert current_revision(engine) == "0003_tracks_identity_flags"
    columns = {c["name"] for c in inspect(engine).get_columns("alerts")}
    assert not columns & set(new)
    with engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT id, score, tier FROM alerts")).one()) == (
            1,
            0.6,
            "insufficient data",
        )


def test_0010_subscriptions_goes_back_dropping_only_subscription_messages(engine):
    """Downgraded below 0010, the subscription tables and their outbox rows go; a
    notice's delivery stays; upgraded again, the schema is whole."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from tests.builders import add_agency, add_subscriber, make_notices
    from vessel_risk.db.tables import Delivery
    from vessel_risk.delivery.outbox import enqueue
    from vessel_risk.referral.subscription_store import create_subscription

    cfg = Config()
    cfg.set_main_option("script_location", "vessel_risk.db:migrations")
    below = ScriptDirectory.from_config(cfg).get_revision("0010_subscriptions").down_revision
    with Session(engine) as s, s.begin():
        agency = add_agency(s)
        (notice,) = make_notices(s, 1)
        enqueue(s, notice, [(agency, "flag_state")])
        notice_id = notice.id
        add_subscriber(s)
        sub, _ = create_subscription(
            s,
            agency_id="cl-dgtm",
            client_id="cl-inspector",
            channel="email",
            target="inspector@dgtm.cl",
            actor="t",
        )
        s.add(
            Delivery(
                id="sub-delivery",
                subscription_id=sub.id,
                agency_id="cl-dgtm",
                rule="subscription",
                event_type="subscription.digest",
                payload={},
                next_attempt_at=sub.created_at,
                created_at=sub.created_at,
            )
        )
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":  # batch mode copies the table, as migrate does
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        with conn.begin():
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, below)
    tables = set(inspect(engine).get_table_names())
    assert not {"subscriptions", "subscription_events"} & tables
    assert "subscription_id" not in {c["name"] for c in inspect(engine).get_columns("deliveries")}
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT notice_id, agency_id FROM deliveries")).all()
    assert [tuple(r) for r in rows] == [(notice_id, "tha-md")]
    migrate(engine)
    assert current_revision(engine) == _head()


def test_0008_exchange_goes_back_and_forth(engine):
    """The exchange tables (0008_exchange) go on downgrade to the revision before it and
    come back."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    exchange = {"exchange_imports", "exchange_indicators", "exchange_alerts",
                "exchange_inspections"}  # fmt: skip
    assert exchange <= set(inspect(engine).get_table_names())
    cfg = Config()
    cfg.set_main_option("script_location", "vessel_risk.db:migrations")
    before = ScriptDirectory.from_config(cfg).get_revision("0008_exchange").down_revision
    with engine.connect() as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008_exchange-1")
    assert current_revision(engine) == before
    assert not exchange & set(inspect(engine).get_table_names())
    migrate(engine)
    assert current_revision(engine) == _head()
    assert exchange <= set(inspect(engine).get_table_names())


def test_0007_marks_old_alerts_model_and_goes_back_without_the_tips(engine, tmp_path):
    """A database at 0006 with an alert is upgraded to 0007: the alert's source is
    ``model`` and its queue place is computed; a tip's own item (no score) can then be
    written. Downgraded to 0006, the tips and their items go and the alert stays."""
    from alembic import command
    from alembic.config import Config

    if engine.dialect.name == "postgresql":  # start again from an empty schema
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'at_0006.db'}")
    migrate(engine, "0006_cases")
    t = "2022-11-20 06:00:00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO vessels (mmsi, mmsi_valid, iuu_listed, identity_history, "
                "updated_at) VALUES ('412000001', true, false, '[]', :t)"
            ),
            {"t": t},
        )
        conn.execute(
            text(
                'INSERT INTO vessel_periods (id, mmsi, track_id, year, start, "end", '
                "position_messages, days_observed, features, updated_at) VALUES "
                "(1, '412000001', 0, 2022, :t, :t, 900, 200, '{}', :t)"
            ),
            {"t": t},
        )
        conn.execute(
            text(
                "INSERT INTO scores (id, vessel_period_id, model_version, score, tier, rank, "
                "data_note, indicators, scored_at) VALUES "
                "(1, 1, 'indicator-baseline-2', 0.3, 'low', 1, 'n', '[]', :t)"
            ),
            {"t": t},
        )
        conn.execute(
            text(
                "INSERT INTO alerts (id, vessel_period_id, score_id, mmsi, track_id, year, "
                "score, tier, rank, model_version, last_seen, status, detail, created_at, "
                "updated_at) VALUES (1, 1, 1, '412000001', 0, 2022, 0.3, 'low', "
                "1, 'indicator-baseline-2', :t, 'new', '{}', :t, :t)"
            ),
            {"t": t},
        )
    migrate(engine, "0007_tips")
    with engine.begin() as conn:
        row = conn.execute(
            text("SELECT source, reported_by, queue_band, queue_key FROM alerts")
        ).one()
        assert (row[0], row[2], row[3]) == ("model", 0, 0.3)
        assert row[1] in ("[]", [])
        conn.execute(
            text(
                "INSERT INTO alerts (id, source, tip_urgency, track_id, year, tier, last_seen, "
                "status, detail, created_at, updated_at) VALUES (2, 'hotline', 103, 0, 2022, "
                "'unscored', :t, 'new', '{}', :t, :t)"
            ),
            {"t": t},
        )
        conn.execute(
            text(
                "INSERT INTO tips (id, source, subject, alert_id, linked, urgent, "
                "ilo_indicators, submitted_by, submitter_agency_id, received_at, retain_until) "
                "VALUES ('t1', 'hotline', 'vessel', 2, false, true, '[]', 'a', 'b', :t, :t)"
            ),
            {"t": t},
        )
        order = conn.execute(
            text("SELECT id, queue_band, queue_key FROM alerts ORDER BY queue_band DESC")
        ).all()
        assert [tuple(r) for r in order] == [(2, 1, 103.0), (1, 0, 0.3)]
    cfg = Config()
    cfg.set_main_option("script_location", "vessel_risk.db:migrations")
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":  # batch mode copies the table, as migrate does
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        with conn.begin():
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006_cases")
    assert current_revision(engine) == "0006_cases"
    assert "tips" not in inspect(engine).get_table_names()
    columns = {c["name"] for c in inspect(engine).get_columns("alerts")}
    assert not columns & {"source", "reported_by", "tip_urgency", "queue_band", "queue_key"}
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text("SELECT id, score FROM alerts"))] == [(1, 0.3)]
