"""Training runs, the MLflow registry, and `vessel-risk run` scoring with the champion."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from vessel_risk.cli import app
from vessel_risk.geo.shore import ShoreDistance
from vessel_risk.ingest import read_many
from vessel_risk.model import PIPELINE_FEATURES, PULightGBMClassifier
from vessel_risk.model.indicators import BASELINE_VERSION
from vessel_risk.model.registry import aliases, load_champion, promote, resolve_store, train
from vessel_risk.model.simulate import simulate_fleet
from vessel_risk.pipeline import process, score_with_model

from .conftest import make_track, write_csv

FAST = {"n_bags": 3, "n_estimators": 30, "random_state": 0}


@pytest.fixture(scope="module")
def fleet() -> pd.DataFrame:
    return simulate_fleet(300, random_state=5)


def test_folder_setting_becomes_a_sqlite_store_and_is_not_created_to_read(tmp_path):
    assert resolve_store(str(tmp_path / "none"), create=False) is None
    assert not (tmp_path / "none").exists()
    assert load_champion(str(tmp_path / "none")) is None
    store = resolve_store(str(tmp_path / "models"))
    assert store is not None
    assert store.tracking_uri == f"sqlite:///{tmp_path / 'models' / 'mlflow.db'}"
    assert store.artifact_location == (tmp_path / "models" / "artifacts").as_uri()
    assert resolve_store("sqlite:///x.db") == resolve_store("sqlite:///x.db", create=False)


def test_train_register_promote_and_score_with_the_champion(tmp_path, fleet, port_table):
    uri = str(tmp_path / "models")
    with pytest.raises(LookupError, match="vessel-risk train"):
        promote(uri)
    result = train(
        fleet,
        list(PIPELINE_FEATURES),
        uri=uri,
        params=FAST,
        n_splits=3,
        data_source="simulated fleet",
        report_path=tmp_path / "report.html",
    )
    assert result.version == "1"
    assert aliases(uri) == {"challenger": "1"}
    # A sanity check on a small fleet and tiny model; test_model asserts the 0.9 targets.
    assert result.evaluation.metrics["recall_planted_at_share"] >= 0.7
    assert "data:image/png" in (tmp_path / "report.html").read_text()
    assert load_champion(uri) is None  # a challenger is not served
    assert promote(uri) == "1"
    champ = load_champion(uri)
    assert champ is not None
    assert champ.label == "vessel-risk/1 (pu-lightgbm)"
    assert champ.features == list(PIPELINE_FEATURES)
    assert isinstance(champ.model, PULightGBMClassifier)
    # The run is logged with metrics, report, feature list and data fingerprint.
    import mlflow

    run = mlflow.MlflowClient().get_run(result.run_id)
    assert run.data.metrics["recall_at_share"] == result.evaluation.metrics["recall_at_share"]
    assert len(run.data.params["data_fingerprint"]) == 64
    names = {a.path for a in mlflow.MlflowClient().list_artifacts(result.run_id)}
    assert {"report.html", "features.json", "folds.csv", "confounding.csv"} <= names
    # Scoring AIS with the champion: ILO-mapped reasons from pred_contrib.
    rows = make_track("567000020", "2024-03-01T00:00:00Z", [(5.5, 104.0)] * 60)
    ingested = read_many([write_csv(tmp_path, rows)])
    res = process(
        ingested,
        shore=ShoreDistance(),
        ports=port_table,
        model=champ.model,
        model_version=champ.label,
    )
    assert res.model_version == champ.label
    alert = res.alerts[0]
    assert alert.model_version == "vessel-risk/1 (pu-lightgbm)"
    assert 0 <= alert.score <= 1


def test_explanations_name_ilo_indicators(fleet):
    model = PULightGBMClassifier(**FAST).fit(
        fleet[list(PIPELINE_FEATURES)], fleet["known_offender"]
    )
    risky = fleet.loc[fleet["n_behaviours"] >= 3].head(3).reset_index(drop=True)
    scores, contrib = score_with_model(model, risky)
    assert (scores > 0.5).all()
    shares = contrib.sum(axis=1)
    assert shares.round(6).eq(1.0).all()
    from vessel_risk.alerts.build import _feature_evidence

    top = contrib.iloc[0].idxmax()
    ev = _feature_evidence(str(top), risky.iloc[0], float(contrib.iloc[0].max()))
    assert ev.ilo_indicator != "other (no ILO proxy)"
    assert "of the evidence raising the score" in ev.reason


def test_run_without_champion_says_it_uses_the_baseline(tmp_path, monkeypatch):
    monkeypatch.setenv("VESSEL_RISK_MLFLOW_TRACKING_URI", str(tmp_path / "empty"))
    rows = make_track("567000021", "2024-03-01T00:00:00Z", [(5.5, 104.0)] * 5)
    path = write_csv(tmp_path, rows)
    result = CliRunner().invoke(app, ["run", "--ais", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "No champion model" in result.output
    assert "indicator baseline" in result.output
    a = pd.read_csv(tmp_path / "o" / "alerts.csv")
    assert (a["model_version"] == BASELINE_VERSION).all()
    assert not (tmp_path / "empty").exists()


def test_promote_without_registry_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("VESSEL_RISK_MLFLOW_TRACKING_URI", str(tmp_path / "none"))
    result = CliRunner().invoke(app, ["promote"])
    assert result.exit_code == 2
    assert "vessel-risk train" in result.output


def test_evaluate_command_writes_a_comparison_report(tmp_path, fleet):
    path = tmp_path / "fleet.csv"
    fleet.to_csv(path, index=False)
    out = tmp_path / "eval.html"
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            "--labels",
            str(path),
            "--model",
            "pu-lightgbm",
            "--model",
            "indicator-baseline",
            "--n-bags",
            "3",
            "--n-estimators",
            "30",
            "--group-by",
            "source",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "pu-lightgbm" in page and "indicator-baseline" in page
    assert "recall_planted_at_share" in page


def test_equal_calibrated_scores_rank_by_the_models_ranking_score():
    from vessel_risk.alerts.build import build_alerts

    t = pd.Timestamp("2024-01-01", tz="UTC")
    feats = pd.DataFrame(
        {
            "mmsi": ["412000001", "412000002"],
            "year": [2024, 2024],
            "shipname": [None, None],
            "flag_iso3": ["CHN", "CHN"],
            "mmsi_valid": [True, True],
            "iuu_listed": [False, False],
            "position_messages": [5000, 100],
            "days_observed": [200, 20],
            "first_timestamp": [t, t],
            "last_timestamp": [t, t],
            "last_lat": [0.0, 0.0],
            "last_lon": [0.0, 0.0],
            "max_distance_from_port_km": [900.0, 2500.0],
        }
    )
    scores = pd.Series([1.0, 1.0])
    contrib = pd.DataFrame({"max_distance_from_port_km": [1.0, 1.0]})
    plain = build_alerts(feats, scores, contrib, model_version="m")
    assert [a.mmsi for a in plain] == ["412000001", "412000002"]  # more data first
    ranked = build_alerts(
        feats, scores, contrib, model_version="m", tie_break=pd.Series([0.7, 0.9])
    )
    assert [a.mmsi for a in ranked] == ["412000002", "412000001"]
    ev = ranked[0].indicators[0]
    assert ev.ilo_indicator == "isolation"
    assert ev.reason.startswith("worked up to 2500 km from the nearest port")


def test_cli_train_promote_then_run_scores_with_the_champion(tmp_path, monkeypatch, fleet):
    monkeypatch.setenv("VESSEL_RISK_MLFLOW_TRACKING_URI", str(tmp_path / "models"))
    labels = tmp_path / "fleet.csv"
    fleet.to_csv(labels, index=False)
    runner = CliRunner()
    trained = runner.invoke(
        app,
        ["train", "--labels", str(labels), "--n-bags", "2", "--n-estimators", "20"],
    )
    assert trained.exit_code == 0, trained.output
    assert "as challenger" in trained.output
    promoted = runner.invoke(app, ["promote"])
    assert promoted.exit_code == 0, promoted.output
    assert "version 1 is now champion" in promoted.output
    rows = make_track("567000022", "2024-03-01T00:00:00Z", [(5.5, 104.0)] * 60)
    path = write_csv(tmp_path, rows)
    ran = runner.invoke(app, ["run", "--ais", str(path), "--out", str(tmp_path / "o")])
    assert ran.exit_code == 0, ran.output
    assert "Scoring with the champion model vessel-risk/1 (pu-lightgbm)" in ran.output
    a = pd.read_csv(tmp_path / "o" / "alerts.csv")
    assert (a["model_version"] == "vessel-risk/1 (pu-lightgbm)").all()
    forced = runner.invoke(
        app, ["run", "--ais", str(path), "--out", str(tmp_path / "b"), "--baseline"]
    )
    assert forced.exit_code == 0, forced.output
    assert (pd.read_csv(tmp_path / "b" / "alerts.csv")["model_version"] == BASELINE_VERSION).all()
