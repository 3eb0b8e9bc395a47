"""Subscribers told of arrivals and alerts, end to end over real sockets (issue 18 part 4).

A port inspector of Punta Arenas subscribes by webhook and by e-mail; a real local
webhook receiver verifies every signature with the reference ``standardwebhooks``
package and a real SMTP server (aiosmtpd) accepts the e-mails. Runs on SQLite and
PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import add_arrival, add_subscriber, make_alert, make_visits, record_alerts
from tests.receivers import SmtpReceiver, WebhookReceiver
from vessel_risk.db.tables import AlertRow, AuditEntry, Delivery, ExpectedArrival, Subscription
from vessel_risk.delivery.email import EmailTransport, SmtpSettings
from vessel_risk.delivery.subscriptions import send_due_digests
from vessel_risk.delivery.transports import WebhookTransport
from vessel_risk.delivery.worker import deliver_due
from vessel_risk.referral.subscription_notify import notify_alerts, notify_arrivals
from vessel_risk.referral.subscription_store import (
    by_unsubscribe_token,
    create_subscription,
    remove_subscription,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HIGH, LOW, ELSEWHERE = "412000001", "412000002", "412000003"


@pytest.fixture
def receivers():
    with WebhookReceiver() as hook, SmtpReceiver() as smtp:
        yield hook, smtp


def _transports(smtp: SmtpReceiver) -> dict:
    settings = SmtpSettings(host=smtp.host, port=smtp.port, starttls=False, sender="vr@test")
    return {"webhook": WebhookTransport(allow_local=True), "email": EmailTransport(settings)}


def _alerts(engine) -> dict[str, AlertRow]:
    visits = make_visits()
    record_alerts(
        engine,
        [
            make_alert(HIGH, score=0.91, tier="high"),
            make_alert(LOW, score=0.12, tier="low", rank=2, shipname="LOW ONE"),
            make_alert(ELSEWHERE, score=0.88, tier="high", rank=3, shipname="ELSEWHERE"),
        ],
        visits=visits,
    )
    with Session(engine) as s:
        return {a.mmsi: a for a in s.scalars(select(AlertRow))}


def _subscribe(engine, hook: WebhookReceiver, **kw) -> dict[str, str]:
    """The inspector's webhook and e-mail subscriptions: Punta Arenas, tier high."""
    ids = {}
    with Session(engine) as s, s.begin():
        add_subscriber(s)
        for channel, target in (("webhook", hook.url), ("email", "inspector@dgtm.cl")):
            sub, shown = create_subscription(
                s,
                agency_id="cl-dgtm",
                client_id="cl-inspector",
                channel=channel,
                target=target,
                actor="cl-dgtm/cl-inspector",
                ports=["Punta Arenas"],
                now=NOW,
                allow_local=True,  # the receiver is on 127.0.0.1
                **{"min_tier": "high", **kw},
            )
            ids[channel] = sub.id
            ids[f"{channel}_token"] = shown["unsubscribe"]
            if channel == "webhook":
                hook.secret = shown["webhook"]
    return ids


def _send(engine, smtp: SmtpReceiver) -> dict[str, int]:
    return deliver_due(engine, worker_id="w", now=NOW, transports=_transports(smtp)).as_dict()


