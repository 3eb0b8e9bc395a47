"""Re-encryption (vessel_risk.db.rotation, ``vessel-risk reencrypt``): rows written
before a key was set get encrypted, rows under a rotated-out key move to the new one."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.builders import add_agency
from vessel_risk.db.crypto import DecryptionError
from vessel_risk.db.rotation import encrypted_columns, reencrypt
from vessel_risk.db.tables import Agency, AuditEntry

SECRET = "whsec_" + "B" * 44


def _stored(engine, agency_id: str) -> str:
    with engine.connect() as conn:
        query = text("SELECT secrets FROM agencies WHERE id = :id")
        return str(conn.execute(query, {"id": agency_id}).scalar_one())


def test_every_encrypted_column_is_found():
    names = sorted(f"{t.name}.{c}" for t, c in encrypted_columns())
    assert names == [
        "agencies.secrets",
        "case_follow_ups.indicators",
        "case_intakes.fields",
        "notice_personal_data.fields",
        "subscriptions.secrets",
        "tips.observed",
        "tips.person",
    ]


def test_plain_rows_get_encrypted_and_old_keys_can_then_be_removed(engine, monkeypatch):
    monkeypatch.delenv("VESSEL_RISK_SECRET_KEY", raising=False)
    with Session(engine) as s, s.begin():  # written before any key was set: plain
        for i in range(3):
            add_agency(s, f"plain-{i}", secrets=[SECRET])
    assert SECRET in _stored(engine, "plain-0")
    with Session(engine) as s, pytest.raises(RuntimeError, match="VESSEL_RISK_SECRET_KEY"):
        reencrypt(s, actor="test")

    old = Fernet.generate_key().decode()
    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", old)
    with Session(engine) as s, s.begin():
        counts = reencrypt(s, actor="ops")
    assert counts["agencies.secrets"] == 3
    assert counts["notice_personal_data.fields"] == 0
    assert SECRET not in _stored(engine, "plain-0") and "fernet" in _stored(engine, "plain-0")

    new = Fernet.generate_key().decode()
    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", f"{new},{old}")
    with Session(engine) as s, s.begin():
        assert reencrypt(s, actor="ops")["agencies.secrets"] == 3
    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", new)  # the old key is gone
    with Session(engine) as s:
        assert [a.secrets for a in s.scalars(select(Agency).order_by(Agency.id))] == [[SECRET]] * 3
        audits = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "secrets.reencrypted")
        ).all()
    assert [a.after["agencies.secrets"] for a in audits] == [3, 3]
    assert all(SECRET not in str(a.after) for a in audits)


def test_a_token_no_key_opens_stops_the_rewrite_and_changes_nothing(engine, monkeypatch):
    lost = Fernet.generate_key().decode()
    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", lost)
    with Session(engine) as s, s.begin():
        add_agency(s, "under-lost-key", secrets=[SECRET])
    before = _stored(engine, "under-lost-key")
    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", Fernet.generate_key().decode())
    with Session(engine) as s, pytest.raises(DecryptionError, match="add the key"):
        with s.begin():
            reencrypt(s, actor="ops")
    assert _stored(engine, "under-lost-key") == before


def test_the_command_rewrites_and_reports_counts(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from vessel_risk.cli.app import app
    from vessel_risk.db.engine import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'v.db'}"
    engine = make_engine(url)
    migrate(engine)
    monkeypatch.delenv("VESSEL_RISK_SECRET_KEY", raising=False)
    with Session(engine) as s, s.begin():
        add_agency(s, "plain", secrets=[SECRET])
    runner = CliRunner()
    refused = runner.invoke(app, ["reencrypt", "--db", url])
    assert refused.exit_code == 2 and "Set VESSEL_RISK_SECRET_KEY" in refused.output
    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", Fernet.generate_key().decode())
    done = runner.invoke(app, ["reencrypt", "--db", url, "--as", "ops"])
    assert done.exit_code == 0, done.output
    assert "agencies.secrets: rows rewritten 1" in done.output
    assert SECRET not in _stored(engine, "plain")
    engine.dispose()
