"""The REST API on a small hand-made database, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.apikit import key_of, make_app, seed, write_positions
from vessel_risk.api.access import TokenBuckets
from vessel_risk.db.tables import AuditEntry
from vessel_risk.geo.tracks import split_at_antimeridian


@pytest.fixture
def api(engine, tmp_path):
    with Session(engine) as session, session.begin():
        ids = seed(session)
    write_positions(tmp_path / "run")
    client = TestClient(make_app(engine, tmp_path / "run"))
    client.ids = ids  # type: ignore[attr-defined]
    return client


def h(client_id: str) -> dict[str, str]:
    return {"X-API-Key": key_of(client_id)}


def test_ranked_list_is_ordered_and_pages_by_cursor(api):
    first = api.get("/alerts", params={"limit": 2}, headers=h("admin")).json()
    assert [a["mmsi"] for a in first["items"]] == ["412000001", "440000003"]
    assert first["next_cursor"]
    rest = api.get(
        "/alerts", params={"limit": 10, "cursor": first["next_cursor"]}, headers=h("admin")
    ).json()
    assert [a["score"] for a in rest["items"]] == [0.56, 0.35, 0.2]
    assert rest["next_cursor"] is None
    assert rest["items"][0]["last_seen"] == "2022-11-01T00:00:00Z"


def test_filters(api):
    def mmsis(**params):
        r = api.get("/alerts", params=params, headers=h("admin"))
        assert r.status_code == 200, r.text
        return [a["mmsi"] for a in r.json()["items"]]

    assert mmsis(tier=["medium"]) == ["412000002", "412000005"]
    assert mmsis(flag=["kor"]) == ["440000003"]
    assert mmsis(port="punta arenas") == ["412000001", "725000004"]
    assert mmsis(bbox="-80,-60,-60,-50") == ["412000001", "725000004"]
    # across the antimeridian: 179.9 E lies in 170 E .. 170 W
    assert mmsis(bbox="170,0,-170,20") == ["412000005"]
    polygon = {"type": "Polygon", "coordinates": [[[120, 30], [130, 30], [130, 40], [120, 30]]]}
    assert mmsis(area=json.dumps(polygon)) == ["440000003"]  # WEIHAI (122.1, 37.5) is outside
    assert mmsis(seen_since="2022-11-01T00:00:00Z", gear="squid_jigger", year=2022)[0] == (
        "412000001"
    )
    assert mmsis(seen_since="2023-01-01T00:00:00Z") == []


def test_bad_requests_are_problem_documents(api):
    r = api.get("/alerts", params={"cursor": "nonsense!"}, headers=h("admin"))
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Unprocessable Entity"
    r = api.get("/alerts")
    assert r.status_code == 401 and r.json()["status"] == 401
    r = api.get(
        "/alerts", params={"area": '{"type": "Point", "coordinates": [0, 0]}'}, headers=h("admin")
    )
    assert r.status_code == 422 and "Polygon" in r.json()["detail"]


def test_alert_detail_has_indicators_evidence_and_explanation(api):
    alert_id = api.ids["alerts"]["412000001"]
    d = api.get(f"/alerts/{alert_id}", headers=h("cl-analyst")).json()
    assert d["indicators"][0]["name"] == "long_voyages"
    assert d["evidence_events"][0]["kind"] == "gap"
    assert d["evidence_events"][0]["duration_h"] == 24.0
    assert d["explanation"].startswith("Scored 0.91 (high) by indicator-baseline-1 for 2022")
    assert "4800 h" in d["explanation"]


def test_status_change_is_audited(api, engine):
    alert_id = api.ids["alerts"]["412000001"]
    r = api.post(f"/alerts/{alert_id}/status", json={"status": "dismissed"}, headers=h("admin"))
    assert r.status_code == 409  # dismissing needs a reason
    r = api.post(
        f"/alerts/{alert_id}/status", json={"status": "under_review"}, headers=h("cl-analyst")
    )
    assert r.status_code == 200 and r.json()["status"] == "under_review"
    with Session(engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "alert.status")).one()
    assert entry.actor == "cl-dgtm/cl-analyst"


def test_vessel_profile_track_and_events(api):
    v = api.get("/vessels/412000001", headers=h("cl-inspector")).json()
    assert v["iuu_listed"] is True
    assert v["periods"][0]["features"] == {"max_voyage_duration_hours": 4800.0}
    assert v["identity_history"][0]["value"] == "VESSEL 1"
    t = api.get("/vessels/412000005/track", headers=h("admin")).json()
    geometry = t["features"][0]["geometry"]
    assert geometry["type"] == "MultiLineString"
    assert geometry["coordinates"] == [
        [[179.0, 10.0], [180.0, 11.0]],
        [[-180.0, 11.0], [-179.0, 12.0], [-178.0, 13.0]],
    ]
    e = api.get("/vessels/412000001/events", headers=h("admin")).json()
    assert [x["kind"] for x in e["events"]] == ["gap"]


def test_split_at_antimeridian_both_ways():
    assert split_at_antimeridian([-179.0, 179.0], [0.0, 2.0]) == [
        [(-179.0, 0.0), (-180.0, 1.0)],
        [(180.0, 1.0), (179.0, 2.0)],
    ]
    assert split_at_antimeridian([10.0, 20.0], [0.0, 0.0]) == [[(10.0, 0.0), (20.0, 0.0)]]
    assert split_at_antimeridian([], []) == []


def test_port_queue_and_brief(api):
    q = api.get("/ports/PUNTA ARENAS/queue", headers=h("cl-inspector")).json()
    assert [i["mmsi"] for i in q["items"]] == ["412000001", "725000004"]
    assert q["port_iso3"] == "CHL"
    unknown = api.get("/ports/NOWHERE/queue", headers=h("admin"))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert q["items"][0]["in_port"] is True
    html = api.get("/ports/PUNTA ARENAS/briefs/412000001", headers=h("cl-inspector"))
    assert html.status_code == 200
    for item in (
        "Crew list",
        "Rest hours",
        "Identity documents held by the crew themselves",
        "Wages",
        "Work agreements",
        "presumed victims",
    ):
        assert item in html.text
    pdf = api.get(
        "/ports/PUNTA ARENAS/briefs/412000001", params={"format": "pdf"}, headers=h("cl-inspector")
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert api.get("/ports/BUSAN/briefs/412000001", headers=h("admin")).status_code == 404


def test_referral_reads_are_audited_per_agency(api, engine):
    r = api.get("/referrals", headers=h("cl-case"))
    assert [n["id"] for n in r.json()] == ["notice-cl"]
    d = api.get("/referrals/notice-cl/deliveries", headers=h("cl-case")).json()
    assert [x["agency_id"] for x in d] == ["cl-nrm"]
    assert api.get("/referrals/notice-kr", headers=h("cl-case")).status_code == 404
    with Session(engine) as s:
        reads = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "notice.read").order_by(AuditEntry.id)
        ).all()
    assert [(e.actor, e.entity_id, e.reason) for e in reads] == [
        ("cl-nrm/cl-case", "notice-cl", "list"),
        ("cl-nrm/cl-case", "notice-cl", "deliveries"),
    ]


def test_models_fall_back_to_the_baseline_and_score_a_row(api):
    m = api.get("/models/champion", headers=h("cl-analyst")).json()
    assert m["scorer"] == "indicator-baseline" and "No champion" in m["note"]
    assert "long_voyages" in m["model_card"]
    row = {"position_messages": 5000, "days_observed": 200, "max_voyage_duration_hours": 365 * 24}
    s = api.post("/models/score", json=row, headers=h("cl-analyst")).json()
    assert s["score"] == 0.45 and s["tier"] == "medium"
    assert s["indicators"][0]["name"] == "long_voyages"
    thin = api.post(
        "/models/score", json={"position_messages": 10, "days_observed": 2}, headers=h("cl-analyst")
    ).json()
    assert thin["tier"] == "insufficient data" and thin["score"] == 0.0


def test_health(api):
    assert api.get("/health/live").json() == {"status": "ok", "checks": {"process": "ok"}}
    ready = api.get("/health/ready").json()
    assert ready["status"] == "ok"
    assert ready["checks"]["database"].startswith("ok (revision 0002")


def test_rate_limit_answers_429_with_retry_after(engine, tmp_path):
    with Session(engine) as session, session.begin():
        seed(session, rate_per_minute=3)
    api = TestClient(make_app(engine))
    codes = [api.get("/models/champion", headers=h("cl-analyst")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = api.get("/models/champion", headers=h("cl-analyst"))
    assert r.headers["retry-after"] == "20"  # 1 token at 3 a minute


def test_token_bucket_refills_at_its_rate():
    now = [0.0]
    buckets = TokenBuckets(clock=lambda: now[0])
    assert [buckets.take("a", 2) for _ in range(3)] == [0.0, 0.0, 30.0]
    now[0] = 30.0
    assert buckets.take("a", 2) == 0.0
    assert buckets.take("b", 2) == 0.0  # buckets are per client


def test_admin_registers_a_client_whose_key_works(api):
    body = {"id": "cl-new", "agency_id": "cl-dgtm", "role": "port_inspector", "ports": ["busan"]}
    r = api.post("/clients", json=body, headers=h("admin"))
    assert r.status_code == 201 and r.json()["ports"] == ["BUSAN"]
    key = r.json()["key"]
    q = api.get("/ports/BUSAN/queue", headers={"X-API-Key": key})
    assert [i["mmsi"] for i in q.json()["items"]] == ["440000003"]
    assert api.post("/clients", json=body, headers=h("admin")).status_code == 409
    assert "key" not in api.get("/clients", headers=h("admin")).json()[0]


def test_referral_flow_create_approve_deliver_callback(api, engine):
    alert_id = api.ids["alerts"]["412000001"]
    r = api.post(
        "/referrals",
        json={"alert_id": alert_id, "reason": "long voyages, IUU"},
        headers=h("cl-analyst"),
    )
    assert r.status_code == 201, r.text
    notice = r.json()
    assert notice["status"] == "draft" and notice["created_by"] == "cl-dgtm/cl-analyst"
    assert notice["payload"]["personal_data_included"] is False
    # another agency's approver cannot see, let alone approve, it
    assert (
        api.post(f"/referrals/{notice['id']}/approve", headers=h("kr-approver")).status_code == 404
    )
    r = api.post(f"/referrals/{notice['id']}/approve", headers=h("cl-approver"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["approved_by"] == "cl-dgtm/cl-approver"
    deliveries = api.get(f"/referrals/{notice['id']}/deliveries", headers=h("cl-case")).json()
    assert [d["agency_id"] for d in deliveries] == ["cl-nrm"]
    d_id = deliveries[0]["id"]
    assert (
        api.post(
            f"/deliveries/{d_id}/status", json={"status": "accepted"}, headers=h("kr-case")
        ).status_code
        == 404
    )
    r = api.post(f"/deliveries/{d_id}/status", json={"status": "accepted"}, headers=h("cl-case"))
    assert r.status_code == 200, r.text
    assert r.json()["receiver_status"] == "accepted"
    assert (
        api.get(f"/referrals/{notice['id']}", headers=h("cl-analyst")).json()["receiver_status"]
        == "accepted"
    )
    brief = api.get(f"/referrals/{notice['id']}/brief", headers=h("cl-approver"))
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


def test_port_queue_shows_each_vessels_strongest_year_not_its_latest(api, engine):
    from tests.builders import make_alert
    from tests.test_lifecycle import _record

    # A later, thin year with a higher raw score must not hide the high-tier year.
    _record(engine, [make_alert(year=2023, score=0.97, tier="insufficient data")])
    q = api.get("/ports/PUNTA ARENAS/queue", headers=h("cl-inspector")).json()
    first = q["items"][0]
    assert (first["mmsi"], first["tier"]) == ("412000001", "high")
    assert [i["mmsi"] for i in q["items"]] == ["412000001", "725000004"]
