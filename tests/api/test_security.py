"""Output encoding and security headers (vessel_risk.api.security, the templates and
briefs): a ship name broadcast over AIS is text in every page and export, never HTML,
and every response carries the security headers."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.apikit import auth, key_of
from tests.builders import (
    HOSTILE_CALLSIGN,
    HOSTILE_MMSI,
    HOSTILE_NAME,
    record_hostile_alert,
)
from vessel_risk.db.tables import AlertRow

NAME_AS_TEXT = "&lt;img src=x onerror=alert(1)&gt;"
CALLSIGN_AS_TEXT = "&#34;&gt;&lt;svg onload=alert(2)&gt;"
CSP = re.compile(
    r"default-src 'self'; script-src 'self'; style-src 'self' 'nonce-(?P<nonce>[\w-]{24})'; "
    r"img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    r"frame-ancestors 'none'"
)


def _assert_secure_headers(response, *, https: bool = False) -> str:
    """Check the headers of ``response``; return its CSP nonce."""
    h = response.headers
    csp = CSP.fullmatch(h.get("content-security-policy", ""))
    assert csp, (response.request.url, h.get("content-security-policy"))
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "same-origin"
    assert h["x-frame-options"] == "DENY"
    assert h["cross-origin-opener-policy"] == "same-origin"
    if https:
        assert h["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    else:
        assert "strict-transport-security" not in h
    return csp["nonce"]


def _login(api, client_id: str = "admin") -> None:
    r = api.post("/ui/login", data={"key": key_of(client_id)}, follow_redirects=False)
    assert r.status_code == 303


def test_every_response_carries_the_security_headers(api):
    responses = {
        "live": api.get("/health/live"),
        "static": api.get("/static/dashboard/dashboard.js"),
        "static missing": api.get("/static/nope.js"),
        "unknown route": api.get("/nowhere"),
        "no key": api.get("/alerts"),
        "alerts": api.get("/alerts", headers=auth("admin")),
        "bad parameter": api.get("/alerts", params={"limit": "many"}, headers=auth("admin")),
        "login page": api.get("/ui/login"),
        "redirect": api.get("/ui/", follow_redirects=False),
        "openapi": api.get("/openapi.json"),
    }
    statuses = {k: r.status_code for k, r in responses.items()}
    assert statuses == {
        "live": 200,
        "static": 200,
        "static missing": 404,
        "unknown route": 404,
        "no key": 401,
        "alerts": 200,
        "bad parameter": 422,
        "login page": 200,
        "redirect": 303,
        "openapi": 200,
    }
    nonces = [_assert_secure_headers(r) for r in responses.values()]
    assert len(set(nonces)) == len(nonces)  # one nonce per response


def test_a_server_error_and_an_https_request_carry_the_headers(api):
    def boom() -> None:
        raise RuntimeError("boom")

    api.app.add_api_route("/boom", boom)
    client = TestClient(api.app, raise_server_exceptions=False)
    error = client.get("/boom")
    assert error.status_code == 500
    _assert_secure_headers(error)
    over_tls = TestClient(api.app, base_url="https://testserver").get("/health/live")
    assert over_tls.status_code == 200
    _assert_secure_headers(over_tls, https=True)


def test_dashboard_pages_have_no_inline_script_or_style(api, engine):
    record_hostile_alert(engine)
    _login(api)
    for path in ("/ui/login", "/ui/", "/ui/ports", "/ui/ports/PUNTA ARENAS", "/ui/referrals"):
        page = api.get(path).text
        for tag in re.findall(r"<script[^>]*>", page):
            assert 'type="application/json"' in tag or " src=" in tag, (path, tag)
        assert "<style" not in page and "style=" not in page, path
        assert not re.search(r"<[^>]*\son\w+=", page), path  # no event-handler attribute
    for tab, blocks in (("", []), ("/events", ["map-events"]), ("/track", ["map-track"])):
        page = api.get(f"/ui/vessels/{HOSTILE_MMSI}{tab}").text
        assert "<style" not in page and "style=" not in page, tab
        assert not re.search(r"<[^>]*\son\w+=", page), tab
        assert [t for t in re.findall(r"<script[^>]*>", page) if "src=" not in t] == [
            f'<script type="application/json" id="{b}">' for b in blocks
        ]


def test_a_hostile_ship_name_is_text_in_every_dashboard_page(api, engine):
    from vessel_risk.api.routes.dashboard import templates

    assert templates.env.autoescape is True
    record_hostile_alert(engine)
    _login(api)
    queue = api.get("/ui/").text
    assert f"{NAME_AS_TEXT} · {HOSTILE_MMSI}</a>" in queue
    # The map's data block: JSON with <, > and & escaped, which no HTML parser reads as a tag.
    assert '"name": "\\u003cimg src=x onerror=alert(1)\\u003e"' in queue
    port = api.get("/ui/ports/PUNTA ARENAS").text
    assert f"{NAME_AS_TEXT} · {HOSTILE_MMSI}</a>" in port
    assert '"name": "\\u003cimg src=x onerror=alert(1)\\u003e"' in port
    vessel = api.get(f"/ui/vessels/{HOSTILE_MMSI}").text
    assert f'<h1 id="vessel-name">{NAME_AS_TEXT} · MMSI {HOSTILE_MMSI}</h1>' in vessel
    assert f"<title>{NAME_AS_TEXT} · vessel-risk</title>" in vessel
    assert f"call sign {CALLSIGN_AS_TEXT} ·" in vessel
    assert f"<td>shipname</td><td>{NAME_AS_TEXT}</td>" in vessel
    for page in (queue, port, vessel):
        assert "<img" not in page and "<svg" not in page


def test_the_api_returns_a_hostile_ship_name_as_the_text_it_is(api, engine):
    record_hostile_alert(engine)
    items = api.get("/alerts", headers=auth("admin")).json()["items"]
    top = next(a for a in items if a["mmsi"] == HOSTILE_MMSI)
    assert top["shipname"] == HOSTILE_NAME
    vessel = api.get(f"/vessels/{HOSTILE_MMSI}", headers=auth("admin")).json()
    assert vessel["shipname"] == HOSTILE_NAME and vessel["callsign"] == HOSTILE_CALLSIGN


def test_the_briefs_escape_a_hostile_ship_name_and_carry_the_nonce(api, engine):
    record_hostile_alert(engine)
    r = api.get(f"/ports/PUNTA ARENAS/briefs/{HOSTILE_MMSI}", headers=auth("cl-inspector"))
    assert r.status_code == 200
    nonce = _assert_secure_headers(r)
    brief = r.text
    assert f"<title>Inspection brief {NAME_AS_TEXT}</title>" in brief
    assert f"<td>{CALLSIGN_AS_TEXT}</td>" in brief
    assert f"<td>{NAME_AS_TEXT}</td>" in brief  # the names broadcast
    assert f'<style nonce="{nonce}">' in brief
    assert "<img" not in brief and "<svg" not in brief
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; '
        'style-src &#39;unsafe-inline&#39;">' in brief
    )
    with Session(engine) as s:
        alert_id = s.scalars(select(AlertRow.id).where(AlertRow.mmsi == HOSTILE_MMSI)).one()
    created = api.post("/referrals", json={"alert_id": alert_id}, headers=auth("admin"))
    assert created.status_code == 201, created.text
    r = api.get(f"/referrals/{created.json()['id']}/brief", headers=auth("admin"))
    assert r.status_code == 200
    nonce = _assert_secure_headers(r)
    notice = r.text
    assert f"<tr><th>Name</th><td>{NAME_AS_TEXT}</td>" in notice
    assert f"<td>{CALLSIGN_AS_TEXT}</td>" in notice
    assert f"Names and call signs broadcast: {NAME_AS_TEXT}, {CALLSIGN_AS_TEXT}." in notice
    assert f'<style nonce="{nonce}">' in notice
    assert "<img" not in notice and "<svg" not in notice
