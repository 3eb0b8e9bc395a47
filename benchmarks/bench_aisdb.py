"""``vessel-risk ingest`` against aisdb's loader on the same decoded CSV and NMEA files (issue 15).

aisdb (https://github.com/AISViz/AISdb, Rust core, on PyPI) must live in its own virtual
environment, by default ``../aisdb-venv`` beside the repository (the one issue 15 asks
for: ``python3 -m venv ../aisdb-venv && ../aisdb-venv/bin/pip install aisdb psutil``).
Without it the script says so and stops with exit code 0: it is a benchmark, not a test.

Inputs, built once into ``--out`` from the real public samples in ``../shared/data``
(the same files aisdb's own tests use):

* ``decoded_<N>.csv``: ``ais/snapshots/decoded_global_20210701.csv.gz`` (2,498 rows of
  the 139-column decoded dialect, aisdb's CSV format) repeated until about ``--rows``
  rows; copy ``i`` has its times ``i`` days later, so no two copies repeat a message.
* ``tagblock_<N>.nm4``: ``ais/nmea/tagblock_20211101.nm4`` (1,000 lines with NMEA 4.10
  tag blocks) repeated the same way; copy ``i`` has its ``c:`` receive times plus
  ``60 * i`` seconds and the tag block's checksum recomputed.

Each tool runs in a fresh subprocess on each file; the wall time and the child's peak
RSS (``ru_maxrss`` from ``os.wait4``) are measured from outside. aisdb loads with
``decode_msgs`` into a new SQLite database (on NMEA with ``type_preference="csv"``: the
released version skips NMEA otherwise, issue 15); vessel-risk runs
``vessel-risk ingest FILE --store DIR`` (``python -m vessel_risk``, with the
``PYTHONPATH`` given by ``--src``, so two versions can be compared). ``--run`` adds the
whole ``vessel-risk run --ais FILE`` on each file.

Usage::

    .venv/bin/python benchmarks/bench_aisdb.py                    # 1.8M rows each
    .venv/bin/python benchmarks/bench_aisdb.py --rows 200000 --run
    .venv/bin/python benchmarks/bench_aisdb.py --src ../main/src  # another checkout
    .venv/bin/python benchmarks/bench_aisdb.py --kinds nmea --base-src ../base/src

From a worktree (``/work/wt/NAME``) the aisdb venv and ``shared`` are looked for one
level further up too.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
SHARED = next(
    (
        d / "shared" / "data" / "ais"
        for d in (REPO_ROOT.parent, REPO_ROOT.parent.parent)  # a checkout or a worktree
        if (d / "shared" / "data" / "ais").is_dir()
    ),
    REPO_ROOT.parent / "shared" / "data" / "ais",
)
CSV_SAMPLE = "snapshots/decoded_global_20210701.csv.gz"
NMEA_SAMPLE = "nmea/tagblock_20211101.nm4"
DEFAULT_VENV = next(
    (
        d / "aisdb-venv"
        for d in (REPO_ROOT.parent, REPO_ROOT.parent.parent)  # a checkout or a worktree
        if (d / "aisdb-venv" / "bin" / "python").exists()
    ),
    REPO_ROOT.parent / "aisdb-venv",
)

AISDB_CHILD = r"""
import sys, time, sqlite3, json
from aisdb import decode_msgs, DBConn
path, db, pref = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
with DBConn(db) as dbconn:
    decode_msgs([path], dbconn=dbconn, source="BENCH", vacuum=False, verbose=False,
                skip_checksum=True, type_preference=pref)
secs = time.perf_counter() - t0
con = sqlite3.connect(db)
tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
rows = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0]
        for t in tables if t.startswith("ais_")}