def test_a_port_inspector_gets_one_webhook_and_one_email_for_a_high_risk_arrival(engine, receivers):
    hook, smtp = receivers
    alerts = _alerts(engine)
    ids = _subscribe(engine, hook, kinds=["arrival.expected", "arrival.revised"])
    with Session(engine) as s, s.begin():
        add_arrival(s, alerts[HIGH], "PUNTA ARENAS", "CHL", NOW + timedelta(hours=30))
        add_arrival(s, alerts[LOW], "PUNTA ARENAS", "CHL", NOW + timedelta(hours=20))
        add_arrival(s, alerts[ELSEWHERE], "BUSAN", "KOR", NOW + timedelta(hours=10))
        add_arrival(s, alerts[ELSEWHERE], "PUNTA ARENAS", "CHL", NOW + timedelta(hours=60))
        assert notify_arrivals(s, now=NOW) == {"arrivals": 3, "matched": 2}
    assert _send(engine, smtp)["delivered"] == 2

    (doc,) = hook.received
    assert hook.rejected == 0
    assert doc["type"] == "subscription.arrival.expected"
    (item,) = doc["data"]["items"]
    assert (item["mmsi"], item["port_label"], item["tier"], item["score"]) == (
        HIGH,
        "PUNTA ARENAS",
        "high",
        0.91,
    )
    assert item["eta"] == "2026-03-02T18:00:00Z"
    assert item["reasons"] == ["longest voyage 200 days at sea"]
    assert "crew_nationalities" not in item
    assert any("never proof" in t for t in doc["data"]["statements"])
    assert any("presumed victims" in t for t in doc["data"]["statements"])
    assert doc["data"]["unsubscribe_url"].startswith("http://localhost:8000/subscriptions/")

    (mail,) = smtp.wait(1)
    assert mail["To"] == "inspector@dgtm.cl"
    assert HIGH in mail["Subject"] and "PUNTA ARENAS" in mail["Subject"]
    body = mail.get_content()
    assert "presumed victims" in body and "never proof" in body
    assert "ETA 2026-03-02T18:00:00Z" in body
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert ids["email_token"] in mail["List-Unsubscribe"]
    assert LOW not in body and ELSEWHERE not in body

    # matching again tells no one twice; a 1 h change is no revision, a 10 h one is
    with Session(engine) as s, s.begin():
        assert notify_arrivals(s, now=NOW)["matched"] == 0
        (arrival,) = [a for a in s.scalars(select(ExpectedArrival)) if a.mmsi == HIGH]
        arrival.eta = NOW + timedelta(hours=31)
        assert notify_arrivals(s, now=NOW)["matched"] == 0
        arrival.eta = NOW + timedelta(hours=40)
        assert notify_arrivals(s, now=NOW)["matched"] == 2
    assert _send(engine, smtp)["delivered"] == 2
    assert [d["type"] for d in hook.received] == [
        "subscription.arrival.expected",
        "subscription.arrival.revised",
    ]
    assert hook.received[1]["data"]["items"][0]["eta"] == "2026-03-03T04:00:00Z"
    assert len(smtp.wait(2)) == 2

    # unsubscribing (the e-mail's one-click link) stops the e-mails; the webhook goes on
    with Session(engine) as s, s.begin():
        sub = by_unsubscribe_token(s, ids["email_token"])
        assert sub is not None and sub.id == ids["email"]
        remove_subscription(s, sub, actor="link", reason="one-click")
        later = s.scalars(select(AlertRow).where(AlertRow.mmsi == HIGH)).one()
        add_arrival(s, later, "PUNTA ARENAS", "CHL", NOW + timedelta(days=20))
        assert notify_arrivals(s, now=NOW + timedelta(days=19))["matched"] == 1
    deliver_due(engine, worker_id="w", now=NOW + timedelta(days=19), transports=_transports(smtp))
    assert len(hook.received) == 3
    assert len(smtp.wait(3, timeout_s=0.5)) == 2
    with Session(engine) as s:
        removed = s.scalars(select(AuditEntry).where(AuditEntry.action == "subscription.removed"))
        assert [e.entity_id for e in removed] == [ids["email"]]


def test_digest_mode_sends_one_message_with_every_held_event(engine, receivers):
    hook, smtp = receivers
    alerts = _alerts(engine)
    ids = _subscribe(engine, hook, mode="digest", min_tier="low")
    with Session(engine) as s, s.begin():
        for n, mmsi in enumerate((HIGH, LOW, ELSEWHERE)):
            add_arrival(s, alerts[mmsi], "PUNTA ARENAS", "CHL", NOW + timedelta(hours=5 + n))
        assert notify_arrivals(s, now=NOW) == {"arrivals": 3, "matched": 6}
    assert _send(engine, smtp)["leased"] == 0  # held for the digest
    with Session(engine) as s, s.begin():
        assert send_due_digests(s, now=NOW + timedelta(hours=23)) == {"digests": 0, "events": 0}
        assert send_due_digests(s, now=NOW + timedelta(hours=24)) == {"digests": 2, "events": 6}
        sub = s.get(Subscription, ids["email"])
        assert sub.next_digest_at.replace(tzinfo=UTC) == NOW + timedelta(hours=48)
    deliver_due(engine, worker_id="w", now=NOW + timedelta(hours=24), transports=_transports(smtp))
    (doc,) = hook.received
    assert doc["type"] == "subscription.digest"
    assert doc["data"]["count"] == 3
    assert [i["mmsi"] for i in doc["data"]["items"]] == [HIGH, LOW, ELSEWHERE]
    (mail,) = smtp.wait(1)
    assert mail["Subject"] == "vessel-risk digest: 3 vessel event(s)"
    body = mail.get_content()
    assert [body.count(f"MMSI {m} |") for m in (HIGH, LOW, ELSEWHERE)] == [1, 1, 1]
    with Session(engine) as s, s.begin():  # nothing held: the next digest sends nothing
        assert send_due_digests(s, now=NOW + timedelta(hours=48)) == {"digests": 0, "events": 0}


def test_a_run_tells_subscribers_of_new_and_revised_alerts_once(engine, receivers):
    hook, smtp = receivers
    run_id = record_alerts(engine, [make_alert(HIGH, score=0.91, tier="high")])
    ids = _subscribe(engine, hook, kinds=["alert.raised", "alert.revised"])
    with Session(engine) as s, s.begin():
        assert notify_alerts(s, run_id=run_id, now=NOW) == {"events": 1, "matched": 2}
        assert notify_alerts(s, run_id=run_id, now=NOW) == {"events": 1, "matched": 0}
    # a rescoring that moves the score by 0.01 revises nothing; a new tier does
    same = record_alerts(engine, [make_alert(HIGH, score=0.92, tier="high")])
    lower = record_alerts(engine, [make_alert(HIGH, score=0.45, tier="medium")])
    higher = record_alerts(engine, [make_alert(HIGH, score=0.95, tier="high")])
    with Session(engine) as s, s.begin():
        assert notify_alerts(s, run_id=same, now=NOW) == {"events": 0, "matched": 0}
        assert notify_alerts(s, run_id=lower, now=NOW) == {"events": 1, "matched": 0}  # < high
        assert notify_alerts(s, run_id=higher, now=NOW) == {"events": 1, "matched": 2}
    _send(engine, smtp)  # sent concurrently: in any order
    got = sorted((d["type"], d["data"]["items"][0]["score"]) for d in hook.received)
    assert got == [("subscription.alert.raised", 0.91), ("subscription.alert.revised", 0.95)]
    assert hook.received[0]["data"]["items"][0]["port_label"] == "PUNTA ARENAS"
    assert len(smtp.wait(2)) == 2
    with Session(engine) as s:
        n = s.scalar(select(func.count()).where(Delivery.subscription_id == ids["webhook"]))
        assert n == 2


