"""``vessel-risk reference show|refresh`` (vessel_risk.cli.reference)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.builders import cli_output
from vessel_risk.cli import app
from vessel_risk.identity.reference import REFERENCE_DIR_ENV


@pytest.fixture(autouse=True)
def user_dir(tmp_path, monkeypatch):
    folder = tmp_path / "reference"
    monkeypatch.setenv(REFERENCE_DIR_ENV, str(folder))
    return folder


def test_show_lists_each_table_with_rows_and_origin():
    out = cli_output("reference", "show")
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line}
    assert "292" in lines["mid"] and "package" in lines["mid"]
    assert "305" in lines["callsign-series"]
    assert "3" in lines["name-patterns"].split("│")[2]


def test_refresh_installs_and_says_what_changed(tmp_path, user_dir):
    src = tmp_path / "patterns.csv"
    src.write_text(
        "regex,iso3,registry,confidence,source\n"
        '"^FUYUANYU\\d{1,5}",CHN,china_distant_water_fishing,0.75,test\n'
        "^KM[A-Z],IDN,indonesia_km,0.4,test\n"
    )
    out = cli_output("reference", "refresh", "name-patterns", str(src))
    assert "Installed name-patterns: 2 rows (1 added, 2 removed)" in out
    assert (user_dir / "name_patterns.csv").is_file()
    shown = cli_output("reference", "show")
    row = next(line for line in shown.splitlines() if "name-patterns" in line)
    assert "user" in row and "2" in row.split("│")[2]


def test_refresh_refuses_overlapping_series(tmp_path, user_dir):
    src = tmp_path / "series.csv"
    src.write_text("start,end,iso3,allocated_to\nBAA,BZZ,CHN,China\nBXA,BXZ,TWN,Taiwan\n")
    result = CliRunner().invoke(app, ["reference", "refresh", "callsign-series", str(src)])
    assert result.exit_code == 2
    assert "overlap: BAA-BZZ (CHN) and BXA-BXZ (TWN)" in result.output
    assert not user_dir.exists()


def test_show_reports_a_broken_user_table_instead_of_failing(user_dir):
    user_dir.mkdir()
    (user_dir / "itu_callsign_series.csv").write_text("start,end,iso3\nBAA,BZZ,CHN\n")
    out = cli_output("reference", "show")
    row = next(line for line in out.splitlines() if "callsign-series" in line)
    assert "unusable" in row and "user" in row
