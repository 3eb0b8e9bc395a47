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
from vessel_risk.db.engine import make_engine, migrate
from vessel_risk.db.tables import AuditEntry, Delivery

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
    missing = CliRunner().invoke(app, ["notices", "create", "1", "--ports", "/no/such.csv"])
    assert missing.exit_code == 2 and "/no/such.csv" in missing.output
    created = _ok("notices", "create", "1", "--crew-nationality", "idn,phl", "--as", "ana")
    notice_id = re.search(r"notice ([0-9a-f-]{36})", created).group(1)
    approved = _ok("notices", "approve", notice_id, "--as", "bo")
    assert "reflection period 40 days" in approved  # the port state's own period
    assert "chl-nrm, rule port_state" in approved  # last port Punta Arenas
    assert "chn-msa, rule flag_state" in approved
    payload = json.loads(_ok("notices", "show", notice_id, "--json", "--as", "cy"))
    assert payload["crew_nationalities_iso3"] == ["IDN", "PHL"]
    assert payload["personal_data_included"] is False
    shown = _ok("notices", "show", notice_id, "--html", str(tmp_path / "brief.html"))
    assert "chn-msa (flag_state): pending" in shown
    engine = make_engine(db)
    with Session(engine) as s:
        manual = s.scalars(select(Delivery.id).where(Delivery.agency_id == "chn-msa")).one()
    _ok("deliver", "--once", "--db", db)  # no endpoint: waits as manual
    _ok("notices", "handed-over", manual, "--how", "e-mailed to duty officer", "--as", "bo")
    shown = _ok("notices", "show", notice_id)
    assert "chn-msa (flag_state): delivered" in shown
    assert "presumed victims" in (tmp_path / "brief.html").read_text()
    with Session(engine) as s:
        actors = s.execute(select(AuditEntry.actor, AuditEntry.action)).all()
    assert ("ana", "alert.status") in actors and ("bo", "notice.approved") in actors
    assert ("cy", "notice.read") in actors


def test_commands_without_a_database_say_how_to_name_one(monkeypatch):
    monkeypatch.delenv("VESSEL_RISK_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["alerts", "list"])
    assert result.exit_code == 2 and "VESSEL_RISK_DATABASE_URL" in result.output


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("notaurl", "is not a database URL"),
        ("sqlite:///no/such/folder/vr.db", "No database file at"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/x", "Cannot open"),
    ],
)
def test_a_wrong_database_is_a_clear_error_not_an_empty_queue(url, message, tmp_path):
    result = CliRunner().invoke(app, ["alerts", "list", "--db", url], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert message in result.output
    ais = tmp_path / "a.csv"
    ais.write_text("mmsi,timestamp,lat,lon,speed_knots,course,heading\n")
    run = CliRunner().invoke(
        app, ["run", "--ais", str(ais), "--out", str(tmp_path / "o"), "--db", "notaurl"]
    )
    assert run.exit_code == 2 and "is not a database URL" in run.output
    assert not (tmp_path / "o").exists()  # nothing ran


def test_api_clients_are_added_listed_and_revoked(db):
    from vessel_risk.api.access import authenticate

    added = _ok(
        "clients",
        "add",
        "chl-pi",
        "--agency",
        "chl",
        "--role",
        "port_inspector",
        "--port",
        "punta arenas",
        "--as",
        "admin",
    )
    key = re.search(r"shown only now\): (\S+)", added).group(1)
    assert "PUNTA ARENAS" in _ok("clients", "list")
    engine = make_engine(db)
    with Session(engine) as s:
        assert authenticate(s, key) is not None
    _ok("clients", "revoke", "chl-pi", "--reason", "key leaked in a chat", "--as", "admin")
    with Session(engine) as s:
        assert authenticate(s, key) is None
    bad = CliRunner().invoke(app, ["clients", "add", "x", "--agency", "a", "--role", "boss"])
    assert bad.exit_code == 2 and "role" in bad.output


def test_a_database_password_is_never_echoed():
    url = "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/x"
    result = CliRunner().invoke(app, ["alerts", "list", "--db", url], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "Cannot open" in result.output
    assert "s3cret" not in result.output and "nobody:***@" in result.output


def test_an_old_database_in_out_stops_the_run_before_any_output(tmp_path):
    import sqlite3

    out = tmp_path / "o"
    out.mkdir()
    with sqlite3.connect(out / "vessel_risk.db") as con:  # made before migrations
        con.execute("create table runs (id integer)")
    ais = tmp_path / "a.csv"
    ais.write_text("mmsi,timestamp,lat,lon,speed_knots,course,heading\n")
    result = CliRunner().invoke(app, ["run", "--ais", str(ais), "--out", str(out)])
    assert result.exit_code == 2 and "predates schema migrations" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["vessel_risk.db"]
