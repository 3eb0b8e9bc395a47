"""``vessel-risk info``: every path and setting in effect, secrets never shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.builders import ROOT, register_champion
from vessel_risk.events.fishing import packaged_model_dir


def _info(cwd, env_extra: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VESSEL_RISK_")}
    env.update(PYTHONPATH=str(ROOT / "src"), COLUMNS="300", **env_extra)
    done = subprocess.run(
        [sys.executable, "-m", "vessel_risk", "info", "--json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_info_prints_the_defaults_in_effect_from_any_folder(tmp_path):
    xdg = tmp_path / "xdg"
    found = _info(tmp_path, {"XDG_DATA_HOME": str(xdg)})
    assert found["version"] == "0.1.0"
    assert found["user_data_dir"] == str(xdg / "vessel-risk")
    registry = found["model_registry"]
    assert registry["setting"] == str(xdg / "vessel-risk" / "mlruns")
    assert registry["tracking_uri"] is None  # nothing registered: the folder is not made
    assert not (xdg / "vessel-risk" / "mlruns").exists()
    fishing = found["fishing_classifier"]
    assert fishing == {
        "folder": str(packaged_model_dir().resolve()),
        "shipped": True,
        "model": "fishing-lgbm-1",
    }
    assert found["database"] == "each run's OUT/vessel_risk.db (sqlite)"
    assert found["settings"]["mlflow_tracking_uri"]["source"] == "default"
    assert found["settings"]["secret_key"] == {"value": "not set", "source": "default"}
    assert found["settings"]["log_level"]["value"] == "WARNING"


def test_info_shows_settings_and_the_champion_but_no_secret(tmp_path):
    registry = tmp_path / "registry"
    version = register_champion(registry)
    fernet = "k" * 43 + "="
    found = _info(
        tmp_path,
        {
            "VESSEL_RISK_MLFLOW_TRACKING_URI": str(registry),
            "VESSEL_RISK_DATABASE_URL": "postgresql+psycopg://risk:pw-123@db/risk",
            "VESSEL_RISK_SECRET_KEY": fernet,
            "VESSEL_RISK_FISHING_MODEL_DIR": str(tmp_path / "no-model"),
        },
    )
    reg = found["model_registry"]
    assert reg["tracking_uri"] == f"sqlite:///{registry / 'mlflow.db'}"
    assert reg["artifact_location"] == (registry / "artifacts").as_uri()
    assert reg["champion"] == version
    assert found["settings"]["mlflow_tracking_uri"]["source"] == "VESSEL_RISK_MLFLOW_TRACKING_URI"
    assert found["fishing_classifier"]["shipped"] is False
    assert found["fishing_classifier"]["model"] is None  # no model there: the heuristic
    text = json.dumps(found)
    assert "pw-123" not in text
    assert fernet not in text
    assert found["settings"]["secret_key"]["value"] == "set"
    assert found["database"] == "postgresql+psycopg://risk:[redacted]@db/risk"
