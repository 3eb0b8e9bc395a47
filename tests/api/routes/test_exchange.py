"""The regional exchange in the API (vessel_risk.api.routes.exchange): one state's
coordinator exports, another's imports, tampered and unknown-signer exports are refused,
the regional view shows figures by source."""

from __future__ import annotations

import copy

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.exchangekit import trusted_file
from tests.mechanism import build_mechanism
from vessel_risk.api import create_app
from vessel_risk.api.access import create_client
from vessel_risk.db.engine import make_engine, migrate
from vessel_risk.db.tables import AuditEntry
from vessel_risk.referral.exchange import json_schema
from vessel_risk.referral.exchange_keys import generate_key
from vessel_risk.settings import Settings

PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}


def _server(path, settings: Settings, clients: dict[str, tuple[str, list[str]]], build=False):
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    if build:
        build_mechanism(engine)
    with Session(engine) as s, s.begin():
        for client_id, (role, countries) in clients.items():
            create_client(
                s, client_id=client_id, agency_id=f"{client_id}-agency", role=role,
                countries=countries, actor="test", key=f"key-{client_id}",
            )  # fmt: skip
    return engine, TestClient(create_app(settings, engine=engine))


def h(client_id: str) -> dict[str, str]:
    return {"X-API-Key": f"key-{client_id}"}


@pytest.fixture
def states(tmp_path):
    tha_key, tha_pub = generate_key("THA", tmp_path / "tha")
    _, idn_pub = generate_key("IDN", tmp_path / "idn")
    trusted = trusted_file(tmp_path, {"THA": [tha_pub.read_text().strip()]})
    tha_engine, tha = _server(
        tmp_path / "tha.db",
        Settings(exchange_state="THA", exchange_signing_key=tha_key, database_url="sqlite://"),
        {"tha-coord": ("coordinator", ["THA"]), "tha-analyst": ("analyst", []),
         "idn-only": ("coordinator", ["IDN"])},
        build=True,
    )  # fmt: skip
    idn_engine, idn = _server(
        tmp_path / "idn.db",
        Settings(exchange_state="IDN", exchange_trusted_keys=trusted, database_url="sqlite://"),
        {"idn-coord": ("coordinator", ["IDN"]), "idn-analyst": ("analyst", [])},
    )
    yield tha, idn
    tha_engine.dispose()
    idn_engine.dispose()


def test_a_coordinator_exports_and_another_state_imports_once(states):
    tha, idn = states
    assert tha.get("/exchange/export", params=PERIOD, headers=h("tha-analyst")).status_code == 403
    r = tha.get("/exchange/export", params=PERIOD, headers=h("idn-only"))
    assert r.status_code == 403 and "outside this client's countries" in r.text
    r = tha.get("/exchange/export", params=PERIOD, headers=h("tha-coord"))
    assert r.status_code == 200, r.text
    doc = r.json()
    jsonschema_rs.validator_for(json_schema()).validate(doc)
    assert doc["state"] == "THA" and len(doc["tables"]["alerts"]) == 4
    shown = [c for c in doc["tables"]["indicators"] if not c["suppressed"]]
    assert all(c["persons"] == 0 or c["persons"] >= 5 for c in shown)

    assert idn.post("/exchange/import", json=doc, headers=h("idn-analyst")).status_code == 403
    first = idn.post("/exchange/import", json=doc, headers=h("idn-coord"))
    again = idn.post("/exchange/import", json=doc, headers=h("idn-coord"))
    assert first.status_code == again.status_code == 200, first.text
    assert (first.json()["imported"], again.json()["imported"]) == (True, False)
    assert first.json()["rows"]["alerts"] == 4

    view = idn.get("/exchange/regional", params={"figure": "alerts_raised"}, headers=h("idn-coord"))
    assert view.status_code == 200
    body = view.json()
    assert [s["state"] for s in body["sources"]] == ["THA"]
    assert body["figures"]["alerts_raised"] == {"THA": 4.0}
    assert body["alerts"] == {"THA": {"high": 4}}
    whole = [c for c in body["cells"] if c["period"] is None and c["port"] is not None]
    assert {c["port"]: c["value"] for c in whole} == {"SONGKHLA": 2.0, "BITUNG": 2.0}
    assert all(c["source_state"] == "THA" for c in body["cells"])


def test_tampered_unknown_and_malformed_exports_are_refused(states, tmp_path):
    tha, idn = states
    doc = tha.get("/exchange/export", params=PERIOD, headers=h("tha-coord")).json()
    tampered = copy.deepcopy(doc)
    tampered["tables"]["alerts"][0]["tier"] = "low"
    r = idn.post("/exchange/import", json=tampered, headers=h("idn-coord"))
    assert r.status_code == 422 and "changed after signing" in r.json()["detail"]
    forged = copy.deepcopy(doc)
    forged["state"] = "MYS"
    r = idn.post("/exchange/import", json=forged, headers=h("idn-coord"))
    assert r.status_code == 422 and "No trusted key for MYS" in r.json()["detail"]
    r = idn.post("/exchange/import", json={"format": "x"}, headers=h("idn-coord"))
    assert r.status_code == 422 and "Not a vessel-risk-exchange document" in r.text
    # a server without a signing key cannot export; the regional view starts empty
    r = idn.get("/exchange/export", params=PERIOD, headers=h("idn-coord"))
    assert r.status_code == 409 and "VESSEL_RISK_EXCHANGE_SIGNING_KEY" in r.text
    r = tha.get("/exchange/export", params={"from": "2025-02-01", "to": "2025-01-01"},
                headers=h("tha-coord"))  # fmt: skip
    assert r.status_code == 422
    assert idn.get("/exchange/regional", headers=h("idn-coord")).json()["sources"] == []
    engine = idn.app.state.engine
    with Session(engine) as s:
        refused = s.scalars(select(AuditEntry).where(AuditEntry.action == "exchange.refused"))
        assert [(e.actor, e.after["state"]) for e in refused] == [
            ("idn-coord-agency/idn-coord", "THA"),
            ("idn-coord-agency/idn-coord", "MYS"),
            ("idn-coord-agency/idn-coord", None),
        ]


def test_an_export_ending_on_the_last_representable_day_is_a_422(states):
    tha, _ = states
    window = {"from": "9999-12-01", "to": "9999-12-31"}
    r = tha.get("/exchange/export", params=window, headers=h("tha-coord"))
    assert r.status_code == 422, r.text


def test_an_export_is_whole_months_and_never_overlaps_an_earlier_one(states):
    tha, _ = states
    get = lambda params: tha.get("/exchange/export", params=params, headers=h("tha-coord"))  # noqa: E731
    part = get({"from": "2025-01-01", "to": "2025-06-15"})
    assert part.status_code == 422 and "whole calendar months" in part.text
    assert get(PERIOD).status_code == 200
    resend = get(PERIOD)
    assert resend.status_code == 200 and resend.json()["period_end"] == "2025-12-31"
    overlap = get({"from": "2025-07-01", "to": "2026-06-30"})
    assert overlap.status_code == 409
    assert "overlaps the export of 2025-01-01 to 2025-12-31" in overlap.text
    assert get({"from": "2026-01-01", "to": "2026-03-31"}).status_code == 200
    other = get({"from": "2025-07-01", "to": "2026-06-30", "recipient": "idn-nrm"})
    assert other.status_code == 200
    assert get({**PERIOD, "recipient": "<script>"}).status_code == 422
