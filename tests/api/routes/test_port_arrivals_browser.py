"""Browser test of the port page's "Expected arrivals" view: Debian's Chromium, headless,
through Playwright, on the seeded API database served by uvicorn. Skips, saying why,
where Chromium is absent, except under CI."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.routes.test_dashboard import (
    BROWSER_PAYLOAD,
    CHROMIUM,
    CHROMIUM_ARGS,
    WATCH,
    _need_chromium,
    _serve,
)
from tests.api.routes.test_port_arrivals import _add_arrivals
from tests.apikit import key_of


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The seeded app with expected arrivals at Punta Arenas; the high-risk arriving
    vessel carries a ship name written to run script."""
    _need_chromium()
    from tests.apikit import seeded_sqlite_app
    from vessel_risk.db.tables import AlertRow

    engine, app, _ = seeded_sqlite_app(tmp_path_factory.mktemp("arrivals"))
    _add_arrivals(engine)
    with Session(engine) as s, s.begin():
        alert = s.scalars(select(AlertRow).where(AlertRow.mmsi == "440000003")).one()
        alert.shipname = BROWSER_PAYLOAD
    yield from _serve(app)
    engine.dispose()


def test_an_inspector_sees_who_is_coming_and_widens_the_window(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context()
        context.add_init_script(WATCH)
        page = context.new_page()
        page.goto(f"{site}/ui/login")
        page.fill("#key", key_of("cl-inspector"))
        page.press("#key", "Enter")
        page.wait_for_url(lambda url: not url.endswith("/ui/login"))
        page.goto(f"{site}/ui/ports/PUNTA%20ARENAS")
        rows = page.locator("#arrivals tr").all_inner_texts()[1:]
        assert [r.split("\t")[0] for r in rows] == [
            f"{BROWSER_PAYLOAD} · 440000003",
            "VESSEL 4 · 725000004",
        ]
        assert [r.split("\t")[2] for r in rows] == ["high", "low"]
        assert "insufficient data" in rows[1] and "insufficient data" not in rows[0]
        page.fill("input[name=days]", "14")
        page.press("input[name=days]", "Enter")
        page.wait_for_url(lambda url: "days=14" in url)
        wider = page.locator("#arrivals tr").all_inner_texts()[1:]
        assert [r.split("\t")[2] for r in wider] == ["high", "medium", "low"]
        assert page.evaluate("window.__xss") is None
        assert page.evaluate("window.__csp") == []
        browser.close()
