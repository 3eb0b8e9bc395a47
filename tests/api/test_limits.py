"""Request limits (vessel_risk.api.limits): a body over the limit is refused with 413
before any parsing or authentication; rate limits are in the database (shared by
processes; see also tests/api/test_access.py)."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.apikit import auth, seed
from vessel_risk.api import create_app
from vessel_risk.api.limits import BodyLimit
from vessel_risk.settings import Settings


def test_a_body_over_the_limit_is_413_before_authentication(api):
    big = b"{" + b" " * 1_048_576 + b"}"
    r = api.post("/referrals", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413  # no key sent: the limit answers before the 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["x-content-type-options"] == "nosniff"  # inside the security headers
    r = api.post("/referrals", json={"alert_id": 1}, headers=auth("cl-analyst"))
    assert r.status_code == 201  # a small body goes through


def test_a_chunked_body_is_counted_as_it_streams(api):
    def chunks():
        for _ in range(20):
            yield b"x" * 65_536  # 1.25 MiB in all, no Content-Length

    r = api.post("/referrals", content=chunks(), headers=auth("cl-analyst"))
    assert r.status_code == 413


def test_the_limit_is_a_setting(engine):
    with Session(engine) as s, s.begin():
        seed(s)
    app = create_app(Settings(database_url="sqlite://", api_max_body_bytes=100), engine=engine)
    api = TestClient(app)
    body = {"alert_id": 1, "reason": "x" * 200}
    assert api.post("/referrals", json=body, headers=auth("cl-analyst")).status_code == 413
    assert api.post("/referrals", json={"alert_id": 1}, headers=auth("cl-analyst")).is_success


def test_the_app_never_runs_for_a_body_over_the_limit():
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["path"])

    sent: list[dict] = []
    messages = [
        {"type": "http.request", "body": b"x" * 60, "more_body": True},
        {"type": "http.request", "body": b"x" * 60, "more_body": False},
    ]

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": "/x", "headers": []}
    asyncio.run(BodyLimit(app, max_bytes=100)(scope, receive, send))
    assert calls == []
    assert sent[0]["status"] == 413
