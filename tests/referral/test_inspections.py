"""Boarding outcomes: recorded against the standards, audited, read back as labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_alert, record_alerts
from vessel_risk.db.tables import AlertRow, AuditEntry, Inspection
from vessel_risk.referral.inspections import (
    CREW_STATEMENT,
    InspectionError,
    inspection_view,
    labels_from_inspections,
    list_inspections,
    outcomes_frame,
    record_inspection,
    validate_inspection,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _valid(**kw):
    args = {
        "mmsi": "412000001",
        "year": 2026,
        "inspected_at": AT,
        "agency_id": "tha-psc",
        "outcome": "confirmed",
        "ilo_indicators": ["withholding_of_wages", "isolation"],
        "documents_seen": {"crew_list": "seen", "identity_documents_held_by_crew": "missing"},
        "crew_by_nationality": {"mmr": 12, "KHM": 4},
        "now": NOW,
    }
    args.update(kw)
    return validate_inspection(**args)


def test_validation_normalises_to_the_standards():
    fields = _valid(port_iso3="tha")
    # indicators in the ILO list's order, every C188 item present, ISO3 upper case
    assert fields["ilo_indicators"] == ["isolation", "withholding_of_wages"]
    assert fields["documents_seen"] == {
        "crew_list": "seen",
        "work_agreements": "not_checked",
        "rest_hour_records": "not_checked",
        "identity_documents_held_by_crew": "missing",
        "wage_records": "not_checked",
        "medical_certificates": "not_checked",
        "living_conditions": "not_checked",
    }
    assert fields["crew_by_nationality"] == {"KHM": 4, "MMR": 12}
    assert fields["port_iso3"] == "THA"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mmsi": "41200001"}, "mmsi must be 9 digits"),
        ({"ilo_indicators": ["overwork"]}, "Got ['overwork']"),
        ({"ilo_indicators": []}, "needs at least one ILO indicator"),
        ({"outcome": "none_found"}, "records no ILO indicator"),
        ({"outcome": "maybe"}, "outcome must be one of confirmed, none_found, not_boarded"),
        ({"documents_seen": {"crew_list": "yes"}}, "documents_seen['crew_list'] must be one of"),
        ({"documents_seen": {"passports": "seen"}}, "keys of the C188 checklist"),
        ({"crew_by_nationality": {"MMR": -1}}, "between 0 and 1000"),
        ({"crew_by_nationality": {"MMR": 2.5}}, "whole number of people"),
        ({"crew_by_nationality": {"Burma": 2}}, "ISO 3166-1 alpha-3"),
        ({"inspected_at": datetime(2026, 3, 1, 9, 30)}, "must carry a time zone"),
        ({"inspected_at": NOW + timedelta(hours=1)}, "is in the future"),
        ({"year": 2024}, "year must be the inspection's year (2026) or the one before"),
        ({"agency_id": " "}, "agency_id must name the inspecting agency"),
        (
            {"outcome": "none_found", "ilo_indicators": [], "not_boarded_reason": "x"},
            "applies to a not_boarded outcome only",
        ),
        (
            {"outcome": "not_boarded", "ilo_indicators": [], "crew_by_nationality": {}},
            "needs not_boarded_reason",
        ),
        (
            {"outcome": "not_boarded", "ilo_indicators": [], "not_boarded_reason": "left port"},
            "no documents seen and no crew counted",
        ),
    ],
)
def test_validation_refuses_what_breaks_the_standards(change, message):
    with pytest.raises(InspectionError) as err:
        _valid(**change)
    assert message in str(err.value)


def test_not_boarded_keeps_its_reason():
    fields = _valid(
        outcome="not_boarded",
        ilo_indicators=[],
        documents_seen={},
        crew_by_nationality={},
        not_boarded_reason="  vessel left port before the boarding team arrived ",
    )
    assert fields["not_boarded_reason"] == "vessel left port before the boarding team arrived"
    assert set(fields["documents_seen"].values()) == {"not_checked"}


@pytest.fixture
def alert_id(engine):
    record_alerts(engine, [make_alert(year=2026, vessel_id="V-HY7")])
    with Session(engine) as s:
        return s.scalars(select(AlertRow.id)).one()


def _record(s, alert_id, **kw):
    args = {
        "alert_id": alert_id,
        "mmsi": "412000001",
        "year": 2026,
        "inspected_at": AT,
        "port_label": "songkhla",
        "port_iso3": "THA",
        "agency_id": "tha-psc",
        "outcome": "confirmed",
        "ilo_indicators": ["isolation", "retention_of_documents"],
        "documents_seen": {"identity_documents_held_by_crew": "missing"},
        "crew_by_nationality": {"MMR": 12, "KHM": 4},
        "actor": "tha-psc/inspector-1",
        "now": NOW,
    }
    args.update(kw)
    return record_inspection(s, **args)


def test_record_is_audited_and_carries_the_alerts_vessel(engine, alert_id):
    with Session(engine) as s, s.begin():
        row = _record(s, alert_id)
        rid = row.id
    with Session(engine) as s:
        row = s.get(Inspection, rid)
        assert row is not None
        assert (row.vessel_id, row.port_label, row.recorded_by) == (
            "V-HY7",
            "SONGKHLA",
            "tha-psc/inspector-1",
        )
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "inspection.recorded")
        ).one()
        assert entry.entity_id == str(rid)
        assert entry.actor == "tha-psc/inspector-1"
        assert entry.after["outcome"] == "confirmed"
        assert entry.after["crew_total"] == 16
        view = inspection_view(row)
        assert view["source"] == f"inspection:{rid}:tha-psc"
        assert view["statement"] == CREW_STATEMENT
        assert "presumed victims" in view["statement"] and "never suspects" in view["statement"]


def test_record_refuses_an_alert_of_another_vessel_year(engine, alert_id):
    with Session(engine) as s:
        with pytest.raises(InspectionError, match="is about 412000001 in 2026, not 412000009"):
            _record(s, alert_id, mmsi="412000009")
        with pytest.raises(LookupError, match="No alert 999"):
            _record(s, 999)


def test_list_and_outcomes_frame(engine, alert_id):
    with Session(engine) as s, s.begin():
        first = _record(s, alert_id).id
        second = _record(
            s,
            None,
            mmsi="440000003",
            year=2025,
            inspected_at=datetime(2026, 1, 5, tzinfo=UTC),
            outcome="none_found",
            ilo_indicators=[],
            agency_id="tha-labour",
        ).id
        third = _record(
            s,
            None,
            mmsi="440000004",
            outcome="not_boarded",
            ilo_indicators=[],
            documents_seen={},
            crew_by_nationality={},
            not_boarded_reason="refused entry to port",
        ).id
    with Session(engine) as s:
        assert [r.id for r in list_inspections(s)] == [third, first, second]
        assert [r.id for r in list_inspections(s, agency_id="tha-labour")] == [second]
        assert [r.id for r in list_inspections(s, outcome="not_boarded")] == [third]
        frame = outcomes_frame(s)
    assert list(frame["source"]) == [
        f"inspection:{second}:tha-labour",
        f"inspection:{first}:tha-psc",
        f"inspection:{third}:tha-psc",
    ]
    assert list(frame["outcome"]) == ["not_found", "confirmed", "not_inspected"]
    assert list(frame["mmsi"]) == ["440000003", "412000001", "440000004"]
    # a January boarding about the previous year's voyage is dated in that year
    assert frame["date"].iloc[0] == "2025-12-31T23:59:59+00:00"
    assert frame["vessel_id"].iloc[1] == "V-HY7"
    assert pd.isna(frame["vessel_id"].iloc[0])


def test_labels_from_inspections_counts_what_it_labelled(engine, alert_id):
    with Session(engine) as s, s.begin():
        _record(s, alert_id)
        _record(
            s,
            None,
            mmsi="440000003",
            outcome="none_found",
            ilo_indicators=[],
        )
        _record(s, None, mmsi="440000099", outcome="none_found", ilo_indicators=[])
    with Session(engine) as s:
        table = outcomes_frame(s)
    features = pd.DataFrame(
        {
            "vessel_id": ["V-HY7", "V-OTHER", "V-KR"],
            "mmsi": ["412000001", "412000002", "440000003"],
            "year": [2026, 2026, 2026],
            "known_offender": [0, 1, 0],
            "known_non_offender": [0, 0, 0],
        }
    )
    result = labels_from_inspections(features, table)
    out = result.frame
    assert list(out["known_offender"]) == [1, 1, 0]
    assert list(out["known_non_offender"]) == [0, 0, 1]
    assert out["source_id"].iloc[0].startswith("inspection:")
    assert (result.labelled, result.confirmed, result.not_found) == (2, 1, 1)
    assert (result.inspections, result.acting, result.unmatched) == (3, 3, 1)
    assert "2 labels from inspections (1 known offenders, 1 known non-offenders; 2 of 3" in (
        result.summary()
    )
    assert list(features["known_offender"]) == [0, 1, 0]  # the input is not modified


def test_labels_from_inspections_on_a_table_keyed_by_vessel_id_only(engine, alert_id):
    with Session(engine) as s, s.begin():
        _record(s, alert_id)
        _record(s, None, mmsi="440000003", outcome="none_found", ilo_indicators=[])
    with Session(engine) as s:
        table = outcomes_frame(s)
    features = pd.DataFrame({"vessel_id": ["V-HY7"], "year": [2026]})
    result = labels_from_inspections(features, table)
    assert list(result.frame["known_offender"]) == [1]
    # the inspection without an alert has no vessel_id: this table cannot match it
    assert (result.labelled, result.unmatched) == (1, 1)
