"""Errors are RFC 9457 problem documents (vessel_risk.api.problems)."""

from __future__ import annotations

from tests.apikit import auth


def test_bad_requests_are_problem_documents(api):
    r = api.get("/alerts", params={"cursor": "nonsense!"}, headers=auth("admin"))
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Unprocessable Entity"
    r = api.get("/alerts")
    assert r.status_code == 401 and r.json()["status"] == 401
    r = api.get(
        "/alerts",
        params={"area": '{"type": "Point", "coordinates": [0, 0]}'},
        headers=auth("admin"),
    )
    assert r.status_code == 422 and "Polygon" in r.json()["detail"]
