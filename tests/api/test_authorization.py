"""Authorisation in one place (vessel_risk.api.deps): every route of ``app.routes``
declares a permission through ``authorize`` and resolves each resource of its path
through ``scoped``; and every route, called by every client (role x country x port
scope) with resources in and out of its scope, answers as the access rules say.

The country dimension covers the flag, the last port's state and the coastal states
recorded with an alert: Japan's clients see Korea's 2022 vessel-year only because Japan
is one of its coastal states, and no vessel route shows them that vessel's 2021 year.

The route list is read from the app, not written here: a new route without a declared
authorisation fails :func:`test_every_route_declares_its_authorisation`, and a new
route is called by the matrix without anyone listing it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.apikit import (
    CASES,
    CLIENTS,
    VESSELS,
    add_vessel_year,
    auth,
    key_of,
    seeded_sqlite_app,
)
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

    folder = tmp_path_factory.mktemp("authz-routes")
    engine, app, ids = seeded_sqlite_app(folder)
    with Session(engine) as s, s.begin():  # the seeded notices get a whole payload
        for notice in s.query(ReferralNotice):
            alert = s.get(AlertRow, notice.alert_id)
            payload = build_payload(s, alert, notice_id=notice.id, created_at=notice.created_at)
            notice.payload = payload.model_dump(mode="json")
        seed_subscriptions(s)
        seed_coastal_dimension(s, ids)
    write_other_year_positions(folder / "run")
    yield engine, app, ids
    engine.dispose()


# --- the coastal-state dimension -------------------------------------------------------

COASTAL = {"440000003": frozenset({"JPN"})}
"""The coastal states recorded with each side's 2022 alert (Korea's worked in Japan's
waters too; Chile's in no other state's)."""
COASTAL_CLIENTS = {
    "jp-analyst": ("jp-jcg", "analyst", ["JPN"], []),
    "jp-approver": ("jp-jcg", "referral_approver", ["JPN"], []),
    "jp-inspector": ("jp-jcg", "port_inspector", ["JPN"], ["BUSAN"]),
}
"""Clients whose only country is a coastal state (one of them also port-scoped)."""
MATRIX_CLIENTS = {**CLIENTS, **COASTAL_CLIENTS}
OTHER_YEAR = ("440000003", 2021, datetime(2021, 5, 5, tzinfo=UTC), 33.333, 128.888)
"""Korea's vessel's other year, out of Busan with no coastal state: (mmsi, year, the start
of its one AIS gap, where the gap and its positions are)."""
OTHER_YEAR_MARKS = ("2021-05-05", "33.333", "128.888")
"""What any response showing the other year would hold: its gap's date, its position."""


def seed_coastal_dimension(s: Session, ids: dict[str, Any]) -> None:
    """Korea's 2022 alert gets Japan as coastal state; its vessel a 2021 year without
    one; and the clients of :data:`COASTAL_CLIENTS`."""
    from vessel_risk.api.access import create_client
    from vessel_risk.db.tables import AlertCoastalState

    for mmsi, states in COASTAL.items():  # the rule itself: tests/alerts/test_coastal.py
        s.add_all(AlertCoastalState(alert_id=ids["alerts"][mmsi], iso3=c) for c in states)
    mmsi, year, at, lat, lon = OTHER_YEAR
    add_vessel_year(s, mmsi, year, "BUSAN", "KOR", "KOR", event=(at, lat, lon))
    for client_id, (agency, role, countries, ports) in COASTAL_CLIENTS.items():
        create_client(
            s,
            client_id=client_id,
            agency_id=agency,
            role=role,
            countries=countries,
            ports=ports,
            rate_per_minute=100_000,
            actor="test",
            key=key_of(client_id),
        )


