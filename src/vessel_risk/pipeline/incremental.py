"""Incremental runs: a day appended to a position store, the alerts revised.

``vessel-risk ingest --append`` adds files to a position store
(:func:`vessel_risk.ingest.append_store`), which keeps what each append touched: the
MMSIs with new rows and their time window (:func:`vessel_risk.ingest.store_appends`).
An output folder remembers which appends of which store its last run took in
(:data:`STATE`, written by :func:`mark_processed` when a ``--store`` run has recorded
its alerts); :func:`plan_run` says what is new since then: the touched MMSIs and
vessel-years (:attr:`IncrementalPlan.vessel_years`).

The result equals a full rerun on every file: the touched MMSIs are recomputed over
their whole history (transmitter tracks renumber when new data changes how a shared
MMSI splits, identity.transmitters), and the alerts of the database are revised, not
duplicated: :func:`vessel_risk.alerts.persistence.record_run` moves the alert of the
same (``mmsi``, ``track_id``, ``year``) to its new score, keeping its status and
history and auditing the change (``alert.rescored``, and ``alert.status`` when late
data withdraws or reopens it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from vessel_risk.db.engine import open_database
from vessel_risk.events.encounters import encounters_from_samples
from vessel_risk.events.schemas import PositionSchema
from vessel_risk.frames import empty_frame
from vessel_risk.geo.geoparquet import write_geoparquet_files
from vessel_risk.identity.identify import VesselTables, identify_vessels
from vessel_risk.ingest import (
    iter_store_quarantine,
    partition_rows,
    read_manifest,
    store_appends,
    store_partitions,
)
from vessel_risk.ingest.schemas import QuarantineSchema
from vessel_risk.pipeline.config import _REFERENCE_FILES
from vessel_risk.pipeline.counts import RunTally
from vessel_risk.pipeline.engine import Engine
from vessel_risk.pipeline.incremental_tasks import (
    IncrementalFirst,
    incremental_first_task,
    incremental_second_task,
)
from vessel_risk.pipeline.memory import heap_returns_large_blocks
from vessel_risk.pipeline.partition_cache import (
    changed_mmsis,
    gaps_in,
    load_frames,
    save_frames,
)
from vessel_risk.pipeline.scoring import Scorer, choose_scorer
from vessel_risk.pipeline.stages import OnStage, References, _noop, concat
from vessel_risk.pipeline.tasks import (
    SecondPassResult,
    gaps_file,
    peak_memory_mib,
    positions_file,
)
from vessel_risk.referral.directory import read_directory

if TYPE_CHECKING:
    from vessel_risk.pipeline.config import RunConfig
    from vessel_risk.pipeline.run import RunSummary

STATE = "incremental.json"
"""The file of an output folder that names the position store its last run read and how
many of that store's appends it took in."""


@dataclass(frozen=True)
class IncrementalPlan:
    """What a ``--store`` run into an output folder has not taken in yet.

    Attributes
    ----------
    store : Path
        The position store, resolved.
    since : int
        The first append of the store the folder's last run did not take in (0: no
        earlier run of this store here).
    appends : int
        Appends in the store (the initial ingest counts as append 0).
    touched : DataFrame
        ``mmsi`` (str), ``first`` and ``last`` (UTC) of each MMSI the new appends
        touched (:func:`vessel_risk.ingest.store_appends`).
    """

    store: Path
    since: int
    appends: int
    touched: pd.DataFrame

    @property
    def full(self) -> bool:
        """True when the folder holds no earlier run of this store: everything is new."""
        return self.since == 0

    @property
    def vessel_years(self) -> pd.DataFrame:
        """The (``mmsi``, ``year``) pairs the new data falls in, sorted.

        A touched MMSI is recomputed whole (every year), since its transmitter tracks
        and the windows that span the old/new boundary (a voyage, a port visit, a gap)
        may change; these are the vessel-years whose own data changed.
        """
        rows: list[tuple[str, int]] = []
        for mmsi, first, last in self.touched[["mmsi", "first", "last"]].itertuples(index=False):
            if pd.isna(first):
                continue
            rows.extend((mmsi, y) for y in range(first.year, last.year + 1))
        return pd.DataFrame(rows, columns=["mmsi", "year"]).sort_values(
            ["mmsi", "year"], ignore_index=True
        )


