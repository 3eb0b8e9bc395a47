"""The outbox: approved notices queued once per agency, frozen, and cancelled.

Database tests run on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import T0, add_agency, load_row, make_notices, queued
from vessel_risk.db.tables import Agency, AuditEntry, Delivery, ReferralNotice
from vessel_risk.delivery.outbox import EVENT_TYPE, cancel_pending, enqueue
from vessel_risk.delivery.worker import deliver_due


def test_enqueue_writes_one_frozen_row_per_agency_and_is_idempotent(engine):
    with Session(engine) as s, s.begin():
        (notice,) = make_notices(s, 1)
        a, b = add_agency(s, "tha-md"), add_agency(s, "chn-msa", country_iso3="CHN")
        rows = enqueue(s, notice, [(a, "port_state_last_port"), (b, "flag_state")], now=T0)
        ids = [r.id for r in rows]
        assert [r.agency_id for r in rows] == ["tha-md", "chn-msa"]
        assert [r.rule for r in rows] == ["port_state_last_port", "flag_state"]
        assert all(len(i) == 36 and i[14] == "4" for i in ids)  # UUID4 strings
        assert {r.event_type for r in rows} == {EVENT_TYPE}
        assert {r.status for r in rows} == {"pending"}
        notice.payload = {**notice.payload, "score": 0.1}  # later edits never reach the row
        notice_id = notice.id
    with Session(engine) as s, s.begin():
        notice = s.get(ReferralNotice, notice_id)
        a, b = s.get(Agency, "tha-md"), s.get(Agency, "chn-msa")
        row = s.get(Delivery, ids[0])
        assert row.payload["score"] == 0.8 and row.payload["mmsi"] == "412000001"
        assert row.attempts == 0 and row.next_attempt_at.replace(tzinfo=UTC) == T0
        again = enqueue(s, notice, [(b, "another_rule"), (a, "x"), (a, "y")])
        assert [r.id for r in again] == [ids[1], ids[0]]
        assert again[0].rule == "flag_state"  # the existing row, unchanged
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 2
        actions = s.scalars(select(AuditEntry.action)).all()
        assert actions.count("delivery.enqueued") == 2


def test_enqueue_refuses_unapproved_notices_and_bad_rules(engine):
    with Session(engine) as s, s.begin():
        (draft,) = make_notices(s, 1, status="draft")
        a = add_agency(s)
        with pytest.raises(ValueError, match="Only approved notices"):
            enqueue(s, draft, [(a, "flag_state")])
        draft.status = "approved"
        with pytest.raises(ValueError, match="1 to 64 characters"):
            enqueue(s, draft, [(a, "x" * 65)])
        assert enqueue(s, draft, []) == []


def test_cancel_pending_keeps_withdrawn_notices_from_going_out(engine):
    (did,) = queued(engine)
    with Session(engine) as s, s.begin():
        notice_id = s.get(Delivery, did).notice_id
        assert cancel_pending(s, notice_id, actor="reviewer@tha", reason="withdrawn") == [did]
    assert deliver_due(engine, worker_id="w", now=T0, transports={}).leased == 0
    assert load_row(engine, did).status == "cancelled"
