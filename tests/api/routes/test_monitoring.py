"""The monitoring API and dashboard (issue 18 part 1): a coordinator reads the figures of
the year of ``tests/mechanism.py`` as JSON, CSV and HTML; other roles are refused; a
coordinator scoped to a state sees that state only."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.apikit import auth, key_of, make_app
from tests.mechanism import EXPECTED, build_mechanism
from vessel_risk.api.access import create_client
from vessel_risk.db.engine import make_engine, migrate
from vessel_risk.db.tables import AuditEntry
from vessel_risk.referral.monitoring import COLUMNS, FIGURES

YEAR = {"from": "2025-01-01", "to": "2025-12-31"}
CLIENTS = {
    "coord": ("iacat", "coordinator", [], []),
    "coord-tha": ("tha-nrm", "coordinator", ["THA"], []),
    "coord-two": ("asean", "coordinator", ["THA", "IDN"], []),
    "analyst": ("tha-md", "analyst", [], []),
    "worker": ("tha-ngo", "case_worker", [], []),
    "admin": ("hq", "admin", [], []),
}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    folder = tmp_path_factory.mktemp("monitoring-api")
    engine = make_engine(f"sqlite:///{folder / 'db.sqlite'}")
    migrate(engine)
    build_mechanism(engine)
    with Session(engine) as s, s.begin():
        for cid, (agency, role, countries, ports) in CLIENTS.items():
            create_client(
                s,
                client_id=cid,
                agency_id=agency,
                role=role,
                countries=countries,
                ports=ports,
                rate_per_minute=100_000,
                actor="test",
                key=key_of(cid),
            )
    yield TestClient(make_app(engine, monitoring_k=1)), engine  # hand counts: no suppression
    engine.dispose()


def _totals(rows: list[dict]) -> dict[str, float]:
    dims = COLUMNS[2:8]
    return {
        r["figure"]: r["value"]
        for r in rows
        if r["period"] is None and all(r[d] is None for d in dims)
    }


def test_by_default_no_cell_singles_out_a_person(api):
    """With the default k = 5 the coordinator's figures hide every cell of 1 to 4
    persons and the cells that would give one away; the 5 persons screened in the year
    are still published as a total."""
    _, engine = api
    client = TestClient(make_app(engine))
    rows = client.get("/monitoring", params=YEAR, headers=auth("coord")).json()["figures"]
    shown = [r for r in rows if not r["suppressed"]]
    hidden = [r for r in rows if r["suppressed"]]
    assert hidden and all(r["value"] is None and r["persons"] is None for r in hidden)
    assert all(r["persons"] == 0 or r["persons"] >= 5 for r in shown)
    assert _totals(rows)["persons_screened"] == 5
    by_nationality = [r for r in rows if r["figure"] == "persons_screened" and r["nationality"]]
    assert by_nationality and all(r["suppressed"] for r in by_nationality)
    csv_rows = list(
        csv.DictReader(
            io.StringIO(client.get("/monitoring.csv", params=YEAR, headers=auth("coord")).text)
        )
    )
    assert sum(r["suppressed"] == "True" for r in csv_rows) == len(hidden)
    client.post("/ui/login", data={"key": key_of("coord")}, follow_redirects=False)
    page = client.get("/ui/monitoring", params={**YEAR, "by": "nationality"})
    assert page.status_code == 200 and 'data-figure="persons_screened">5<' in page.text


def test_a_coordinator_reads_every_figure(api):
    client, engine = api
    r = client.get("/monitoring", params=YEAR, headers=auth("coord"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["from"] == "2025-01-01" and body["to"] == "2025-12-31"
    assert body["columns"] == list(COLUMNS)
    assert _totals(body["figures"]) == EXPECTED
    assert {k for row in body["figures"] for k in row} == {*COLUMNS, "suppressed"}
    assert not any(row["suppressed"] for row in body["figures"])  # k = 1: none
    with Session(engine) as s:
        reads = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "monitoring.read", AuditEntry.actor == "iacat/coord")
        )
    assert reads >= 1


def test_csv_export_holds_the_same_rows(api):
    client, _ = api
    r = client.get("/monitoring.csv", params=YEAR, headers=auth("coord"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="monitoring_2025-01-01_2025-12-31.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == [*COLUMNS, "suppressed"]
    totals = {
        row["figure"]: float(row["value"])
        for row in rows
        if row["period"] == "" and all(row[d] == "" for d in COLUMNS[2:8])
    }
    assert totals == EXPECTED
    jan = [
        row
        for row in rows
        if row["figure"] == "persons_screened" and row["period"] == "2025-01-01"
        and row["nationality"] == "MMR"
    ]  # fmt: skip
    assert [(float(j["value"]), int(j["persons"])) for j in jan] == [(2.0, 2)]


def test_definitions_list_every_figure(api):
    client, _ = api
    body = client.get("/monitoring/definitions", headers=auth("coord")).json()
    assert [f["id"] for f in body["figures"]] == list(FIGURES)
    screened = next(f for f in body["figures"] if f["id"] == "persons_screened")
    assert screened["unit"] == "persons"
    assert screened["dimensions"] == ["state", "port", "flag", "nationality", "gender", "age_group"]
    assert body["age_groups"] == ["child", "18-29", "30-49", "50+", "unknown"]


def test_filters(api):
    client, _ = api
    r = client.get("/monitoring", params={**YEAR, "nationality": "mmr"}, headers=auth("coord"))
    rows = [x for x in r.json()["figures"] if x["period"] is None]
    total = [x for x in rows if x["figure"] == "persons_screened" and x["gender"] is None
             and x["age_group"] is None and x["state"] is None and x["port"] is None
             and x["flag"] is None]  # fmt: skip
    assert [(x["nationality"], x["value"]) for x in total] == [("MMR", 3.0)]
    assert "alerts_raised" not in {x["figure"] for x in rows}
    r = client.get("/monitoring", params={**YEAR, "age_group": "child"}, headers=auth("coord"))
    screened = [x for x in r.json()["figures"] if x["figure"] == "persons_screened"
                and x["period"] is None and all(x[d] is None for d in COLUMNS[2:7])]  # fmt: skip
    assert [(x["age_group"], x["value"]) for x in screened] == [("child", 1.0)]


def test_roles_and_scopes(api):
    client, _ = api
    for cid in ("analyst", "worker"):
        for path in ("/monitoring", "/monitoring.csv", "/monitoring/definitions"):
            assert client.get(path, headers=auth(cid)).status_code == 403
    assert client.get("/monitoring", params=YEAR, headers=auth("admin")).status_code == 200
    assert client.get("/monitoring", params=YEAR).status_code == 401
    # A coordinator of Thailand sees Thailand's figures only, by default.
    body = client.get("/monitoring", params=YEAR, headers=auth("coord-tha")).json()
    assert body["filters"] == {"state": "THA"}
    assert {r["state"] for r in body["figures"]} == {"THA"}
    t = {r["figure"]: r["value"] for r in body["figures"] if r["period"] is None
         and all(r[d] is None for d in COLUMNS[3:8])}  # fmt: skip
    assert (t["persons_screened"], t["alerts_raised"], t["transfers_requested"]) == (4, 2, 0)
    r = client.get("/monitoring", params={**YEAR, "state": "IDN"}, headers=auth("coord-tha"))
    assert r.status_code == 403
    # With two states, the coordinator names one.
    assert client.get("/monitoring", params=YEAR, headers=auth("coord-two")).status_code == 403
    r = client.get("/monitoring", params={**YEAR, "state": "idn"}, headers=auth("coord-two"))
    assert r.status_code == 200


def test_bad_windows_are_422(api):
    client, _ = api
    for params in (
        {"from": "2025-06-01", "to": "2025-01-01"},
        {"from": "2000-01-01", "to": "2025-01-01"},
        {"from": "not-a-date"},
        {"age_group": "elderly"},
        {"from": "9999-12-01", "to": "9999-12-31"},  # the day after 'to' is past date.max
        {"to": "0001-01-31"},  # the default 'from' would be before year 1
    ):
        for path in ("/monitoring", "/monitoring.csv"):
            r = client.get(path, params=params, headers=auth("coord"))
            assert r.status_code == 422, (path, params, r.text)


def test_the_dashboard_page_and_definitions(api):
    client, _ = api
    r = client.post("/ui/login", data={"key": key_of("coord")}, follow_redirects=False)
    assert r.headers["location"] == "/ui/monitoring"
    page = client.get("/ui/monitoring", params={**YEAR, "by": "nationality"})
    assert page.status_code == 200
    html = page.text
    assert 'data-figure="persons_screened">5<' in html
    assert 'href="/ui/monitoring/definitions#persons_screened"' in html
    assert html.count("<svg") == 14
    assert "<script" not in html
    export = client.get("/ui/monitoring/export.csv", params=YEAR)
    assert export.headers["content-type"].startswith("text/csv")
    assert export.text.splitlines()[0] == ",".join([*COLUMNS, "suppressed"])
    assert 'href="/ui/monitoring/export.csv?' in html
    defs = client.get("/ui/monitoring/definitions").text
    for fid in FIGURES:
        assert f'id="{fid}"' in defs
    client.cookies.clear()
    client.post("/ui/login", data={"key": key_of("analyst")}, follow_redirects=False)
    assert client.get("/ui/monitoring").status_code == 403
    client.cookies.clear()


def test_text_from_data_opens_as_text_in_the_csv(engine, tmp_path):
    """CSV injection: a port label from data (``=cmd|...``) is no formula in the CSV
    export (OWASP: a leading ``'``); a tip's own port label does not reach monitoring at
    all (a tip is not an alert)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from tests.apikit import seed, write_positions
    from vessel_risk.db.tables import AlertRow

    hostile = "=cmd|' /C calc'!A0"
    with Session(engine) as s, s.begin():
        seed(s)
        alert = s.scalars(select(AlertRow).order_by(AlertRow.id)).first()
        assert alert is not None
        alert.last_port_label, alert.created_at = hostile, datetime.now(UTC)
    write_positions(tmp_path / "run")
    client = TestClient(make_app(engine, tmp_path / "run", monitoring_k=1))
    tip = {"source": "hotline", "subject": "vessel", "mmsi": "412000009",
           "port_label": "+tip-port", "port_iso3": "CHL"}  # fmt: skip
    assert client.post("/tips", json=tip, headers=auth("ph-hotline")).status_code == 201
    today = datetime.now(UTC).date()
    window = {"from": str(today - timedelta(days=60)), "to": str(today + timedelta(days=1))}
    r = client.get("/monitoring.csv", params=window, headers=auth("admin"))
    rows = list(csv.DictReader(io.StringIO(r.text)))
    ports = {row["port"] for row in rows if row["port"]}
    assert "'" + hostile in ports
    assert not any("TIP-PORT" in p for p in ports)
    cells = [v for row in rows for v in row.values() if v]
    assert not [v for v in cells if v.startswith(("=", "+", "@"))]
