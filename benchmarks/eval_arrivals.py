"""Next-port predictions replayed day by day on the squid-jigger run (issue 18).

Usage::

    PYTHONPATH=src python benchmarks/eval_arrivals.py [--ais PATH] [--ports PATH]
        [--run DIR] [--methods history,heading] [--out results/eval_arrivals.json]

Runs ``vessel-risk run`` on the squid-jigger file with the given port list (default
GFW's named anchorages; ``--ports searoute`` for the shipped default list), unless
``--run`` names the output folder of a run already made. Then, for every vessel track
and every UTC day it sent a position, predicts its next port call from the data up to
the end of that day only (:func:`vessel_risk.events.arrival_runs.replay_days`) and
compares it with the port call that actually followed: hit rate of the next port and
median absolute arrival error (h) over the hits, overall, by method and for predictions
not marked "insufficient data". The squid file carries no destination, so the
predictions come from each vessel's history (and its heading where that fails).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from vessel_risk.events.arrival_runs import replay_days, replay_summary
from vessel_risk.geo.ports import default_ports, read_ports

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ais", type=Path, default=SHARED / "ais/squid_jiggers_2020_2023.parquet")
    parser.add_argument("--ports", default=str(SHARED / "ports/gfw_named_anchorages.csv.gz"))
    parser.add_argument("--run", type=Path, default=None, help="Output folder of a run.")
    parser.add_argument("--methods", default="destination,history,heading")
    parser.add_argument("--out", type=Path, default=None, help="Write the figures as JSON.")
    args = parser.parse_args()
    ports = default_ports() if args.ports == "searoute" else read_ports(args.ports)
    t0 = time.perf_counter()
    run_dir = args.run
    if run_dir is None:
        if not args.ais.exists():
            raise SystemExit(f"{args.ais} is absent: this evaluation needs the squid-jigger file")
        from vessel_risk.pipeline import RunConfig, run

        run_dir = Path(tempfile.mkdtemp(prefix="eval_arrivals_"))
        run(
            RunConfig(
                out_dir=run_dir,
                ais_paths=[args.ais],
                ports_path=None if args.ports == "searoute" else Path(args.ports),
                scorer="baseline",
            )
        )
    run_s = time.perf_counter() - t0
    positions = pd.read_parquet(
        run_dir / "positions.parquet",
        columns=["mmsi", "track_id", "timestamp", "lat", "lon", "speed_knots", "course"],
    )
    visits = pd.read_parquet(run_dir / "port_visits.parquet")
    t1 = time.perf_counter()
    days = replay_days(positions, visits, ports, methods=args.methods.split(","))
    summary = replay_summary(days)
    summary["port_list"] = "searoute" if args.ports == "searoute" else Path(args.ports).name
    summary["port_visits"] = len(visits)
    summary["tracks_with_visits"] = int(visits.groupby(["mmsi", "track_id"]).ngroups)
    summary["run_seconds"] = round(run_s, 1)
    summary["replay_seconds"] = round(time.perf_counter() - t1, 1)
    text = json.dumps(summary, indent=2)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
