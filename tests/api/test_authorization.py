"""Authorisation in one place (vessel_risk.api.deps): every route of ``app.routes``
declares a permission through ``authorize`` and resolves each resource of its path
through ``scoped``; and every route, called by every client (role x country x port
scope) with resources in and out of its scope, answers as the access rules say.

The route list is read from the app, not written here: a new route without a declared
authorisation fails :func:`test_every_route_declares_its_authorisation`, and a new
route is called by the matrix without anyone listing it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.apikit import CASES, CLIENTS, VESSELS, auth, key_of, seeded_sqlite_app
from vessel_risk.api.access import PERMISSIONS, PERSONAL
from vessel_risk.api.deps import PLAIN_PARAMS, RESOURCE_PARAMS
from vessel_risk.db.tables import UiSession

PUBLIC = {
    ("GET", "/openapi.json"): "the API's description",
    ("GET", "/health/live"): "liveness probe",
    ("GET", "/health/ready"): "readiness probe",
    ("GET", "/ui/login"): "the login form",
    ("POST", "/ui/login"): "signing in (throttled per address)",
    ("GET", "/ui/logout"): "signing out ends the caller's own session only",
    ("GET", "/subscriptions/unsubscribe"): "the unsubscribe link's page: its token is the "
    "authority, and GET changes nothing",
    ("POST", "/subscriptions/unsubscribe"): "one-click unsubscribe (RFC 8058): the token in "
    "the link a message carried is the authority",
}
"""Routes anyone may call, each with the reason."""


def _calls(dependant: Any) -> Iterator[Any]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def routes(app: FastAPI) -> list[tuple[str, str, list[Any], list[str]]]:
    """(method, path, dependency callables, path parameter names) of every route."""
    out = []
    for ctx in iter_route_contexts(app.router.routes):
        dependant = getattr(ctx, "dependant", None)
        methods = sorted(getattr(ctx, "methods", None) or ["GET"])
        for method in methods:
            if method == "HEAD":
                continue
            calls = list(_calls(dependant)) if dependant is not None else []
            params = re.findall(r"{(\w+)(?::\w+)?}", ctx.path)
            out.append((method, ctx.path, calls, params))
    return out


def undeclared(app: FastAPI) -> list[str]:
    """Routes (``METHOD path: what is missing``) with no declared authorisation."""
    problems = []
    for method, path, calls, params in routes(app):
        if (method, path) in PUBLIC or path.startswith("/static"):
            continue
        permissions = {getattr(c, "permission", None) for c in calls} - {None}
        if not permissions:
            problems.append(f"{method} {path}: no authorize() dependency")
        for p in permissions:
            if p not in PERMISSIONS:
                problems.append(f"{method} {path}: unknown permission {p!r}")
        resources = {getattr(c, "resource", None) for c in calls} - {None}
        for name in params:
            if name in PLAIN_PARAMS:
                continue
            kind = RESOURCE_PARAMS.get(name)
            if kind is None:
                problems.append(f"{method} {path}: path parameter {name!r} names no resource")
            elif kind not in resources:
                problems.append(f"{method} {path}: {name!r} not resolved by scoped({kind!r})")
    return problems


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    from vessel_risk.db.tables import AlertRow, ReferralNotice
    from vessel_risk.referral.payload import build_payload

    engine, app, ids = seeded_sqlite_app(tmp_path_factory.mktemp("authz-routes"))
    with Session(engine) as s, s.begin():  # the seeded notices get a whole payload
        for notice in s.query(ReferralNotice):
            alert = s.get(AlertRow, notice.alert_id)
            payload = build_payload(s, alert, notice_id=notice.id, created_at=notice.created_at)
            notice.payload = payload.model_dump(mode="json")
        seed_subscriptions(s)
    yield engine, app, ids
    engine.dispose()


def seed_subscriptions(s: Session) -> None:
    """One subscription of each side's maritime authority (issue 18), by its inspector."""
    from datetime import UTC, datetime

    from vessel_risk.db.tables import Agency, Subscription

    for sub_id, agency, client, port in SUBSCRIPTIONS:
        s.add(Agency(id=agency, name=agency, country_iso3=agency[:2].upper(), role="port"))
        s.flush()
        s.add(
            Subscription(
                id=sub_id,
                agency_id=agency,
                client_id=client,
                channel="email",
                target=f"inspector@{agency}.example",
                ports=[port],
                min_tier="high",
                kinds=["arrival.expected"],
                secrets={},
                unsubscribe_sha256=hashlib.sha256(sub_id.encode()).hexdigest(),
                created_by="test",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )


def test_every_route_declares_its_authorisation(seeded):
    _, app, _ = seeded
    assert undeclared(app) == []
    # every route is seen, the API's and the dashboard's (openapi.json included)
    seen = [(m, p) for m, p, _, _ in routes(app) if not p.startswith("/static")]
    assert len(seen) == 82


def test_the_guard_fails_on_a_route_without_a_check(seeded):
    _, app, _ = seeded
    extra = APIRouter()

    @extra.get("/vessels/{mmsi}/secret")
    def leak(mmsi: str) -> dict[str, str]:
        return {"mmsi": mmsi}

    probe = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    probe.include_router(extra)
    assert undeclared(probe) == [
        "GET /vessels/{mmsi}/secret: no authorize() dependency",
        "GET /vessels/{mmsi}/secret: 'mmsi' not resolved by scoped('vessel')",
    ]


# --- the matrix: route x client (role, countries, ports) x resource in/out of scope ---

PORT_ISO3 = {"PUNTA ARENAS": "CHL", "BUSAN": "KOR"}
NOTICES = {"notice-cl": ("412000001", "cl-nrm"), "notice-kr": ("440000003", "kr-nrm")}
DELIVERIES = {"delivery-cl-nrm": "cl-nrm", "delivery-kr-nrm": "kr-nrm"}
DELIVERY_NOTICES = {"delivery-cl-nrm": "notice-cl", "delivery-kr-nrm": "notice-kr"}
# subscription id, its agency, the client that made it, its port
SUBSCRIPTIONS = [
    ("sub-cl", "cl-dgtm", "cl-inspector", "PUNTA ARENAS"),
    ("sub-kr", "kr-kcg", "kr-inspector", "BUSAN"),
]
# one value of each path parameter per side: (Chile's, Korea's)
SIDES = {
    "alert_id": ("412000001", "440000003"),
    "mmsi": ("412000001", "440000003"),
    "notice_id": ("notice-cl", "notice-kr"),
    "delivery_id": ("delivery-cl-nrm", "delivery-kr-nrm"),
    "port_label": ("PUNTA ARENAS", "BUSAN"),
    "inspection_id": ("412000001", "440000003"),  # the boarding of each side's alert
    "case_id": ("case-cl", "case-kr"),
    "months": ("3", "3"),
    "transfer_id": ("transfer-cl", "transfer-kr"),  # absent: the case decides first
    "subscription_id": ("sub-cl", "sub-kr"),
}


def sees_alert(client_id: str, mmsi: str) -> bool:
    _, role, countries, ports = CLIENTS[client_id]
    _, flag, port, iso3, *_ = next(v for v in VESSELS if v[0] == mmsi)
    if role == "admin":
        return True
    if ports and port not in ports:
        return False
    return not countries or bool({flag, iso3} & set(countries))


def in_scope(client_id: str, param: str, value: str, permission: str) -> bool:
    """The oracle, from the access rules of vessel_risk.api.access."""
    agency, role, countries, ports = CLIENTS[client_id]
    if role == "admin":
        return True
    if param in ("alert_id", "mmsi"):
        return sees_alert(client_id, value)
    if param == "port_label":
        return (not ports or value in ports) and (not countries or PORT_ISO3[value] in countries)
    if param == "notice_id":
        mmsi, receiver = NOTICES[value]
        delivered = receiver == agency and permission != "notices.approve"
        return delivered or (role != "case_system" and sees_alert(client_id, mmsi))
    if param == "delivery_id":
        if permission == "deliveries.report":  # the receiver reports on what it got
            return DELIVERIES[value] == agency
        mmsi, _ = NOTICES[DELIVERY_NOTICES[value]]  # others act as the notice's sender
        return role != "case_system" and sees_alert(client_id, mmsi)
    if param == "inspection_id":  # by its alert, or a port inspector's own port
        port = next(v[2] for v in VESSELS if v[0] == value)
        return sees_alert(client_id, value) or (role == "port_inspector" and port in ports)
    if param == "case_id":
        owner, child, cp_agency, _ = CASES[value]
        return owner == client_id or (
            role == "child_protection_officer" and child and cp_agency == agency
        )
    if param in ("months", "transfer_id"):
        return True
    if param == "subscription_id":  # an agency's own
        return next(a for i, a, _, _ in SUBSCRIPTIONS if i == value) == agency
    raise AssertionError(param)


def expected(client_id: str, permission: str, params: dict[str, str]) -> set[int]:
    role = CLIENTS[client_id][1]
    admin = role == "admin" and permission not in PERSONAL
    if not (admin or role in PERMISSIONS[permission]):
        return {403}
    for name, value in params.items():  # path order: the first out of scope answers
        if not in_scope(client_id, name, value, permission):
            return {403} if name == "port_label" else {404}
    return {200, 201, 303, 409, 422}


def _url(path: str, params: dict[str, str], ids: dict[str, Any]) -> str:
    for name, value in params.items():
        if name in ("alert_id", "inspection_id"):
            v = str(ids["alerts" if name == "alert_id" else "inspections"][value])
        else:
            v = value
        path = path.replace("{" + name + "}", v)
    return path


def _login(api: TestClient, engine: Any, client_id: str) -> str:
    api.cookies.clear()
    r = api.post("/ui/login", data={"key": key_of(client_id)}, follow_redirects=False)
    assert r.status_code == 303
    token = r.cookies.get("vessel_risk_session") or api.cookies.get("vessel_risk_session")
    with Session(engine) as s:
        row = s.get(UiSession, hashlib.sha256(token.encode()).hexdigest())
        assert row is not None
        return row.csrf_token


def test_matrix_over_every_route(seeded):
    """Every route x every client x its resources of both sides: zero outside scope."""
    engine, app, ids = seeded
    api = TestClient(app)
    checked = outside = 0
    for client_id in sorted(CLIENTS):
        csrf = _login(api, engine, client_id)
        for method, path, calls, names in routes(app):
            if (method, path) in PUBLIC or path.startswith("/static"):
                continue
            permission = next(c.permission for c in calls if hasattr(c, "permission"))
            ui = path.startswith("/ui")
            for side in (0, 1) if names else (0,):
                params = {n: SIDES[n][side] for n in names}
                if path.endswith("/briefs/{mmsi}"):
                    params["mmsi"] = {"PUNTA ARENAS": "412000001", "BUSAN": "440000003"}[
                        params["port_label"]
                    ]
                url = _url(path, params, ids)
                kwargs: dict[str, Any] = {"follow_redirects": False}
                if not ui:
                    kwargs["headers"] = auth(client_id)
                if method == "POST":
                    if ui:
                        kwargs["data"] = {"csrf_token": csrf}
                    else:
                        kwargs["json"] = {}
                r = api.request(method, url, **kwargs)
                want = expected(client_id, permission, params)
                checked += 1
                if want <= {403, 404} and r.status_code not in want:
                    outside += 1  # read or acted outside the caller's role or scope
                assert r.status_code in want, (client_id, method, url, r.status_code, r.text)
    assert outside == 0
    # 14 clients (a coordinator and a hotline's tip_source among them); requeue (2 sides),
    # inspections (7), vessel tabs (4), transfer, port arrivals (2 sides), subscriptions
    # (1 + 1 + 2 sides), monitoring (6), exchange (3), tips (POST /tips, the form and its
    # post), the queue item page (2)
    assert checked == 14 * 112
