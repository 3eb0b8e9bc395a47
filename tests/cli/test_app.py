"""The command line starts quickly: importing it loads no heavy library (issue 20).

How long ``vessel-risk --help`` takes is measured by ``benchmarks/bench_cli.py`` (a
benchmark, not a timed test); this checks the cause a slow start would have, in a fresh
interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.builders import ROOT
from vessel_risk.alerts.lifecycle import STATUSES
from vessel_risk.cli import alerts as cli_alerts

HEAVY = ("pandas", "numpy", "sklearn", "mlflow", "sqlalchemy", "lightgbm", "dask", "pyarrow")


def _fresh(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    loaded = json.loads(
        _fresh(
            "import sys, json, vessel_risk.cli.app; "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
        )
    )
    assert loaded == []


def test_help_lists_every_command_group() -> None:
    out = _fresh(
        "import sys; from typer.testing import CliRunner; from vessel_risk.cli import app; "
        "r = CliRunner().invoke(app, ['--help'], terminal_width=200); print(r.output); "
        "print('heavy:', [m for m in ('pandas', 'sqlalchemy') if m in sys.modules])"
    )
    for command in ("run", "train", "score", "serve", "info", "alerts", "notices"):
        assert f" {command} " in out
    assert "heavy: []" in out


def test_the_status_help_repeats_the_lifecycle() -> None:
    """The options' help text names the statuses without importing the alerts package."""
    assert cli_alerts.STATUSES == STATUSES


def test_a_mistyped_log_setting_is_a_clear_error(monkeypatch):
    from typer.testing import CliRunner

    from vessel_risk.cli import app

    monkeypatch.setenv("VESSEL_RISK_LOG_FORMAT", "xml")
    result = CliRunner().invoke(app, ["info"], terminal_width=200)
    assert result.exit_code == 2
    assert "VESSEL_RISK_LOG_FORMAT: Input should be 'auto', 'text' or 'json'" in result.output
    monkeypatch.setenv("VESSEL_RISK_LOG_FORMAT", "json")
    monkeypatch.setenv("VESSEL_RISK_LOG_LEVEL", "loud")
    result = CliRunner().invoke(app, ["info"], terminal_width=200)
    assert result.exit_code == 2
    assert "VESSEL_RISK_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR" in result.output


def test_help_paragraphs_wrap_at_the_terminal_not_at_the_source_lines(monkeypatch) -> None:
    from typer.testing import CliRunner

    from vessel_risk.cli import app
    from vessel_risk.cli.terminal import reflow

    monkeypatch.setenv("COLUMNS", "200")  # rich reads the width from the environment
    wide = CliRunner().invoke(app, ["run", "--help"]).output
    # one source paragraph of three lines prints as one line on a wide terminal
    assert "either way the stages run one partition of vessels at a time, so input" in wide
    monkeypatch.setenv("COLUMNS", "60")
    narrow = CliRunner().invoke(app, ["ingest", "--help"]).output
    assert max(len(line) for line in narrow.splitlines()) <= 60
    assert reflow("First.\n\n    Two\n    lines.\n\n\n    Third.\f\n    hidden") == (
        "First.\n\nTwo lines.\n\nThird."
    )
