"""Scaling of the stages after ingest: ``--scheduler sync`` against local Dask clusters.

Builds a file of about N rows from the real squid-jigger file (replicas with MMSIs
offset and times shifted: :func:`bench_run.build_replicated`), ingests it once into a
position store of ``--partitions`` partitions, then runs :func:`vessel_risk.pipeline.run`
on the store once per mode, each in a fresh Python subprocess:

* ``sync``: every partition in the driver process;
* ``processes-1``: a local Dask cluster of one worker process;
* ``processes-2`` (``processes-W``): W worker processes, one thread each.

The store has a ``store.json`` (days can be appended), so every mode takes the incremental
store path (:func:`vessel_risk.pipeline.incremental.run_store`, a first run: everything
computed; its tasks report CPU seconds per stage as a full run's do).
The ratio the issue asks for is ``processes-2`` against ``processes-1``.

Measured per mode: wall seconds of ``run()`` (no ingest: the store is read as it is),
wall seconds of the partition work (first pass start to second pass end, the part Dask
spreads; encounters by time window included, vessels in the driver), worker-seconds per
stage (summed over partitions), CPU seconds per per-partition stage and the per-core
throughput they give (positions read / CPU-second),
peak RSS of the driver and of each worker, the wall and CPU seconds of each of the
driver's steps after the second pass (scoring, writing, recording, the report), and the
load average around the run (the machine may be shared: a load above the core count
makes every ratio pessimistic).
Results go to a table on stdout and to ``<out>/bench_scale.json``.

Usage::

    .venv/bin/python benchmarks/bench_scale.py --rows 2000000 --partitions 8
    .venv/bin/python benchmarks/bench_scale.py --rows 1000000 --modes sync processes-2
    .venv/bin/python benchmarks/bench_scale.py --modes processes-1 processes-2 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(
    os.environ.get("VESSEL_RISK_TEST_SHARED")
    or next(  # beside a checkout, or beside the folder of worktrees
        (d / "shared" for d in (ROOT.parent, ROOT.parent.parent) if (d / "shared").is_dir()),
        ROOT.parent / "shared",
    )
)
SQUID = SHARED / "data" / "ais" / "squid_jiggers_2020_2023.parquet"

CHILD = r"""
import importlib, json, os, sys, time
from vessel_risk.pipeline import RunConfig, run

TAIL = {  # the driver's steps after the passes, timed where run() and score_and_record call them
    "vessel_risk.pipeline.outputs": [
        "stack_events", "alert_queue", "score_alerts", "run_counts", "write_events",
        "write_alerts_csv", "write_alerts_geojson", "write_alerts_geoparquet",
        "evidence_events", "record_run", "record_coastal_states", "vessel_states",
        "predict_arrivals", "record_arrivals", "auto_refer", "notify_alerts",
        "notify_arrivals",
    ],
    "vessel_risk.pipeline.run": ["stack_events", "write_geoparquet_files"],
    "vessel_risk.pipeline.incremental": ["write_geoparquet_files", "mark_processed"],
    "vessel_risk.pipeline.report": ["write_report", "_map_png", "_table"],
}
tail = {}

def timed(name, function):
    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            w, c = tail.setdefault(name, [0.0, 0.0])
            tail[name] = [w + time.perf_counter() - wall, c + time.process_time() - cpu]
    return wrapper

for module_name, names in TAIL.items():
    module = importlib.import_module(module_name)
    for name in names:
        if hasattr(module, name):
            setattr(module, name, timed(name, getattr(module, name)))

