"""Fixtures of the command-line tests: a console 200 columns wide and a SQLite database
with two alerts (the runner is :func:`tests.builders.cli_output`)."""

from __future__ import annotations

import pytest

from tests.builders import make_alert, record_alerts
from vessel_risk.cli.terminal import console
from vessel_risk.db.engine import make_engine, migrate


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Tables 200 columns wide, so that their cells read whole whatever COLUMNS is.

    Rich fixes the console's width when it is made if COLUMNS is set then, so the
    runner's ``env={"COLUMNS": ...}`` cannot change it; the width is pinned instead
    (restored after the test).
    """
    monkeypatch.setattr(console, "_width", 200)


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'vr.db'}"
    engine = make_engine(url)
    migrate(engine)
    record_alerts(
        engine, [make_alert(), make_alert(mmsi="412000002", rank=2, score=0.4, tier="medium")]
    )
    engine.dispose()
    monkeypatch.setenv("VESSEL_RISK_DATABASE_URL", url)
    return url
