"""The registry's guard: the rule on registered metrics, then promote on a real registry."""

from __future__ import annotations

import math

import mlflow
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.builders import shared_file
from vessel_risk.cli import app
from vessel_risk.features.catalogue import PIPELINE_FEATURES
from vessel_risk.model.promotion import PRIMARY_METRIC, PromotionRefused, judge
from vessel_risk.model.registry import aliases, promote, promotion_guard, train

FAST = {"n_bags": 3, "n_estimators": 30, "random_state": 0}
LABELS = ("data", "labels", "vessel_year_features_labelled.csv")
LABEL_COLUMNS = ["known_offender", "known_non_offender", "possible_offender", "source_id"]


def _metrics(value: float, low: float, high: float, baseline: float) -> dict[str, float]:
    return {
        PRIMARY_METRIC: value,
        f"{PRIMARY_METRIC}_ci_low": low,
        f"{PRIMARY_METRIC}_ci_high": high,
        "recall_at_share": 0.25,
        f"baseline_{PRIMARY_METRIC}": baseline,
    }


def test_the_rule_passes_a_better_model_and_names_metric_and_interval() -> None:
    g = judge("4", _metrics(0.951, 0.889, 0.991, 0.762))
    assert g.passed
    assert [c.name for c in g.checks] == ["recall above zero", "indicator baseline"]
    assert g.ci == (0.889, 0.991)
    assert "recall_at_98_specificity 0.951 (95 % interval 0.889-0.991)" in g.checks[1].detail
    assert "baseline's 0.762: not worse" in g.checks[1].detail


def test_the_rule_refuses_zero_recall_worse_than_baseline_or_champion() -> None:
    zero = judge("2", _metrics(0.0, 0.0, 0.0, 0.5))
    assert not zero.passed
    assert any("zero recall" in r for r in zero.refusals)
    # Worse than the baseline beyond the interval, and within it (still refused).
    far = judge("3", _metrics(0.40, 0.30, 0.50, 0.762))
    assert far.refusals == [
        "recall_at_98_specificity 0.400 (95 % interval 0.300-0.500) against the indicator "
        "baseline's 0.762: worse."
    ]
    near = judge("3", _metrics(0.74, 0.66, 0.80, 0.762))
    assert "may be noise" in near.refusals[0]
    champ = judge(
        "5",
        _metrics(0.90, 0.85, 0.95, 0.762),
        champion="4",
        champion_metrics={PRIMARY_METRIC: 0.951},
        same_data=False,
    )
    assert champ.refusals == [
        "recall_at_98_specificity 0.900 (95 % interval 0.850-0.950) against the champion "
        "(version 4)'s 0.951, measured on other data: worse."
    ]
    # The champion itself is not compared with itself.
    assert judge("4", _metrics(0.9, 0.8, 1.0, 0.7), champion="4").passed


def test_the_rule_refuses_what_was_not_measured() -> None:
    # No known non-offenders: the primary metric is NaN; recall at the share is 0.
    g = judge("1", {"recall_at_share": 0.0})
    assert not g.passed
    assert math.isnan(g.value)
    names = [c.name for c in g.checks if not c.passed]
    assert names == ["measured", "recall above zero", "indicator baseline"]
    # A model registered before the guard has no baseline logged.
    old = judge("1", {PRIMARY_METRIC: 0.9, "recall_at_share": 0.3})
    assert old.refusals == [
        "The indicator baseline's recall_at_98_specificity is not logged with version 1's "
        "evaluation (registered before the guard?): retrain it."
    ]


@pytest.fixture(scope="module")
def labelled() -> pd.DataFrame:
    return pd.read_csv(shared_file(*LABELS))