print(json.dumps({"seconds_inside": secs, "rows": rows}))
"""


def _nmea_checksum(body: str) -> str:
    value = 0
    for ch in body:
        value ^= ord(ch)
    return f"{value:02X}"


def build_csv(src: Path, dest: Path, rows: int) -> int:
    """The decoded CSV repeated to about ``rows`` rows, copy ``i`` ``i`` days later.

    The day's 2,200 or so vessels then have messages on many days, as in a long
    extract. (Adding ``i`` to the MMSI instead, the first scheme, made 250,000 vessels
    of one or two messages out of 300,000 rows: no input a run meets.)
    """
    import csv
    from datetime import datetime, timedelta

    with gzip.open(src, "rt", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        body = list(reader)
    k = math.ceil(rows / len(body))
    col = header.index("Time")
    tmp = dest.with_suffix(".part")
    with open(tmp, "w", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(header)
        for i in range(k):
            for r in body:
                r2 = list(r)
                try:
                    t = datetime.strptime(r2[col], "%Y%m%d_%H%M%S") + timedelta(days=i)
                    r2[col] = t.strftime("%Y%m%d_%H%M%S")
                except ValueError:
                    pass
                writer.writerow(r2)
    os.replace(tmp, dest)
    return k * len(body)


def build_nmea(src: Path, dest: Path, rows: int) -> int:
    """The tag-block NMEA file repeated to about ``rows`` lines, ``c:`` + 60 s per copy."""
    lines = src.read_text(encoding="ascii", errors="replace").splitlines()
    k = math.ceil(rows / len(lines))
    tmp = dest.with_suffix(".part")
    with open(tmp, "w", encoding="ascii", errors="replace") as out:
        for i in range(k):
            for line in lines:
                if line.startswith("\\") and "*" in line.split("\\")[1]:
                    tag, rest = line[1:].split("\\", 1)
                    body = tag.split("*")[0]
                    fields = []
                    for f in body.split(","):
                        if f.startswith("c:") and f[2:].isdigit():
                            f = f"c:{int(f[2:]) + 60 * i}"
                        fields.append(f)
                    body = ",".join(fields)
                    line = f"\\{body}*{_nmea_checksum(body)}\\{rest}"
                out.write(line + "\n")
    os.replace(tmp, dest)
    return k * len(lines)


def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd``; wall and CPU seconds, peak RSS (MiB) of the child, exit code, output."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO_ROOT
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    return {
        "wall_seconds": round(wall, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "exit_code": os.waitstatus_to_exitcode(status),
        "stdout_tail": out[-2000:],
        "stderr_tail": err[-2000:],
    }


def run_aisdb(venv: Path, path: Path, work: Path, preference: str) -> dict[str, Any]:
    db = work / f"aisdb_{path.stem}.sqlite"
    db.unlink(missing_ok=True)
    rec = measure([str(venv / "bin" / "python"), "-c", AISDB_CHILD, str(path), str(db), preference])
    try:
        rec.update(json.loads(rec["stdout_tail"].strip().splitlines()[-1]))
        rec["rows_loaded"] = sum(rec["rows"].values())
    except (ValueError, IndexError):
        rec["rows_loaded"] = None
    db.unlink(missing_ok=True)
    return rec


def run_vessel_risk(src: Path, args: list[str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return measure([sys.executable, "-m", "vessel_risk", *args], env=env)


def _ingest_counts(store: Path) -> dict[str, Any]:
    try:
        files = json.loads((store / "ingest_report.json").read_text())
    except (OSError, ValueError):
        return {}
    f = files[0] if isinstance(files, list) and files else files
    keys = ("rows_in", "positions", "static", "quarantined")
    return {k: f.get(k) for k in keys if isinstance(f, dict) and k in f}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_800_000, help="rows (lines) per input file")
    ap.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "aisdb")
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="aisdb's virtual environment")
    ap.add_argument("--src", type=Path, default=REPO_ROOT / "src", help="vessel-risk source")
    ap.add_argument(
        "--base-src",
        type=Path,
        default=None,
        help="another vessel-risk source (e.g. an older commit), timed right after --src",
    )
    ap.add_argument("--shared", type=Path, default=SHARED, help="../shared/data/ais")
    ap.add_argument("--run", action="store_true", help="also time `vessel-risk run` per file")
    ap.add_argument("--skip-aisdb", action="store_true")
    ap.add_argument(
        "--ours-first",
        action="store_true",
        help="time vessel-risk before aisdb on each file (default: aisdb first); "
        "alternate between runs so neither always meets the warmer page cache",
    )
    ap.add_argument(
        "--kinds", default="csv,nmea", help="which inputs to time: csv, nmea or both (csv,nmea)"
    )
    args = ap.parse_args(argv)

    have_aisdb = (args.venv / "bin" / "python").exists() and not args.skip_aisdb
    if not have_aisdb and not args.skip_aisdb:
        print(
            f"aisdb's virtual environment {args.venv} is absent: skipping the benchmark. "
            f"Make it with: python3 -m venv {args.venv} && {args.venv}/bin/pip install aisdb",
            flush=True,
        )
        return 0
    for sample in (CSV_SAMPLE, NMEA_SAMPLE):
        if not (args.shared / sample).exists():
            print(f"error: {args.shared / sample} is missing (pass --shared).", file=sys.stderr)
            return 2
    args.out.mkdir(parents=True, exist_ok=True)
    inputs = {
        "csv": (args.out / f"decoded_days_{args.rows}.csv", build_csv, CSV_SAMPLE, "all"),
        "nmea": (args.out / f"tagblock_{args.rows}.nm4", build_nmea, NMEA_SAMPLE, "csv"),
    }
    results: dict[str, Any] = {
        "rows_target": args.rows,
        "src": str(args.src),
        "base_src": str(args.base_src) if args.base_src else None,
        "files": {},
    }
    kinds = {k.strip() for k in args.kinds.split(",")}
    for kind, (path, build, sample, preference) in inputs.items():
        if kind not in kinds:
            continue
        if not path.exists():
            n = build(args.shared / sample, path, args.rows)
            print(f"built {path} ({n:,} rows)", flush=True)
        with open(path, "rb") as fh:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))
        rec: dict[str, Any] = {
            "path": str(path),
            "lines": lines,
            "mib": path.stat().st_size / 2**20,
        }
        rec["load_before"] = [round(x, 2) for x in os.getloadavg()]

        def time_aisdb(
            rec: dict[str, Any] = rec,
            path: Path = path,
            preference: str = preference,
            kind: str = kind,
        ) -> None:
            rec["aisdb"] = run_aisdb(args.venv, path, args.out, preference)
            print(
                f"[{kind}] aisdb: {rec['aisdb']['wall_seconds']} s wall, "
                f"{rec['aisdb']['cpu_seconds']} s CPU, "
                f"{rec['aisdb']['peak_rss_mib']} MiB, {rec['aisdb']['rows_loaded']} rows",
                flush=True,
            )

        if have_aisdb and not args.ours_first:
            time_aisdb()
        trees = [("", args.src)] + ([("_base", args.base_src)] if args.base_src else [])
        for tag, src in trees:
            store = args.out / f"store_{kind}"
            shutil.rmtree(store, ignore_errors=True)
            rec[f"ingest{tag}"] = run_vessel_risk(src, ["ingest", str(path), "--store", str(store)])
            rec[f"ingest{tag}"]["counts"] = _ingest_counts(store)
            shutil.rmtree(store, ignore_errors=True)
            print(
                f"[{kind}] vessel-risk ingest{tag}: {rec[f'ingest{tag}']['wall_seconds']} s wall, "
                f"{rec[f'ingest{tag}']['cpu_seconds']} s CPU, "
                f"{rec[f'ingest{tag}']['peak_rss_mib']} MiB, {rec[f'ingest{tag}']['counts']}",
                flush=True,
            )
            if args.run:
                run_dir = args.out / f"run_{kind}"
                shutil.rmtree(run_dir, ignore_errors=True)
                rec[f"run{tag}"] = run_vessel_risk(
                    src, ["run", "--ais", str(path), "--out", str(run_dir), "--baseline"]
                )
                shutil.rmtree(run_dir, ignore_errors=True)
                r = rec[f"run{tag}"]
                print(
                    f"[{kind}] vessel-risk run{tag}: {r['wall_seconds']} s, "
                    f"{r['peak_rss_mib']} MiB (exit {r['exit_code']})",
                    flush=True,
                )
        if have_aisdb and args.ours_first:
            time_aisdb()
        rec["load_after"] = [round(x, 2) for x in os.getloadavg()]
        print(f"[{kind}] load average {rec['load_before']} -> {rec['load_after']}", flush=True)
        results["files"][kind] = rec
    (args.out / "bench_aisdb.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out / 'bench_aisdb.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
