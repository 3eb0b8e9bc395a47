"""API clients registered by an admin (vessel_risk.api.routes.clients)."""

from __future__ import annotations

from tests.apikit import auth


def test_admin_registers_a_client_whose_key_works(api):
    body = {"id": "cl-new", "agency_id": "cl-dgtm", "role": "port_inspector", "ports": ["busan"]}
    r = api.post("/clients", json=body, headers=auth("admin"))
    assert r.status_code == 201 and r.json()["ports"] == ["BUSAN"]
    key = r.json()["key"]
    q = api.get("/ports/BUSAN/queue", headers={"X-API-Key": key})
    assert [i["mmsi"] for i in q.json()["items"]] == ["440000003"]
    assert api.post("/clients", json=body, headers=auth("admin")).status_code == 409
    assert "key" not in api.get("/clients", headers=auth("admin")).json()[0]
