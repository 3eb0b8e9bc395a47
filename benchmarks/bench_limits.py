"""Peak memory of ingesting hostile gzip files with the default limits (issue 19).

Builds, in ``--out`` (cached between runs):

* ``single_line_<N>gib.csv.gz``: a header, one row, one line of N GiB (``x`` bytes),
  one row; about 1 MB of gzip per GiB;
* ``bomb_<N>gib.csv.gz`` (with ``--bomb-gib N``): a header, one row, then N GiB of
  zero bytes with no line end: a decompression bomb.

Each file is read by ``vessel_risk.ingest.read_ais`` with the default
:class:`~vessel_risk.ingest.IngestLimits`, in a fresh subprocess; its peak RSS is the
child's ``ru_maxrss`` (``os.wait4``). Prints one JSON line per file: the report,
seconds, peak RSS MiB, and the RSS of the interpreter after ``import`` (the floor).
Exits 1 if a peak reaches ``--max-rss-mib`` (default 1024: the issue's bound).

    .venv/bin/python benchmarks/bench_limits.py                 # the 1 GiB single line
    .venv/bin/python benchmarks/bench_limits.py --bomb-gib 10   # and a 10 GiB bomb
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HEADER = b"mmsi,timestamp,lat,lon,speed_knots,course,heading\n"
ROW = b"412000001,2020-01-01T00:00:00Z,10.5,20.5,3.0,40.0,41\n"
MiB = 1 << 20

CHILD = """
import json, resource, sys, time
from vessel_risk.ingest import read_ais
floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
result = read_ais(sys.argv[1])
seconds = time.perf_counter() - start
report = result.files[0]
print(json.dumps({"report": report, "seconds": round(seconds, 1),
                  "import_rss_mib": round(floor), "balanced": result.balanced}, default=str))
"""


def build(path: Path, *, line: bytes, gib: int, end: bytes) -> Path:
    """A gzip of HEADER, ROW, ``gib`` GiB of ``line`` bytes, then ``end``; cached."""
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp")
    block = line * MiB
    with gzip.open(tmp, "wb", compresslevel=6) as fh:
        fh.write(HEADER + ROW)
        for _ in range(gib * 1024):
            fh.write(block)
        fh.write(end)
    tmp.rename(path)
    return path


def measure(path: Path) -> dict[str, object]:
    """Read ``path`` in a fresh interpreter; its output and peak RSS."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"reading {path} failed")
    row = json.loads(out)
    row.update(
        file=path.name,
        gzip_mib=round(path.stat().st_size / MiB, 1),
        peak_rss_mib=round(usage.ru_maxrss / 1024),
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--line-gib", type=int, default=1)
    parser.add_argument("--bomb-gib", type=int, default=0, help="0: no bomb")
    parser.add_argument("--max-rss-mib", type=int, default=1024)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    files = [
        build(
            args.out / f"single_line_{args.line_gib}gib.csv.gz",
            line=b"x",
            gib=args.line_gib,
            end=b"\n" + ROW,
        )
    ]
    if args.bomb_gib:
        files.append(
            build(
                args.out / f"bomb_{args.bomb_gib}gib.csv.gz", line=b"\0", gib=args.bomb_gib, end=b""
            )
        )
    worst = 0
    for path in files:
        started = time.perf_counter()
        row = measure(path)
        row["wall_s"] = round(time.perf_counter() - started, 1)
        print(json.dumps(row, default=str), flush=True)
        worst = max(worst, int(row["peak_rss_mib"]))  # type: ignore[call-overload]
    return 1 if worst >= args.max_rss_mib else 0


if __name__ == "__main__":
    raise SystemExit(main())
