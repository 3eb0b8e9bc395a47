"""Per-stage outputs and times of the per-partition chain, for before/after equality checks.

Runs :func:`vessel_risk.pipeline.stages.first_pass` / ``second_pass`` stage by stage on
every partition of a position store (one made with ``vessel-risk ingest``), with the
encounters and vessels stages across partitions as ``pipeline.run`` does them, and
saves what each stage produced (pickles under ``--out``) with the seconds each took.
Run it once with ``PYTHONPATH`` at the code before a change and once after, then
``--compare A B`` checks the two sets of outputs are equal (floats to 1e-9).

Usage::

    PYTHONPATH=/path/to/old/src python benchmarks/stage_outputs.py STORE --out /tmp/old
    PYTHONPATH=src python benchmarks/stage_outputs.py STORE --out /tmp/new
    python benchmarks/stage_outputs.py --compare /tmp/old /tmp/new
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SAVED = {
    "clean": ("positions", "quarantine", "cleaning"),
    "transmitters": ("transmitters", "several_tracks", "tracks"),
    "identity": ("identity",),
    "distances": ("positions",),
    "fishing": ("positions",),
    "port visits": ("visits",),
    "voyages": ("voyages",),
    "gaps": ("gaps",),
    "loitering": ("loitering",),
    "features": ("features",),
}


def run_stages(store: Path, out: Path, profile: Path | None) -> dict[str, float]:
    """Every stage on every partition of ``store``; outputs pickled into ``out``.

    Returns the CPU seconds of each stage (``time.process_time``: on a shared machine
    these move less than wall seconds); both go to ``out/seconds.json``.
    """
    from vessel_risk.events.encounters import (
        close_pairs,
        encounters_from_samples,
        pair_samples,
        resample_tracks,
    )
    from vessel_risk.events.gaps import area_message_counts
    from vessel_risk.identity.identify import identify_vessels, position_activity
    from vessel_risk.ingest import read_partition, store_partitions
    from vessel_risk.pipeline.config import RunConfig
    from vessel_risk.pipeline.run import load_references
    from vessel_risk.pipeline.stages import FIRST_PASS, SECOND_PASS, PartitionWork, concat

    refs = load_references(RunConfig(out_dir=out / "unused", position_store=store))
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    saved: dict[str, list[Any]] = {}
    prof = None
    if profile is not None:
        import cProfile

        prof = cProfile.Profile()

    def timed(name: str, fn: Any, *args: Any) -> Any:
        t0, c0 = time.perf_counter(), time.process_time()
        if prof is not None:
            prof.enable()
        value = fn(*args)
        if prof is not None:
            prof.disable()
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t0
        cpu[name] = cpu.get(name, 0.0) + time.process_time() - c0
        return value

    def keep(stage: str, work: PartitionWork) -> None:
        for attr in SAVED.get(stage, ()):
            saved.setdefault(f"{stage}.{attr}", []).append(getattr(work, attr))

    parts = store_partitions(store)
    works: dict[int, PartitionWork] = {}
    grids = []
    for n in parts:
        positions, static = timed("read", read_partition, store, n)
        work = PartitionWork(positions, static)
        for stage in FIRST_PASS:
            timed(stage.name, stage.apply, work, refs)
            keep(stage.name, work)
        works[n] = work
        grids.append(timed("encounters", resample_tracks, work.positions))
    grid = concat(grids)
    grid["mmsi"] = grid["mmsi"].astype("string")
    samples = timed("encounters", lambda g: pair_samples(g, close_pairs(g)), grid)
    encounters = timed(
        "encounters", lambda s: encounters_from_samples(s, carriers=refs.carriers), samples
    )
    area = pd.concat([area_message_counts(w.positions) for w in works.values()])
    area = area.groupby("cell_day", sort=True)["n"].sum().reset_index()
    vessels = timed(
        "vessels",
        lambda: identify_vessels(
            concat([w.identity for w in works.values()]),
            encounters,
            concat([position_activity(w.positions) for w in works.values()]),
            vessel_lists=refs.vessel_lists,
            carriers=refs.carriers,
        ),
    )
    saved["encounters"] = [vessels.encounters]
    saved["vessels.vessel_ids"] = [getattr(vessels, "vessel_ids", None)]
    for work in works.values():
        work.area_messages = area
        work.encounters = vessels.encounters[
            vessels.encounters["mmsi"].isin(work.positions["mmsi"].unique())
        ]
        work.vessels = vessels
        for stage in SECOND_PASS:
            timed(stage.name, stage.apply, work, refs)
            keep(stage.name, work)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "outputs.pkl", "wb") as fh:
        pickle.dump(saved, fh)
    (out / "seconds.json").write_text(json.dumps({"wall": seconds, "cpu": cpu}, indent=2))
    if prof is not None and profile is not None:
        prof.dump_stats(profile)
    return cpu


def _equal(a: Any, b: Any, where: str, tol: float) -> list[str]:
    if isinstance(a, pd.DataFrame):
        if not isinstance(b, pd.DataFrame):
            return [f"{where}: type {type(b)}"]
        if list(a.columns) != list(b.columns) or len(a) != len(b):
            return [
                f"{where}: columns/rows {list(a.columns)} {len(a)} vs {list(b.columns)} {len(b)}"
            ]
        problems = []
        for c in a.columns:
            x, y = a[c].reset_index(drop=True), b[c].reset_index(drop=True)
            if str(x.dtype) != str(y.dtype):
                problems.append(f"{where}.{c}: dtype {x.dtype} vs {y.dtype}")
            if pd.api.types.is_float_dtype(x) and pd.api.types.is_float_dtype(y):
                xv, yv = x.to_numpy(dtype="float64"), y.to_numpy(dtype="float64")
                ok = np.isclose(xv, yv, rtol=tol, atol=tol, equal_nan=True)
                if not ok.all():
                    problems.append(f"{where}.{c}: {int((~ok).sum())} values differ")
            else:
                try:
                    pd.testing.assert_series_equal(x, y, check_dtype=False, check_names=False)
                except AssertionError as exc:
                    problems.append(f"{where}.{c}: {str(exc)[:200]}")
        return problems
    if isinstance(a, list | tuple):
        if len(a) != len(b):
            return [f"{where}: length {len(a)} vs {len(b)}"]
        return [
            p
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for p in _equal(x, y, f"{where}[{i}]", tol)
        ]
    return [] if a == b else [f"{where}: {a!r} vs {b!r}"]


def compare(a: Path, b: Path, tol: float = 1e-9) -> int:
    """Print the differences between two saved output sets; 1 if any."""
    with open(a / "outputs.pkl", "rb") as fh:
        old = pickle.load(fh)
    with open(b / "outputs.pkl", "rb") as fh:
        new = pickle.load(fh)
    problems = [] if set(old) == set(new) else [f"keys {sorted(old)} vs {sorted(new)}"]
    for key in sorted(set(old) & set(new)):
        problems += _equal(old[key], new[key], key, tol)
    print("\n".join(problems) if problems else f"equal: {len(old)} outputs")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", nargs="?", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--profile", type=Path)
    ap.add_argument("--compare", nargs=2, type=Path)
    args = ap.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if args.store is None or args.out is None:
        ap.error("give STORE and --out, or --compare A B")
    seconds = run_stages(args.store, args.out, args.profile)
    print(json.dumps({k: round(v, 2) for k, v in seconds.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
