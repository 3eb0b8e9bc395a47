"""Browser test of the dashboard (vessel_risk.api.routes.dashboard): Playwright driving
Debian's Chromium, headless.

A port inspector of Punta Arenas logs in, opens the port's queue from the
squid-jigger run, opens the top vessel and downloads its inspection brief (PDF). The
screenshot and the brief are kept in ``tests/artifacts/`` (gitignored). Skips, saying
why, where Chromium or the shared data are absent, except under CI (``CI`` set), where
a missing Chromium is a failure.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.builders import shared_file
from vessel_risk.api import create_app
from vessel_risk.api.access import create_client
from vessel_risk.db.engine import make_engine
from vessel_risk.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[2] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PORT_LABEL = "PUNTA ARENAS"
INSPECTOR_KEY = "inspector-punta-arenas-key"


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is absent: apt-get install chromium (.ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def inspector_run(tmp_path_factory):
    """The squid-jigger run (baseline scores) with a Punta Arenas inspector client.

    Checks for Chromium first: without it the test cannot run, so neither does the
    pipeline.
    """
    _need_chromium()
    from vessel_risk.pipeline import RunConfig, run

    out = tmp_path_factory.mktemp("squid")
    run(
        RunConfig(
            out_dir=out,
            ais_paths=[shared_file("data", "ais", "squid_jiggers_2020_2023.parquet")],
            ports_path=shared_file("data", "ports", "gfw_named_anchorages.csv.gz"),
            iuu_list_path=shared_file("data", "vessels", "combined_iuu_list_2026-04.csv"),
            scorer="baseline",
        )
    )
    engine = make_engine(f"sqlite:///{out / 'vessel_risk.db'}")
    with Session(engine) as session, session.begin():
        create_client(
            session,
            client_id="pa-inspector",
            agency_id="cl-directemar",
            role="port_inspector",
            ports=[PORT_LABEL],
            actor="test",
            key=INSPECTOR_KEY,
        )
    yield out, engine
    engine.dispose()


def _serve(app: object) -> Iterator[str]:
    """Serve ``app`` by uvicorn on a free loopback port, in a thread; yield its URL."""
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module's browser tests."""
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _browser_context(browser: Any, server: str, **options: Any) -> Any:
    """A context of ``browser`` that reaches ``server`` only."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    # Loopback only: any other request is refused.
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(server) else route.abort(),
    )
    return context


@pytest.fixture(scope="module")
def server(inspector_run):
    """The app on the squid-jigger run, served by uvicorn (:func:`_serve`)."""
    out, engine = inspector_run
    yield from _serve(create_app(Settings(run_dir=out), engine=engine))


def test_port_inspector_opens_queue_vessel_and_downloads_brief(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = _browser_context(browser, server, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{server}/ui/login")
    page.fill("#key", INSPECTOR_KEY)
    page.click("#login")
    page.wait_for_url(f"{server}/ui/ports")
    # The inspector's scope holds only Punta Arenas.
    assert page.locator("#ports a").all_inner_texts() == [PORT_LABEL]
    page.click(f"text={PORT_LABEL}")
    page.wait_for_selector("#queue a.vessel")
    rows = page.locator("#queue a.vessel")
    assert rows.count() >= 3
    first = rows.first.inner_text()
    mmsi = first.rsplit(" ", 1)[-1]
    rows.first.click()
    page.wait_for_selector("#vessel-name")
    assert mmsi in page.inner_text("#vessel-name")
    page.click("#tabs >> text=Track")
    page.wait_for_selector("#map[data-basemap=ready]")
    assert mmsi in page.inner_text("#vessel-name")
    assert page.locator(".leaflet-container").count() == 1
    assert page.locator("path.leaflet-interactive").count() >= 1  # the track is drawn
    assert page.locator("path.land").count() >= 1  # over the land
    # The real track's distances, plotted from the run's positions.
    assert page.locator("#chart-distance_from_shore_km polyline.series").count() >= 1
    assert page.locator("#chart-distance_from_port_km polyline.series").count() >= 1
    with page.expect_download() as info:
        page.click("#brief-pdf")
    download = info.value
    brief = ARTIFACTS / download.suggested_filename
    download.save_as(brief)
    page.screenshot(path=str(ARTIFACTS / "port_inspector_vessel.png"), full_page=True)
    context.close()
    assert brief.name == f"brief_{mmsi}_PUNTA_ARENAS.pdf"
    assert brief.read_bytes().startswith(b"%PDF-")
    assert (ARTIFACTS / "port_inspector_vessel.png").stat().st_size > 10_000


def test_approval_screen_shows_the_routing_flag_and_asks_to_confirm_an_inferred_one(api, engine):
    """Without the browser: the approver's screen shows the inferred flag, the routes and
    the rules with no agency, refuses approval without the box and approves with it."""
    from tests.apikit import key_of, record_inferred_flag_alert

    alert_id = record_inferred_flag_alert(engine)
    api.post("/referrals", json={"alert_id": alert_id}, headers={"X-API-Key": key_of("admin")})
    login = api.post("/ui/login", data={"key": key_of("admin")}, follow_redirects=False)
    assert login.status_code == 303
    page = api.get("/ui/referrals").text
    assert "150400453 track 1" in page
    assert "Routed by flag:</b> CHN (inferred from name_pattern:china_provincial" in page
    assert 'name="confirm_inferred_flag"' in page
    assert "crew_consular (CHN): no active consular_service of CHN" in page
    nid = page.split('action="/ui/referrals/')[1].split("/approve")[0]
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    refused = api.post(
        f"/ui/referrals/{nid}/approve", data={"csrf_token": csrf}, follow_redirects=True
    )
    assert "A person must confirm that flag" in refused.text
    assert 'name="confirm_inferred_flag"' in refused.text  # still a draft
    done = api.post(
        f"/ui/referrals/{nid}/approve",
        data={"confirm_inferred_flag": "true", "csrf_token": csrf},
        follow_redirects=True,
    )
    assert "Approved and routed" in done.text
    assert 'name="confirm_inferred_flag"' not in done.text
    alerts = api.get("/ui/").text
    assert "150400453 track 1" in alerts and "CHN (inferred from" in alerts


BROWSER_PAYLOAD = '<img src=x onerror="window.__xss=1">'
"""A ship name that sets ``window.__xss`` if a page renders it as HTML."""
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.effectiveDirective + ' ' + e.blockedURI));
"""
"""Init script: every Content-Security-Policy violation of the page, in ``window.__csp``."""


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """The seeded API database with :data:`BROWSER_PAYLOAD` as the top alert's ship name,
    served by uvicorn (:func:`_serve`)."""
    _need_chromium()
    from tests.apikit import seeded_sqlite_app
    from tests.builders import record_hostile_alert

    engine, app, _ = seeded_sqlite_app(tmp_path_factory.mktemp("hostile"))
    record_hostile_alert(engine, shipname=BROWSER_PAYLOAD)
    yield from _serve(app)
    engine.dispose()


