"""Subscription messages in the outbox: digests on schedule, the worker's jobs, refusals.

Database tests run on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import T0, FakeTransport, add_subscriber
from vessel_risk.db.tables import Delivery, Subscription, SubscriptionEvent
from vessel_risk.delivery.subscriptions import (
    DIGEST,
    enqueue_subscription_message,
    send_due_digests,
    unsubscribe_url,
)
from vessel_risk.delivery.worker import ScheduledJob, deliver_due, run_worker
from vessel_risk.referral.subscription_store import create_subscription, remove_subscription


def _digest_subscription(s: Session, every_h: int = 24) -> Subscription:
    add_subscriber(s)
    sub, _ = create_subscription(
        s,
        agency_id="cl-dgtm",
        client_id="cl-inspector",
        channel="webhook",
        target="https://dgtm.cl/hooks",
        actor="t",
        mode="digest",
        digest_every_h=every_h,
        now=T0,
    )
    return sub


def _hold(s: Session, sub: Subscription, n: int) -> None:
    for i in range(n):
        item = {"kind": "alert.raised", "summary": f"vessel {i}", "mmsi": f"41200000{i}"}
        s.add(
            SubscriptionEvent(
                subscription_id=sub.id,
                event_key=f"alert:{i}:raised",
                kind="alert.raised",
                item=item,
                created_at=T0 + timedelta(minutes=i),
            )
        )
    s.flush()


def test_a_digest_goes_when_due_and_its_next_one_lands_after_now(engine):
    with Session(engine) as s, s.begin():
        sub = _digest_subscription(s, every_h=6)
        _hold(s, sub, 4)
        assert sub.next_digest_at == T0 + timedelta(hours=6)
        # a worker stopped for 20 h: one digest, the next due at the next slot after now
        assert send_due_digests(s, now=T0 + timedelta(hours=20)) == {"digests": 1, "events": 4}
        assert sub.next_digest_at.replace(tzinfo=UTC) == T0 + timedelta(hours=24)
        (row,) = s.scalars(select(Delivery).where(Delivery.subscription_id == sub.id))
        assert (row.event_type, row.rule, row.payload["count"]) == (DIGEST, "subscription", 4)
        assert [i["mmsi"] for i in row.payload["items"]] == [f"41200000{i}" for i in range(4)]
        held = s.scalars(select(SubscriptionEvent.delivery_id)).all()
        assert set(held) == {row.id}


def test_the_worker_queues_due_digests_and_runs_its_jobs_on_schedule(engine):
    with Session(engine) as s, s.begin():
        sub = _digest_subscription(s)
        sub.next_digest_at = T0 - timedelta(minutes=1)
        _hold(s, sub, 2)
    ran: list[str] = []

    def job(session: Session) -> dict[str, int]:
        ran.append("arrivals")
        return {"matched": 0}

    seen: list[dict[str, int]] = []
    fake = FakeTransport()
    total = run_worker(
        engine,
        worker_id="w",
        once=True,
        transports={"webhook": fake},
        purge_every_s=None,
        digest_every_s=600.0,
        on_digest=seen.append,
        jobs=[ScheduledJob("arrivals", 600.0, job)],
        handle_signals=False,
    )
    assert ran == ["arrivals"] and seen == [{"digests": 1, "events": 2}]
    assert total.delivered == 1
    (m,) = fake.sent
    assert (m.transport, m.endpoint_url, m.event_type) == (
        "webhook",
        "https://dgtm.cl/hooks",
        DIGEST,
    )
    assert m.secrets[0].startswith("whsec_")
    assert m.payload["unsubscribe_url"].startswith("http://localhost:8000/subscriptions/")


def test_a_removed_subscription_is_refused_and_takes_no_new_message(engine):
    with Session(engine) as s, s.begin():
        sub = _digest_subscription(s)
        _hold(s, sub, 1)
        events = s.scalars(select(SubscriptionEvent)).all()
        row = enqueue_subscription_message(s, sub, events, event_type=DIGEST, now=T0)
        sub.status = "removed"  # as if removed while the row was leased elsewhere
        row_id = row.id
    fake = FakeTransport()
    assert deliver_due(engine, worker_id="w", now=T0, transports={"webhook": fake}).dead == 1
    assert fake.sent == []
    with Session(engine) as s, s.begin():
        row = s.get(Delivery, row_id)
        assert (row.status, row.last_error) == (
            "dead",
            "the subscription was removed: nothing sent",
        )
        sub = s.get(Subscription, row.subscription_id)
        assert remove_subscription(s, sub, actor="t", reason="again").status == "removed"
        with pytest.raises(ValueError, match="is 'removed'"):
            enqueue_subscription_message(s, sub, events, event_type=DIGEST, now=T0)


def test_the_unsubscribe_link_escapes_its_token():
    assert unsubscribe_url("https://vr.example/", "a+b/c") == (
        "https://vr.example/subscriptions/unsubscribe?token=a%2Bb%2Fc"
    )
