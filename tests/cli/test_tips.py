"""`vessel-risk tips add|list`: tips entered by hand into the review queue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import cli_output
from vessel_risk.alerts.queue import TIP_SOURCES
from vessel_risk.cli.tips import SOURCES
from vessel_risk.db.engine import make_engine
from vessel_risk.db.tables import AlertRow, AuditEntry


def test_sources_match_the_queue():
    assert SOURCES == TIP_SOURCES


def test_add_links_or_makes_an_item_then_list(db):
    out = " ".join(
        cli_output(
            "tips", "add", "--source", "ngo", "--agency", "ph-ngo", "--mmsi", "412000001",
            "--indicator", "debt_bondage", "--as", "ph-ngo/desk", "--db", db,
        ).split()
    )  # fmt: skip
    assert "from ngo received: queue item 1 (added to the existing item)." in out
    out = " ".join(
        cli_output(
            "tips", "add", "--source", "first_responder", "--agency", "th-police",
            "--name", "Sea Star 7", "--port", "songkhla", "--urgent", "--db", db,
        ).split()
    )  # fmt: skip
    assert "(a new unscored item)." in out
    listed = " ".join(cli_output("tips", "list", "--db", db).split())
    assert "first_responder" in listed and "SEA STAR 7" in listed and "2 tips." in listed
    only = " ".join(cli_output("tips", "list", "--source", "ngo", "--db", db).split())
    assert "1 tips." in only
    lines = [
        [c.strip() for c in line.split("│")[1:-1]]
        for line in cli_output("alerts", "list", "--db", db).splitlines()
        if line.startswith("│") and "│ mmsi" not in line
    ]
    # id, mmsi, year, name, flag, score, tier, status, last port, source
    assert [(r[0], r[5], r[6], r[9]) for r in lines] == [
        ("1", "0.80", "high", "model (+ngo)"),
        ("2", "0.40", "medium", "model"),
        ("3", "none", "unscored", "first_responder"),
    ]
    shown = " ".join(cli_output("alerts", "show", "3", "--db", db).split())
    assert "no model score: tip from first responder; status new" in shown
    engine = make_engine(db)
    with Session(engine) as s:
        rows = s.scalars(select(AlertRow).order_by(AlertRow.id)).all()
        assert [(r.source, r.reported_by) for r in rows] == [
            ("model", ["ngo"]),
            ("model", []),
            ("first_responder", []),
        ]
        assert rows[2].tip_urgency == 100 and rows[2].score is None
        actors = s.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "tip.received")
        ).all()
        assert actors[0] == "ph-ngo/desk"
    engine.dispose()


def test_a_bad_tip_is_a_clear_error(db):
    from typer.testing import CliRunner

    from vessel_risk.cli import app

    args = ["tips", "add", "--source", "ngo", "--agency", "x", "--db", db]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "names it" in " ".join(result.output.split())
