"""The monitoring figures' pure core: hand-made frames, hand-counted figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from vessel_risk.referral.monitoring import (
    COLUMNS,
    FIGURES,
    MonitoringFrames,
    age_group,
    compute_figures,
    month_start,
)


def t(month: int, day: int = 1, hour: int = 0) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def frames() -> MonitoringFrames:
    alerts = pd.DataFrame(
        {
            "alert_id": [1, 2, 3],
            "raised_at": [t(1, 10), t(1, 20), t(2, 5)],
            "state": ["THA", "THA", None],
            "port": ["SONGKHLA", "SONGKHLA", None],
            "flag": ["CHN", "TWN", "CHN"],
        }
    )
    statuses = pd.DataFrame(
        {
            "alert_id": [1, 1, 2, 3],
            "at": [t(1, 11), t(1, 12), t(1, 21), t(2, 6)],
            "status": ["under_review", "referred", "dismissed", "withdrawn"],
        }
    )
    inspections = pd.DataFrame(
        {
            "inspection_id": [10, 11, 12],
            "alert_id": [1, 1, 3],
            "inspected_at": [t(1, 20), t(2, 1), t(2, 10)],
            "outcome": ["confirmed", "none_found", "not_boarded"],
            "state": ["THA", "THA", "IDN"],
            "port": ["SONGKHLA", "SONGKHLA", "BITUNG"],
        }
    )
    cases = pd.DataFrame(
        {
            "case_id": ["a", "b", "c"],
            "screened_at": [t(1, 21), t(1, 21), t(3, 1)],
            "presumed_victim": [True, True, False],
            "child": [False, True, False],
            "inspection_id": [10, 10, None],
            "alert_id": [1, 1, None],
            "reflection_started_at": [t(1, 21), t(1, 21), None],
            "reflection_ends_at": [t(3, 7), t(3, 7), None],
            "assistance_started_at": [t(3, 10), None, None],
            "state": ["THA", "THA", "THA"],
            "nationality": ["MMR", "MMR", "KHM"],
            "gender": ["Man", None, "woman"],
            "age_group": ["30-49", "child", "18-29"],
        }
    )
    transitions = pd.DataFrame(
        {
            "case_id": ["a", "a", "a", "b", "b", "b"],
            "to_state": [
                "presumed_victim",
                "identified",
                "assistance",
                "presumed_victim",
                "not_identified",
                "closed",
            ],
            "at": [t(1, 21), t(3, 8), t(3, 10), t(1, 21), t(3, 8), t(3, 9)],
        }
    )
    follow_ups = pd.DataFrame(
        {
            "case_id": ["a", "a", "a"],
            "months": [3, 6, 12],
            "due_at": [t(6, 10), t(9, 10), datetime(2026, 3, 10, tzinfo=UTC)],
            "done_at": [t(6, 12), None, None],
            "indicators": [{"family_reintegration": "achieved", "legal_rights": "in_progress"}]
            + [None, None],
        }
    )
    transfers = pd.DataFrame(
        {
            "case_id": ["a"],
            "purpose": ["repatriation"],
            "status": ["completed"],
            "requested_at": [t(4, 1)],
        }
    )
    return MonitoringFrames(
        alerts, statuses, inspections, cases, transitions, follow_ups, transfers
    )


def total(out: pd.DataFrame, fid: str, period: date | None = None) -> float:
    rows = out[(out["figure"] == fid) & out[list(COLUMNS[2:8])].isna().all(axis=1)]
    rows = rows[rows["period"].isna()] if period is None else rows[rows["period"] == period]
    assert len(rows) <= 1, rows
    return float(rows["value"].iloc[0]) if len(rows) else float("nan")


def test_every_figure_against_a_hand_count():
    out = compute_figures(frames(), t(1), datetime(2026, 1, 1, tzinfo=UTC))
    assert list(out.columns) == list(COLUMNS)
    expected = {
        "alerts_raised": 3,
        "alerts_reviewed": 2,
        "alerts_referred": 1,
        "alerts_dismissed": 1,
        "inspections_recorded": 3,
        "boardings": 2,
        "boardings_confirmed": 1,
        "boardings_none_found": 1,
        "not_boarded": 1,
        "days_alert_to_boarding": 10.0,
        "persons_screened": 3,
        "persons_presumed": 2,
        "persons_identified": 1,
        "persons_children": 1,
        "days_boarding_to_screening": 1.0,
        "days_screening_to_assistance": 48.0,
        "reflection_granted": 2,
        "reflection_ended": 2,
        "reflection_respected": 2,
        "followups_due_3m": 1,
        "followups_done_3m": 1,
        "followups_overdue_3m": 0,
        "followups_due_6m": 1,
        "followups_done_6m": 0,
        "followups_overdue_6m": 1,
        "followups_due_12m": 0,
        "iacat_family_reintegration_assessed": 1,
        "iacat_family_reintegration_achieved": 1,
        "iacat_legal_rights_assessed": 1,
        "iacat_legal_rights_achieved": 0,
        "iacat_economic_reintegration_assessed": 0,
        "transfers_requested": 1,
        "transfers_completed": 1,
        "repatriations_requested": 1,
        "repatriations_completed": 1,
    }
    for fid, value in expected.items():
        assert total(out, fid) == value, fid
    # Months: the January cohort of alerts, February's boarding, March's screening.
    assert total(out, "alerts_raised", date(2025, 1, 1)) == 2
    assert total(out, "alerts_raised", date(2025, 2, 1)) == 1
    assert total(out, "alerts_raised", date(2025, 12, 1)) == 0
    assert total(out, "persons_screened", date(2025, 3, 1)) == 1
    assert set(out["figure"]) <= set(FIGURES)


def test_breakdowns_and_persons():
    out = compute_figures(frames(), t(1), datetime(2026, 1, 1, tzinfo=UTC))
    whole = out[out["period"].isna()]
    by_state = whole[(whole["figure"] == "alerts_raised") & whole["state"].notna()]
    assert dict(zip(by_state["state"], by_state["value"], strict=True)) == {
        "THA": 2.0,
        "unknown": 1.0,
    }
    assert set(by_state["persons"]) == {0}
    screened = whole[whole["figure"] == "persons_screened"]
    gender = screened[screened["gender"].notna()]
    assert dict(zip(gender["gender"], gender["value"], strict=True)) == {
        "man": 1.0,
        "unknown": 1.0,
        "woman": 1.0,
    }
    ports = screened[screened["port"].notna()]
    assert dict(zip(ports["port"], ports["persons"], strict=True)) == {"SONGKHLA": 2, "unknown": 1}
    flags = screened[screened["flag"].notna()]
    assert dict(zip(flags["flag"], flags["value"], strict=True)) == {"CHN": 2.0, "unknown": 1.0}
    # Vessel-level figures carry no person dimension.
    vessel = out[out["figure"].isin(["alerts_raised", "boardings"])]
    assert vessel[["nationality", "gender", "age_group"]].isna().all().all()
    # A row never breaks down by two dimensions at once.
    assert (out[list(COLUMNS[2:8])].notna().sum(axis=1) <= 1).all()


def test_where_filters_events_and_drops_vessel_figures_for_person_dimensions():
    out = compute_figures(frames(), t(1), t(7), where={"nationality": "MMR"})
    assert "alerts_raised" not in set(out["figure"])
    assert total_where(out, "persons_screened", nationality="MMR") == 2
    by_state = compute_figures(frames(), t(1), t(7), where={"state": "IDN"})
    assert total_where(by_state, "not_boarded", state="IDN") == 1
    assert total_where(by_state, "boardings", state="IDN") == 0


def total_where(out: pd.DataFrame, fid: str, **fixed: str) -> float:
    rows = out[(out["figure"] == fid) & out["period"].isna()]
    free = [c for c in COLUMNS[2:8] if c not in fixed]
    rows = rows[rows[free].isna().all(axis=1)]
    for k, v in fixed.items():
        rows = rows[rows[k] == v]
    return float(rows["value"].iloc[0])


def test_asof_reads_statuses_at_a_date():
    early = compute_figures(frames(), t(1), t(7), asof=t(3, 1))
    assert total(early, "reflection_ended") == 0
    assert total(early, "persons_identified") == 0
    assert total(early, "days_screening_to_assistance") != total(
        early, "days_screening_to_assistance"
    )


def test_reflection_broken_by_a_repatriation_before_its_end():
    f = frames()
    early = f.transfers.assign(requested_at=[t(2, 1)])
    out = compute_figures(
        MonitoringFrames(
            f.alerts, f.alert_statuses, f.inspections, f.cases, f.transitions, f.follow_ups, early
        ),
        t(1),
        t(12),
    )
    assert total(out, "reflection_respected") == 1


def test_age_groups_and_month_start():
    assert age_group({"age": 17}, child=False) == "child"
    assert age_group({"age": 29}, child=False) == "18-29"
    assert age_group({"age": 30}, child=False) == "30-49"
    assert age_group({"age": 50}, child=False) == "50+"
    assert age_group({"age_band": "35_49"}, child=False) == "30-49"
    assert age_group({"age_band": "25_34"}, child=False) == "unknown"
    assert age_group({"age": 40}, child=True) == "child"
    assert age_group(None, child=False) == "unknown"
    assert month_start(datetime(2025, 3, 31, 23, 59)) == date(2025, 3, 1)


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="must have columns"):
        MonitoringFrames(alerts=pd.DataFrame({"alert_id": [1]}))
    with pytest.raises(ValueError, match="'where' parameter"):
        compute_figures(frames(), t(1), t(2), where={"vessel": "x"})
    with pytest.raises(ValueError, match="'end' parameter"):
        compute_figures(frames(), t(2), t(1))


def test_registry_is_complete():
    assert len(FIGURES) == 46
    for f in FIGURES.values():
        assert f.definition and f.unit and f.name
    empty = compute_figures(MonitoringFrames(), t(1), t(3))
    assert total(empty, "alerts_raised") == 0
    assert total(empty, "persons_screened", date(2025, 2, 1)) == 0
