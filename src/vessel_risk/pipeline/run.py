"""The main job: AIS files or a position store in; outputs, alerts and a report out.

:func:`run` takes one :class:`~vessel_risk.pipeline.config.RunConfig`, reads the
reference data once (:func:`load_references`), runs the chain of stages
(:mod:`vessel_risk.pipeline.stages`) one partition of vessels at a time, and writes the
outputs, the database rows and the report. :func:`vessel_risk.pipeline.process` runs
the same stages on AIS already in memory.

How :func:`run` handles input larger than memory
-------------------------------------------------
Input goes through a position store partitioned by vessel
(:func:`vessel_risk.ingest.write_store`: a stable hash of the MMSI, one partition per
32 MiB of input by default): ``--ais`` files are ingested chunk by chunk into a
temporary position store in the output folder, or a position store from
``vessel-risk ingest`` is read as it is. Every per-vessel stage then runs one partition
at a time, so memory is bounded by the largest partition (a set of whole vessels) and
by compact cross-vessel tables, not by the input:

1. Per partition (:func:`~vessel_risk.pipeline.stages.first_pass`): cleaning into
   transmitter tracks, transmitters, identity history and distances (the enriched
   positions). These go to a work file; compact things are kept for the cross-vessel
   stages: the identity history and first and last time of each MMSI, the partition's message
   counts per UTC day and 1° cell (:func:`vessel_risk.events.gaps.area_message_counts`,
   summed over partitions), and its vessels' 10-minute encounter grid
   (:func:`vessel_risk.events.encounters.resample_tracks`, which depends on one vessel
   alone), written to work files by space-time tile
   (:func:`vessel_risk.pipeline.tiles.write_grid`).
2. Encounters, the stage that pairs vessels: close pairs only ever join grid points
   of the same 10-minute slot within 500 m, so the grid is read one space-time tile at a
   time (:data:`ENCOUNTER_WINDOW_SLOTS` slots by a latitude band of
   :data:`~vessel_risk.pipeline.tiles.ENCOUNTER_TILE_DEG`, points near a band's edge
   in both bands), over all partitions, and reduced to the close-pair samples it owns;
   runs of consecutive slots are then found on the samples of all tiles
   (:func:`vessel_risk.events.encounters.encounters_from_samples`), so an encounter
   across a tile boundary is whole. Then vessels: the whole run's identity
   history links MMSIs into vessel identities, sets aside encounters between two
   transmitters of one hull and infers flags (:mod:`vessel_risk.identity.identify`).
3. Per partition again (:func:`~vessel_risk.pipeline.stages.second_pass`): fishing,
   port visits, voyages, gaps (classed with the reception counts of all vessels),
   loitering and vessel-year features (with the partition's side of the encounters);
   positions are appended to ``positions.parquet``.
4. Scoring, alerts and the remaining outputs on the stacked events and features, which
   grow with vessels and years, not with messages.

Outputs equal those of one partition: events are stacked and ordered by MMSI as the
whole-file run orders them. ``positions.parquet`` and ``quarantine.parquet`` are
written partition by partition, so their rows are grouped by partition (each vessel's
positions together, in time order).

Where partitions run
--------------------
Steps 1 and 3, and the encounter search of step 2 (one task per space-time tile), are
mapped by :class:`~vessel_risk.pipeline.engine.Engine` (``config.scheduler``): a loop in
this process, a local Dask cluster, or a Dask scheduler. The tasks
(:mod:`vessel_risk.pipeline.tasks`) are the same functions in every mode; they read the
position store and write to the work folder in ``out_dir``, so both must be reachable
at the same path by every worker. Results are taken in partition order, so outputs are
the same in every mode (and, to the bit, for any number of partitions).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vessel_risk.db.engine import open_database
from vessel_risk.events.encounters import encounters_from_samples
from vessel_risk.events.fishing import load_fishing_model
from vessel_risk.events.schemas import (
    EncounterSchema,
    PositionSchema,
)
from vessel_risk.frames import empty_frame
from vessel_risk.geo.geoparquet import write_geoparquet_files
from vessel_risk.geo.ports import default_ports, read_ports, read_psma_parties
from vessel_risk.geo.shore import ShoreDistance
from vessel_risk.geo.zones import read_eez
from vessel_risk.identity.identify import VesselTables, identify_vessels
from vessel_risk.identity.lists import load_iuu_list, load_vessel_list, read_carriers
from vessel_risk.identity.reference import TABLES, load_table
from vessel_risk.ingest import iter_store_quarantine, partition_rows, store_partitions, write_store
from vessel_risk.ingest.schemas import QuarantineSchema
from vessel_risk.pipeline.config import RunConfig
from vessel_risk.pipeline.counts import RunTally
from vessel_risk.pipeline.engine import Engine
from vessel_risk.pipeline.memory import (
    arrow_pool_returning_memory,
    heap_keeps_large_blocks,
    heap_returns_large_blocks,
)
from vessel_risk.pipeline.outputs import score_and_record, stack_events_on_files
from vessel_risk.pipeline.scoring import Scorer, choose_scorer
from vessel_risk.pipeline.stages import OnStage, References, _noop, check_frame, concat
from vessel_risk.pipeline.tasks import (
    FirstPassResult,
    SecondPassResult,
    first_pass_task,
    gaps_file,
    peak_memory_mib,
    positions_file,
    second_pass_task,
)
from vessel_risk.pipeline.tiles import ENCOUNTER_WINDOW_SLOTS, encounter_tile_task, plan_tiles
from vessel_risk.referral.directory import read_directory

T = TypeVar("T")

__all__ = ["ENCOUNTER_WINDOW_SLOTS", "OnProgress", "RunSummary", "load_references", "run"]

OnProgress = Callable[[str, int, int], None]
"""``f(step, done, total)``: ``step`` is ``"first pass"``, ``"encounters"`` (space-time
tiles) or ``"second pass"``; called with ``done=0`` as a step starts and after each
of its tasks finishes."""


@dataclass
class RunSummary:
    """Where :func:`run` wrote its outputs and what they hold."""

    out_dir: Path
    report: Path
    alerts: int
    run_id: int
    database_url: str
    counts: dict[str, Any]
    auto_referred: int = 0
    partitions: int = 1
    stage_seconds: dict[str, float] = field(default_factory=dict)
    """Wall seconds of each stage, summed over partitions and workers (worker-seconds);
    ``encounters`` and ``vessels`` are the driver's wall time of those steps."""
    stage_cpu_seconds: dict[str, float] = field(default_factory=dict)
    """CPU seconds of each per-partition stage, summed over partitions and workers."""
    peak_memory_mib: dict[str, float] = field(default_factory=dict)
    """Peak resident memory of each process that ran tasks (``host:pid``), and of the
    driver (``"driver"``), MiB."""


