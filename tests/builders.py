"""Tiny builders shared by the tests, and the paths of the shared public data.

Builders make the smallest input a test needs, with hand-set values a reader can
check: an AIS position report (:func:`ping`), a track of them (:func:`make_track`),
enriched positions as the event detectors read them (:func:`track_frame`, stacked by
:func:`fleet`), an alert (:func:`make_alert`), referral notices in the database
(:func:`make_notices`), a recorded run (:func:`record_alerts`), and for the delivery
outbox an agency (:func:`add_agency`), queued deliveries (:func:`queued`) and a
de-duplicating receiver (:class:`FakeTransport`). Fixtures that wrap them live in
``conftest.py``; the API's hand-made database lives in ``apikit.py``.

Tests that need the real public data read it from ``../shared`` beside the checkout
(or from ``VESSEL_RISK_TEST_SHARED``) and skip, saying why, where it is absent.
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from vessel_risk.alerts.build import Alert
    from vessel_risk.db.tables import Agency, Delivery
    from vessel_risk.delivery.transports import OutboundMessage, SendResult

# The package is imported inside the builders, not here: a package that fails to import
# then fails the tests that use it, and test_architecture still names the cause.

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VESSEL_RISK_TEST_SHARED") or ROOT.parent / "shared")
CASES = SHARED / "cases"
DATA = SHARED / "data"
SQUID = ("data", "ais", "squid_jiggers_2020_2023.parquet")

# Hand-placed places of the port table below (lat, lon).
PORT_B = (5.35, 103.2)  # PORT B, Malaysia: 5.5 km off the coast
SEA = (5.5, 104.0)  # open sea off Malaysia, 76 km from shore and 90.2 km from PORT B


def shared_file(*parts: str) -> Path:
    """A file under ../shared, or skip the test saying it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the shared data beside the checkout")
    return path


# --- AIS input -------------------------------------------------------------------------


def ping(
    mmsi: str, t: str, lat: float, lon: float, sog: float = 5.0, **extra: object
) -> dict[str, object]:
    """One canonical AIS position report."""
    return {
        "mmsi": mmsi,
        "timestamp": t,
        "lat": lat,
        "lon": lon,
        "speed_knots": sog,
        "course": 90.0,
        "heading": 90.0,
        **extra,
    }


def make_track(
    mmsi: str,
    start: str,
    points: list[tuple[float, float]],
    step_min: float = 60.0,
    sog: float = 5.0,
) -> list[dict[str, object]]:
    """Rows for a vessel visiting ``points`` (lat, lon) every ``step_min`` minutes."""
    t0 = pd.Timestamp(start)
    return [
        ping(mmsi, (t0 + pd.Timedelta(minutes=step_min * i)).isoformat(), la, lo, sog)
        for i, (la, lo) in enumerate(points)
    ]


def write_csv(tmp_path: Path, rows: list[dict[str, object]], name: str = "track.csv") -> Path:
    """Write canonical rows to a CSV in ``tmp_path`` and return its path."""
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def make_port_table() -> pd.DataFrame:
    """Two hand-placed ports: SONGKHLA (THA) and PORT B (MYS)."""
    return pd.DataFrame(
        {
            "port_label": pd.array(["SONGKHLA", "PORT B"], dtype="string"),
            "port_iso3": pd.array(["THA", "MYS"], dtype="string"),
            "lat": [7.2688, PORT_B[0]],
            "lon": [100.6238, PORT_B[1]],
        }
    )


def run_pipeline(tmp_path: Path, rows: list[dict[str, object]], ports: pd.DataFrame, **kw):
    """``pipeline.process`` on ``rows`` written to a CSV, with the shore grid and ``ports``."""
    from vessel_risk.geo.shore import ShoreDistance
    from vessel_risk.ingest import read_many
    from vessel_risk.pipeline import process

    return process(read_many([write_csv(tmp_path, rows)]), shore=ShoreDistance(), ports=ports, **kw)


# --- Enriched positions, as the event detectors read them -------------------------------


