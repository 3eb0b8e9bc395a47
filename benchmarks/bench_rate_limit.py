"""The cost of the per-request rate limit shared across worker processes (issue 19 item 5).

Every authenticated request takes a token from its client's bucket in the database
(:class:`vessel_risk.api.limits.RateLimiter`: one ``UPDATE ... RETURNING`` in its own
transaction). This measures what that costs, side by side in one run:

- four uvicorn servers, each in its own process on loopback, one worker each: SQLite
  and PostgreSQL, each with the limiter and without it (``app.state.limiter`` replaced
  by one that always grants, the only difference);
- a cheap authenticated route, ``GET /monitoring/definitions`` (an admin client; the key
  is cached by the server, so without the limiter the request touches no database),
  and a route that reads the database, ``GET /alerts?limit=50`` (an empty queue: one
  query), so the limiter's cost is seen against both;
- ``--rounds`` rounds; in each, every server gets ``--requests`` sequential keep-alive
  requests in turn (order rotated each round), so the shared machine's load falls on
  all four alike.

Reported per server and route, the median over rounds of: requests a second (wall),
and CPU milliseconds per request of the server process (``/proc/PID/stat`` user+sys
before and after the batch) and, for PostgreSQL, of the server's backend processes
(their pids from ``pg_stat_activity``): the limiter's write is work the database server
does. The client's own CPU is not counted. Writes a JSON file to
``benchmarks/results/bench_rate_limit.json`` and a Markdown table to stdout.

Usage::

    eval "$(.ci/postgres)"    # VESSEL_RISK_TEST_POSTGRES_URL
    PYTHONPATH=src .venv/bin/python benchmarks/bench_rate_limit.py --rounds 5 --requests 400
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from vessel_risk.api.access import create_client
from vessel_risk.db.engine import make_engine, migrate

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
BENCH_DB = "vessel_risk_bench_rate"
KEY = "bench-admin-key"
ROUTES = {"definitions": "/monitoring/definitions", "alerts": "/alerts?limit=50"}
TICK = os.sysconf("SC_CLK_TCK")
FERNET = Fernet.generate_key().decode()  # a throw-away key: the servers hold no secrets

SERVER = """
import sys
import uvicorn
from vessel_risk.api.app import create_app
from vessel_risk.settings import Settings

url, port, limited = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "on"
app = create_app(Settings(database_url=url, api_key_cache_s=3600.0))


class Unlimited:
    def take(self, key, rate_per_minute, *, cost=1):
        return 0.0

    def give_back(self, key, rate_per_minute):
        return None


if not limited:
    app.state.limiter = Unlimited()
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""


def postgres_url(base: str) -> str:
    """The benchmark database beside ``base``, emptied and migrated."""
    u = make_url(base)
    dsn = u.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return u.set(database=BENCH_DB).render_as_string(hide_password=False)


def prepare(url: str) -> None:
    """Migrate ``url`` and add the admin client (a rate no run reaches)."""
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as s, s.begin():
        create_client(
            s,
            client_id="bench-admin",
            agency_id="bench",
            role="admin",
            rate_per_minute=1_000_000_000,
            actor="bench",
            key=KEY,
        )
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_s(pid: int) -> float:
    """User+sys CPU seconds of process ``pid`` so far (0 for a process that has ended)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


class Server:
    """One uvicorn process serving the app on ``url`` with the limiter on or off."""

    def __init__(self, name: str, url: str, limited: bool) -> None:
        self.name, self.url, self.limited = name, url, limited
        self.port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "VESSEL_RISK_SECRET_KEY": FERNET}
        args = [sys.executable, "-c", SERVER, url, str(self.port), "on" if limited else "off"]
        self.proc = subprocess.Popen(args, env=env)
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}", headers={"X-API-Key": KEY}, timeout=30
        )

    def wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.client.get("/health/live").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise SystemExit(f"{self.name} did not start")

    def backends(self) -> list[int]:
        if not self.url.startswith("postgresql"):
            return []
        dsn = make_url(self.url).set(drivername="postgresql")
        with psycopg.connect(dsn.render_as_string(hide_password=False)) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (BENCH_DB,),
            ).fetchall()
        return [int(r[0]) for r in rows]

    def batch(self, path: str, n: int) -> dict[str, float]:
        """``n`` sequential requests; wall seconds and CPU seconds (server, database)."""
        backends = self.backends()
        db0 = sum(cpu_s(p) for p in backends)
        cpu0, t0 = cpu_s(self.proc.pid), time.perf_counter()
        for _ in range(n):
            r = self.client.get(path)
            if r.status_code != 200:
                raise SystemExit(f"{self.name} {path}: HTTP {r.status_code} {r.text[:200]}")
        wall = time.perf_counter() - t0
        cpu = cpu_s(self.proc.pid) - cpu0
        db = sum(cpu_s(p) for p in backends) - db0
        return {"rps": n / wall, "server_ms": 1000 * cpu / n, "db_ms": 1000 * db / n}

    def stop(self) -> None:
        self.client.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--postgres", default=os.environ.get("VESSEL_RISK_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    if not args.postgres:
        raise SystemExit('Set VESSEL_RISK_TEST_POSTGRES_URL (eval "$(.ci/postgres)").')

    tmp = Path(tempfile.mkdtemp(prefix="bench_rate_"))
    urls = {"SQLite": f"sqlite:///{tmp / 'bench.db'}", "PostgreSQL": postgres_url(args.postgres)}
    for url in urls.values():
        prepare(url)
    servers = [
        Server(f"{db}, limiter {'on' if on else 'off'}", url, on)
        for db, url in urls.items()
        for on in (True, False)
    ]
    samples: dict[tuple[str, str], list[dict[str, float]]] = {}
    try:
        for s in servers:
            s.wait()
            for path in ROUTES.values():
                s.batch(path, 50)  # warm up: connections, caches
        for r in range(args.rounds):
            order = servers[r % len(servers) :] + servers[: r % len(servers)]
            for route, path in ROUTES.items():
                for s in order:
                    samples.setdefault((s.name, route), []).append(s.batch(path, args.requests))
    finally:
        for s in servers:
            s.stop()

    rows = []
    for (name, route), runs in samples.items():
        rows.append(
            {
                "server": name,
                "route": route,
                **{k: round(statistics.median(x[k] for x in runs), 3) for k in runs[0]},
                "rps_range": [
                    round(min(x["rps"] for x in runs)),
                    round(max(x["rps"] for x in runs)),
                ],
            }
        )
    load = os.getloadavg()
    out = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
        "rounds": args.rounds,
        "requests": args.requests,
        "loadavg": [round(x, 2) for x in load],
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_rate_limit.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"date {out['date']}, commit {out['commit']}, load {out['loadavg']}")
    print(
        "| database | route | limiter | req/s (range) | server CPU ms/req | database CPU ms/req |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for row in sorted(rows, key=lambda x: (x["server"].split(",")[0], x["route"], x["server"])):
        db, limiter = row["server"].split(", ")
        print(
            f"| {db} | `{ROUTES[row['route']]}` | {limiter.split()[-1]} | {row['rps']:.0f} "
            f"({row['rps_range'][0]}-{row['rps_range'][1]}) | "
            f"{row['server_ms']:.2f} | {row['db_ms']:.2f} |"
        )


if __name__ == "__main__":
    main()
