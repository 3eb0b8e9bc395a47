"""`vessel-risk run --scheduler/--workers`: where the partitions run, and clear errors."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.builders import shared_file
from vessel_risk.cli import app


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--scheduler", "threads"], "--scheduler must be 'sync', 'processes' or a Dask"),
        (["--workers", "2"], "--workers sets the size of the local cluster"),
        (["--scheduler", "processes", "--workers", "0"], "--workers must be a whole number"),
    ],
)
def test_a_bad_scheduler_option_fails_before_any_work(tmp_path, options, message):
    ais = shared_file("cases", "C02_mmsi_forms.csv")
    result = CliRunner().invoke(
        app, ["run", "--ais", str(ais), "--out", str(tmp_path / "o"), *options]
    )
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {message}")
    assert not (tmp_path / "o").exists()


def test_a_run_on_a_local_cluster_shows_progress_and_worker_memory(tmp_path):
    ais = shared_file("cases", "C02_mmsi_forms.csv")
    out = tmp_path / "o"
    args = ["run", "--ais", str(ais), "--out", str(out), "--baseline"]
    result = CliRunner().invoke(app, [*args, "--scheduler", "processes", "--workers", "1"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Partitions run on processes (1 worker)" in text
    assert "first pass (vessel partitions)" in text and "second pass" in text
    assert "at most" in text and "MiB in each of 1 worker." in text
    assert len(pd.read_csv(out / "alerts.csv")) > 0
