"""Fuzz run of ingest: N corrupted variants of the real files, none may raise or lose rows.

Each variant is a real file (first lines of a canonical case, a GFW raw export, the
NMEA tag-block and receiver-metadata logs, C06) with random corruption: truncated
lines, inserted random bytes, swapped fields, dropped or duplicated lines, lines in
UTF-16 or Latin-1, optionally gzipped. The contract checked for each:
``read_ais`` raises nothing but ``ValueError`` (a file unreadable as a whole) and
otherwise rows in = positions + static reports + quarantined.

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/fuzz_ingest.py --n 10000 --seed 0
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from vessel_risk.ingest import read_ais

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLES = [
    SHARED / "cases" / "C10_malformed_rows.csv",
    SHARED / "cases" / "C06_multipart_fragments.nmea",
    SHARED / "data" / "ais" / "nmea" / "tagblock_20211101.nm4",
    SHARED / "data" / "ais" / "nmea" / "receiver_log_201201.nmea",
    SHARED / "data" / "ais" / "squid_jiggers_raw" / "fuyuanyu_715.csv.gz",
    SHARED / "data" / "ais" / "squid_jiggers_raw" / "150400453.csv.gz",
    SHARED / "data" / "ais" / "snapshots" / "noaa_marinecadastre_20230111.csv.gz",
]


def mutate(lines: list[bytes], rng: random.Random) -> bytes:
    """A few random corruptions of ``lines`` (see the module docstring)."""
    out = list(lines)
    for _ in range(rng.randint(1, 8)):
        if not out:
            break
        i = rng.randrange(len(out))
        line = out[i]
        kind = rng.randrange(7)
        if kind == 0:
            out[i] = line[: rng.randint(0, len(line))]
        elif kind == 1:
            k = rng.randint(0, len(line))
            out[i] = line[:k] + rng.randbytes(rng.randint(1, 12)) + line[k:]
        elif kind == 2:
            parts = line.rstrip(b"\r\n").split(b",")
            a, b = rng.randrange(len(parts)), rng.randrange(len(parts))
            parts[a], parts[b] = parts[b], parts[a]
            out[i] = b",".join(parts) + b"\n"
        elif kind == 3:
            del out[i]
        elif kind == 4:
            out.insert(i, line)
        elif kind == 5:
            codec = rng.choice(["utf-16", "utf-32", "cp1252"])
            out[i] = line.decode("utf-8", "replace").encode(codec, "replace")
        else:
            out[i] = rng.randbytes(rng.randint(0, 80)) + b"\n"
    return b"".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lines", type=int, default=200, help="lines kept from each sample")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    samples = []
    for path in SAMPLES:
        if not path.exists():
            print(f"skipping {path}: absent", file=sys.stderr)
            continue
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        samples.append((path.name, data.splitlines(keepends=True)[: args.lines]))
    if not samples:
        print("no sample files: the shared data is absent", file=sys.stderr)
        return 2
    outcomes: Counter[str] = Counter()
    failures = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.n):
            name, lines = samples[n % len(samples)]
            data = mutate(lines, rng)
            if rng.random() < 0.2:
                data = gzip.compress(data)
            path = Path(tmp) / f"v{n}.dat"
            path.write_bytes(data)
            try:
                r = read_ais(path)
            except ValueError:
                outcomes["value_error"] += 1
            except Exception as exc:  # the contract is broken: record it
                outcomes["crash"] += 1
                failures.append({"variant": n, "sample": name, "error": repr(exc)})
            else:
                ok = r.balanced
                outcomes["balanced" if ok else "unbalanced"] += 1
                if not ok:
                    failures.append({"variant": n, "sample": name, "files": r.files})
            path.unlink()
    seconds = time.perf_counter() - t0
    report = {
        "variants": args.n,
        "seed": args.seed,
        "seconds": round(seconds, 1),
        "variants_per_s": round(args.n / seconds, 1),
        "outcomes": dict(outcomes),
        "failures": failures[:20],
    }
    print(json.dumps(report, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
