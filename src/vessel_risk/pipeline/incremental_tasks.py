"""The partition tasks of an incremental store run, mapped like a full run's.

:func:`incremental_first_task` and :func:`incremental_second_task` are the two passes
of :func:`vessel_risk.pipeline.incremental.run_store` over one partition: the same
stages (:func:`~vessel_risk.pipeline.stages.first_pass`,
:func:`~vessel_risk.pipeline.stages.second_pass`) on the MMSIs new data touched, the
other MMSIs' frames reused from the output folder's cache
(:data:`~vessel_risk.pipeline.incremental.CACHE`). They are module-level functions of
picklable arguments, so :class:`~vessel_risk.pipeline.engine.Engine` maps them in this
process, on a local cluster or on a scheduler alike; the position store, the cache and
the run's work folder must then be reachable at the same path by every worker (one
machine, or a shared file system), as for a full run (:mod:`vessel_risk.pipeline.tasks`).

Retried tasks are harmless: a partition's cache files are written whole and renamed
(:func:`~vessel_risk.pipeline.partition_cache.save_frames`), and a retried first pass
recomputes its touched MMSIs from the store and splices them over the same cached rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from vessel_risk.events.encounters import resample_tracks
from vessel_risk.events.gaps import area_message_counts
from vessel_risk.identity.identify import VesselTables, position_activity
from vessel_risk.ingest import read_partition
from vessel_risk.pipeline.partition_cache import (
    PASS1,
    PASS2,
    CleaningBatches,
    is_in,
    load_frames,
    save_frames,
    save_text,
    splice,
)
from vessel_risk.pipeline.stages import (
    Events,
    OnStage,
    PartitionWork,
    References,
    first_pass,
    second_pass,
)
from vessel_risk.pipeline.tasks import (
    SecondPassResult,
    StageClock,
    _worker,
    finish_second_pass,
    peak_memory_mib,
)
from vessel_risk.pipeline.tiles import string_mmsi, write_grid


def _first(
    store: Path,
    n: int,
    refs: References,
    cache: Path,
    touched: set[str] | None,
    *,
    validate: bool,
    on_stage: OnStage,
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Pass 1 of partition ``n``: the touched MMSIs recomputed (all with ``touched``
    None), the others' frames reused from ``cache``; returns its frames and counts."""
    folder = cache / f"part={n:05d}"
    positions, static = read_partition(store, n)
    raw = {
        "positions_read": len(positions),
        "static_reports": len(static),
        "undated_static": int(static["timestamp"].isna().sum()),
    }
    meta = json.loads((folder / "meta.json").read_text()) if touched is not None else {}
    cleaning = CleaningBatches([(list(b[0]), dict(b[1])) for b in meta.get("cleaning", [])])
    if touched is not None:
        here = touched & set(positions["mmsi"].astype(str)) | touched & set(
            static["mmsi"].astype(str)
        )
        if not here:
            return load_frames(folder, PASS1), {**meta, **raw}
        positions = positions[is_in(positions, here)]
        static = static[is_in(static, here)]
    part = first_pass(PartitionWork(positions, static), refs, validate=validate, on_stage=on_stage)
    grid = resample_tracks(part.positions)
    grid["mmsi"] = string_mmsi(grid["mmsi"])
    assert part.transmitters is not None
    new = {
        "positions": part.positions,
        "transmitters": part.transmitters,
        "identity": part.identity,
        "quarantine": part.quarantine,
        "grid": grid,
    }
    mmsis = set(positions["mmsi"].astype(str)) | set(static["mmsi"].astype(str))
    if touched is not None:
        old = load_frames(folder, PASS1)
        new = {k: splice(old[k], new[k], mmsis) for k in PASS1}
    cleaning.replace(mmsis, dict(part.cleaning))
    tracks = new["positions"].groupby("mmsi", sort=False)["track_id"].nunique()
    meta = {
        "cleaning": [list(b) for b in cleaning.batches],
        "several_tracks": int(tracks.gt(1).sum()),
        "tracks": int(tracks.sum()),
    }
    save_frames(folder, new)
    save_text(folder / "meta.json", json.dumps(meta))
    return new, {**meta, **raw}


def _second(
    store: Path,
    n: int,
    p1: dict[str, pd.DataFrame],
    refs: References,
    cache: Path,
    affected: set[str] | None,
    cross: tuple[pd.DataFrame, pd.DataFrame, VesselTables],
    *,
    validate: bool,
    on_stage: OnStage,
) -> dict[str, pd.DataFrame]:
    """Pass 2 of partition ``n`` for the ``affected`` MMSIs (all with None); the others'
    events reused from ``cache``."""
    folder = cache / f"part={n:05d}"
    area, encounters, vessels = cross
    pos, static = p1["positions"], read_partition(store, n)[1]
    static = static[static["timestamp"].notna()]
    identity, transmitters = p1["identity"], p1["transmitters"]
    if affected is not None:
        here = affected & set(pos["mmsi"].astype(str))
        if not here:
            return load_frames(folder, PASS2)
        pos, static = pos[is_in(pos, here)], static[is_in(static, here)]
        identity, transmitters = (
            identity[is_in(identity, here)],
            transmitters[is_in(transmitters, here)],
        )
    part = PartitionWork(
        pos.reset_index(drop=True),
        static,
        area_messages=area,
        encounters=encounters[encounters["mmsi"].isin(pos["mmsi"].unique())],
        transmitters=transmitters,
        identity=identity,
        vessels=vessels,
    )
    second_pass(part, refs, validate=validate, on_stage=on_stage)
    new = {
        "visits": part.visits,
        "voyages": part.voyages,
        "gaps": part.gaps,
        "loitering": part.loitering,
        "features": part.features,
        "fishing": part.positions,
    }
    if affected is not None:
        old = load_frames(folder, PASS2)
        new = {k: splice(old[k], new[k], here) for k in PASS2}
    save_frames(folder, new)
    return new