def track_frame(
    mmsi: str,
    start: str,
    n: int,
    every: str,
    lat: float | list[float],
    lon: float | list[float],
    sog: float = 0.5,
    shore: float = 300.0,
    port: float = 500.0,
    dlon: float = 0.0,
) -> pd.DataFrame:
    """``n`` positions of ``mmsi`` every ``every`` (a pandas frequency) from ``start``.

    Positions carry ``distance_from_shore_km`` (``shore``), ``distance_from_port_km``
    (``port``) and ``in_port`` (within GFW's 3 km entry distance); the longitude moves
    ``dlon`` degrees per row, wrapped to [-180, 180).
    """
    t = pd.date_range(start, periods=n, freq=every, tz="UTC")
    return pd.DataFrame(
        {
            "mmsi": mmsi,
            "timestamp": t.astype("datetime64[ns, UTC]"),
            "lat": lat,
            "lon": (lon + np.arange(n) * dlon + 540.0) % 360.0 - 180.0,
            "speed_knots": sog,
            "distance_from_shore_km": shore,
            "distance_from_port_km": port,
            "in_port": port <= 3.0,
        }
    )


def fleet(*tracks: pd.DataFrame) -> pd.DataFrame:
    """Tracks of one or more vessels stacked, sorted by vessel and time, on a fresh index."""
    return pd.concat(tracks).sort_values(["mmsi", "timestamp"]).reset_index(drop=True)


# --- Alerts, runs and notices ----------------------------------------------------------


def make_alert(
    mmsi: str = "412000001",
    year: int = 2022,
    score: float = 0.8,
    tier: str = "high",
    *,
    rank: int = 1,
    flag_iso3: str | None = "CHN",
    last_lat: float | None = -53.16,
    last_lon: float | None = -70.91,
    model_version: str = "indicator-baseline-1",
    shipname: str | None = "HAI YANG 7",
    **identity: object,
) -> Alert:
    """An alert with one indicator (long voyages) and hand-set values; ``identity`` sets
    ``track_id``, ``vessel_id``, ``vessel_class`` and the ``flag_inferred_*`` fields."""
    from vessel_risk.alerts.build import Alert, IndicatorEvidence

    return Alert(
        rank=rank,
        mmsi=mmsi,
        year=year,
        shipname=shipname,
        flag_iso3=flag_iso3,
        mmsi_valid=True,
        iuu_listed=False,
        score=score,
        tier=tier,
        model_version=model_version,
        position_messages=5000,
        days_observed=200,
        first_seen=datetime(year, 1, 3, tzinfo=UTC),
        last_seen=datetime(year, 11, 20, 6, tzinfo=UTC),
        last_lat=last_lat,
        last_lon=last_lon,
        data_note="5000 positions on 200 days",
        indicators=[
            IndicatorEvidence(
                name="long_voyages",
                feature="max_voyage_duration_hours",
                value=4800.0,
                contribution=0.6,
                reason="longest voyage 200 days at sea",
                ilo_indicator="isolation",
                source="McDonald et al. 2021",
            )
        ],
        **identity,  # type: ignore[arg-type]
    )


def make_visits() -> pd.DataFrame:
    """Port visits of 412000001 in 2022: PUNTA ARENAS in March, BUSAN in December."""
    return pd.DataFrame(
        {
            "mmsi": ["412000001", "412000001"],
            "port_label": ["PUNTA ARENAS", "BUSAN"],
            "port_iso3": ["CHL", "KOR"],
            "start": pd.to_datetime(["2022-03-01", "2022-12-20"], utc=True),
            "end": pd.to_datetime(["2022-03-04", "2022-12-24"], utc=True),
            "duration_h": [72.0, 96.0],
        }
    )


def make_gaps() -> pd.DataFrame:
    """One likely-disabling 48 h AIS gap of 412000001, far offshore in June 2022."""
    return pd.DataFrame(
        {
            "mmsi": ["412000001"],
            "start": pd.to_datetime(["2022-06-01 00:00"], utc=True),
            "end": pd.to_datetime(["2022-06-03 00:00"], utc=True),
            "duration_h": [48.0],
            "start_lat": [-45.0],
            "start_lon": [-60.0],
            "end_lat": [-45.5],
            "end_lon": [-60.2],
            "distance_km": [58.0],
            "distance_from_shore_km": [420.0],
            "positions_12h_before": [30],
            "area_messages_per_day": [900],
            "gap_class": ["likely_disabling"],
        }
    )


