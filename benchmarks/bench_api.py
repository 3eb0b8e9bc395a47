"""Benchmark of the API's ranked alerts page at 1 M alerts in PostgreSQL.

Fills a database ``vessel_risk_bench`` (created beside the one ``--db`` names, so the
test database is left alone) with ``--alerts`` clearly **synthetic** alerts, each with
its vessel, vessel-year and score row (bulk ``COPY``, seconds per 1 M rows), starts the
app with uvicorn in a separate process on loopback, and sends ``--requests`` requests
per concurrency level from a local load generator (httpx, threads): 70 % the first
page of the ranked list, 20 % a page 1 to 5 cursors deep, 10 % the first page of
``tier=high``, 50 alerts a page, each authenticated by API key. Latency is measured at
the client, milliseconds. Results go to stdout and ``benchmarks/results/bench_api.json``.

Usage::

    eval "$(.ci/postgres)"
    .venv/bin/python benchmarks/bench_api.py                       # 1 M alerts
    .venv/bin/python benchmarks/bench_api.py --alerts 100000 --requests 500
    .venv/bin/python benchmarks/bench_api.py --reuse               # keep the filled database
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import psycopg
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from vessel_risk.api.access import create_client
from vessel_risk.db.engine import make_engine, migrate
from vessel_risk.db.tables import AlertRow

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
BENCH_DB = "vessel_risk_bench"
KEY = "bench-admin-key"
TIERS = np.array(["high", "medium", "low", "insufficient data"])


def bench_url(url: str) -> str:
    """The benchmark database's URL beside ``url``, creating the database if needed."""
    u = make_url(url)
    dsn = u.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)
        ).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return u.set(database=BENCH_DB).render_as_string(hide_password=False)


def _copy(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False)
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    with conn.cursor().copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)") as cp:
        cp.write(buf.getvalue())


