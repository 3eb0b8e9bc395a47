"""Shared builders and paths for the tests.

Tests that need the real public data read it from ``../shared`` beside the checkout
and skip, saying why, where it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

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
