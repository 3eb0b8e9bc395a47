"""Next port predictions of one vessel track: AIS destination, port-call history, heading."""

from __future__ import annotations

import pandas as pd
import pytest

from vessel_risk.events.arrivals import (
    PASSAGE_SPEED_KN,
    VesselState,
    passage_hours,
    port_calls,
    port_locations,
    predict_by_destination,
    predict_by_heading,
    predict_by_history,
    predict_next_port,
)

T = pd.Timestamp("2022-03-01", tz="UTC")

PORTS = pd.DataFrame(
    {
        "port_label": ["ALPHA", "BRAVO", "CHARLIE", "BUSAN"],
        "port_iso3": ["ARG", "URY", "CHL", "KOR"],
        "lat": [0.0, 0.0, 1.0, 35.1],
        "lon": [0.0, 1.0, 0.0, 129.0],
    }
)


def _visits(*calls: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mmsi": "412000001",
            "track_id": 0,
            "port_label": [c[0] for c in calls],
            "port_iso3": [{"ALPHA": "ARG", "BRAVO": "URY"}.get(c[0]) for c in calls],
            "start": pd.to_datetime([c[1] for c in calls], utc=True),
            "end": pd.to_datetime([c[2] for c in calls], utc=True),
        }
    )


def _state(**kw) -> VesselState:
    base = {"mmsi": "412000001", "track_id": 0, "as_of": T, "lat": 0.0, "lon": 0.5}
    return VesselState(**{**base, **kw})


def test_destination_names_a_port_and_the_eta_follows_distance_and_speed():
    state = _state(lat=0.0, lon=0.0, speed_kn=10.0, destination="CN SHA>Bravo Port")
    p = predict_by_destination(state, PORTS)
    assert p is not None and (p.port_label, p.port_iso3, p.method) == (
        "BRAVO",
        "URY",
        "destination",
    )
    # 1 degree of longitude on the equator is 111.32 km: 60.1 nm at 10 kn
    assert p.evidence["distance_km"] == pytest.approx(111.3, abs=0.1)
    assert (p.eta - T) / pd.Timedelta(hours=1) == pytest.approx(111.32 / 1.852 / 10, abs=0.01)
    assert p.eta_low < p.eta < p.eta_high
    assert (p.confidence, p.insufficient_data) == (0.6, False)


def test_a_reported_eta_is_taken_as_it_is():
    eta = T + pd.Timedelta(hours=30)
    p = predict_by_destination(_state(destination="BUSAN", reported_eta=eta), PORTS)
    assert p is not None and (p.port_label, p.eta, p.confidence) == ("BUSAN", eta, 0.8)


def test_no_destination_when_unknown_stale_or_already_there():
    assert predict_by_destination(_state(destination="FOR ORDERS"), PORTS) is None
    stale = _state(destination="BUSAN", destination_seen=T - pd.Timedelta(days=31))
    assert predict_by_destination(stale, PORTS) is None
    assert predict_by_destination(_state(lat=0.0, lon=1.0, destination="BRAVO"), PORTS) is None


def test_history_takes_the_most_frequent_next_port_and_the_median_voyage():
    # ALPHA -> BRAVO twice (48 h, 60 h), ALPHA -> CHARLIE once (10 h); now at sea after ALPHA
    visits = _visits(
        ("ALPHA", "2022-01-01 00:00", "2022-01-01 12:00"),
        ("BRAVO", "2022-01-03 12:00", "2022-01-04 00:00"),
        ("ALPHA", "2022-01-05 00:00", "2022-01-05 12:00"),
        ("BRAVO", "2022-01-08 00:00", "2022-01-08 06:00"),
        ("ALPHA", "2022-01-10 00:00", "2022-01-10 12:00"),
        ("CHARLIE", "2022-01-10 22:00", "2022-01-11 00:00"),
        ("ALPHA", "2022-02-27 00:00", "2022-02-28 00:00"),
    )
    p = predict_by_history(_state(), visits, port_locations(PORTS))
    assert p is not None and (p.port_label, p.method) == ("BRAVO", "history")
    departure = pd.Timestamp("2022-02-28", tz="UTC")
    assert p.eta == departure + pd.Timedelta(hours=54)  # median of 48 and 60
    assert (p.eta_low, p.eta_high) == (
        departure + pd.Timedelta(hours=48),
        departure + pd.Timedelta(hours=60),
    )
    assert p.confidence == pytest.approx(2 / 3 * 3 / 4)
    assert p.insufficient_data is False
    assert p.evidence["next_ports"] == {"BRAVO": 2, "CHARLIE": 1}
    # data after the time of the prediction are not used
    assert len(port_calls(visits, pd.Timestamp("2022-01-06", tz="UTC"))) == 3