def fill(url: str, n: int, seed: int = 0) -> float:
    """Reset the schema and COPY ``n`` synthetic alerts with their parents; seconds taken."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate(engine)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    now = pd.Timestamp("2026-01-01", tz="UTC")
    ids = np.arange(1, n + 1)
    mmsi = pd.Series(ids + 200_000_000).astype(str)
    year = rng.integers(2018, 2026, n)
    seen = now - pd.to_timedelta(rng.integers(0, 3 * 365 * 24, n), unit="h")
    score = np.round(rng.beta(1.2, 5.0, n), 4)
    tier = np.where(score >= 0.6, "high", np.where(score >= 0.3, "medium", "low"))
    tier = np.where(rng.random(n) < 0.3, "insufficient data", tier)
    flags = rng.choice(["CHN", "TWN", "KOR", "ESP", "PAN", "VUT", "THA", None], n)
    ports = rng.choice(["PUNTA ARENAS", "WEIHAI", "BUSAN", "KAOHSIUNG", "MONTEVIDEO", None], n)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        _copy(
            conn,
            "vessels",
            pd.DataFrame(
                {
                    "mmsi": mmsi,
                    "shipname": "SYNTHETIC " + pd.Series(ids).astype(str),
                    "flag_iso3": flags,
                    "gear": "squid_jigger",
                    "mmsi_valid": True,
                    "iuu_listed": False,
                    "identity_history": "[]",
                    "first_seen": seen,
                    "last_seen": seen,
                    "updated_at": now,
                }
            ),
        )
        _copy(
            conn,
            "vessel_periods",
            pd.DataFrame(
                {
                    "id": ids,
                    "mmsi": mmsi,
                    "year": year,
                    "start": seen,
                    "end": seen,
                    "position_messages": 1000,
                    "days_observed": 100,
                    "features": "{}",
                    "updated_at": now,
                }
            ),
        )
        _copy(
            conn,
            "scores",
            pd.DataFrame(
                {
                    "id": ids,
                    "vessel_period_id": ids,
                    "model_version": "synthetic",
                    "score": score,
                    "tier": tier,
                    "rank": 1,
                    "data_note": "synthetic",
                    "indicators": "[]",
                    "scored_at": now,
                }
            ),
        )
        _copy(
            conn,
            "alerts",
            pd.DataFrame(
                {
                    "id": ids,
                    "vessel_period_id": ids,
                    "score_id": ids,
                    "mmsi": mmsi,
                    "year": year,
                    "shipname": "SYNTHETIC " + pd.Series(ids).astype(str),
                    "flag_iso3": flags,
                    "gear": "squid_jigger",
                    "score": score,
                    "tier": tier,
                    "rank": 1,
                    "model_version": "synthetic",
                    "last_lat": np.round(rng.uniform(-60, 60, n), 4),
                    "last_lon": np.round(rng.uniform(-180, 180, n), 4),
                    "last_seen": seen,
                    "last_port_label": ports,
                    "last_port_iso3": None,
                    "status": "new",
                    "detail": '{"indicators": [], "synthetic": true}',
                    "created_at": now,
                    "updated_at": now,
                }
            ),
        )
        for table in ("vessel_periods", "scores", "alerts"):
            conn.execute(f"SELECT setval('{table}_id_seq', {n})")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    with Session(engine) as session, session.begin():
        create_client(
            session,
            client_id="bench",
            agency_id="bench",
            role="admin",
            rate_per_minute=10_000_000,
            actor="bench",
            key=KEY,
        )
    engine.dispose()
    return time.perf_counter() - t0


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    """uvicorn serving ``api.main:app`` on 127.0.0.1:``port`` in a child process."""
    env = {
        **os.environ,
        "VESSEL_RISK_DATABASE_URL": url,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the server did not start within 30 s")


def load(base: str, requests: int, concurrency: int, seed: int) -> dict[str, float]:
    """Send ``requests`` requests from ``concurrency`` threads; latency percentiles (ms)."""
    headers = {"X-API-Key": KEY}
    with httpx.Client(base_url=base, headers=headers) as c:
        cursors = []
        cursor = None
        for _ in range(5):
            params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
            cursor = c.get("/alerts", params=params).json()["next_cursor"]
            cursors.append(cursor)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    per_thread = requests // concurrency

    def worker(k: int) -> None:
        rnd = random.Random(seed + k)
        mine = []
        with httpx.Client(base_url=base, headers=headers, timeout=10) as c:
            for _ in range(per_thread):
                u = rnd.random()
                if u < 0.7:
                    params: dict[str, object] = {"limit": 50}
                elif u < 0.9:
                    params = {"limit": 50, "cursor": rnd.choice(cursors)}
                else:
                    params = {"limit": 50, "tier": "high"}
                t = time.perf_counter()
                r = c.get("/alerts", params=params)
                mine.append((time.perf_counter() - t) * 1000)
                if r.status_code != 200 or len(r.json()["items"]) != 50:
                    with lock:
                        errors[0] += 1
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat = np.array(latencies)
    return {
        "concurrency": concurrency,
        "requests": len(lat),
        "errors": errors[0],
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p95_ms": round(float(np.percentile(lat, 95)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
        "requests_per_s": round(len(lat) / wall, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--db",
        default=os.environ.get("VESSEL_RISK_TEST_POSTGRES_URL"),
        help="a PostgreSQL URL; the benchmark uses a database beside it",
    )
    ap.add_argument("--alerts", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=2000, help="per concurrency level")
    ap.add_argument("--concurrency", default="1,4", help="comma-separated levels")
    ap.add_argument("--port", type=int, default=18731)
    ap.add_argument("--reuse", action="store_true", help="keep an already filled database")
    args = ap.parse_args()
    if not args.db or not args.db.startswith("postgresql"):
        sys.exit('Needs PostgreSQL: eval "$(.ci/postgres)" or --db postgresql+psycopg://...')
    url = bench_url(args.db)
    engine = make_engine(url)
    have = 0
    if args.reuse:
        try:
            with Session(engine) as s:
                have = int(s.scalar(select(func.count(AlertRow.id))) or 0)
        except Exception:
            have = 0
    fill_s = None
    if have != args.alerts:
        print(f"Filling {args.alerts:,} synthetic alerts ...", flush=True)
        fill_s = round(fill(url, args.alerts), 1)
        print(f"  filled in {fill_s} s", flush=True)
    with engine.connect() as conn:
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                text("EXPLAIN ANALYZE SELECT * FROM alerts ORDER BY score DESC, id DESC LIMIT 51")
            )
        )
    engine.dispose()
    proc = start_server(url, args.port)
    try:
        runs = [
            load(f"http://127.0.0.1:{args.port}", args.requests, int(c), seed=k)
            for k, c in enumerate(args.concurrency.split(","))
        ]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    result = {
        "alerts": args.alerts,
        "fill_s": fill_s,
        "page_size": 50,
        "runs": runs,
        "plan_first_page": plan,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }
    print(
        f"{'concurrency':>11} {'requests':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'req/s':>7} {'errors':>6}"
    )
    for r in runs:
        print(
            f"{r['concurrency']:>11} {r['requests']:>8} {r['p50_ms']:>7} {r['p95_ms']:>7} "
            f"{r['p99_ms']:>7} {r['requests_per_s']:>7} {r['errors']:>6}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_api.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
