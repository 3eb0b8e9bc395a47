"""Benchmark of the behaviour-event and feature stages against movingpandas (issue 7).

For each requested size (``real``: the real squid-jigger AIS file; ``10M``: the replicated
copy that ``bench_run.py`` builds and caches as ``<out>/squid_x10M.parquet``):

1. **Preparation (not timed in the comparison)**: the positions are made exactly as
   :func:`vessel_risk.pipeline.process` makes them: ``read_many`` -> ``clean_positions``
   (``ShoreDistance``, 10 km on-land margin) -> nearest-port distance (``PortIndex`` over the
   default port list) -> ``segment_km``.
2. **ours**: on those cleaned positions, time only the event and feature stages, with the
   pipeline's arguments (no carriers, no IUU list): ``detect_port_visits``,
   ``detect_voyages``, ``detect_gaps``, ``detect_loitering``, ``detect_encounters`` and
   ``vessel_year_features`` (including building the identity ``reports`` frame, as
   ``process`` does).
3. **movingpandas** on the same positions (``mmsi``, ``timestamp``, ``lat``, ``lon``;
   timestamps made tz-naive UTC before the clock starts, as movingpandas would do itself;
   the few cleaned rows without coordinates dropped, since movingpandas cannot take them):
   ``TrajectoryCollection`` by ``mmsi`` (EPSG:4326), ``ObservationGapSplitter`` with a
   12 h gap, ``get_length()`` of every resulting trajectory, and
   ``TrajectoryStopDetector.get_stop_points(max_diameter=500 m, min_duration=1 h)`` on the
   split trajectories. All single-process (movingpandas' default ``n_processes=1``).
   If a full run would take longer than ``--mpd-max-minutes`` (estimated from the rate
   measured on an earlier size, or from a pilot sample), it runs on a random sample of
   whole vessels holding about ``--mpd-sample-positions`` positions instead, and its
   positions/s comes from that sample.

positions/s = cleaned positions handled / seconds; ratio = ours positions/s ÷ movingpandas
positions/s. Results go to a table on stdout and to ``<out>/bench_events.json``.

movingpandas is a benchmark-only tool, not a runtime dependency:
``.venv/bin/pip install movingpandas``.

Usage::

    .venv/bin/python benchmarks/bench_events.py                  # real and 10M
    .venv/bin/python benchmarks/bench_events.py --sizes real
    .venv/bin/python benchmarks/bench_events.py --help
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import bench_run  # noqa: E402  (the 10M input is built by bench_run's own code)

DEFAULT_AIS = bench_run.DEFAULT_AIS
DEFAULT_OUT = bench_run.DEFAULT_OUT
GAP_H = 12.0
STOP_DIAMETER_M = 500.0
STOP_MIN_H = 1.0


def _peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _say(size: str, msg: str) -> None:
    print(f"[{size}] {msg}  (load {_load()})", flush=True)


# --------------------------------------------------------------------------- preparation


def prepare(path: Path, size: str) -> tuple[Any, Any, Any, dict[str, float]]:
    """Ingested AIS, cleaned positions with distances, and the port list, as ``process`` does."""
    from vessel_risk.events.clean import ON_LAND_MARGIN_KM, clean_positions
    from vessel_risk.events.enrich import enrich_positions
    from vessel_risk.geo.ports import default_ports
    from vessel_risk.geo.shore import ShoreDistance
    from vessel_risk.ingest import read_many

    secs: dict[str, float] = {}
    t = time.perf_counter()
    ports = default_ports()
    ingested = read_many([path])
    secs["ingest"] = time.perf_counter() - t
    _say(size, f"ingested {ingested.rows_in:,} rows in {secs['ingest']:.1f} s")
    t = time.perf_counter()
    cleaned = clean_positions(
        ingested.positions, distance_from_shore=ShoreDistance(), on_land_margin_km=ON_LAND_MARGIN_KM
    )
    pos = cleaned.positions
    secs["clean"] = time.perf_counter() - t
    t = time.perf_counter()
    pos = enrich_positions(pos, ports)
    secs["distances"] = time.perf_counter() - t
    _say(size, f"cleaned to {len(pos):,} positions; distances done")
    # The positions frame is all the events need; drop the raw one.
    ingested.positions = ingested.positions.iloc[:0]
    del cleaned
    gc.collect()
    return ingested, pos, ports, {k: round(v, 3) for k, v in secs.items()}


# --------------------------------------------------------------------------- ours


def run_ours(ingested: Any, pos: Any, ports: Any) -> dict[str, Any]:
    """Time the event and feature stages of ``process`` (``pipeline.second_pass``)."""
    from vessel_risk.geo.shore import ShoreDistance
    from vessel_risk.pipeline import PartitionWork, References, second_pass

    st: dict[str, float] = {}
    t0 = time.perf_counter()
    t = t0
    current: list[str] = []

    def mark(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        if current:
            st[current[-1]] = round(now - t, 3)
        current.append(name)
        t = now

    work = PartitionWork(pos, ingested.static)
    events = second_pass(work, References(ShoreDistance(), ports), on_stage=mark).events()
    mark("done")
    visits, voyages, gaps = events.visits, events.voyages, events.gaps
    loitering, encounters, features = events.loitering, events.encounters, events.features
    secs = time.perf_counter() - t0
    counts = {
        "vessels": int(pos["mmsi"].nunique()),
        "port_visits": len(visits),
        "voyages": len(voyages),
        "gaps_12h": len(gaps),
        "gaps_by_class": {str(k): int(v) for k, v in gaps["gap_class"].value_counts().items()},
        "loitering_events": len(loitering),
        "encounter_rows": len(encounters),
        "encounters": len(encounters) // 2,
        "vessel_years": len(features),
    }
    return {
        "positions": len(pos),
        "seconds": round(secs, 3),
        "positions_per_second": round(len(pos) / secs, 1),
        "stage_seconds": st,
        "counts": counts,
    }


# --------------------------------------------------------------------------- movingpandas


def mpd_input(pos: Any) -> Any:
    """The four columns movingpandas needs, with tz-naive UTC timestamps.

    Rows without coordinates are dropped: cleaning keeps them on purpose (they can carry
    identity fields), but movingpandas cannot take NaN points (geopy raises on them).
    """
    df = pos.loc[pos["lat"].notna() & pos["lon"].notna(), ["mmsi", "timestamp", "lat", "lon"]]
    df = df.copy()
    if getattr(df["timestamp"].dt, "tz", None) is not None:
        df["timestamp"] = df["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None)
    return df.reset_index(drop=True)


def sample_vessels(df: Any, target: int, seed: int) -> Any:
    """Whole vessels, in random order, until about ``target`` positions are taken."""
    import numpy as np

    sizes = df.groupby("mmsi", sort=True).size()
    rng = np.random.default_rng(seed)
    order = sizes.index.to_numpy()[rng.permutation(len(sizes))]
    cum = sizes.loc[order].cumsum().to_numpy()
    k = int(np.searchsorted(cum, target)) + 1
    chosen = set(order[:k])
    return df[df["mmsi"].isin(chosen)].reset_index(drop=True)


def run_mpd(df: Any) -> dict[str, Any]:
    """TrajectoryCollection, 12 h gap split, lengths and stop points; timed as a whole."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import movingpandas as mpd

    st: dict[str, float] = {}
    t0 = time.perf_counter()
    t = t0

    def mark(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        st[name] = round(now - t, 3)
        t = now

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc = mpd.TrajectoryCollection(
            df, traj_id_col="mmsi", t="timestamp", x="lon", y="lat", crs="EPSG:4326"
        )
        mark("TrajectoryCollection")
        split = mpd.ObservationGapSplitter(tc).split(gap=timedelta(hours=GAP_H))
        mark("ObservationGapSplitter")
        lengths = [traj.get_length() for traj in split.trajectories]  # metres (geodesic)
        mark("get_length")
        stops = mpd.TrajectoryStopDetector(split).get_stop_points(
            max_diameter=STOP_DIAMETER_M, min_duration=timedelta(hours=STOP_MIN_H)
        )
        mark("TrajectoryStopDetector")
    secs = time.perf_counter() - t0
    return {
        "positions": len(df),
        "seconds": round(secs, 3),
        "positions_per_second": round(len(df) / secs, 1),
        "stage_seconds": st,
        "counts": {
            "vessels": int(df["mmsi"].nunique()),
            "trajectories": len(tc.trajectories),
            "trajectories_after_gap_split": len(split.trajectories),
            "total_length_km": round(float(sum(lengths)) / 1000.0, 1),
            "stop_points": len(stops),
        },
    }


# --------------------------------------------------------------------------- per size


def bench_size(
    size: str, path: Path, args: argparse.Namespace, mpd_rate_hint: float | None
) -> dict[str, Any]:
    rec: dict[str, Any] = {"size": size, "input": str(path)}
    ingested, pos, ports, prep = prepare(path, size)
    rec["rows_in"] = int(ingested.rows_in)
    rec["positions"] = len(pos)
    rec["prep_seconds"] = prep

    runs = []
    repeats = args.repeats if len(pos) <= args.repeat_max_positions else 1
    for i in range(repeats):
        gc.collect()
        load = _load()
        r = run_ours(ingested, pos, ports)
        r["load_before"] = load
        runs.append(r)
        _say(
            size,
            f"ours run {i + 1}/{repeats}: {r['seconds']:.2f} s, "
            f"{r['positions_per_second']:,.0f} positions/s",
        )
    best = min(runs, key=lambda r: r["seconds"])
    rec["ours"] = {**best, "all_seconds": [r["seconds"] for r in runs], "repeats": repeats}

    if args.no_mpd:
        rec["movingpandas"] = None
        return rec
    df = mpd_input(pos)
    del pos, ingested
    gc.collect()
    n = len(df)
    budget_s = args.mpd_max_minutes * 60
    note = ""
    if n <= args.mpd_sample_positions:
        sample = False
    else:
        rate = mpd_rate_hint
        if rate is None:
            pilot = sample_vessels(df, min(50_000, n), args.seed + 1)
            _say(size, f"movingpandas pilot on {len(pilot):,} positions to estimate its rate")
            rate = run_mpd(pilot)["positions_per_second"]
        est = n / rate
        sample = est > budget_s
        note = (
            f"full run estimated at {est / 60:.0f} min ({n:,} positions at {rate:,.0f}/s) "
            f"> {args.mpd_max_minutes:g} min budget"
            if sample
            else f"full run estimated at {est / 60:.1f} min"
        )
    if sample:
        df = sample_vessels(df, args.mpd_sample_positions, args.seed)
        note = (
            f"random sample of {df['mmsi'].nunique():,} whole vessels ({len(df):,} of {n:,} "
            f"positions, seed {args.seed}); " + note
        )
    _say(size, f"movingpandas on {len(df):,} positions" + (f" ({note})" if note else ""))
    gc.collect()
    load = _load()
    m = run_mpd(df)
    m["load_before"] = load
    m["sampled"] = sample
    m["note"] = note
    rec["movingpandas"] = m
    _say(size, f"movingpandas: {m['seconds']:.1f} s, {m['positions_per_second']:,.0f} positions/s")
    rec["ratio"] = round(rec["ours"]["positions_per_second"] / m["positions_per_second"], 1)
    return rec


# --------------------------------------------------------------------------- output


def print_table(records: list[dict[str, Any]]) -> None:
    headers = [
        "size",
        "positions",
        "ours s",
        "ours pos/s",
        "mpd positions",
        "mpd s",
        "mpd pos/s",
        "ratio",
    ]
    rows = []
    for r in records:
        o, m = r["ours"], r.get("movingpandas")
        rows.append(
            [
                r["size"],
                f"{r['positions']:,}",
                f"{o['seconds']:.2f}",
                f"{o['positions_per_second']:,.0f}",
                (f"{m['positions']:,}" + (" (sample)" if m["sampled"] else "")) if m else "-",
                f"{m['seconds']:.1f}" if m else "-",
                f"{m['positions_per_second']:,.0f}" if m else "-",
                f"{r['ratio']:,.0f}x" if m else "-",
            ]
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))


