"""A port's expected arrivals ranked by risk (GET /ports/{port}/arrivals) and the
"Expected arrivals" view of the port's dashboard page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.apikit import auth, key_of
from vessel_risk.db.tables import AlertRow, ExpectedArrival, utcnow

# mmsi, port, port iso3, hours from now, method, confidence, insufficient data
EXPECTED = [
    ("440000003", "PUNTA ARENAS", "CHL", 30, "history", 0.6, False),  # high 0.76
    ("725000004", "PUNTA ARENAS", "CHL", 10, "history", 0.2, True),  # low 0.20
    ("412000002", "PUNTA ARENAS", "CHL", 24 * 10, "destination", 0.6, False),  # medium
    ("412000005", "BUSAN", "KOR", 5, "heading", 0.2, True),  # medium
    ("412000001", "VALPARAISO", "CHL", 20, "history", 0.5, False),  # a port of no alert
]


def _add_arrivals(engine) -> None:
    now = utcnow()
    with Session(engine) as s, s.begin():
        alerts = {a.mmsi: a.id for a in s.scalars(select(AlertRow))}
        for mmsi, port, iso3, hours, method, confidence, thin in EXPECTED:
            eta = now + timedelta(hours=hours)
            s.add(
                ExpectedArrival(
                    mmsi=mmsi,
                    track_id=0,
                    alert_id=alerts[mmsi],
                    port_label=port,
                    port_iso3=iso3,
                    eta=eta,
                    eta_low=eta - timedelta(hours=6),
                    eta_high=eta + timedelta(hours=6),
                    method=method,
                    confidence=confidence,
                    detail={"insufficient_data": thin, "voyages_from_last_port": 3},
                    predicted_at=now,
                    run_id=None,
                    status="expected",
                    created_at=now,
                    updated_at=now,
                )
            )


def test_arrivals_ranked_by_risk_with_thin_predictions_marked(api, engine):
    _add_arrivals(engine)
    r = api.get("/ports/PUNTA ARENAS/arrivals", headers=auth("cl-inspector"))
    assert r.status_code == 200
    body = r.json()
    assert (body["port_label"], body["port_iso3"], body["days"]) == ("PUNTA ARENAS", "CHL", 7.0)
    items = body["items"]
    assert [(i["mmsi"], i["tier"], i["prediction"]) for i in items] == [
        ("440000003", "high", "history"),
        ("725000004", "low", "insufficient data"),
    ]
    assert items[0]["shipname"] == "VESSEL 3" and items[0]["confidence"] == 0.6
    wider = api.get("/ports/PUNTA ARENAS/arrivals?days=14", headers=auth("cl-inspector")).json()
    assert [i["mmsi"] for i in wider["items"]] == ["440000003", "412000002", "725000004"]
    assert api.get("/ports/PUNTA ARENAS/arrivals?days=0", headers=auth("admin")).status_code == 422


def test_arrivals_stay_within_the_callers_port_scope(api, engine):
    _add_arrivals(engine)
    assert api.get("/ports/PUNTA ARENAS/arrivals", headers=auth("kr-inspector")).status_code == 403
    busan = api.get("/ports/BUSAN/arrivals", headers=auth("kr-inspector")).json()
    assert [i["mmsi"] for i in busan["items"]] == ["412000005"]
    # a port no alert names is known by its arrivals, and its country scopes it
    chile = api.get("/ports/VALPARAISO/arrivals", headers=auth("cl-analyst"))
    assert chile.status_code == 200 and chile.json()["port_iso3"] == "CHL"
    assert api.get("/ports/VALPARAISO/arrivals", headers=auth("kr-analyst")).status_code == 403
    assert api.get("/ports/NOWHERE/arrivals", headers=auth("admin")).status_code == 404


def test_the_port_page_shows_expected_arrivals(api, engine):
    _add_arrivals(engine)
    r = api.post("/ui/login", data={"key": key_of("cl-inspector")}, follow_redirects=False)
    assert r.status_code == 303
    page = api.get("/ui/ports/PUNTA ARENAS")
    assert page.status_code == 200
    table = page.text.split('<table id="arrivals">')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(VESSEL \d)", table)
    assert rows == ["VESSEL 3", "VESSEL 4"]
    assert "insufficient data" in table and "Expected arrivals" in page.text
    wider = api.get("/ui/ports/PUNTA ARENAS?days=14").text.split('<table id="arrivals">')[1]
    assert re.findall(r"<tr><td>(VESSEL \d)", wider.split("</table>")[0]) == [
        "VESSEL 3",
        "VESSEL 2",
        "VESSEL 4",
    ]
