"""The README's main job gives the same results from any folder (issue 20, item 1).

The fishing classifier ships inside the package and the model registry lives in the
user data folder, so a run started from an empty folder outside the checkout finds both:
same fishing hours, same tiers, same champion as a run started from the checkout. Each
run is the real console script in a fresh process (``python -m vessel_risk``), on a
small real slice of the squid-jigger file without GFW's ``nnet_score`` (so fishing
comes from the classifier), with the user data folder at a temporary ``XDG_DATA_HOME``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.builders import DATA, ROOT, register_champion, shared_file, squid_slice

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="XDG_DATA_HOME moves the user data folder on Linux"
)


def _run(cwd: Path, ais: Path, out: Path, xdg: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VESSEL_RISK_")}
    env.update(
        PYTHONPATH=str(ROOT / "src"),
        XDG_DATA_HOME=str(xdg),
        VESSEL_RISK_REFERENCE_DIR=os.environ.get("VESSEL_RISK_REFERENCE_DIR", str(xdg / "ref")),
        COLUMNS="200",
    )
    ports = shared_file("data", "ports", "gfw_named_anchorages.csv.gz")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "vessel_risk",
            "run",
            "--ais",
            str(ais),
            "--ports",
            str(ports),
            "--out",
            str(out),
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_main_job_from_an_empty_folder_matches_the_checkout(tmp_path):
    shared_file("data")
    ais = squid_slice(tmp_path / "input" / "squid_slice.parquet")
    xdg = tmp_path / "xdg"
    version = register_champion(xdg / "vessel-risk" / "mlruns")
    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()
    runs = {}
    for name, cwd in (("checkout", ROOT), ("elsewhere", elsewhere)):
        out = tmp_path / f"out_{name}"
        done = _run(cwd, ais, out, xdg)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "estimated by the classifier" in done.stdout
        assert f"champion model vessel-risk/{version}" in done.stdout
        runs[name] = out
    assert not any(elsewhere.iterdir())  # nothing written to the working folder
    feats = {k: pd.read_parquet(v / "vessel_features.parquet") for k, v in runs.items()}
    key = ["mmsi", "track_id", "year"]
    a, b = (feats[k].sort_values(key).reset_index(drop=True) for k in ("checkout", "elsewhere"))
    assert len(a) > 0
    assert set(a["fishing_source"].dropna()) == {"classifier"}
    assert a["fishing_hours"].sum() > 0
    pd.testing.assert_series_equal(a["fishing_hours"], b["fishing_hours"])
    alerts = {k: pd.read_csv(v / "alerts.csv") for k, v in runs.items()}
    cols = ["mmsi", "year", "tier", "score", "model_version"]
    pd.testing.assert_frame_equal(alerts["checkout"][cols], alerts["elsewhere"][cols])
    assert set(alerts["elsewhere"]["model_version"]) == {f"vessel-risk/{version} (pu-lightgbm)"}
    # The database stays in the run's output folder.
    assert (runs["elsewhere"] / "vessel_risk.db").exists()
    assert DATA.exists()
