"""Dashboard sessions (vessel_risk.api.sessions): a random token, never the key; rotation
at login; expiry; 429 after 10 failed logins a minute from one address; CSRF and Origin
on form posts; all audited."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.apikit import key_of
from vessel_risk.db.tables import AuditEntry, UiSession, utcnow

COOKIE = "vessel_risk_session"


def _login(api: TestClient, client_id: str = "cl-approver", **kw):
    return api.post("/ui/login", data={"key": key_of(client_id)}, follow_redirects=False, **kw)


def _actions(engine) -> list[str]:
    with Session(engine) as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_the_cookie_is_a_random_token_and_rotates_at_login(api, engine):
    first = _login(api)
    assert first.status_code == 303
    token = first.cookies[COOKIE]
    assert key_of("cl-approver") not in first.headers["set-cookie"]
    assert len(token) == 43  # 32 random bytes, url-safe base64
    with Session(engine) as s:
        rows = list(s.scalars(select(UiSession)))
    assert [r.token_sha256 for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert api.get("/ui/referrals", follow_redirects=False).status_code == 200
    second = _login(api)
    assert second.cookies[COOKIE] != token
    with Session(engine) as s:  # the session from before login is gone
        assert s.get(UiSession, hashlib.sha256(token.encode()).hexdigest()) is None
        assert len(list(s.scalars(select(UiSession)))) == 1
    api.cookies.set(COOKIE, token, path="/ui")  # an old (or planted) token is worth nothing
    assert api.get("/ui/referrals", follow_redirects=False).headers["location"] == "/ui/login"
    assert _actions(engine).count("ui.login") == 2
    assert "ui.logout" in _actions(engine)  # the rotated session's end is audited


def test_an_api_key_in_the_cookie_is_not_a_session(api):
    api.cookies.set(COOKIE, key_of("admin"), path="/ui")
    api.cookies.set("vessel_risk_key", key_of("admin"))
    r = api.get("/ui/referrals", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/ui/login")
    assert api.get("/alerts").status_code == 401  # and the API wants the header


def test_a_session_expires(api, engine):
    token = _login(api).cookies[COOKIE]
    with Session(engine) as s, s.begin():
        row = s.get(UiSession, hashlib.sha256(token.encode()).hexdigest())
        row.expires_at = utcnow() - timedelta(seconds=1)
    r = api.get("/ui/referrals", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/ui/login")
    api.cookies.clear()
    _login(api, "admin")  # the next login purges expired sessions
    with Session(engine) as s:
        assert s.get(UiSession, hashlib.sha256(token.encode()).hexdigest()) is None


def test_logout_ends_the_session_on_the_server(api, engine):
    token = _login(api).cookies[COOKIE]
    api.get("/ui/logout", follow_redirects=False)
    with Session(engine) as s:
        assert s.get(UiSession, hashlib.sha256(token.encode()).hexdigest()) is None


def _stop_the_clock(api) -> None:
    """The buckets refill with time: a slow machine would grant a token mid-test."""
    now = time.time()
    api.app.state.limiter.clock = lambda: now


def test_ten_failed_logins_a_minute_then_429_with_retry_after(api, engine):
    _stop_the_clock(api)
    codes = [
        api.post("/ui/login", data={"key": f"wrong-{i}"}, follow_redirects=False).status_code
        for i in range(11)
    ]
    assert codes == [401] * 10 + [429]
    r = _login(api)  # even the right key waits: the address is throttled
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 6  # one failure's worth: 6 s at 10 a minute
    actions = _actions(engine)
    assert actions.count("ui.login_failed") == 10
    assert actions.count("ui.login_throttled") == 2


def test_simultaneous_failed_logins_are_counted_before_any_key_is_checked(api, engine):
    """Twenty wrong keys at once from one address: ten are checked, ten throttled (each
    attempt takes its token before its key is checked, atomically in the database)."""
    from concurrent.futures import ThreadPoolExecutor

    app = api.app
    _stop_the_clock(api)

    def attempt(i: int) -> int:
        with TestClient(app) as client:
            data = {"key": f"wrong-{i}"}
            return client.post("/ui/login", data=data, follow_redirects=False).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = sorted(pool.map(attempt, range(20)))
    assert codes == [401] * 10 + [429] * 10
    actions = _actions(engine)
    assert (actions.count("ui.login_failed"), actions.count("ui.login_throttled")) == (10, 10)


def test_good_logins_never_use_up_the_failure_allowance(api):
    _stop_the_clock(api)
    codes = [_login(api, "admin").status_code for _ in range(15)]
    assert codes == [303] * 15
    wrong = [
        api.post("/ui/login", data={"key": f"wrong-{i}"}, follow_redirects=False).status_code
        for i in range(11)
    ]
    assert wrong == [401] * 10 + [429]


def test_form_posts_need_the_csrf_token_and_a_same_site_origin(api, engine):
    token = _login(api, "admin").cookies[COOKIE]
    with Session(engine) as s:
        csrf = s.get(UiSession, hashlib.sha256(token.encode()).hexdigest()).csrf_token
    url = "/ui/referrals/notice-cl/approve"
    assert api.post(url, follow_redirects=False).status_code == 403  # no token
    assert api.post(url, data={"csrf_token": "x" * 43}, follow_redirects=False).status_code == 403
    foreign = {"Origin": "https://evil.example"}
    r = api.post(url, data={"csrf_token": csrf}, headers=foreign, follow_redirects=False)
    assert r.status_code == 403
    r = api.post(url, data={"csrf_token": csrf}, headers={"Origin": "null"}, follow_redirects=False)
    assert r.status_code == 403
    same = {"Origin": "http://testserver"}
    r = api.post(url, data={"csrf_token": csrf}, headers=same, follow_redirects=False)
    assert r.status_code == 303  # through to the approval (refused: already approved)
    assert "only+a+draft" in r.headers["location"]
    # a login from another site is refused too (login CSRF)
    assert _login(api, headers=foreign).status_code == 403
