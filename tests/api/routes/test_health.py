"""Liveness and readiness (vessel_risk.api.routes.health)."""

from __future__ import annotations


def test_health(api):
    assert api.get("/health/live").json() == {"status": "ok", "checks": {"process": "ok"}}
    ready = api.get("/health/ready").json()
    assert ready["status"] == "ok"
    assert ready["checks"]["database"].startswith("ok (revision 0005_sessions_secrets")
