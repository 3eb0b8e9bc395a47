"""Liveness and readiness (vessel_risk.api.routes.health)."""

from __future__ import annotations


def _head() -> str:
    """The newest migration: the lead chains the branches' migrations, so not a literal."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", "vessel_risk.db:migrations")
    return str(ScriptDirectory.from_config(cfg).get_current_head())


def test_health(api):
    assert api.get("/health/live").json() == {"status": "ok", "checks": {"process": "ok"}}
    ready = api.get("/health/ready").json()
    assert ready["status"] == "ok"
    assert ready["checks"]["database"] == f"ok (revision {_head()})"
