"""Browser test of the case worker's dashboard (vessel_risk.api.routes.cases_ui):
Playwright driving Debian's Chromium, headless, one browser.

A case worker signs in and sees only their cases, the reflection deadline and the
overdue follow-up; reaches every field of the screening form with the Tab key, fills
and submits it by keyboard; no page scrolls sideways on a 375 x 667 phone screen; a
child-protection officer sees the child's case and not the adult's. Runs on the
hand-made database of ``tests/apikit.py`` (no shared data needed). Skips, saying why,
where Chromium is absent, except under CI.
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

from tests.apikit import key_of, seeded_sqlite_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is absent: apt-get install chromium (.ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _serve(app: object) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
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
def server(tmp_path_factory):
    _need_chromium()
    engine, app, _ = seeded_sqlite_app(tmp_path_factory.mktemp("cases-ui"))
    yield from _serve(app)
    engine.dispose()


def _login(page: Any, server: str, client_id: str) -> None:
    page.goto(f"{server}/ui/logout")
    page.fill("#key", key_of(client_id))
    page.click("#login")
    page.wait_for_url(f"{server}/ui/cases")


def _no_sideways_scroll(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


FIELDS = [
    "entry_point",
    "state_iso3",
    "language",
    "interpreter_language",
    "nationality_iso3",
    "gender",
    "age",
    "age_band",
    "age_uncertain",
]


def test_case_worker_dashboard_screening_by_keyboard_and_phone_size(server):
    _need_chromium()
    from playwright.sync_api import sync_playwright

    from vessel_risk.referral.cases import CONSENT_USES
    from vessel_risk.referral.screening import NEEDS
    from vessel_risk.referral.standards import ILO_INDICATORS

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 375, "height": 667})
        context.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith(server) else route.abort()
            ),
        )
        page = context.new_page()
        _login(page, server, "cl-caseworker")
        mine = page.locator("#my-cases li.case").evaluate_all("els => els.map(e => e.dataset.case)")
        assert mine == ["case-cl", "case-cl-adult"]  # not case-kr: another worker's
        deadlines = page.inner_text("#deadlines")
        assert "ends 2022-12-01" in deadlines and "of 30" in deadlines
        overdue = page.inner_text("#overdue")
        assert "3-month follow-up, due 2023-01-31" in overdue
        assert _no_sideways_scroll(page) <= 375

        # The screening form, by keyboard alone: Tab from the top reaches every field.
        page.goto(f"{server}/ui/cases/new")
        assert _no_sideways_scroll(page) <= 375
        expected = (
            set(FIELDS)
            | {f"indicator_{k}" for k in ILO_INDICATORS}
            | {"needs"}
            | {f"consent_{u}" for u in CONSENT_USES}
        )
        reached: list[str] = []
        typed = {"state_iso3": "CHL", "language": "Burmese", "age": "16"}
        for _ in range(200):
            page.keyboard.press("Tab")
            name = page.evaluate("document.activeElement.name || document.activeElement.id")
            reached.append(name)
            if name in typed:
                page.keyboard.type(typed.pop(name))
            if name == "indicator_retention_of_documents":
                # the group's stop is its checked radio, "Not asked": two up is "Described"
                page.keyboard.press("ArrowUp")
                page.keyboard.press("ArrowUp")
            if name == "submit-screening":
                break
        assert expected <= set(reached), sorted(expected - set(reached))
        assert reached.count("needs") == len(NEEDS)  # every need's box is a tab stop
        assert page.is_checked("#consent_consular")
        assert not page.is_checked("#consent_law_enforcement")
        page.keyboard.press("Enter")
        page.wait_for_url("**/ui/cases/*?message=Case%20opened")
        assert page.inner_text("#case-status") == (
            "Presumed victim of forced labour · presumed a child: child protection"
        )  # aged 16
        assert _no_sideways_scroll(page) <= 375
        page.click("#intake-link")
        intake = page.inner_text("#intake")
        assert "Burmese" in intake and "retention of identity documents: described" in intake

        # The child-protection officer: the child's case, not the adult's.
        _login(page, server, "cl-cpo")
        cases = page.locator("#my-cases li.case").evaluate_all(
            "els => els.map(e => e.dataset.case)"
        )
        assert cases == ["case-cl"]
        assert _no_sideways_scroll(page) <= 375
        page.goto(f"{server}/ui/cases/case-cl-adult")
        assert "No case 'case-cl-adult'" in page.content()
        browser.close()
