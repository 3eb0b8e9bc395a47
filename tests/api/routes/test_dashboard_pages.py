"""Browser tests of the dashboard's pages (vessel_risk.api.routes.dashboard): the
offline base map, the vessel page's tabs, filters and paging, the distance charts, the
approval screen's preview, keyboard use, a phone-sized screen and a hostile ship name.

One Chromium for the module (Debian's, headless, through Playwright), on the seeded API
database served by uvicorn, with :func:`tests.apikit.add_eventful_history`'s 60 events
and track, a draft notice for the hostile-named vessel and four agencies. Skips, saying
why, where Chromium is absent, except under CI.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.api.routes.test_dashboard import (
    BROWSER_PAYLOAD,
    CHROMIUM,
    CHROMIUM_ARGS,
    WATCH,
    _need_chromium,
    _serve,
)
from tests.apikit import EVENTFUL_MMSI, add_eventful_history, key_of

PHONE = {"width": 375, "height": 667}
LAND_RGB = (238, 232, 213)  # #eee8d5, the land fill of dashboard.js
SEA_RGB = (207, 227, 243)  # #cfe3f3, the map's background


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The seeded app with the eventful vessel, the hostile vessel's draft notice and the
    agencies it routes to, served by uvicorn: (URL, notice id)."""
    _need_chromium()
    from tests.apikit import seeded_sqlite_app
    from tests.builders import HOSTILE_MMSI, add_agency, record_hostile_alert
    from vessel_risk.db.tables import AlertRow
    from vessel_risk.referral.notices import create_notice

    folder = tmp_path_factory.mktemp("pages")
    engine, app, _ = seeded_sqlite_app(folder)
    add_eventful_history(engine, folder / "run")
    record_hostile_alert(engine, shipname=BROWSER_PAYLOAD)
    from sqlalchemy import select

    with Session(engine) as s, s.begin():
        add_agency(s, "chn-msa", name="China MSA", country_iso3="CHN")
        add_agency(
            s,
            "cl-psc",
            transport="primero",
            name="Chile port state control",
            country_iso3="CHL",
            role="port_state_control",
        )
        add_agency(s, "th-md", name="Thai Marine Department", country_iso3="THA")
        alert_id = s.scalars(select(AlertRow.id).where(AlertRow.mmsi == HOSTILE_MMSI)).one()
        notice_id = create_notice(s, alert_id, actor="cl-dgtm/cl-analyst").id
    yield from ((url, notice_id) for url in _serve(app))
    engine.dispose()


@pytest.fixture(scope="module")
def browser(site):
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _page(browser: Any, server: str, key: str, viewport: dict[str, int]) -> Any:
    """A page logged in (by keyboard) that reaches ``server`` only and records CSP
    violations."""
    context = browser.new_context(viewport=viewport)
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(server) else route.abort(),
    )
    context.add_init_script(WATCH)
    page = context.new_page()
    page.goto(f"{server}/ui/login")
    page.fill("#key", key_of(key))
    page.press("#key", "Enter")  # the login form by keyboard
    page.wait_for_url(lambda url: not url.endswith("/ui/login"))
    return page


