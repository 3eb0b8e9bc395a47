"""Alerts in the database: runs recorded with their history, status changes audited.

Every test runs on SQLite and on PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import make_alert, make_gaps, make_visits, record_alerts
from vessel_risk.alerts.build import ALERT_SCORE_FIELDS
from vessel_risk.alerts.evidence import evidence_events
from vessel_risk.alerts.lifecycle import TransitionError
from vessel_risk.alerts.persistence import alert_history, record_run, transition
from vessel_risk.db.tables import (
    AlertRow,
    EvidenceEvent,
    Score,
    Vessel,
    VesselPeriod,
)


def test_a_run_stores_vessel_score_evidence_and_last_port(engine):
    run_id = record_alerts(engine, [make_alert()])
    with Session(engine) as s:
        alert = s.scalars(select(AlertRow)).one()
        assert (alert.run_id, alert.status, alert.tier) == (run_id, "new", "high")
        # the last visit that started before the last position (2022-11-20)
        assert (alert.last_port_label, alert.last_port_iso3) == ("PUNTA ARENAS", "CHL")
        assert alert.gear == "squid_jigger"
        kinds = s.scalars(
            select(EvidenceEvent.kind).where(EvidenceEvent.score_id == alert.score_id)
        ).all()
        # both 2022 port visits and the gap; BUSAN came after the last position
        assert sorted(kinds) == ["ais_gap", "port_visit", "port_visit"]
        vessel = s.get(Vessel, "412000001")
        assert vessel is not None and vessel.callsign == "BZAB7"
        assert [h["value"] for h in vessel.identity_history] == ["HAI YANG 7", "BZAB7"]


def test_evidence_is_written_in_chunks_and_all_of_it(engine, monkeypatch):
    from vessel_risk.alerts import persistence

    inserts: list[int] = []
    real = persistence.bulk_insert

    def counted(session, table, rows, **kw):
        if table is EvidenceEvent.__table__:
            inserts.append(len(rows))
        return real(session, table, rows, **kw)

    monkeypatch.setattr(persistence, "EVIDENCE_CHUNK_ROWS", 2)
    monkeypatch.setattr(persistence, "bulk_insert", counted)
    record_alerts(engine, [make_alert()])
    assert inserts == [2, 1]  # 3 events, at most 2 rows built at a time
    with Session(engine) as s:
        kinds = s.scalars(select(EvidenceEvent.kind)).all()
    assert sorted(kinds) == ["ais_gap", "port_visit", "port_visit"]


def test_rescoring_keeps_history_and_withdraws_when_late_data_drops_the_tier(engine):
    record_alerts(engine, [make_alert(score=0.8, tier="high")])
    with Session(engine) as s, s.begin():
        alert_id = s.scalars(select(AlertRow.id)).one()
        transition(s, alert_id, "under_review", actor="analyst@tha")
    record_alerts(engine, [make_alert(score=0.12, tier="low", model_version="pu-lgbm-3")])
    with Session(engine) as s:
        alert = s.get(AlertRow, alert_id)
        assert alert is not None
        assert (alert.status, alert.tier, alert.model_version) == ("withdrawn", "low", "pu-lgbm-3")
        assert alert.status_reason == "late data changed the evidence: tier high → low"
        history = alert_history(s, alert_id)
        assert [h["tier"] for h in history["scores"]] == ["high", "low"]
        assert [h["action"] for h in history["audit"]] == [
            "alert.created",
            "alert.status",
            "alert.rescored",
            "alert.status",
        ]
        assert history["audit"][-1]["actor"] == "system:run"
        assert s.scalar(select(func.count()).select_from(Score)) == 2
        # each score keeps its own evidence
        assert s.scalar(select(func.count()).select_from(EvidenceEvent)) == 6


def test_a_referred_alert_is_never_withdrawn_by_a_machine(engine):
    record_alerts(engine, [make_alert(score=0.8, tier="high")])
    with Session(engine) as s, s.begin():
        alert_id = s.scalars(select(AlertRow.id)).one()
        transition(s, alert_id, "under_review", actor="analyst@tha")
        with pytest.raises(TransitionError, match="approving a referral notice"):
            transition(s, alert_id, "referred", actor="approver@tha")
        transition(s, alert_id, "referred", actor="approver@tha", via_notice=True)
    record_alerts(engine, [make_alert(score=0.05, tier="insufficient data")])
    with Session(engine) as s:
        alert = s.get(AlertRow, alert_id)
        assert alert is not None and alert.status == "referred"
        actions = [h["action"] for h in alert_history(s, alert_id)["audit"]]
        assert actions[-1] == "alert.evidence_changed"


def test_transitions_follow_the_lifecycle_and_need_reasons(engine):
    record_alerts(engine, [make_alert()])
    with Session(engine) as s, s.begin():
        alert_id = s.scalars(select(AlertRow.id)).one()
        with pytest.raises(TransitionError, match="can move to"):
            transition(s, alert_id, "referred", actor="analyst@tha")  # not reviewed yet
        with pytest.raises(TransitionError, match="needs a reason"):
            transition(s, alert_id, "dismissed", actor="analyst@tha")
        with pytest.raises(TransitionError, match="must be one of"):
            transition(s, alert_id, "closed", actor="analyst@tha")
        with pytest.raises(LookupError):
            transition(s, 999, "under_review", actor="analyst@tha")
        transition(s, alert_id, "dismissed", actor="analyst@tha", reason="carrier is a tug")
        with pytest.raises(TransitionError, match="needs a reason"):
            transition(s, alert_id, "under_review", actor="analyst@tha")
        transition(s, alert_id, "under_review", actor="lead@tha", reason="new port report")
    with Session(engine) as s:
        audit = alert_history(s, alert_id)["audit"]
        assert [(a["actor"], a["after"]["status"]) for a in audit[1:]] == [
            ("analyst@tha", "dismissed"),
            ("lead@tha", "under_review"),
        ]
        assert audit[1]["reason"] == "carrier is a tug"


def test_two_tracks_of_one_mmsi_in_one_year_are_two_alerts_with_their_own_port(engine):
    """150400453 broadcast by two transmitters in 2022: track 0 last left PUNTA ARENAS,
    track 1 BUSAN (before its own last position); each is a vessel-period and an alert,
    and a second run finds each again by (mmsi, track_id, year)."""
    import pandas as pd

    visits = pd.DataFrame(
        {
            "mmsi": ["150400453", "150400453"],
            "track_id": [0, 1],
            "port_label": ["PUNTA ARENAS", "BUSAN"],
            "port_iso3": ["CHL", "KOR"],
            "start": pd.to_datetime(["2022-03-01", "2022-10-01"], utc=True),
            "end": pd.to_datetime(["2022-03-04", "2022-10-03"], utc=True),
            "duration_h": [72.0, 48.0],
        }
    )
    alerts = [
        make_alert(mmsi="150400453", flag_iso3=None, track_id=0, vessel_id="v-0001"),
        make_alert(
            mmsi="150400453",
            rank=2,
            score=0.6,
            tier="medium",
            flag_iso3=None,
            track_id=1,
            vessel_id="v-0002",
            vessel_class="fishing",
            flag_inferred_iso3="CHN",
            flag_inferred_source="name_pattern:china_provincial",
            flag_inferred_confidence=0.8,
        ),
    ]
    record_alerts(engine, alerts, visits=visits)
    with Session(engine) as s:
        rows = s.scalars(select(AlertRow).order_by(AlertRow.track_id)).all()
        assert [(r.mmsi, r.track_id, r.year, r.tier) for r in rows] == [
            ("150400453", 0, 2022, "high"),
            ("150400453", 1, 2022, "medium"),
        ]
        assert [r.last_port_label for r in rows] == ["PUNTA ARENAS", "BUSAN"]
        assert [r.vessel_id for r in rows] == ["v-0001", "v-0002"]
        assert (rows[1].flag_inferred_iso3, rows[1].flag_inferred_confidence) == ("CHN", 0.8)
        assert rows[1].flag_inferred_source == "name_pattern:china_provincial"
        assert rows[1].vessel_class == "fishing" and rows[0].vessel_class is None
        assert rows[1].detail["track_id"] == 1
        assert len({r.vessel_period_id for r in rows}) == 2
        ids = [r.id for r in rows]
    record_alerts(engine, alerts, visits=visits)  # re-scored, not duplicated
    with Session(engine) as s:
        assert s.scalar(select(func.count(AlertRow.id))) == 2
        assert sorted(s.scalars(select(AlertRow.id)).all()) == sorted(ids)
        assert s.scalar(select(func.count(Score.id))) == 4


def test_every_alert_field_with_a_column_is_written_and_nan_features_are_null(engine):
    from vessel_risk.alerts.build import Alert
    from vessel_risk.db.tables import VesselPeriod, as_utc

    alert = make_alert()
    with Session(engine) as s, s.begin():
        from vessel_risk.alerts.persistence import record_run

        record_run(
            s,
            alerts=[alert],
            features=pd.DataFrame(
                {"mmsi": [alert.mmsi], "track_id": [0], "year": [alert.year], "x": [float("nan")]}
            ),
            evidence=pd.DataFrame(),
            identity=pd.DataFrame(),
            visits=pd.DataFrame(),
            inputs=["t.csv"],
            model_version=alert.model_version,
            counts={},
        )
    with Session(engine) as s:
        row = s.scalars(select(AlertRow)).one()
        shared = [n for n in Alert.model_fields if n in AlertRow.__table__.columns.keys()]
        assert {"mmsi", "score", "flag_inferred_confidence", "last_seen"} <= set(shared)
        for name in shared:
            want, got = getattr(alert, name), getattr(row, name)
            if name == "last_seen":
                want, got = as_utc(want), as_utc(got)
            assert got == want, name
        period = s.scalars(select(VesselPeriod)).one()
        # NaN means unknown: JSON null (PostgreSQL's JSON type refuses NaN)
        assert period.features["x"] is None
        assert period.position_messages == alert.position_messages


def test_an_alert_records_where_the_model_applies_its_spread_and_coverage(engine):
    reason = "observed_share 0.01 below the training minimum 0.52"
    record_alerts(
        engine,
        [
            make_alert(
                model_applies=False,
                model_domain_reason=reason,
                score_percentile=97.5,
                score_low=0.41,
                score_high=0.66,
                observed_share=0.0111,
            ),
            make_alert(mmsi="412000002", rank=2),
        ],
    )
    with Session(engine) as s:
        rows = s.scalars(select(AlertRow).order_by(AlertRow.rank)).all()
        got = [tuple(getattr(r, f) for f in ALERT_SCORE_FIELDS) for r in rows]
    assert got == [
        (False, reason, 97.5, 0.41, 0.66, 0.0111),
        (None, None, None, None, None, None),
    ]


def test_unknown_features_are_stored_as_json_null_on_every_database(engine):
    # PostgreSQL's json type refuses NaN: a thin vessel-year's unknown voyages are null.
    empty = pd.DataFrame(columns=["mmsi", "start", "end", "duration_h", "lat", "lon"])
    features = pd.DataFrame(
        {
            "mmsi": ["412000001"],
            "track_id": [0],
            "year": [2022],
            "number_voyages": [np.nan],
            "gaps_12_hours": [3.0],
            "observed_share": [0.0111],
        }
    )
    with Session(engine) as s, s.begin():
        record_run(
            s,
            alerts=[make_alert()],
            features=features,
            evidence=evidence_events(make_visits(), make_gaps(), empty, empty),
            identity=pd.DataFrame(columns=["mmsi", "field", "value", "first_seen", "last_seen"]),
            visits=make_visits(),
            inputs=["test.csv"],
            model_version="indicator-baseline-2",
            counts={"mean": float("nan")},
        )
    with Session(engine) as s:
        period = s.scalars(select(VesselPeriod)).one()
        assert period.features["number_voyages"] is None
        assert (period.features["gaps_12_hours"], period.features["observed_share"]) == (
            3.0,
            0.0111,
        )


def test_a_name_too_long_or_with_a_nul_is_cut_and_counted_not_a_failed_run(engine, caplog):
    # ingest keeps text up to 1024 characters; vessels.shipname is VARCHAR(128), and
    # PostgreSQL refuses NUL in text: the run is recorded, the value fitted, a warning counted
    from tests.builders import identity_frame

    long_name = "X'; DROP TABLE alerts;--" + "L" * 300
    identity = identity_frame("412000001", shipname="NUL\x00NAME", callsign="BZ\x00AB7")
    with caplog.at_level("WARNING", logger="vessel_risk.db.engine"):
        record_alerts(engine, [make_alert(shipname=long_name)], identity=identity)
    with Session(engine) as s:
        alert = s.scalars(select(AlertRow)).one()
        assert alert.shipname == long_name[:128]
        vessel = s.get(Vessel, "412000001")
        assert vessel is not None
        assert vessel.shipname == long_name[:128]
        assert vessel.callsign == "BZAB7"
        assert [h["value"] for h in vessel.identity_history] == ["NULNAME", "BZAB7"]
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        m.startswith("alerts: 0 value(s) had NUL") and "1 value(s) were cut" in m for m in messages
    ), messages
    assert any(m.startswith("vessels:") for m in messages), messages
