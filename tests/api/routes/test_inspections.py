"""Boarding outcomes in the API and the dashboard form (vessel_risk.api.routes.inspections)."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.apikit import auth, key_of
from vessel_risk.db.tables import AuditEntry, Inspection, UiSession

BODY = {
    "mmsi": "412000001",
    "year": 2022,
    "inspected_at": "2022-11-02T09:30:00-03:00",
    "outcome": "confirmed",
    "ilo_indicators": ["withholding_of_wages", "retention_of_documents"],
    "documents_seen": {"identity_documents_held_by_crew": "missing", "crew_list": "seen"},
    "crew_by_nationality": {"IDN": 11, "PHL": 4},
}


def test_an_inspector_records_a_boarding_at_its_port(api, engine):
    alert_id = api.ids["alerts"]["412000001"]
    r = api.post("/inspections", json={**BODY, "alert_id": alert_id}, headers=auth("cl-inspector"))
    assert r.status_code == 201, r.text
    body = r.json()
    # the agency is the caller's; the port comes from the alert
    assert (body["agency_id"], body["port_label"], body["port_iso3"]) == (
        "cl-dgtm",
        "PUNTA ARENAS",
        "CHL",
    )
    assert body["inspected_at"].startswith("2022-11-02T12:30:00")  # UTC
    assert body["ilo_indicators"] == ["retention_of_documents", "withholding_of_wages"]
    assert body["documents_seen"]["wage_records"] == "not_checked"
    assert body["source"] == f"inspection:{body['id']}:cl-dgtm"
    assert "presumed victims" in body["statement"]
    with Session(engine) as s:
        entry = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "inspection.recorded",
                AuditEntry.entity_id == str(body["id"]),
            )
        ).one()
        assert entry.actor == "cl-dgtm/cl-inspector"
    # who reads it: its alert's scope, or the port's inspector
    url = f"/inspections/{body['id']}"
    codes = {c: api.get(url, headers=auth(c)).status_code for c in (
        "cl-inspector", "cl-analyst", "cl-approver", "admin", "kr-inspector", "kr-analyst",
        "cl-case",
    )}  # fmt: skip
    assert codes == {
        "cl-inspector": 200,
        "cl-analyst": 200,
        "cl-approver": 200,
        "admin": 200,
        "kr-inspector": 404,
        "kr-analyst": 404,
        "cl-case": 403,
    }
    mine = api.get("/inspections", headers=auth("cl-inspector")).json()
    assert [i["id"] for i in mine][0] == body["id"]
    assert {i["mmsi"] for i in mine} == {"412000001"}
    theirs = api.get("/inspections", headers=auth("kr-inspector")).json()
    assert {i["mmsi"] for i in theirs} == {"440000003"}
    assert len(api.get("/inspections", headers=auth("admin")).json()) == 3
    only = api.get("/inspections?mmsi=440000003", headers=auth("admin")).json()
    assert [i["mmsi"] for i in only] == ["440000003"]


def test_writes_outside_role_or_scope_are_refused(api):
    alert_id = api.ids["alerts"]["412000001"]
    with_alert = {**BODY, "alert_id": alert_id}
    # another country's inspector: the alert reads as absent
    r = api.post("/inspections", json=with_alert, headers=auth("kr-inspector"))
    assert r.status_code == 404
    # an inspector at a port not theirs, without an alert
    r = api.post(
        "/inspections",
        json={**BODY, "port_label": "BUSAN", "port_iso3": "KOR"},
        headers=auth("cl-inspector"),
    )
    assert r.status_code == 403 and "BUSAN" in r.json()["detail"]
    # an analyst of Chile without an alert, at a Korean port
    r = api.post(
        "/inspections",
        json={**BODY, "port_label": "BUSAN", "port_iso3": "KOR"},
        headers=auth("cl-analyst"),
    )
    assert r.status_code == 403
    # approvers read inspections but do not record them
    r = api.post("/inspections", json=with_alert, headers=auth("cl-approver"))
    assert r.status_code == 403


def test_fields_that_break_the_standards_are_refused(api):
    alert_id = api.ids["alerts"]["412000001"]
    body = {**BODY, "alert_id": alert_id, "ilo_indicators": ["overwork"]}
    r = api.post("/inspections", json=body, headers=auth("cl-inspector"))
    assert r.status_code == 422
    assert "ilo_indicators must be keys of the ILO's 11 indicators" in r.json()["detail"]
    body = {**BODY, "alert_id": alert_id, "inspected_at": "2022-11-02T09:30:00"}
    r = api.post("/inspections", json=body, headers=auth("cl-inspector"))
    assert r.status_code == 422  # no time zone
    body = {**BODY, "alert_id": alert_id, "crew_names": ["A"]}
    r = api.post("/inspections", json=body, headers=auth("cl-inspector"))
    assert r.status_code == 422  # no field for names


def test_an_inspection_without_an_alert_is_in_scope_by_its_port(api):
    body = {**BODY, "port_label": "punta arenas", "port_iso3": "CHL", "mmsi": "725000004"}
    r = api.post("/inspections", json=body, headers=auth("cl-inspector"))
    assert r.status_code == 201, r.text
    url = f"/inspections/{r.json()['id']}"
    assert api.get(url, headers=auth("cl-analyst")).status_code == 200  # a CHL port
    assert api.get(url, headers=auth("kr-analyst")).status_code == 404


def _login(api, engine, client_id: str) -> str:
    r = api.post("/ui/login", data={"key": key_of(client_id)}, follow_redirects=False)
    assert r.status_code == 303
    token = r.cookies.get("vessel_risk_session") or api.cookies.get("vessel_risk_session")
    with Session(engine) as s:
        row = s.get(UiSession, hashlib.sha256(token.encode()).hexdigest())
        assert row is not None
        return row.csrf_token


def test_the_dashboard_form_records_a_boarding(api, engine):
    csrf = _login(api, engine, "cl-inspector")
    alert_id = api.ids["alerts"]["412000001"]
    page = api.get(f"/ui/inspections/new?alert_id={alert_id}")
    assert page.status_code == 200
    assert 'value="412000001"' in page.text and 'value="PUNTA ARENAS"' in page.text
    assert page.text.count('type="checkbox" name="ilo_indicators"') == 11
    assert page.text.count('name="documents"') == 7
    form = {
        "csrf_token": csrf,
        "alert_id": str(alert_id),
        "mmsi": "412000001",
        "year": "2022",
        "inspected_at": "2022-11-02T09:30",
        "utc_offset": "-03:00",
        "port_label": "PUNTA ARENAS",
        "outcome": "confirmed",
        "ilo_indicators": ["debt_bondage", "isolation"],
        "documents": ["crew_list=seen", "wage_records=missing"],
        "crew": "IDN=7, phl 2",
    }
    r = api.post("/ui/inspections", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    with Session(engine) as s:
        row = s.scalars(select(Inspection).order_by(Inspection.id.desc())).first()
        assert row is not None
        assert row.ilo_indicators == ["isolation", "debt_bondage"]  # the ILO list order
        assert row.crew_by_nationality == {"IDN": 7, "PHL": 2}
        assert row.documents_seen["wage_records"] == "missing"
        assert row.inspected_at.hour == 12  # 09:30 at UTC-3
        assert row.recorded_by == "cl-dgtm/cl-inspector"
    listed = api.get(r.headers["location"])
    assert f'id="inspection-{row.id}"' in listed.text
    assert f"Boarding {row.id} recorded." in listed.text
    # without the CSRF token nothing is recorded
    r = api.post("/ui/inspections", data={**form, "csrf_token": "x"}, follow_redirects=False)
    assert r.status_code == 403


def test_the_form_keeps_what_was_typed_and_says_what_is_wrong(api, engine):
    csrf = _login(api, engine, "cl-inspector")
    form = {
        "csrf_token": csrf,
        "mmsi": "412000001",
        "year": "2022",
        "inspected_at": "2022-11-02T09:30",
        "port_label": "PUNTA ARENAS",
        "outcome": "none_found",
        "ilo_indicators": ["isolation"],
        "crew": "IDN=seven",
    }
    r = api.post("/ui/inspections", data=form)
    assert r.status_code == 422
    assert "Crew count &#39;IDN=seven&#39;: write it as ISO3=number" in r.text
    assert 'value="IDN=seven"' in r.text
    r = api.post("/ui/inspections", data={**form, "crew": "IDN=7"})
    assert r.status_code == 422
    assert "records no ILO indicator" in r.text
    assert 'id="ilo-isolation" checked' in r.text


def test_the_main_menu_offers_only_the_pages_the_role_may_open(api, engine):
    def menu(client_id: str) -> list[str]:
        api.cookies.clear()
        _login(api, engine, client_id)
        page = api.get("/ui/inspections").text
        nav = page.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
        return re.findall(r'<li><a href="[^"]+">([^<]+)</a></li>', nav)

    assert menu("cl-inspector") == ["Alerts", "Ports", "Inspections"]
    assert menu("cl-analyst") == ["Alerts", "Ports", "Referrals", "Inspections"]
    assert menu("admin") == ["Alerts", "Ports", "Referrals", "Inspections", "Cases"]
