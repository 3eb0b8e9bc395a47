"""The tasks a run maps over partitions and space-time tiles, in this process or on Dask.

Each task is a module-level function of plain, picklable arguments (paths as strings,
frames, :class:`~vessel_risk.pipeline.stages.References`) that reads its input from the
position store or the run's work folder, runs the stages
(:func:`~vessel_risk.pipeline.stages.first_pass`,
:func:`~vessel_risk.pipeline.stages.second_pass`) and writes its bulky output (enriched
positions, the encounter grid) to the work folder; compact results go back to the
driver. The work folder and the store must be reachable at the same path by every
worker (one machine, or a shared file system).

Idempotent: every file is written whole under a temporary name and then renamed
(:func:`write_atomic`), so a task run twice (a retry after a lost worker) leaves the
same files, and one killed half-way leaves none.
"""

from __future__ import annotations

import os
import resource
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
from pyarrow import feather

from vessel_risk.events.encounters import resample_tracks
from vessel_risk.events.gaps import area_message_counts
from vessel_risk.events.schemas import PositionSchema
from vessel_risk.frames import columns
from vessel_risk.identity.identify import VesselTables, position_activity
from vessel_risk.ingest import read_partition
from vessel_risk.pipeline.counts import RunTally
from vessel_risk.pipeline.stages import Events, PartitionWork, References, first_pass, second_pass
from vessel_risk.pipeline.tiles import (
    ENCOUNTER_WINDOW_SLOTS,
    encounter_tile_task,
    string_mmsi,
    write_grid,
)

__all__ = [
    "ENCOUNTER_WINDOW_SLOTS",
    "FirstPassResult",
    "SecondPassResult",
    "StageClock",
    "encounter_tile_task",
    "finish_second_pass",
    "first_pass_task",
    "gaps_file",
    "peak_memory_mib",
    "positions_file",
    "read_work",
    "second_pass_task",
    "write_atomic",
]


def peak_memory_mib() -> float:
    """Peak resident memory of this process so far (MiB; ``ru_maxrss``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def write_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` under a temporary name, then rename it.

    Parquet, or for a ``.arrow`` path the Arrow IPC (Feather) format with LZ4: a work
    file read back once by the next pass, where Parquet's encoding cost more than the
    stages around it (read with :func:`read_work`). A reader never sees a half-written
    file, and a second write of the same frame (a retried task) replaces the first
    whole (``os.replace`` is atomic on one file system).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        if path.suffix == ".arrow":
            table = pa.Table.from_pandas(frame, preserve_index=False)
            feather.write_feather(table, tmp, compression="lz4")
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_work(path: Path) -> pd.DataFrame:
    """A frame written by :func:`write_atomic` (Parquet, or Arrow IPC for ``.arrow``)."""
    if path.suffix == ".arrow":
        return pd.read_feather(path)
    return pd.read_parquet(path)


class StageClock:
    """An ``on_stage`` callback that times each stage and passes its name on.

    Attributes
    ----------
    seconds : dict of str to float
        Wall seconds spent in each stage this clock saw.
    cpu_seconds : dict of str to float
        CPU seconds of this process in each stage (``time.process_time``): what a stage
        costs, whatever else the machine runs.
    names : list of str
        Stage names in the order they started.
    """

    def __init__(self, then: Callable[[str], None] | None = None) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self.names: list[str] = []
        self._then = then
        self._current: str | None = None
        self._start = self._cpu = 0.0

    def __call__(self, stage: str) -> None:
        self.stop()
        self._current, self._start, self._cpu = stage, time.perf_counter(), time.process_time()
        self.names.append(stage)
        if self._then is not None:
            self._then(stage)

    def stop(self) -> None:
        """End the stage running now (call after the last)."""
        if self._current is not None:
            elapsed = time.perf_counter() - self._start
            self.seconds[self._current] = self.seconds.get(self._current, 0.0) + elapsed
            cpu = time.process_time() - self._cpu
            self.cpu_seconds[self._current] = self.cpu_seconds.get(self._current, 0.0) + cpu
            self._current = None


@dataclass
class FirstPassResult:
    """What the driver keeps of one partition's first pass (the rest is in files)."""

    partition: int
    tally: RunTally
    quarantine: pd.DataFrame
    transmitters: pd.DataFrame
    identity: pd.DataFrame
    activity: pd.DataFrame
    areas: pd.DataFrame
    stages: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    positions: int = 0
    peak_mib: float = 0.0
    worker: str = ""
    cpu_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class SecondPassResult:
    """One partition's events, the positions it shows on the report's map, and timings."""

    partition: int
    events: Events
    shown: pd.DataFrame
    stages: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    positions: int = 0
    peak_mib: float = 0.0
    worker: str = ""
    cpu_seconds: dict[str, float] = field(default_factory=dict)


def _worker() -> str:
    return f"{os.uname().nodename}:{os.getpid()}"


def positions_file(work: str | Path, partition: int, *, final: bool = False) -> Path:
    """Where a partition's enriched positions (first pass) or output positions go."""
    # The enriched positions are a work file (Arrow IPC, read by the second pass); the
    # output positions are appended to positions.parquet row group by row group.
    name = f"out-{partition:05d}.parquet" if final else f"enriched-{partition:05d}.arrow"
    return Path(work) / "positions" / name


