"""Benchmark of the monitoring figures' pure core
(:func:`vessel_risk.referral.monitoring.compute_figures`) on a synthetic mechanism.

Three years of a regional mechanism far larger than any on record: ``--alerts`` alerts
(default 20,000; 3,000 inspections and 3,000 persons by default) with a status each,
seven states, 40 ports, four flags, four nationalities, every person's three follow-ups
and 300 repatriations, drawn with a fixed seed. Times one ``compute_figures`` over the
whole window (every figure, months and one-way breakdowns) and prints the rows made.

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_monitoring.py
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from vessel_risk.referral.monitoring import MonitoringFrames, compute_figures


def synthetic(n_alerts: int, n_inspections: int, n_persons: int) -> MonitoringFrames:
    """A synthetic mechanism of 2023-2025 (seed 0)."""
    rng = np.random.default_rng(0)
    t0 = pd.Timestamp("2023-01-01", tz="UTC")

    def when(n: int) -> pd.Series:
        return pd.Series(t0 + pd.to_timedelta(rng.integers(0, 1095 * 86400, n), unit="s"))

    states = ["THA", "IDN", "PHL", "VNM", "MYS", "KHM", "MMR"]
    ports = [f"PORT {i}" for i in range(40)]
    n, i, c = n_alerts, n_inspections, n_persons
    alerts = pd.DataFrame(
        {
            "alert_id": np.arange(n),
            "raised_at": when(n),
            "state": rng.choice(states, n),
            "port": rng.choice(ports, n),
            "flag": rng.choice(["CHN", "TWN", "KOR", "THA"], n),
        }
    )
    statuses = pd.DataFrame(
        {
            "alert_id": rng.integers(0, n, n),
            "at": when(n),
            "status": rng.choice(["under_review", "referred", "dismissed"], n),
        }
    )
    inspections = pd.DataFrame(
        {
            "inspection_id": np.arange(i),
            "alert_id": rng.integers(0, n, i),
            "inspected_at": when(i),
            "outcome": rng.choice(["confirmed", "none_found", "not_boarded"], i),
            "state": rng.choice(states, i),
            "port": rng.choice(ports, i),
        }
    )
    screened = when(c)
    ids = [f"case-{k}" for k in range(c)]
    cases = pd.DataFrame(
        {
            "case_id": ids,
            "screened_at": screened,
            "presumed_victim": rng.random(c) < 0.7,
            "child": rng.random(c) < 0.1,
            "inspection_id": rng.integers(0, i, c),
            "alert_id": None,
            "reflection_started_at": screened,
            "reflection_ends_at": screened + pd.Timedelta(days=45),
            "assistance_started_at": screened + pd.Timedelta(days=50),
            "state": rng.choice(states, c),
            "nationality": rng.choice(["MMR", "KHM", "PHL", "IDN"], c),
            "gender": rng.choice(["man", "woman", None], c),
            "age_group": rng.choice(["child", "18-29", "30-49", "50+"], c),
        }
    )
    transitions = pd.DataFrame(
        {"case_id": ids, "to_state": "identified", "at": screened + pd.Timedelta(days=40)}
    )
    follow_ups = pd.DataFrame(
        {
            "case_id": np.repeat(ids, 3),
            "months": np.tile([3, 6, 12], c),
            "due_at": np.repeat(screened.to_numpy(), 3),
            "done_at": None,
            "indicators": None,
        }
    )
    transfers = pd.DataFrame(
        {
            "case_id": ids[:300],
            "purpose": "repatriation",
            "status": "completed",
            "requested_at": screened[:300],
        }
    )
    return MonitoringFrames(
        alerts, statuses, inspections, cases, transitions, follow_ups, transfers
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--inspections", type=int, default=3_000)
    parser.add_argument("--persons", type=int, default=3_000)
    args = parser.parse_args()
    frames = synthetic(args.alerts, args.inspections, args.persons)
    t = time.perf_counter()
    out = compute_figures(
        frames, datetime(2023, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    )
    print(f"compute_figures: {time.perf_counter() - t:.2f} s, {len(out):,} rows")


if __name__ == "__main__":
    main()
