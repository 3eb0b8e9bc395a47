"""Fixtures shared by the tests: the port table, an empty model registry, the
squid-jigger run and a migrated database. The builders they use are in ``builders.py``.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest
from sqlalchemy import text

from tests.builders import (
    CASES,
    DATA,
    ROOT,
    SHARED,
    SQUID,
    make_alert,
    make_notices,
    make_port_table,
    make_track,
    ping,
    shared_file,
    write_csv,
)

# Builders re-exported while tests of other packages still import them from here;
# import them from ``tests.builders``.
__all__ = [
    "CASES",
    "DATA",
    "ROOT",
    "SHARED",
    "SQUID",
    "make_alert",
    "make_notices",
    "make_track",
    "ping",
    "shared_file",
    "write_csv",
]


@pytest.fixture
def port_table() -> pd.DataFrame:
    """Two hand-placed ports: SONGKHLA (THA) and PORT B (MYS)."""
    return make_port_table()


@pytest.fixture(autouse=True, scope="session")
def _empty_model_registry(tmp_path_factory):
    """Point the MLflow registry at an empty temporary folder: tests never read or write
    ``models/`` in the checkout, and `vessel-risk run` scores with the baseline unless a
    test promotes a champion in its own folder."""
    mp = pytest.MonkeyPatch()
    mp.setenv("VESSEL_RISK_MLFLOW_TRACKING_URI", str(tmp_path_factory.mktemp("registry")))
    yield
    mp.undo()


@pytest.fixture(autouse=True, scope="session")
def _empty_reference_dir(tmp_path_factory):
    """Point the user reference folder at an empty temporary folder: tests read the
    shipped reference tables (MID, call-sign series, name patterns), never a copy the
    developer refreshed, and never write to the real one."""
    mp = pytest.MonkeyPatch()
    mp.setenv("VESSEL_RISK_REFERENCE_DIR", str(tmp_path_factory.mktemp("reference")))
    yield
    mp.undo()


@pytest.fixture(autouse=True, scope="session")
def _validate_frames():
    """Every frame is checked against its schema where it leaves its stage (the debug
    mode of ``RunConfig.validate_frames``), in every test that runs the pipeline."""
    mp = pytest.MonkeyPatch()
    mp.setenv("VESSEL_RISK_VALIDATE_FRAMES", "1")
    yield
    mp.undo()


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
    from vessel_risk.db.engine import make_engine, migrate

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