def identity_frame(mmsi: str, *, shipname: str, callsign: str) -> pd.DataFrame:
    """The identity history of ``mmsi``: one ship name and one call sign, 40 messages
    each, broadcast from 3 January to 20 November 2022."""
    return pd.DataFrame(
        {
            "mmsi": [mmsi, mmsi],
            "field": ["shipname", "callsign"],
            "value": [shipname, callsign],
            "first_seen": pd.to_datetime(["2022-01-03", "2022-01-03"], utc=True),
            "last_seen": pd.to_datetime(["2022-11-20", "2022-11-20"], utc=True),
            "messages": [40, 40],
        }
    )


HOSTILE_NAME = "<img src=x onerror=alert(1)>"
"""A ship name written to run script where it is rendered as HTML."""
HOSTILE_CALLSIGN = '"><svg onload=alert(2)>'
"""A call sign written to leave an attribute and run script."""
HOSTILE_MMSI = "412000066"


def record_hostile_alert(engine: Engine, *, shipname: str = HOSTILE_NAME) -> None:
    """Record :data:`HOSTILE_MMSI` broadcasting ``shipname`` and :data:`HOSTILE_CALLSIGN`,
    the top alert (0.99, high) of 2022, last out of PUNTA ARENAS (CHL), at 40°S 60°W."""
    alert = make_alert(
        mmsi=HOSTILE_MMSI, score=0.99, shipname=shipname, last_lat=-40.0, last_lon=-60.0
    )
    record_alerts(
        engine,
        [alert],
        visits=make_visits().assign(mmsi=HOSTILE_MMSI),
        identity=identity_frame(HOSTILE_MMSI, shipname=shipname, callsign=HOSTILE_CALLSIGN),
    )


def record_inferred_alert(engine: Engine, **kw: Any) -> None:
    """Record 150400453 track 1 (no declared flag; CHN inferred from its name with 0.8),
    last out of PUNTA ARENAS (CHL)."""
    alert = make_alert(
        mmsi="150400453",
        flag_iso3=None,
        track_id=1,
        flag_inferred_iso3="CHN",
        flag_inferred_source="name_pattern:china_provincial",
        flag_inferred_confidence=0.8,
        **kw,
    )
    record_alerts(engine, [alert], visits=make_visits().assign(mmsi="150400453", track_id=1))


def record_alerts(
    engine: Engine,
    alerts: list[Alert],
    visits: pd.DataFrame | None = None,
    identity: pd.DataFrame | None = None,
) -> int:
    """Record a run of ``alerts`` in the database with :func:`make_visits` (or ``visits``)
    and :func:`make_gaps` as evidence, and 412000001's name and call sign (or the identity
    history ``identity``); return the run's id."""
    from sqlalchemy.orm import Session

    from vessel_risk.alerts.evidence import evidence_events
    from vessel_risk.alerts.persistence import record_run

    visits = make_visits() if visits is None else visits
    empty = pd.DataFrame(columns=["mmsi", "start", "end", "duration_h", "lat", "lon"])
    evidence = evidence_events(visits, make_gaps(), empty, empty)
    features = pd.DataFrame(
        {
            "mmsi": [a.mmsi for a in alerts],
            "track_id": [a.track_id for a in alerts],
            "year": [a.year for a in alerts],
            "gear": "squid_jigger",
        }
    )
    if identity is None:
        identity = identity_frame("412000001", shipname="HAI YANG 7", callsign="BZAB7")
    with Session(engine) as s, s.begin():
        return record_run(
            s,
            alerts=alerts,
            features=features,
            evidence=evidence,
            identity=identity,
            visits=visits,
            inputs=["test.csv"],
            model_version=alerts[0].model_version,
            counts={"rows_in": 10},
        )


