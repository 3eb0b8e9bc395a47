"""Tips in the database (vessel_risk.referral.tips): matching a vessel's live item,
an unscored item of its own, least data encrypted at rest, purged after retention, and
a later run keeping the tip's item apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.builders import make_alert, outside_ciphertext, record_alerts
from vessel_risk.alerts.persistence import transition
from vessel_risk.alerts.queue import TIP_SOURCES
from vessel_risk.db.engine import make_engine, migrate
from vessel_risk.db.tables import AlertRow, AuditEntry, Tip, Vessel
from vessel_risk.delivery.retention import purge_expired_personal_data
from vessel_risk.referral.tips import TipReport, TipSource, submit_tip, tip_summary

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'tips.db'}")
    migrate(eng)
    record_alerts(eng, [make_alert(), make_alert(mmsi="412000002", rank=2, score=0.2, tier="low")])
    yield eng
    eng.dispose()


def _submit(engine, **fields):
    with Session(engine) as s, s.begin():
        tip = submit_tip(s, TipReport(**fields), actor="ph-hotline/desk", agency_id="ph-hotline")
        return tip.id, tip.alert_id, tip.linked


def test_the_sources_agree():
    assert TipSource.__args__ == TIP_SOURCES  # type: ignore[attr-defined]


def test_imo_or_call_sign_find_the_vessel_a_name_alone_does_not(engine):
    with Session(engine) as s, s.begin():
        v = s.get(Vessel, "412000001")
        assert v is not None
        v.imo, v.callsign = "9123456", "BZAB1"
        model_id = s.scalars(select(AlertRow.id).where(AlertRow.mmsi == "412000001")).one()
    assert _submit(engine, source="ngo", imo="IMO 9123456")[1:] == (model_id, True)
    assert _submit(engine, source="consulate", callsign="bzab1")[1:] == (model_id, True)
    _, item, linked = _submit(engine, source="hotline", shipname="VESSEL 1")
    assert item != model_id and linked is False  # a name alone is too ambiguous
    with Session(engine) as s:
        alert = s.get(AlertRow, model_id)
        assert alert is not None and alert.reported_by == ["consulate", "ngo"]
        assert alert.source == "model" and alert.score == 0.8


def test_an_urgent_tip_lifts_the_low_alert_it_joins_above_the_other_low_ones(engine):
    from vessel_risk.alerts.queue import order_columns

    def queue() -> list[tuple[str | None, int, float]]:
        with Session(engine) as s:
            band, key, ident = order_columns()
            rows = s.execute(
                select(AlertRow.mmsi, band, key).order_by(band.desc(), key.desc(), ident.desc())
            ).all()
        return [tuple(r) for r in rows]

    assert queue() == [("412000001", 2, 0.8), ("412000002", 0, 0.2)]
    _, item, linked = _submit(
        engine, source="hotline", mmsi="412000002", urgent=True, ilo_indicators=["debt_bondage"]
    )
    assert linked is True
    assert queue() == [("412000001", 2, 0.8), ("412000002", 1, 101.0)]  # the database's order
    with Session(engine) as s:
        low = s.get(AlertRow, item)
        assert low is not None and (low.tier, low.score, low.tip_urgency) == ("low", 0.2, 101)


def test_a_dismissed_alert_is_not_reopened_by_a_tip(engine):
    with Session(engine) as s, s.begin():
        model_id = s.scalars(select(AlertRow.id).where(AlertRow.mmsi == "412000001")).one()
        transition(s, model_id, "dismissed", actor="analyst", reason="checked: a research ship")
    _, item, linked = _submit(engine, source="ngo", mmsi="412000001", urgent=True)
    assert item != model_id and linked is False
    with Session(engine) as s:
        own = s.get(AlertRow, item)
        assert own is not None
        assert (own.source, own.tier, own.score, own.status) == ("ngo", "unscored", None, "new")
        assert own.tip_urgency == 100
        assert s.get(AlertRow, model_id).status == "dismissed"  # type: ignore[union-attr]
    # a second tip on the same vessel joins the tip's own item, raising its urgency
    _, again, linked = _submit(
        engine, source="hotline", mmsi="412000001", ilo_indicators=["debt_bondage", "isolation"]
    )
    assert (again, linked) == (item, True)
    with Session(engine) as s:
        own = s.get(AlertRow, item)
        assert own is not None and own.tip_urgency == 100 and own.reported_by == ["hotline"]


def test_a_later_run_keeps_the_tips_item_apart(engine):
    _, item, _ = _submit(engine, source="hotline", mmsi="412000009", last_seen=T0)
    record_alerts(engine, [make_alert(mmsi="412000009", year=2026, score=0.7, tier="high")])
    with Session(engine) as s:
        rows = s.scalars(select(AlertRow).where(AlertRow.mmsi == "412000009")).all()
        assert sorted((r.source, r.score) for r in rows) == [("hotline", None), ("model", 0.7)]
        assert s.get(AlertRow, item).tier == "unscored"  # type: ignore[union-attr]


def test_a_persons_data_is_least_encrypted_and_purged(engine, monkeypatch):
    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", Fernet.generate_key().decode())
    report = TipReport(
        source="consulate",
        subject="person",
        observed="Young fisher at the consulate, says his papers are held on board.",
        person={"nationality_iso3": "mmr", "age_band": "15_17", "needs": ["shelter"]},
        ilo_indicators=["retention_of_documents"],
    )
    with Session(engine) as s, s.begin():
        tip = submit_tip(s, report, actor="mm-embassy/desk", agency_id="mm-embassy", now=T0)
        tip_id, item = tip.id, tip.alert_id
    with Session(engine) as s:
        raw = s.execute(text("SELECT observed, person FROM tips")).one()
        plain = outside_ciphertext(raw)
        assert "MMR" not in plain and "papers" not in plain and "<token>" in plain
        tip = s.get(Tip, tip_id)
        assert tip is not None
        assert tip.person == {
            "nationality_iso3": "MMR",
            "age_band": "15_17",
            "age_uncertain": False,
            "needs": ["shelter"],
        }
        summary = tip_summary(tip, now=T0)
        assert summary["person_data_held"] is True and "person" not in summary
        assert summary["observed"] is None  # an account of a person: case roles only
        alert = s.get(AlertRow, item)
        assert alert is not None and alert.mmsi is None  # no vessel named: its own item
        assert "MMR" not in outside_ciphertext(alert.detail)
        received = s.scalars(select(AuditEntry).where(AuditEntry.action == "tip.received")).one()
        assert received.after is not None
        assert received.after["person_data"] == [
            "age_band",
            "age_uncertain",
            "nationality_iso3",
            "needs",
        ]
    after = T0 + timedelta(days=366)
    with Session(engine) as s, s.begin():
        assert purge_expired_personal_data(s, T0)["tips"] == 0
        assert purge_expired_personal_data(s, after)["tips"] == 1
    with Session(engine) as s:
        tip = s.get(Tip, tip_id)
        assert tip is not None and tip.person is None and tip.observed is None
        assert tip.ilo_indicators == ["retention_of_documents"]  # not about a person
        purged = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "tip.personal_data_purged")
        ).one()
        assert purged.before == {"fields": ["observed", "person"]}


def test_least_data_refuses_what_is_not_asked():
    with pytest.raises(ValidationError, match="name"):
        TipReport(source="ngo", subject="person", person={"name": "Juan"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="holds no person"):
        TipReport(source="ngo", mmsi="412000001", person={"age_band": "18_24"})  # type: ignore[arg-type]