class _ParquetAppender:
    """One Parquet file written a frame at a time; later frames take the first's types."""

    def __init__(self, path: Path, empty: pd.DataFrame) -> None:
        self.path, self.empty = path, empty
        self.writer: pq.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table.cast(self.writer.schema))

    def append_file(self, path: Path) -> None:
        """Append the rows of a Parquet file, one row group at a time."""
        source = pq.ParquetFile(path)
        for group in range(source.num_row_groups):
            table = source.read_row_group(group)
            if self.writer is None:
                self.writer = pq.ParquetWriter(self.path, table.schema)
            self.writer.write_table(table.cast(self.writer.schema))

    def close(self) -> None:
        if self.writer is None:
            self.empty.to_parquet(self.path, index=False)
        else:
            self.writer.close()


def _reference(what: str, path: Path, reader: Callable[[Any], T]) -> T:
    """``reader(path)``; an unreadable file is a ValueError that names it."""
    try:
        return reader(path)
    except (ValueError, OSError) as exc:
        if str(path) in str(exc):
            raise
        raise ValueError(f"The {what} file {str(path)!r} could not be read: {exc}") from exc


def load_references(config: RunConfig) -> References:
    """Read the run's reference data once: ports, lists, zones, shore grid, fishing model.

    Parameters
    ----------
    config : RunConfig

    Returns
    -------
    References

    Raises
    ------
    ValueError
        If a reference file or the fishing model cannot be read (the message names it).
    """
    # The identity tables (a refreshed copy may be broken) are read before any AIS is.
    for table in TABLES:
        load_table(table)
    ports = (
        _reference("port list", config.ports_path, read_ports)
        if config.ports_path
        else default_ports()
    )
    fishing_model = (
        load_fishing_model(config.fishing_model_dir) if config.fishing_model_dir else None
    )
    if fishing_model is not None:
        fishing_model.compile(background=True)  # while the input is read (events.forest)
    return References(
        shore=ShoreDistance(),
        ports=ports,
        iuu_keys=_reference("IUU list", config.iuu_list_path, load_iuu_list)
        if config.iuu_list_path
        else None,
        carriers=_reference("carrier list", config.carriers_path, read_carriers)
        if config.carriers_path
        else frozenset(),
        psma_parties=_reference("PSMA parties", config.psma_parties_path, read_psma_parties)
        if config.psma_parties_path
        else None,
        eez=_reference("EEZ", config.eez_path, read_eez) if config.eez_path else None,
        fishing_model=fishing_model,
        vessel_lists=_vessel_lists(config),
        on_land_margin_km=config.on_land_margin_km,
    )