@dataclass
class IncrementalFirst:
    """What the driver keeps of one partition's incremental first pass.

    Attributes
    ----------
    partition : int
    meta : dict
        ``positions_read``, ``static_reports``, ``undated_static`` (this run's reads of
        the partition), ``cleaning`` (counts per batch of MMSIs), ``several_tracks``
        and ``tracks``.
    positions_kept, vessels : int
        Cleaned positions and MMSIs of the partition.
    quarantine, transmitters, identity : DataFrame
        The partition's, recomputed MMSIs spliced over the cached ones.
    areas, activity : DataFrame
        Messages per cell-day (:func:`~vessel_risk.events.gaps.area_message_counts`)
        and each MMSI's first and last time (:func:`position_activity`).
    mmsis : DataFrame
        ``mmsi`` of each vessel with positions in the partition.
    """

    partition: int
    meta: dict[str, Any]
    positions_kept: int
    vessels: int
    quarantine: pd.DataFrame
    transmitters: pd.DataFrame
    identity: pd.DataFrame
    areas: pd.DataFrame
    activity: pd.DataFrame
    mmsis: pd.DataFrame
    stages: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    peak_mib: float = 0.0
    worker: str = ""


def incremental_first_task(
    partition: int,
    store: str,
    work: str,
    cache: str,
    refs: References,
    touched: set[str] | None,
    *,
    validate: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> IncrementalFirst:
    """Pass 1 of one partition in an incremental run.

    Parameters
    ----------
    partition : int
        One of :func:`~vessel_risk.ingest.store_partitions`.
    store, work, cache : str
        The position store, the run's work folder and the output folder's cache
        (paths every worker reaches).
    refs : References
    touched : set of str, optional
        The MMSIs new appends touched: only they are recomputed (None: every MMSI).
    validate : bool, default False
    on_stage : callable, optional
        Called with each stage's name as it starts (in this process only).

    Returns
    -------
    IncrementalFirst
        The partition's frames are kept in ``cache`` for pass 2 and the next run; its
        encounter grid goes to ``work/grid/`` (:func:`~vessel_risk.pipeline.tiles.write_grid`).
    """
    clock = StageClock(on_stage)
    p1, meta = _first(
        Path(store), partition, refs, Path(cache), touched, validate=validate, on_stage=clock
    )
    write_grid(p1["grid"], work, partition)
    positions = p1["positions"]
    clock.stop()
    return IncrementalFirst(
        partition,
        meta,
        len(positions),
        int(positions["mmsi"].nunique()),
        p1["quarantine"],
        p1["transmitters"],
        p1["identity"],
        area_message_counts(positions),
        position_activity(positions),
        pd.DataFrame({"mmsi": positions["mmsi"].unique()}),
        clock.names,
        clock.seconds,
        clock.cpu_seconds,
        peak_memory_mib(),
        _worker(),
    )


def incremental_second_task(
    first: IncrementalFirst,
    store: str,
    work: str,
    cache: str,
    refs: References,
    cross: tuple[pd.DataFrame, pd.DataFrame, VesselTables],
    affected: set[str] | None,
    *,
    map_share: float = 1.0,
    validate: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> SecondPassResult:
    """Pass 2 of one partition in an incremental run.

    Parameters
    ----------
    first : IncrementalFirst
        The partition's first pass.
    store, work, cache : str
        As for :func:`incremental_first_task`.
    refs : References
    cross : tuple of (DataFrame, DataFrame, VesselTables)
        The whole run's messages per cell-day, encounters and vessel identities.
    affected : set of str, optional
        The MMSIs whose pass-2 inputs changed (None: every MMSI).
    map_share : float, default 1
        Share of located positions drawn for the report's map (seeded by partition).
    validate : bool, default False
    on_stage : callable, optional

    Returns
    -------
    SecondPassResult
        The output positions (:class:`~vessel_risk.events.schemas.PositionSchema`) go
        to ``positions_file(work, partition, final=True)`` and the gaps to
        :func:`~vessel_risk.pipeline.tasks.gaps_file`, as in a full run.
    """
    n = first.partition
    clock = StageClock(on_stage)
    p1 = {
        "positions": pd.read_parquet(Path(cache) / f"part={n:05d}" / "positions.parquet"),
        "identity": first.identity,
        "transmitters": first.transmitters,
    }
    p2 = _second(
        Path(store), n, p1, refs, Path(cache), affected, cross, validate=validate, on_stage=clock
    )
    encounters = cross[1]
    mine = encounters[encounters["mmsi"].isin(first.mmsis["mmsi"])]
    events = Events(
        p2["visits"],
        p2["voyages"],
        p2["gaps"],
        p2["loitering"],
        mine,
        p2["features"],
        first.identity,
    )
    pos = p2["fishing"]
    return finish_second_pass(work, n, events, pos, clock, map_share=map_share, read=len(pos))
