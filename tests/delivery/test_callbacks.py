"""Receivers' status callbacks: forward-only statuses, proof of receipt, signatures.

Database tests run on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import NEW, OLD, T0, FakeTransport, load_row, queued
from vessel_risk.db.tables import AuditEntry, Delivery, ReferralNotice
from vessel_risk.delivery.callbacks import (
    ReceiverStatusError,
    agency_secrets,
    apply_status_callback,
    furthest_receiver_status,
    may_follow,
    verify_callback,
)
from vessel_risk.delivery.signing import WebhookVerificationError, verify, webhook_headers
from vessel_risk.delivery.worker import _lease, deliver_due


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        (None, "received", True),
        (None, "closed", True),
        ("received", "accepted", True),
        ("received", "rejected", True),
        ("received", "closed", True),
        ("accepted", "closed", True),
        ("rejected", "closed", True),
        ("received", "received", False),
        ("accepted", "received", False),
        ("accepted", "rejected", False),
        ("rejected", "accepted", False),
        ("closed", "received", False),
        ("closed", "accepted", False),
        ("closed", "closed", False),
    ],
)
def test_receiver_statuses_move_forward_only(old, new, allowed):
    assert may_follow(old, new) is allowed


def test_may_follow_refuses_unknown_statuses():
    with pytest.raises(KeyError):
        may_follow("received", "done")


def test_the_notice_shows_the_furthest_status_of_its_agencies_the_latest_among_equals():
    assert furthest_receiver_status(None, "received") == "received"
    assert furthest_receiver_status("received", "closed") == "closed"
    assert furthest_receiver_status("accepted", "received") == "accepted"
    assert furthest_receiver_status("closed", "rejected") == "closed"
    assert furthest_receiver_status("accepted", "rejected") == "rejected"
    assert furthest_receiver_status("rejected", "accepted") == "accepted"
    assert furthest_receiver_status("accepted", "accepted") == "accepted"
    assert furthest_receiver_status("legacy", "received") == "received"  # ranks below all


def test_status_callbacks_move_forward_only_and_update_the_notice(engine):
    a, b = queued(engine, 2)
    deliver_due(engine, worker_id="w", now=T0, transports={"webhook": FakeTransport()})
    t = T0 + timedelta(hours=2)
    with Session(engine) as s, s.begin():
        row = apply_status_callback(s, a, "received", actor="agency:tha-md", at=t)
        assert row.receiver_status == "received"
        apply_status_callback(s, a, "received", actor="agency:tha-md")  # a retry: no-op
        apply_status_callback(s, a, "accepted", actor="agency:tha-md", at=t)
        with pytest.raises(ReceiverStatusError, match="cannot go from 'accepted' to 'received'"):
            apply_status_callback(s, a, "received", actor="agency:tha-md")
        with pytest.raises(ReceiverStatusError, match="'accepted' to 'rejected'"):
            apply_status_callback(s, a, "rejected", actor="agency:tha-md")
        apply_status_callback(s, a, "closed", actor="agency:tha-md", reason="inspected")
        for status in ("received", "accepted", "rejected"):
            with pytest.raises(ReceiverStatusError):
                apply_status_callback(s, a, status, actor="agency:tha-md")
        with pytest.raises(ValueError, match="one of received, accepted, rejected, closed"):
            apply_status_callback(s, a, "done", actor="agency:tha-md")
        notice = s.get(ReferralNotice, s.get(Delivery, a).notice_id)
        assert notice.receiver_status == "closed"
        # b skips a step straight to rejected
        apply_status_callback(s, b, "rejected", actor="agency:tha-md", reason="not ours")
        assert s.get(Delivery, b).receiver_status == "rejected"
    with Session(engine) as s:
        entries = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "delivery.receiver_status", AuditEntry.entity_id == a)
            .order_by(AuditEntry.id)
        ).all()
        assert [e.after["receiver_status"] for e in entries] == ["received", "accepted", "closed"]
        assert entries[-1].reason == "inspected" and entries[0].actor == "agency:tha-md"


def test_a_callback_proves_receipt_of_a_row_still_pending(engine):
    (did,) = queued(engine)
    _lease(engine, worker_id="dead-worker", batch=1, now=T0, lease_s=600)
    with Session(engine) as s, s.begin():
        apply_status_callback(s, did, "received", actor="agency:tha-md", at=T0)
    row = load_row(engine, did)
    assert (row.status, row.receiver_status, row.lease_owner) == ("delivered", "received", None)
    assert (
        deliver_due(engine, worker_id="w", now=T0 + timedelta(hours=1), transports={}).leased == 0
    )


def test_callbacks_are_verified_with_the_agencys_secrets(engine):
    (did,) = queued(engine)
    body = json.dumps({"delivery_id": did, "status": "accepted"})
    headers = webhook_headers([NEW], "cb-1", body)
    with Session(engine) as s:
        secrets = agency_secrets(s, did)
    assert secrets == [NEW]
    assert verify(secrets, headers, body) == "cb-1"
    with pytest.raises(WebhookVerificationError):
        verify(secrets, webhook_headers([OLD], "cb-1", body), body)


def test_a_callback_signature_is_bound_to_its_delivery(engine):
    """A callback signed for one delivery does not verify for another (issue 19)."""
    (did,) = queued(engine)
    body = json.dumps({"status": "accepted"})
    with Session(engine) as s:
        assert verify_callback(s, did, webhook_headers([NEW], did, body), body.encode())
        replayed = webhook_headers([NEW], "another-delivery", body)
        with pytest.raises(WebhookVerificationError, match="not the delivery"):
            verify_callback(s, did, replayed, body.encode())
        with pytest.raises(LookupError):
            verify_callback(s, "no-such-delivery", replayed, body.encode())


@pytest.mark.parametrize("timestamp", ["9" * 400, "-" + "9" * 30, "1e9", "١٢٣"])
def test_a_timestamp_out_of_any_range_is_a_verification_error(timestamp):
    headers = {"webhook-id": "d", "webhook-timestamp": timestamp, "webhook-signature": "v1,AA=="}
    with pytest.raises(WebhookVerificationError):
        verify([NEW], headers, b"{}")
