"""The application factory: :func:`create_app` builds the API and dashboard from settings."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from vessel_risk.api import problems
from vessel_risk.api.access import PrincipalCache
from vessel_risk.api.deps import LoginRequired
from vessel_risk.api.limits import BodyLimit, RateLimiter
from vessel_risk.api.routes import (
    alerts,
    cases,
    cases_ui,
    clients,
    dashboard,
    exchange,
    health,
    inspections,
    models,
    monitoring,
    ports,
    referrals,
    subscriptions,
    tips,
    vessels,
)
from vessel_risk.api.security import SecurityHeaders
from vessel_risk.db.crypto import PLAINTEXT_WARNING, encryption_configured
from vessel_risk.db.engine import make_engine
from vessel_risk.settings import Settings

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")

DESCRIPTION = """Ranked, explained alerts of fishing vessels at risk of forced labour.

**A score is evidence to check, never proof. Crew are presumed victims, never suspects.**
Nothing here is for a vessel's owner, operator or agents.

Authenticate with an agency client's key in the `X-API-Key` header. Each client has one
role (analyst, port_inspector, referral_approver, case_system, case_worker,
child_protection_officer, coordinator, admin) and may be scoped
to countries and ports; out-of-scope resources read as absent. Errors are RFC 9457
problem details (`application/problem+json`).
"""


class VesselRiskAPI(FastAPI):
    """FastAPI with :class:`~vessel_risk.api.security.SecurityHeaders` around the whole
    middleware stack, outside Starlette's error handler, so that every response, a 500
    included, carries the security headers; inside it
    :class:`~vessel_risk.api.limits.BodyLimit`, so that a body over the limit is refused
    (413) before anything parses it or authenticates its sender."""

    max_body_bytes = 1_048_576

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(BodyLimit(super().build_middleware_stack(), self.max_body_bytes))


def database_url(settings: Settings) -> str:
    """The database the app serves: the setting, else the run folder's SQLite file.

    Raises
    ------
    ValueError
        If neither ``database_url`` nor ``run_dir`` is set.
    """
    if settings.database_url:
        return settings.database_url
    if settings.run_dir is not None:
        return f"sqlite:///{(Path(settings.run_dir) / 'vessel_risk.db').resolve()}"
    raise ValueError(
        "Set VESSEL_RISK_DATABASE_URL or VESSEL_RISK_RUN_DIR (the output folder of a "
        "`vessel-risk run`) to serve its alerts."
    )


def create_app(settings: Settings, *, engine: Any = None, warn_plaintext: bool = True) -> FastAPI:
    """The vessel-risk API and dashboard.

    Parameters
    ----------
    settings : Settings
        Built once at the entrypoint.
    engine : sqlalchemy Engine, optional
        Use this engine (tests); default: one for :func:`database_url`. The schema must
        already be migrated (``vessel_risk.db.engine.migrate``).
    warn_plaintext : bool, default True
        Log :data:`vessel_risk.db.crypto.PLAINTEXT_WARNING` when no key is set;
        ``vessel-risk serve`` prints it itself, whatever the log level, and passes False.

    Returns
    -------
    FastAPI
        Every response carries the headers of :mod:`vessel_risk.api.security`.

    Raises
    ------
    ValueError
        If ``VESSEL_RISK_SECRET_KEY`` is set but not Fernet keys. Unset, a warning is
        logged (:data:`vessel_risk.db.crypto.PLAINTEXT_WARNING`).
    """
    if not encryption_configured() and warn_plaintext:
        log.warning(PLAINTEXT_WARNING)
    app = VesselRiskAPI(
        title="vessel-risk",
        version="0.1.0",
        description=DESCRIPTION,
        # Swagger UI and ReDoc load from a CDN; the service must work offline.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine if engine is not None else make_engine(database_url(settings))
    app.state.read_engine = (
        app.state.engine.execution_options(isolation_level="AUTOCOMMIT")
        if app.state.engine.dialect.name == "postgresql"
        else app.state.engine
    )
    app.max_body_bytes = settings.api_max_body_bytes
    app.state.limiter = RateLimiter(app.state.engine)
    app.state.principals = PrincipalCache(ttl_s=settings.api_key_cache_s)
    problems.install(app)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse("/ui/login", status_code=303)

    for r in (
        health,
        alerts,
        vessels,
        ports,
        referrals,
        models,
        clients,
        cases,
        inspections,
        monitoring,
        exchange,
        subscriptions,
        tips,
    ):
        app.include_router(r.router)
    app.include_router(dashboard.router)
    app.include_router(cases_ui.router)
    app.include_router(inspections.ui_router)
    app.include_router(monitoring.ui_router)
    app.include_router(tips.ui_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = problems.problems_in_openapi(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
