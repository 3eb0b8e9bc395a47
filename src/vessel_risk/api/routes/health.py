"""Liveness and readiness probes (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import text

from vessel_risk.api.models import HealthStatus

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live", response_model=HealthStatus)
def live() -> HealthStatus:
    """The process answers."""
    return HealthStatus(status="ok", checks={"process": "ok"})


@router.get(
    "/ready",
    response_model=HealthStatus,
    responses={503: {"model": HealthStatus, "description": "Not ready."}},
)
def ready(request: Request, response: Response) -> HealthStatus:
    """The database answers and is migrated; the scoring model is known."""
    from vessel_risk.api.routes.models import model_info
    from vessel_risk.db.engine import current_revision

    checks: dict[str, str] = {}
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = f"ok (revision {current_revision(request.app.state.engine)})"
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        info = model_info(request)
        checks["model"] = f"ok ({info.label}, {info.scorer})"
    except Exception as exc:  # pragma: no cover - model_info falls back on its own
        checks["model"] = f"unavailable: {type(exc).__name__}"
    ok = all(v.startswith("ok") for v in checks.values())
    if not ok:
        response.status_code = 503
    return HealthStatus(status="ok" if ok else "unavailable", checks=checks)
