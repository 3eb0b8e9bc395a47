"""Terminal output: messages read the same at any terminal width; tables fit the width."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.builders import cli_output
from vessel_risk.cli import app
from vessel_risk.cli.terminal import console


@pytest.mark.parametrize("width", [40, 200])
def test_a_message_is_never_wrapped_whatever_the_width(width, tmp_path, monkeypatch):
    # The console's width, as COLUMNS or the terminal would set it (restored after).
    monkeypatch.setattr(console, "_width", width)
    ais = tmp_path / "a.csv"
    ais.write_text("mmsi,timestamp,lat,lon,speed_knots,course,heading\n")
    absent = tmp_path / ("a-folder-whose-name-is-longer-than-a-narrow-terminal-" * 3) / "eez.gpkg"
    args = ["run", "--ais", str(ais), "--out", str(tmp_path / "o"), "--eez", str(absent)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"error: the file {str(absent)!r} does not exist."]


@pytest.mark.parametrize("width", [60, 200])
def test_a_table_still_fits_the_width(width, db, monkeypatch):
    monkeypatch.setattr(console, "_width", width)
    listed = cli_output("alerts", "list")
    assert max(len(line) for line in listed.splitlines()) <= width
