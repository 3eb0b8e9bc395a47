"""A vessel's profile, track and evidence events (vessel_risk.api.routes.vessels)."""

from __future__ import annotations

from tests.apikit import auth


def test_vessel_profile_track_and_events(api):
    v = api.get("/vessels/412000001", headers=auth("cl-inspector")).json()
    assert v["iuu_listed"] is True
    assert v["periods"][0]["features"] == {"max_voyage_duration_hours": 4800.0}
    assert v["identity_history"][0]["value"] == "VESSEL 1"
    response = api.get("/vessels/412000005/track", headers=auth("admin"))
    assert response.headers["content-type"] == "application/geo+json"
    t = response.json()
    assert t["type"] == "FeatureCollection"
    geometry = t["features"][0]["geometry"]
    assert geometry["type"] == "MultiLineString"
    assert geometry["coordinates"] == [
        [[179.0, 10.0], [180.0, 11.0]],
        [[-180.0, 11.0], [-179.0, 12.0], [-178.0, 13.0]],
    ]
    # The second transmitter sending the MMSI is a line of its own, not a zig-zag.
    assert [f["properties"]["track_id"] for f in t["features"]] == [0, 1]
    assert t["features"][1]["geometry"]["coordinates"] == [[[170.0, -40.0], [170.1, -40.1]]]
    e = api.get("/vessels/412000001/events", headers=auth("admin")).json()
    assert [x["kind"] for x in e["events"]] == ["gap"]