def test_the_readme_model_passes_a_worse_one_is_refused_and_force_is_recorded(tmp_path, labelled):
    uri = str(tmp_path / "models")
    feats = [f for f in PIPELINE_FEATURES if f in labelled.columns]
    # The README's loop: train on the labelled table (pipeline features), promote.
    first = train(labelled, feats, uri=uri, params=FAST, data_source="labelled")
    m = first.evaluation.metrics
    assert m[PRIMARY_METRIC] > 0.9
    assert m[f"{PRIMARY_METRIC}_ci_low"] < m[PRIMARY_METRIC] < m[f"{PRIMARY_METRIC}_ci_high"]
    run = mlflow.MlflowClient().get_run(first.run_id)
    assert run.data.tags["primary_metric"] == PRIMARY_METRIC
    assert run.data.metrics[f"baseline_{PRIMARY_METRIC}"] == pytest.approx(0.762, abs=0.001)
    assert promote(uri) == "1"
    # One weak feature: worse than the baseline (and than the champion).
    weak = train(labelled, ["number_encounters"], uri=uri, params=FAST, data_source="labelled")
    assert weak.evaluation.metrics[PRIMARY_METRIC] < 0.762
    guard = promotion_guard(uri)
    assert guard.version == "2"
    assert [c.name for c in guard.checks if not c.passed] == [
        "indicator baseline",
        "champion (version 1)",
    ]
    with pytest.raises(PromotionRefused, match="indicator baseline's 0.762: worse"):
        promote(uri)
    assert aliases(uri)["champion"] == "1"
    with pytest.raises(ValueError, match="needs a --reason"):
        promote(uri, force=True, reason=" ")
    assert promote(uri, force=True, reason="comparison run for the audit") == "2"
    assert aliases(uri)["champion"] == "2"
    client = mlflow.MlflowClient()
    tags = client.get_model_version("vessel-risk", "2").tags
    assert tags["promotion_forced"] == "true"
    assert tags["promotion_reason"] == "comparison run for the audit"
    assert "worse" in tags["promotion_refusals"]
    assert client.get_run(weak.run_id).data.tags["promotion_reason"] == (
        "comparison run for the audit"
    )
    assert client.get_model_version("vessel-risk", "1").tags["promotion_guard"] == "passed"


def test_cli_refuses_a_recall_0_model_trained_on_outcomes_alone(tmp_path, monkeypatch, labelled):
    monkeypatch.setenv("VESSEL_RISK_MLFLOW_TRACKING_URI", str(tmp_path / "models"))
    features = tmp_path / "features.csv"
    labelled.drop(columns=LABEL_COLUMNS).to_csv(features, index=False)
    # Four confirmed offenders and six vessels where boarding found nothing, by vessel_id.
    off = labelled.loc[labelled["known_offender"] == 1].drop_duplicates("vessel_id").head(4)
    non = labelled.loc[labelled["known_non_offender"] == 1].drop_duplicates("vessel_id").head(6)
    outcomes = pd.DataFrame(
        [
            {"vessel_id": r.vessel_id, "date": f"{r.year}-06-01", "outcome": o, "source": "PSC"}
            for o, rows in (("confirmed", off), ("not_found", non))
            for r in rows.itertuples()
        ]
    )
    outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    runner = CliRunner()
    trained = runner.invoke(
        app,
        [
            "train",
            "--labels",
            str(features),
            "--outcomes",
            str(tmp_path / "outcomes.csv"),
            "--n-bags",
            "3",
            "--n-estimators",
            "30",
        ],
    )
    assert trained.exit_code == 0, trained.output
    out = " ".join(trained.output.split())
    assert "10 of 10 confirmed or not-found outcomes matched" in out
    assert "recall_at_98_specificity 0.000" in out
    refused = runner.invoke(app, ["promote"])
    assert refused.exit_code == 2, refused.output
    text = " ".join(refused.output.split())
    assert "zero recall, it finds no known offender" in text
    assert "--force" in text
    assert "champion" not in aliases(str(tmp_path / "models"))
    no_reason = runner.invoke(app, ["promote", "--force"])
    assert no_reason.exit_code == 2
    assert "needs a --reason" in no_reason.output
    forced = runner.invoke(app, ["promote", "--force", "--reason", "pilot at one port"])
    assert forced.exit_code == 0, forced.output
    assert "promoted although the guard refused it" in " ".join(forced.output.split())
    tags = mlflow.MlflowClient().get_model_version("vessel-risk", "1").tags
    assert tags["promotion_reason"] == "pilot at one port"
