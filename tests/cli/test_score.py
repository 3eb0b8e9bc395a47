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
