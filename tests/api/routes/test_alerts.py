"""The alert queue: ranking, paging, filters, detail and status changes
(vessel_risk.api.routes.alerts), on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.apikit import auth
from vessel_risk.db.tables import AuditEntry


def test_ranked_list_is_ordered_and_pages_by_cursor(api):
    first = api.get("/alerts", params={"limit": 2}, headers=auth("admin")).json()
    assert [a["mmsi"] for a in first["items"]] == ["412000001", "440000003"]
    assert first["next_cursor"]
    rest = api.get(
        "/alerts", params={"limit": 10, "cursor": first["next_cursor"]}, headers=auth("admin")
    ).json()
    assert [a["score"] for a in rest["items"]] == [0.56, 0.35, 0.2]
    assert rest["next_cursor"] is None
    assert rest["items"][0]["last_seen"] == "2022-11-01T00:00:00Z"


def test_filters(api):
    def mmsis(**params):
        r = api.get("/alerts", params=params, headers=auth("admin"))
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


def test_alert_detail_has_indicators_evidence_and_explanation(api):
    alert_id = api.ids["alerts"]["412000001"]
    d = api.get(f"/alerts/{alert_id}", headers=auth("cl-analyst")).json()
    assert d["indicators"][0]["name"] == "long_voyages"
    assert d["evidence_events"][0]["kind"] == "gap"
    assert d["evidence_events"][0]["duration_h"] == 24.0
    assert d["explanation"].startswith("Scored 0.91 (high) by indicator-baseline-1 for 2022")
    assert "4800 h" in d["explanation"]


def test_status_change_is_audited(api, engine):
    alert_id = api.ids["alerts"]["412000001"]
    r = api.post(f"/alerts/{alert_id}/status", json={"status": "dismissed"}, headers=auth("admin"))
    assert r.status_code == 409  # dismissing needs a reason
    r = api.post(
        f"/alerts/{alert_id}/status", json={"status": "under_review"}, headers=auth("cl-analyst")
    )
    assert r.status_code == 200 and r.json()["status"] == "under_review"
    with Session(engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "alert.status")).one()
    assert entry.actor == "cl-dgtm/cl-analyst"


def test_the_list_is_geojson_when_asked_and_json_by_default(api):
    plain = api.get("/alerts", params={"limit": 2}, headers=auth("admin"))
    assert plain.headers["content-type"] == "application/json"
    assert [a["mmsi"] for a in plain.json()["items"]] == ["412000001", "440000003"]
    geo = api.get(
        "/alerts",
        params={"limit": 2},
        headers={**auth("admin"), "Accept": "application/geo+json"},
    )
    assert geo.status_code == 200, geo.text
    assert geo.headers["content-type"] == "application/geo+json"
    body = geo.json()
    assert body["type"] == "FeatureCollection" and body["limit"] == 2
    assert body["next_cursor"] == plain.json()["next_cursor"]
    first = body["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [-70.91, -53.16]}
    assert first["properties"]["mmsi"] == "412000001"
    assert first["properties"]["score"] == 0.91
    assert [f["properties"]["mmsi"] for f in body["features"]] == ["412000001", "440000003"]
    # The OpenAPI document says both.
    spec = api.get("/openapi.json").json()
    assert set(spec["paths"]["/alerts"]["get"]["responses"]["200"]["content"]) == {
        "application/json",
        "application/geo+json",
    }
    track = spec["paths"]["/vessels/{mmsi}/track"]["get"]["responses"]["200"]["content"]
    assert set(track) == {"application/geo+json"}


def test_the_geojson_list_keeps_the_callers_scope(api):
    # The port inspector of Punta Arenas sees the two alerts last in that port, in
    # GeoJSON as in JSON.
    headers = {**auth("cl-inspector"), "Accept": "application/geo+json"}
    body = api.get("/alerts", headers=headers).json()
    plain = api.get("/alerts", headers=auth("cl-inspector")).json()
    assert [f["properties"]["mmsi"] for f in body["features"]] == [
        a["mmsi"] for a in plain["items"]
    ]
    assert {f["properties"]["last_port_label"] for f in body["features"]} == {"PUNTA ARENAS"}
    assert api.get("/alerts", headers={"Accept": "application/geo+json"}).status_code == 401
