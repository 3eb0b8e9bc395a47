"""Benchmark of recording a run in the database (:func:`vessel_risk.alerts.persistence.record_run`).

Side by side in one run: the ``record_run`` of a baseline source tree (``--before``,
default ``/work/main/src``: the commit before bulk writes) and of this tree (``--after``,
default ``src`` of this repository), on SQLite and on PostgreSQL (where
``VESSEL_RISK_TEST_POSTGRES_URL`` is set: ``eval "$(.ci/postgres)"``).

Inputs, per scale ``k`` (``--scales 1 10``): the squid-jigger AIS file
(``../shared/data/ais/squid_jiggers_2020_2023.parquet``) with its vessels copied ``k``
times under offset MMSIs (MMSI + 7,919,003 j for copy j; checked unique), run once through
``vessel-risk run`` with this tree (timed: the share of the run that recording takes).
The run's features, alerts (re-scored from the features), evidence, port visits and
identity history are saved, then each tree records them twice in a fresh database
(``first``: every alert new; ``again``: every alert re-scored, as a daily run does),
each in a fresh Python subprocess (features with NaN as None: the tree before could not
write NaN to PostgreSQL's JSON at all). Results go to a table on stdout and to
``<out>/bench_record.json``.

Usage::

    eval "$(.ci/postgres)"
    .venv/bin/python benchmarks/bench_record.py --scales 1 10
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQUID = ROOT.parent / "shared" / "data" / "ais" / "squid_jiggers_2020_2023.parquet"
if not SQUID.exists():
    SQUID = Path("/work/shared/data/ais/squid_jiggers_2020_2023.parquet")

CHILD = r"""
import pickle, sys, time
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session
from vessel_risk.alerts.build import Alert
from vessel_risk.alerts.persistence import record_run
from vessel_risk.db.engine import make_engine, migrate

inputs, url = sys.argv[1], sys.argv[2]
with open(inputs, "rb") as f:
    data = pickle.load(f)
alerts = [Alert(**a) for a in data["alerts"]]
# NaN features as None: the tree before bulk writes sent NaN to PostgreSQL's JSON, which
# refuses it, so both trees get the nulls the bulk writer now writes.
features = data["features"].astype(object)
features = features.where(data["features"].notna(), None)
if url.startswith("postgresql"):
    reset = make_engine(url)
    with reset.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    reset.dispose()
engine = make_engine(url)
migrate(engine)
times = []
for _ in range(2):
    t0 = time.perf_counter()
    with Session(engine) as s, s.begin():
        record_run(
            s,
            alerts=alerts,
            features=features,
            evidence=data["evidence"],
            identity=data["identity"],
            visits=data["visits"],
            inputs=["bench"],
            model_version=alerts[0].model_version,
            counts={"rows_in": 0},
        )
    times.append(time.perf_counter() - t0)
with engine.connect() as conn:
    n_alerts = conn.execute(text("SELECT count(*) FROM alerts")).scalar_one()
    n_events = conn.execute(text("SELECT count(*) FROM evidence_events")).scalar_one()
