"""`vessel-risk alerts|agencies|notices|deliver` on a SQLite database: an alert reviewed,
agencies loaded, a notice drafted, approved, delivered by hand and shown."""

from __future__ import annotations

import json
import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.builders import cli_output, record_inferred_alert
from vessel_risk.cli import app
from vessel_risk.db.engine import make_engine
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


def test_review_and_referral_from_the_command_line(db, tmp_path):
    listed = cli_output("alerts", "list", "--tier", "high")
    assert "412000001" in listed and "412000002" not in listed
    bad = CliRunner().invoke(app, ["alerts", "review", "2", "--to", "dismissed"])
    assert bad.exit_code == 2 and "needs a reason" in bad.output
    cli_output("alerts", "review", "2", "--to", "dismissed", "--reason", "a tug", "--as", "ana")
    (tmp_path / "agencies.toml").write_text(DIRECTORY)
    assert "2 added" in cli_output(
        "agencies", "load", str(tmp_path / "agencies.toml"), "--as", "admin"
    )
    missing = CliRunner().invoke(app, ["notices", "create", "1", "--ports", "/no/such.csv"])
    assert missing.exit_code == 2 and "/no/such.csv" in missing.output
    created = cli_output("notices", "create", "1", "--crew-nationality", "idn,phl", "--as", "ana")
    notice_id = re.search(r"notice ([0-9a-f-]{36})", created).group(1)
    approved = cli_output("notices", "approve", notice_id, "--as", "bo")
    assert "reflection period 40 days" in approved  # the port state's own period
    assert "chl-nrm, rule port_state" in approved  # last port Punta Arenas
    assert "chn-msa, rule flag_state" in approved
    payload = json.loads(cli_output("notices", "show", notice_id, "--json", "--as", "cy"))
    assert payload["crew_nationalities_iso3"] == ["IDN", "PHL"]
    assert payload["personal_data_included"] is False
    shown = cli_output("notices", "show", notice_id, "--html", str(tmp_path / "brief.html"))
    assert "chn-msa (flag_state): pending" in shown
    engine = make_engine(db)
    with Session(engine) as s:
        manual = s.scalars(select(Delivery.id).where(Delivery.agency_id == "chn-msa")).one()
    cli_output("deliver", "--once", "--db", db)  # no endpoint: waits as manual
    cli_output("notices", "handed-over", manual, "--how", "e-mailed to duty officer", "--as", "bo")
    shown = cli_output("notices", "show", notice_id)
    assert "chn-msa (flag_state): delivered" in shown
    assert "presumed victims" in (tmp_path / "brief.html").read_text()
    with Session(engine) as s:
        actors = s.execute(select(AuditEntry.actor, AuditEntry.action)).all()
    assert ("ana", "alert.status") in actors and ("bo", "notice.approved") in actors
    assert ("cy", "notice.read") in actors


def test_an_inferred_flag_is_shown_and_must_be_confirmed_on_the_command_line(tmp_path):
    """150400453 track 1 (no declared flag, CHN inferred from its name) is listed with
    its track and inferred flag; approving refuses until --confirm-inferred-flag."""

    url = f"sqlite:///{tmp_path / 'vr.db'}"
    engine = make_engine(url)
    from vessel_risk.db.engine import migrate

    migrate(engine)
    record_inferred_alert(engine)
    (tmp_path / "agencies.toml").write_text(DIRECTORY)
    env = ["--db", url]
    listed = cli_output("alerts", "list", *env)
    assert "150400453 track 1" in listed
    assert "CHN (inferred from name_pattern:china_provincial, confidence 0.80)" in listed
    shown = cli_output("alerts", "show", "1", *env)
    assert "MMSI 150400453 track 1" in shown and "Flag: CHN (inferred from" in shown
    cli_output("agencies", "load", str(tmp_path / "agencies.toml"), "--as", "admin", *env)
    created = cli_output("notices", "create", "1", "--as", "ana", *env)
    notice_id = re.search(r"notice ([0-9a-f-]{36})", created).group(1)
    preview = cli_output("notices", "preview", notice_id, *env)
    assert "vessel 150400453 track 1" in preview
    assert "routed by flag: CHN (inferred from name_pattern:china_provincial, confidence 0.80)" in (
        preview
    )
    assert "a person must confirm it (--confirm-inferred-flag)" in preview
    assert "China MSA (chn-msa, rule flag_state, CHN): by the inferred flag" in preview
    assert "no agency: crew_consular (CHN)" in preview
    refused = CliRunner().invoke(
        app, ["notices", "approve", notice_id, "--as", "bo", *env], env={"COLUMNS": "200"}
    )
    assert refused.exit_code == 2
    assert "A person must confirm that flag" in refused.output
    approved = cli_output(
        "notices", "approve", notice_id, "--confirm-inferred-flag", "--as", "bo", *env
    )
    assert "chn-msa, rule flag_state" in approved and "chl-nrm, rule port_state" in approved
    with Session(engine) as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "notice.inferred_flag_confirmed")
        ).one()
        assert entry.actor == "bo" and entry.after["source"] == "name_pattern:china_provincial"
    engine.dispose()
