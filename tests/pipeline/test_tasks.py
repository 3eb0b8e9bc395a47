"""Partition tasks (vessel_risk.pipeline.tasks): idempotent when retried, atomic writes."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.builders import shared_file
from vessel_risk.pipeline.tasks import (
    StageClock,
    encounter_window_task,
    first_pass_task,
    positions_file,
    write_atomic,
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
    windows = sorted((work / "grid").glob("window=*"))
    assert isinstance(encounter_window_task(str(windows[0])), pd.DataFrame)


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
