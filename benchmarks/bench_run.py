"""Benchmark of the main job, ``vessel-risk run`` (:func:`vessel_risk.pipeline.run`).

For each requested size the pipeline runs once, in a fresh Python subprocess, on:

* ``real``: the real squid-jigger AIS file (``../shared/data/ais/squid_jiggers_2020_2023.parquet``
  relative to the repository root, 111,384 rows);
* ``10M`` (or any ``<N>M`` / ``<N>k`` / ``<N>``): a synthetic file of about N rows built
  from the real one by replication (see :func:`build_replicated`), cached in the out folder.

Measured per size: rows in, positions kept, alerts, wall seconds of ``run()`` alone
(imports and interpreter start-up excluded, reported separately), positions/s =
rows in / wall seconds, peak RSS of the subprocess, and the seconds spent in each
pipeline stage (from the ``on_stage`` callback; stages that run once per partition of
vessels are summed), the number of partitions and the load average at the start and end of
each run (the machine may be shared). Results go to a table on stdout and
to ``<out>/bench_run.json``.

Usage::

    .venv/bin/python benchmarks/bench_run.py                      # real and 10M
    .venv/bin/python benchmarks/bench_run.py --sizes real
    .venv/bin/python benchmarks/bench_run.py --sizes real --profile   # + cProfile top 25
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DEFAULT_AIS = next(
    (
        d / "shared" / "data" / "ais" / "squid_jiggers_2020_2023.parquet"
        for d in (REPO_ROOT.parent, REPO_ROOT.parent.parent)  # a checkout or a git worktree
        if (d / "shared" / "data" / "ais").is_dir()
    ),
    REPO_ROOT.parent / "shared" / "data" / "ais" / "squid_jiggers_2020_2023.parquet",
)
DEFAULT_OUT = BENCH_DIR / "results"
SCHEDULER_ENV = "VESSEL_RISK_BENCH_SCHEDULER"
"""Set to e.g. ``processes:2`` (scheduler:workers) to run the child on a Dask cluster."""
REPLICA_SCHEME = "mid+1e5+replica*1000+rank; t+replica*7d; v1"
REPLICA_DAYS = 7


# --------------------------------------------------------------------------- sizes


def parse_size(token: str) -> int | None:
    """Target rows of a size: "real" -> None, "10M" -> 10_000_000, "500k" -> 500_000."""
    t = token.strip()
    if t.lower() == "real":
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kKmM]?)", t)
    if m:
        mult = {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
        return int(float(m.group(1)) * mult)
    try:
        return int(float(t))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"The size {token!r} is not understood: use 'real', '<N>M', '<N>k' or a row count."
        ) from None


# --------------------------------------------------------------------------- synthetic input


def build_replicated(src: Path, dest: Path, target_rows: int) -> dict[str, Any]:
    """Write ``dest``: the rows of ``src`` replicated ``k = ceil(target_rows / rows)`` times.

    Replica ``i`` (0 .. k-1) gets:

    * MMSIs rebuilt as ``MID * 1_000_000 + 100_000 + i * 1_000 + rank``, where ``MID`` is
      the first three digits of the original MMSI read as a 9-digit, zero-padded number
      (``mmsi // 1_000_000``) and ``rank`` is the position of the original MMSI among the
      file's distinct MMSIs (sorted). Every (replica, vessel) pair gets its own MMSI
      (the 6-digit suffix ``100000 + i*1000 + rank`` encodes both; needs rank < 1000 and
      k <= 900), the result stays <= 9 digits, and the MID, hence the flag state and the
      MMSI-validity verdict of :func:`vessel_risk.identity.mmsi.mmsi_valid`, is unchanged
      (150xxxxxx stays an invalid 150 prefix, 412xxxxxx stays a valid Chinese MMSI,
      short numbers such as 15006 stay zero-padded and invalid). The suffix is never
      000000/111111/456789/..., so no replica MMSI is a known placeholder. Replica 0 is
      renumbered too, so the file holds only MMSIs of this scheme (the original ones,
      which could coincide with a scheme MMSI, never appear in it).
    * timestamps shifted by ``i * 7`` days.

    Every other column is copied unchanged. The file is written with pyarrow, one row
    group per replica, so building it holds about two copies of the source in memory.
    The build parameters are stored in the file's schema metadata, so a cached file
    is reused only if it was built the same way from the same source.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(src)
    n = table.num_rows
    k = math.ceil(target_rows / n)
    mmsi = table.column("mmsi").to_numpy()
    if mmsi.dtype.kind not in "iu" or np.isnan(mmsi.astype("float64")).any():
        raise SystemExit(f"error: the 'mmsi' column of {src} must be integers without nulls.")
    if mmsi.min() < 0 or mmsi.max() >= 1_000_000_000:
        raise SystemExit(f"error: the MMSIs of {src} must lie in 0..999999999.")
    uniq, rank = np.unique(mmsi, return_inverse=True)
    if len(uniq) >= 1000 or k > 900:
        raise SystemExit(
            f"error: the MMSI scheme needs < 1000 distinct MMSIs and k <= 900 replicas; "
            f"got {len(uniq)} MMSIs and k = {k}."
        )
    base = (mmsi // 1_000_000) * 1_000_000 + 100_000 + rank.astype("int64")
    meta = {
        "source": str(src.resolve()),
        "source_rows": n,
        "source_bytes": src.stat().st_size,
        "replicas": k,
        "rows": n * k,
        "scheme": REPLICA_SCHEME,
    }
    schema = table.schema.with_metadata(
        {**(table.schema.metadata or {}), b"vessel_risk_bench": json.dumps(meta).encode()}
    )
    mmsi_idx = table.schema.get_field_index("mmsi")
    ts_idx = table.schema.get_field_index("timestamp")
    ts_type = table.schema.field("timestamp").type
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".parquet.part")
    with pq.ParquetWriter(tmp, schema, compression="snappy") as writer:
        for i in range(k):
            new_mmsi = pa.array(base + i * 1_000, type=pa.int64())
            shift = pa.scalar(timedelta(days=i * REPLICA_DAYS), type=pa.duration(ts_type.unit))
            new_ts = pc.add(table.column("timestamp"), shift).cast(ts_type)
            part = table.set_column(mmsi_idx, "mmsi", new_mmsi).set_column(
                ts_idx, "timestamp", new_ts
            )
            writer.write_table(part.replace_schema_metadata(schema.metadata), row_group_size=n)
    os.replace(tmp, dest)
    return meta


def cached_meta(dest: Path) -> dict[str, Any] | None:
    """The build parameters stored in ``dest``, or None if absent or unreadable."""
    if not dest.exists():
        return None
    import pyarrow.parquet as pq

    try:
        md = pq.read_schema(dest).metadata or {}
        meta = json.loads(md[b"vessel_risk_bench"])
        if pq.ParquetFile(dest).metadata.num_rows != meta["rows"]:
            return None
        return meta
    except Exception:
        return None


def ensure_input(
    size: str, target: int | None, ais: Path, out: Path
) -> tuple[Path, dict[str, Any]]:
    """The AIS file for one size, building (or reusing) the replicated copy."""
    if target is None:
        return ais, {"built": False}
    dest = out / f"squid_x{size}.parquet"
    import pyarrow.parquet as pq

    n = pq.ParquetFile(ais).metadata.num_rows
    k = math.ceil(target / n)
    meta = cached_meta(dest)
    want = {
        "source": str(ais.resolve()),
        "source_rows": n,
        "source_bytes": ais.stat().st_size,
        "replicas": k,
        "scheme": REPLICA_SCHEME,
    }
    if meta is not None and all(meta.get(key) == v for key, v in want.items()):
        print(f"[{size}] reusing {dest} ({meta['rows']:,} rows, {k} replicas)", flush=True)
        return dest, {"built": False, "cached": True, **meta}
    print(f"[{size}] building {dest}: {k} replicas of {n:,} rows ...", flush=True)
    t0 = time.perf_counter()
    meta = build_replicated(ais, dest, target)
    secs = time.perf_counter() - t0
    print(
        f"[{size}] built {meta['rows']:,} rows in {secs:.1f} s "
        f"({dest.stat().st_size / 2**20:.0f} MiB)",
        flush=True,
    )
    return dest, {"built": True, "build_seconds": round(secs, 2), **meta}


# --------------------------------------------------------------------------- child


def child_main(args: argparse.Namespace) -> int:
    """Run the pipeline once in this (fresh) process and write a result JSON."""
    t_start = time.perf_counter()
    from vessel_risk.pipeline import RunConfig, run

    import_seconds = time.perf_counter() - t_start
    run_dir = Path(args.child_run_dir)
    if run_dir.exists():
        shutil.rmtree(run_dir)
    progress = open(args.child_progress, "w", buffering=1)
    stages: dict[str, float] = {}
    stages_cpu: dict[str, float] = {}
    marks: list[tuple[str, float]] = []
    cpu_marks: list[float] = []

    def on_stage(stage: str) -> None:
        now = time.perf_counter()
        marks.append((stage, now))
        cpu_marks.append(time.process_time())
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        progress.write(f"{now - t0:.1f}\t{stage}\tpeak_rss_mib={rss:.0f}\n")

    profiler = None
    if args.child_profile:
        import cProfile

        profiler = cProfile.Profile()
    t0 = time.perf_counter()
    c0 = time.process_time()
    if profiler is not None:
        profiler.enable()
    config = RunConfig(out_dir=run_dir, ais_paths=[Path(args.child_input)], scorer="baseline")
    if os.environ.get(SCHEDULER_ENV):  # "processes:2": where partitions run (issue 15)
        scheduler, _, workers = os.environ[SCHEDULER_ENV].partition(":")
        config = dataclasses.replace(
            config, scheduler=scheduler, workers=int(workers) if workers else None
        )
    summary = run(config, on_stage=on_stage)
    if profiler is not None:
        profiler.disable()
    t1 = time.perf_counter()
    c1 = time.process_time()
    # Per-partition stages repeat: their seconds add up over the partitions.
    for (name, start), (_, end) in zip(marks, [*marks[1:], ("end", t1)], strict=True):
        stages[name] = round(stages.get(name, 0.0) + end - start, 3)
    # CPU seconds (this process, all threads): less moved by other jobs on a shared machine.
    for (name, _), start, end in zip(marks, cpu_marks, [*cpu_marks[1:], c1], strict=True):
        stages_cpu[name] = round(stages_cpu.get(name, 0.0) + end - start, 3)
    c = summary.counts
    result = {
        "rows_in": int(c["rows_in"]),
        "positions_kept": int(c["positions_kept"]),
        "alerts": int(summary.alerts),
        "partitions": summary.partitions,
        "wall_seconds": round(t1 - t0, 3),
        "import_seconds": round(import_seconds, 3),
        "stage_seconds": stages,
        "cpu_seconds": round(c1 - c0, 3),
        "stage_cpu_seconds": stages_cpu,
        "peak_rss_mib_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "counts": {k: v for k, v in c.items() if k != "files"},
        "profiled": profiler is not None,
    }
    if profiler is not None:
        import io
        import pstats

        prof_path = Path(args.child_profile)
        profiler.dump_stats(prof_path)
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(25)
        prof_path.with_suffix(".txt").write_text(buf.getvalue())
        result["profile"] = str(prof_path)
    progress.write(f"{t1 - t0:.1f}\tdone\n")
    progress.close()
    Path(args.child_result).write_text(json.dumps(result, indent=2, default=str))
    return 0


# --------------------------------------------------------------------------- parent


def _vm_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _last_line(path: Path) -> str:
    try:
        lines = path.read_text().strip().splitlines()
        return lines[-1] if lines else ""
    except OSError:
        return ""


def run_size(size: str, input_path: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run one size in a fresh subprocess; return its measurements."""
    tag = f"{size}_profile" if args.profile else size
    run_dir = out / f"run_{tag}"
    result_path = out / f"run_{tag}.result.json"
    progress_path = out / f"run_{tag}.progress"
    log_path = out / f"run_{tag}.log"
    result_path.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child-input",
        str(input_path),
        "--child-run-dir",
        str(run_dir),
        "--child-result",
        str(result_path),
        "--child-progress",
        str(progress_path),
    ]
    if args.profile:
        cmd += ["--child-profile", str(out / f"profile_{size}.prof")]
    print(
        f"[{size}] running vessel_risk.pipeline.run on {input_path} (log: {log_path})", flush=True
    )
    limit_mib = args.max_rss_gb * 1024 if args.max_rss_gb > 0 else math.inf
    limit_s = args.timeout_min * 60 if args.timeout_min > 0 else math.inf
    t0 = time.perf_counter()
    load_before = os.getloadavg()
    max_seen = 0.0
    killed: str | None = None
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        next_note = t0 + 60
        while True:
            # wait4 gives this child's own rusage (RUSAGE_CHILDREN would be the max over
            # every child reaped so far, i.e. not per size).
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            rss = _vm_rss_mib(proc.pid)
            if rss is not None:
                max_seen = max(max_seen, rss)
            elapsed = time.perf_counter() - t0
            if killed is None and (max_seen > limit_mib or elapsed > limit_s):
                killed = (
                    f"RSS {max_seen:.0f} MiB > {limit_mib:.0f} MiB"
                    if max_seen > limit_mib
                    else f"wall {elapsed:.0f} s > {limit_s:.0f} s"
                )
                print(
                    f"[{size}] stopping the run: {killed}; last stage: "
                    f"{_last_line(progress_path)!r}",
                    flush=True,
                )
                proc.kill()
            if time.perf_counter() >= next_note:
                print(
                    f"[{size}] {elapsed:.0f} s, RSS now {rss or 0:.0f} MiB, "
                    f"stage: {_last_line(progress_path)!r}",
                    flush=True,
                )
                next_note += 60
            time.sleep(0.5)
    process_seconds = time.perf_counter() - t0
    peak_mib = usage.ru_maxrss / 1024
    rec: dict[str, Any] = {
        "size": size,
        "input": str(input_path),
        "process_seconds": round(process_seconds, 2),
        "peak_rss_mib": round(peak_mib, 1),
        "max_vmrss_sampled_mib": round(max_seen, 1),
        "rusage_children_maxrss_mib_so_far": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
        "exit_code": proc.returncode,
        "log": str(log_path),
        # 1/5/15-minute load averages as the run started and ended (2 vCPUs, shared).
        "load_average_start": [round(x, 2) for x in load_before],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
    }
    if proc.returncode == 0 and result_path.exists():
        rec.update(json.loads(result_path.read_text()))
        rec["status"] = "ok"
        rec["positions_per_second"] = round(rec["rows_in"] / rec["wall_seconds"], 1)
    else:
        rec["status"] = "stopped" if killed else "failed"
        rec["error"] = killed or f"exit code {proc.returncode}"
        rec["last_stage"] = _last_line(progress_path)
        tail = log_path.read_text().splitlines()[-40:] if log_path.exists() else []
        rec["log_tail"] = tail
        print(
            f"[{size}] {rec['status']}: {rec['error']}; last stage {rec['last_stage']!r}; "
            f"peak RSS {peak_mib:.0f} MiB",
            flush=True,
        )
        if tail:
            print("\n".join(tail), flush=True)
    return rec


def print_table(records: list[dict[str, Any]]) -> None:
    headers = [
        "size",
        "rows in",
        "positions kept",
        "alerts",
        "wall s",
        "positions/s",
        "peak RSS MiB",
    ]
    rows = []
    for r in records:
        if r["status"] == "ok":
            rows.append(
                [
                    r["size"],
                    f"{r['rows_in']:,}",
                    f"{r['positions_kept']:,}",
                    f"{r['alerts']:,}",
                    f"{r['wall_seconds']:.1f}",
                    f"{r['positions_per_second']:,.0f}",
                    f"{r['peak_rss_mib']:,.0f}",
                ]
            )
        else:
            rows.append(
                [
                    r["size"],
                    r["status"].upper(),
                    r.get("error", ""),
                    "",
                    "",
                    "",
                    f"{r['peak_rss_mib']:,.0f}",
                ]
            )
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
        print("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
        for row in rows:
            print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        return
    table = Table(title="vessel_risk.pipeline.run")
    for i, h in enumerate(headers):
        table.add_column(h, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def machine_info() -> dict[str, Any]:
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    import numpy
    import pandas
    import pyarrow

    return {
        "cpus": os.cpu_count(),
        "mem_total_gib": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "pyarrow": pyarrow.__version__,
    }


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Benchmark vessel_risk.pipeline.run (the `vessel-risk run` job) on the real "
        "squid-jigger AIS file and on replicated copies of it; each size runs in a fresh "
        "subprocess.",
    )
    p.add_argument(
        "--sizes",
        default="real,10M",
        help="comma-separated sizes: 'real' and/or target row counts such as 10M, "
        "500k (default: real,10M)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="folder for the cached synthetic inputs, run outputs and bench_run.json "
        f"(default: {DEFAULT_OUT.relative_to(REPO_ROOT)})",
    )
    p.add_argument(
        "--ais",
        type=Path,
        default=DEFAULT_AIS,
        help="the real AIS file (default: ../shared/data/ais/"
        "squid_jiggers_2020_2023.parquet from the repository root)",
    )
    p.add_argument(
        "--max-rss-gb",
        type=float,
        default=20.0,
        help="stop a run whose RSS exceeds this many GiB (0: no limit; default 20)",
    )
    p.add_argument(
        "--timeout-min",
        type=float,
        default=25.0,
        help="stop a run after this many minutes (0: no limit; default 25)",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="run under cProfile (slower; writes profile_<size>.prof/.txt and "
        "bench_run_profile.json instead of bench_run.json)",
    )
    for hidden in (
        "--child-input",
        "--child-run-dir",
        "--child-result",
        "--child-progress",
        "--child-profile",
    ):
        p.add_argument(hidden, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.child_input:
        return child_main(args)
    ais = args.ais if args.ais.is_absolute() else Path.cwd() / args.ais
    if not ais.is_file():
        print(
            f"error: the AIS file {str(ais)!r} does not exist (pass --ais PATH).", file=sys.stderr
        )
        return 2
    try:
        sizes = [(s.strip(), parse_size(s)) for s in args.sizes.split(",") if s.strip()]
    except argparse.ArgumentTypeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for size, target in sizes:
        input_path, build = ensure_input(size, target, ais, out)
        rec = run_size(size, input_path, out, args)
        rec["input_build"] = build
        records.append(rec)
    print_table(records)
    report = {
        "benchmark": "vessel_risk.pipeline.run (vessel-risk run), default ports, no IUU list",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "ais": str(ais),
        "machine": machine_info(),
        "notes": "wall_seconds times run() only (imports excluded, see import_seconds); "
        "positions_per_second = rows_in / wall_seconds; peak_rss_mib is the subprocess's "
        "ru_maxrss from wait4 (KiB / 1024).",
        "results": records,
    }
    name = "bench_run_profile.json" if args.profile else "bench_run.json"
    (out / name).write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {out / name}")
    return 0 if all(r["status"] == "ok" for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