def _quiet_and_narrow(page: Any, width: int | None = None) -> None:
    """No script of a ship name ran, the CSP refused nothing, and (on a phone) the page
    does not scroll sideways."""
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("window.__csp") == []
    if width is not None:
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def _colour_shares(png: bytes) -> tuple[float, float]:
    """Shares of a screenshot's pixels in the land and in the sea colour."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    counts = dict((rgb, n) for n, rgb in image.getcolors(maxcolors=1 << 20))
    total = image.width * image.height
    return counts.get(LAND_RGB, 0) / total, counts.get(SEA_RGB, 0) / total


def test_every_map_draws_natural_earth_land_under_its_points(site, browser):
    server, _ = site
    page = _page(browser, server, "admin", {"width": 1280, "height": 900})
    page.wait_for_selector("#map[data-basemap=ready]")
    # The land layer: SVG paths in a pane below the markers, not interactive.
    assert page.locator(".leaflet-pane path.land").count() >= 1
    assert page.locator("path.land.leaflet-interactive").count() == 0
    below = page.evaluate(
        "Number(getComputedStyle(document.querySelector('.leaflet-land-pane')).zIndex)"
        " < Number(getComputedStyle(document.querySelector('.leaflet-overlay-pane')).zIndex)"
    )
    assert below
    assert page.locator("path.alert-marker").count() >= 4
    land, sea = _colour_shares(page.locator("#map").screenshot())
    # The whole world at this size: about a fifth land, most of the rest sea.
    assert 0.10 < land < 0.40 and sea > 0.35, (land, sea)
    assert "Natural Earth" in page.inner_text(".leaflet-control-attribution")
    for tab in ("events", "track"):
        page.goto(f"{server}/ui/vessels/{EVENTFUL_MMSI}/{tab}")
        page.wait_for_selector("#map[data-basemap=ready]")
        assert page.locator("path.land").count() >= 1
    _quiet_and_narrow(page)
    page.context.close()


def test_vessel_page_tabs_filters_and_paging_on_a_phone(site, browser):
    server, _ = site
    page = _page(browser, server, "admin", PHONE)
    page.goto(f"{server}/ui/vessels/{EVENTFUL_MMSI}")
    tabs = page.locator("#tabs a")
    assert tabs.all_inner_texts() == ["Overview", "Events", "Track"]
    assert page.locator("#tabs a[aria-current=page]").inner_text() == "Overview"
    assert page.locator("#map").count() == 0 and page.locator("#events").count() == 0
    assert "5,000 positions on 200 days" in page.inner_text(".coverage")
    _quiet_and_narrow(page, PHONE["width"])

    page.click("#tabs >> text=Events")
    page.wait_for_url(f"{server}/ui/vessels/{EVENTFUL_MMSI}/events")
    assert page.inner_text("#event-count") == "Events 1–25 of 61"
    assert page.locator("#events tr").count() == 26  # a header and 25 events
    assert page.inner_text("#by-kind") == "All in your scope: ais_gap 40 · gap 1 · port_visit 20."
    page.click("#next-page")
    page.click("#next-page")
    assert page.inner_text("#event-count") == "Events 51–61 of 61"
    assert page.locator("#next-page").count() == 0
    # Filter by kind and dates (UTC), by keyboard: arrow keys in the list, digits in the
    # date fields, Enter to send.
    page.focus("#kind")
    page.keyboard.press("ArrowDown")
    assert page.input_value("#kind") == "ais_gap"
    page.focus("#from")
    page.keyboard.type("03012022")
    page.focus("#to")
    page.keyboard.type("06302022")
    assert (page.input_value("#from"), page.input_value("#to")) == ("2022-03-01", "2022-06-30")
    page.keyboard.press("Enter")
    page.wait_for_url("**kind=ais_gap**")
    assert page.inner_text("#event-count") == "Events 1–16 of 16"
    kinds = page.locator("#events tr td:first-child").all_inner_texts()
    assert kinds == ["ais_gap"] * 16
    assert page.locator("path.event-marker").count() == 16
    page.select_option("#kind", "")
    page.fill("#from", "")
    page.fill("#to", "")
    page.click("#filter")
    page.wait_for_url("**kind=&**")
    assert page.inner_text("#event-count") == "Events 1–25 of 61"
    page.goto(f"{server}/ui/vessels/{EVENTFUL_MMSI}/events?kind=port_visit&page=9")
    assert page.inner_text("#event-count") == "Events 1–20 of 20"  # page 9 is page 1 of 1
    page.goto(f"{server}/ui/vessels/{EVENTFUL_MMSI}/events?kind=nope&from=2022-02-30")
    assert page.locator("p.error").all_inner_texts() == [
        "No event of kind 'nope' here; showing every kind.",
        "From '2022-02-30' is not a date (YYYY-MM-DD); it is ignored.",
    ]
    assert page.inner_text("#event-count") == "Events 1–25 of 61"
    _quiet_and_narrow(page, PHONE["width"])
    page.context.close()


def test_track_tab_plots_distances_from_shore_and_port(site, browser):
    server, _ = site
    page = _page(browser, server, "admin", PHONE)
    page.goto(f"{server}/ui/vessels/{EVENTFUL_MMSI}/track")
    page.wait_for_selector("#map[data-basemap=ready]")
    assert page.locator("path.leaflet-interactive").count() >= 1  # the track
    for chart, top in (("distance_from_shore_km", "500"), ("distance_from_port_km", "1000")):
        svg = page.locator(f"#chart-{chart} svg")
        # Two stretches: the 36-hour silence breaks the line.
        assert svg.locator("polyline.series").count() == 2
        assert svg.locator("text.y-tick").all_text_contents()[-1] == top
        assert svg.bounding_box()["width"] <= PHONE["width"]
    caption = page.inner_text("#chart-distance_from_port_km figcaption")
    assert caption == (
        "Distance from port from 2022-10-01 to 2022-10-03 (UTC), 5 positions: median 100 km, "
        "highest 820 km; 1 break(s) where AIS was silent over 12 h."
    )
    _quiet_and_narrow(page, PHONE["width"])
    page.context.close()


def test_approval_screen_previews_score_coverage_and_recipients_then_approves_by_keyboard(
    site, browser
):
    from tests.builders import HOSTILE_MMSI

    server, notice_id = site
    page = _page(browser, server, "cl-approver", PHONE)
    page.wait_for_url(f"{server}/ui/")
    page.goto(f"{server}/ui/referrals")
    draft = page.locator(f"#preview-{notice_id}")
    assert draft.locator("h3").inner_text() == f"{BROWSER_PAYLOAD} · {HOSTILE_MMSI}"
    assert draft.locator("dd.score").inner_text() == "0.99"
    assert draft.locator("dd.tier").inner_text() == "high"
    assert draft.locator("ul.reasons li").count() >= 1
    assert draft.locator("dd.coverage").inner_text().startswith("5,000 positions on 200 days")
    # Who will receive it: the flag state's maritime authority and the port state's
    # authorities of Punta Arenas; not the Thai one nor Korea's NRM.
    agencies = draft.locator("td.agency").all_inner_texts()
    assert sorted(agencies) == ["Chile port state control", "China MSA", "cl-nrm"]
    rows = {
        r.locator("td").nth(0).inner_text(): r.locator("td").nth(3).inner_text()
        for r in draft.locator("table.routes tr").all()[1:]
    }
    assert rows["Chile port state control"].startswith("opened as a case")
    assert rows["China MSA"] == "sent to its system (signed webhook)"
    assert "no crew personal data" in draft.locator("ul.contents").inner_text()
    _quiet_and_narrow(page, PHONE["width"])
    # Keyboard only: Tab from the top of the page reaches the approve button.
    page.evaluate("document.activeElement.blur()")
    presses = 0
    while page.evaluate("document.activeElement.id") != f"approve-{notice_id}":
        presses += 1
        assert presses < 30, "Tab did not reach the approve button in 30 presses"
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**message=Approved**")
    assert page.inner_text("#message") == "Approved and routed"
    assert page.locator(f"#preview-{notice_id}").count() == 0
    _quiet_and_narrow(page, PHONE["width"])
    page.goto(f"{server}/ui/vessels/{HOSTILE_MMSI}/events")
    assert page.inner_text("#vessel-name") == f"{BROWSER_PAYLOAD} · MMSI {HOSTILE_MMSI}"
    _quiet_and_narrow(page, PHONE["width"])
    page.context.close()
