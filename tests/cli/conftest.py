"""Shared by the command-line tests: a SQLite database with two alerts, and a runner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.conftest import make_alert
from tests.test_lifecycle import _record
from vessel_risk.cli import app
from vessel_risk.db.engine import make_engine, migrate


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'vr.db'}"
    engine = make_engine(url)
    migrate(engine)
    _record(engine, [make_alert(), make_alert(mmsi="412000002", rank=2, score=0.4, tier="medium")])
    engine.dispose()
    monkeypatch.setenv("VESSEL_RISK_DATABASE_URL", url)
    return url


def ok(*args: str) -> str:
    """The output of ``vessel-risk ARGS``, which must succeed."""
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output
