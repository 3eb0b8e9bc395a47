"""`vessel-risk monitoring`: the mechanism's figures from the command line (issue 18)."""

from __future__ import annotations

import csv

from typer.testing import CliRunner

from tests.builders import cli_output
from tests.mechanism import EXPECTED, build_mechanism
from vessel_risk.cli import app
from vessel_risk.db.engine import make_engine, migrate
from vessel_risk.referral.monitoring import COLUMNS


def test_prints_every_figure_and_writes_the_csv(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'vr.db'}"
    engine = make_engine(url)
    migrate(engine)
    build_mechanism(engine)
    engine.dispose()
    monkeypatch.setenv("VESSEL_RISK_DATABASE_URL", url)
    out = cli_output(
        "monitoring", "--from", "2025-01-01", "--to", "2025-12-31",
        "--csv", str(tmp_path / "m.csv"), "--as", "iacat/coordinator",
    )  # fmt: skip
    lines = {line.split("│")[2].strip(): line for line in out.splitlines() if line.count("│") > 4}
    for fid, value in EXPECTED.items():
        cells = [c.strip() for c in lines[fid].split("│")]
        assert float(cells[3]) == value, fid
    assert [c.strip() for c in lines["persons_screened"].split("│")][5] == "5"
    with open(tmp_path / "m.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(COLUMNS)
    assert f"{len(rows)} rows written to" in " ".join(out.split())


def test_bad_dates_are_refused(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'vr.db'}"
    migrate(make_engine(url))
    monkeypatch.setenv("VESSEL_RISK_DATABASE_URL", url)
    for args in (["--from", "2025-13-01"], ["--from", "2025-06-01", "--to", "2025-01-01"]):
        res = CliRunner().invoke(app, ["monitoring", *args], env={"COLUMNS": "200"})
        assert res.exit_code == 2
        assert "error:" in res.output