def _marker_popups(page: Any) -> list[tuple[str, str | None]]:
    """Open the popup of every alert marker on the map: (its text, its link)."""
    popups = []
    markers = page.locator("path.alert-marker")
    for i in range(markers.count()):
        markers.nth(i).dispatch_event("click")
        content = page.locator(".leaflet-popup-content").last
        content.wait_for()
        assert content.locator("img, svg, script").count() == 0
        link = content.locator("a")
        popups.append((content.inner_text(), link.get_attribute("href") if link.count() else None))
    return popups


def _quiet(page: Any) -> None:
    """No script of the ship name ran and the page broke no rule of its CSP."""
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("window.__csp") == []


def test_a_hostile_ship_name_runs_no_script_and_shows_as_text(hostile_server, browser):
    """The alert queue, the port queue, the vessel page and the brief show the name as
    text, in the table and in the map's popups; the dashboard works under its CSP (its
    styles and scripts load, nothing is refused); the CSP itself stops an injected
    handler."""
    from tests.apikit import key_of
    from tests.builders import HOSTILE_MMSI

    server = hostile_server
    label = f"{BROWSER_PAYLOAD} · {HOSTILE_MMSI}"
    popup = (f"{BROWSER_PAYLOAD} 0.99 high", f"/ui/vessels/{HOSTILE_MMSI}")
    dialogs: list[str] = []
    context = _browser_context(browser, server)
    context.add_init_script(WATCH)
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{server}/ui/login")
    page.fill("#key", key_of("admin"))
    page.click("#login")
    page.wait_for_url(f"{server}/ui/")
    page.wait_for_selector("path.alert-marker")
    assert page.locator("#alerts a").first.inner_text() == label
    # The stylesheet from /static applies.
    header = page.eval_on_selector("header", "h => getComputedStyle(h).backgroundColor")
    assert header == "rgb(11, 57, 84)"
    assert popup in _marker_popups(page)
    _quiet(page)

    page.goto(f"{server}/ui/ports/PUNTA%20ARENAS")
    page.wait_for_selector("path.alert-marker")
    assert page.locator("#queue a.vessel").first.inner_text() == label
    assert popup in _marker_popups(page)
    _quiet(page)

    page.goto(f"{server}/ui/vessels/{HOSTILE_MMSI}?port=PUNTA%20ARENAS")
    assert page.inner_text("#vessel-name") == f"{BROWSER_PAYLOAD} · MMSI {HOSTILE_MMSI}"
    assert page.title() == f"{BROWSER_PAYLOAD} · vessel-risk"
    page.click("text=HTML brief")
    page.wait_for_url(f"{server}/ui/ports/PUNTA%20ARENAS/briefs/{HOSTILE_MMSI}")
    assert page.title() == f"Inspection brief {BROWSER_PAYLOAD}"
    # The brief's inline style carries the response's nonce, so it applies.
    caveat = page.eval_on_selector(".caveat", "c => getComputedStyle(c).backgroundColor")
    assert caveat == "rgb(255, 244, 214)"
    _quiet(page)

    # Event popups (kind and start) are text too; 412000001 has a located AIS gap.
    page.goto(f"{server}/ui/vessels/412000001/events")
    page.wait_for_selector("path.event-marker")
    page.locator("path.event-marker").first.dispatch_event("click")
    event = page.locator(".leaflet-popup-content").last
    assert event.inner_text() == "gap 2022-10-12T00:00:00+00:00"
    _quiet(page)

    # The second line of defence: markup injected into the page runs no handler.
    page.goto(f"{server}/ui/")
    injected = '<img src=x onerror="window.__xss=2">'
    page.evaluate("html => document.body.insertAdjacentHTML('beforeend', html)", injected)
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("window.__csp") == ["script-src-attr inline"]
    context.close()
    assert dialogs == []