def _vessel_lists(config: RunConfig) -> pd.DataFrame | None:
    """Flags listed by the run's IUU and carrier lists, for flag inference; a carrier
    list without flags (MMSIs only) adds nothing."""
    lists = []
    if config.iuu_list_path:
        lists.append(_reference("IUU list", config.iuu_list_path, load_vessel_list))
    if config.carriers_path:
        try:
            lists.append(load_vessel_list(config.carriers_path))
        except ValueError:
            pass  # an MMSI list: read_carriers has what it holds
    return pd.concat(lists, ignore_index=True) if lists else None


def run(
    config: RunConfig,
    *,
    references: References | None = None,
    scorer: Scorer | None = None,
    on_stage: OnStage = _noop,
    on_partition: Callable[[int, int], None] | None = None,
    on_progress: OnProgress | None = None,
) -> RunSummary:
    """Read AIS files or a position store, run every stage per partition, write every output.

    Writes ``positions.parquet``, ``port_visits.parquet``, ``voyages.parquet``,
    ``gaps.parquet``, ``loitering.parquet``, ``encounters.parquet``,
    ``vessel_features.parquet``, ``quarantine.parquet``, ``alerts.csv``,
    ``alerts.geojson``, ``ingest_report.json`` and ``report.html`` to
    ``config.out_dir``, and stores the alerts in the database
    (:attr:`RunConfig.resolved_database_url`). The stages run one partition of vessels
    at a time (module docstring), so memory does not grow with the input; where the
    partitions run is ``config.scheduler`` (:class:`~vessel_risk.pipeline.engine.Engine`).

    Parameters
    ----------
    config : RunConfig
        The whole run's configuration, checked when it was built.
    references : References, optional
        Reference data already read by :func:`load_references` (an entrypoint that
        shows what it loaded); default: read here.
    scorer : Scorer, optional
        What scores the alerts, from :func:`~vessel_risk.pipeline.scoring.choose_scorer`
        (an entrypoint that shows its note); default: chosen here from ``config``.
    on_stage : callable, optional
        Progress callback, called with each name of
        :data:`~vessel_risk.pipeline.stages.STAGES` as it starts; on a cluster a
        partition's stages are reported when its task finishes.
    on_partition : callable, optional
        ``f(index, count)`` called in each pass over the partitions as the
        ``index + 1``-th partition task finishes (kept for earlier callers; prefer
        ``on_progress``).
    on_progress : callable, optional
        ``f(step, done, total)`` of :data:`OnProgress`: tasks finished per step.

    Returns
    -------
    RunSummary

    Raises
    ------
    ValueError
        If an input file is not readable AIS or a reference file cannot be read, or if
        the database cannot be opened (a database given, or left in ``out_dir`` by an
        earlier run, is opened before any AIS is read).
    """
    from vessel_risk.pipeline.report import write_report

    heap_keeps_large_blocks()  # an earlier run in this process set the small threshold
    arrow_pool_returning_memory()
    store = config.position_store
    if store is not None and (store / "store.json").is_file():
        # A store that takes appended days runs incrementally, its partitions mapped by
        # the same Engine (config.scheduler) as below.
        from vessel_risk.pipeline.incremental import run_store

        return run_store(
            config,
            references=references,
            scorer=scorer,
            on_stage=on_stage,
            on_partition=on_partition,
            on_progress=on_progress,
        )
    out_dir = config.out_dir
    url = config.resolved_database_url
    # A database given, or one an earlier run left in out_dir, is checked before any
    # work (a typo there should not cost a whole ingest, and leaves no output folder);
    # a new one is made only when there are alerts to put in it.
    given = config.database_url is not None or (out_dir / "vessel_risk.db").is_file()
    engine = open_database(url, create=True) if given else None
    try:
        refs = references or load_references(config)
        scorer = scorer or choose_scorer(config.scorer, config.mlflow_tracking_uri)
        fleets = read_directory(config.agency_directory).fleets if config.agency_directory else ()
        out_dir.mkdir(parents=True, exist_ok=True)
        tally = RunTally()
        store = config.position_store
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".work-") as tmp:
            work = Path(tmp)
            # A local cluster starts while the input is read; it stops on a thread while
            # the driver scores and records.
            cluster = Engine(
                config.scheduler, config.workers, close_later=True, start_in_background=True
            )
            with cluster:
                if store is None:
                    on_stage("ingest")
                    store = work / "store"
                    write_store(
                        list(config.ais_paths),
                        store,
                        partitions=config.partitions,
                        limits=config.ingest_limits,
                    )
                parts = store_partitions(store) or [0]  # no vessel: one empty partition
                files = json.loads((store / "ingest_report.json").read_text())
                quarantine = _ParquetAppender(
                    out_dir / "quarantine.parquet", empty_frame(QuarantineSchema)
                )
                for rows in iter_store_quarantine(store):
                    tally.quarantine(rows)
                    quarantine.write(rows)
                passes = _map_partitions(
                    cluster,
                    config,
                    refs,
                    store,
                    work,
                    parts,
                    tally,
                    quarantine,
                    on_stage=on_stage,
                    on_progress=_with_partitions(on_progress or _no_progress, on_partition),
                )
            quarantine.close()
            heap_returns_large_blocks()  # the driver's end: freed arrays go back (memory.py)
            # positions.parquet (GeoParquet 1.1, geo.geoparquet) is copied on a thread
            # while the driver scores and records: Arrow's reading, encoding and
            # compression run outside the GIL.
            copying = ThreadPoolExecutor(1, thread_name_prefix="vessel-risk-positions")
            positions_written = copying.submit(
                write_geoparquet_files,
                [positions_file(work, n, final=True) for n in parts],
                out_dir / "positions.parquet",
                empty_frame(PositionSchema),
            )
            copying.shutdown(wait=False)
            try:
                shown = [p.shown for p in passes.second]
                encounters, vessels = passes.encounters, passes.vessels
                # The gaps stay in the work files (the one table that grows with messages):
                # counted, written and read as evidence a window at a time, in here.
                events, gaps = stack_events_on_files(
                    [p.events for p in passes.second],
                    encounters,
                    [gaps_file(work, p.partition) for p in passes.second],
                )
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
                    gaps=gaps,
                )
            finally:
                wait([positions_written])  # the work folder must outlive the copy
            positions_written.result()
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
    cluster.wait_closed()
    return RunSummary(
        out_dir,
        report,
        len(alerts),
        run_id,
        url,
        counts,
        auto_referred=len(auto),
        partitions=len(parts),
        stage_seconds=passes.stage_seconds,
        stage_cpu_seconds=passes.cpu_seconds,
        peak_memory_mib={**passes.peak_mib, "driver": peak_memory_mib()},
    )