def test_history_in_port_waits_for_the_usual_stay_and_thin_history_says_so():
    visits = _visits(
        ("ALPHA", "2022-01-01 00:00", "2022-01-02 00:00"),  # a 24 h stay
        ("BRAVO", "2022-01-04 00:00", "2022-01-04 06:00"),
        ("ALPHA", "2022-02-28 20:00", "2022-03-01 00:00"),  # in port now, since 20:00
    )
    p = predict_by_history(_state(lat=0.0, lon=0.0), visits, port_locations(PORTS))
    assert p is not None and p.port_label == "BRAVO" and p.evidence["in_port"] is True
    leaves = pd.Timestamp("2022-03-01 20:00", tz="UTC")  # arrived 20:00 + the usual 24 h
    assert p.eta == leaves + pd.Timedelta(hours=48)
    assert p.insufficient_data is True  # one voyage to BRAVO only


def test_history_overdue_moves_to_the_rest_of_the_way():
    visits = _visits(
        ("ALPHA", "2022-01-01 00:00", "2022-01-01 06:00"),
        ("BRAVO", "2022-01-02 06:00", "2022-01-02 12:00"),
        ("ALPHA", "2022-02-20 00:00", "2022-02-20 06:00"),  # left 9 days ago; 24 h usual
    )
    p = predict_by_history(_state(lat=0.0, lon=0.0), visits, port_locations(PORTS))
    assert p is not None and p.evidence["overdue"] is True and p.insufficient_data is True
    hours = passage_hours(111.3195, PASSAGE_SPEED_KN)
    assert (p.eta - T) / pd.Timedelta(hours=1) == pytest.approx(hours, abs=0.01)


def test_history_without_port_calls_predicts_nothing():
    assert predict_by_history(_state(), _visits().iloc[0:0]) is None
    only_here = _visits(("ALPHA", "2022-02-28 00:00", "2022-03-01 00:00"))
    assert predict_by_history(_state(lat=0.0, lon=0.0), only_here) is None  # in port


def test_heading_takes_the_nearest_port_ahead_within_the_cone():
    east = _state(lat=0.0, lon=-1.0, course=90.0, speed_kn=10.0)
    p = predict_by_heading(east, PORTS)
    assert p is not None and (p.port_label, p.method, p.insufficient_data) == (
        "ALPHA",
        "heading",
        True,
    )
    assert p.evidence["distance_km"] == pytest.approx(111.3, abs=0.1)
    assert predict_by_heading(_state(lat=0.0, lon=-1.0, course=270.0, speed_kn=10.0), PORTS) is None
    assert predict_by_heading(_state(lat=0.0, lon=-1.0, course=90.0, speed_kn=1.0), PORTS) is None


def test_predict_next_port_tries_the_methods_in_order():
    visits = _visits(
        ("ALPHA", "2022-01-01 00:00", "2022-01-01 06:00"),
        ("CHARLIE", "2022-01-02 06:00", "2022-01-02 12:00"),
        ("ALPHA", "2022-02-28 00:00", "2022-02-28 06:00"),
    )
    state = _state(lat=0.0, lon=-1.0, course=90.0, speed_kn=10.0, destination="BRAVO")
    assert predict_next_port(state, visits, PORTS).method == "destination"
    no_dest = _state(lat=0.0, lon=-1.0, course=90.0, speed_kn=10.0)
    p = predict_next_port(no_dest, visits, PORTS)
    assert (p.method, p.port_label, p.evidence["methods_tried"]) == (
        "history",
        "CHARLIE",
        ["destination"],
    )
    p = predict_next_port(no_dest, visits.iloc[0:0], PORTS)
    assert (p.method, p.evidence["methods_tried"]) == ("heading", ["destination", "history"])
    with pytest.raises(ValueError, match="Unknown arrival methods"):
        predict_next_port(no_dest, visits, PORTS, methods=["guess"])


def test_track_visits_give_each_track_the_calls_its_frame_gives():
    from vessel_risk.events.arrivals import TrackVisits, track_visits

    one = _visits(
        ("BRAVO", "2022-02-10 00:00", "2022-02-11 00:00"),
        ("ALPHA", "2022-01-01 00:00", "2022-01-03 00:00"),
        ("ALPHA", "2022-01-03 01:00", "2022-01-04 00:00"),  # one call with the one before
        ("BRAVO", "2022-03-05 00:00", "2022-03-06 00:00"),  # after as_of: unknown then
    )
    two = _visits(("CHARLIE", "2022-02-01", "2022-02-02")).assign(track_id=1)
    groups = track_visits(pd.concat([one, two], ignore_index=True), ["mmsi", "track_id"])
    assert sorted(groups) == [("412000001", 0), ("412000001", 1)]
    for key, frame in ((("412000001", 0), one), (("412000001", 1), two)):
        assert isinstance(groups[key], TrackVisits)
        assert port_calls(groups[key], T) == port_calls(frame, T)
    calls = port_calls(groups[("412000001", 0)], T)
    assert [(c.port, c.start.day, c.end.day) for c in calls] == [("ALPHA", 1, 4), ("BRAVO", 10, 11)]
