"""Builders for the API tests: a small hand-made database and one client per role.

Five vessel-years at hand-chosen ports and flags, two referral notices of two
agencies with their deliveries, a boarding on each side (Punta Arenas, Busan), and
the clients of four agencies (Chile's maritime authority and NRM, Korea's coast guard
and NRM) plus an admin. :func:`auth` gives a
client's request headers; :func:`seeded_sqlite_app` builds the whole on SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from vessel_risk.api import create_app
from vessel_risk.api.access import create_client
from vessel_risk.db.engine import make_engine, migrate
from vessel_risk.db.tables import (
    Agency,
    AlertRow,
    Delivery,
    EvidenceEvent,
    Inspection,
    ReferralNotice,
    Score,
    Vessel,
    VesselPeriod,
)
from vessel_risk.settings import Settings

T0 = datetime(2022, 11, 1, tzinfo=UTC)

# mmsi, flag, port, port iso3, score, tier, lat, lon
VESSELS = [
    ("412000001", "CHN", "PUNTA ARENAS", "CHL", 0.91, "high", -53.16, -70.91),
    ("412000002", "CHN", "WEIHAI", "CHN", 0.56, "medium", 37.5, 122.1),
    ("440000003", "KOR", "BUSAN", "KOR", 0.76, "high", 35.1, 129.0),
    ("725000004", "CHL", "PUNTA ARENAS", "CHL", 0.20, "low", -53.1, -70.9),
    ("412000005", "CHN", None, None, 0.35, "medium", 10.0, 179.9),
]

# client id -> (agency, role, countries, ports)
CLIENTS = {
    "cl-analyst": ("cl-dgtm", "analyst", ["CHL"], []),
    "cl-inspector": ("cl-dgtm", "port_inspector", [], ["PUNTA ARENAS"]),
    "cl-approver": ("cl-dgtm", "referral_approver", ["CHL"], []),
    "cl-case": ("cl-nrm", "case_system", [], []),
    "kr-analyst": ("kr-kcg", "analyst", ["KOR"], []),
    "kr-inspector": ("kr-kcg", "port_inspector", [], ["BUSAN"]),
    "kr-approver": ("kr-kcg", "referral_approver", ["KOR"], []),
    "kr-case": ("kr-nrm", "case_system", [], []),
    "cl-caseworker": ("cl-dsw", "case_worker", [], []),
    "cl-cpo": ("cl-cp", "child_protection_officer", [], []),
    "kr-caseworker": ("kr-dsw", "case_worker", [], []),
    "cl-coordinator": ("cl-iacat", "coordinator", ["CHL"], []),
    "ph-hotline": ("ph-hotline", "tip_source", [], []),
    "admin": ("hq", "admin", [], []),
}

# case id -> (owner client, child, child-protection agency, state where the person is)
CASES = {
    "case-cl": ("cl-caseworker", True, "cl-cp", "CHL"),
    "case-kr": ("kr-caseworker", False, None, "KOR"),
    "case-cl-adult": ("cl-caseworker", False, None, "CHL"),
}


def key_of(client_id: str) -> str:
    """The API key the builders give ``client_id``."""
    return f"key-{client_id}"


def auth(client_id: str) -> dict[str, str]:
    """The request headers that authenticate as ``client_id``."""
    return {"X-API-Key": key_of(client_id)}


def seed(session: Session, *, rate_per_minute: int = 100_000) -> dict[str, object]:
    """Fill a migrated, empty database; return the ids the tests need."""
    ids: dict[str, object] = {"alerts": {}}
    for i, (mmsi, flag, port, iso3, score, tier, lat, lon) in enumerate(VESSELS):
        session.add(
            Vessel(
                mmsi=mmsi,
                shipname=f"VESSEL {i + 1}",
                flag_iso3=flag,
                gear="squid_jigger",
                mmsi_valid=True,
                iuu_listed=i == 0,
                identity_history=[
                    {
                        "field": "shipname",
                        "value": f"VESSEL {i + 1}",
                        "first_seen": "2022-01-01T00:00:00+00:00",
                        "last_seen": "2022-11-01T00:00:00+00:00",
                        "messages": 10,
                    }
                ],
                first_seen=T0 - timedelta(days=300),
                last_seen=T0,
                updated_at=T0,
            )
        )
        session.flush()
        period = VesselPeriod(
            mmsi=mmsi,
            year=2022,
            start=T0 - timedelta(days=300),
            end=T0,
            position_messages=5000,
            days_observed=200,
            features={"max_voyage_duration_hours": 4800.0},
            updated_at=T0,
        )
        session.add(period)
        session.flush()
        indicators = [
            {
                "name": "long_voyages",
                "feature": "max_voyage_duration_hours",
                "value": 4800.0,
                "contribution": 0.6,
                "reason": "longest time at sea between port visits: 4800 h (200 days)",
                "ilo_indicator": "isolation; restriction of movement",
                "source": "McDonald et al. 2021",
            }
        ]
        sc = Score(
            vessel_period_id=period.id,
            run_id=None,
            model_version="indicator-baseline-1",
            score=score,
            tier=tier,
            rank=i + 1,
            data_note="5000 positions on 200 days",
            indicators=indicators,
            scored_at=T0,
        )
        session.add(sc)
        session.flush()
        session.add(
            EvidenceEvent(
                score_id=sc.id,
                kind="gap",
                start=T0 - timedelta(days=20),
                end=T0 - timedelta(days=19),
                duration_h=24.0,
                lat=lat,
                lon=lon,
                detail={"gap_class": "likely_disabling"},
            )
        )
        alert = AlertRow(
            vessel_period_id=period.id,
            score_id=sc.id,
            run_id=None,
            mmsi=mmsi,
            year=2022,
            shipname=f"VESSEL {i + 1}",
            flag_iso3=flag,
            gear="squid_jigger",
            score=score,
            tier=tier,
            rank=i + 1,
            model_version="indicator-baseline-1",
            last_lat=lat,
            last_lon=lon,
            last_seen=T0,
            last_port_label=port,
            last_port_iso3=iso3,
            last_port_departure=T0 if port else None,
            status="new",
            detail={
                "indicators": indicators,
                "data_note": "5000 positions on 200 days",
                "position_messages": 5000,
                "days_observed": 200,
                "caveat": "A risk score is evidence to check, never proof.",
            },
            created_at=T0,
            updated_at=T0,
        )
        session.add(alert)
        session.flush()
        ids["alerts"][mmsi] = alert.id  # type: ignore[index]
    for agency, iso3 in (("cl-nrm", "CHL"), ("kr-nrm", "KOR")):
        session.add(Agency(id=agency, name=agency, country_iso3=iso3, role="nrm_case_system"))
    session.flush()
    alerts: dict[str, int] = ids["alerts"]  # type: ignore[assignment]
    for notice_id, mmsi, by, to in (
        ("notice-cl", "412000001", "cl-dgtm/cl-analyst", "cl-nrm"),
        ("notice-kr", "440000003", "kr-kcg/kr-analyst", "kr-nrm"),
    ):
        alert = session.get(AlertRow, alerts[mmsi])
        assert alert is not None
        session.add(
            ReferralNotice(
                id=notice_id,
                alert_id=alert.id,
                score_id=alert.score_id,
                mmsi=mmsi,
                status="approved",
                created_by=by,
                created_at=T0,
                reflection_period_days=30,
                payload={"vessel": {"mmsi": mmsi}},
            )
        )
        session.flush()
        session.add(
            Delivery(
                id=f"delivery-{to}",
                notice_id=notice_id,
                agency_id=to,
                rule="flag_state",
                event_type="notice.approved",
                payload={},
                next_attempt_at=T0,
                created_at=T0,
            )
        )
    seed_cases(session)
    for client_id, (agency, role, countries, ports) in CLIENTS.items():
        create_client(
            session,
            client_id=client_id,
            agency_id=agency,
            role=role,
            countries=countries,
            ports=ports,
            rate_per_minute=rate_per_minute,
            actor="test",
            key=key_of(client_id),
        )
    # s17insp: one boarding on each side, at the alert's port (issue 17 item 1)
    ids["inspections"] = {}
    for mmsi, agency in (("412000001", "cl-dgtm"), ("440000003", "kr-kcg")):
        alert = session.get(AlertRow, alerts[mmsi])
        assert alert is not None
        inspection = Inspection(
            alert_id=alert.id,
            mmsi=mmsi,
            year=2022,
            inspected_at=T0,
            port_label=alert.last_port_label,
            port_iso3=alert.last_port_iso3,
            agency_id=agency,
            outcome="confirmed",
            ilo_indicators=["isolation"],
            documents_seen={},
            crew_by_nationality={"IDN": 9},
            recorded_by=f"{agency}/inspector",
            recorded_at=T0,
        )
        session.add(inspection)
        session.flush()
        ids["inspections"][mmsi] = inspection.id  # type: ignore[index]
    return ids


def seed_cases(session: Session) -> None:
    """The cases of :data:`CASES`, each in its reflection period (30 days from T0) with
    an intake, a consent to services and a 3-month follow-up due T0 + 91 days (overdue
    by now)."""
    from vessel_risk.db.tables import Case, CaseConsent, CaseFollowUp, CaseIntake

    for case_id, (owner, child, cp_agency, iso3) in CASES.items():
        session.add(
            Case(
                id=case_id,
                entry_point="boarding",
                state="reflection",
                state_iso3=iso3,
                presumed_victim=True,
                child=child,
                age_uncertain=child,
                owner_client_id=owner,
                owner_agency_id=CLIENTS[owner][0],
                child_protection_agency_id=cp_agency,
                reflection_started_at=T0,
                reflection_days=30,
                reflection_ends_at=T0 + timedelta(days=30),
                reflection_rule="CETS 197 Art. 13",
                created_by=f"{CLIENTS[owner][0]}/{owner}",
                created_at=T0,
                updated_at=T0,
            )
        )
        session.flush()
        session.add(
            CaseIntake(
                case_id=case_id,
                fields={"language": "Burmese", "age_uncertain": child},
                recorded_by=owner,
                recorded_at=T0,
            )
        )
        session.add(
            CaseConsent(
                case_id=case_id, use="services", granted=True, recorded_by=owner, recorded_at=T0
            )
        )
        session.add(CaseFollowUp(case_id=case_id, months=3, due_at=T0 + timedelta(days=91)))


def write_positions(run_dir: Path) -> Path:
    """A ``positions.parquet`` with a track of 412000005 across the antimeridian and a
    second transmitter sending 412000005 far south at the same hours."""
    run_dir.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        {
            "mmsi": ["412000005"] * 5 + ["412000001"] * 2,
            "track_id": [0, 0, 0, 1, 1, 0, 0],
            "timestamp": pd.to_datetime(
                ["2022-10-01T00:00Z", "2022-10-01T06:00Z", "2022-10-01T12:00Z"]
                + ["2022-10-01T00:00Z", "2022-10-01T06:00Z"]
                + ["2022-10-01T00:00Z", "2022-10-02T00:00Z"],
                utc=True,
            ),
            "lat": [10.0, 12.0, 13.0, -40.0, -40.1, -53.0, -53.16],
            "lon": [179.0, -179.0, -178.0, 170.0, 170.1, -70.0, -70.91],
        }
    )
    path = run_dir / "positions.parquet"
    frame.to_parquet(path, index=False)
    return path


def make_app(engine: object, run_dir: Path | None = None, **settings: Any) -> object:
    """The app on ``engine`` (already seeded), reading tracks from ``run_dir``, with any
    other ``settings``."""
    return create_app(
        Settings(run_dir=run_dir, database_url="sqlite://", **settings), engine=engine
    )


def seeded_sqlite_app(folder: Path) -> tuple[Engine, object, dict[str, object]]:
    """A migrated SQLite database in ``folder``, filled by :func:`seed`, and the app on
    it reading tracks from ``folder / "run"``: (engine, app, the ids :func:`seed` returns).

    The caller disposes of the engine.
    """
    engine = make_engine(f"sqlite:///{folder / 'db.sqlite'}")
    migrate(engine)
    with Session(engine) as session, session.begin():
        ids = seed(session)
    write_positions(folder / "run")
    return engine, make_app(engine, folder / "run"), ids


def record_inferred_flag_alert(engine: Engine) -> int:
    """Record 150400453 track 1 (no declared flag; CHN inferred from its name, 0.8) last
    out of PUNTA ARENAS, and a Chinese maritime authority; return the alert id."""
    from sqlalchemy import select

    from tests.builders import add_agency, record_inferred_alert
    from vessel_risk.db.tables import AlertRow

    record_inferred_alert(engine)
    with Session(engine) as s, s.begin():
        add_agency(s, "chn-msa", name="China MSA", country_iso3="CHN")
        return s.scalars(select(AlertRow.id).where(AlertRow.mmsi == "150400453")).one()


EVENTFUL_MMSI = "412000001"
"""The seeded vessel :func:`add_eventful_history` gives 60 more events and a track."""


def eventful_events() -> list[tuple[str, datetime]]:
    """The (kind, start) of the 60 events :func:`add_eventful_history` adds: every 5 days
    from 2022-01-01, a port visit every third (20), AIS gaps between (40); each 12 h."""
    t0 = datetime(2022, 1, 1, tzinfo=UTC)
    return [
        ("port_visit" if i % 3 == 0 else "ais_gap", t0 + timedelta(days=5 * i)) for i in range(60)
    ]


EVENTFUL_POSITIONS = pd.DataFrame(
    {
        "mmsi": [EVENTFUL_MMSI] * 5,
        "track_id": [0] * 5,
        "timestamp": pd.to_datetime(
            ["2022-10-01T00:00Z", "2022-10-01T06:00Z", "2022-10-01T12:00Z"]
            + ["2022-10-03T00:00Z", "2022-10-03T06:00Z"],
            utc=True,
        ),
        "lat": [-53.0, -52.0, -51.0, -45.0, -44.9],
        "lon": [-70.0, -69.0, -68.0, -60.0, -59.9],
        "distance_from_shore_km": [10.0, 20.0, 30.0, 400.0, 410.0],
        "distance_from_port_km": [1.0, 50.0, 100.0, 800.0, 820.0],
    }
)
"""A track of :data:`EVENTFUL_MMSI` with its distances (km): 3 positions 6 h apart, a
36-hour silence, then 2 more."""


def add_eventful_history(engine: Engine, run_dir: Path) -> None:
    """Give :data:`EVENTFUL_MMSI` (seeded by :func:`seed`) the events of
    :func:`eventful_events` on its current score, located off Chile, and write
    :data:`EVENTFUL_POSITIONS` as the run's ``positions.parquet``."""
    from sqlalchemy import select

    with Session(engine) as s, s.begin():
        score_id = s.scalars(select(AlertRow.score_id).where(AlertRow.mmsi == EVENTFUL_MMSI)).one()
        for i, (kind, start) in enumerate(eventful_events()):
            s.add(
                EvidenceEvent(
                    score_id=score_id,
                    kind=kind,
                    start=start,
                    end=start + timedelta(hours=12),
                    duration_h=12.0,
                    lat=-50.0 + i * 0.1,
                    lon=-75.0,
                    detail={"n": i},
                )
            )
    run_dir.mkdir(parents=True, exist_ok=True)
    EVENTFUL_POSITIONS.to_parquet(run_dir / "positions.parquet", index=False)


