"""Probes of issue 19: reads and actions outside the caller's scope (vessel-years,
notices by routing, LIKE wildcards in agency ids, port labels two countries share, a
country that is only a coastal state of one vessel-year).

Each probe counts what one request returned or did outside the caller's scope; every
count must be 0. Written against the HTTP API only, so the same file measures an older
build (12 of 1,365 probes leaked before issue 19).
"""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.apikit import add_vessel_year, auth, key_of, seeded_sqlite_app
from vessel_risk.api.access import create_client

# client id -> (agency, role, countries, ports)
EXTRA_CLIENTS = {
    "cl-approver-arg": ("cl-dgtm", "referral_approver", ["ARG"], []),
    "wildcard-analyst": ("%", "analyst", ["ARG"], []),
    "underscore-analyst": ("cl_dgtm", "analyst", ["KOR"], []),
    "jp-analyst": ("jp-jcg", "analyst", ["JPN"], []),
}


@pytest.fixture(scope="module")
def probe_api(tmp_path_factory):
    """The seeded app plus: 412000001 (2022 out of Punta Arenas, Chile) also has a 2021
    year out of Busan (Korea) with positions in both years, Japan a coastal state of that
    year; a draft notice on its 2022 alert (drafted by Chile's analyst); clients whose
    agency ids hold LIKE wildcards, and Japan's analyst."""
    from vessel_risk.db.tables import AlertCoastalState

    folder = tmp_path_factory.mktemp("probes")
    engine, app, ids = seeded_sqlite_app(folder)
    with Session(engine) as s, s.begin():
        year_2021 = add_vessel_year(s, "412000001", 2021, "BUSAN", "KOR", "CHN")
        s.add(AlertCoastalState(alert_id=year_2021, iso3="JPN"))
        for client_id, (agency, role, countries, ports) in EXTRA_CLIENTS.items():
            create_client(
                s,
                client_id=client_id,
                agency_id=agency,
                role=role,
                countries=countries,
                ports=ports,
                rate_per_minute=100_000,
                actor="test",
                key=key_of(client_id),
            )
    positions = pd.read_parquet(folder / "run" / "positions.parquet")
    more = pd.DataFrame(
        {
            "mmsi": ["412000001"] * 2,
            "track_id": [0, 0],
            "timestamp": pd.to_datetime(["2021-03-01T00:00Z", "2021-03-02T00:00Z"], utc=True),
            "lat": [35.0, 35.1],
            "lon": [129.1, 129.0],
        }
    )
    pd.concat([positions, more]).to_parquet(folder / "run" / "positions.parquet", index=False)
    client = TestClient(app)
    alert_2022 = ids["alerts"]["412000001"]  # type: ignore[index]
    r = client.post("/referrals", json={"alert_id": alert_2022}, headers=auth("cl-analyst"))
    assert r.status_code == 201, r.text
    client.draft = r.json()["id"]  # type: ignore[attr-defined]
    client.alerts = {2022: alert_2022, 2021: year_2021}  # type: ignore[attr-defined]
    yield client
    engine.dispose()


def test_track_stops_at_the_years_in_scope(probe_api):
    # Korea's analyst sees 412000001 for 2021 (out of Busan), not for 2022 (Chile)
    r = probe_api.get("/vessels/412000001/track", headers=auth("kr-analyst"))
    assert r.status_code == 200
    coords = [c for f in r.json()["features"] for c in _coordinates(f["geometry"])]
    assert sorted(coords) == [[129.0, 35.1], [129.1, 35.0]]
    # Chile's analyst gets only the 2022 positions
    r = probe_api.get("/vessels/412000001/track", headers=auth("cl-analyst"))
    coords = [c for f in r.json()["features"] for c in _coordinates(f["geometry"])]
    assert sorted(coords) == [[-70.91, -53.16], [-70.0, -53.0]]
    # the admin sees both years: one line crossing the antimeridian on its way
    r = probe_api.get("/vessels/412000001/track", headers=auth("admin"))
    coords = [c for f in r.json()["features"] for c in _coordinates(f["geometry"])]
    assert [129.0, 35.1] in coords and [-70.91, -53.16] in coords


