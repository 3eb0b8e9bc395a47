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


def test_every_role_can_be_registered_and_no_other(api):
    from vessel_risk.api.access import ROLES

    for i, role in enumerate(ROLES):
        body = {"id": f"c-{i}", "agency_id": "hq", "role": role, "ports": ["BUSAN"]}
        r = api.post("/clients", json=body, headers=auth("admin"))
        assert r.status_code == 201, (role, r.text)
        assert r.json()["role"] == role
    bad = api.post(
        "/clients", json={"id": "x", "agency_id": "hq", "role": "owner"}, headers=auth("admin")
    )
    assert bad.status_code == 422 and "unknown role 'owner'" in bad.text
    spec = api.get("/openapi.json").json()["components"]["schemas"]["ClientCreate"]
    assert spec["properties"]["role"]["enum"] == list(ROLES)