def main():
    store, out, scheduler, workers = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    marks = {}
    tasks = []  # each partition task's CPU seconds, as the workers measured them
    from vessel_risk.pipeline.engine import Engine
    mapped = Engine.map
    def record(self, function, items, *args, **kwargs):
        results = mapped(self, function, items, *args, **kwargs)
        for r in results:
            if hasattr(r, "cpu_seconds"):
                tasks.append({
                    "task": function.__name__, "partition": r.partition,
                    "rows": getattr(r, "positions", None) or r.meta["positions_read"],
                    "cpu_s": sum(r.cpu_seconds.values()), "worker": r.worker,
                    "wall_s": sum(r.seconds.values()),
                })
        return results
    Engine.map = record
    events = []
    def progress(step, done, total):
        now = time.perf_counter()
        events.append((step, done, now))
        if done == 0:
            marks.setdefault(step + " start", now)
        if done == total:
            marks[step + " end"] = now
    config = RunConfig(
        out_dir=out, position_store=store, scorer="baseline", scheduler=scheduler,
        workers=int(workers) if workers != "-" else None,
    )
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    summary = run(config, on_progress=progress)
    wall = time.perf_counter() - t0
    print(json.dumps({
        "wall_s": wall,
        "partition_work_s": marks["second pass end"] - marks["first pass start"],
        "stage_worker_s": summary.stage_seconds,
        "stage_cpu_s": summary.stage_cpu_seconds,
        "peak_mib": summary.peak_memory_mib,
        "positions_read": summary.counts["positions_read"],
        "positions_kept": summary.counts["positions_kept"],
        "alerts": summary.alerts,
        "partitions": summary.partitions,
        "load_before": load,
        "load_after": os.getloadavg()[0],
        "tasks": tasks,
        "marks_s": {k: v - t0 for k, v in marks.items()},
        "progress_s": [(step, done, now - t0) for step, done, now in events],
        "tail_s": tail,
    }))

if __name__ == "__main__":
    main()
"""


def _store(rows: int, partitions: int, out: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_run import build_replicated

    from vessel_risk.ingest import write_store

    source = out / f"squid_x_{rows}.parquet"
    store = out / f"store_{rows}_{partitions}"
    if not (store / "ingest_report.json").exists():
        build_replicated(SQUID, source, rows)
        write_store([source], store, partitions=partitions)
    return store


def makespan(seconds: list[float], order: list[int], workers: int) -> float:
    """Seconds until the last of ``seconds`` ends when tasks are handed out in ``order``,
    each to the worker that is free first (list scheduling)."""
    free = [0.0] * workers
    for i in order:
        k = free.index(min(free))
        free[k] += seconds[i]
    return max(free)


def _schedules(mode: str, tasks: list[dict[str, Any]]) -> None:
    """The two passes' makespans on 2 free cores from the tasks' own CPU seconds: tasks in
    partition order against largest (most rows) first, as the engine hands them out."""
    if not tasks:
        return
    print(f"\n{mode}: per-pass makespan on 2 free cores from each task's CPU seconds:")
    for name in ("first_pass_task", "second_pass_task"):
        # the incremental store path's tasks are incremental_first_task / ..._second_task
        kind = name.split("_")[0]
        done = sorted(
            (t for t in tasks if t["task"].replace("incremental_", "").startswith(kind)),
            key=lambda t: t["partition"],
        )
        cpu = [t["cpu_s"] for t in done]
        lpt = sorted(range(len(done)), key=lambda i: (-done[i]["rows"], i))
        wall = sum(t.get("wall_s", 0.0) for t in done)
        print(
            f"{name:>17}: wall in tasks {wall:6.2f} s, CPU {sum(cpu):6.2f} s "
            f"(tasks {', '.join(f'{c:.2f}' for c in cpu)}); "
            f"2 workers: in order {makespan(cpu, list(range(len(cpu))), 2):6.2f} s, "
            f"largest first {makespan(cpu, lpt, 2):6.2f} s, ideal {sum(cpu) / 2:6.2f} s"
        )


def _tail(mode: str, r: dict[str, Any]) -> None:
    """The driver's steps after the second pass: wall and CPU seconds of each."""
    tail = r.get("tail_s") or {}
    if not tail:
        return
    after = r["wall_s"] - r.get("marks_s", {}).get("second pass end", r["wall_s"])
    print(f"{mode}: driver tail after the second pass {after:.2f} s wall; steps (wall, CPU s):")
    for name, (wall, cpu) in sorted(tail.items(), key=lambda kv: -kv[1][1]):
        print(f"{name:>24}: {wall:6.2f} {cpu:6.2f}")