def _no_progress(step: str, done: int, total: int) -> None:
    del step, done, total


def _with_partitions(
    on_progress: OnProgress, on_partition: Callable[[int, int], None] | None
) -> OnProgress:
    """``on_progress`` that also calls ``on_partition(done - 1, total)`` in the passes."""
    if on_partition is None:
        return on_progress

    def both(step: str, done: int, total: int) -> None:
        on_progress(step, done, total)
        if step != "encounters" and done > 0:
            on_partition(done - 1, total)

    return both


@dataclass
class _Passes:
    """What the partition passes and the across-partition stages hand to scoring."""

    second: list[SecondPassResult]
    encounters: pd.DataFrame
    vessels: VesselTables
    stage_seconds: dict[str, float]
    cpu_seconds: dict[str, float]
    peak_mib: dict[str, float]


def _add_tally(total: RunTally, part: RunTally) -> None:
    """Add one partition's counts to the run's (numbers add, counters merge)."""
    for f in fields(RunTally):
        mine, theirs = getattr(total, f.name), getattr(part, f.name)
        if isinstance(mine, int):
            setattr(total, f.name, mine + theirs)
        else:
            mine.update(theirs)


def _map_partitions(
    cluster: Engine,
    config: RunConfig,
    refs: References,
    store: Path,
    work: Path,
    parts: list[int],
    tally: RunTally,
    quarantine: _ParquetAppender,
    *,
    on_stage: OnStage,
    on_progress: OnProgress,
) -> _Passes:
    """Steps 1 to 3 of the module docstring: the two passes over the partitions, mapped by
    ``cluster``, and the across-partition stages between them.

    Results are taken in partition order whatever order the tasks finish in, so every
    sum over partitions adds in one order in every mode.
    """
    from vessel_risk.pipeline.report import MAP_POSITIONS

    validate = config.validate_frames
    # In this process the stages report as they start; on a cluster, when a task is done.
    live = None if cluster.distributed else on_stage
    replay = on_stage if cluster.distributed else _noop
    shared = cluster.share(refs)

    def progress(step: str) -> Callable[[int, int], None]:
        on_progress(step, 0, len(parts))
        return lambda done, total: on_progress(step, done, total)

    # Pass 1: per-vessel cleaning; compact inputs of the cross-vessel stages.
    # On a cluster the largest partitions start first (both passes), so the workers
    # reach each pass's end close together; results still come in partition order.
    rows = [partition_rows(store, p) for p in parts] if cluster.distributed else None
    first: list[FirstPassResult] = cluster.map(
        first_pass_task, parts, str(store), str(work), shared,
        validate=validate, on_stage=live, on_done=progress("first pass"), sizes=rows,
    )  # fmt: skip
    for result in first:
        for stage in result.stages:
            replay(stage)
        _add_tally(tally, result.tally)
        quarantine.write(result.quarantine)
        result.quarantine = result.quarantine.iloc[:0]  # written; not shipped again

    # Across partitions: reception per cell-day, and encounters one space-time tile at a time.
    on_stage("encounters")
    clock = time.perf_counter()
    area = pd.concat([r.areas for r in first], ignore_index=True)
    area = area.groupby("cell_day", sort=True)["n"].sum().reset_index()
    tiles = plan_tiles(work)
    on_progress("encounters", 0, len(tiles))
    samples = cluster.map(
        encounter_tile_task,
        tiles,
        on_done=lambda done, total: on_progress("encounters", done, total),
    )
    encounters = encounters_from_samples(
        concat(samples) if samples else pd.DataFrame(), carriers=refs.carriers
    )
    if validate:
        check_frame(encounters, EncounterSchema)
    seconds = {"encounters": time.perf_counter() - clock}
    # Across partitions too: which vessel each MMSI is (two MMSIs of one hull may sit
    # in different partitions). Done here, in the driver: it needs the whole run's
    # identity history at once.
    on_stage("vessels")
    clock = time.perf_counter()
    vessels = identify_vessels(
        concat(r.identity for r in first),
        encounters,
        concat(r.activity for r in first),
        vessel_lists=refs.vessel_lists,
        carriers=refs.carriers,
    )
    seconds["vessels"] = time.perf_counter() - clock
    for result in first:  # summed above; the second pass needs none of them
        result.areas, result.activity = result.areas.iloc[:0], result.activity.iloc[:0]

    # Pass 2: per-vessel events and features. The fishing classifier compiled (and
    # cached) here first, so the workers load it rather than each compiling it.
    if refs.fishing_model is not None:
        refs.fishing_model.compile()
    share = min(1.0, MAP_POSITIONS / max(tally.positions_kept, 1))
    second: list[SecondPassResult] = cluster.map(
        second_pass_task, first, str(store), str(work), shared,
        cluster.share(area), cluster.share(vessels.encounters), cluster.share(vessels),
        map_share=share, validate=validate, on_stage=live, on_done=progress("second pass"),
        sizes=[r.positions for r in first],
    )  # fmt: skip
    peak: dict[str, float] = {}
    cpu: dict[str, float] = {}
    timings: list[FirstPassResult | SecondPassResult] = [*first, *second]
    for timed in timings:
        for stage, took in timed.seconds.items():
            seconds[stage] = seconds.get(stage, 0.0) + took
        for stage, took in timed.cpu_seconds.items():
            cpu[stage] = cpu.get(stage, 0.0) + took
        if cluster.distributed:
            peak[timed.worker] = max(peak.get(timed.worker, 0.0), timed.peak_mib)
    for done in second:
        for stage in done.stages:
            replay(stage)
    return _Passes(second, vessels.encounters, vessels, seconds, cpu, peak)