def gaps_file(work: str | Path, partition: int) -> Path:
    """Where a partition's AIS gaps (second pass) wait for the run to stack them: the one
    event table that grows with messages stays out of the driver's memory until then
    (:func:`vessel_risk.pipeline.outputs.stack_events`)."""
    return Path(work) / "gaps" / f"gaps-{partition:05d}.arrow"


def first_pass_task(
    partition: int,
    store: str,
    work: str,
    refs: References,
    *,
    validate: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> FirstPassResult:
    """Run the first pass on one partition of the position store.

    Parameters
    ----------
    partition : int
        One of :func:`~vessel_risk.ingest.store_partitions`.
    store, work : str
        The position store and the run's work folder (paths every worker reaches).
    refs : References
    validate : bool, default False
        Check each stage's output against its schema.
    on_stage : callable, optional
        Called with each stage's name as it starts (in this process only).

    Returns
    -------
    FirstPassResult
        The partition's counts, quarantined rows, transmitters, identity history, first
        and last time of each MMSI and messages per cell-day. The enriched positions go
        to :func:`positions_file` and the encounter grid to ``work/grid/window=W/``
        (:func:`~vessel_risk.pipeline.tiles.write_grid`).
    """
    positions, static = read_partition(store, partition)
    clock = StageClock(on_stage)
    part = first_pass(PartitionWork(positions, static), refs, validate=validate, on_stage=clock)
    tally = RunTally()
    tally.add(positions, static, part, part.positions)
    activity = position_activity(part.positions)
    areas = area_message_counts(part.positions)
    grid = resample_tracks(part.positions)
    grid["mmsi"] = string_mmsi(grid["mmsi"])
    write_grid(grid, work, partition)
    write_atomic(part.positions, positions_file(work, partition))
    clock.stop()
    assert part.transmitters is not None
    return FirstPassResult(
        partition,
        tally,
        part.quarantine,
        part.transmitters,
        part.identity,
        activity,
        areas,
        clock.names,
        clock.seconds,
        len(positions),
        peak_memory_mib(),
        _worker(),
        clock.cpu_seconds,
    )


def second_pass_task(
    first: FirstPassResult,
    store: str,
    work: str,
    refs: References,
    area: pd.DataFrame,
    encounters: pd.DataFrame,
    vessels: VesselTables,
    *,
    map_share: float = 1.0,
    validate: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> SecondPassResult:
    """Run the second pass on one partition after the across-partition stages.

    Parameters
    ----------
    first : FirstPassResult
        The partition's first pass (its partition, transmitters and identity history).
    store, work : str
        As for :func:`first_pass_task`, whose enriched positions are read back.
    refs : References
    area : DataFrame
        Messages per cell-day of the whole run.
    encounters : DataFrame
        The run's encounters; the partition takes its vessels' side.
    vessels : VesselTables
        The run's vessel identities.
    map_share : float, default 1
        Share of located positions drawn for the report's map (seeded by partition).
    validate : bool, default False
    on_stage : callable, optional

    Returns
    -------
    SecondPassResult
        The output positions (:class:`~vessel_risk.events.schemas.PositionSchema`) go
        to ``positions_file(work, partition, final=True)`` and the gaps to
        :func:`gaps_file` (the result's gaps are empty).
    """
    partition = first.partition
    pos = read_work(positions_file(work, partition))
    static = read_partition(store, partition, positions=False)[1]
    part = PartitionWork(
        pos,
        static[static["timestamp"].notna()],
        area_messages=area,
        encounters=encounters[encounters["mmsi"].isin(pos["mmsi"].unique())],
        transmitters=first.transmitters,
        identity=first.identity,
        vessels=vessels,
    )
    clock = StageClock(on_stage)
    second_pass(part, refs, validate=validate, on_stage=clock)
    return finish_second_pass(
        work, partition, part.events(), part.positions, clock, map_share=map_share, read=len(pos)
    )


def finish_second_pass(
    work: str | Path,
    partition: int,
    events: Events,
    positions: pd.DataFrame,
    clock: StageClock,
    *,
    map_share: float,
    read: int,
) -> SecondPassResult:
    """Write a partition's second-pass outputs to the work folder and sum it up.

    The end a full run's :func:`second_pass_task` and an incremental run's task share:
    the output positions go to ``positions_file(work, partition, final=True)``
    (validated against :class:`~vessel_risk.events.schemas.PositionSchema`), the gaps to
    :func:`gaps_file` (the result's gaps are emptied: the run stacks them from there), a
    seeded sample of the located positions is kept for the report's map, and ``clock``
    is stopped.

    Parameters
    ----------
    work : str or Path
    partition : int
    events : Events
        The partition's events.
    positions : DataFrame
        The partition's output positions.
    clock : StageClock
    map_share : float
        Share of located positions drawn for the map (seeded by partition).
    read : int
        Positions the partition read (the result's ``positions``).

    Returns
    -------
    SecondPassResult
    """
    out = PositionSchema.validate(positions[columns(PositionSchema)])
    write_atomic(out, positions_file(work, partition, final=True))
    located = positions.loc[positions["lat"].notna(), ["lat", "lon"]]
    shown = located if map_share >= 1 else located.sample(frac=map_share, random_state=partition)
    write_atomic(events.gaps, gaps_file(work, partition))
    events.gaps = events.gaps.iloc[:0]  # in gaps_file, read back when the run stacks them
    clock.stop()
    return SecondPassResult(
        partition,
        events,
        shown,
        clock.names,
        clock.seconds,
        read,
        peak_memory_mib(),
        _worker(),
        clock.cpu_seconds,
    )
