"""The case routes (vessel_risk.api.routes.cases): screening opens a case, each client
sees only its cases, the intake is the only way to a person's data (audited, never for
the admin), decisions follow the NRM's rules, follow-ups and consents are recorded.

Runs on the hand-made database of ``tests/apikit.py`` (SQLite, then PostgreSQL), whose
cases are: ``case-cl`` (a child, routed to the child-protection agency ``cl-cp``) and
``case-cl-adult`` of the Chilean case worker, ``case-kr`` of the Korean one.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.apikit import T0, auth
from vessel_risk.db.tables import AuditEntry, Case, Delivery

SCREENING = {
    "intake": {
        "entry_point": "boarding",
        "state_iso3": "chl",
        "nationality_iso3": "MMR",
        "language": "Burmese",
        "interpreter_language": "Burmese",
        "age_uncertain": True,
        "indicators": {"retention_of_documents": True, "deception": None},
        "needs": ["shelter", "interpretation"],
        "consents": {"services": True, "law_enforcement": False},
    }
}


def _audit(engine, case_id: str) -> list[AuditEntry]:
    with Session(engine) as s:
        return list(
            s.scalars(
                select(AuditEntry).where(AuditEntry.entity_id == case_id).order_by(AuditEntry.id)
            )
        )


def test_screening_opens_a_presumed_child_victims_case_of_the_state_rule(api, engine):
    r = api.post("/cases", json=SCREENING, headers=auth("cl-caseworker"))
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["presumed_victim"] is True
    assert case["child"] is True  # age uncertain: presumed a child
    assert case["age_uncertain"] is True
    assert case["state_iso3"] == "CHL"
    assert case["owner_agency_id"] == "cl-dsw"
    # no rule of Chile's own: at least 30 days (CETS 197 Art. 13), from now
    assert case["reflection_days"] == 30
    assert case["status"] == "Presumed victim of forced labour · presumed a child: child protection"
    assert "never as a suspect" in case["presumed_victims"]
    assert case["consents"]["law_enforcement"] is False
    assert case["consents"]["consular"] is True  # does not object, by default
    assert case["consents"]["services"] is True
    # nothing the person said is in the case: only in its intake
    body = json.dumps(case)
    assert "Burmese" not in body and "MMR" not in body and "shelter" not in body
    listed = api.get("/cases", headers=auth("cl-caseworker")).json()
    assert {c["id"] for c in listed} == {case["id"], "case-cl", "case-cl-adult"}
    assert "Burmese" not in json.dumps(listed)


def test_each_client_sees_only_its_cases(api):
    def ids(client_id: str) -> set[str]:
        return {c["id"] for c in api.get("/cases", headers=auth(client_id)).json()}

    assert ids("cl-caseworker") == {"case-cl", "case-cl-adult"}
    assert ids("kr-caseworker") == {"case-kr"}
    assert ids("cl-cpo") == {"case-cl"}  # the child's case routed to cl-cp, not the adult's
    assert ids("admin") == {"case-cl", "case-cl-adult", "case-kr"}  # metadata only
    assert api.get("/cases", headers=auth("cl-analyst")).status_code == 403
    assert api.get("/cases/case-kr", headers=auth("cl-caseworker")).status_code == 404
    assert api.get("/cases/case-cl-adult", headers=auth("cl-cpo")).status_code == 404
    assert api.get("/cases/case-cl", headers=auth("cl-cpo")).json()["child"] is True


def test_the_intake_is_read_only_by_the_case_and_each_read_is_audited(api, engine):
    r = api.get("/cases/case-cl/intake", headers=auth("cl-caseworker"))
    assert r.status_code == 200
    assert r.json()["fields"] == {"language": "Burmese", "age_uncertain": True}
    assert api.get("/cases/case-cl/intake", headers=auth("cl-cpo")).status_code == 200
    refused = api.get("/cases/case-cl/intake", headers=auth("admin"))
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "The admin role may not do this; needs case_worker, child_protection_officer."
    )
    assert api.get("/cases/case-cl/intake", headers=auth("kr-caseworker")).status_code == 404
    entries = _audit(engine, "case-cl")
    readers = [e.actor for e in entries if "intake" in e.action]
    assert readers == ["cl-dsw/cl-caseworker", "cl-cp/cl-cpo"]
    # values never reach the audit log
    assert not any("Burmese" in json.dumps([e.before, e.after, e.reason]) for e in entries)


def test_decisions_follow_the_rules_and_are_audited(api, engine):
    panel = {"to_state": "identified", "reason": "panel met", "panel": [{"role": "ngo"}]}
    r = api.post("/cases/case-cl/transitions", json=panel, headers=auth("cl-caseworker"))
    assert r.status_code == 409
    assert "child-protection member" in r.json()["detail"]
    early = {"to_state": "not_identified", "reason": "x", "panel": [{"role": "ngo"}]}
    r = api.post("/cases/case-cl-adult/transitions", json=early, headers=auth("cl-caseworker"))
    assert r.status_code == 200  # the seeded period ended long ago (T0 + 30 days)
    panel["panel"] = [{"role": "child_protection", "agency_id": "cl-cp"}]
    r = api.post("/cases/case-cl/transitions", json=panel, headers=auth("cl-cpo"))
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["state"] == "identified"
    assert case["next_states"] == ["assistance"]
    last = case["transitions"][-1]
    assert (last["from_state"], last["to_state"], last["actor"], last["reason"]) == (
        "reflection",
        "identified",
        "cl-cp/cl-cpo",
        "panel met",
    )
    assert (
        api.post("/cases/case-cl/transitions", json=panel, headers=auth("admin")).status_code == 403
    )
    missing = {"to_state": "assistance", "reason": ""}
    assert (
        api.post("/cases/case-cl/transitions", json=missing, headers=auth("cl-cpo")).status_code
        == 422
    )


def test_consents_and_overdue_follow_ups(api, engine):
    r = api.post(
        "/cases/case-cl/consents",
        json={"use": "referral", "granted": True, "interpreter_language": "Burmese"},
        headers=auth("cl-caseworker"),
    )
    assert r.status_code == 200
    assert r.json() == {
        "services": True,
        "referral": True,
        "law_enforcement": False,
        "consular": True,
        "transfer": False,
    }
    overdue = api.get("/cases/follow-ups/overdue", headers=auth("cl-caseworker")).json()
    assert [(f["case_id"], f["months"], f["overdue"]) for f in overdue] == [
        ("case-cl", 3, True),
        ("case-cl-adult", 3, True),
    ]
    assert overdue[0]["due_at"].startswith((T0 + timedelta(days=91)).date().isoformat())
    kr = api.get("/cases/follow-ups/overdue", headers=auth("kr-caseworker")).json()
    assert [f["case_id"] for f in kr] == ["case-kr"]
    statuses = {"family_reintegration": "in_progress", "legal_rights": "achieved"}
    done = api.post(
        "/cases/case-cl/follow-ups/3", json={"indicators": statuses}, headers=auth("cl-cpo")
    )
    assert done.status_code == 200, done.text
    assert done.json()["done_by"] == "cl-cp/cl-cpo" and done.json()["overdue"] is False
    overdue = api.get("/cases/follow-ups/overdue", headers=auth("cl-caseworker")).json()
    assert [f["case_id"] for f in overdue] == ["case-cl-adult"]
    bad = api.post(
        "/cases/case-cl/follow-ups/3",
        json={"indicators": {"family_reintegration": "fine"}},
        headers=auth("cl-cpo"),
    )
    assert bad.status_code == 422
    with Session(engine) as s:
        assert s.get(Case, "case-cl") is not None


def test_a_case_worker_cannot_screen_for_another_role(api):
    assert api.post("/cases", json=SCREENING, headers=auth("admin")).status_code == 403
    assert api.post("/cases", json=SCREENING, headers=auth("cl-inspector")).status_code == 403
    bad = {"intake": {**SCREENING["intake"], "language": ""}}
    assert api.post("/cases", json=bad, headers=auth("cl-caseworker")).status_code == 422


def test_refer_sends_protection_first_and_law_enforcement_only_with_consent(api, engine):
    from tests.builders import add_agency

    with Session(engine) as s, s.begin():
        for agency_id, role in (
            ("cl-police", "law_enforcement"),
            ("cl-sw", "social_welfare"),
            ("cl-cp", "child_protection"),
        ):
            add_agency(s, agency_id, role=role, country_iso3="CHL", name=agency_id)
    r = api.post("/cases/case-cl/refer", headers=auth("cl-caseworker"))
    assert r.status_code == 200, r.text
    sent = [(d["agency_id"], d["event_type"]) for d in r.json()]
    assert sent == [("cl-sw", "case.referral"), ("cl-cp", "case.referral")]
    # the person agrees to law enforcement: the next referral adds it, under the consent
    consent = {"use": "law_enforcement", "granted": True}
    api.post("/cases/case-cl/consents", json=consent, headers=auth("cl-caseworker"))
    again = api.post("/cases/case-cl/refer", headers=auth("cl-caseworker")).json()
    police = [d for d in again if d["agency_id"] == "cl-police"]
    assert [(d["rule"], d["consent_use"]) for d in police] == [("consent", "law_enforcement")]
    # and withdraws it: the copy sent under it is marked revoked
    consent["granted"] = False
    now = api.post("/cases/case-cl/consents", json=consent, headers=auth("cl-caseworker"))
    assert now.json()["law_enforcement"] is False
    with Session(engine) as s:
        row = s.get(Delivery, police[0]["id"])
        assert row.revoked_at is not None
    assert api.post("/cases/case-cl/refer", headers=auth("cl-cpo")).status_code == 200
    assert api.post("/cases/case-kr/refer", headers=auth("cl-caseworker")).status_code == 404


def test_a_screening_from_an_alert_carries_the_vessels_evidence(api):
    alert_id = api.ids["alerts"]["412000001"]
    body = {**SCREENING, "alert_id": alert_id}
    r = api.post("/cases", json=body, headers=auth("cl-caseworker"))
    assert r.status_code == 201, r.text
    assert r.json()["alert_id"] == alert_id
    assert "vessel_evidence" not in r.text  # in the intake only
    fields = api.get(f"/cases/{r.json()['id']}/intake", headers=auth("cl-caseworker")).json()
    evidence = fields["fields"]["vessel_evidence"]
    assert (evidence["mmsi"], evidence["year"], evidence["longest_voyage_days"]) == (
        "412000001",
        2022,
        200.0,  # max_voyage_duration_hours 4800 / 24
    )
    missing = api.post(
        "/cases", json={**SCREENING, "alert_id": 99999}, headers=auth("cl-caseworker")
    )
    assert missing.status_code == 404


def test_a_transfer_needs_consent_and_carries_the_agreed_fields(api, engine):
    from tests.builders import add_agency

    with Session(engine) as s, s.begin():
        add_agency(s, "mmr-nrm", role="nrm_case_system", country_iso3="MMR", name="MMR NRM")
    body = {"to_agency_id": "mmr-nrm", "purpose": "repatriation", "fields": ["language"]}
    refused = api.post("/cases/case-cl/transfers", json=body, headers=auth("cl-caseworker"))
    assert refused.status_code == 409 and "transfer" in refused.json()["detail"]
    api.post(
        "/cases/case-cl/consents",
        json={"use": "transfer", "granted": True},
        headers=auth("cl-caseworker"),
    )
    r = api.post("/cases/case-cl/transfers", json=body, headers=auth("cl-caseworker"))
    assert r.status_code == 201, r.text
    t = r.json()
    assert (t["to_agency_id"], t["to_iso3"], t["purpose"], t["fields"], t["status"]) == (
        "mmr-nrm",
        "MMR",
        "repatriation",
        ["language"],
        "requested",
    )
    case = api.get("/cases/case-cl", headers=auth("cl-cpo")).json()
    assert [x["id"] for x in case["transfers"]] == [t["id"]]
    # The receiving mechanism's answers move the transfer along; nothing else does.
    url = f"/cases/case-cl/transfers/{t['id']}"
    skipped = api.post(url, json={"status": "completed"}, headers=auth("cl-caseworker"))
    assert skipped.status_code == 409 and "'requested' to 'completed'" in skipped.json()["detail"]
    for status in ("sent", "accepted", "completed"):
        r = api.post(url, json={"status": status}, headers=auth("cl-caseworker"))
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    final = api.post(url, json={"status": "declined"}, headers=auth("cl-caseworker"))
    assert final.status_code == 409
    kr = f"/cases/case-kr/transfers/{t['id']}"
    other = api.post(kr, json={"status": "sent"}, headers=auth("cl-caseworker"))
    assert other.status_code == 404  # another's case reads as absent
    with Session(engine) as s:
        moves = s.scalars(
            select(AuditEntry.after).where(AuditEntry.action == "case.transfer_status")
        ).all()
    assert [m["status"] for m in moves] == ["sent", "accepted", "completed"]


def test_a_screening_naming_an_absent_notice_inspection_or_alert_is_a_404(api):
    """An id that does not exist is a clear 404, never a 500 from a foreign key."""
    for ref in ({"notice_id": "no-such-notice"}, {"inspection_id": 999}, {"alert_id": 999}):
        r = api.post("/cases", json={**SCREENING, **ref}, headers=auth("cl-caseworker"))
        assert r.status_code == 404, (ref, r.text)
    for ref in ({"inspection_id": 2**63}, {"alert_id": 2**31}):  # beyond the id column
        r = api.post("/cases", json={**SCREENING, **ref}, headers=auth("cl-caseworker"))
        assert r.status_code == 422, (ref, r.text)
    r = api.post(
        "/cases", json={**SCREENING, "notice_id": "notice-cl"}, headers=auth("cl-caseworker")
    )
    assert r.status_code == 201 and r.json()["notice_id"] == "notice-cl"
