"""RunConfig: built once, frozen, and every check of a run's inputs lives in it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.builders import make_track, write_csv
from vessel_risk.pipeline import RunConfig
from vessel_risk.settings import Settings


@pytest.fixture
def ais(tmp_path: Path) -> Path:
    return write_csv(tmp_path, make_track("412000001", "2024-01-01", [(7.0, 100.0)] * 3))


def test_paths_given_as_text_become_paths_and_the_database_defaults_to_the_run(tmp_path, ais):
    config = RunConfig(out_dir=str(tmp_path / "out"), ais_paths=[str(ais)])
    assert config.ais_paths == (ais,) and config.out_dir == tmp_path / "out"
    url = f"sqlite:///{(tmp_path / 'out' / 'vessel_risk.db').resolve()}"
    assert config.resolved_database_url == url
    assert config.inputs == [str(ais)]
    assert (
        RunConfig(out_dir=tmp_path, ais_paths=[ais], database_url="sqlite://").resolved_database_url
        == "sqlite://"
    )


def test_a_config_is_frozen(tmp_path, ais):
    config = RunConfig(out_dir=tmp_path, ais_paths=[ais])
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.partitions = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({}, ValueError, "give the AIS as --ais FILE (repeatable) or as --store DIR."),
        ({"position_store": "."}, ValueError, "not both"),
        ({"partitions": 0}, ValueError, "'partitions' parameter of RunConfig"),
        ({"on_land_margin_km": -1.0}, ValueError, "'on_land_margin_km' parameter"),
        ({"scorer": "best"}, ValueError, "'scorer' parameter of RunConfig"),
        ({"iuu_list_path": "absent.csv"}, FileNotFoundError, "'absent.csv' does not exist"),
        ({"partitions": 2.5}, ValueError, "'partitions' parameter of RunConfig must be int"),
        ({"partitions": True}, ValueError, "Got True instead"),
        ({"on_land_margin_km": "10"}, ValueError, "'on_land_margin_km' parameter"),
        ({"validate_frames": "no"}, ValueError, "'validate_frames' parameter"),
        ({"mlflow_tracking_uri": 3}, ValueError, "'mlflow_tracking_uri' parameter"),
    ],
)
def test_bad_values_are_refused_when_built(tmp_path, ais, kwargs, error, words):
    base = {} if kwargs == {} else {"ais_paths": [ais]}
    with pytest.raises(error) as caught:
        RunConfig(out_dir=tmp_path, **{**base, **kwargs})
    assert words in str(caught.value)


def test_a_folder_given_as_ais_points_to_the_position_store_option(tmp_path):
    with pytest.raises(ValueError, match=r"is a folder, not a file \(a store goes to --store\)"):
        RunConfig(out_dir=tmp_path / "out", ais_paths=[tmp_path])


def test_a_folder_that_is_no_position_store_is_refused(tmp_path):
    with pytest.raises(ValueError):
        RunConfig(out_dir=tmp_path / "out", position_store=tmp_path)


def test_unset_values_come_from_the_settings(tmp_path, ais, monkeypatch):
    monkeypatch.setenv("VESSEL_RISK_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("VESSEL_RISK_VALIDATE_FRAMES", "1")
    config = RunConfig.from_settings(Settings(), out_dir=tmp_path, ais_paths=[ais])
    assert config.database_url == "sqlite:///elsewhere.db" and config.validate_frames is True
    given = RunConfig.from_settings(
        Settings(), out_dir=tmp_path, ais_paths=[ais], database_url="sqlite://"
    )
    assert given.database_url == "sqlite://"


def test_one_path_given_alone_is_one_file(tmp_path, ais):
    assert RunConfig(out_dir=tmp_path, ais_paths=str(ais)).ais_paths == (ais,)
    assert RunConfig(out_dir=tmp_path, ais_paths=ais).ais_paths == (ais,)


def test_outputs_inside_the_position_store_are_refused(tmp_path, ais):
    from vessel_risk.ingest import write_store

    store = tmp_path / "store"
    write_store([ais], store)
    for out in (store, store / "out"):
        with pytest.raises(ValueError, match="lies in the position store"):
            RunConfig(out_dir=out, position_store=store)
    assert RunConfig(out_dir=tmp_path / "out", position_store=store).position_store == store