engine.dispose()
print(f"RESULT {times[0]:.3f} {times[1]:.3f} {n_alerts} {n_events}")
"""


def scaled_ais(k: int, out: Path) -> Path:
    """The squid file with its vessels copied ``k`` times under offset MMSIs."""
    import pandas as pd

    path = out / f"squid_x{k}.parquet"
    if path.exists():
        return path
    base = pd.read_parquet(SQUID)
    copies = [base.assign(mmsi=base["mmsi"] + 7_919_003 * j) for j in range(k)]
    mmsis = [set(c["mmsi"].unique()) for c in copies]
    assert sum(len(m) for m in mmsis) == len(set().union(*mmsis)), "offset MMSIs collide"
    pd.concat(copies, ignore_index=True).to_parquet(path, index=False)
    return path


def prepare(k: int, out: Path) -> tuple[Path, dict[str, float]]:
    """Run the pipeline on scale ``k`` (this tree) and save record_run's inputs."""
    import pandas as pd
    from sqlalchemy import create_engine, text

    from vessel_risk.alerts.evidence import evidence_events
    from vessel_risk.pipeline.config import RunConfig
    from vessel_risk.pipeline.run import run
    from vessel_risk.pipeline.scoring import alert_queue, score_alerts

    folder = out / f"run_x{k}"
    inputs = out / f"inputs_x{k}.pkl"
    timing = out / f"run_x{k}.json"
    if inputs.exists() and timing.exists():
        return inputs, json.loads(timing.read_text())
    ais = scaled_ais(k, out)
    stages: dict[str, float] = {}
    current = {"name": "", "t": time.perf_counter()}

    def on_stage(name: str) -> None:
        now = time.perf_counter()
        stages[current["name"]] = stages.get(current["name"], 0.0) + now - current["t"]
        current.update(name=name, t=now)

    t0 = time.perf_counter()
    summary = run(RunConfig(out_dir=folder, ais_paths=[ais]), on_stage=on_stage)
    wall = time.perf_counter() - t0
    stages[current["name"]] = stages.get(current["name"], 0.0) + time.perf_counter() - current["t"]
    features = pd.read_parquet(folder / "vessel_features.parquet")
    queue = alert_queue(features)
    alerts, _ = score_alerts(features[queue], None, None)
    read = {n: pd.read_parquet(folder / f"{n}.parquet") for n in ("port_visits", "gaps")}
    read |= {n: pd.read_parquet(folder / f"{n}.parquet") for n in ("encounters", "loitering")}
    evidence = evidence_events(
        read["port_visits"], read["gaps"], read["encounters"], read["loitering"]
    )
    engine = create_engine(summary.database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT mmsi, identity_history FROM vessels")).all()
    engine.dispose()
    identity = pd.DataFrame(
        [
            {**h, "mmsi": m}
            for m, hist in rows
            for h in (json.loads(hist) if isinstance(hist, str) else hist)
        ]
    )
    if not identity.empty:
        for c in ("first_seen", "last_seen"):
            identity[c] = pd.to_datetime(identity[c], utc=True)
    data = {
        "alerts": [a.model_dump() for a in alerts],
        "features": features,
        "evidence": evidence,
        "identity": identity,
        "visits": read["port_visits"],
    }
    inputs.write_bytes(pickle.dumps(data))
    info = {"run_s": wall, "write_stage_s": stages.get("write", 0.0), "alerts": len(alerts)}
    timing.write_text(json.dumps(info))
    return inputs, info


def own_database(url: str) -> str:
    """A database of its own on the server of ``url`` (the test database is shared:
    tests running beside the benchmark drop its tables)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = "vessel_risk_bench_record"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if found.first() is None:
            conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def measure(src: Path, inputs: Path, url: str) -> list[float]:
    """First and second record_run seconds, alerts and evidence rows; NaN if it failed."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(inputs), url],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        why = [x for x in done.stderr.splitlines() if "Error" in x]
        print(f"  failed ({src}): {why[-1] if why else done.stderr[-300:]}")
        return [float("nan")] * 4
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT")][-1]
    first, again, alerts, events = line.split()[1:]
    return [float(first), float(again), float(alerts), float(events)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--before", type=Path, default=Path("/work/main/src"))
    parser.add_argument("--after", type=Path, default=ROOT / "src")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_record"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    databases: dict[str, str | None] = {"sqlite": None}
    if os.environ.get("VESSEL_RISK_TEST_POSTGRES_URL"):
        databases["postgresql"] = own_database(os.environ["VESSEL_RISK_TEST_POSTGRES_URL"])
    results = []
    header = f"{'scale':>5} {'db':<10} {'alerts':>7} {'events':>7} {'tree':<6}"
    print(f"{header} {'first s':>8} {'again s':>8} {'run s':>7} {'share':>6}")
    for k in args.scales:
        inputs, info = prepare(k, args.out)
        for db, url in databases.items():
            for tree, src in (("before", args.before), ("after", args.after)):
                db_url = url or f"sqlite:///{args.out / f'bench_x{k}_{tree}.db'}"
                if url is None:
                    for suffix in ("", "-wal", "-shm"):
                        Path(str(args.out / f"bench_x{k}_{tree}.db") + suffix).unlink(
                            missing_ok=True
                        )
                first, again, alerts, events = measure(src, inputs, db_url)
                if alerts != alerts:  # failed: NaN
                    alerts = events = 0.0
                share = again / info["run_s"]
                results.append(
                    {
                        "scale": k,
                        "database": db,
                        "tree": tree,
                        "first_s": first,
                        "again_s": again,
                        "alerts": int(alerts),
                        "evidence_events": int(events / 2),
                        "run_s": info["run_s"],
                        "share_of_run": share,
                    }
                )
                print(
                    f"{k:>5} {db:<10} {int(alerts):>7} {int(events / 2):>7} {tree:<6} "
                    f"{first:>8.2f} {again:>8.2f} {info['run_s']:>7.1f} {share:>6.1%}"
                )
    (args.out / "bench_record.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
