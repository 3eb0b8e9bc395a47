"""`vessel-risk train --unlabelled`: adversarial validation before PU learning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.builders import shared_file
from vessel_risk.cli import app
from vessel_risk.model.registry import champion_info, load_champion, promote

FAST = ["--n-bags", "2", "--n-estimators", "20"]


@pytest.fixture(scope="module")
def labelled_path():
    return shared_file("data", "labels", "vessel_year_features_labelled.csv")


@pytest.fixture
def registry(tmp_path, monkeypatch):
    uri = str(tmp_path / "models")
    monkeypatch.setenv("VESSEL_RISK_MLFLOW_TRACKING_URI", uri)
    return uri


def _train(*args: str):
    return CliRunner().invoke(app, ["train", *args, *FAST], env={"COLUMNS": "200"})


def test_train_refuses_the_squid_run_as_unlabelled_and_names_the_features(
    squid_run, labelled_path, registry
):
    out, _ = squid_run
    res = _train("--labels", str(labelled_path), "--unlabelled", str(out))
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "not comparable with the labelled ones (adversarial AUC 0.99" in text  # 0.997
    assert ">= 0.75)" in text
    assert "position_messages" in text.split("give the source away:")[-1]
    assert "--force --reason" in text
    assert champion_info(registry) is None
    # --force without a reason is refused too, before any work.
    res = _train("--labels", str(labelled_path), "--unlabelled", str(out), "--force")
    assert res.exit_code == 2
    assert "--force needs --reason" in res.output


def test_forced_training_records_the_reason(squid_run, labelled_path, registry):
    out, _ = squid_run
    res = _train(
        "--labels",
        str(labelled_path),
        "--unlabelled",
        str(out / "vessel_features.parquet"),
        "--force",
        "--reason",
        "compare the source model",
    )
    assert res.exit_code == 0, res.output
    assert "trained anyway: compare the source model" in res.output
    promote(registry)
    info = champion_info(registry)
    assert info is not None
    tag = info.tags["data_source"]
    assert "not comparable, forced: compare the source model" in tag
    assert "324 known offenders, 250 known non-offenders and " in tag


def test_comparable_unlabelled_rows_are_trained_on(labelled_path, registry, tmp_path):
    table = pd.read_csv(labelled_path)
    vessels = table["vessel_id"].unique()
    half = set(np.random.default_rng(1).choice(vessels, len(vessels) // 2, replace=False))
    known = table.loc[table["vessel_id"].isin(half)]
    other = table.loc[~table["vessel_id"].isin(half)]
    other = other.drop(columns=["known_offender", "known_non_offender", "possible_offender"])
    known.to_csv(tmp_path / "known.csv", index=False)
    other.to_parquet(tmp_path / "vessel_features.parquet")
    res = _train("--labels", str(tmp_path / "known.csv"), "--unlabelled", str(tmp_path))
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ": comparable." in text
    n_pos = int(known["known_offender"].sum())
    n_neg = int(known["known_non_offender"].sum())
    counts = f"{n_pos} known offenders, {n_neg} known non-offenders and {len(other)} unlabelled"
    assert counts in text
    # With unlabelled rows the Elkan-Noto correction runs and says what it did.
    assert "Elkan-Noto c = " in text
    assert "Training domain: " in text


def test_without_unlabelled_rows_the_elkan_noto_correction_is_skipped(labelled_path, registry):
    res = _train("--labels", str(labelled_path))
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "No unlabelled rows" in text and "correction is skipped" in text
    assert "324 known offenders, 250 known non-offenders and 0 unlabelled" in text
    assert "Training domain: 574 vessel-years, position_messages >= 116; 19 of 19" in text
    promote(registry)
    info = champion_info(registry)
    assert info is not None
    assert info.params["model.calibrate"] == "False"
    # The registered model carries its training domain through MLflow's skops format.
    champ = load_champion(registry)
    assert champ is not None
    domain = champ.model.training_domain_
    assert domain["n_rows"] == 574
    assert domain["coverage"]["position_messages"]["min"] == 116.0
    assert champ.model.elkan_noto_["applied"] is False


def test_train_takes_labels_from_the_inspections_in_the_database(labelled_path, registry, tmp_path):
    """A boarding that confirmed indicators on V0070's 2013 voyage (a known non-offender in
    the labelled table) makes it a known offender, with the inspection as its source."""
    from datetime import UTC, datetime

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tests.builders import make_alert, record_alerts
    from vessel_risk.db.engine import make_engine, migrate
    from vessel_risk.db.tables import AlertRow
    from vessel_risk.referral.inspections import record_inspection

    url = f"sqlite:///{tmp_path / 'inspections.db'}"
    engine = make_engine(url)
    migrate(engine)
    record_alerts(engine, [make_alert(year=2013, vessel_id="V0070")])
    with Session(engine) as s, s.begin():
        alert_id = s.scalars(select(AlertRow.id)).one()
        record_inspection(
            s,
            alert_id=alert_id,
            mmsi="412000001",
            year=2013,
            inspected_at=datetime(2013, 11, 22, 8, tzinfo=UTC),
            port_label="SONGKHLA",
            port_iso3="THA",
            agency_id="tha-psc",
            outcome="confirmed",
            ilo_indicators=["withholding_of_wages", "retention_of_documents"],
            documents_seen={"identity_documents_held_by_crew": "missing"},
            crew_by_nationality={"MMR": 14},
            actor="tha-psc/inspector-1",
        )
        record_inspection(
            s,
            mmsi="440000003",
            year=2013,
            inspected_at=datetime(2013, 12, 1, tzinfo=UTC),
            port_label="SONGKHLA",
            port_iso3="THA",
            agency_id="tha-psc",
            outcome="not_boarded",
            not_boarded_reason="left port before boarding",
            actor="tha-psc/inspector-1",
        )
    engine.dispose()
    res = _train("--labels", str(labelled_path), "--outcomes-db", url)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert (
        "Inspections in the database: 1 labels from inspections (1 known offenders, 0 known "
        "non-offenders; 1 of 1 boarding outcomes matched a vessel-year, 2 inspections "
        "recorded)" in text
    )
    assert "325 known offenders, 249 known non-offenders and 0 unlabelled" in text
    promote(registry, force=True, reason="test")
    info = champion_info(registry)
    assert info is not None
    assert "; 1 labels from inspections (1 known offenders" in info.tags["data_source"]


def test_train_with_a_missing_outcomes_database_is_a_clear_error(labelled_path, registry, tmp_path):
    res = _train("--labels", str(labelled_path), "--outcomes-db", f"sqlite:///{tmp_path}/no.db")
    assert res.exit_code == 2
    assert "no.db" in res.output
