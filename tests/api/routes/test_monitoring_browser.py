"""The monitoring page in a real browser (Playwright driving Debian's Chromium, headless):
a coordinator signs in, reads the year of ``tests/mechanism.py`` off the page, follows a
figure to its definition, and the page breaks no Content-Security-Policy rule. Skips,
saying why, where Chromium is absent (fails under CI)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.api.routes.test_dashboard import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    _need_chromium,
    _serve,
)
from tests.apikit import key_of, make_app
from tests.mechanism import EXPECTED, build_mechanism
from vessel_risk.api.access import create_client
from vessel_risk.db.engine import make_engine, migrate


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    _need_chromium()
    folder = tmp_path_factory.mktemp("monitoring-browser")
    engine = make_engine(f"sqlite:///{folder / 'db.sqlite'}")
    migrate(engine)
    build_mechanism(engine)
    with Session(engine) as s, s.begin():
        create_client(
            s,
            client_id="coord",
            agency_id="iacat",
            role="coordinator",
            actor="test",
            key=key_of("coord"),
        )
    yield from _serve(make_app(engine, monitoring_k=1))  # the hand counts, unsuppressed
    engine.dispose()


def test_a_coordinator_reads_the_figures_in_a_browser(served):
    from playwright.sync_api import sync_playwright

    url = served
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        context.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort()
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{url}/ui/login")
        page.fill("input[name=key]", key_of("coord"))
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/ui/monitoring")
        page.goto(f"{url}/ui/monitoring?from=2025-01-01&to=2025-12-31&by=nationality")
        shown = {
            fid: page.locator(f'td.value[data-figure="{fid}"]').inner_text() for fid in EXPECTED
        }
        assert {fid: float(v) for fid, v in shown.items()} == EXPECTED
        # The monthly table and a chart agree: three persons screened in January.
        jan = page.locator('#months-persons_screened td[data-month="2025-01-01"]').inner_text()
        assert jan == "3"
        bars = page.locator("#chart-persons_screened rect.bar")
        assert bars.count() == 12
        assert bars.nth(0).get_attribute("data-value") == "3"
        assert page.locator("#chart-alerts_raised svg").is_visible()
        # The breakdown by nationality.
        mmr = page.locator('#by-persons_screened td[data-key="MMR"]').inner_text()
        assert mmr == "3"
        page.screenshot(path=str(ARTIFACTS / "monitoring.png"), full_page=True)
        # Every figure links to its definition.
        page.click("#figure-reflection_respected a")
        page.wait_for_url(f"{url}/ui/monitoring/definitions#reflection_respected")
        definition = page.locator("#reflection_respected + dd").inner_text()
        assert "CETS 197 Art. 13" in definition
        assert errors == []
        browser.close()
