"""An alert's coastal states: one rule (events within 200 nm of a state's nearest port),
read by routing and recorded per alert for the client scopes.

The recording tests run on SQLite and on PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_alert, record_alerts
from vessel_risk.alerts.coastal import (
    COASTAL_STATE_KM,
    coastal_of,
    coastal_states,
    record_coastal_states,
    state_of_positions,
)
from vessel_risk.db.tables import AlertCoastalState, AlertRow
from vessel_risk.geo.ports import PortIndex
from vessel_risk.referral import payload


def _ports() -> PortIndex:
    """Two Argentine and Chilean ports near the gap of ``make_gaps`` (-45.0, -60.0), one
    Korean port, and one port with no country."""
    return PortIndex(
        pd.DataFrame(
            {
                "port_label": pd.array(["GOLFO", "PUNTA ARENAS", "BUSAN", "NOWHERE"]),
                "port_iso3": pd.array(["ARG", "CHL", "KOR", pd.NA], dtype="string"),
                "lat": [-46.0, -53.16, 35.1, 0.0],
                "lon": [-62.0, -70.91, 129.04, -30.0],
            }
        )
    )


@dataclass
class _Event:
    kind: str
    lat: float | None
    lon: float | None


def test_the_rule_is_the_nearest_ports_state_within_200_nm():
    assert COASTAL_STATE_KM == 370.4  # 200 nm
    ports = _ports()
    # 190 km from GOLFO; 30 km from BUSAN; mid-Pacific; 2 km from a port of no country;
    # 400 km due north of BUSAN (beyond 200 nm)
    lat = [-45.0, 35.3, 0.0, 0.01, 38.7, float("nan")]
    lon = [-60.0, 129.2, -160.0, -30.0, 129.04, 10.0]
    assert list(state_of_positions(lat, lon, ports)) == ["ARG", "KOR", None, None, None, None]


def test_coastal_states_leave_out_port_visits_and_unlocated_events():
    ports = _ports()
    events = [
        _Event("ais_gap", -45.0, -60.0),
        _Event("port_visit", 35.1, 129.04),  # a port visit is the port state's, not coastal
        _Event("loitering", None, None),
        _Event("encounter", -45.1, -60.1),
    ]
    assert coastal_states(events, ports) == ["ARG"]
    assert coastal_states(events, None) == []
    # routing reads the same function (one implementation)
    assert payload.coastal_states is coastal_states


def test_a_run_records_each_alerts_coastal_states_and_a_rescore_replaces_them(engine):
    # make_gaps: one gap of 412000001 at (-45.0, -60.0), 190 km from GOLFO (ARG)
    run_id = record_alerts(engine, [make_alert()])
    with Session(engine) as s, s.begin():
        assert record_coastal_states(s, run_id=run_id, ports=_ports()) == 1
    with Session(engine) as s:
        alert = s.scalars(select(AlertRow)).one()
        assert alert.coastal_iso3 == frozenset({"ARG"})
        assert coastal_of(s, [alert.id, 999]) == {alert.id: frozenset({"ARG"})}
        alert_id = alert.id
    # the next run, with a port list where the gap is in no state's waters
    run_2 = record_alerts(engine, [make_alert(score=0.7)])
    far = PortIndex(
        pd.DataFrame(
            {
                "port_label": pd.array(["BUSAN"]),
                "port_iso3": pd.array(["KOR"]),
                "lat": [35.1],
                "lon": [129.04],
            }
        )
    )
    with Session(engine) as s, s.begin():
        assert record_coastal_states(s, run_id=run_2, ports=far) == 0
    with Session(engine) as s:
        assert s.scalars(select(AlertCoastalState)).all() == []
        assert s.get(AlertRow, alert_id).coastal_iso3 == frozenset()


def test_reads_back_in_chunks_and_only_the_runs_alerts(engine, monkeypatch):
    from vessel_risk.alerts import coastal

    monkeypatch.setattr(coastal, "READ_CHUNK_ROWS", 1)
    first = record_alerts(engine, [make_alert()])
    with Session(engine) as s, s.begin():
        record_coastal_states(s, run_id=first, ports=_ports())
    second = record_alerts(engine, [make_alert(mmsi="412000009")])
    with Session(engine) as s, s.begin():
        # the gap is 412000001's: 412000009's alert has no located event
        assert record_coastal_states(s, run_id=second, ports=_ports()) == 0
    with Session(engine) as s:
        rows = s.execute(
            select(AlertRow.mmsi, AlertCoastalState.iso3).join(
                AlertCoastalState, AlertCoastalState.alert_id == AlertRow.id
            )
        ).all()
        assert [tuple(r) for r in rows] == [("412000001", "ARG")]


def test_a_tips_item_has_no_coastal_states(engine):
    with Session(engine) as s, s.begin():
        item = AlertRow(
            source="hotline",
            year=2022,
            tier="unscored",
            last_seen=datetime(2022, 11, 1, tzinfo=UTC),
            status="new",
            detail={},
            created_at=datetime(2022, 11, 1, tzinfo=UTC),
            updated_at=datetime(2022, 11, 1, tzinfo=UTC),
        )
        s.add(item)
        s.flush()
        assert item.coastal_iso3 == frozenset()
