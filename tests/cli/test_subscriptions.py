"""`vessel-risk subscriptions add|list|remove|digest` on a SQLite database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.builders import add_subscriber, cli_output
from vessel_risk.cli import app
from vessel_risk.db.engine import make_engine
from vessel_risk.db.tables import AlertRow, Delivery, Subscription
from vessel_risk.referral.subscription_notify import notify_alerts


def test_subscriptions_are_added_listed_digested_and_removed(db):
    engine = make_engine(db)
    with Session(engine) as s, s.begin():
        add_subscriber(s)
    added = cli_output(
        "subscriptions",
        "add",
        "--agency",
        "cl-dgtm",
        "--client",
        "cl-inspector",
        "--channel",
        "webhook",
        "--target",
        "https://dgtm.cl/hooks",
        "--port",
        "punta arenas",
        "--min-tier",
        "medium",
        "--digest",
        "--as",
        "inspector",
    )
    sub_id = re.search(r"Subscription (\S+) \(webhook, digest\)", added).group(1)
    assert re.search(r"Webhook secret \(shown only now\): whsec_\S+", added)
    listed = cli_output("subscriptions", "list")
    assert sub_id in listed and "port PUNTA ARENAS" in listed and ">= medium" in listed

    # both alerts of the fixture's run are at or above medium; the digest holds them
    with Session(engine) as s, s.begin():
        run_id = s.scalars(select(AlertRow.run_id)).first()
        sub = s.get(Subscription, sub_id)
        sub.next_digest_at = datetime.now(UTC) + timedelta(hours=24)
        assert notify_alerts(s, run_id=run_id)["matched"] == 1  # 412000002 has no port
    assert "0 digest(s) queued with 0 event(s)" in cli_output("subscriptions", "digest")
    assert "1 digest(s) queued with 1 event(s)" in cli_output("subscriptions", "digest", "--now")
    with Session(engine) as s:
        (row,) = s.scalars(select(Delivery).where(Delivery.subscription_id == sub_id))
        assert (row.event_type, row.payload["count"]) == ("subscription.digest", 1)

    cli_output("subscriptions", "remove", sub_id, "--reason", "moved port", "--as", "inspector")
    assert sub_id not in cli_output("subscriptions", "list")
    assert "removed" in cli_output("subscriptions", "list", "--all")
    with Session(engine) as s:
        assert s.get(Delivery, row.id).status == "cancelled"
    engine.dispose()


def test_refusals_exit_2_saying_why(db):
    engine = make_engine(db)
    with Session(engine) as s, s.begin():
        add_subscriber(s)
    engine.dispose()
    base = ["subscriptions", "add", "--agency", "cl-dgtm", "--client", "cl-inspector"]
    cases = [
        (["--channel", "fax", "--target", "x@y.cl"], "channel"),
        (["--channel", "email", "--target", "x@y.cl", "--port", "BUSAN"], "outside"),
        (["--channel", "email", "--target", "x@y.cl", "--min-tier", "huge"], "tier"),
    ]
    for extra, word in cases:
        result = CliRunner().invoke(app, base + extra)
        assert result.exit_code == 2 and word in result.output, result.output
    gone = CliRunner().invoke(app, ["subscriptions", "remove", "nope"])
    assert gone.exit_code == 2 and "No subscription" in gone.output