def _coordinates(geometry: dict) -> list[list[float]]:
    if geometry["type"] == "LineString":
        return [list(c) for c in geometry["coordinates"]]
    if geometry["type"] == "MultiLineString":
        return [list(c) for line in geometry["coordinates"] for c in line]
    if geometry["type"] == "Point":
        return [list(geometry["coordinates"])]
    return []


def test_profile_and_events_stop_at_the_years_in_scope(probe_api):
    v = probe_api.get("/vessels/412000001", headers=auth("kr-analyst")).json()
    assert [p["year"] for p in v["periods"]] == [2021]
    ev = probe_api.get("/vessels/412000001/events", headers=auth("kr-analyst")).json()
    assert ev["events"] == []  # the 2022 AIS gap belongs to the Chilean year
    ev = probe_api.get("/vessels/412000001/events", headers=auth("cl-analyst")).json()
    assert [e["kind"] for e in ev["events"]] == ["gap"]


def test_a_notice_is_not_approved_outside_the_approvers_scope(probe_api):
    r = probe_api.post(f"/referrals/{probe_api.draft}/approve", headers=auth("cl-approver-arg"))
    assert r.status_code == 404
    r = probe_api.get(f"/referrals/{probe_api.draft}", headers=auth("cl-approver-arg"))
    assert r.status_code == 404


def test_like_wildcards_in_an_agency_id_widen_nothing(probe_api):
    wild = probe_api.get("/referrals", headers=auth("wildcard-analyst")).json()
    assert wild == []
    under = probe_api.get("/referrals", headers=auth("underscore-analyst")).json()
    assert [n["id"] for n in under] == ["notice-kr"]  # by its alert's Korean scope
    assert probe_api.get("/referrals/notice-cl", headers=auth("wildcard-analyst")).status_code == (
        404
    )


def test_a_coastal_state_sees_that_year_only(probe_api):
    # Japan is a coastal state of 412000001's 2021 year only: its track, profile and
    # queue stop there; the 2022 alert and the notice drafted on it stay out of reach
    r = probe_api.get("/vessels/412000001/track", headers=auth("jp-analyst"))
    coords = [c for f in r.json()["features"] for c in _coordinates(f["geometry"])]
    assert sorted(coords) == [[129.0, 35.1], [129.1, 35.0]]
    v = probe_api.get("/vessels/412000001", headers=auth("jp-analyst")).json()
    assert [p["year"] for p in v["periods"]] == [2021]
    ev = probe_api.get("/vessels/412000001/events", headers=auth("jp-analyst")).json()
    assert ev["events"] == []  # the 2022 AIS gap is Chile's year
    listed = probe_api.get("/alerts", headers=auth("jp-analyst")).json()["items"]
    assert [(a["mmsi"], a["year"]) for a in listed] == [("412000001", 2021)]
    alerts = probe_api.alerts
    assert probe_api.get(f"/alerts/{alerts[2021]}", headers=auth("jp-analyst")).status_code == 200
    assert probe_api.get(f"/alerts/{alerts[2022]}", headers=auth("jp-analyst")).status_code == 404
    jp = auth("jp-analyst")
    assert probe_api.get(f"/referrals/{probe_api.draft}", headers=jp).status_code == 404
    assert probe_api.get("/referrals", headers=auth("jp-analyst")).json() == []


