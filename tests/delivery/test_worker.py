"""The delivery worker: leases, attempts, retries, dead letters, and the CLI loop.

Database tests run on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import random
from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.builders import NEW, T0, FakeTransport, load_row, queued
from vessel_risk.cli import app
from vessel_risk.db.tables import AuditEntry, DeliveryAttempt
from vessel_risk.delivery.outbox import delivery_history, mark_handed_over, requeue
from vessel_risk.delivery.policy import RetryPolicy
from vessel_risk.delivery.transports import ManualTransport, SendResult
from vessel_risk.delivery.worker import _lease, _record, deliver_due


def test_worker_delivers_records_the_attempt_and_audits(engine):
    (did,) = queued(engine)
    fake = FakeTransport()
    counts = deliver_due(engine, worker_id="w1", now=T0, transports={"webhook": fake})
    assert counts.as_dict() == {
        "leased": 1,
        "delivered": 1,
        "retried": 0,
        "dead": 0,
        "manual": 0,
        "stale": 0,
    }
    (m,) = fake.sent
    assert (m.delivery_id, m.attempt, m.agency_id, m.secrets) == (did, 1, "tha-md", (NEW,))
    row = load_row(engine, did)
    assert (row.status, row.attempts, row.lease_owner, row.leased_until) == (
        "delivered",
        1,
        None,
        None,
    )
    with Session(engine) as s:
        (attempt,) = s.scalars(select(DeliveryAttempt)).all()
        assert attempt.http_status == 200 and attempt.error is None
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "delivery.delivered")).one()
        assert entry.actor == "system:delivery" and entry.entity_id == did
    assert deliver_due(engine, worker_id="w1", now=T0, transports={"webhook": fake}).leased == 0


def test_failures_are_retried_with_backoff_then_delivered(engine):
    (did,) = queued(engine)
    fake = FakeTransport({did: [SendResult(500, "boom"), SendResult(None, "timeout after 1 s")]})
    kw = {"transports": {"webhook": fake}, "base_delay_s": 10.0, "rng": random.Random(1)}
    assert deliver_due(engine, worker_id="w", now=T0, **kw).retried == 1
    row = load_row(engine, did)
    wait = (row.next_attempt_at.replace(tzinfo=UTC) - T0).total_seconds()
    assert 0 <= wait <= 10.0 and row.last_error == "boom" and row.status == "pending"
    t1 = T0 + timedelta(seconds=wait)
    assert deliver_due(engine, worker_id="w", now=t1 - timedelta(seconds=0.5), **kw).leased == 0
    assert deliver_due(engine, worker_id="w", now=t1, **kw).retried == 1
    row = load_row(engine, did)
    wait2 = (row.next_attempt_at.replace(tzinfo=UTC) - t1).total_seconds()
    assert 0 <= wait2 <= 20.0  # the cap doubled
    t2 = T0 + timedelta(seconds=60)
    assert deliver_due(engine, worker_id="w", now=t2, **kw).delivered == 1
    row = load_row(engine, did)
    assert (row.status, row.attempts) == ("delivered", 3)
    with Session(engine) as s:
        history = delivery_history(s, row.notice_id)
    assert [h["http_status"] for h in history[0]["history"]] == [500, None, 200]
    assert [m.attempt for m in fake.sent] == [1, 2, 3]
    assert {m.delivery_id for m in fake.sent} == {did}  # one idempotency key throughout


def test_permanent_refusals_die_at_once_and_retries_die_at_the_limit(engine):
    a, b, c = queued(engine, 3)
    fake = FakeTransport({a: [SendResult(422, "HTTP 422: bad payload")], b: [SendResult(503)] * 5})
    kw = {"transports": {"webhook": fake}, "max_attempts": 3, "base_delay_s": 0.0}
    counts = deliver_due(engine, worker_id="w", now=T0, **kw)
    assert (counts.dead, counts.retried, counts.delivered) == (1, 1, 1)
    assert load_row(engine, a).status == "dead" and load_row(engine, a).last_error.startswith(
        "HTTP 422"
    )
    assert load_row(engine, c).status == "delivered"
    deliver_due(engine, worker_id="w", now=T0, **kw)
    counts = deliver_due(engine, worker_id="w", now=T0, **kw)
    assert counts.dead == 1
    row = load_row(engine, b)
    assert (row.status, row.attempts) == ("dead", 3)
    assert row.last_error.startswith("gave up after 3 attempts")
    with Session(engine) as s:
        dead = s.scalars(select(AuditEntry).where(AuditEntry.action == "delivery.dead")).all()
        assert sorted(e.entity_id for e in dead) == sorted([a, b])
    with Session(engine) as s, s.begin():
        requeue(s, b, actor="ops@vr", reason="endpoint fixed", now=T0)
    fake.script[b] = []  # the receiver is fixed
    assert deliver_due(engine, worker_id="w", now=T0 + timedelta(hours=1), **kw).delivered == 1


def test_retry_after_is_honoured(engine):
    (did,) = queued(engine)
    fake = FakeTransport({did: [SendResult(429, "slow down", retry_after_s=120)]})
    deliver_due(engine, worker_id="w", now=T0, transports={"webhook": fake}, base_delay_s=1)
    wait = (load_row(engine, did).next_attempt_at.replace(tzinfo=UTC) - T0).total_seconds()
    assert wait == pytest.approx(120)


def test_a_worker_that_dies_after_sending_is_followed_by_a_resend_with_the_same_key(engine):
    (did,) = queued(engine)
    receiver = FakeTransport()
    # Worker A leases and sends, then dies before recording anything.
    until, (message,) = _lease(engine, worker_id="A", batch=10, now=T0, lease_s=30)
    assert receiver.send(message).http_status == 200
    # While A's lease runs, nobody else takes the row.
    assert (
        deliver_due(
            engine, worker_id="B", now=T0 + timedelta(seconds=29), transports={"webhook": receiver}
        ).leased
        == 0
    )
    # After it, B sends again with the same id; the receiver has it (409): delivered.
    counts = deliver_due(
        engine, worker_id="B", now=T0 + timedelta(seconds=31), transports={"webhook": receiver}
    )
    assert (counts.leased, counts.delivered) == (1, 1)
    assert [m.delivery_id for m in receiver.sent] == [did, did]
    assert [m.attempt for m in receiver.sent] == [1, 2]
    assert receiver.seen == {did}
    row = load_row(engine, did)
    assert (row.status, row.attempts) == ("delivered", 2)


def test_concurrent_leases_never_share_a_row(engine):
    queued(engine, 10)
    _, first = _lease(engine, worker_id="A", batch=6, now=T0, lease_s=60)
    _, second = _lease(engine, worker_id="B", batch=6, now=T0, lease_s=60)
    assert len(first) == 6 and len(second) == 4
    assert not {m.delivery_id for m in first} & {m.delivery_id for m in second}


def test_a_stale_worker_cannot_undo_a_newer_lease(engine):
    (did,) = queued(engine)
    _lease(engine, worker_id="A", batch=1, now=T0, lease_s=5)
    late = T0 + timedelta(seconds=6)
    _, (m,) = _lease(engine, worker_id="B", batch=1, now=late, lease_s=5)
    policy = RetryPolicy(12, 1.0, 10.0, random.Random(0))
    until = T0 + timedelta(seconds=5)
    stale = _record(
        engine, m, SendResult(500), 1.0, until=until, at=late, worker_id="A", policy=policy
    )
    assert stale == "stale"
    assert load_row(engine, did).lease_owner == "B"


def test_manual_agencies_wait_for_a_person(engine):
    (did,) = queued(engine, transport="manual")
    counts = deliver_due(engine, worker_id="w", now=T0, transports={"manual": ManualTransport()})
    assert counts.manual == 1
    assert load_row(engine, did).status == "manual"
    assert deliver_due(engine, worker_id="w", now=T0 + timedelta(days=1)).leased == 0
    with Session(engine) as s, s.begin():
        mark_handed_over(s, did, actor="officer@tha", reason="brief handed to the harbour master")
    row = load_row(engine, did)
    assert row.status == "delivered" and row.delivered_at is not None
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(DeliveryAttempt)) == 0


def test_unknown_transport_is_a_dead_letter_saying_why(engine):
    (did,) = queued(engine, transport="fax")
    assert deliver_due(engine, worker_id="w", now=T0, transports={}).dead == 1
    assert "unknown transport 'fax'" in load_row(engine, did).last_error


# ------------------------------------------------------------------ CLI


def test_deliver_needs_a_database(monkeypatch, tmp_path):
    monkeypatch.delenv("VESSEL_RISK_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["deliver", "--once"])
    text = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "No database: pass --db" in text and "VESSEL_RISK_DATABASE_URL" in text
    missing = CliRunner().invoke(app, ["deliver", "--once", "--db", f"sqlite:///{tmp_path}/no.db"])
    assert missing.exit_code == 2 and "No database file at" in " ".join(missing.output.split())


def test_deliver_once_runs_one_pass(engine, monkeypatch):
    if engine.dialect.name != "sqlite":
        pytest.skip("the CLI pass is the same on PostgreSQL; the worker tests cover it")
    (did,) = queued(engine, transport="manual")
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["deliver", "--once", "--db", url])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "stopped: 1 leased, 0 delivered, 0 retried, 0 dead, 1 manual in 1 passes" in text
    assert load_row(engine, did).status == "manual"
