"""The end of every run: score the alert queue, write the outputs, record the run.

:func:`score_and_record` is shared by :func:`vessel_risk.pipeline.run.run` and the
incremental store run (:func:`vessel_risk.pipeline.incremental.run_store`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy.orm import Session

from vessel_risk.alerts.arrival_store import record_arrivals
from vessel_risk.alerts.build import Alert
from vessel_risk.alerts.coastal import record_coastal_states
from vessel_risk.alerts.evidence import evidence_events
from vessel_risk.alerts.export import (
    write_alerts_csv,
    write_alerts_geojson,
    write_alerts_geoparquet,
)
from vessel_risk.alerts.persistence import record_run
from vessel_risk.db.engine import open_database
from vessel_risk.events.arrival_runs import predict_arrivals, vessel_states
from vessel_risk.events.schemas import (
    EncounterSchema,
    GapSchema,
    LoiteringSchema,
    PortVisitSchema,
    VoyageSchema,
)
from vessel_risk.frames import columns
from vessel_risk.geo.geoparquet import Bounds, GeoParquetWriter, write_geoparquet
from vessel_risk.geo.ports import PortIndex
from vessel_risk.identity.identify import VesselTables
from vessel_risk.identity.schemas import VesselLinkSchema
from vessel_risk.pipeline.config import RunConfig
from vessel_risk.pipeline.counts import RunTally, run_counts
from vessel_risk.pipeline.gap_files import GapFiles
from vessel_risk.pipeline.memory import return_free_memory
from vessel_risk.pipeline.scoring import Scorer, alert_queue, score_alerts
from vessel_risk.pipeline.stages import Events, References, concat
from vessel_risk.pipeline.tasks import read_work
from vessel_risk.referral.notices import auto_refer
from vessel_risk.referral.subscription_notify import notify_alerts, notify_arrivals


def stack_events(
    parts: list[Events], encounters: pd.DataFrame, gap_files: list[Path] | None = None
) -> Events:
    """:meth:`Events.stack <vessel_risk.pipeline.stages.Events.stack>`, the gaps placed one
    partition at a time: the one table that grows with messages (1.5 million AIS gaps on
    a global day of decoded AIS) is never held twice.

    The parts' gaps are taken: each part is left with none (``parts`` are changed).

    Parameters
    ----------
    parts : list of Events
        Each partition's events, in partition order.
    encounters : DataFrame
        The run's encounters (found across partitions).
    gap_files : list of Path, optional
        Each partition's gaps as the partition task wrote them
        (:func:`~vessel_risk.pipeline.tasks.gaps_file`), in partition order: read here
        one at a time, in place of the parts' (then empty) gaps.

    Returns
    -------
    Events
        Equal to ``Events.stack(parts, encounters)`` on the parts as given (with their
        gaps read back from ``gap_files``).
    """
    gaps: list[pd.DataFrame | Path] = list(gap_files) if gap_files else [p.gaps for p in parts]
    for p in parts:
        p.gaps = p.gaps.iloc[:0]
    events = Events.stack(parts, encounters)
    events.gaps = _stack_by_mmsi(gaps)
    return events


def stack_events_on_files(
    parts: list[Events], encounters: pd.DataFrame, gap_files: list[Path]
) -> tuple[Events, GapFiles | None]:
    """:func:`stack_events` with the gaps left in their work files: the events, their
    gaps empty, and the gaps as :class:`~vessel_risk.pipeline.gap_files.GapFiles` (the
    rows of ``Events.stack``'s gaps, in its order, read a window at a time), for
    :func:`score_and_record`. The files must stay until it returns.

    Returns ``(stack_events(parts, encounters, gap_files), None)`` when the files'
    columns or types differ (they are reconciled as frames) or no file has a row.
    """
    gaps = GapFiles.open(gap_files)
    if gaps is None:
        return stack_events(parts, encounters, gap_files), None
    for p in parts:
        p.gaps = p.gaps.iloc[:0]
    return Events.stack(parts, encounters), gaps


def _frame(source: pd.DataFrame | Path) -> pd.DataFrame:
    return read_work(source) if isinstance(source, Path) else source


def _stack_by_mmsi(frames: list[pd.DataFrame | Path]) -> pd.DataFrame:
    """``concat(frames)`` stably sorted by ``mmsi`` (as ``Events.stack``), built by
    scattering each frame's columns into place and then dropping it (``frames`` is
    emptied; a path is a work file, read when needed): the memory of the result and one
    frame, not of all frames twice."""
    sizes, mmsis, dtypes, columns_of = [], [], [], []
    for i, source in enumerate(frames):
        f = _frame(source)
        sizes.append(len(f))
        columns_of.append(list(f.columns))
        dtypes.append(f.dtypes)
        mmsis.append(f["mmsi"] if "mmsi" in f.columns else None)
        if not isinstance(source, Path):
            frames[i] = f
        del f
    kept = [i for i, n in enumerate(sizes) if n]
    first = kept[0] if kept else None
    same = first is not None and all(
        columns_of[i] == columns_of[first] and dtypes[i].equals(dtypes[first]) for i in kept
    )
    if not same or first is None:  # nothing to save, or columns to reconcile: as stacked
        out = concat(_frame(f) for f in frames)
        frames.clear()
        return out.sort_values("mmsi", kind="stable", ignore_index=True)
    n = sum(sizes)
    mmsi = pd.concat([mmsis[i] for i in kept], ignore_index=True)
    del mmsis
    taken = mmsi.sort_values(kind="stable").index.to_numpy()  # row of the stack at each place
    del mmsi
    place = np.empty(n, dtype="int64")  # place of each row of the stack
    place[taken] = np.arange(n)
    types = dtypes[first]
    plain = {c: d for c, d in types.items() if isinstance(d, np.dtype)}
    zoned = {c: d for c, d in types.items() if isinstance(d, pd.DatetimeTZDtype)}
    arrays: dict[Any, np.ndarray] = {c: np.empty(n, dtype=d) for c, d in plain.items()}
    arrays |= {c: np.empty(n, dtype=f"M8[{d.unit}]") for c, d in zoned.items()}
    other: dict[str, list[pd.Series]] = {c: [] for c in types.index if c not in arrays}
    at = 0
    for i in kept:
        f = _frame(frames[i])
        frames[i] = pd.DataFrame()
        rows = place[at : at + len(f)]
        for c in plain:
            arrays[c][rows] = f[c].to_numpy()
        for c in zoned:
            arrays[c][rows] = f[c].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        for c, series in other.items():
            series.append(f[c])
        at += len(f)
        del f
    frames.clear()
    columns: dict[str, Any] = {}
    for c in types.index:
        if c in other:
            merged = pd.concat(other.pop(c), ignore_index=True)
            columns[c] = merged.take(taken).reset_index(drop=True)
        elif c in zoned:
            naive = pd.Series(arrays.pop(c), copy=False)
            columns[c] = naive.dt.tz_localize("UTC").dt.tz_convert(zoned[c].tz)
        else:
            columns[c] = pd.Series(arrays.pop(c), copy=False)
    return pd.DataFrame(columns, copy=False)  # not consolidated: no copy of the whole


def score_and_record(
    config: RunConfig,
    events: Events,
    vessels: VesselTables,
    tally: RunTally,
    files: Any,
    refs: References,
    scorer: Scorer,
    fleets: Any,
    engine: Any,
    on_stage: Callable[[str], None],
    *,
    extra_counts: dict[str, Any] | None = None,
    gaps: GapFiles | None = None,
) -> tuple[list[Alert], str, dict[str, Any], int, list[Any], Any]:
    """The end of every run: score the alert queue, write the event tables and alerts,
    record the run in the database with each alert's coastal states
    (:func:`vessel_risk.alerts.coastal.record_coastal_states`), predict each vessel
    track's next port call (:mod:`vessel_risk.events.arrivals`; stored and revised by
    :func:`vessel_risk.alerts.arrival_store.record_arrivals`) and refer where an
    agency's own rule allows.

    Shared by :func:`run` and the incremental store run
    (:func:`vessel_risk.pipeline.incremental.run_store`), so the two cannot drift apart.
    ``gaps`` (from :func:`stack_events_on_files`) stands for ``events.gaps``: the run's
    gaps are then counted, written and read as evidence a window at a time, never whole.

    Returns
    -------
    alerts, version, counts, run_id, auto_referred, engine
        ``engine`` is the one given, or the database opened here (the caller disposes it).
    """
    on_stage("score")
    queue = alert_queue(events.features, all_classes=config.all_vessel_classes)
    alerts, version = score_alerts(
        events.features[queue], scorer.model, scorer.version, voyages=events.voyages
    )
    counted = events if gaps is None else replace(events, gaps=gaps.column_frame(["gap_class"]))
    counts = run_counts(
        tally, files, counted, alerts, refs.fishing_model, queue=queue, one_hull=vessels.one_hull
    )
    del counted
    counts.update(extra_counts or {})
    on_stage("write")
    out_dir = config.out_dir
    return_free_memory()  # scoring's frames are gone
    write_events(events, vessels, out_dir, gaps=gaps)
    write_alerts_csv(alerts, out_dir / "alerts.csv")
    write_alerts_geojson(alerts, out_dir / "alerts.geojson")
    write_alerts_geoparquet(alerts, out_dir / "alerts.parquet")
    (out_dir / "ingest_report.json").write_text(json.dumps(counts, indent=2, default=str))
    return_free_memory()  # the tables' frames are gone
    engine = engine or open_database(config.resolved_database_url, create=True)
    with Session(engine) as session, session.begin():
        run_id = record_run(
            session,
            alerts=alerts,
            features=events.features,
            evidence=evidence_events(
                events.visits,
                events.gaps if gaps is None else gaps,
                events.encounters,
                events.loitering,
            ),
            identity=events.identity,
            visits=events.visits,
            inputs=config.inputs,
            model_version=version,
            counts=counts,
        )
        port_index = PortIndex(refs.ports)
        # each alert's coastal states, by the rule routing uses: the client scopes read them
        record_coastal_states(session, run_id=run_id, ports=port_index)
        predictions = predict_arrivals(
            vessel_states(events.features, events.identity), events.visits, refs.ports
        )
        record_arrivals(session, predictions, run_id=run_id, visits=events.visits)
        # Only where an agency's own rule allows it; otherwise a person approves.
        auto = auto_refer(session, ports=port_index, fleets=fleets)
        # Subscribers hear of new and revised alerts, and of vessels now expected at their
        # ports within 48 h, in the same transaction (outbox); the worker checks arrivals
        # again on its schedule as time moves on.
        notify_alerts(session, run_id=run_id)
        notify_arrivals(session)
    return alerts, version, counts, run_id, auto, engine


EVENT_CHUNK_ROWS = 200_000
"""Rows of an event table checked and converted to Arrow at once when it is written: a
global day of decoded AIS has 1.5 million AIS gaps."""


def _write_events_in_chunks(
    frame: pd.DataFrame, schema: Any, path: Path, *, lon: str, lat: str
) -> None:
    """``frame`` checked against ``schema`` and written as GeoParquet
    (:func:`~vessel_risk.geo.geoparquet.write_geoparquet`'s file) :data:`EVENT_CHUNK_ROWS`
    rows at a time, so neither the checked copy nor its Arrow table is ever whole."""
    if len(frame) <= EVENT_CHUNK_ROWS:
        write_geoparquet(schema.validate(frame), path, lon=lon, lat=lat)
        return
    bounds = Bounds()
    bounds.add(
        pd.to_numeric(frame[lon]).to_numpy(dtype="float64", na_value=np.nan),
        pd.to_numeric(frame[lat]).to_numpy(dtype="float64", na_value=np.nan),
    )
    chunks = (
        frame.iloc[start : start + EVENT_CHUNK_ROWS]
        for start in range(0, len(frame), EVENT_CHUNK_ROWS)
    )
    _write_chunks(chunks, schema, path, lon=lon, lat=lat, bounds=bounds)


def _write_chunks(
    chunks: Iterable[pd.DataFrame], schema: Any, path: Path, *, lon: str, lat: str, bounds: Bounds
) -> None:
    """Chunks of one table, each checked against ``schema``, as one GeoParquet file of
    one row group per chunk, its bounding box ``bounds`` (the whole table's)."""
    writer: GeoParquetWriter | None = None
    for chunk in chunks:
        checked = schema.validate(chunk)
        if writer is None:
            writer = GeoParquetWriter(path, checked.iloc[:0], lon=lon, lat=lat, bounds=bounds)
        writer.write(pa.Table.from_pandas(checked, preserve_index=False))
    assert writer is not None
    writer.close()


def _write_gap_files(gaps: GapFiles, path: Path) -> None:
    """``gaps.parquet`` from the gaps' work files: the file :func:`_write_events_in_chunks`
    writes from the stacked table, read :data:`EVENT_CHUNK_ROWS` rows at a time."""
    if len(gaps) <= EVENT_CHUNK_ROWS:  # small: as the whole table is written
        _write_events_in_chunks(
            gaps.window(0, len(gaps)), GapSchema, path, lon="start_lon", lat="start_lat"
        )
        return
    bounds = Bounds()  # the box is the same in any order: one file at a time
    for where in gaps.file_frames(["start_lon", "start_lat"]):
        bounds.add(
            pd.to_numeric(where["start_lon"]).to_numpy(dtype="float64", na_value=np.nan),
            pd.to_numeric(where["start_lat"]).to_numpy(dtype="float64", na_value=np.nan),
        )
    _write_chunks(
        gaps.windows(EVENT_CHUNK_ROWS),
        GapSchema,
        path,
        lon="start_lon",
        lat="start_lat",
        bounds=bounds,
    )


def write_events(
    events: Events, vessels: VesselTables, out_dir: Path, *, gaps: GapFiles | None = None
) -> None:
    """The event tables and vessel-year features as Parquet, each checked on the way out.

    Events with a position are GeoParquet 1.1 (:mod:`vessel_risk.geo.geoparquet`: their
    columns, then a ``geometry`` point and its ``bbox``): gaps at their start (where
    the transmitter went silent), loitering and encounters at their mean position.
    ``gaps`` (:class:`~vessel_risk.pipeline.gap_files.GapFiles`) stands for
    ``events.gaps``, written from its work files a chunk at a time.
    """
    PortVisitSchema.validate(events.visits[columns(PortVisitSchema)]).to_parquet(
        out_dir / "port_visits.parquet", index=False
    )
    VoyageSchema.validate(events.voyages).to_parquet(out_dir / "voyages.parquet", index=False)
    if gaps is None:
        _write_events_in_chunks(
            events.gaps, GapSchema, out_dir / "gaps.parquet", lon="start_lon", lat="start_lat"
        )
    else:
        _write_gap_files(gaps, out_dir / "gaps.parquet")
    write_geoparquet(LoiteringSchema.validate(events.loitering), out_dir / "loitering.parquet")
    write_geoparquet(EncounterSchema.validate(events.encounters), out_dir / "encounters.parquet")
    VesselLinkSchema.validate(vessels.links).to_parquet(
        out_dir / "vessel_links.parquet", index=False
    )
    events.features.to_parquet(out_dir / "vessel_features.parquet", index=False)
