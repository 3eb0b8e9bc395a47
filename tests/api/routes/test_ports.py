"""A port's queue of vessels and its inspection briefs (vessel_risk.api.routes.ports)."""

from __future__ import annotations

from tests.apikit import auth
from tests.builders import make_alert, record_alerts


def test_port_queue_and_brief(api):
    q = api.get("/ports/PUNTA ARENAS/queue", headers=auth("cl-inspector")).json()
    assert [i["mmsi"] for i in q["items"]] == ["412000001", "725000004"]
    assert q["port_iso3"] == "CHL"
    unknown = api.get("/ports/NOWHERE/queue", headers=auth("admin"))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert q["items"][0]["in_port"] is True
    html = api.get("/ports/PUNTA ARENAS/briefs/412000001", headers=auth("cl-inspector"))
    assert html.status_code == 200
    for item in (
        "Crew list",
        "Rest hours",
        "Identity documents held by the crew themselves",
        "Wages",
        "Work agreements",
        "presumed victims",
    ):
        assert item in html.text
    pdf = api.get(
        "/ports/PUNTA ARENAS/briefs/412000001",
        params={"format": "pdf"},
        headers=auth("cl-inspector"),
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert api.get("/ports/BUSAN/briefs/412000001", headers=auth("admin")).status_code == 404


def test_port_queue_shows_each_vessels_strongest_year_not_its_latest(api, engine):
    # A later, thin year with a higher raw score must not hide the high-tier year.
    record_alerts(engine, [make_alert(year=2023, score=0.97, tier="insufficient data")])
    q = api.get("/ports/PUNTA ARENAS/queue", headers=auth("cl-inspector")).json()
    first = q["items"][0]
    assert (first["mmsi"], first["tier"]) == ("412000001", "high")
    assert [i["mmsi"] for i in q["items"]] == ["412000001", "725000004"]


def test_brief_names_the_track_and_marks_an_inferred_flag(api, engine):
    from tests.apikit import record_inferred_flag_alert

    record_inferred_flag_alert(engine)
    html = api.get("/ports/PUNTA ARENAS/briefs/150400453", headers=auth("admin")).text
    assert "MMSI 150400453 track 1" in html
    assert "CHN (inferred from name_pattern:china_provincial, confidence 0.80)" in html
