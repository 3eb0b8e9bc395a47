"""How long ``vessel-risk --help`` takes to start: this checkout against another, side by side.

Runs ``python -m vessel_risk --help`` (and ``python -c "import vessel_risk.cli.app"``) in a
fresh interpreter, alternating between the two source trees (base, this, base, this...)
so that load from other jobs on a shared machine falls on both alike; each run gets its
``PYTHONPATH`` at one tree's ``src``. Reported: wall seconds of each tree, median and
best of the rounds, and the heavy libraries (pandas, scikit-learn, MLflow, SQLAlchemy)
that importing the command line pulled in. Issue 20 asks for under 1 s on this machine;
this is a benchmark, not a test (the test, ``tests/cli/test_app.py``, checks only what is
imported).

Usage::

    git -C /work/main archive e850da0 src | tar -x -C /tmp/base   # the code before issue 20
    .venv/bin/python benchmarks/bench_cli.py --base-src /tmp/base/src --rounds 7
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

HEAVY = ("pandas", "sklearn", "mlflow", "sqlalchemy", "numpy", "lightgbm", "dask")
THIS_SRC = Path(__file__).resolve().parents[1] / "src"


def timed(src: Path, args: list[str]) -> float:
    """Wall seconds of ``python ARGS`` with ``src`` first on the path (output discarded)."""
    env = {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "80"}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL, cwd=src.parent
    )
    return time.perf_counter() - start


def heavy_imports(src: Path) -> list[str]:
    """The heavy libraries ``import vessel_risk.cli.app`` loads from ``src``."""
    code = (
        "import sys, json, vessel_risk.cli.app; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    return list(json.loads(out.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-src", type=Path, required=True, help="src of the other tree")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results here")
    opts = parser.parse_args()
    trees = {"base": opts.base_src.resolve(), "this": THIS_SRC}
    commands = {
        "vessel-risk --help": ["-m", "vessel_risk", "--help"],
        "import vessel_risk.cli.app": ["-c", "import vessel_risk.cli.app"],
    }
    results: dict[str, dict[str, object]] = {}
    for label, args in commands.items():
        times: dict[str, list[float]] = {name: [] for name in trees}
        timed(THIS_SRC, args)  # warm the file cache once
        for _ in range(opts.rounds):
            for name, src in trees.items():
                times[name].append(timed(src, args))
        results[label] = {
            name: {"median_s": statistics.median(t), "best_s": min(t), "runs": t}
            for name, t in times.items()
        }
        base, this = (statistics.median(times[n]) for n in ("base", "this"))
        print(f"{label:28s} base {base:6.2f} s   this {this:6.2f} s   x{base / this:5.1f}")
    for name, src in trees.items():
        heavy = heavy_imports(src)
        results[f"heavy imports ({name})"] = {"modules": heavy}
        print(f"heavy imports of the command line ({name}): {', '.join(heavy) or 'none'}")
    if opts.json:
        opts.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
