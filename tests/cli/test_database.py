"""`vessel-risk` commands on a missing, wrong or old database: clear errors, no output."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from vessel_risk.cli import app


def test_commands_without_a_database_say_how_to_name_one(monkeypatch):
    monkeypatch.delenv("VESSEL_RISK_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["alerts", "list"])
    assert result.exit_code == 2 and "VESSEL_RISK_DATABASE_URL" in result.output


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("notaurl", "is not a database URL"),
        ("sqlite:///no/such/folder/vr.db", "No database file at"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/x", "Cannot open"),
        ("postgres://nobody@127.0.0.1:1/x", "no database driver for 'postgres'"),
        ("mysql://nobody@127.0.0.1:1/x", "no database driver for 'mysql'"),
    ],
)
def test_a_wrong_database_is_a_clear_error_not_an_empty_queue(url, message, tmp_path):
    result = CliRunner().invoke(app, ["alerts", "list", "--db", url], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert message in result.output
    ais = tmp_path / "a.csv"
    ais.write_text("mmsi,timestamp,lat,lon,speed_knots,course,heading\n")
    run = CliRunner().invoke(
        app, ["run", "--ais", str(ais), "--out", str(tmp_path / "o"), "--db", "notaurl"]
    )
    assert run.exit_code == 2 and "is not a database URL" in run.output
    assert not (tmp_path / "o").exists()  # nothing ran


def test_a_database_password_is_never_echoed():
    url = "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/x"
    result = CliRunner().invoke(app, ["alerts", "list", "--db", url], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "Cannot open" in result.output
    assert "s3cret" not in result.output and "nobody:***@" in result.output


def test_an_old_database_in_out_stops_the_run_before_any_output(tmp_path):
    import sqlite3

    out = tmp_path / "o"
    out.mkdir()
    with sqlite3.connect(out / "vessel_risk.db") as con:  # made before migrations
        con.execute("create table runs (id integer)")
    ais = tmp_path / "a.csv"
    ais.write_text("mmsi,timestamp,lat,lon,speed_knots,course,heading\n")
    result = CliRunner().invoke(app, ["run", "--ais", str(ais), "--out", str(out)])
    assert result.exit_code == 2 and "predates schema migrations" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["vessel_risk.db"]


def test_a_run_that_fails_leaves_no_empty_database_to_list(tmp_path):
    """An input that is not AIS stops the run; no empty queue is left in --out."""
    not_ais = tmp_path / "ports.csv"
    not_ais.write_text("port_label,lat,lon\nSONGKHLA,7.2688,100.6238\n")
    out = tmp_path / "o"
    run = CliRunner().invoke(app, ["run", "--ais", str(not_ais), "--out", str(out)])
    assert run.exit_code == 2, run.output
    assert not (out / "vessel_risk.db").exists()


@pytest.mark.parametrize("inside", ["a.csv", "a.csv/sub"])
def test_an_output_folder_that_is_a_file_is_a_clear_error(tmp_path, inside):
    ais = tmp_path / "a.csv"
    ais.write_text("mmsi,timestamp,lat,lon,speed_knots,course,heading\n")
    run = CliRunner().invoke(
        app, ["run", "--ais", str(ais), "--out", str(tmp_path / inside)], env={"COLUMNS": "200"}
    )
    assert run.exit_code == 2
    assert "is a file, not a folder" in run.output and "Errno" not in run.output
