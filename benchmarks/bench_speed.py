"""This checkout against another (the code before issue 15) on the same inputs, side by side.

Runs :mod:`bench_run`'s child, ``vessel_risk.pipeline.run`` in a fresh subprocess, once
per size and round for each of two source trees, alternating (base, this, base, this...)
so that load from other jobs on a shared machine falls on both alike. Each run gets its
``PYTHONPATH`` at one tree's ``src``; the inputs (the real squid-jigger file and its
replicated copies, :func:`bench_run.build_replicated`) are built once and shared.

Reported per size: wall seconds and CPU seconds (user + system of the run, all threads)
of each tree, best of the rounds, their ratio, peak RSS, and the same per stage. The
outputs of the two are compared too (every Parquet table of the run, floats to 1e-9;
``alerts.csv``), so a speed-up that changed a result shows.

Usage::

    git -C .. worktree add /tmp/base 7588ab1   # or: git archive 7588ab1 src | tar -x -C /tmp/base
    .venv/bin/python benchmarks/bench_speed.py --base-src /tmp/base/src --sizes real,2M
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_run

TABLES = (
    "positions",
    "quarantine",
    "port_visits",
    "voyages",
    "gaps",
    "loitering",
    "encounters",
    "vessel_features",
    "vessel_links",
)


def compare_outputs(a: Path, b: Path, tol: float = 1e-9) -> list[str]:
    """Differences between the outputs of two runs (empty when equal)."""
    import numpy as np
    import pandas as pd

    problems = []
    for name in TABLES:
        fa, fb = a / f"{name}.parquet", b / f"{name}.parquet"
        if not fa.exists() or not fb.exists():
            if fa.exists() != fb.exists():
                problems.append(f"{name}: only in one run")
            continue
        x, y = pd.read_parquet(fa), pd.read_parquet(fb)
        if list(x.columns) != list(y.columns) or len(x) != len(y):
            problems.append(f"{name}: shape {x.shape} vs {y.shape}")
            continue
        for c in x.columns:
            u, v = x[c], y[c]
            if pd.api.types.is_float_dtype(u) and pd.api.types.is_float_dtype(v):
                ok = np.isclose(
                    u.to_numpy(float), v.to_numpy(float), rtol=tol, atol=tol, equal_nan=True
                )
                if not ok.all():
                    problems.append(f"{name}.{c}: {int((~ok).sum())} values differ")
            elif not u.equals(v):
                problems.append(f"{name}.{c}: values differ")
    ca, cb = a / "alerts.csv", b / "alerts.csv"
    if ca.exists() and cb.exists() and ca.read_bytes() != cb.read_bytes():
        problems.append("alerts.csv differs")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-src", type=Path, required=True, help="src folder of the base code")
    ap.add_argument("--src", type=Path, default=bench_run.REPO_ROOT / "src")
    ap.add_argument("--sizes", default="real,2M")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--out", type=Path, default=bench_run.DEFAULT_OUT / "speed")
    ap.add_argument("--ais", type=Path, default=bench_run.DEFAULT_AIS)
    ap.add_argument("--max-rss-gb", type=float, default=20)
    ap.add_argument("--timeout-min", type=float, default=40)
    ap.add_argument(
        "--this-scheduler",
        default=None,
        help="run this tree with a Dask scheduler, e.g. processes:2 (scheduler:workers); "
        "the base runs in-process (code before issue 15 has no scheduler)",
    )
    args = ap.parse_args(argv)
    args.profile = False
    args.out.mkdir(parents=True, exist_ok=True)
    trees = {"base": args.base_src.resolve(), "this": args.src.resolve()}
    report: dict[str, Any] = {"trees": {k: str(v) for k, v in trees.items()}, "sizes": {}}
    for size in [t.strip() for t in args.sizes.split(",") if t.strip()]:
        target = bench_run.parse_size(size)
        path, meta = bench_run.ensure_input(size, target, args.ais, args.out)
        runs: dict[str, list[dict[str, Any]]] = {"base": [], "this": []}
        for r in range(args.rounds):
            for label, src in trees.items():
                os.environ["PYTHONPATH"] = str(src)
                os.environ.pop(bench_run.SCHEDULER_ENV, None)
                if label == "this" and args.this_scheduler:
                    os.environ[bench_run.SCHEDULER_ENV] = args.this_scheduler
                out = args.out / f"{label}_r{r}"
                out.mkdir(exist_ok=True)
                rec = bench_run.run_size(size, path, out, args)
                runs[label].append(rec)
                print(
                    f"[{size}] {label} round {r}: {rec.get('status')} wall "
                    f"{rec.get('wall_seconds')} s, cpu {rec.get('cpu_seconds')} s, "
                    f"peak {rec.get('peak_rss_mib')} MiB",
                    flush=True,
                )
        ok = {k: [x for x in v if x.get("status") == "ok"] for k, v in runs.items()}
        entry: dict[str, Any] = {"input": str(path), "runs": runs}
        if ok["base"] and ok["this"]:
            best = {k: min(v, key=lambda x: x["wall_seconds"]) for k, v in ok.items()}
            entry["best"] = {
                k: {
                    "wall_seconds": b["wall_seconds"],
                    "cpu_seconds": b.get("cpu_seconds"),
                    "peak_rss_mib": b["peak_rss_mib"],
                    "stage_seconds": b["stage_seconds"],
                    "stage_cpu_seconds": b.get("stage_cpu_seconds"),
                    "alerts": b["alerts"],
                    "positions_kept": b["positions_kept"],
                }
                for k, b in best.items()
            }
            entry["wall_ratio"] = round(
                best["base"]["wall_seconds"] / best["this"]["wall_seconds"], 2
            )
            if best["this"].get("cpu_seconds") and best["base"].get("cpu_seconds"):
                entry["cpu_ratio"] = round(
                    best["base"]["cpu_seconds"] / best["this"]["cpu_seconds"], 2
                )
            entry["differences"] = compare_outputs(
                args.out / f"base_r0/run_{size}", args.out / f"this_r0/run_{size}"
            )
            print_size(size, entry)
        report["sizes"][size] = entry
        (args.out / "bench_speed.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {args.out / 'bench_speed.json'}")
    return 0


def print_size(size: str, entry: dict[str, Any]) -> None:
    b, t = entry["best"]["base"], entry["best"]["this"]
    print(
        f"\n{size}: wall {b['wall_seconds']:.1f} -> {t['wall_seconds']:.1f} s "
        f"(x{entry['wall_ratio']}), cpu {b.get('cpu_seconds')} -> {t.get('cpu_seconds')} s "
        f"(x{entry.get('cpu_ratio')}), peak {b['peak_rss_mib']:.0f} -> {t['peak_rss_mib']:.0f} MiB"
    )
    print(f"{'stage':14} {'base s':>8} {'this s':>8} {'base cpu':>9} {'this cpu':>9}")
    bc, tc = b.get("stage_cpu_seconds") or {}, t.get("stage_cpu_seconds") or {}
    for stage in b["stage_seconds"]:
        print(
            f"{stage:14} {b['stage_seconds'][stage]:8.2f} {t['stage_seconds'].get(stage, 0):8.2f} "
            f"{bc.get(stage, float('nan')):9.2f} {tc.get(stage, float('nan')):9.2f}"
        )
    print("outputs:", "equal" if not entry["differences"] else entry["differences"])


if __name__ == "__main__":
    sys.exit(main())