def machine_info() -> dict[str, Any]:
    info = bench_run.machine_info()
    try:
        import geopandas
        import shapely

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import movingpandas

        info.update(
            movingpandas=movingpandas.__version__,
            geopandas=geopandas.__version__,
            shapely=shapely.__version__,
        )
    except ImportError:
        pass
    return info


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Benchmark vessel_risk's event and feature stages (port visits, voyages, "
        "gaps, loitering, encounters, vessel-year features) against movingpandas doing the "
        "equivalent work (12 h gap split, track length, stop detection) on the same cleaned "
        "positions. Needs movingpandas (.venv/bin/pip install movingpandas).",
    )
    p.add_argument(
        "--sizes",
        default="real,10M",
        help="comma-separated sizes: 'real' and/or target row counts such as 10M "
        "(default: real,10M); replicated inputs are built/reused by bench_run.py's code",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="folder for the cached synthetic inputs and bench_events.json "
        f"(default: {DEFAULT_OUT.relative_to(REPO_ROOT)})",
    )
    p.add_argument(
        "--ais",
        type=Path,
        default=DEFAULT_AIS,
        help="the real AIS file (default: ../shared/data/ais/squid_jiggers_2020_2023.parquet "
        "from the repository root)",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs of our stages per size, best one reported (default 3); sizes with more "
        "than --repeat-max-positions positions run once",
    )
    p.add_argument("--repeat-max-positions", type=int, default=1_000_000, help=argparse.SUPPRESS)
    p.add_argument(
        "--mpd-max-minutes",
        type=float,
        default=10.0,
        help="if a full movingpandas run would take longer than this, time it on a random "
        "sample of vessels instead (default 10)",
    )
    p.add_argument(
        "--mpd-sample-positions",
        type=int,
        default=300_000,
        help="about how many positions the movingpandas sample holds (default 300000)",
    )
    p.add_argument("--seed", type=int, default=7, help="seed of the vessel sample (default 7)")
    p.add_argument("--no-mpd", action="store_true", help="time our stages only")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    ais = args.ais if args.ais.is_absolute() else Path.cwd() / args.ais
    if not ais.is_file():
        print(
            f"error: the AIS file {str(ais)!r} does not exist (pass --ais PATH).", file=sys.stderr
        )
        return 2
    if not args.no_mpd:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import movingpandas  # noqa: F401
        except ImportError:
            print(
                "error: movingpandas is not installed (.venv/bin/pip install movingpandas), "
                "or pass --no-mpd.",
                file=sys.stderr,
            )
            return 2
    try:
        sizes = [(s.strip(), bench_run.parse_size(s)) for s in args.sizes.split(",") if s.strip()]
    except argparse.ArgumentTypeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    records = []
    rate_hint: float | None = None
    started = datetime.now(UTC)
    for size, target in sizes:
        input_path, build = bench_run.ensure_input(size, target, ais, out)
        rec = bench_size(size, input_path, args, rate_hint)
        rec["input_build"] = build
        rec["peak_rss_mib_so_far"] = _peak_rss_mib()
        m = rec.get("movingpandas")
        if m and rate_hint is None:
            rate_hint = m["positions_per_second"]
        records.append(rec)
        gc.collect()
    print_table(records)
    report = {
        "benchmark": "vessel_risk event+feature stages vs movingpandas (issue 7)",
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "ais": str(ais),
        "load_average_end": _load(),
        "cpus": os.cpu_count(),
        "machine": machine_info(),
        "target_ratio": 500,
        "notes": (
            "positions = cleaned positions (as pipeline.process makes them); ours times "
            "detect_port_visits, detect_voyages, detect_gaps, detect_loitering, "
            "detect_encounters and vessel_year_features (best of 'repeats'); movingpandas "
            f"times TrajectoryCollection by mmsi, ObservationGapSplitter(gap={GAP_H:g} h), "
            "get_length per split trajectory and TrajectoryStopDetector.get_stop_points("
            f"max_diameter={STOP_DIAMETER_M:g} m, min_duration={STOP_MIN_H:g} h), single "
            "process; ratio = ours positions/s / movingpandas positions/s. Preparation "
            "(ingest, clean, distances) is not timed in the comparison (prep_seconds)."
        ),
        "python": platform.python_version(),
        "results": records,
    }
    (out / "bench_events.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {out / 'bench_events.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
