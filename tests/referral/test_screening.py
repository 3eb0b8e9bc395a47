"""Screening and intake of a person (referral.screening), pure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from vessel_risk.db.tables import AlertRow, EvidenceEvent
from vessel_risk.referral.screening import (
    CASE_STATEMENT,
    NO_INDICATOR_STATEMENT,
    IntakeForm,
    intake_fields,
    prefill,
    presumed_child,
    screen,
)


def form(**kw) -> IntakeForm:
    base = {"entry_point": "boarding", "state_iso3": "tha", "language": "my"}
    return IntakeForm(**{**base, **kw})


def test_any_indicator_present_makes_a_presumed_victim():
    r = screen(
        form(
            age=30,
            indicators={
                "withholding_of_wages": True,
                "isolation": True,
                "deception": False,
                "debt_bondage": None,
            },
        )
    )
    assert r.presumed_victim is True
    assert r.indicators_present == ["isolation", "withholding_of_wages"]  # ILO order
    assert r.child is False
    assert r.statement == CASE_STATEMENT
    assert "never as a suspect" in r.statement and "non-punishment" in r.statement


def test_no_indicator_present_is_not_a_finding():
    r = screen(form(age=30, indicators={"deception": False, "debt_bondage": None}))
    assert (r.presumed_victim, r.indicators_present) == (False, [])
    assert r.statement == NO_INDICATOR_STATEMENT


@pytest.mark.parametrize(
    ("kw", "child"),
    [
        ({"age": 17}, True),
        ({"age": 18}, False),
        ({"age": 25, "age_uncertain": True}, True),
        ({}, True),  # age unknown
        ({"age_band": "15_17"}, True),
        ({"age_band": "25_34"}, False),
        ({"age_band": "18_24", "age_uncertain": True}, True),
    ],
)
def test_age_presumption(kw, child):
    assert presumed_child(form(**kw)) is child


def test_consents_default_consular_yes_law_enforcement_no():
    f = form(consents={"services": True})
    assert f.consents_in_force() == {
        "services": True,
        "referral": False,
        "law_enforcement": False,
        "consular": True,
        "transfer": False,
    }
    assert form(consents={"consular": False}).consents_in_force()["consular"] is False


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValidationError, match="Unknown ILO indicators"):
        form(indicators={"being_a_suspect": True})
    with pytest.raises(ValidationError, match="Unknown consent uses"):
        form(consents={"publicity": True})
    with pytest.raises(ValidationError, match="age_band"):
        form(age_band="teen")
    with pytest.raises(ValidationError, match="Unknown needs"):
        form(needs=["money_transfer"])
    with pytest.raises(ValidationError, match="entry_point"):
        form(entry_point="model")
    with pytest.raises(ValidationError):
        form(passport_number="X123")  # not a field: nothing beyond the minimal form


def test_intake_keeps_only_what_the_person_entered():
    f = form(
        age=16,
        gender="woman",
        interpreter_language="th",
        needs=["shelter", "legal"],
        indicators={"deception": True},
    )
    fields = intake_fields(f)
    assert fields == {
        "gender": "woman",
        "language": "my",
        "interpreter_language": "th",
        "age": 16,
        "indicators": {"deception": True},
        "needs": ["shelter", "legal"],
    }
    assert "nationality_iso3" not in fields and "age_uncertain" not in fields


def _event(kind, start, end, **detail):
    return EvidenceEvent(
        kind=kind,
        start=start,
        end=end,
        duration_h=(end - start).total_seconds() / 3600,
        detail=detail,
    )


def test_prefill_from_alert_and_events():
    alert = AlertRow(
        id=7,
        mmsi="412000001",
        year=2022,
        shipname="HAI YANG 7",
        flag_iso3="CHN",
        last_port_label="BUSAN",
        last_port_iso3="KOR",
        detail={
            "first_seen": "2022-01-03T00:00:00Z",
            "last_seen": "2022-11-20T06:00:00Z",
            "indicators": [{"feature": "max_voyage_duration_hours", "value": 4800.0}],
        },
    )
    d = datetime
    events = [
        _event(
            "port_visit",
            d(2022, 12, 20, tzinfo=UTC),
            d(2022, 12, 24, tzinfo=UTC),
            port_label="BUSAN",
            port_iso3="KOR",
        ),
        _event(
            "port_visit",
            d(2022, 3, 1),
            d(2022, 3, 4),  # naive = UTC (SQLite)
            port_label="PUNTA ARENAS",
            port_iso3="CHL",
        ),
        _event(
            "encounter",
            d(2022, 5, 1, tzinfo=UTC),
            d(2022, 5, 1, 4, tzinfo=UTC),
            other_is_carrier=True,
        ),
        _event(
            "encounter",
            d(2022, 6, 1, tzinfo=UTC),
            d(2022, 6, 1, 4, tzinfo=UTC),
            other_is_carrier=False,
        ),
        _event(
            "ais_gap",
            d(2022, 7, 1, tzinfo=UTC),
            d(2022, 7, 3, tzinfo=UTC),
            gap_class="likely_disabling",
        ),
    ]
    p = prefill(alert, events)
    assert p["longest_voyage_days"] == 200.0
    assert [v["port_label"] for v in p["port_visits"]] == ["PUNTA ARENAS", "BUSAN"]
    assert p["port_visits"][0]["arrival"] == "2022-03-01T00:00:00+00:00"
    assert (p["port_visits_total"], p["encounters_total"], p["encounters_with_carriers"]) == (
        2,
        2,
        1,
    )
    assert (p["ais_gaps_total"], p["ais_gaps_likely_disabling"], p["loitering_total"]) == (1, 1, 0)
    assert (p["alert_id"], p["mmsi"], p["flag_iso3"], p["last_port"]) == (
        7,
        "412000001",
        "CHN",
        "BUSAN",
    )
    assert "score" not in p
    # Without the voyage feature, the longest time between port visits: 4 Mar -> 20 Dec.
    alert.detail = {"indicators": []}
    assert prefill(alert, events)["longest_voyage_days"] == 291.0
    f = form(vessel_evidence=p)
    assert intake_fields(f)["vessel_evidence"]["mmsi"] == "412000001"


def test_prefill_from_a_recorded_alert(engine):
    """The alert and events as a run records them (builders' 412000001 in 2022)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tests.builders import make_alert, record_alerts

    record_alerts(engine, [make_alert()])
    with Session(engine) as s:
        alert = s.scalars(select(AlertRow)).one()
        events = s.scalars(select(EvidenceEvent).where(EvidenceEvent.score_id == alert.score_id))
        p = prefill(alert, events)
    assert p["longest_voyage_days"] == 200.0  # 4800 h from the score's indicator
    assert [(v["port_label"], v["arrival"]) for v in p["port_visits"]] == [
        ("PUNTA ARENAS", "2022-03-01T00:00:00+00:00"),
        ("BUSAN", "2022-12-20T00:00:00+00:00"),
    ]
    assert (p["ais_gaps_total"], p["ais_gaps_likely_disabling"]) == (1, 1)
    assert p["period_start"].startswith("2022-01-03")
    assert (p["mmsi"], p["year"], p["shipname"]) == ("412000001", 2022, "HAI YANG 7")
    assert form(vessel_evidence=p).vessel_evidence["port_visits_total"] == 2
