"""`vessel-risk inspections record|list`: boarding outcomes from the command line."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.builders import cli_output
from vessel_risk.cli import app
from vessel_risk.db.engine import make_engine
from vessel_risk.db.tables import AlertRow, AuditEntry, Inspection


def _alert_id(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as s:
        found = s.scalars(select(AlertRow.id).where(AlertRow.mmsi == "412000001")).one()
    engine.dispose()
    return found


def test_record_then_list(db):
    alert_id = _alert_id(db)
    out = cli_output(
        "inspections", "record", "--alert", str(alert_id), "--mmsi", "412000001",
        "--year", "2022", "--at", "2022-12-02T09:30:00+07:00", "--port", "songkhla",
        "--port-iso3", "tha", "--agency", "tha-psc", "--outcome", "confirmed",
        "--indicator", "withholding_of_wages", "--indicator", "retention_of_documents",
        "--document", "identity_documents_held_by_crew=missing", "--crew", "MMR=12",
        "--crew", "KHM=3", "--as", "tha-psc/inspector-1",
    )  # fmt: skip
    text = " ".join(out.split())
    assert "Inspection 1 recorded: 412000001 (2022), confirmed" in text
    assert "indicators: retention of identity documents, withholding of wages" in text
    assert "crew counted: 15. Label source: inspection:1:tha-psc." in text
    assert "presumed victims of forced labour, never suspects" in text
    engine = make_engine(db)
    with Session(engine) as s:
        row = s.get(Inspection, 1)
        assert row is not None
        assert row.inspected_at.hour == 2  # 09:30 at UTC+7
        assert row.documents_seen["identity_documents_held_by_crew"] == "missing"
        assert row.crew_by_nationality == {"KHM": 3, "MMR": 12}
        actors = s.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "inspection.recorded")
        ).all()
        assert actors == ["tha-psc/inspector-1"]
    engine.dispose()
    cli_output(
        "inspections", "record", "--mmsi", "412000002", "--year", "2022",
        "--at", "2022-12-03T00:00:00Z", "--agency", "tha-psc", "--outcome", "not_boarded",
        "--reason", "left port before boarding",
    )  # fmt: skip
    listed = " ".join(cli_output("inspections", "list").split())
    assert "not_boarded: left port before boarding" in listed
    assert "withholding_of_wages" in listed and "KHM 3, MMR 12" in listed
    assert listed.index("412000002") < listed.index("412000001")  # newest first
    assert "2 inspections." in listed
    only = " ".join(cli_output("inspections", "list", "--outcome", "confirmed").split())
    assert "1 inspections." in only and "412000002" not in only


def _refused(*args: str) -> str:
    res = CliRunner().invoke(app, ["inspections", "record", *args], env={"COLUMNS": "200"})
    assert res.exit_code == 2, res.output
    return " ".join(res.output.split())


def test_record_refuses_what_breaks_the_standards(db):
    base = ["--mmsi", "412000001", "--year", "2022", "--agency", "tha-psc"]
    at = ["--at", "2022-12-02T09:30:00+07:00"]
    assert "has no time zone" in _refused(*base, "--at", "2022-12-02T09:30", "--outcome", "x")
    text = _refused(*base, *at, "--outcome", "confirmed", "--indicator", "overwork")
    assert "ilo_indicators must be keys of the ILO's 11 indicators" in text
    text = _refused(*base, *at, "--outcome", "confirmed")
    assert "needs at least one ILO indicator" in text
    text = _refused(*base, *at, "--outcome", "none_found", "--crew", "MMR=many")
    assert "--crew MMR='many': the count must be a whole number" in text
    text = _refused(*base, *at, "--outcome", "none_found", "--document", "crew_list")
    assert "--document takes KEY=VALUE" in text
    engine = make_engine(db)
    with Session(engine) as s:
        assert s.scalars(select(Inspection)).all() == []
    engine.dispose()