def make_notices(session, n: int, *, mmsi: str = "412000001", status: str = "approved") -> list:
    """``n`` referral notices on one hand-made alert (vessel, vessel-year, score, alert).

    The payload holds vessel-level fields only, as a notice does: no crew personal data.
    """
    from vessel_risk.db.tables import AlertRow, ReferralNotice, Score, Vessel, VesselPeriod

    t = datetime(2022, 11, 20, 6, tzinfo=UTC)
    session.add(
        Vessel(mmsi=mmsi, shipname="HAI YANG 7", flag_iso3="CHN", mmsi_valid=True, updated_at=t)
    )
    period = VesselPeriod(
        mmsi=mmsi,
        year=2022,
        start=datetime(2022, 1, 3, tzinfo=UTC),
        end=t,
        position_messages=5000,
        days_observed=200,
        features={},
        updated_at=t,
    )
    session.add(period)
    session.flush()
    score = Score(
        vessel_period_id=period.id,
        model_version="indicator-baseline-1",
        score=0.8,
        tier="high",
        rank=1,
        data_note="5000 positions on 200 days",
        indicators=[],
        scored_at=t,
    )
    session.add(score)
    session.flush()
    alert = AlertRow(
        vessel_period_id=period.id,
        score_id=score.id,
        mmsi=mmsi,
        year=2022,
        shipname="HAI YANG 7",
        flag_iso3="CHN",
        score=0.8,
        tier="high",
        rank=1,
        model_version="indicator-baseline-1",
        last_seen=t,
        status="referred",
        detail={},
        created_at=t,
        updated_at=t,
    )
    session.add(alert)
    session.flush()
    notices = [
        ReferralNotice(
            id=f"00000000-0000-4000-8000-{i:012d}",
            alert_id=alert.id,
            score_id=score.id,
            mmsi=mmsi,
            status=status,
            created_by="reviewer@tha",
            created_at=t,
            reflection_period_days=30,
            payload={
                "mmsi": mmsi,
                "shipname": "HAI YANG 7",
                "flag_iso3": "CHN",
                "score": 0.8,
                "tier": "high",
                "model_version": "indicator-baseline-1",
                "sequence": i,
            },
        )
        for i in range(n)
    ]
    session.add_all(notices)
    session.flush()
    return notices


# --------------------------------------------------------------------------- delivery

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
"""The fixed time deliveries are queued at."""
OLD = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW = "whsec_" + base64.b64encode(b"n" * 32).decode()


def add_agency(s: Session, id_: str = "tha-md", transport: str = "webhook", **kw) -> Agency:
    """A Thai maritime authority reached by ``transport``, signing with ``NEW``."""
    from vessel_risk.db.tables import Agency

    agency = Agency(
        id=id_,
        name=kw.pop("name", "Thai Marine Department"),
        country_iso3=kw.pop("country_iso3", "THA"),
        role=kw.pop("role", "maritime_authority"),
        transport=transport,
        endpoint_url=kw.pop("endpoint_url", "http://127.0.0.1:9/hook"),
        secrets=kw.pop("secrets", [NEW]),
        **kw,
    )
    s.add(agency)
    s.flush()
    return agency


class FakeTransport:
    """Answers from a script per delivery id (default 200); a de-duplicating receiver."""

    def __init__(self, script: dict[str, list[SendResult]] | None = None) -> None:
        self.script = script or {}
        self.sent: list[OutboundMessage] = []
        self.seen: set[str] = set()

    def send(self, message: OutboundMessage) -> SendResult:
        from vessel_risk.delivery.transports import SendResult

        self.sent.append(message)
        queue = self.script.get(message.delivery_id)
        if queue:
            return queue.pop(0)
        if message.delivery_id in self.seen:
            return SendResult(409, "already have it")
        self.seen.add(message.delivery_id)
        return SendResult(200)


def queued(engine: Engine, n: int = 1, transport: str = "webhook") -> list[str]:
    """The delivery ids of ``n`` approved notices queued at ``T0`` for one agency."""
    from sqlalchemy.orm import Session

    from vessel_risk.delivery.outbox import enqueue

    with Session(engine) as s, s.begin():
        notices = make_notices(s, n)
        agency = add_agency(s, transport=transport)
        return [enqueue(s, nt, [(agency, "flag_state")], now=T0)[0].id for nt in notices]


def load_row(engine: Engine, id_: str) -> Delivery:
    """The outbox row ``id_`` as it is in the database now, detached."""
    from sqlalchemy.orm import Session

    from vessel_risk.db.tables import Delivery

    with Session(engine) as s:
        row = s.get(Delivery, id_)
        s.expunge(row)
        return row


# --------------------------------------------------------------------------- CLI


def cli_output(*args: str) -> str:
    """The output of ``vessel-risk ARGS``, which must succeed (exit code 0)."""
    from typer.testing import CliRunner

    from vessel_risk.cli import app

    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


# --------------------------------------------------------------------------- cases (issue 17)


