"""Crew personal data on a notice: consent, minimisation, audit, retention."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_alert, record_alerts
from vessel_risk.db.tables import AlertRow, AuditEntry
from vessel_risk.referral.notices import NoticeError, create_notice
from vessel_risk.referral.personal_data import (
    add_personal_data,
    purge_expired,
    read_personal_data,
)


def test_personal_data_needs_consent_is_minimised_audited_and_expires(engine):
    record_alerts(engine, [make_alert()])
    with Session(engine) as s, s.begin():
        alert_id = s.scalars(select(AlertRow.id)).one()
        notice = create_notice(s, alert_id, actor="analyst@chl")
        payload_before = json.dumps(notice.payload, sort_keys=True)
        with pytest.raises(NoticeError, match="not allowed"):
            add_personal_data(s, notice.id, {"passport_number": "E1234"}, actor="a", consent=True)
        with pytest.raises(NoticeError, match="consent or an override"):
            add_personal_data(s, notice.id, {"crew_count": 24}, actor="a", consent=False)
        add_personal_data(
            s,
            notice.id,
            {"crew_count": 24, "languages": ["Bahasa Indonesia"]},
            actor="caseworker@chl",
            consent=False,
            override_reason="crew cannot be reached safely before boarding",
            retention_days=90,
        )
        assert (
            read_personal_data(s, notice.id, actor="approver@chl")[0]["fields"]["crew_count"] == 24
        )
        assert json.dumps(notice.payload, sort_keys=True) == payload_before
        notice_id = notice.id
    with Session(engine) as s, s.begin():
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == notice_id).order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in entries] == [
            "notice.created",
            "notice.personal_data_added",
            "notice.personal_data_read",
        ]
        assert entries[1].reason == "crew cannot be reached safely before boarding"
        assert purge_expired(s, now=entries[1].at + timedelta(days=89)) == 0
        assert purge_expired(s, now=entries[1].at + timedelta(days=91)) == 1
        assert read_personal_data(s, notice_id, actor="approver@chl") == []