def _mode(mode: str) -> tuple[str, str]:
    if mode == "sync":
        return "sync", "-"
    name, _, workers = mode.partition("-")
    if name != "processes" or not workers.isdigit():
        raise SystemExit(f"error: a mode is sync or processes-W, not {mode!r}.")
    return "processes", workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--modes", nargs="+", default=["sync", "processes-1", "processes-2"])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_scale"))
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the modes this many times, in turn: each round's ratios and their median "
        "(one run's ratio moves by up to 0.1 on a shared machine)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    store = _store(args.rows, args.partitions, args.out)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = args.out / "child.py"
    child.write_text(CHILD)
    rounds = []
    for number in range(args.rounds):
        if args.rounds > 1:
            print(f"round {number + 1} of {args.rounds}:", flush=True)
        rounds.append(_round(args.modes, store, args.out, child, env))
    results = rounds[-1]
    base_mode = next((m for m in ("processes-1", "sync") if m in results), args.modes[0])
    if args.rounds > 1:
        print(f"\nratios to {base_mode}, each round (partition work; run()):")
        for mode in args.modes:
            work = [r[base_mode]["partition_work_s"] / r[mode]["partition_work_s"] for r in rounds]
            whole = [r[base_mode]["wall_s"] / r[mode]["wall_s"] for r in rounds]
            print(
                f"{mode:>12}: " + " ".join(f"{x:.2f}x" for x in work)
                + f" (median {statistics.median(work):.2f}x); "
                + " ".join(f"{x:.2f}x" for x in whole)
                + f" (median {statistics.median(whole):.2f}x)"
            )  # fmt: skip
        print("(what follows is the last round's)")
    base = results[base_mode]
    print("\nratios of partition work (first pass .. second pass) and whole run():")
    for mode, r in results.items():
        print(
            f"{mode:>12}: {base['partition_work_s'] / r['partition_work_s']:.2f}x partition work, "
            f"{base['wall_s'] / r['wall_s']:.2f}x run()"
        )
    for mode, r in results.items():
        read = r["positions_read"]
        print(f"\n{mode}: per-core throughput per stage ({read:,} positions read), CPU seconds:")
        for stage, seconds in sorted(r["stage_cpu_s"].items(), key=lambda kv: -kv[1]):
            print(f"{stage:>14}: {seconds:7.2f} s  {read / max(seconds, 1e-9):>12,.0f} positions/s")
        total = sum(r["stage_cpu_s"].values())
        print(f"{'all':>14}: {total:7.2f} s  {read / max(total, 1e-9):>12,.0f} positions/s")
    for mode, r in results.items():
        marks = sorted(r.get("marks_s", {}).items(), key=lambda kv: kv[1])
        print(f"\n{mode}: seconds into run(): " + ", ".join(f"{k} {v:.1f}" for k, v in marks))
        ends = [f"{t:.1f}" for step, done, t in r.get("progress_s", []) if done and "pass" in step]
        print(f"{mode}: partition tasks done at (s into run(), both passes): " + " ".join(ends))
        _schedules(mode, r.get("tasks", []))
        _tail(mode, r)
    meta = {"rows": args.rows, "partitions": args.partitions, "cpus": os.cpu_count()}
    (args.out / "bench_scale.json").write_text(
        json.dumps({**meta, "results": results, "rounds": rounds}, indent=2)
    )
    print(f"\n{args.out / 'bench_scale.json'}; {time.strftime('%Y-%m-%d %H:%M:%S')}")


def _round(
    modes: list[str], store: Path, out_dir: Path, child: Path, env: dict[str, str]
) -> dict[str, Any]:
    """Each mode's ``run()`` on ``store``, one fresh subprocess per mode, in turn."""
    results: dict[str, Any] = {}
    for mode in modes:
        scheduler, workers = _mode(mode)
        out = out_dir / f"run-{mode}"
        subprocess.run(["rm", "-rf", str(out)], check=True)
        done = subprocess.run(
            [sys.executable, str(child), str(store), str(out), scheduler, workers],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
        results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
        r = results[mode]
        print(
            f"{mode:>12}: run {r['wall_s']:7.1f} s, partition work {r['partition_work_s']:7.1f} s, "
            f"peak {max(r['peak_mib'].values()):6.0f} MiB, load {r['load_before']:.1f}"
            f"->{r['load_after']:.1f}",
            flush=True,
        )
    return results


if __name__ == "__main__":
    main()