def add_case(
    s: Session,
    case_id: str,
    *,
    fields: dict[str, Any],
    consents: dict[str, bool],
    state_iso3: str = "PHL",
    child: bool = False,
    retain_until: datetime | None = None,
) -> Any:
    """A presumed victim's case in reflection, its intake ``fields`` and ``consents``.

    Built directly from the tables (the case store is another module's); the case
    opens at ``T0`` with a 30-day reflection period.
    """
    from datetime import timedelta

    from vessel_risk.db.tables import Case, CaseConsent, CaseIntake

    case = Case(
        id=case_id,
        entry_point="boarding",
        state="reflection",
        state_iso3=state_iso3,
        presumed_victim=True,
        child=child,
        age_uncertain=child,
        owner_client_id="caseworker-phl",
        owner_agency_id="phl-dswd",
        reflection_started_at=T0,
        reflection_days=30,
        reflection_ends_at=T0 + timedelta(days=30),
        retain_until=retain_until,
        created_by="caseworker@phl",
        created_at=T0,
        updated_at=T0,
    )
    s.add(case)
    s.flush()
    s.add(CaseIntake(case_id=case_id, fields=fields, recorded_by="caseworker@phl", recorded_at=T0))
    for i, (use, granted) in enumerate(consents.items()):
        s.add(
            CaseConsent(
                case_id=case_id,
                use=use,
                granted=granted,
                interpreter_language="id",
                recorded_by="caseworker@phl",
                recorded_at=T0 + timedelta(seconds=i),
            )
        )
    s.flush()
    return case


# --- issue 17 cases (s17case): intake forms, the agencies a case meets, a local stand-in
# for s17route's delivery functions until they are merged.


def make_intake(**kw: Any) -> Any:
    """An intake form of an adult fisher screened in Thailand through a Thai interpreter:
    two ILO indicators present, consents to services and referral; ``kw`` overrides."""
    from vessel_risk.referral.screening import IntakeForm

    base: dict[str, Any] = {
        "entry_point": "boarding",
        "state_iso3": "THA",
        "language": "my",
        "interpreter_language": "th",
        "indicators": {"withholding_of_wages": True, "isolation": True, "deception": False},
        "needs": ["shelter", "legal"],
        "consents": {"services": True, "referral": True},
    }
    return IntakeForm(**{**base, **kw})


def add_case_agencies(s: Session, *, idn_days: int | None = None) -> None:
    """The agencies a case meets: the case worker's NGO (THA, webhook), Thai social
    welfare and child protection, Indonesian social welfare (``idn_days`` its reflection
    period) and child protection, Myanmar's NRM (a transfer's receiver)."""
    add_agency(s, "tha-ngo", role="ngo", name="Port welfare NGO")
    add_agency(s, "tha-sw", role="social_welfare", name="Thai social welfare")
    add_agency(s, "tha-cp", transport="manual", role="child_protection", name="Thai CFH")
    add_agency(
        s,
        "idn-sw",
        role="social_welfare",
        country_iso3="IDN",
        name="Dinsos",
        reflection_period_days=idn_days,
    )
    add_agency(s, "idn-cp", role="child_protection", country_iso3="IDN", name="KPAI")
    add_agency(s, "mmr-nrm", role="nrm_case_system", country_iso3="MMR", name="Myanmar NRM")


# --- A registered champion (issue 20: models that travel with the package) ---------------


def register_champion(uri: str | Path, like: pd.DataFrame | None = None) -> str:
    """Train a tiny PU model on pipeline features of a synthetic fleet, promote it.

    Small (3 bags of 30 trees, 200 vessels): a champion for tests of where the registry
    is found and how the served model answers, not for its skill. Promoted with
    ``force`` (the guard's verdict on a tiny model is not what these tests check).
    With ``like`` (a run's vessel-year features), the fleet's features are those rows,
    resampled with a x0.7-1.4 jitter, so that the model's training domain covers them
    and it applies to them; the labels stay the fleet's.

    Returns
    -------
    str
        The champion's version.
    """
    from vessel_risk.features.catalogue import PIPELINE_FEATURES
    from vessel_risk.model.registry import promote, train
    from vessel_risk.model.simulate import simulate_fleet
    from vessel_risk.pipeline.serving import serve_frame

    fleet = simulate_fleet(200, positive_share=0.1, labelled_share=0.5, random_state=3)
    if like is not None:
        rng = np.random.default_rng(0)
        rows = like.iloc[np.arange(len(fleet)) % len(like)].reset_index(drop=True)
        for name in PIPELINE_FEATURES:
            values = rows[name].astype("float64") * rng.uniform(0.7, 1.4, len(fleet))
            fleet[name] = values.round() if name == "position_messages" else values
    train(
        fleet,
        list(PIPELINE_FEATURES),
        uri=str(uri),
        params={"n_bags": 3, "n_estimators": 30, "random_state": 0},
        n_splits=3,
        data_source="simulated fleet (tests.builders.register_champion)",
        serve=serve_frame,
    )
    return promote(str(uri), force=True, reason="tiny test model")


