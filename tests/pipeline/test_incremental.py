"""Incremental runs: a store with a late part appended equals a full run on both parts.

The squid-jigger file is split in time at 2023-03-01 UTC (its last month comes late);
one store takes the first part, is run, has the second appended (``vessel-risk ingest
--append``) and is run again into the same folder and database; another store takes
both at once.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from tests.builders import SQUID, shared_file
from vessel_risk.db.tables import AlertRow, AuditEntry, Score

SPLIT = pd.Timestamp("2023-03-01", tz="UTC")
KEY = ["mmsi", "track_id", "year"]


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    squid = pd.read_parquet(shared_file(*SQUID))
    folder = tmp_path_factory.mktemp("halves")
    first, second = folder / "day1.parquet", folder / "day2.parquet"
    squid[squid["timestamp"] < SPLIT].to_parquet(first, index=False)
    squid[squid["timestamp"] >= SPLIT].to_parquet(second, index=False)
    return first, second, squid


def features(out):
    f = pd.read_parquet(out / "vessel_features.parquet")
    return f.sort_values(KEY, ignore_index=True)


def _run(store, out):
    from vessel_risk.pipeline.config import RunConfig
    from vessel_risk.pipeline.run import run

    return run(RunConfig(out_dir=out, position_store=store))


def test_append_records_what_it_touched(tmp_path, halves):
    from typer.testing import CliRunner

    from vessel_risk.cli import app
    from vessel_risk.ingest import read_manifest, read_store, store_appends
    from vessel_risk.pipeline.incremental import plan_run

    first, second, squid = halves
    store = tmp_path / "store"
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(first), "--store", str(store)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["ingest", str(second), "--store", str(store), "--append"])
    assert result.exit_code == 0, result.output
    late = squid[squid["timestamp"] >= SPLIT]
    manifest = read_manifest(store)
    assert [a["files"] for a in manifest["appends"]] == [[0], [1]]
    touched = store_appends(store, since=1)
    kept = read_store(store).positions
    kept = kept[kept["timestamp"] >= SPLIT]
    # the MMSIs of the second half's kept positions (an invalid MMSI is quarantined)
    assert set(kept["mmsi"]) <= set(touched["mmsi"])
    assert 0 < len(touched) <= late["mmsi"].nunique()
    said = " ".join(result.output.split())
    assert f"Appended: {len(touched):,} vessels touched" in said
    assert touched["first"].min() == kept["timestamp"].min()
    assert touched["last"].max() == late["timestamp"].max()
    # every row of both files, each vessel's rows in input order
    back = read_store(store)
    assert back.rows_in == len(squid)
    assert len(json.loads((store / "ingest_report.json").read_text())) == 2
    # a folder with no earlier run of this store: everything is new
    plan = plan_run(store, tmp_path / "out")
    assert (plan.full, plan.since, plan.appends) == (True, 0, 2)


def test_append_to_a_store_without_a_manifest_is_refused(tmp_path, halves):
    from vessel_risk.ingest import append_store, write_store

    store = tmp_path / "store"
    write_store([halves[0]], store)
    (store / "store.json").unlink()
    with pytest.raises(ValueError, match="no store.json .* ingest all its files again"):
        append_store([halves[1]], store)


def test_incremental_run_equals_a_full_run_and_revises_alerts(tmp_path, halves):
    from vessel_risk.ingest import append_store, write_store
    from vessel_risk.pipeline.incremental import STATE, plan_run

    first, second, _ = halves
    full_store, inc_store = tmp_path / "full", tmp_path / "inc"
    full_out, inc_out = tmp_path / "full_out", tmp_path / "inc_out"
    write_store([first, second], full_store, partitions=3)
    full = _run(full_store, full_out)

    write_store([first], inc_store, partitions=3)
    day1 = _run(inc_store, inc_out)
    assert json.loads((inc_out / STATE).read_text())["appends"] == 1
    append_store([second], inc_store)
    plan = plan_run(inc_store, inc_out)
    assert (plan.full, plan.since, plan.appends) == (False, 1, 2)
    assert plan.vessel_years["year"].unique().tolist() == [2023]
    day2 = _run(inc_store, inc_out)
    # only the touched vessels and those their new data reaches are recomputed
    done = day2.counts["incremental"]
    assert done["vessels_touched"] == len(plan.touched)
    assert len(plan.touched) <= done["vessels_recomputed"] < features(full_out)["mmsi"].nunique()
    assert full.counts["incremental"]["vessels_recomputed"] is None  # a first run: all
    assert plan_run(inc_store, inc_out).touched.empty  # nothing new after it

    pd.testing.assert_frame_equal(features(inc_out), features(full_out), rtol=1e-9, atol=1e-9)
    alerts_full = pd.read_csv(full_out / "alerts.csv", dtype=str)
    alerts_inc = pd.read_csv(inc_out / "alerts.csv", dtype=str)
    pd.testing.assert_frame_equal(alerts_inc, alerts_full)
    assert day2.alerts == full.alerts
    assert day2.peak_memory_mib["driver"] > 0  # printed as the run's memory; 0 before

    # a run of the files themselves (``run --ais``) gives the same alerts: the store
    # path passes the voyages to scoring too (the longest-voyage reasons)
    from vessel_risk.pipeline.config import RunConfig
    from vessel_risk.pipeline.run import run

    ais_out = tmp_path / "ais_out"
    run(RunConfig(out_dir=ais_out, ais_paths=(first, second)))
    alerts_ais = pd.read_csv(ais_out / "alerts.csv", dtype=str)
    assert alerts_ais.filter(like="_reason").stack().str.contains("voyage").any()
    pd.testing.assert_frame_equal(alerts_inc, alerts_ais)

    # the database: one alert per vessel-year, revised in place, history kept
    engine = create_engine(f"sqlite:///{inc_out / 'vessel_risk.db'}")
    with Session(engine) as s:
        rows = s.execute(select(AlertRow.mmsi, AlertRow.track_id, AlertRow.year)).all()
        assert len(rows) == len(set(rows))
        current = {
            (r.mmsi, r.track_id, r.year): (r.score, r.tier, r.rank, r.run_id)
            for r in s.scalars(select(AlertRow))
        }
        full_keys = set(
            zip(
                alerts_full["mmsi"],
                alerts_full["track_id"].astype(int),
                alerts_full["year"].astype(int),
                strict=True,
            )
        )
        assert full_keys <= set(current)
        assert {current[k][3] for k in full_keys} == {day2.run_id}
        revised = s.scalar(select(func.count()).where(AuditEntry.action == "alert.rescored"))
        created = s.scalar(select(func.count()).where(AuditEntry.action == "alert.created"))
        assert created == len(current)
        assert revised == day1.alerts + day2.alerts - created
        assert revised > 0
        assert s.scalar(select(func.count()).select_from(Score)) == day1.alerts + day2.alerts
    engine.dispose()


def test_a_reference_file_changed_at_the_same_path_makes_the_next_run_recompute_all(
    tmp_path, halves
):
    from vessel_risk.ingest import append_store, write_store
    from vessel_risk.pipeline.config import RunConfig
    from vessel_risk.pipeline.run import run

    first, second, _ = halves
    ports = pd.read_csv(shared_file("data", "ports", "gfw_named_anchorages.csv.gz"))
    path = tmp_path / "ports.csv"
    ports.to_csv(path, index=False)
    inc_store, full_store = tmp_path / "inc", tmp_path / "full"
    inc_out, full_out = tmp_path / "inc_out", tmp_path / "full_out"
    write_store([first], inc_store, partitions=2)
    steps: list[tuple[str, int, int]] = []
    run(
        RunConfig(out_dir=inc_out, position_store=inc_store, ports_path=path),
        on_progress=lambda step, done, total: steps.append((step, done, total)),
    )
    # A store run reports its passes as a full run does (benchmarks/bench_scale.py times them).
    assert [s for s in steps if s[0] != "encounters"] == [
        ("first pass", 0, 2), ("first pass", 1, 2), ("first pass", 2, 2),
        ("second pass", 0, 2), ("second pass", 1, 2), ("second pass", 2, 2),
    ]  # fmt: skip
    windows = [s for s in steps if s[0] == "encounters"]
    assert windows[0][1] == 0 and windows[-1][1] == windows[-1][2] > 0
    append_store([second], inc_store)
    # the port list is updated in place: every other anchorage, same path
    ports.iloc[::2].to_csv(path, index=False)
    again = run(RunConfig(out_dir=inc_out, position_store=inc_store, ports_path=path))
    assert again.counts["incremental"]["vessels_recomputed"] is None  # everything
    assert again.counts["incremental"]["everything_computed_because"] == (
        "the configuration or a reference file changed since the last run"
    )

    write_store([first, second], full_store, partitions=2)
    run(RunConfig(out_dir=full_out, position_store=full_store, ports_path=path))
    pd.testing.assert_frame_equal(features(inc_out), features(full_out), rtol=1e-9, atol=1e-9)
    assert features(inc_out)["number_port_visits"].sum() > 0


def test_days_appended_one_at_a_time_run_on_a_local_cluster_equal_full_runs(tmp_path):
    """The incremental path maps its partitions over Dask as a full run does: two days
    appended one at a time, each run with ``--scheduler processes --workers 2`` (after a
    first run in this process: where partitions run is not part of the cache's key), give the
    full run's features (1e-9) and alerts on both days; only the touched vessels and
    those their data reaches are recomputed."""
    from vessel_risk.ingest import append_store, write_store
    from vessel_risk.pipeline.config import RunConfig
    from vessel_risk.pipeline.run import load_references, run

    squid = pd.read_parquet(shared_file(*SQUID))
    t = squid["timestamp"]
    day1, day2 = pd.Timestamp("2022-10-26", tz="UTC"), pd.Timestamp("2022-10-27", tz="UTC")
    end = day2 + pd.Timedelta(days=1)
    parts = {
        "base": squid[(t >= pd.Timestamp("2022-09-01", tz="UTC")) & (t < day1)],
        "day1": squid[(t >= day1) & (t < day2)],
        "day2": squid[(t >= day2) & (t < end)],
    }
    files = {}
    for name, frame in parts.items():
        files[name] = tmp_path / f"{name}.parquet"
        frame.to_parquet(files[name], index=False)
    assert parts["day1"]["mmsi"].nunique() >= 10 and parts["day2"]["mmsi"].nunique() >= 10
    refs = load_references(RunConfig(out_dir=tmp_path / "x", ais_paths=[files["base"]]))

    def once(store, out, **where):
        config = RunConfig(out_dir=out, position_store=store, scorer="baseline", **where)
        return run(config, references=refs)

    inc, inc_out = tmp_path / "inc", tmp_path / "inc_out"
    cluster = {"scheduler": "processes", "workers": 2}
    write_store([files["base"]], inc, partitions=3)
    once(inc, inc_out)  # the first run, in this process; the cache serves any scheduler
    names = ["base"]
    for day in ("day1", "day2"):
        append_store([files[day]], inc)
        names.append(day)
        got = once(inc, inc_out, **cluster)
        assert len([k for k in got.peak_memory_mib if k != "driver"]) == 2  # both workers
        done = got.counts["incremental"]
        assert 0 < done["vessels_touched"] <= done["vessels_recomputed"]
        full, full_out = tmp_path / f"full_{day}", tmp_path / f"full_{day}_out"
        write_store([files[n] for n in names], full, partitions=3)
        want = once(full, full_out)  # in this process, everything computed
        assert done["vessels_recomputed"] < features(full_out)["mmsi"].nunique()
        pd.testing.assert_frame_equal(features(inc_out), features(full_out), rtol=1e-9, atol=1e-9)
        pd.testing.assert_frame_equal(
            pd.read_csv(inc_out / "alerts.csv", dtype=str),
            pd.read_csv(full_out / "alerts.csv", dtype=str),
        )
        assert got.alerts == want.alerts > 0


def test_a_rerun_with_nothing_new_on_a_local_cluster_equals_the_one_in_this_process(tmp_path):
    """Nothing appended since the last run: ``--scheduler processes`` recomputes no
    vessel and gives the outputs of the run before (it once failed scattering the empty
    set of touched MMSIs). A run that began rewriting the cache and stopped makes the
    next one recompute everything and say why."""
    from vessel_risk.ingest import write_store
    from vessel_risk.pipeline.config import RunConfig
    from vessel_risk.pipeline.incremental import _mark_stopped
    from vessel_risk.pipeline.run import load_references, run

    squid = pd.read_parquet(shared_file(*SQUID))
    t = squid["timestamp"]
    week = squid[
        (t >= pd.Timestamp("2022-10-20", tz="UTC")) & (t < pd.Timestamp("2022-10-27", tz="UTC"))
    ]
    path = tmp_path / "week.parquet"
    week.to_parquet(path, index=False)
    refs = load_references(RunConfig(out_dir=tmp_path / "x", ais_paths=[path]))
    store, out = tmp_path / "store", tmp_path / "out"
    write_store([path], store, partitions=2)

    def once(**where):
        config = RunConfig(out_dir=out, position_store=store, scorer="baseline", **where)
        return run(config, references=refs)

    sync = once()
    assert sync.counts["incremental"]["everything_computed_because"] == "first run on this output"
    want, want_alerts = features(out), pd.read_csv(out / "alerts.csv", dtype=str)
    got = once(scheduler="processes", workers=2)
    assert got.counts["incremental"] == {
        "appends_taken_in": 0,
        "vessels_touched": 0,
        "vessels_recomputed": 0,
        "everything_computed_because": None,
    }
    pd.testing.assert_frame_equal(features(out), want)
    pd.testing.assert_frame_equal(pd.read_csv(out / "alerts.csv", dtype=str), want_alerts)
    assert got.alerts == sync.alerts > 0

    _mark_stopped(store, out)  # what a run leaves that stops while rewriting the cache
    again = once()
    assert again.counts["incremental"]["vessels_recomputed"] is None
    assert (
        "stopped before it finished" in again.counts["incremental"]["everything_computed_because"]
    )
    pd.testing.assert_frame_equal(features(out), want)
