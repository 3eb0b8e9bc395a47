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
    assert "at most" in text and "MiB in a worker; 1 worker ran partitions." in text
    assert len(pd.read_csv(out / "alerts.csv")) > 0


def test_a_store_and_outputs_at_memory_urls_give_the_local_run(tmp_path):
    """`ingest --store memory://...` then `run --store memory://... --out memory://...`:
    every table, the counts and alerts.csv equal the run on local paths; a second
    ingest into the same URL is refused."""
    import uuid

    import fsspec

    from tests.builders import squid_slice

    ais = squid_slice(tmp_path / "slice.parquet")
    runner = CliRunner()
    base = f"memory://vr-run-{uuid.uuid4().hex}"
    fs = fsspec.filesystem("memory")
    try:
        for store in (str(tmp_path / "store"), f"{base}/store"):
            done = runner.invoke(app, ["ingest", str(ais), "--store", store])
            assert done.exit_code == 0, done.output
        again = runner.invoke(app, ["ingest", str(ais), "--store", f"{base}/store"])
        assert again.exit_code != 0 and "is not empty" in again.output
        local = runner.invoke(
            app,
            ["run", "--store", str(tmp_path / "store"), "--out", str(tmp_path / "o"), "--baseline"],
        )
        assert local.exit_code == 0, local.output
        remote = runner.invoke(
            app, ["run", "--store", f"{base}/store", "--out", f"{base}/out", "--baseline"]
        )
        assert remote.exit_code == 0, remote.output
        assert f"Report: {base}/out/report.html" in " ".join(remote.output.split())
        fs.get(f"{base}/out", str(tmp_path / "fetched"), recursive=True)
        fetched = tmp_path / "fetched"
        tables = sorted(p.name for p in (tmp_path / "o").glob("*.parquet"))
        assert len(tables) >= 10 and tables == sorted(p.name for p in fetched.glob("*.parquet"))
        for name in tables:
            pd.testing.assert_frame_equal(
                pd.read_parquet(fetched / name), pd.read_parquet(tmp_path / "o" / name), rtol=1e-9
            )
        alerts = (tmp_path / "o" / "alerts.csv").read_bytes()
        assert len(alerts.splitlines()) > 1 and (fetched / "alerts.csv").read_bytes() == alerts
        assert (fetched / "vessel_risk.db").is_file() and (fetched / "report.html").is_file()
    finally:
        if fs.exists(base):
            fs.rm(base, recursive=True)


def test_the_summary_says_how_many_of_the_workers_ran_partitions():
    from vessel_risk.cli.run import _workers_ran

    assert _workers_ran(1, 2, 1) == "1 of 2 workers ran partitions (the store has 1 partition)"
    assert _workers_ran(2, 3, 4) == "2 of 3 workers ran partitions"
    assert _workers_ran(2, 2, 4) == "2 workers ran partitions"
    assert _workers_ran(1, None, 1) == "1 worker ran partitions"
