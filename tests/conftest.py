"""Shared builders and paths for the tests.

Tests that need the real public data read it from ``../shared`` beside the checkout
and skip, saying why, where it is absent.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from vessel_risk.alerts.build import Alert, IndicatorEvidence
from vessel_risk.db.engine import make_engine, migrate

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CASES = SHARED / "cases"
DATA = SHARED / "data"


def shared_file(*parts: str) -> Path:
    """A file under ../shared, or skip the test saying it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the shared data beside the checkout")
    return path


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


def write_csv(tmp_path: Path, rows: list[dict[str, object]], name: str = "track.csv") -> Path:
    """Write canonical rows to a CSV in ``tmp_path`` and return its path."""
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


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


@pytest.fixture
def port_table() -> pd.DataFrame:
    """Two hand-placed ports: SONGKHLA (THA) and PORT B (MYS)."""
    return pd.DataFrame(
        {
            "port_label": pd.array(["SONGKHLA", "PORT B"], dtype="string"),
            "port_iso3": pd.array(["THA", "MYS"], dtype="string"),
            "lat": [7.2688, 5.35],
            "lon": [100.6238, 103.2],
        }
    )


@pytest.fixture(autouse=True, scope="session")
def _empty_model_registry(tmp_path_factory):
    """Point the MLflow registry at an empty temporary folder: tests never read or write
    ``models/`` in the checkout, and `vessel-risk run` scores with the baseline unless a
    test promotes a champion in its own folder."""
    mp = pytest.MonkeyPatch()
    mp.setenv("VESSEL_RISK_MLFLOW_TRACKING_URI", str(tmp_path_factory.mktemp("registry")))
    yield
    mp.undo()


SQUID = ("data", "ais", "squid_jiggers_2020_2023.parquet")


@pytest.fixture(scope="session")
def squid_run(tmp_path_factory):
    """`vessel-risk run` once on the real squid-jigger file with GFW's anchorages and
    the IUU list: (output folder, printed output)."""
    from typer.testing import CliRunner

    from vessel_risk.cli import app

    ais = shared_file(*SQUID)
    ports = shared_file("data", "ports", "gfw_named_anchorages.csv.gz")
    iuu = shared_file("data", "vessels", "combined_iuu_list_2026-04.csv")
    out = tmp_path_factory.mktemp("squid")
    args = ["run", "--ais", str(ais), "--out", str(out), "--ports", str(ports)]
    result = CliRunner().invoke(app, [*args, "--iuu-list", str(iuu)])
    assert result.exit_code == 0, result.output
    return out, result.output


POSTGRES_URL = os.environ.get("VESSEL_RISK_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A migrated, empty database: SQLite in ``tmp_path``, then PostgreSQL.

    PostgreSQL runs where ``VESSEL_RISK_TEST_POSTGRES_URL`` is set (``.ci/run`` sets it
    with ``eval "$(.ci/postgres)"``); elsewhere those tests skip, saying so, except
    under CI, where a missing server is a failure.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'vessel_risk.db'}"
    else:
        if not POSTGRES_URL:
            message = 'PostgreSQL tests need VESSEL_RISK_TEST_POSTGRES_URL: eval "$(.ci/postgres)"'
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        url = POSTGRES_URL
        reset = make_engine(url)
        with reset.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        reset.dispose()
    eng = make_engine(url)
    migrate(eng)
    yield eng
    eng.dispose()


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
) -> Alert:
    """An alert with one indicator (long voyages) and hand-set values."""
    return Alert(
        rank=rank,
        mmsi=mmsi,
        year=year,
        shipname="HAI YANG 7",
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