def plan_run(store: str | Path, out_dir: str | Path) -> IncrementalPlan:
    """What is new in ``store`` since the last ``--store`` run into ``out_dir``.

    Parameters
    ----------
    store : str or Path
        A position store with a ``store.json`` (:func:`vessel_risk.ingest.read_manifest`).
    out_dir : str or Path
        The run's output folder; its :data:`STATE` file, if any, says what it took in.
        A state naming another store, or more appends than the store has (a store
        written again), counts as no earlier run.

    Returns
    -------
    IncrementalPlan

    Raises
    ------
    ValueError
        If ``store`` has no ``store.json``.
    """
    store = Path(store).resolve()
    appends = len(read_manifest(store)["appends"])
    since = 0
    state_file = Path(out_dir) / STATE
    if state_file.is_file():
        state = json.loads(state_file.read_text(encoding="utf-8"))
        if state.get("store") == str(store) and int(state.get("appends", 0)) <= appends:
            since = int(state["appends"])
    return IncrementalPlan(store, since, appends, store_appends(store, since))


def mark_processed(store: str | Path, out_dir: str | Path, *, config: str | None = None) -> None:
    """Record in ``out_dir`` that its run took in every append of ``store`` so far.

    Called by :func:`vessel_risk.pipeline.run` once the alerts are in the database.
    A store without ``store.json`` (an older one, which cannot be appended to) leaves
    no state.

    Parameters
    ----------
    store : str or Path
    out_dir : str or Path
    config : str, optional
        The fingerprint of the run's configuration: its cache (:data:`CACHE`) is reused
        only by a run with the same one.
    """
    store = Path(store).resolve()
    try:
        appends = len(read_manifest(store)["appends"])
    except ValueError:
        return
    tmp = Path(out_dir) / f".{STATE}.tmp"
    state = {"store": str(store), "appends": appends, "config": config}
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(Path(out_dir) / STATE)


def _mark_stopped(store: Path, out_dir: Path) -> None:
    """Replace the folder's :data:`STATE` by one that says a run began rewriting the
    cache: if that run stops half way, the next one recomputes everything and says why;
    if it ends, :func:`mark_processed` replaces this state."""
    tmp = out_dir / f".{STATE}.tmp"
    tmp.write_text(json.dumps({"store": str(store.resolve()), "appends": 0, "stopped": True}))
    tmp.replace(out_dir / STATE)


def _why_everything(
    known: dict[str, object], plan: IncrementalPlan, config: RunConfig, cache: Path
) -> str:
    """Why a ``--store`` run recomputes every vessel, from the folder's :data:`STATE`
    at its start (``known``, empty when none)."""
    if not known:
        return "first run on this output"
    if known.get("stopped"):
        return (
            "the last run on this output stopped before it finished, leaving its cache incomplete"
        )
    if known.get("store") != str(plan.store):
        return "the last run on this output read another store"
    if plan.full:
        return "the store was written again since the last run on this output"
    if known.get("config") != _fingerprint(config):
        return "the configuration or a reference file changed since the last run"
    return f"the last run's cache ({cache.name}) is missing"


CACHE = ".incremental"
"""The folder of an output folder where a ``--store`` run keeps, per vessel partition,
what the next run reuses: each pass's frames, the encounter grid, and the tables found
across partitions (encounters, vessel identities, reception counts)."""


_HASHED_BYTES = 8 * 1024 * 1024
"""Reference files up to this size (bytes) enter :func:`_fingerprint` by content hash;
larger ones by size and modification time (ns)."""


