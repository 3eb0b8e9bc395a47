"""`vessel-risk clients add|list|revoke` on a SQLite database."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.builders import cli_output
from vessel_risk.cli import app
from vessel_risk.db.engine import make_engine


def test_api_clients_are_added_listed_and_revoked(db):
    from vessel_risk.api.access import authenticate

    added = cli_output(
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
    assert "PUNTA ARENAS" in cli_output("clients", "list")
    engine = make_engine(db)
    with Session(engine) as s:
        assert authenticate(s, key) is not None
    cli_output("clients", "revoke", "chl-pi", "--reason", "key leaked in a chat", "--as", "admin")
    with Session(engine) as s:
        assert authenticate(s, key) is None
    bad = CliRunner().invoke(app, ["clients", "add", "x", "--agency", "a", "--role", "boss"])
    assert bad.exit_code == 2 and "role" in bad.output


def test_case_worker_and_child_protection_clients_are_created(db):
    from vessel_risk.api.access import authenticate

    keys = {}
    for client_id, role in (("tha-cw", "case_worker"), ("tha-cpo", "child_protection_officer")):
        out = cli_output(
            "clients", "create", client_id, "--agency", "tha-dsdw", "--role", role, "--as", "admin"
        )
        keys[role] = re.search(r"shown only now\): (\S+)", out).group(1)
    with Session(make_engine(db)) as s:
        who = {role: authenticate(s, key) for role, key in keys.items()}
    assert who["case_worker"].may("cases.screen") and who["case_worker"].may("cases.intake")
    assert not who["case_worker"].may("alerts.read")
    assert who["child_protection_officer"].role == "child_protection_officer"
