"""A small referral mechanism over the year 2025, built with the real functions (issue 18).

Four alerts, four inspection records, five persons screened, their reflection periods,
decisions, assistance, follow-ups and one repatriation, at simulated dates. The
monitoring tests (pure, database, API, browser, CLI) check each figure against the
counts :data:`EXPECTED` makes by hand from the story below.

The story
---------
Alerts (raised at the dates of ``RAISED``; a run records alerts at the time it runs, so
the builder sets each alert's creation time to its simulated date):

- A1 412000001, flag CHN, last port SONGKHLA (THA), raised 10 Jan: a notice is drafted
  (under review) and approved: referred.
- A2 416000002, flag TWN, last port SONGKHLA (THA), raised 3 Feb: reviewed, dismissed.
- A3 412000003, flag CHN, last port BITUNG (IDN), raised 15 Mar: under review.
- A4 525000004, flag IDN, last port BITUNG (IDN), raised 1 Jun: new, never reviewed.

Inspections: I1 A1 at SONGKHLA 20 Jan, confirmed (10 days after the alert); I2 A3 at
BITUNG 20 Mar, not boarded; I3 A3 at BITUNG 4 Apr, none found (20 days); I4 A4 at BITUNG
11 Jun, confirmed (10 days). Median alert to boarding: 10 days.

Persons:

- P1 (from I1, THA) MMR, man, 34: screened 21 Jan, presumed victim, reflection 45 days
  (Thailand) to 7 Mar; identified 10 Mar; assistance 15 Mar (53 days after screening);
  3-month follow-up (due 15 Jun) done 20 Jun: family reintegration achieved, economic
  reintegration in progress; 6-month (due 15 Sep) never done: overdue.
- P2 (from I1, THA) MMR, no gender stated, age uncertain (presumed a child): screened
  22 Jan, presumed victim, reflection to 8 Mar; identified 10 Feb by a panel with child
  protection; assistance 11 Feb (20 days); 3-month (due 11 May) done 12 May: family
  reintegration and legal rights achieved; 6-month (due 11 Aug) done 20 Aug: legal
  rights achieved, cultural reintegration not applicable.
- P3 (from I1, THA) KHM, woman, 52: screened 21 Jan, no indicator, closed 25 Jan.
- P4 (from I4, IDN) PHL, man, 24: screened 12 Jun, presumed victim, reflection 30 days
  (Indonesia, default rule) to 12 Jul; consents to transfer; repatriation to the
  Philippines requested 20 Jun (inside the period: not respected), sent, accepted,
  completed 30 Jun.
- P5 (hotline, THA) MMR, no gender stated, age band 35-49: screened 5 Aug, presumed
  victim, reflection to 19 Sep; no decision yet.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.builders import add_agency, make_alert, make_intake, record_alerts

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)
WORKER = "tha-ngo/caseworker-1"


def d(month: int, day: int, year: int = 2025) -> datetime:
    """Midnight UTC of a day of 2025."""
    return datetime(year, month, day, tzinfo=UTC)


ALERTS = {
    "A1": ("412000001", "CHN", "SONGKHLA", "THA", d(1, 10)),
    "A2": ("416000002", "TWN", "SONGKHLA", "THA", d(2, 3)),
    "A3": ("412000003", "CHN", "BITUNG", "IDN", d(3, 15)),
    "A4": ("525000004", "IDN", "BITUNG", "IDN", d(6, 1)),
}

EXPECTED: dict[str, float] = {
    "alerts_raised": 4,
    "alerts_reviewed": 3,
    "alerts_referred": 1,
    "alerts_dismissed": 1,
    "inspections_recorded": 4,
    "boardings": 3,
    "boardings_confirmed": 2,
    "boardings_none_found": 1,
    "not_boarded": 1,
    "days_alert_to_boarding": 10.0,
    "persons_screened": 5,
    "persons_presumed": 4,
    "persons_identified": 2,
    "persons_children": 1,
    "days_boarding_to_screening": 1.0,
    "days_screening_to_assistance": 36.5,
    "reflection_granted": 4,
    "reflection_ended": 4,
    "reflection_respected": 3,
    "followups_due_3m": 2,
    "followups_done_3m": 2,
    "followups_overdue_3m": 0,
    "followups_due_6m": 2,
    "followups_done_6m": 1,
    "followups_overdue_6m": 1,
    "followups_due_12m": 0,
    "followups_done_12m": 0,
    "followups_overdue_12m": 0,
    "iacat_individual_recovery_assessed": 0,
    "iacat_individual_recovery_achieved": 0,
    "iacat_family_reintegration_assessed": 2,
    "iacat_family_reintegration_achieved": 2,
    "iacat_community_reintegration_assessed": 0,
    "iacat_community_reintegration_achieved": 0,
    "iacat_economic_reintegration_assessed": 1,
    "iacat_economic_reintegration_achieved": 0,
    "iacat_cultural_reintegration_assessed": 0,
    "iacat_cultural_reintegration_achieved": 0,
    "iacat_spiritual_reintegration_assessed": 0,
    "iacat_spiritual_reintegration_achieved": 0,
    "iacat_legal_rights_assessed": 2,
    "iacat_legal_rights_achieved": 2,
    "transfers_requested": 1,
    "transfers_completed": 1,
    "repatriations_requested": 1,
    "repatriations_completed": 1,
}
"""Every figure's whole-year total, counted by hand from the story."""

