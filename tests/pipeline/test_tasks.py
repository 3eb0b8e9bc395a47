"""Partition tasks (vessel_risk.pipeline.tasks): idempotent when retried, atomic writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.builders import shared_file
from vessel_risk.events.encounters import close_pairs, pair_samples, resample_tracks
from vessel_risk.pipeline.tasks import (
    StageClock,
    first_pass_task,
    positions_file,
    write_atomic,
)
from vessel_risk.pipeline.tiles import (
    ENCOUNTER_TILE_DEG,
    TILE_MARGIN_DEG,
    encounter_tile_task,
    plan_tiles,
    string_mmsi,
    write_grid,
)


def test_a_failed_write_leaves_no_file_and_no_temporary(tmp_path):
    path = tmp_path / "a" / "x.parquet"
    write_atomic(pd.DataFrame({"n": [1, 2]}), path)
    with pytest.raises(ValueError, match="Could not convert"):  # pyarrow's ArrowInvalid
        write_atomic(pd.DataFrame({"n": [1, "two", object()]}), path)
    assert pd.read_parquet(path)["n"].tolist() == [1, 2]  # the earlier file is whole
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.parquet"]


@pytest.fixture(scope="module")
def refs():
    from vessel_risk.geo.ports import read_ports
    from vessel_risk.geo.shore import ShoreDistance
    from vessel_risk.pipeline.stages import References

    ports = read_ports(shared_file("data", "ports", "gfw_named_anchorages.csv.gz"))
    return References(shore=ShoreDistance(), ports=ports)


def test_a_retried_first_pass_leaves_the_same_files_and_result(tmp_path, refs):
    from vessel_risk.ingest import store_partitions, write_store

    store = tmp_path / "store"
    write_store([shared_file("cases", "C02_mmsi_forms.csv")], store, partitions=2)
    n = store_partitions(store)[0]
    work = tmp_path / "work"
    first = first_pass_task(n, str(store), str(work), refs)
    files = sorted(p for p in work.rglob("*") if p.is_file())
    before = {p: p.read_bytes() for p in files}
    again = first_pass_task(n, str(store), str(work), refs)  # as a retry after a lost worker
    assert sorted(p for p in work.rglob("*") if p.is_file()) == files  # no temporaries left
    assert {p: p.read_bytes() for p in files} == before
    assert positions_file(work, n) in files and any("window=" in str(p) for p in files)
    pd.testing.assert_frame_equal(again.identity, first.identity)
    assert again.tally == first.tally and again.positions == first.positions > 0
    tiles = plan_tiles(work)
    assert isinstance(encounter_tile_task(tiles[0]), pd.DataFrame)


def _tiled_samples(grid: pd.DataFrame, tmp_path, parts: int = 3) -> pd.DataFrame:
    """Samples of every tile, the grid written by ``parts`` partitions (rows dealt out),
    one task per band (``max_points=1``) and, apart, one task per window."""
    for n in range(parts):
        write_grid(grid.iloc[n::parts], tmp_path, n)
    by_band = plan_tiles(tmp_path, max_points=1)
    by_window = plan_tiles(tmp_path)
    assert len(by_band) > len(by_window)
    whole = _sorted(pd.concat([encounter_tile_task(t) for t in by_window]))
    tiled = pd.concat([encounter_tile_task(t) for t in by_band])
    pd.testing.assert_frame_equal(_sorted(tiled), whole)
    return tiled


def _sorted(samples: pd.DataFrame) -> pd.DataFrame:
    out = samples.astype({"a": str, "b": str})
    return out.sort_values(["a", "a_track", "b", "b_track", "slot"]).reset_index(drop=True)


def test_tiles_find_every_close_pair_once_across_band_edges(tmp_path):
    """150 vessels over 40 slots, each point within 0.01° of a band edge (-10°, 0°, 10°):
    the pairs found tile by tile are exactly those of the whole grid, none twice."""
    rng = np.random.default_rng(7)
    n = 6000
    edge = rng.choice([-10.0, 0.0, 10.0], n)
    grid = pd.DataFrame(
        {
            "mmsi": pd.Categorical([f"4120{k // 40:05d}" for k in range(n)]),
            "track_id": np.zeros(n, dtype="int64"),
            "slot": 2_800_000 + np.arange(n) % 40,
            "lat": edge + rng.uniform(-0.01, 0.01, n),
            "lon": 120.0 + rng.uniform(0.0, 0.03, n),
            "speed_knots": rng.uniform(0, 3, n),
            "distance_from_port_km": rng.uniform(0, 50, n),
        }
    )
    grid.loc[::97, "lat"] = np.nan  # unlocated points never pair
    whole = _sorted(pair_samples(grid, close_pairs(grid)))
    tiled = _sorted(_tiled_samples(grid, tmp_path))
    band = np.floor(whole["lat"] / ENCOUNTER_TILE_DEG)
    assert len(whole) > 2000 and 0 < TILE_MARGIN_DEG < 0.005
    assert band.nunique() == 4  # pairs on both sides of the edges
    assert not tiled.duplicated(["a", "a_track", "b", "b_track", "slot"]).any()
    pd.testing.assert_frame_equal(tiled, whole)


def test_a_pair_astride_a_band_edge_is_found_in_one_tile(tmp_path):
    """Two vessels 300 m apart north-south across 10°N: one pair, owned by the band 0-10°."""
    grid = pd.DataFrame(
        {
            "mmsi": pd.Categorical(["412000001", "412000002"]),
            "track_id": [0, 0],
            "slot": [2_800_000, 2_800_000],
            "lat": [9.9987, 10.0013],
            "lon": [120.0, 120.0],
            "speed_knots": [0.5, 0.7],
            "distance_from_port_km": [40.0, 41.0],
        }
    )
    write_grid(grid, tmp_path, 0)
    tasks = plan_tiles(tmp_path, max_points=1)
    assert [bands for _, bands in tasks] == [[0], [1]]
    assert [len(encounter_tile_task(t)) for t in tasks] == [1, 0]


def test_tiles_give_the_pairs_of_the_whole_grid_on_the_squid_fleet(tmp_path):
    squid = pd.read_parquet(
        shared_file("data", "ais", "squid_jiggers_2020_2023.parquet"),
        columns=["mmsi", "timestamp", "lat", "lon", "speed_knots"],
    )
    squid["mmsi"] = squid["mmsi"].astype(str)
    squid["distance_from_port_km"] = 100.0
    grid = resample_tracks(squid.sort_values(["mmsi", "timestamp"]).reset_index(drop=True))
    whole = _sorted(pair_samples(grid, close_pairs(grid)))
    tiled = _sorted(_tiled_samples(grid, tmp_path))
    assert len(whole) > 1000
    pd.testing.assert_frame_equal(tiled, whole)


def test_the_stage_clock_times_each_stage_and_passes_names_on():
    seen: list[str] = []
    clock = StageClock(seen.append)
    clock("clean")
    sum(range(100_000))
    clock("gaps")
    clock.stop()
    assert seen == clock.names == ["clean", "gaps"]
    assert clock.seconds["clean"] > 0 and clock.cpu_seconds["clean"] >= 0
    assert set(clock.seconds) == set(clock.cpu_seconds) == {"clean", "gaps"}


def test_string_mmsi_equals_astype_string_with_nulls_and_unused_categories():
    mmsi = pd.Series(
        pd.Categorical(
            ["412000002", None, "412000001", "412000002"],
            categories=pd.Index(["412000001", "412000002", "412000009"], dtype="string"),
        ),
        index=[5, 6, 7, 8],
        name="mmsi",
    )
    out = string_mmsi(mmsi)
    pd.testing.assert_series_equal(out, mmsi.astype("string"))
    assert out.isna().tolist() == [False, True, False, False]
    assert out.iloc[3] == "412000002"
    plain = pd.Series(["412000001", None], dtype=object)
    pd.testing.assert_series_equal(string_mmsi(plain), plain.astype("string"))


def test_a_grid_file_reads_back_equal_to_the_grid_it_was_written_from(tmp_path):
    """Plain encoding of the near-distinct columns changes the file, not its values."""
    grid = pd.DataFrame(
        {
            "mmsi": pd.Series(["412000001", "412000002", "412000001"], dtype="string"),
            "track_id": [0, 1, 0],
            "slot": [2_800_000, 2_800_000, 2_800_001],
            "lat": [9.123456789012, 25.5, -0.1],
            "lon": [120.0, -179.99, 179.5],
            "speed_knots": [0.5, np.nan, 7.25],
            "distance_from_port_km": [40.0, np.inf, 0.0],
        }
    )
    write_grid(grid, tmp_path, 0)
    (f,) = (tmp_path / "grid").rglob("*.parquet")
    back = pd.read_parquet(f).sort_values(["slot", "mmsi"]).reset_index(drop=True)
    assert back["tile"].tolist() == [0, 2, -1]
    pd.testing.assert_frame_equal(back[list(grid.columns)], grid)
