"""The position store: written by vessel partition, read back whole or one partition at a time.

Round trips through ``vessel-risk ingest --store``, partitions that keep each vessel
whole and in input order, a stable partition hash, and the refusals (a position store
is written once; a run folder or a year-partitioned store is not one).
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.builders import shared_file
from vessel_risk.ingest.schemas import IngestPositionSchema, StaticReportSchema


def test_ingest_store_round_trip(tmp_path):
    from typer.testing import CliRunner

    from vessel_risk.cli import app
    from vessel_risk.ingest import read_store

    files = [
        shared_file("cases", "C06_multipart_fragments.nmea"),
        shared_file("cases", "C10_malformed_rows.csv"),
        shared_file("data", "ais", "nmea", "mixed_with_malformed.nmea"),
    ]
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["ingest", *map(str, files), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert (store / "positions" / "part=00000").is_dir()
    back = read_store(store)
    assert back.rows_in == 4 + 23 + 898 and back.balanced
    assert (len(back.positions), len(back.static), len(back.quarantine)) == (784, 3, 138)
    IngestPositionSchema.validate(back.positions)
    StaticReportSchema.validate(back.static)


def test_store_partitions_keep_each_vessel_whole_and_in_input_order(tmp_path):
    from vessel_risk.ingest import (
        read_many,
        read_partition,
        store_partitions,
        vessel_partition,
        write_store,
    )

    files = [
        shared_file("cases", "C06_multipart_fragments.nmea"),
        shared_file("cases", "C10_malformed_rows.csv"),
        shared_file("data", "ais", "nmea", "mixed_with_malformed.nmea"),
    ]
    write_store(files, tmp_path / "store", partitions=4)
    whole = read_many(files)
    seen: dict[str, int] = {}
    stacked = []
    for n in store_partitions(tmp_path / "store"):
        positions, static = read_partition(tmp_path / "store", n)
        for mmsi in pd.concat([positions["mmsi"], static["mmsi"]]).unique():
            assert seen.setdefault(mmsi, n) == n, f"{mmsi} is in two partitions"
        assert (vessel_partition(positions["mmsi"], 4) == n).all()
        stacked.append(positions)
    back = pd.concat(stacked, ignore_index=True)
    # The same rows, and each vessel's in input order: a stable sort by MMSI keeps it.
    pd.testing.assert_frame_equal(
        back.sort_values("mmsi", kind="stable", ignore_index=True),
        whole.positions.sort_values("mmsi", kind="stable", ignore_index=True),
    )


def test_vessel_partition_is_a_stable_hash():
    from vessel_risk.ingest import vessel_partition

    mmsi = pd.Series(["412000001", "150400453", "412000001"], dtype="string")
    assert list(vessel_partition(mmsi, 16)) == [4, 13, 4]
    assert list(vessel_partition(mmsi, 1)) == [0, 0, 0]


def test_run_reads_only_stores_partitioned_by_vessel(tmp_path):
    from vessel_risk.ingest import store_partitions

    with pytest.raises(ValueError, match="ingest_report.json"):
        store_partitions(tmp_path)
    (tmp_path / "ingest_report.json").write_text("[]")
    (tmp_path / "positions" / "year=2024").mkdir(parents=True)
    with pytest.raises(ValueError, match="partitioned by year"):
        store_partitions(tmp_path)


def test_ingest_store_unreadable_file_is_exit_2(tmp_path):
    from typer.testing import CliRunner

    from vessel_risk.cli import app

    table = shared_file("data", "ais", "squid_jiggers_raw", "daily_identity.csv.gz")
    result = CliRunner().invoke(app, ["ingest", str(table), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "columns must include" in " ".join(result.output.split())


def test_a_store_is_written_once_and_a_run_folder_is_not_a_store(tmp_path):
    from typer.testing import CliRunner

    from vessel_risk.cli import app

    nmea = shared_file("data", "ais", "nmea", "receiver_log_201201.nmea")
    store = tmp_path / "store"
    first = CliRunner().invoke(app, ["ingest", str(nmea), "--store", str(store)])
    assert first.exit_code == 0, first.output
    files = sorted(p.relative_to(store) for p in store.rglob("*"))
    # A second ingest would replace the first one's files under the same names.
    again = CliRunner().invoke(app, ["ingest", str(nmea), "--store", str(store)])
    said = " ".join(again.output.split())
    assert again.exit_code == 2 and "not empty" in said and "--append" in said
    assert sorted(p.relative_to(store) for p in store.rglob("*")) == files
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["run", "--store", str(store), "--out", str(out)]).exit_code == 0
    # The run's folder has an ingest_report.json too, but not a store's.
    result = CliRunner().invoke(app, ["run", "--store", str(out), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "is not a store" in " ".join(result.output.split())
    assert not (tmp_path / "x").exists()


def test_ingest_store_writes_a_large_file_chunk_by_chunk(tmp_path, monkeypatch):
    import vessel_risk.ingest as ingest
    import vessel_risk.ingest.store as store_module
    import vessel_risk.ingest.store_split as split_module

    # The store reads Parquet in chunks of STORE_CHUNK_ROWS rows (bounded memory) and
    # writes them BATCH_ROWS at a time: here chunk by chunk.
    monkeypatch.setattr(store_module, "STORE_CHUNK_ROWS", 1000)
    monkeypatch.setattr(split_module, "BATCH_ROWS", 1000)
    src = shared_file("data", "ais", "danube_vessel_2024_10days.parquet")
    reports = ingest.write_store([src], tmp_path / "store")
    assert len(reports) == 1 and reports[0]["rows_in"] == 4680 and reports[0]["positions"] == 4680
    assert len(list((tmp_path / "store" / "positions").glob("*/file00000-0000[0-4].parquet"))) == 5
    back = ingest.read_store(tmp_path / "store")
    assert back.rows_in == 4680 and back.balanced
    # Batched (the default: 5 chunks of 1,000 rows held, then written at once): one file
    # a partition, and the same rows read back in the same order.
    monkeypatch.setattr(split_module, "BATCH_ROWS", 300_000)
    ingest.write_store([src], tmp_path / "batched")
    assert len(list((tmp_path / "batched" / "positions").glob("*/*.parquet"))) == 1
    again = ingest.read_store(tmp_path / "batched")
    pd.testing.assert_frame_equal(again.positions, back.positions, check_exact=True)
    pd.testing.assert_frame_equal(again.quarantine, back.quarantine, check_exact=True)


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_failed_append_leaves_the_store_as_it_was(tmp_path):
    from vessel_risk.ingest import append_store, read_manifest, read_store, write_store

    store = tmp_path / "store"
    write_store([shared_file("data", "ais", "nmea", "receiver_log_201201.nmea")], store)
    before = _snapshot(store)
    good = shared_file("data", "ais", "nmea", "mixed_with_malformed.nmea")
    # a gzip file cut off in transfer: its first 3000 bytes
    raw = shared_file("data", "ais", "squid_jiggers_raw", "150400453.csv.gz")
    bad = tmp_path / "cut.csv.gz"
    bad.write_bytes(raw.read_bytes()[:3000])
    with pytest.raises(ValueError, match="cut.csv.gz.* corrupt gzip"):
        append_store([good, bad], store)
    # the good file's partition files are gone too: nothing unrecorded for a later run
    assert _snapshot(store) == before
    assert len(read_manifest(store)["appends"]) == 1
    n0 = len(read_store(store).positions)
    append_store([good], store)
    assert len(read_manifest(store)["appends"]) == 2
    assert len(read_store(store).positions) - n0 == 762  # the NMEA file's positions


def test_a_file_already_in_the_store_is_refused(tmp_path):
    import shutil

    from typer.testing import CliRunner

    from vessel_risk.cli import app
    from vessel_risk.ingest import append_store, read_manifest, write_store

    nmea = shared_file("data", "ais", "nmea", "receiver_log_201201.nmea")
    store = tmp_path / "store"
    write_store([nmea], store)
    assert len(read_manifest(store)["appends"][0]["sha256"][0]) == 64
    before = _snapshot(store)
    renamed = tmp_path / "same_day_again.nmea"
    shutil.copyfile(nmea, renamed)
    with pytest.raises(ValueError, match="same_day_again.nmea.* same contents as .*receiver_log"):
        append_store([renamed], store)
    result = CliRunner().invoke(app, ["ingest", str(nmea), "--store", str(store), "--append"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "already in the store" in said, said
    assert _snapshot(store) == before
    with pytest.raises(ValueError, match="also given in this ingest"):
        write_store([nmea, renamed], tmp_path / "other")
    assert not (tmp_path / "other").exists()
