"""``vessel-risk score``: any vessel-year table in, scores, tiers, ranks and reasons out."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from tests.builders import cli_output, shared_file
from vessel_risk.cli import app


def test_score_writes_the_labelled_tables_scores_keeping_its_identifiers(tmp_path):
    table = shared_file("data", "labels", "vessel_year_features_labelled.csv")
    out = tmp_path / "scores.parquet"
    printed = cli_output("score", "--table", str(table), "--out", str(out))
    assert "indicator baseline (no champion in the model registry)" in printed  # empty registry
    scored = pd.read_parquet(out)
    rows = len(pd.read_csv(table))
    assert len(scored) == rows == 729
    assert list(scored.columns) == [
        "vessel_id",
        "year",
        "score",
        "model_applies",
        "model_domain_reason",
        "score_percentile",
        "score_low",
        "score_high",
        "tier",
        "rank",
        "reasons",
    ]
    assert sorted(scored["rank"]) == list(range(1, rows + 1))
    assert scored["score"].max() < 0.999
    assert scored["reasons"].str.startswith("no model").all()


def test_score_refuses_an_unknown_file_kind_and_a_table_without_years(tmp_path):
    bad = tmp_path / "t.txt"
    bad.write_text("x")
    result = CliRunner().invoke(
        app, ["score", "--table", str(bad), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code != 0 and "--table must be" in result.output
    no_year = tmp_path / "t.csv"
    pd.DataFrame({"mmsi": ["412000001"]}).to_csv(no_year, index=False)
    result = CliRunner().invoke(
        app, ["score", "--table", str(no_year), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code != 0 and "no 'year' column" in result.output


def test_score_version_loads_through_the_allow_list_never_a_pickle(tmp_path, monkeypatch):
    import mlflow
    from sklearn.dummy import DummyClassifier

    from vessel_risk.model import registry

    monkeypatch.setenv("VESSEL_RISK_MLFLOW_TRACKING_URI", str(tmp_path / "reg"))
    loc = registry.resolve_registry(str(tmp_path / "reg"))
    client = registry._client(loc)
    with mlflow.start_run(experiment_id=registry._experiment_id(client, loc)):
        mlflow.sklearn.log_model(
            DummyClassifier().fit([[0], [1]], [0, 1]),
            name="model",
            serialization_format="pickle",
            registered_model_name=registry.MODEL_NAME,
        )
    table = tmp_path / "t.csv"
    pd.DataFrame({"mmsi": ["412000001"], "year": [2022]}).to_csv(table, index=False)
    res = CliRunner().invoke(
        app, ["score", "--table", str(table), "--out", str(tmp_path / "o.csv"), "--version", "1"]
    )
    assert res.exit_code == 2, res.output
    assert "cannot load model version '1'" in " ".join(res.output.split())
    assert not (tmp_path / "o.csv").exists()


def test_score_refuses_impossible_values_naming_columns_and_rows(tmp_path):
    # the labelled table with four rows broken as a hostile or corrupt CSV would be:
    # 1e999 (read as inf), -inf, a negative number of hours and a negative count
    table = pd.read_csv(shared_file("data", "labels", "vessel_year_features_labelled.csv"))
    table["average_voyage_duration_hours"] = table["average_voyage_duration_hours"].astype(str)
    table.loc[0, "average_voyage_duration_hours"] = "1e999"
    table.loc[1, "average_voyage_duration_hours"] = "-inf"
    table.loc[2, "average_voyage_duration_hours"] = "-5"
    table.loc[2, "gaps_12_hours"] = -1
    table.loc[3, "average_daily_fishing_hours"] = 25
    path = tmp_path / "broken.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(
        app, ["score", "--table", str(path), "--out", str(out)], env={"COLUMNS": "300"}
    )
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert "4 of 729 rows hold impossible values" in said
    assert "average_voyage_duration_hours (2 infinite, 1 below 0)" in said
    assert "gaps_12_hours (1 below 0)" in said
    assert "average_daily_fishing_hours (1 above 24)" in said
    assert not out.exists()


def test_score_on_a_runs_features_gives_the_runs_scores_and_tiers(squid_run, tmp_path):
    out_dir, _ = squid_run
    out = tmp_path / "scores.csv"
    printed = cli_output(
        "score", "--table", str(out_dir / "vessel_features.parquet"), "--out", str(out)
    )
    # 354 vessel-years; 111 of class "other" are out of the run's alert queue, as here.
    assert "111 vessel-years of classes the alert queue leaves out" in printed
    scored = pd.read_csv(out, dtype={"mmsi": str})
    alerts = pd.read_csv(out_dir / "alerts.csv", dtype={"mmsi": str})
    assert len(scored) == len(alerts) == 243
    key = ["mmsi", "track_id", "year"]
    both = alerts[[*key, "score", "tier", "rank"]].merge(scored, on=key, suffixes=("", "_s"))
    assert len(both) == 243
    assert (both["score"] - both["score_s"]).abs().max() < 1e-9
    assert (both["tier"] == both["tier_s"]).all() and (both["rank"] == both["rank_s"]).all()