def add_vessel_year(
    session: Session,
    mmsi: str,
    year: int,
    port: str,
    iso3: str,
    flag: str,
    *,
    event: tuple[datetime, float, float] | None = None,
) -> int:
    """Another vessel-year of ``mmsi`` (track 0), medium (0.6), last out of ``port`` (in
    ``iso3``) under ``flag``, with its alert; ``event`` (start UTC, lat, lon) gives it a
    12-hour AIS gap as evidence. Return the alert id."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    period = VesselPeriod(
        mmsi=mmsi,
        year=year,
        start=start,
        end=start + timedelta(days=300),
        position_messages=3000,
        days_observed=150,
        features={},
        updated_at=T0,
    )
    session.add(period)
    session.flush()
    score = Score(
        vessel_period_id=period.id,
        model_version="indicator-baseline-1",
        score=0.6,
        tier="medium",
        rank=9,
        data_note="3000 positions on 150 days",
        indicators=[],
        scored_at=T0,
    )
    session.add(score)
    session.flush()
    if event is not None:
        at, lat, lon = event
        session.add(
            EvidenceEvent(
                score_id=score.id,
                kind="gap",
                start=at,
                end=at + timedelta(hours=12),
                duration_h=12.0,
                lat=lat,
                lon=lon,
                detail={"gap_class": "likely_disabling"},
            )
        )
    alert = AlertRow(
        vessel_period_id=period.id,
        score_id=score.id,
        mmsi=mmsi,
        year=year,
        shipname="VESSEL 1",
        flag_iso3=flag,
        score=0.6,
        tier="medium",
        rank=9,
        model_version="indicator-baseline-1",
        last_lat=35.1,
        last_lon=129.0,
        last_seen=start + timedelta(days=300),
        last_port_label=port,
        last_port_iso3=iso3,
        last_port_departure=start + timedelta(days=300),
        status="new",
        detail={"indicators": []},
        created_at=T0,
        updated_at=T0,
    )
    session.add(alert)
    session.flush()
    return alert.id