def _file_state(path: Path) -> list[object]:
    """What identifies the contents of ``path``: size, ``mtime_ns`` and, for a file of at
    most :data:`_HASHED_BYTES`, its SHA-256; for a folder, that of every file under it."""
    if path.is_dir():
        return [
            [str(f.relative_to(path)), *_file_state(f)]
            for f in sorted(path.rglob("*"))
            if f.is_file()
        ]
    if not path.is_file():
        return ["missing"]
    st = path.stat()
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if st.st_size <= _HASHED_BYTES else None
    return [st.st_size, st.st_mtime_ns, digest]


def _fingerprint(config: RunConfig) -> str:
    """What makes a cache reusable: the whole configuration (reference paths, scorer...)
    and the contents of every reference file and folder it names (a port list updated in
    place at the same path makes the next run recompute everything)."""
    names = (*_REFERENCE_FILES, "fishing_model_dir")
    contents = {
        name: _file_state(Path(path))
        for name in names
        if (path := getattr(config, name, None)) is not None
    }
    # Where partitions run does not change what they compute.
    where = dataclasses.replace(config, scheduler="sync", workers=None)
    text = repr(where) + json.dumps(contents, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _affected(
    cache: Path,
    touched: set[str],
    area: pd.DataFrame,
    vessels: VesselTables,
    parts: list[int],
) -> set[str]:
    """The touched MMSIs and those whose pass-2 inputs changed with them: their
    encounters, vessel identity, links or one-hull pairs, or the reception counts of a
    cell-day where one of their gaps starts."""
    old = load_frames(
        cache / "across", ("area", "encounters", "vessels", "events", "links", "hull")
    )
    out = set(touched)
    out |= changed_mmsis(old["encounters"], vessels.encounters)
    out |= changed_mmsis(old["vessels"], vessels.vessels)
    out |= changed_mmsis(old["events"], vessels.events)
    out |= changed_mmsis(old["links"], vessels.links)
    out |= changed_mmsis(old["hull"], vessels.one_hull)
    both = old["area"].merge(area, on="cell_day", how="outer", suffixes=("_old", "_new"))
    moved = both.loc[both["n_old"].fillna(-1) != both["n_new"].fillna(-1), "cell_day"]
    cells = moved.to_numpy(dtype="int64")
    for n in parts:
        gaps = pd.read_parquet(cache / f"part={n:05d}" / "gaps.parquet")
        out |= gaps_in(gaps, cells)
    return out


def run_store(
    config: RunConfig,
    *,
    references: References | None = None,
    scorer: Scorer | None = None,
    on_stage: OnStage = _noop,
    on_partition: Callable[[int, int], None] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> RunSummary:
    """:func:`vessel_risk.pipeline.run` on a position store with a ``store.json``,
    recomputing only what the appends since the folder's last run changed.

    The first run of a store into a folder computes everything and keeps each
    partition's frames in :data:`CACHE`. A later run (same store, same configuration)
    recomputes pass 1 for the MMSIs the new appends touched, over their whole history;
    the stages across partitions (encounters, vessel identities, reception counts) on
    every vessel, from the kept frames; and pass 2 for the touched MMSIs and every MMSI
    whose pass-2 inputs changed with them (:func:`_affected`). Scoring, alerts, the
    database and the report then run on all vessel-years, as a full run does, so the
    result equals a full rerun (``tests/pipeline/test_incremental.py``); the cleaning
    counts of a partly recomputed batch of MMSIs are the one approximation.

    Parameters, returns and errors are those of :func:`vessel_risk.pipeline.run`.
    """
    from vessel_risk.pipeline.outputs import score_and_record, stack_events
    from vessel_risk.pipeline.report import MAP_POSITIONS, write_report
    from vessel_risk.pipeline.run import (
        RunSummary,
        _ParquetAppender,
        load_references,
    )
    from vessel_risk.pipeline.tiles import encounter_tile_task, plan_tiles

    assert config.position_store is not None
    store, out_dir, validate = Path(config.position_store), config.out_dir, config.validate_frames
    url = config.resolved_database_url
    tell = on_progress or (lambda step, done, total: None)
    parts = store_partitions(store) or [0]

    def progress(step: str, done: int) -> None:
        tell(step, done, len(parts))
        if on_partition is not None and step != "encounters" and done > 0:
            on_partition(done - 1, len(parts))

    given = config.database_url is not None or (out_dir / "vessel_risk.db").is_file()
    engine = open_database(url, create=True) if given else None
    try:
        refs = references or load_references(config)
        scorer = scorer or choose_scorer(config.scorer, config.mlflow_tracking_uri)
        fleets = read_directory(config.agency_directory).fleets if config.agency_directory else ()
        out_dir.mkdir(parents=True, exist_ok=True)
        plan = plan_run(store, out_dir)
        cache = out_dir / CACHE
        state = out_dir / STATE
        known = json.loads(state.read_text()) if state.is_file() else {}
        resume = not plan.full and known.get("config") == _fingerprint(config) and cache.is_dir()
        touched = set(plan.touched["mmsi"].astype(str)) if resume else None
        why = None if resume else _why_everything(known, plan, config, cache)
        tally = RunTally()
        files = json.loads((store / "ingest_report.json").read_text())
        quarantine = _ParquetAppender(out_dir / "quarantine.parquet", empty_frame(QuarantineSchema))
        for rows in iter_store_quarantine(store):
            tally.quarantine(rows)
            quarantine.write(rows)
        with (
            tempfile.TemporaryDirectory(dir=out_dir, prefix=".work-") as tmp,
            Engine(config.scheduler, config.workers, close_later=True) as cluster,
        ):
            work = Path(tmp)
            # In this process the stages report as they start; on a cluster, when done.
            live = None if cluster.distributed else on_stage
            replay = on_stage if cluster.distributed else _noop
            shared, only = cluster.share(refs), cluster.share(touched)
            paths = tuple(str(p.resolve()) for p in (store, work, cache))
            # From here the tasks rewrite the cache: a run that stops half way leaves it
            # unusable, and says so to the next run (:func:`_why_everything`). A run that
            # fails before (a cluster that cannot start, say) leaves it as it was.
            _mark_stopped(store, out_dir)
            if not resume:
                shutil.rmtree(cache, ignore_errors=True)
            progress("first pass", 0)
            # on a cluster the largest partitions start first, as in a full run
            sizes = [partition_rows(store, p) for p in parts] if cluster.distributed else None
            first: list[IncrementalFirst] = cluster.map(
                incremental_first_task, parts, *paths, shared, only,
                validate=validate, on_stage=live, on_done=lambda d, t: progress("first pass", d),
                sizes=sizes,
            )  # fmt: skip
            cleaning: Counter[str] = Counter()
            for p1 in first:
                for stage in p1.stages:
                    replay(stage)
                meta = p1.meta
                tally.positions_read += meta["positions_read"]
                tally.static_reports += meta["static_reports"]
                tally.undated_static += meta["undated_static"]
                tally.positions_kept += p1.positions_kept
                tally.vessels += p1.vessels
                tally.several_tracks += meta["several_tracks"]
                tally.tracks += meta["tracks"]
                for batch in meta["cleaning"]:
                    cleaning.update(batch[1])
                tally.quarantine(p1.quarantine)
                quarantine.write(p1.quarantine)
                p1.quarantine = p1.quarantine.iloc[:0]  # written; not shipped again
            tally.cleaning.update(cleaning)
            quarantine.close()

            on_stage("encounters")
            clock = time.perf_counter()
            area = concat(p.areas for p in first)
            area = area.groupby("cell_day", sort=True)["n"].sum().reset_index()
            tiles = plan_tiles(work)
            tell("encounters", 0, len(tiles))
            samples = cluster.map(
                encounter_tile_task,
                tiles,
                on_done=lambda done, total: tell("encounters", done, total),
            )
            found = encounters_from_samples(
                concat(samples) if samples else pd.DataFrame(), carriers=refs.carriers
            )
            across = {"encounters": time.perf_counter() - clock}
            on_stage("vessels")
            clock = time.perf_counter()
            vessels = identify_vessels(
                concat(p.identity for p in first),
                found,
                concat(p.activity for p in first),
                vessel_lists=refs.vessel_lists,
                carriers=refs.carriers,
            )
            across["vessels"] = time.perf_counter() - clock
            encounters = vessels.encounters
            affected = (
                _affected(cache, touched, area, vessels, parts) if touched is not None else None
            )
            save_frames(
                cache / "across",
                {
                    "area": area,
                    "encounters": encounters,
                    "vessels": vessels.vessels,
                    "events": vessels.events,
                    "links": vessels.links,
                    "hull": vessels.one_hull,
                },
            )
            share_map = min(1.0, MAP_POSITIONS / max(tally.positions_kept, 1))
            # The fishing classifier compiled (and cached) here first, as in run(): the
            # workers load it rather than each compiling it on a machine's first run.
            if refs.fishing_model is not None:
                refs.fishing_model.compile()
            progress("second pass", 0)
            second: list[SecondPassResult] = cluster.map(
                incremental_second_task, first, *paths, shared,
                cluster.share((area, encounters, vessels)), cluster.share(affected),
                map_share=share_map, validate=validate, on_stage=live,
                on_done=lambda d, t: progress("second pass", d),
                sizes=[p1.meta["positions_read"] for p1 in first],
            )  # fmt: skip
            for done in second:
                for stage in done.stages:
                    replay(stage)
            peak: dict[str, float] = {}
            seconds, cpu = dict(across), dict[str, float]()
            tasks: list[IncrementalFirst | SecondPassResult] = [*first, *second]
            for task in tasks:  # worker-seconds and CPU seconds per stage, as a full run
                for stage, took in task.seconds.items():
                    seconds[stage] = seconds.get(stage, 0.0) + took
                for stage, took in task.cpu_seconds.items():
                    cpu[stage] = cpu.get(stage, 0.0) + took
                if cluster.distributed:
                    peak[task.worker] = max(peak.get(task.worker, 0.0), task.peak_mib)
            heap_returns_large_blocks()  # the driver's end: freed arrays go back (memory.py)
            write_geoparquet_files(  # GeoParquet 1.1 (geo.geoparquet)
                [positions_file(work, n, final=True) for n in parts],
                out_dir / "positions.parquet",
                empty_frame(PositionSchema),
            )
            events = stack_events(
                [p.events for p in second],
                encounters,
                [gaps_file(work, p.partition) for p in second],
            )
        shown = [p.shown for p in second]
        alerts, version, counts, run_id, auto, engine = score_and_record(
            config,
            events,
            vessels,
            tally,
            files,
            refs,
            scorer,
            fleets,
            engine,
            on_stage,
            extra_counts={
                "incremental": {
                    "appends_taken_in": plan.appends - plan.since,
                    "vessels_touched": None if touched is None else len(touched),
                    "vessels_recomputed": None if affected is None else len(affected),
                    "everything_computed_because": why,
                }
            },
        )
        mark_processed(store, out_dir, config=_fingerprint(config))
    finally:
        if engine is not None:
            engine.dispose()
    report = write_report(
        out_dir / "report.html",
        counts=counts,
        alerts=alerts,
        model_version=version,
        positions=concat(shown) if shown else pd.DataFrame(columns=["lat", "lon"]),
    )
    cluster.wait_closed()  # stopped on a thread while the driver scored and recorded
    return RunSummary(
        out_dir,
        report,
        len(alerts),
        run_id,
        url,
        counts,
        auto_referred=len(auto),
        partitions=len(parts),
        stage_seconds=seconds,
        stage_cpu_seconds=cpu,
        peak_memory_mib={**peak, "driver": peak_memory_mib()},
    )