def write_other_year_positions(run_dir: Any) -> None:
    """Positions of Korea's vessel in 2022 (off Busan) and in its other year."""
    import pandas as pd

    mmsi, _, at, lat, lon = OTHER_YEAR
    path = run_dir / "positions.parquet"
    more = pd.DataFrame(
        {
            "mmsi": [mmsi] * 4,
            "track_id": [0] * 4,
            "timestamp": [
                *pd.to_datetime(["2022-10-01T00:00Z", "2022-10-01T06:00Z"], utc=True),
                pd.Timestamp(at),
                pd.Timestamp(at + timedelta(hours=6)),
            ],
            "lat": [35.0, 35.05, lat, lat + 0.1],
            "lon": [129.2, 129.1, lon, lon + 0.1],
        }
    )
    pd.concat([pd.read_parquet(path), more]).to_parquet(path, index=False)


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
    """Whether the client sees the side's 2022 alert of ``mmsi`` (and so its vessel:
    the other year's alert, flag and port are Korea's, without coastal state)."""
    _, role, countries, ports = MATRIX_CLIENTS[client_id]
    _, flag, port, iso3, *_ = next(v for v in VESSELS if v[0] == mmsi)
    if role == "admin":
        return True
    if ports and port not in ports:
        return False
    coastal = COASTAL.get(mmsi, frozenset())
    return not countries or bool(({flag, iso3} | coastal) & set(countries))


def in_scope(client_id: str, param: str, value: str, permission: str) -> bool:
    """The oracle, from the access rules of vessel_risk.api.access."""
    agency, role, countries, ports = MATRIX_CLIENTS[client_id]
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
    role = MATRIX_CLIENTS[client_id][1]
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
    for client_id in sorted(MATRIX_CLIENTS):
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
    # 14 clients (a coordinator and a hotline's tip_source among them) and 3 of a coastal
    # state only; requeue (2 sides), inspections (7), vessel tabs (4), transfer, port
    # arrivals (2 sides), subscriptions (1 + 1 + 2 sides), monitoring (6), exchange (3),
    # tips (POST /tips, the form and its post), the queue item page (2)
    assert checked == 17 * 112


def test_a_coastal_state_sees_that_vessel_year_and_not_the_vessels_other_years(seeded):
    """Every GET route naming a vessel, for Japan's clients (a coastal state of Korea's
    2022 alert only): 200 and nothing of the vessel's 2021 year; Korea's analyst (its
    flag and port state) is shown the 2021 year by the same routes."""
    engine, app, ids = seeded
    api = TestClient(app)
    vessel_routes = [
        p for m, p, _, names in routes(app) if m == "GET" and "mmsi" in names and "{port" not in p
    ]
    assert len(vessel_routes) == 6  # profile, track, events: in the API and the dashboard
    shown_to_korea = ""
    for client_id in ("jp-analyst", "jp-approver", "kr-analyst"):
        _login(api, engine, client_id)
        for path in vessel_routes:
            ui = path.startswith("/ui")
            r = api.get(
                path.replace("{mmsi}", OTHER_YEAR[0]),
                headers=None if ui else auth(client_id),
                follow_redirects=False,
            )
            assert r.status_code == 200, (client_id, path, r.status_code)
            if client_id == "kr-analyst":
                shown_to_korea += r.text
            else:
                assert not [m for m in OTHER_YEAR_MARKS if m in r.text], (client_id, path)
    assert all(m in shown_to_korea for m in OTHER_YEAR_MARKS)
    # the profile's years, the queue and the alert itself
    profile = api.get("/vessels/440000003", headers=auth("jp-analyst")).json()
    assert [p["year"] for p in profile["periods"]] == [2022]
    profile = api.get("/vessels/440000003", headers=auth("kr-analyst")).json()
    assert [p["year"] for p in profile["periods"]] == [2021, 2022]
    listed = api.get("/alerts", headers=auth("jp-analyst")).json()["items"]
    assert [(a["mmsi"], a["year"]) for a in listed] == [("440000003", 2022)]
    with Session(engine) as s:
        from sqlalchemy import select

        from vessel_risk.db.tables import AlertRow

        other = s.scalars(select(AlertRow.id).where(AlertRow.year == 2021)).one()
    assert api.get(f"/alerts/{other}", headers=auth("jp-analyst")).status_code == 404
    assert api.get(f"/alerts/{other}", headers=auth("kr-analyst")).status_code == 200
