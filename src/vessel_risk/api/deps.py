"""Dependencies of the routes, as ``Annotated`` aliases so signatures read like prose.

``SessionDep`` a database session; ``SettingsDep`` the settings; ``Caller`` the
authenticated client; ``AlertReader``, ``Analyst``, ``NoticeWriter``, ``Approver``,
``NoticeReader``, ``CaseSystem``, ``ModelReader``, ``Admin`` a caller holding one of the roles the
route allows (403 otherwise). Every authenticated request takes a token from the
client's bucket (429 with ``Retry-After`` when empty).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from vessel_risk.api.access import Principal, PrincipalCache, TokenBuckets
from vessel_risk.settings import Settings

API_KEY_HEADER = "X-API-Key"
COOKIE_NAME = "vessel_risk_key"

api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="The API key of an agency's client (one per integration or team).",
)


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session on the app's engine, closed after the request (routes commit)."""
    with Session(request.app.state.engine) as session:
        yield session


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for routes that only read: autocommit, so no BEGIN/ROLLBACK round trips
    (each SELECT still sees one consistent snapshot)."""
    with Session(request.app.state.read_engine) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def get_caller(
    request: Request,
    session: SessionDep,
    key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """The client whose API key came in the header (or the dashboard's cookie).

    Raises
    ------
    HTTPException
        401 without a valid key; 429 when the client's rate limit is spent.
    """
    key = key or request.cookies.get(COOKIE_NAME)
    cache: PrincipalCache = request.app.state.principals
    who = cache.get(session, key) if key else None
    if who is None:
        raise HTTPException(
            401,
            f"Send a valid API key in the {API_KEY_HEADER} header.",
            headers={"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'},
        )
    buckets: TokenBuckets = request.app.state.buckets
    wait_s = buckets.take(who.client_id, who.rate_per_minute)
    if wait_s > 0:
        raise HTTPException(
            429,
            f"Rate limit of {who.rate_per_minute} requests a minute reached.",
            headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
        )
    request.state.principal = who
    return who


Caller = Annotated[Principal, Depends(get_caller)]


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency letting through callers holding one of ``roles`` (admin always)."""
    allowed = frozenset(roles) | {"admin"}

    def check(caller: Caller) -> Principal:
        if caller.role not in allowed:
            raise HTTPException(
                403, f"The {caller.role} role may not do this; needs {', '.join(sorted(allowed))}."
            )
        return caller

    return check


AlertReader = Annotated[
    Principal, Depends(require("analyst", "port_inspector", "referral_approver"))
]
Analyst = Annotated[Principal, Depends(require("analyst"))]
NoticeWriter = Annotated[Principal, Depends(require("analyst", "referral_approver"))]
Approver = Annotated[Principal, Depends(require("referral_approver"))]
NoticeReader = Annotated[Principal, Depends(require("analyst", "referral_approver", "case_system"))]
CaseSystem = Annotated[Principal, Depends(require("case_system"))]
ModelReader = Annotated[
    Principal, Depends(require("analyst", "port_inspector", "referral_approver", "case_system"))
]
Admin = Annotated[Principal, Depends(require())]
