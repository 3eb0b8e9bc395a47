"""No 500 from input (issue 19): values at the edges of their range are 4xx, each with
its reason (vessel_risk.api.routes.alerts, vessel_risk.api.crud, the callback route)."""

from __future__ import annotations

import base64
import json

import pytest

from tests.apikit import auth


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "raw",
    [
        "[0.5, 1" + "0" * 30 + "]",  # id past any integer column
        "[1e999, 3]",  # score overflows to infinity
        "[NaN, 3]",
        "[0.5, -1]",
        "[0.5, 3.5]",
        "[" * 5000 + "]" * 5000,
        '{"a": 1}',
    ],
)
def test_a_cursor_this_api_did_not_make_is_422(api, raw):
    r = api.get("/alerts", params={"cursor": _cursor(raw)[:200]}, headers=auth("admin"))
    assert r.status_code == 422, r.text


def test_a_real_cursor_still_pages(api):
    first = api.get("/alerts", params={"limit": 2}, headers=auth("admin")).json()
    nxt = api.get(
        "/alerts", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth("admin")
    )
    assert nxt.status_code == 200
    assert len(first["items"]) + len(nxt.json()["items"]) == 4


SQUARE = [[[-71, -54], [-70, -54], [-70, -53], [-71, -53], [-71, -54]]]


@pytest.mark.parametrize(
    ("area", "reason"),
    [
        (
            {"type": "Polygon", "coordinates": [[[float("nan"), 0], [1, 0], [1, 1], [0, 0]]]},
            "finite",
        ),
        ({"type": "Polygon", "coordinates": [[[1e999, 0], [1, 0], [1, 1], [0, 0]]]}, "finite"),
        ({"type": "Hexagon", "coordinates": SQUARE}, "Polygon or MultiPolygon"),
        ({"type": "GeometryCollection", "geometries": []}, "Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}, "GeoJSON geometry"),
        ({"type": "Polygon", "coordinates": [[["a", 0], [1, 0], [1, 1], ["a", 0]]]}, "finite"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [400, 0], [400, 1], [0, 0]]]}, "±180"),
    ],
)
def test_an_area_that_is_not_a_finite_polygon_is_422(api, area, reason):
    text = json.dumps(area)  # json writes NaN and Infinity as Python reads them back
    r = api.get("/alerts", params={"area": text}, headers=auth("admin"))
    assert r.status_code == 422, r.text
    assert reason in r.json()["detail"]


def test_deep_nesting_is_refused_before_parsing(api):
    text = "[" * 10_000 + "]" * 10_000  # json.loads would recurse past 1,000
    r = api.get("/alerts", params={"area": text}, headers=auth("admin"))
    assert r.status_code == 422
    assert "nested deeper" in r.json()["detail"]


def test_a_valid_area_filters(api):
    area = json.dumps({"type": "Polygon", "coordinates": SQUARE})
    r = api.get("/alerts", params={"area": area}, headers=auth("admin"))
    assert r.status_code == 200
    assert sorted(a["mmsi"] for a in r.json()["items"]) == ["412000001", "725000004"]


@pytest.mark.parametrize(
    ("path", "name"),
    [("/alerts", "seen_since"), ("/alerts", "seen_until"), ("/ports/PUNTA ARENAS/queue", "since")],
)
def test_datetimes_with_no_utc_equivalent_are_422(api, path, name):
    for value in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"):
        r = api.get(path, params={name: value}, headers=auth("admin"))
        assert r.status_code == 422, (value, r.text)


def test_a_callback_timestamp_that_overflows_is_401_not_500(api, engine):
    from sqlalchemy.orm import Session

    from vessel_risk.db.tables import Agency

    with Session(engine) as s, s.begin():
        s.get(Agency, "cl-nrm").secrets = ["whsec_" + base64.b64encode(b"k" * 32).decode()]
    headers = {
        **auth("cl-case"),
        "webhook-id": "delivery-cl-nrm",
        "webhook-timestamp": "9" * 400,
        "webhook-signature": "v1,AAAA",
    }
    r = api.post("/deliveries/delivery-cl-nrm/status", json={"status": "received"}, headers=headers)
    assert r.status_code == 401
    assert "webhook-timestamp" in r.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/ui/?cursor=" + _cursor("[1e999, 1" + "0" * 30 + "]"),
        "/ui/?tier=" + "x" * 33,
        "/ui/?tier=%00",
        "/ui/vessels/not-an-mmsi",
        "/ui/vessels/412000001?port=" + "p" * 129,
        "/ui/ports/" + "P" * 129,
        "/ui/referrals?message=" + "m" * 501,
        "/ui/referrals/" + "n" * 37 + "/brief",
        "/ui/ports/PUNTA%20ARENAS/briefs/412000001?format=docx",
    ],
)
def test_the_dashboard_answers_bad_input_with_4xx_or_a_page(api, url):
    from tests.apikit import key_of

    api.post("/ui/login", data={"key": key_of("admin")}, follow_redirects=False)
    r = api.get(url, follow_redirects=False)
    assert r.status_code < 500, r.text
    expected = 200 if "cursor" in url else 422  # a bad cursor shows the first page
    assert r.status_code == expected, (url, r.status_code)
