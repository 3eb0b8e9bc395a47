"""`vessel-risk serve` and the API's startup say when secrets and personal data would be
stored as plain text (no VESSEL_RISK_SECRET_KEY)."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from vessel_risk.cli import app


@pytest.fixture
def database(tmp_path, monkeypatch):
    """A migrated SQLite database; uvicorn.run replaced by a recorder (nothing listens)."""
    import uvicorn

    from vessel_risk.db.engine import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'vessel_risk.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    served: list[tuple[str, int]] = []
    monkeypatch.setattr(uvicorn, "run", lambda _app, host, port, **kw: served.append((host, port)))
    return url, served


def test_serve_warns_that_secrets_are_plain_text_without_a_key(database, monkeypatch):
    url, served = database
    monkeypatch.delenv("VESSEL_RISK_SECRET_KEY", raising=False)
    result = CliRunner().invoke(app, ["serve", "--db", url], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    warning = (
        "VESSEL_RISK_SECRET_KEY is not set: agency secrets and crew personal data "
        "are stored in the database as plain text"
    )
    assert said.count(warning) == 1  # once, by the API's startup log (was also printed)
    assert served == [("127.0.0.1", 8000)]


def test_serve_says_nothing_of_it_with_a_key_and_refuses_a_bad_key(database, monkeypatch):
    url, served = database
    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", Fernet.generate_key().decode())
    result = CliRunner().invoke(app, ["serve", "--db", url], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "VESSEL_RISK_SECRET_KEY" not in result.output
    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", "not-a-key")
    result = CliRunner().invoke(app, ["serve", "--db", url], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "must be Fernet keys" in " ".join(result.output.split())
    assert len(served) == 1  # the bad key never served


def test_the_api_logs_the_warning_at_startup(database, monkeypatch, caplog):
    from vessel_risk.api import create_app
    from vessel_risk.settings import Settings

    url, _ = database
    monkeypatch.delenv("VESSEL_RISK_SECRET_KEY", raising=False)
    with caplog.at_level(logging.WARNING, logger="vessel_risk.api.app"):
        create_app(Settings(database_url=url))
    assert [r.getMessage()[:60] for r in caplog.records] == [
        "VESSEL_RISK_SECRET_KEY is not set: agency secrets and crew p"
    ]


def test_serve_warns_of_plain_text_whatever_the_log_level(database, monkeypatch):
    """Review (s7): the warning now comes only from create_app's log, so an operator who
    sets VESSEL_RISK_LOG_LEVEL=ERROR is never told secrets are stored as plain text (the
    CLI printed it unconditionally before)."""
    url, served = database
    monkeypatch.delenv("VESSEL_RISK_SECRET_KEY", raising=False)
    result = CliRunner().invoke(
        app,
        ["serve", "--db", url],
        env={"COLUMNS": "300", "VESSEL_RISK_LOG_LEVEL": "ERROR"},
    )
    assert result.exit_code == 0, result.output
    assert "stored in the database as plain text" in " ".join(result.output.split())
