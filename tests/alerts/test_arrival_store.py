"""Expected arrivals in the database: added, revised in place, closed as arrived, missed or
superseded, read back with the vessel's current alert. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_alert, record_alerts
from vessel_risk.alerts.arrival_store import due_for_notice, queued_arrivals, record_arrivals
from vessel_risk.db.tables import AlertRow, AuditEntry, ExpectedArrival, as_utc

NOW = datetime(2022, 11, 21, tzinfo=UTC)


def _predictions(port: str, eta: str, as_of: str, *, high: str | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mmsi": ["412000001"],
            "track_id": [0],
            "vessel_id": [None],
            "port_label": [port],
            "port_iso3": [{"BUSAN": "KOR", "PUNTA ARENAS": "CHL"}[port]],
            "eta": [pd.Timestamp(eta, tz="UTC")],
            "eta_low": [pd.NaT],
            "eta_high": [pd.Timestamp(high, tz="UTC") if high else pd.NaT],
            "method": ["history"],
            "confidence": [0.5],
            "insufficient_data": [True],
            "as_of": [pd.Timestamp(as_of, tz="UTC")],
            "evidence": [{"voyages_from_last_port": 1}],
        }
    )


def _record(engine, predictions, visits=None) -> dict[str, int]:
    with Session(engine) as s, s.begin():
        return record_arrivals(s, predictions, run_id=None, visits=visits, now=NOW)


def _rows(engine) -> list[tuple[str, str, str]]:
    with Session(engine) as s:
        rows = s.scalars(select(ExpectedArrival).order_by(ExpectedArrival.id)).all()
        return [(r.port_label, r.status, as_utc(r.eta).strftime("%m-%d %H")) for r in rows]


def test_a_later_run_revises_the_prediction_instead_of_adding_one(engine):
    record_alerts(engine, [make_alert()])
    first = _record(engine, _predictions("BUSAN", "2022-12-01 06:00", "2022-11-20 06:00"))
    assert first["added"] == 1
    with Session(engine) as s:
        row = s.scalars(select(ExpectedArrival)).one()
        alert_id = s.scalars(select(AlertRow.id)).one()
        assert (row.alert_id, row.mmsi, row.port_iso3, row.method) == (
            alert_id,
            "412000001",
            "KOR",
            "history",
        )
        assert row.detail["insufficient_data"] is True
    again = _record(engine, _predictions("BUSAN", "2022-12-02 06:00", "2022-11-21 06:00"))
    assert (again["added"], again["revised"]) == (0, 1)
    assert _rows(engine) == [("BUSAN", "expected", "12-02 06")]
    with Session(engine) as s:
        queued = queued_arrivals(s, port_label="busan")
    assert [(q.tier, q.score, q.shipname, q.prediction_note) for q in queued] == [
        ("high", 0.8, "HAI YANG 7", "insufficient data")
    ]


def test_another_port_supersedes_and_a_seen_visit_closes_as_arrived(engine):
    record_alerts(engine, [make_alert()])
    _record(engine, _predictions("BUSAN", "2022-12-01 06:00", "2022-11-20 06:00"))
    counts = _record(engine, _predictions("PUNTA ARENAS", "2022-11-25 00:00", "2022-11-21"))
    assert (counts["superseded"], counts["added"]) == (1, 1)
    visits = pd.DataFrame(
        {
            "mmsi": ["412000001"],
            "track_id": [0],
            "port_label": ["PUNTA ARENAS"],
            "start": [pd.Timestamp("2022-11-24 20:00", tz="UTC")],
        }
    )
    counts = _record(engine, _predictions("BUSAN", "2022-12-20 00:00", "2022-11-26"), visits)
    assert (counts["arrived"], counts["added"]) == (1, 1)
    assert _rows(engine) == [
        ("BUSAN", "superseded", "12-01 06"),
        ("PUNTA ARENAS", "arrived", "11-25 00"),
        ("BUSAN", "expected", "12-20 00"),
    ]
    with Session(engine) as s:
        changes = s.scalars(
            select(AuditEntry.after).where(AuditEntry.action == "arrival.status")
        ).all()
        assert [c["status"] for c in changes] == ["superseded", "arrived"]
        arrived = s.scalars(
            select(ExpectedArrival).where(ExpectedArrival.status == "arrived")
        ).one()
        assert arrived.detail["arrived_at"] == "2022-11-24T20:00:00+00:00"


def test_a_window_that_passed_without_a_visit_is_missed(engine):
    record_alerts(engine, [make_alert()])
    _record(
        engine,
        _predictions("BUSAN", "2022-12-01", "2022-11-20", high="2022-12-03"),
    )
    counts = _record(engine, _predictions("PUNTA ARENAS", "2022-12-20", "2022-12-05"))
    assert (counts["missed"], counts["added"]) == (1, 1)
    assert [r[1] for r in _rows(engine)] == ["missed", "expected"]


def test_a_high_risk_arrival_is_due_for_notice_48_hours_ahead(engine):
    record_alerts(engine, [make_alert()])  # high, 0.8
    _record(engine, _predictions("BUSAN", "2022-12-01 06:00", "2022-11-20 06:00"))
    with Session(engine) as s:
        assert due_for_notice(s, datetime(2022, 11, 28, 6, tzinfo=UTC)) == []  # 72 h ahead
        due = due_for_notice(s, datetime(2022, 11, 29, 7, tzinfo=UTC))  # 47 h ahead
        assert [(a.mmsi, a.port_label, a.tier) for a in due] == [("412000001", "BUSAN", "high")]
        assert due_for_notice(s, datetime(2022, 12, 1, 6, tzinfo=UTC)) == []  # arriving now


def test_a_tips_own_item_of_the_same_vessel_is_never_the_arrivals_alert(engine):
    """A hotline's tip made its own (unscored) item before the model scored the vessel:
    the arrival links the model's alert, and an unscored item never breaks the ranking."""
    from vessel_risk.referral.tips import TipReport, submit_tip

    with Session(engine) as s, s.begin():
        report = TipReport(source="hotline", subject="vessel", mmsi="412000001", urgent=True)
        tip = submit_tip(s, report, actor="ph-hotline/desk", agency_id="ph-hotline")
        tip_item = tip.alert_id
    record_alerts(engine, [make_alert(score=0.1, tier="insufficient data")])
    assert (
        _record(engine, _predictions("BUSAN", "2022-12-01 06:00", "2022-11-20 06:00"))["added"] == 1
    )
    with Session(engine) as s:
        row = s.scalars(select(ExpectedArrival)).one()
        model = s.scalars(select(AlertRow).where(AlertRow.source == "model")).one()
        assert row.alert_id == model.id != tip_item
        queued = queued_arrivals(s, port_label="busan")
    assert [(q.tier, q.score) for q in queued] == [("insufficient data", 0.1)]
