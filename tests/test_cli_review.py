"""`vessel-risk alerts|notices|agencies` on a SQLite database."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.conftest import make_alert
from tests.test_lifecycle import _record
from vessel_risk.cli import app
from vessel_risk.store import AuditEntry, make_engine, migrate

DIRECTORY = """
[[agency]]
id = "chl-nrm"
name = "NRM Chile"
country_iso3 = "CHL"
role = "nrm_case_system"
reflection_period_days = 40

[[agency]]
id = "chn-msa"
name = "China MSA"
country_iso3 = "CHN"
role = "maritime_authority"
"""


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'vr.db'}"
    engine = make_engine(url)
    migrate(engine)
    _record(engine, [make_alert(), make_alert(mmsi="412000002", rank=2, score=0.4, tier="medium")])
    engine.dispose()
    monkeypatch.setenv("VESSEL_RISK_DATABASE_URL", url)
    return url


def _ok(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_review_and_referral_from_the_command_line(db, tmp_path):
    listed = _ok("alerts", "list", "--tier", "high")
    assert "412000001" in listed and "412000002" not in listed
    bad = CliRunner().invoke(app, ["alerts", "review", "2", "--to", "dismissed"])
    assert bad.exit_code == 2 and "needs a reason" in bad.output
    _ok("alerts", "review", "2", "--to", "dismissed", "--reason", "a tug", "--as", "ana")
    (tmp_path / "agencies.toml").write_text(DIRECTORY)
    assert "2 added" in _ok("agencies", "load", str(tmp_path / "agencies.toml"), "--as", "admin")
    created = _ok("notices", "create", "1", "--crew-nationality", "idn", "--as", "ana")
    notice_id = re.search(r"notice ([0-9a-f-]{36})", created).group(1)
    approved = _ok("notices", "approve", notice_id, "--as", "bo")
    assert "reflection period 40 days" in approved  # the port state's own period
    assert "chl-nrm, rule port_state" in approved  # last port Punta Arenas
    assert "chn-msa, rule flag_state" in approved
    payload = json.loads(_ok("notices", "show", notice_id, "--json", "--as", "cy"))
    assert payload["crew_nationalities_iso3"] == ["IDN"]
    assert payload["personal_data_included"] is False
    shown = _ok("notices", "show", notice_id, "--html", str(tmp_path / "brief.html"))
    assert "chn-msa (flag_state): pending" in shown
    assert "presumed victims" in (tmp_path / "brief.html").read_text()
    engine = make_engine(db)
    with Session(engine) as s:
        actors = s.execute(select(AuditEntry.actor, AuditEntry.action)).all()
    assert ("ana", "alert.status") in actors and ("bo", "notice.approved") in actors
    assert ("cy", "notice.read") in actors


def test_commands_without_a_database_say_how_to_name_one(monkeypatch):
    monkeypatch.delenv("VESSEL_RISK_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["alerts", "list"])
    assert result.exit_code == 2 and "VESSEL_RISK_DATABASE_URL" in result.output
