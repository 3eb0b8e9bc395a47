"""The per-partition function, public for notebooks (issue 20, item 5).

``process_partition(IngestResult.from_frame(df), RunConfig())`` gives the frames a whole
run (``vessel_risk.run``) writes, on a real slice of the squid-jigger file.
"""

from __future__ import annotations

import pandas as pd
import pytest

import vessel_risk
from tests.builders import shared_file, squid_slice
from vessel_risk.events.fishing import packaged_model_dir
from vessel_risk.ingest import IngestResult
from vessel_risk.pipeline import PartitionFrames, RunConfig, process_partition


def test_run_config_defaults_serve_a_frame_in_run():
    config = RunConfig()
    assert config.out_dir is None
    assert config.ais_paths == ()
    assert config.fishing_model_dir == packaged_model_dir()
    with pytest.raises(ValueError, match="frame-in"):
        _ = config.resolved_database_url
    with pytest.raises(ValueError, match="output folder"):
        RunConfig(ais_paths=[shared_file("data", "ais", "squid_jiggers_2020_2023.parquet")])


def test_a_frame_in_a_notebook_gives_what_a_whole_run_writes(tmp_path):
    path = squid_slice(tmp_path / "slice.parquet")
    ports = shared_file("data", "ports", "gfw_named_anchorages.csv.gz")
    frames = process_partition(
        IngestResult.from_frame(pd.read_parquet(path)), RunConfig(ports_path=ports)
    )
    assert isinstance(frames, PartitionFrames)
    summary = vessel_risk.run(
        RunConfig(out_dir=tmp_path / "out", ais_paths=[path], ports_path=ports)
    )
    written = pd.read_parquet(summary.out_dir / "vessel_features.parquet")
    key = ["mmsi", "track_id", "year"]
    mine = frames.features.sort_values(key).reset_index(drop=True)
    theirs = written.sort_values(key).reset_index(drop=True)
    assert len(mine) == len(theirs) > 0
    for column in ("fishing_hours", "hours", "number_port_visits", "gaps_12_hours"):
        pd.testing.assert_series_equal(mine[column], theirs[column], check_dtype=False)
    assert set(mine["fishing_source"].dropna()) == {"classifier"}
    visits = pd.read_parquet(summary.out_dir / "port_visits.parquet")
    assert len(frames.visits) == len(visits)
    assert len(frames.positions) == len(pd.read_parquet(summary.out_dir / "positions.parquet"))


def test_a_whole_run_needs_an_output_folder_and_ais():
    with pytest.raises(ValueError, match="process_partition"):
        vessel_risk.run(RunConfig())
    with pytest.raises(ValueError, match="RunConfig"):
        vessel_risk.run({"out_dir": "out"})
