"""Referral notices and their deliveries: reads audited per agency, and the flow from
draft to approval, delivery and the receiver's callback
(vessel_risk.api.routes.referrals)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.apikit import auth, record_inferred_flag_alert
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


def test_alerts_show_the_track_and_the_inferred_flag(api, engine):
    alert_id = record_inferred_flag_alert(engine)
    d = api.get(f"/alerts/{alert_id}", headers=auth("cl-analyst")).json()
    assert (d["mmsi"], d["track_id"], d["vessel_label"]) == ("150400453", 1, "150400453 track 1")
    assert d["flag_iso3"] is None and d["flag_inferred_iso3"] == "CHN"
    assert d["flag_label"] == "CHN (inferred from name_pattern:china_provincial, confidence 0.80)"
    listed = api.get("/alerts", headers=auth("admin")).json()["items"]
    labels = {a["vessel_label"]: a["flag_label"] for a in listed}
    assert labels["412000001"] == "CHN"  # declared
    assert labels["150400453 track 1"].startswith("CHN (inferred")


def test_approval_by_an_inferred_flag_needs_the_approvers_confirmation(api, engine):
    alert_id = record_inferred_flag_alert(engine)
    notice = api.post("/referrals", json={"alert_id": alert_id}, headers=auth("cl-analyst"))
    assert notice.status_code == 201, notice.text
    nid = notice.json()["id"]
    preview = api.get(f"/referrals/{nid}/preview", headers=auth("cl-approver"))
    assert preview.status_code == 200, preview.text
    p = preview.json()
    assert p["vessel"] == "150400453 track 1" and p["needs_confirmation"] is True
    assert (p["flag"]["iso3"], p["flag"]["basis"], p["flag"]["confidence"]) == (
        "CHN",
        "inferred",
        0.8,
    )
    assert [(r["agency_id"], r["rule"], r["needs_confirmation"]) for r in p["routes"]] == [
        ("chn-msa", "flag_state", True),
        ("cl-nrm", "port_state", False),
    ]
    assert p["unmatched"] == [
        "crew_consular (CHN): no active consular_service of CHN in the directory takes this notice"
    ]
    refused = api.post(f"/referrals/{nid}/approve", headers=auth("cl-approver"))
    assert refused.status_code == 409
    assert "inferred flag CHN" in refused.text and "confirm_inferred_flag" in refused.text
    ok = api.post(
        f"/referrals/{nid}/approve",
        json={"confirm_inferred_flag": True},
        headers=auth("cl-approver"),
    )
    assert ok.status_code == 200, ok.text
    confirmation = ok.json()["payload"]["routing"]["inferred_flag_confirmation"]
    assert (confirmation["by"], confirmation["flag_iso3"]) == ("cl-dgtm/cl-approver", "CHN")
    with Session(engine) as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "notice.inferred_flag_confirmed")
        ).one()
        assert (entry.actor, entry.entity_id) == ("cl-dgtm/cl-approver", nid)
    after = api.get(f"/referrals/{nid}/preview", headers=auth("cl-approver")).json()
    assert after["needs_confirmation"] is False
    assert after["confirmation"]["source"] == "name_pattern:china_provincial"


def test_api_notices_take_crew_countries_and_the_next_port_and_route_by_them(api, engine):
    from tests.builders import add_agency

    with Session(engine) as s, s.begin():
        add_agency(s, "idn-consular", "manual", country_iso3="IDN", role="consular_service")
        add_agency(s, "kor-psc", "manual", country_iso3="KOR", role="port_state_control")
    alert_id = api.ids["alerts"]["412000001"]
    r = api.post(
        "/referrals",
        json={"alert_id": alert_id, "crew_nationalities_iso3": ["IDN"], "expected_port": "KR PUS"},
        headers=auth("cl-analyst"),
    )
    assert r.status_code == 201, r.text
    payload = r.json()["payload"]
    assert payload["crew_nationalities_iso3"] == ["IDN"]
    assert (payload["expected_port"]["label"], payload["expected_port"]["iso3"]) == (
        "KR PUS",
        "KOR",
    )
    preview = api.get(f"/referrals/{r.json()['id']}/preview", headers=auth("cl-approver"))
    routes = {(x["agency_id"], x["rule"]) for x in preview.json()["routes"]}
    assert {("idn-consular", "crew_consular"), ("kor-psc", "port_state")} <= routes
    bad = api.post(
        "/referrals",
        json={"alert_id": alert_id, "crew_nationalities_iso3": ["indonesia"]},
        headers=auth("cl-analyst"),
    )
    assert bad.status_code == 422


def test_a_dead_delivery_is_requeued_by_its_sender_once_and_audited(api, engine):
    from vessel_risk.db.tables import Delivery

    with Session(engine) as s, s.begin():
        s.get(Delivery, "delivery-cl-nrm").status = "dead"
    url = "/deliveries/delivery-cl-nrm/requeue"
    body = {"reason": "endpoint fixed"}
    assert api.post(url, json=body, headers=auth("kr-approver")).status_code == 404
    assert api.post(url, json=body, headers=auth("cl-case")).status_code == 403
    r = api.post(url, json=body, headers=auth("cl-approver"))
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["attempts"]) == ("pending", 0)
    again = api.post(url, json=body, headers=auth("cl-approver"))
    assert again.status_code == 409 and "Only dead deliveries" in again.text
    with Session(engine) as s:
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "delivery.requeued")
        ).all()
    assert [(e.actor, e.entity_id, e.reason) for e in entries] == [
        ("cl-dgtm/cl-approver", "delivery-cl-nrm", "endpoint fixed")
    ]
