"""`vessel-risk deliveries list/show/requeue`, `deliver --once` and `purge` on a SQLite
database, with a Primero stub server as the receiving case system."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.builders import T0, add_agency, add_case, cli_output
from tests.primero_stub import PrimeroStub
from vessel_risk.cli import app
from vessel_risk.db.engine import make_engine
from vessel_risk.db.tables import AuditEntry, Case, CaseIntake
from vessel_risk.delivery import ManualTransport, PrimeroTransport, deliver_due
from vessel_risk.referral.case_referral import refer_case

CASE = "00000000-0000-4000-9000-0000000000c1"


def test_a_dead_case_delivery_is_listed_shown_requeued_and_delivered_once(db):
    engine = make_engine(db)
    with PrimeroStub() as stub:
        with Session(engine) as s, s.begin():
            add_agency(
                s,
                "phl-primero",
                "primero",
                country_iso3="PHL",
                role="nrm_case_system",
                endpoint_url=stub.url,
                secrets=[stub.credentials],
            )
            add_case(
                s,
                CASE,
                fields={"language": "tl", "needs": ["shelter"]},
                consents={"referral": True},
            )
            (row,) = refer_case(s, CASE, actor="caseworker@phl", now=T0)
            delivery_id = row.id
        stub.fail_next = [400]
        transports = {
            "primero": PrimeroTransport(timeout_s=5, allow_local=True),
            "manual": ManualTransport(),
        }
        counts = deliver_due(engine, worker_id="w", now=T0, transports=transports)
        assert counts.dead == 1 and stub.cases == {}

        listed = cli_output("deliveries", "list", "--status", "dead")
        assert f"{delivery_id} dead case.referral -> phl-primero" in listed
        assert "HTTP 400" in listed
        assert cli_output("deliveries", "list", "--status", "delivered") == "No deliveries match.\n"
        shown = cli_output("deliveries", "show", delivery_id)
        assert f"about: case {CASE}" in shown and "consent use: referral" in shown
        assert "tl" not in shown.split("consent use")[0]  # no payload, no intake values
        bad = CliRunner().invoke(app, ["deliveries", "requeue", delivery_id, "--reason", " "])
        assert bad.exit_code == 2 and "needs a reason" in bad.output
        out = cli_output(
            "deliveries", "requeue", delivery_id, "--reason", "form fixed", "--as", "admin"
        )
        assert "requeued: pending" in out
        cli_output("deliver", "--once", "--purge-every", "0", "--allow-local")
        assert list(stub.cases) == [delivery_id]
        assert stub.cases[delivery_id]["language"] == ["tl"]
        again = CliRunner().invoke(app, ["deliveries", "requeue", delivery_id, "--reason", "x"])
        assert again.exit_code == 2 and "is 'delivered'" in again.output
    with Session(engine) as s:
        who = s.scalar(
            select(AuditEntry.actor).where(
                AuditEntry.action == "delivery.requeued", AuditEntry.entity_id == delivery_id
            )
        )
        assert who == "admin"
    engine.dispose()


def test_purge_removes_expired_intakes_for_cron(db):
    engine = make_engine(db)
    with Session(engine) as s, s.begin():
        add_case(s, CASE, fields={"language": "tl"}, consents={}, retain_until=T0)
        add_case(
            s,
            CASE[:-1] + "2",
            fields={"language": "id"},
            consents={},
            retain_until=T0 + timedelta(days=36500),
        )
    out = cli_output("purge")
    assert out == (
        "Purged 0 notice crew records, 1 case intakes, 0 follow-up indicator sets, "
        "0 tips' accounts.\n"
    )
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(CaseIntake)) == 1
        assert s.get(CaseIntake, CASE) is None and s.get(Case, CASE) is not None
    engine.dispose()
