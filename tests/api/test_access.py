"""Access control (vessel_risk.api.access): the authorization matrix, every client
(role x agency) against every endpoint, and the per-client rate limit.

The oracle below is written from the access rules (``vessel_risk.api.access``), not from
the code's answers: a role outside an endpoint's roles gets 403; a resource outside
the client's country or port scope, or another agency's referral notice, reads as
absent (404) or, for a port queue, 403; everything else is served.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.apikit import CLIENTS, VESSELS, auth, make_app, seed, seeded_sqlite_app
from vessel_risk.api.access import CASE_ROLES
from vessel_risk.api.limits import RateLimiter

ALERT_ROLES = {"analyst", "port_inspector", "referral_approver", "admin"}
NOTICE_READERS = {"analyst", "referral_approver", "case_system", "admin"}
PORT_ISO3 = {"PUNTA ARENAS": "CHL", "BUSAN": "KOR", "WEIHAI": "CHN"}
NOTICES = {"notice-cl": ("cl-dgtm", "cl-nrm"), "notice-kr": ("kr-kcg", "kr-nrm")}


def sees_alert(client_id: str, mmsi: str) -> bool:
    """The oracle: does ``client_id``'s scope cover vessel ``mmsi``'s alert?"""
    agency, role, countries, ports = CLIENTS[client_id]
    _, flag, port, iso3, *_ = next(v for v in VESSELS if v[0] == mmsi)
    if role == "admin":
        return True
    if ports and port not in ports:
        return False
    return not countries or bool({flag, iso3} & set(countries))


def sees_port(client_id: str, port: str) -> bool:
    agency, role, countries, ports = CLIENTS[client_id]
    if role == "admin":
        return True
    if ports and port not in ports:
        return False
    return not countries or PORT_ISO3[port] in countries


def sees_notice(client_id: str, notice_id: str) -> bool:
    agency, role, *_ = CLIENTS[client_id]
    return role == "admin" or agency in NOTICES[notice_id]


def expected(client_id: str, endpoint: str) -> set[int]:
    """Acceptable status codes of ``endpoint`` for ``client_id``."""
    _, role, _, _ = CLIENTS[client_id]
    kind, _, arg = endpoint.partition(":")
    if kind in ("alert", "vessel", "track", "events"):
        if role not in ALERT_ROLES:
            return {403}
        return {200} if sees_alert(client_id, arg) else {404}
    if kind in ("queue", "brief"):
        if role not in ALERT_ROLES:
            return {403}
        return {200} if sees_port(client_id, arg) else {403}
    if kind in ("alerts", "ports"):
        return {403} if role not in ALERT_ROLES else {200}
    if kind in ("notice", "deliveries"):
        if role not in NOTICE_READERS:
            return {403}
        return {200} if sees_notice(client_id, arg) else {404}
    if kind == "notices":
        return {200} if role in NOTICE_READERS else {403}
    if kind == "approve":
        if role not in ("referral_approver", "admin"):
            return {403}
        # both seeded notices are approved already: a second approval is refused
        return {409} if sees_notice(client_id, arg) else {404}
    if kind == "callback":
        if role not in ("case_system", "admin"):
            return {403}
        agency = CLIENTS[client_id][0]
        ok = role == "admin" or f"delivery-{agency}" == arg
        # "received" once, then the same status again is accepted or refused as a step
        # back by vessel_risk.delivery; never another agency's delivery
        return {200, 409} if ok else {404}
    if kind == "champion":  # a tip's source reads nothing but its receipts
        return {403} if role in CASE_ROLES | {"coordinator", "tip_source"} else {200}
    if kind == "score":
        return {200} if role in ("analyst", "admin") else {403}
    if kind == "clients":
        return {200} if role == "admin" else {403}
    raise AssertionError(endpoint)


ENDPOINTS = [
    *(
        f"{k}:{m}"
        for k in ("alert", "vessel", "track", "events")
        for m in ("412000001", "440000003", "412000005")
    ),
    *(f"{k}:{p}" for k in ("queue", "brief") for p in ("PUNTA ARENAS", "BUSAN")),
    "alerts:",
    "ports:",
    "notices:",
    *(f"{k}:{n}" for k in ("notice", "deliveries", "approve") for n in NOTICES),
    "callback:delivery-cl-nrm",
    "callback:delivery-kr-nrm",
    "champion:",
    "score:",
    "clients:",
]


@pytest.fixture(scope="module")
def matrix_api(tmp_path_factory):
    """One app on a seeded SQLite database for the whole matrix (the calls change
    nothing the oracle reads); ``matrix_api.ids`` holds the seeded ids."""
    engine, app, ids = seeded_sqlite_app(tmp_path_factory.mktemp("authz"))
    client = TestClient(app)
    client.ids = ids  # type: ignore[attr-defined]
    yield client
    engine.dispose()


def call(api: TestClient, client_id: str, endpoint: str):
    kind, _, arg = endpoint.partition(":")
    headers = auth(client_id)
    ids = api.ids  # type: ignore[attr-defined]
    brief_mmsi = {"PUNTA ARENAS": "412000001", "BUSAN": "440000003"}
    routes = {
        "alert": lambda: api.get(f"/alerts/{ids['alerts'].get(arg)}", headers=headers),
        "vessel": lambda: api.get(f"/vessels/{arg}", headers=headers),
        "track": lambda: api.get(f"/vessels/{arg}/track", headers=headers),
        "events": lambda: api.get(f"/vessels/{arg}/events", headers=headers),
        "queue": lambda: api.get(f"/ports/{arg}/queue", headers=headers),
        "brief": lambda: api.get(f"/ports/{arg}/briefs/{brief_mmsi[arg]}", headers=headers),
        "alerts": lambda: api.get("/alerts", headers=headers),
        "ports": lambda: api.get("/ports", headers=headers),
        "notices": lambda: api.get("/referrals", headers=headers),
        "notice": lambda: api.get(f"/referrals/{arg}", headers=headers),
        "deliveries": lambda: api.get(f"/referrals/{arg}/deliveries", headers=headers),
        "approve": lambda: api.post(f"/referrals/{arg}/approve", headers=headers),
        "callback": lambda: api.post(
            f"/deliveries/{arg}/status", json={"status": "received"}, headers=headers
        ),
        "champion": lambda: api.get("/models/champion", headers=headers),
        "score": lambda: api.post(
            "/models/score", json={"position_messages": 100, "days_observed": 20}, headers=headers
        ),
        "clients": lambda: api.get("/clients", headers=headers),
    }
    return routes[kind]()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("client_id", sorted(CLIENTS))
def test_matrix(matrix_api, client_id, endpoint):
    r = call(matrix_api, client_id, endpoint)
    assert r.status_code in expected(client_id, endpoint), (r.status_code, r.text)
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("client_id", sorted(CLIENTS))
def test_lists_hold_exactly_what_the_scope_allows(matrix_api, client_id):
    api = matrix_api
    headers = auth(client_id)
    role = CLIENTS[client_id][1]
    alerts = api.get("/alerts", headers=headers)
    notices = api.get("/referrals", headers=headers)
    if role in ALERT_ROLES:
        got = {a["mmsi"] for a in alerts.json()["items"]}
        assert got == {v[0] for v in VESSELS if sees_alert(client_id, v[0])}
        ports = {p["port_label"] for p in api.get("/ports", headers=headers).json()}
        assert ports == {v[2] for v in VESSELS if v[2] is not None and sees_alert(client_id, v[0])}
    if role in NOTICE_READERS:
        assert {n["id"] for n in notices.json()} == {
            n for n in NOTICES if sees_notice(client_id, n)
        }


def test_no_key_and_a_wrong_key_are_401(matrix_api):
    for headers in ({}, {"X-API-Key": "not-a-key"}):
        for path in ("/alerts", "/referrals", "/ports/BUSAN/queue", "/models/champion"):
            r = matrix_api.get(path, headers=headers)
            assert r.status_code == 401
            assert r.headers["www-authenticate"] == 'ApiKey header="X-API-Key"'


def test_rate_limit_answers_429_with_retry_after(engine, tmp_path):
    with Session(engine) as session, session.begin():
        seed(session, rate_per_minute=3)
    api = TestClient(make_app(engine))
    codes = [api.get("/models/champion", headers=auth("cl-analyst")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = api.get("/models/champion", headers=auth("cl-analyst"))
    # 1 token at 3 a minute: 20 s, less the time the requests took (the wall clock
    # refills the shared bucket)
    assert 10 <= int(r.headers["retry-after"]) <= 20


def test_token_bucket_refills_at_its_rate(engine):
    now = [1_000_000.0]
    buckets = RateLimiter(engine, clock=lambda: now[0])
    assert [buckets.take("a", 2) for _ in range(3)] == [0.0, 0.0, 30.0]
    now[0] += 30.0
    assert buckets.take("a", 2) == 0.0
    assert buckets.take("b", 2) == 0.0  # buckets are per key


def test_rate_limit_is_shared_by_two_apps_on_one_database(engine):
    """Two app instances (two worker processes) draw from one bucket per client."""
    with Session(engine) as session, session.begin():
        seed(session, rate_per_minute=4)
    one, two = TestClient(make_app(engine)), TestClient(make_app(engine))
    codes = [
        (one if i % 2 == 0 else two).get("/models/champion", headers=auth("cl-analyst")).status_code
        for i in range(6)
    ]
    assert codes == [200, 200, 200, 200, 429, 429]


def test_case_scope_and_the_admins_limits():
    from types import SimpleNamespace

    from vessel_risk.api.access import Principal

    child = SimpleNamespace(owner_client_id="cw", child=True, child_protection_agency_id="cp-1")
    adult = SimpleNamespace(owner_client_id="cw", child=False, child_protection_agency_id="cp-1")
    owner = Principal(client_id="cw", agency_id="ngo", role="case_worker")
    cpo = Principal(client_id="o", agency_id="cp-1", role="child_protection_officer")
    other_cpo = Principal(client_id="p", agency_id="cp-2", role="child_protection_officer")
    other_worker = Principal(client_id="w", agency_id="cp-1", role="case_worker")
    admin = Principal(client_id="a", agency_id="hq", role="admin")
    assert [p.may_see_case(child) for p in (owner, cpo, other_cpo, other_worker, admin)] == [
        True,
        True,
        False,
        False,  # same agency, but only a child-protection officer reaches a child's case
        True,
    ]
    assert [p.may_see_case(adult) for p in (owner, cpo, admin)] == [True, False, True]
    assert admin.may("cases.read") and not admin.may("cases.intake")
    assert not admin.may("cases.write") and not admin.may("cases.screen")
    assert cpo.may("cases.intake") and not cpo.may("notices.read")
