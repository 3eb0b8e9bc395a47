"""Tips through the API (issue 18 part 5): a hotline's tip enters the review queue
beside the model's alerts, unscored, and its source shows in the list, the detail, the
exports, the referral notice and its brief (vessel_risk.api.routes.tips,
vessel_risk.referral.tips), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.apikit import auth
from vessel_risk.db.tables import AuditEntry, ReferralNotice, Tip
from vessel_risk.referral.notices import notice_html

HOTLINE_TIP = {
    "source": "hotline",
    "mmsi": "525000111",
    "shipname": "Kapal Satu",
    "flag_iso3": "idn",
    "port_label": "punta arenas",
    "port_iso3": "CHL",
    "last_seen": "2022-10-20T06:00:00Z",
    "ilo_indicators": ["retention_of_documents", "withholding_of_wages", "isolation"],
    "observed": "A fisher called from port: passports held by the captain, no pay for 8 months.",
}


def _post(api, body, client="ph-hotline"):
    return api.post("/tips", json=body, headers=auth(client))


def test_a_tip_enters_the_queue_beside_model_alerts_marked_by_source(api, engine):
    r = _post(api, HOTLINE_TIP)
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert set(receipt) == {"id", "source", "received_at", "message"}  # no queue, no item
    assert receipt["source"] == "hotline"

    # one listing, ranked: high and medium by score, the tip, then low
    page = api.get("/alerts", headers=auth("admin")).json()
    got = [(a["mmsi"], a["source"], a["tier"], a["score"]) for a in page["items"]]
    assert got == [
        ("412000001", "model", "high", 0.91),
        ("440000003", "model", "high", 0.76),
        ("412000002", "model", "medium", 0.56),
        ("412000005", "model", "medium", 0.35),
        ("525000111", "hotline", "unscored", None),
        ("725000004", "model", "low", 0.2),
    ]
    tip_item = page["items"][4]
    assert tip_item["source_label"] == "no model score: tip from hotline"
    assert tip_item["rank"] is None and tip_item["model_version"] is None
    assert tip_item["flag_iso3"] == "IDN"  # declared: from the MMSI's MID (525)
    assert tip_item["last_port_label"] == "PUNTA ARENAS"
    assert tip_item["last_seen"] == "2022-10-20T06:00:00Z"
    alert_id = tip_item["id"]

    # keyset pages follow the same order across the bands
    first = api.get("/alerts", params={"limit": 4}, headers=auth("admin")).json()
    rest = api.get(
        "/alerts", params={"limit": 4, "cursor": first["next_cursor"]}, headers=auth("admin")
    ).json()
    assert [a["mmsi"] for a in rest["items"]] == ["525000111", "725000004"]

    # filter by source; scope as for any alert (the port's state is Chile)
    only = api.get("/alerts", params={"source": "hotline"}, headers=auth("admin")).json()
    assert [a["id"] for a in only["items"]] == [alert_id]
    model = api.get("/alerts", params={"source": "model"}, headers=auth("admin")).json()
    assert len(model["items"]) == 5
    cl = api.get("/alerts", params={"source": "hotline"}, headers=auth("cl-analyst")).json()
    assert [a["id"] for a in cl["items"]] == [alert_id]
    kr = api.get("/alerts", params={"source": "hotline"}, headers=auth("kr-analyst")).json()
    assert kr["items"] == []

    # detail: no score invented, the tip beside it, no person's data
    d = api.get(f"/alerts/{alert_id}", headers=auth("cl-analyst")).json()
    assert d["score"] is None and d["score_history"] == [] and d["evidence_events"] == []
    assert d["explanation"].startswith("no model score: tip from hotline.")
    assert len(d["tips"]) == 1
    tip = d["tips"][0]
    assert tip["source"] == "hotline" and tip["id"] == receipt["id"]
    assert tip["ilo_indicators"] == [
        "retention of identity documents",
        "withholding of wages",
        "isolation",
    ]
    assert tip["observed"] == HOTLINE_TIP["observed"]
    assert tip["person_data_held"] is False

    # exports: CSV and GeoJSON carry the source
    r = api.get("/alerts", headers={**auth("admin"), "Accept": "text/csv"})
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["source"] for row in rows] == ["model"] * 4 + ["hotline", "model"]
    assert rows[4]["score"] == "" and rows[4]["tier"] == "unscored"
    assert rows[4]["source_label"] == "no model score: tip from hotline"
    r = api.get("/alerts", headers={**auth("admin"), "Accept": "application/geo+json"})
    props = [f["properties"] for f in r.json()["features"]]
    assert [p["source"] for p in props] == ["model"] * 4 + ["hotline", "model"]
    assert r.json()["features"][4]["geometry"] is None  # a tip gives no position

    # the same review lifecycle, audited; referred through a notice carrying the source
    r = api.post("/referrals", json={"alert_id": alert_id}, headers=auth("cl-analyst"))
    assert r.status_code == 201, r.text
    notice_id = r.json()["id"]
    assert r.json()["mmsi"] == "525000111"
    status = api.get(f"/alerts/{alert_id}", headers=auth("cl-analyst")).json()["status"]
    assert status == "under_review"
    with Session(engine) as s:
        notice = s.get(ReferralNotice, notice_id)
        assert notice is not None and notice.score_id is None
        payload = notice.payload
        actions = s.scalars(
            select(AuditEntry.action).where(
                AuditEntry.entity_type == "alert", AuditEntry.entity_id == str(alert_id)
            )
        ).all()
        assert s.scalars(select(Tip.alert_id)).all() == [alert_id]
    assert payload["source"] == "hotline"
    assert payload["risk"]["score"] is None
    assert payload["risk"]["data_note"] == "no model score: tip from hotline"
    assert [i["ilo_indicator"] for i in payload["indicators"]] == [
        "retention of identity documents",
        "withholding of wages",
        "isolation",
    ]
    assert "passports" not in str(payload)  # the account stays home: indicators only
    assert payload["personal_data_included"] is False
    html = notice_html(payload)
    assert "Source: hotline" in html and "no model score: tip from hotline" in html
    assert actions == ["alert.created", "alert.status"]


def test_a_tip_on_a_vessel_in_the_queue_links_to_its_alert(api, engine):
    body = {"source": "ngo", "mmsi": "412000001", "ilo_indicators": ["debt_bondage"]}
    assert _post(api, body).status_code == 201
    body = {**body, "source": "consulate", "urgent": True}
    assert _post(api, body).status_code == 201
    items = api.get("/alerts", headers=auth("admin")).json()["items"]
    assert len(items) == 5  # no duplicate
    top = items[0]
    assert top["mmsi"] == "412000001" and top["source"] == "model" and top["score"] == 0.91
    assert top["reported_by"] == ["consulate", "ngo"]
    assert top["source_label"] == "model; also reported by consulate, ngo"
    d = api.get(f"/alerts/{top['id']}", headers=auth("admin")).json()
    assert [t["source"] for t in d["tips"]] == ["ngo", "consulate"]
    with Session(engine) as s:
        assert s.scalars(select(Tip.linked)).all() == [True, True]


def test_a_tip_source_never_reads_the_queue_or_other_tips(api):
    assert _post(api, HOTLINE_TIP).status_code == 201
    assert api.get("/alerts", headers=auth("ph-hotline")).status_code == 403
    assert api.get("/referrals", headers=auth("ph-hotline")).status_code == 403
    assert api.get("/ports", headers=auth("ph-hotline")).status_code == 403
    # the analyst does not submit tips: the permission is the tip source's
    assert _post(api, HOTLINE_TIP, client="cl-analyst").status_code == 403


def test_bad_tips_are_422_with_the_reason(api):
    cases = [
        ({"source": "hotline"}, "names it"),
        ({"source": "model", "mmsi": "525000111"}, "source"),
        ({"source": "ngo", "mmsi": "525000111", "ilo_indicators": ["laziness"]}, "laziness"),
        ({"source": "ngo", "mmsi": "525000111", "flag_iso3": "XXX"}, "XXX"),
        ({"source": "ngo", "mmsi": "525000111", "name": "Juan"}, "name"),
        ({"source": "ngo", "mmsi": "525000111", "last_seen": "2999-01-01T00:00:00Z"}, "future"),
        ({"source": "ngo", "subject": "person", "person": {"passport": "X1"}}, "passport"),
    ]
    for body, reason in cases:
        r = _post(api, body)
        assert r.status_code == 422, (body, r.text)
        assert reason in r.text, (body, r.text)