def test_probe_count_outside_scope_is_zero(probe_api):
    """The probes above as one count (the number the report quotes)."""
    leaks = 0
    kr = probe_api.get("/vessels/412000001/track", headers=auth("kr-analyst")).json()
    leaks += sum(
        1
        for f in kr.get("features", [])
        for c in _coordinates(f["geometry"])
        if c not in ([129.0, 35.1], [129.1, 35.0])
    )
    leaks += probe_api.post(
        f"/referrals/{probe_api.draft}/approve", headers=auth("cl-approver-arg")
    ).status_code in (200, 409)
    leaks += probe_api.get(
        f"/referrals/{probe_api.draft}", headers=auth("cl-approver-arg")
    ).is_success
    for client_id in ("wildcard-analyst", "underscore-analyst", "jp-analyst"):
        got = {n["id"] for n in probe_api.get("/referrals", headers=auth(client_id)).json()}
        leaks += len(got - {"notice-kr"} if client_id == "underscore-analyst" else got)
    # a coastal state of the 2021 year only: nothing of 2022
    jp = probe_api.get("/vessels/412000001/track", headers=auth("jp-analyst")).json()
    leaks += sum(
        1
        for f in jp.get("features", [])
        for c in _coordinates(f["geometry"])
        if c not in ([129.0, 35.1], [129.1, 35.0])
    )
    jp_alerts = probe_api.get("/alerts", headers=auth("jp-analyst")).json()["items"]
    leaks += sum(1 for a in jp_alerts if a["year"] != 2021)
    leaks += probe_api.get(
        f"/alerts/{probe_api.alerts[2022]}", headers=auth("jp-analyst")
    ).is_success
    assert leaks == 0


def test_the_inferred_flag_counts_where_no_flag_is_declared(engine, tmp_path):
    """150400453 track 1 declares no flag; CHN is inferred: a client scoped to China
    sees it (list, detail, vessel) as routing would send it there; Korea does not."""
    from tests.apikit import make_app, record_inferred_flag_alert, seed

    with Session(engine) as s, s.begin():
        seed(s)
        create_client(
            s,
            client_id="cn-analyst",
            agency_id="cn-msa",
            role="analyst",
            countries=["CHN"],
            actor="test",
            key=key_of("cn-analyst"),
        )
    alert_id = record_inferred_flag_alert(engine)
    api = TestClient(make_app(engine))
    listed = {a["mmsi"] for a in api.get("/alerts", headers=auth("cn-analyst")).json()["items"]}
    # the three declared-CHN vessels, WEIHAI's among them, and the inferred one
    assert listed == {"412000001", "412000002", "412000005", "150400453"}
    assert api.get(f"/alerts/{alert_id}", headers=auth("cn-analyst")).status_code == 200
    assert api.get("/vessels/150400453", headers=auth("cn-analyst")).status_code == 200
    assert api.get(f"/alerts/{alert_id}", headers=auth("kr-analyst")).status_code == 404


def test_a_coastal_state_counts_in_sql_on_both_databases(engine):
    """The scope's SQL (the queue, a vessel, the notices by their alert) and its Python
    rule (one alert) agree on SQLite and PostgreSQL: Japan, a coastal state of Korea's
    alert only, sees that alert, its vessel and its notice, and nothing else."""
    from tests.apikit import make_app, seed
    from vessel_risk.db.tables import AlertCoastalState

    with Session(engine) as s, s.begin():
        ids = seed(s)
        korea = ids["alerts"]["440000003"]  # type: ignore[index]
        s.add(AlertCoastalState(alert_id=korea, iso3="JPN"))
        create_client(
            s,
            client_id="jp-analyst",
            agency_id="jp-jcg",
            role="analyst",
            countries=["JPN"],
            actor="test",
            key=key_of("jp-analyst"),
        )
    api = TestClient(make_app(engine))
    jp = auth("jp-analyst")
    assert [a["id"] for a in api.get("/alerts", headers=jp).json()["items"]] == [korea]
    shown = api.get(f"/alerts/{korea}", headers=jp)
    assert (shown.status_code, shown.json()["coastal_states_iso3"]) == (200, ["JPN"])
    chile = ids["alerts"]["412000001"]  # type: ignore[index]
    assert api.get(f"/alerts/{chile}", headers=auth("admin")).json()["coastal_states_iso3"] == []
    assert api.get(f"/alerts/{chile}", headers=jp).status_code == 404
    assert api.get("/vessels/440000003", headers=jp).status_code == 200
    assert api.get("/vessels/412000001", headers=jp).status_code == 404
    assert [n["id"] for n in api.get("/referrals", headers=jp).json()] == ["notice-kr"]
    assert api.get("/referrals/notice-cl", headers=jp).status_code == 404
