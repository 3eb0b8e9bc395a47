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
