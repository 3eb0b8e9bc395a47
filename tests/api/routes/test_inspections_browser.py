"""The boarding form in a real browser (Playwright driving Debian's Chromium, headless):
a port inspector on a phone-sized screen (375 x 667) records a boarding with the
keyboard alone. Skips, saying why, where Chromium is absent (fails under CI)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.routes.test_dashboard import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    _need_chromium,
    _serve,
)
from tests.apikit import key_of, seeded_sqlite_app
from vessel_risk.db.tables import Inspection

PHONE = {"width": 375, "height": 667}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    _need_chromium()
    engine, app, ids = seeded_sqlite_app(tmp_path_factory.mktemp("inspection-form"))
    for url in _serve(app):
        yield url, engine, ids
    engine.dispose()


def _focused(page) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.name"))


def _tab_to(page, element_id: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused(page) == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable by Tab")


def test_a_port_inspector_records_a_boarding_by_keyboard_on_a_phone(served):
    from playwright.sync_api import sync_playwright

    url, engine, ids = served
    alert_id = ids["alerts"]["412000001"]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport=PHONE, has_touch=True, locale="en-US")
        context.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort()
        )
        page = context.new_page()
        page.goto(f"{url}/ui/login")
        page.focus("#key")
        page.keyboard.type(key_of("cl-inspector"))
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/ui/ports")
        page.goto(f"{url}/ui/inspections/new?alert_id={alert_id}")
        # Fits a phone: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # Prefilled from the alert.
        assert page.input_value("#mmsi") == "412000001"
        assert page.input_value("#port_label") == "PUNTA ARENAS"
        # Every control is reached by Tab, in reading order.
        page.focus("#mmsi")
        order = ["year", "inspected_at", "utc_offset", "port_label", "port_iso3"]
        for element in order:
            _tab_to(page, element, limit=8)  # the date-time control has a stop per field
        _tab_to(page, "outcome-confirmed")
        page.keyboard.press("Space")
        _tab_to(page, "not_boarded_reason")
        for key in ("isolation", "withholding_of_wages"):
            _tab_to(page, f"ilo-{key}")
            page.keyboard.press("Space")
        _tab_to(page, "doc-identity_documents_held_by_crew")
        page.keyboard.press("ArrowUp")  # not checked -> missing
        _tab_to(page, "crew")
        page.keyboard.type("IDN=9, PHL=2")
        # The date: typed into the date-time control's fields (month, day, year, time).
        page.focus("#inspected_at")
        page.keyboard.type("11022022")
        page.keyboard.press("Tab")
        page.keyboard.type("0930AM")
        assert page.input_value("#inspected_at") == "2022-11-02T09:30"
        page.focus("#utc_offset")
        page.keyboard.press("Control+A")
        page.keyboard.type("-03:00")
        page.screenshot(path=str(ARTIFACTS / "inspection_form_phone.png"), full_page=True)
        _tab_to(page, "record")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/ui/inspections?recorded=*")
        assert "recorded." in page.inner_text("#message")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        browser.close()
    with Session(engine) as s:
        row = s.scalars(select(Inspection).order_by(Inspection.id.desc())).first()
        assert row is not None
        assert row.outcome == "confirmed"
        assert row.ilo_indicators == ["isolation", "withholding_of_wages"]
        assert row.documents_seen["identity_documents_held_by_crew"] == "missing"
        assert row.crew_by_nationality == {"IDN": 9, "PHL": 2}
        assert row.inspected_at.hour == 12  # 09:30 at UTC-3
        assert row.recorded_by == "cl-dgtm/cl-inspector"