EXPECTED_PERSONS: dict[str, int] = {
    "persons_screened": 5,
    "persons_presumed": 4,
    "persons_identified": 2,
    "days_boarding_to_screening": 4,
    "days_screening_to_assistance": 2,
    "reflection_respected": 3,
    "followups_due_6m": 2,
    "alerts_raised": 0,
    "boardings": 0,
}
"""How many distinct persons some totals rest on."""

EXPECTED_BREAKDOWNS: dict[tuple[str, str], dict[str, float]] = {
    ("alerts_raised", "state"): {"THA": 2, "IDN": 2},
    ("alerts_raised", "flag"): {"CHN": 2, "TWN": 1, "IDN": 1},
    ("alerts_raised", "port"): {"SONGKHLA": 2, "BITUNG": 2},
    ("boardings", "port"): {"SONGKHLA": 1, "BITUNG": 2},
    ("persons_screened", "state"): {"THA": 4, "IDN": 1},
    ("persons_screened", "port"): {"SONGKHLA": 3, "BITUNG": 1, "unknown": 1},
    ("persons_screened", "flag"): {"CHN": 3, "IDN": 1, "unknown": 1},
    ("persons_screened", "nationality"): {"MMR": 3, "KHM": 1, "PHL": 1},
    ("persons_screened", "gender"): {"man": 2, "woman": 1, "unknown": 2},
    ("persons_screened", "age_group"): {"child": 1, "18-29": 1, "30-49": 2, "50+": 1},
    ("persons_presumed", "nationality"): {"MMR": 3, "PHL": 1},
    ("reflection_respected", "state"): {"THA": 3},
}
"""Whole-year one-way breakdowns, by hand."""

EXPECTED_MONTHS: dict[tuple[str, date], float] = {
    ("alerts_raised", date(2025, 1, 1)): 1,
    ("alerts_raised", date(2025, 2, 1)): 1,
    ("alerts_raised", date(2025, 6, 1)): 1,
    ("alerts_raised", date(2025, 12, 1)): 0,
    ("boardings", date(2025, 4, 1)): 1,
    ("persons_screened", date(2025, 1, 1)): 3,
    ("persons_screened", date(2025, 6, 1)): 1,
    ("persons_screened", date(2025, 8, 1)): 1,
    ("days_alert_to_boarding", date(2025, 4, 1)): 20.0,
    ("followups_overdue_6m", date(2025, 9, 1)): 1,
    ("followups_done_3m", date(2025, 5, 1)): 1,
}
"""Monthly totals, by hand."""


def _visits() -> pd.DataFrame:
    rows = []
    for mmsi, _flag, port, iso3, _raised in ALERTS.values():
        rows.append(
            {
                "mmsi": mmsi,
                "port_label": port,
                "port_iso3": iso3,
                "start": pd.Timestamp("2024-12-20", tz="UTC"),
                "end": pd.Timestamp("2024-12-24", tz="UTC"),
                "duration_h": 96.0,
            }
        )
    return pd.DataFrame(rows)


