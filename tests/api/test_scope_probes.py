"""Probes of issue 19: reads and actions outside the caller's scope (vessel-years,
notices by routing, LIKE wildcards in agency ids, port labels two countries share).

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
}


@pytest.fixture(scope="module")
def probe_api(tmp_path_factory):
    """The seeded app plus: 412000001 (2022 out of Punta Arenas, Chile) also has a 2021
    year out of Busan (Korea) with positions in both years; a draft notice on its 2022
    alert (drafted by Chile's analyst); and clients whose agency ids hold LIKE wildcards."""
    folder = tmp_path_factory.mktemp("probes")
    engine, app, ids = seeded_sqlite_app(folder)
    with Session(engine) as s, s.begin():
        add_vessel_year(s, "412000001", 2021, "BUSAN", "KOR", "CHN")
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
    for client_id in ("wildcard-analyst", "underscore-analyst"):
        got = {n["id"] for n in probe_api.get("/referrals", headers=auth(client_id)).json()}
        leaks += len(got - {"notice-kr"} if client_id == "underscore-analyst" else got)
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
