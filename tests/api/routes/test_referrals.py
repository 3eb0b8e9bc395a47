"""Referral notices and their deliveries: reads audited per agency, and the flow from
draft to approval, delivery and the receiver's callback
(vessel_risk.api.routes.referrals)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.apikit import auth
from vessel_risk.db.tables import AuditEntry


def test_referral_reads_are_audited_per_agency(api, engine):
    r = api.get("/referrals", headers=auth("cl-case"))
    assert [n["id"] for n in r.json()] == ["notice-cl"]
    d = api.get("/referrals/notice-cl/deliveries", headers=auth("cl-case")).json()
    assert [x["agency_id"] for x in d] == ["cl-nrm"]
    assert api.get("/referrals/notice-kr", headers=auth("cl-case")).status_code == 404
    with Session(engine) as s:
        reads = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "notice.read").order_by(AuditEntry.id)
        ).all()
    assert [(e.actor, e.entity_id, e.reason) for e in reads] == [
        ("cl-nrm/cl-case", "notice-cl", "list"),
        ("cl-nrm/cl-case", "notice-cl", "deliveries"),
    ]


def test_referral_flow_create_approve_deliver_callback(api, engine):
    alert_id = api.ids["alerts"]["412000001"]
    r = api.post(
        "/referrals",
        json={"alert_id": alert_id, "reason": "long voyages, IUU"},
        headers=auth("cl-analyst"),
    )
    assert r.status_code == 201, r.text
    notice = r.json()
    assert notice["status"] == "draft" and notice["created_by"] == "cl-dgtm/cl-analyst"
    assert notice["payload"]["personal_data_included"] is False
    # another agency's approver cannot see, let alone approve, it
    assert (
        api.post(f"/referrals/{notice['id']}/approve", headers=auth("kr-approver")).status_code
        == 404
    )
    r = api.post(f"/referrals/{notice['id']}/approve", headers=auth("cl-approver"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["approved_by"] == "cl-dgtm/cl-approver"
    deliveries = api.get(f"/referrals/{notice['id']}/deliveries", headers=auth("cl-case")).json()
    assert [d["agency_id"] for d in deliveries] == ["cl-nrm"]
    d_id = deliveries[0]["id"]
    assert (
        api.post(
            f"/deliveries/{d_id}/status", json={"status": "accepted"}, headers=auth("kr-case")
        ).status_code
        == 404
    )
    r = api.post(f"/deliveries/{d_id}/status", json={"status": "accepted"}, headers=auth("cl-case"))
    assert r.status_code == 200, r.text
    assert r.json()["receiver_status"] == "accepted"
    assert (
        api.get(f"/referrals/{notice['id']}", headers=auth("cl-analyst")).json()["receiver_status"]
        == "accepted"
    )
    brief = api.get(f"/referrals/{notice['id']}/brief", headers=auth("cl-approver"))
    assert brief.status_code == 200 and "412000001" in brief.text
    with Session(engine) as s:
        actions = [
            (e.actor, e.action)
            for e in s.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity_id == notice["id"])
                .order_by(AuditEntry.id)
            )
        ]
    assert ("cl-dgtm/cl-analyst", "notice.created") in actions
    assert ("cl-dgtm/cl-analyst", "notice.reason") in actions
    assert ("cl-nrm/cl-case", "notice.read") in actions
    assert ("cl-dgtm/cl-approver", "notice.read") in actions