def build_mechanism(engine: Engine) -> dict[str, Any]:
    """Build the mechanism of the module's story in ``engine``'s database.

    Returns
    -------
    dict
        ``alerts`` (name -> alert id), ``cases`` (P1..P5 -> case id).
    """
    from vessel_risk.alerts.persistence import transition as alert_transition
    from vessel_risk.db.tables import AlertRow
    from vessel_risk.referral import case_store
    from vessel_risk.referral.inspections import record_inspection
    from vessel_risk.referral.notices import approve_notice, create_notice

    record_alerts(
        engine,
        [
            make_alert(mmsi=mmsi, year=2025, flag_iso3=flag, rank=i + 1)
            for i, (mmsi, flag, *_rest) in enumerate(ALERTS.values())
        ],
        visits=_visits(),
    )
    ids: dict[str, int] = {}
    with Session(engine) as s, s.begin():
        for name, (mmsi, _flag, _port, _iso3, raised) in ALERTS.items():
            alert = s.scalars(select(AlertRow).where(AlertRow.mmsi == mmsi)).one()
            alert.created_at = raised  # the simulated date of the run that raised it
            ids[name] = alert.id
        add_agency(s, "tha-md", "manual", endpoint_url=None)
        add_agency(s, "chn-md", "manual", country_iso3="CHN", name="China MSA", endpoint_url=None)
        add_agency(s, "tha-ngo", "manual", role="ngo", name="Port welfare NGO", endpoint_url=None)
        add_agency(
            s, "tha-cp", "manual", role="child_protection", name="Thai CFH", endpoint_url=None
        )
        add_agency(s, "phl-nrm", "manual", role="nrm_case_system", country_iso3="PHL",
                   name="Philippines NRM", endpoint_url=None)  # fmt: skip
    with Session(engine) as s, s.begin():
        notice = create_notice(s, ids["A1"], actor="tha-md/analyst")
        s.flush()
        approve_notice(s, notice.id, actor="tha-md/approver")
        alert_transition(s, ids["A2"], "under_review", actor="tha-md/analyst")
        alert_transition(s, ids["A2"], "dismissed", actor="tha-md/analyst", reason="sold hull")
        alert_transition(s, ids["A3"], "under_review", actor="tha-md/analyst")

    def inspect(alert: str, at: datetime, port: str, iso3: str, outcome: str, **kw: Any) -> int:
        mmsi = ALERTS[alert][0]
        row = record_inspection(
            s,
            alert_id=ids[alert],
            mmsi=mmsi,
            year=2025,
            inspected_at=at,
            port_label=port,
            port_iso3=iso3,
            agency_id=f"{iso3.lower()}-psc",
            outcome=outcome,
            actor=f"{iso3.lower()}-psc/inspector-1",
            **kw,
        )
        return int(row.id)

    with Session(engine) as s, s.begin():
        i1 = inspect("A1", d(1, 20), "SONGKHLA", "THA", "confirmed",
                     ilo_indicators=["withholding_of_wages", "isolation"],
                     crew_by_nationality={"MMR": 2, "KHM": 1})  # fmt: skip
        inspect("A3", d(3, 20), "BITUNG", "IDN", "not_boarded", not_boarded_reason="weather")
        inspect("A3", d(4, 4), "BITUNG", "IDN", "none_found", crew_by_nationality={"IDN": 12})
        i4 = inspect("A4", d(6, 11), "BITUNG", "IDN", "confirmed",
                     ilo_indicators=["debt_bondage"], crew_by_nationality={"PHL": 1})  # fmt: skip

    present = {"withholding_of_wages": True, "isolation": True}
    owner = {"actor": WORKER, "owner_client_id": "caseworker-1", "owner_agency_id": "tha-ngo"}
    cases: dict[str, str] = {}
    with Session(engine) as s, s.begin():
        cases["P1"] = case_store.open_case(
            s, make_intake(nationality_iso3="MMR", gender="man", age=34, indicators=present),
            inspection_id=i1, alert_id=ids["A1"], now=d(1, 21), **owner,
        ).id  # fmt: skip
        cases["P2"] = case_store.open_case(
            s, make_intake(nationality_iso3="MMR", age_uncertain=True, indicators=present),
            inspection_id=i1, alert_id=ids["A1"], now=d(1, 22), **owner,
        ).id  # fmt: skip
        cases["P3"] = case_store.open_case(
            s, make_intake(nationality_iso3="KHM", gender="woman", age=52, indicators={}),
            inspection_id=i1, alert_id=ids["A1"], now=d(1, 21), **owner,
        ).id  # fmt: skip
        cases["P4"] = case_store.open_case(
            s, make_intake(state_iso3="IDN", nationality_iso3="PHL", gender="Man", age=24,
                           indicators={"debt_bondage": True}, consents={"transfer": True}),
            inspection_id=i4, alert_id=ids["A4"], now=d(6, 12), **owner,
        ).id  # fmt: skip
        cases["P5"] = case_store.open_case(
            s, make_intake(entry_point="hotline", nationality_iso3="MMR", age_band="35_49",
                           indicators={"deception": True}),
            now=d(8, 5), **owner,
        ).id  # fmt: skip

    panel = [{"role": "social_welfare"}, {"role": "child_protection"}]
    iacat = case_store.complete_follow_up
    with Session(engine) as s, s.begin():
        move = case_store.transition
        move(s, cases["P1"], "identified", actor=WORKER, reason="panel", panel=panel, now=d(3, 10))
        move(s, cases["P1"], "assistance", actor=WORKER, reason="services", now=d(3, 15))
        move(s, cases["P2"], "identified", actor=WORKER, reason="panel", panel=panel, now=d(2, 10))
        move(s, cases["P2"], "assistance", actor=WORKER, reason="services", now=d(2, 11))
        move(s, cases["P3"], "closed", actor=WORKER, reason="no indicator", now=d(1, 25))
        iacat(s, cases["P1"], 3,
              {"family_reintegration": "achieved", "economic_reintegration": "in_progress"},
              actor=WORKER, now=d(6, 20))  # fmt: skip
        iacat(s, cases["P2"], 3,
              {"family_reintegration": "achieved", "legal_rights": "achieved"},
              actor=WORKER, now=d(5, 12))  # fmt: skip
        iacat(s, cases["P2"], 6,
              {"legal_rights": "achieved", "cultural_reintegration": "not_applicable"},
              actor=WORKER, now=d(8, 20))  # fmt: skip
        transfer = case_store.request_transfer(
            s, cases["P4"], "phl-nrm", "repatriation", ["nationality_iso3", "language"],
            actor=WORKER, now=d(6, 20),
        )  # fmt: skip
        for status, day in (("sent", d(6, 21)), ("accepted", d(6, 25)), ("completed", d(6, 30))):
            case_store.update_transfer(s, transfer.id, status, actor=WORKER, now=day)
    return {"alerts": ids, "cases": cases}
