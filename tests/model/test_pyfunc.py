"""The registered model served by MLflow: a vessel-year table in, probabilities and
reasons out (issue 20, item 2).

A tiny champion (:func:`tests.builders.register_champion`) answers rows of a real run's
``vessel_features.parquet`` (a slice of the squid-jigger file) through
``mlflow.pyfunc`` and through ``mlflow models serve --env-manager local`` on a free port;
both must give what ``vessel-risk score``'s path (:func:`score_frame`) gives.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.builders import ROOT, register_champion, squid_slice
from vessel_risk.model import model_input
from vessel_risk.model.pyfunc import (
    OUTPUT_COLUMNS,
    VesselRiskModel,
    conform,
    input_schema,
    requirements,
)
from vessel_risk.model.registry import load_champion, resolve_registry
from vessel_risk.pipeline import RunConfig, run
from vessel_risk.pipeline.scoring import score_frame

SERVE_TIMEOUT_S = 150.0
"""Ceiling on the server start (about 15 s alone on this machine; the CI shares cores)."""


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> tuple[str, pd.DataFrame]:
    """A registry with a champion, and a real run's vessel-year table."""
    tmp = tmp_path_factory.mktemp("pyfunc")
    uri = str(tmp / "registry")
    ais = squid_slice(tmp / "slice.parquet", drop_nnet_score=False)
    run(RunConfig(out_dir=tmp / "out", ais_paths=(ais,), scorer="baseline"))
    features = pd.read_parquet(tmp / "out" / "vessel_features.parquet")
    register_champion(uri, like=features)
    return uri, features


def _expected(uri: str, features: pd.DataFrame) -> pd.DataFrame:
    champion = load_champion(uri)
    assert champion is not None
    return score_frame(features, champion.model, "vessel-risk (pu-lightgbm)")


def test_the_champion_loads_and_predicts_through_mlflow_pyfunc(served):
    import mlflow

    uri, features = served
    registry = resolve_registry(uri, create=False)
    assert registry is not None
    mlflow.set_tracking_uri(registry.tracking_uri)
    mlflow.set_registry_uri(registry.tracking_uri)
    model = mlflow.pyfunc.load_model("models:/vessel-risk@champion")
    assert isinstance(model.unwrap_python_model(), VesselRiskModel)
    out = model.predict(features)
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert len(out) == len(features) > 0
    expected = _expected(uri, features)
    assert out["mmsi"].tolist() == expected["mmsi"].tolist()
    np.testing.assert_allclose(out["score"], expected["score"])
    assert out["tier"].tolist() == expected["tier"].tolist()
    assert out["reasons"].tolist() == expected["reasons"].tolist()
    applies = out["model_applies"]
    probability = out["probability"][applies]
    assert applies.any()
    assert probability.between(0, 1).all()
    assert probability.nunique() > 1
    champion = load_champion(uri)
    assert champion is not None
    X = model_input(features, champion.features)
    np.testing.assert_allclose(
        probability, champion.model.predict_proba(X)[:, 1][applies.to_numpy()], atol=1e-6
    )
    assert out["probability"][~applies].isna().all()
    assert all("model vessel-risk (pu-lightgbm)" in r for r in out["reasons"][applies])
    # The signature declares the table's columns; the requirements name the package.
    signature = model.metadata.get_input_schema()
    assert signature.input_names() == input_schema().input_names()
    assert "fishing_hours" in signature.input_names()
    logged = Path(mlflow.pyfunc.get_model_dependencies("models:/vessel-risk@champion"))
    lines = logged.read_text(encoding="utf-8").split()
    assert set(lines) == set(requirements())
    assert any(r.startswith("vessel-risk==") for r in lines)
    assert any(r.startswith("skops==") for r in lines)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_mlflow_models_serve_answers_a_vessel_year_with_a_probability(served, tmp_path):
    """``mlflow models serve -m models:/vessel-risk@champion --env-manager local``."""
    uri, features = served
    registry = resolve_registry(uri, create=False)
    assert registry is not None
    port = _free_port()
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": registry.tracking_uri,
        "PYTHONPATH": str(ROOT / "src"),
        # MLflow starts `uvicorn` by name: the environment's scripts, as when activated.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "models",
            "serve",
            "-m",
            "models:/vessel-risk@champion",
            "--env-manager",
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVE_TIMEOUT_S
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/ping", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.5)
        rows = features.drop(columns=["first_timestamp", "last_timestamp"])
        body = {"dataframe_split": json.loads(rows.to_json(orient="split", index=False))}
        answer = httpx.post(f"{base}/invocations", json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        predictions = pd.DataFrame(answer.json()["predictions"])
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    expected = _expected(uri, features)
    assert predictions["mmsi"].tolist() == expected["mmsi"].tolist()
    np.testing.assert_allclose(predictions["score"], expected["score"])
    assert predictions["tier"].tolist() == expected["tier"].tolist()
    applies = predictions["model_applies"].astype(bool)
    assert applies.any()
    assert predictions.loc[applies, "probability"].between(0, 1).all()
    assert predictions["reasons"].str.len().gt(0).all()


def test_conform_casts_to_the_signature_and_leaves_out_unknown_whole_numbers():
    frame = pd.DataFrame(
        {
            "mmsi": ["412000001", "412000002"],
            "year": [2022, 2022],
            "position_messages": [3000.0, float("nan")],
            "number_voyages": [4, 5],
            "not_a_feature": ["x", "y"],
        }
    )
    out = conform(frame)
    assert out.columns.tolist() == ["mmsi", "year", "position_messages", "number_voyages"]
    assert out["mmsi"].tolist() == ["412000001"]
    assert out["position_messages"].dtype == "int64"
    assert out["number_voyages"].dtype == "float64"


def test_columns_left_out_of_a_request_are_unknown(served):
    """A row with a few columns: scored on the evidence it has, the model not applied."""
    import mlflow

    uri, features = served
    registry = resolve_registry(uri, create=False)
    assert registry is not None
    mlflow.set_tracking_uri(registry.tracking_uri)
    mlflow.set_registry_uri(registry.tracking_uri)
    model = mlflow.pyfunc.load_model("models:/vessel-risk@champion")
    few = features[["mmsi", "year", "position_messages", "fishing_hours"]].head(2)
    out = model.predict(few)
    assert out["mmsi"].tolist() == few["mmsi"].tolist()
    assert not out["model_applies"].any()
    assert out["probability"].isna().all()
    assert out["score"].between(0, 1).all()
    assert out["model_domain_reason"].str.len().gt(0).all()