def test_without_subscriptions_a_run_is_not_read_and_nothing_is_recorded(engine):
    run_id = record_alerts(engine, [make_alert(HIGH, score=0.91, tier="high")])
    with Session(engine) as s, s.begin():
        assert notify_alerts(s, run_id=run_id, now=NOW) == {"events": 0, "matched": 0}
        assert s.scalar(select(func.count()).select_from(Delivery)) == 0
        with pytest.raises(LookupError, match="No run 999"):
            notify_alerts(s, run_id=999, now=NOW)


def test_a_removed_subscription_is_sent_nothing_it_had_queued(engine, receivers):
    hook, smtp = receivers
    run_id = record_alerts(engine, [make_alert(HIGH, score=0.91, tier="high")])
    ids = _subscribe(engine, hook)
    with Session(engine) as s, s.begin():
        notify_alerts(s, run_id=run_id, now=NOW)
        remove_subscription(s, s.get(Subscription, ids["webhook"]), actor="t", reason="gone")
    assert _send(engine, smtp)["delivered"] == 1  # the e-mail only
    assert hook.received == []
    with Session(engine) as s:
        statuses = dict(s.execute(select(Delivery.subscription_id, Delivery.status)).all())
        assert statuses == {ids["webhook"]: "cancelled", ids["email"]: "delivered"}


def test_a_run_and_the_worker_matching_at_once_record_an_event_once(engine, receivers):
    """Two transactions record one event key: the second waits for the first, then
    records nothing and does not fail (ON CONFLICT DO NOTHING)."""
    import threading

    from vessel_risk.referral.subscription_notify import record_event

    hook, _ = receivers
    ids = _subscribe(engine, hook)
    item = {"kind": "alert.raised", "summary": "s", "mmsi": HIGH}
    results: list[object] = []

    def second() -> None:
        with Session(engine) as s, s.begin():
            sub = s.get(Subscription, ids["email"])
            got = record_event(s, sub, event_key="alert:1:raised", kind="alert.raised", item=item)
            results.append(got)

    with Session(engine) as s, s.begin():
        sub = s.get(Subscription, ids["email"])
        first = record_event(s, sub, event_key="alert:1:raised", kind="alert.raised", item=item)
        assert first is not None
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive()  # waiting for the first transaction
    thread.join(timeout=30)
    assert results == [None]
    with Session(engine) as s:
        n = s.scalar(select(func.count()).where(Delivery.subscription_id == ids["email"]))
        assert n == 1


def test_a_subscriber_scoped_to_a_coastal_state_hears_of_an_alert_in_its_waters(engine):
    """make_gaps' gap of 412000001 lies 190 km off an Argentine port: Argentina's analyst
    (scope ARG only) is told of the alert; Uruguay's is not."""
    import pandas as pd

    from vessel_risk.alerts.coastal import record_coastal_states
    from vessel_risk.db.tables import SubscriptionEvent
    from vessel_risk.geo.ports import PortIndex

    ports = PortIndex(
        pd.DataFrame(
            {
                "port_label": pd.array(["GOLFO", "MONTEVIDEO"]),
                "port_iso3": pd.array(["ARG", "URY"]),
                "lat": [-46.0, -34.9],
                "lon": [-62.0, -56.2],
            }
        )
    )
    run_id = record_alerts(engine, [make_alert(HIGH, score=0.91, tier="high")])
    subs = {}
    with Session(engine) as s, s.begin():
        assert record_coastal_states(s, run_id=run_id, ports=ports) == 1
        for iso3 in ("ARG", "URY"):
            agency, client = f"{iso3.lower()}-coast", f"{iso3.lower()}-analyst"
            add_subscriber(s, agency, client, role="analyst", ports=(), countries=(iso3,))
            sub, _ = create_subscription(
                s,
                agency_id=agency,
                client_id=client,
                channel="email",
                target=f"watch@{iso3.lower()}.example",
                actor=f"{agency}/{client}",
                kinds=["alert.raised"],
                min_tier="high",
                now=NOW,
            )
            subs[sub.id] = iso3
        assert notify_alerts(s, run_id=run_id, now=NOW) == {"events": 1, "matched": 1}
    with Session(engine) as s:
        told = s.scalars(select(SubscriptionEvent.subscription_id)).all()
    assert [subs[t] for t in told] == ["ARG"]