SLICE_MMSIS = ("150000863", "150204138", "150400453")
"""Three squid jiggers of the shared file with 1,900 to 3,400 messages a year."""


def squid_slice(
    path: Path, mmsis: tuple[str, ...] = SLICE_MMSIS, *, drop_nnet_score: bool = True
) -> Path:
    """A small real slice of the squid-jigger file: the vessels ``mmsis`` (13,000 rows).

    Without GFW's ``nnet_score`` by default, so that fishing is scored by the
    classifier shipped with the package (or the speed heuristic when none is found).
    Skips the test when the shared data is absent.
    """
    squid = shared_file(*SQUID)
    frame = pd.read_parquet(squid)
    part = frame[frame["mmsi"].astype(str).isin(mmsis)]
    if drop_nnet_score:
        part = part.drop(columns=["nnet_score"])
    path.parent.mkdir(parents=True, exist_ok=True)
    part.to_parquet(path, index=False)
    return path


def add_subscriber(
    s: Session,
    agency_id: str = "cl-dgtm",
    client_id: str = "cl-inspector",
    *,
    role: str = "port_inspector",
    ports: tuple[str, ...] = ("PUNTA ARENAS",),
    countries: tuple[str, ...] = (),
) -> None:
    """A Chilean port-inspection agency in the directory (manual transport: it receives
    nothing but its subscriptions) and its API client, scoped to ``ports``."""
    from vessel_risk.api.access import create_client
    from vessel_risk.db.tables import Agency

    s.add(
        Agency(
            id=agency_id,
            name="Port inspection, Punta Arenas",
            country_iso3="CHL",
            role="port_inspection",
            transport="manual",
        )
    )
    s.flush()
    create_client(
        s,
        client_id=client_id,
        agency_id=agency_id,
        role=role,
        countries=list(countries),
        ports=list(ports),
        actor="test",
        key=f"key-{client_id}",
    )


def add_arrival(
    s: Session, alert: Any, port_label: str, port_iso3: str, eta: datetime, **kw: Any
) -> Any:
    """An ``expected`` arrival of ``alert``'s vessel at ``port_label`` at ``eta`` (UTC),
    predicted from its history, with a ±6 h interval."""
    from datetime import timedelta

    from vessel_risk.db.tables import ExpectedArrival

    row = ExpectedArrival(
        mmsi=alert.mmsi,
        track_id=alert.track_id,
        vessel_id=alert.vessel_id,
        alert_id=alert.id,
        port_label=port_label,
        port_iso3=port_iso3,
        eta=eta,
        eta_low=eta - timedelta(hours=6),
        eta_high=eta + timedelta(hours=6),
        method=kw.pop("method", "history"),
        confidence=kw.pop("confidence", 0.7),
        detail=kw.pop("detail", {}),
        predicted_at=kw.pop("predicted_at", eta - timedelta(days=3)),
        status=kw.pop("status", "expected"),
        created_at=eta - timedelta(days=3),
        updated_at=eta - timedelta(days=3),
        **kw,
    )
    s.add(row)
    s.flush()
    return row


def outside_ciphertext(raw: object) -> str:
    """``str(raw)`` with every Fernet token cut out, to look for plain text at rest.

    A token is random URL-safe base64, so a short plain value ("MMR") turns up inside one
    now and then (CI failed on it once in ~700 runs); the plain text must be absent from
    the rest.
    """
    import re

    return re.sub(r"gAAAAA[A-Za-z0-9_\-]+=*", "<token>", str(raw))
