"""Monitoring of the mechanism (issue 18 part 1, "Done when"): a year of a small mechanism
built with the real functions, every figure checked against a count made by hand.

The story and the hand counts are in ``tests/mechanism.py``. Runs on SQLite, and on
PostgreSQL where ``VESSEL_RISK_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.mechanism import (
    END,
    EXPECTED,
    EXPECTED_BREAKDOWNS,
    EXPECTED_MONTHS,
    EXPECTED_PERSONS,
    START,
    build_mechanism,
)
from vessel_risk.db.tables import AuditEntry
from vessel_risk.referral.monitoring import COLUMNS, FIGURES
from vessel_risk.referral.monitoring_load import monitoring_figures

DIMS = list(COLUMNS[2:8])


def _totals(out, period=None):
    rows = out[out[DIMS].isna().all(axis=1)]
    rows = rows[rows["period"].isna()] if period is None else rows[rows["period"] == period]
    return dict(zip(rows["figure"], rows["value"], strict=True)), dict(
        zip(rows["figure"], rows["persons"], strict=True)
    )


def test_every_figure_of_a_year_against_a_hand_count(engine):
    build_mechanism(engine)
    with Session(engine) as s, s.begin():
        out = monitoring_figures(s, START, END, actor="coord/monitor", now=END)
    assert set(EXPECTED) == set(FIGURES), "the hand count covers every figure"
    values, persons = _totals(out)
    assert {f: values.get(f) for f in EXPECTED} == EXPECTED
    for fid, n in EXPECTED_PERSONS.items():
        assert persons[fid] == n, fid
    whole = out[out["period"].isna()]
    for (fid, dim), expected in EXPECTED_BREAKDOWNS.items():
        rows = whole[(whole["figure"] == fid) & whole[dim].notna()]
        assert dict(zip(rows[dim], rows["value"], strict=True)) == expected, (fid, dim)
    for (fid, month), expected in EXPECTED_MONTHS.items():
        assert _totals(out, month)[0][fid] == expected, (fid, month)
    # Each person's intake was read once, audited under the coordinator's name.
    with Session(engine) as s:
        reads = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "case.intake_read", AuditEntry.actor == "coord/monitor")
        )
    assert reads == 5


def test_a_window_and_a_filter(engine):
    build_mechanism(engine)
    with Session(engine) as s, s.begin():
        half = monitoring_figures(s, START, START.replace(month=7), now=END)
        tha = monitoring_figures(s, START, END, where={"state": "THA"}, now=END)
    values, _ = _totals(half)
    # January to June: P1-P4 screened; P5 (August) is outside.
    assert values["persons_screened"] == 4
    assert values["alerts_raised"] == 4
    # At the end of June P1's 6-month follow-up is not due yet; P4's period runs on.
    assert values["followups_due_6m"] == 0
    assert values["reflection_ended"] == 2
    rows = tha[tha["period"].isna() & (tha["state"] == "THA")]
    rows = rows[rows[[c for c in DIMS if c != "state"]].isna().all(axis=1)]
    by = dict(zip(rows["figure"], rows["value"], strict=True))
    assert by["persons_screened"] == 4
    assert by["alerts_raised"] == 2
    assert by["transfers_requested"] == 0


def test_a_person_past_retention_reads_unknown(engine):
    # P3's case closed on 25 Jan 2025: their intake is kept 365 days, to 25 Jan 2026.
    build_mechanism(engine)
    later = END.replace(month=2)
    with Session(engine) as s, s.begin():
        out = monitoring_figures(s, START, END, now=later)
    whole = out[out["period"].isna() & (out["figure"] == "persons_screened")]
    nat = whole[whole["nationality"].notna()]
    assert dict(zip(nat["nationality"], nat["value"], strict=True)) == {
        "MMR": 3,
        "PHL": 1,
        "unknown": 1,
    }
    ages = whole[whole["age_group"].notna()]
    assert dict(zip(ages["age_group"], ages["value"], strict=True)) == {
        "child": 1,
        "18-29": 1,
        "30-49": 2,
        "unknown": 1,
    }
