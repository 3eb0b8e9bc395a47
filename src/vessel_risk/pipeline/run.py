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
   alone), written to work files by time window.
2. Encounters, the stage that pairs vessels: close pairs only ever join grid points
   of the same 10-minute slot, so the grid is read one window of
   :data:`ENCOUNTER_WINDOW_SLOTS` slots at a time, over all partitions, and reduced to
   its close-pair samples; runs of consecutive slots are then found on the samples of
   all windows (:func:`vessel_risk.events.encounters.encounters_from_samples`), so an
   encounter across a window boundary is whole. Then vessels: the whole run's identity
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
positions together, in time order). The partitions are independent in steps 1 and 3,
the shape a distributed run (Dask) needs.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from vessel_risk.alerts.build import evidence_events
from vessel_risk.alerts.export import write_alerts_csv, write_alerts_geojson
from vessel_risk.alerts.persistence import record_run
from vessel_risk.db.engine import open_database
from vessel_risk.events.encounters import (
    close_pairs,
    encounters_from_samples,
    pair_samples,
    resample_tracks,
)
from vessel_risk.events.fishing import load_fishing_model
from vessel_risk.events.gaps import area_message_counts
from vessel_risk.events.schemas import (
    EncounterSchema,
    GapSchema,
    LoiteringSchema,
    PortVisitSchema,
    PositionSchema,
    VoyageSchema,
)
from vessel_risk.frames import columns, empty_frame
from vessel_risk.geo.ports import PortIndex, default_ports, read_ports, read_psma_parties
from vessel_risk.geo.shore import ShoreDistance
from vessel_risk.geo.zones import read_eez
from vessel_risk.identity.identify import VesselTables, identify_vessels, position_activity
from vessel_risk.identity.lists import load_iuu_list, load_vessel_list, read_carriers
from vessel_risk.identity.reference import TABLES, load_table
from vessel_risk.identity.schemas import VesselLinkSchema
from vessel_risk.ingest import (
    iter_store_quarantine,
    read_partition,
    store_partitions,
    write_split,
    write_store,
)
from vessel_risk.ingest.schemas import QuarantineSchema
from vessel_risk.pipeline.config import RunConfig
from vessel_risk.pipeline.counts import RunTally, run_counts
from vessel_risk.pipeline.scoring import Scorer, alert_queue, choose_scorer, score_alerts
from vessel_risk.pipeline.stages import (
    Events,
    OnStage,
    PartitionWork,
    References,
    _noop,
    check_frame,
    concat,
    first_pass,
    second_pass,
)
from vessel_risk.referral.directory import read_directory
from vessel_risk.referral.notices import auto_refer

T = TypeVar("T")

ENCOUNTER_WINDOW_SLOTS = 4096
"""Slots of the 10-minute encounter grid read at once (about 28 days)."""


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

    def close(self) -> None:
        if self.writer is None:
            self.empty.to_parquet(self.path, index=False)
        else:
            self.writer.close()


def _read_windows(folder: Path) -> Iterable[pd.DataFrame]:
    """The encounter grid of all partitions, one time window at a time."""
    for window in sorted(folder.glob("window=*")):
        files = sorted(window.glob("*.parquet"))
        yield pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


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
        fishing_model=load_fishing_model(config.fishing_model_dir)
        if config.fishing_model_dir
        else None,
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
) -> RunSummary:
    """Read AIS files or a position store, run every stage per partition, write every output.

    Writes ``positions.parquet``, ``port_visits.parquet``, ``voyages.parquet``,
    ``gaps.parquet``, ``loitering.parquet``, ``encounters.parquet``,
    ``vessel_features.parquet``, ``quarantine.parquet``, ``alerts.csv``,
    ``alerts.geojson``, ``ingest_report.json`` and ``report.html`` to
    ``config.out_dir``, and stores the alerts in the database
    (:attr:`RunConfig.resolved_database_url`). The stages run one partition of vessels
    at a time (module docstring), so memory does not grow with the input.

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
        :data:`~vessel_risk.pipeline.stages.STAGES` as it starts.
    on_partition : callable, optional
        ``f(index, count)`` called as each pass over the partitions reaches one.

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
    from vessel_risk.pipeline.report import MAP_POSITIONS, write_report

    out_dir, validate = config.out_dir, config.validate_frames
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
            if store is None:
                on_stage("ingest")
                store = work / "store"
                write_store(
                    list(config.ais_paths),
                    store,
                    partitions=config.partitions,
                    limits=config.ingest_limits,
                )
            parts = store_partitions(store) or [0]  # no vessel at all: one empty partition
            files = json.loads((store / "ingest_report.json").read_text())
            quarantine = _ParquetAppender(
                out_dir / "quarantine.parquet", empty_frame(QuarantineSchema)
            )
            for rows in iter_store_quarantine(store):
                tally.quarantine(rows)
                quarantine.write(rows)

            # Pass 1: per-vessel cleaning; compact inputs of the cross-vessel stages.
            transmitters, identities, activities, areas = [], [], [], []
            for k, n in enumerate(parts):
                if on_partition is not None:
                    on_partition(k, len(parts))
                positions, static = read_partition(store, n)
                part = first_pass(
                    PartitionWork(positions, static), refs, validate=validate, on_stage=on_stage
                )
                tally.add(positions, static, part, part.positions)
                quarantine.write(part.quarantine)
                transmitters.append(part.transmitters)
                identities.append(part.identity)
                activities.append(position_activity(part.positions))
                areas.append(area_message_counts(part.positions))
                grid = resample_tracks(part.positions)
                grid["mmsi"] = grid["mmsi"].astype("string")
                window = grid["slot"].to_numpy(dtype="int64") // ENCOUNTER_WINDOW_SLOTS
                write_split(grid, window, work / "grid", "window", f"part={n:05d}.parquet")
                part.positions.to_parquet(work / f"positions-{n:05d}.parquet", index=False)
                del positions, static, part, grid  # before the next partition is read
            quarantine.close()

            # Across partitions: reception per cell-day, and encounters one window at a time.
            on_stage("encounters")
            area = pd.concat(areas, ignore_index=True)
            area = area.groupby("cell_day", sort=True)["n"].sum().reset_index()
            samples = [pair_samples(g, close_pairs(g)) for g in _read_windows(work / "grid")]
            encounters = encounters_from_samples(
                concat(samples) if samples else pd.DataFrame(), carriers=refs.carriers
            )
            if validate:
                check_frame(encounters, EncounterSchema)
            # Across partitions too: which vessel each MMSI is (two MMSIs of one hull
            # may sit in different partitions).
            on_stage("vessels")
            vessels = identify_vessels(
                concat(identities),
                encounters,
                concat(activities),
                vessel_lists=refs.vessel_lists,
                carriers=refs.carriers,
            )
            encounters = vessels.encounters

            # Pass 2: per-vessel events and features.
            per_part: list[Events] = []
            shown: list[pd.DataFrame] = []
            positions_out = _ParquetAppender(
                out_dir / "positions.parquet", empty_frame(PositionSchema)
            )
            share = min(1.0, MAP_POSITIONS / max(tally.positions_kept, 1))
            for k, n in enumerate(parts):
                if on_partition is not None:
                    on_partition(k, len(parts))
                pos = pd.read_parquet(work / f"positions-{n:05d}.parquet")
                static = read_partition(store, n)[1]
                part = PartitionWork(
                    pos,
                    static[static["timestamp"].notna()],
                    area_messages=area,
                    encounters=encounters[encounters["mmsi"].isin(pos["mmsi"].unique())],
                    transmitters=transmitters[k],
                    identity=identities[k],
                    vessels=vessels,
                )
                second_pass(part, refs, validate=validate, on_stage=on_stage)
                per_part.append(part.events())
                positions_out.write(PositionSchema.validate(pos[columns(PositionSchema)]))
                located = pos.loc[pos["lat"].notna(), ["lat", "lon"]]
                shown.append(located if share >= 1 else located.sample(frac=share, random_state=n))
                del pos, static, part, located
            positions_out.close()

        events = Events.stack(per_part, encounters)
        on_stage("score")
        queue = alert_queue(events.features, all_classes=config.all_vessel_classes)
        alerts, version = score_alerts(
            events.features[queue], scorer.model, scorer.version, voyages=events.voyages
        )
        counts = run_counts(
            tally, files, events, alerts, refs.fishing_model, queue=queue, one_hull=vessels.one_hull
        )
        on_stage("write")
        _write_events(events, vessels, out_dir)
        write_alerts_csv(alerts, out_dir / "alerts.csv")
        write_alerts_geojson(alerts, out_dir / "alerts.geojson")
        (out_dir / "ingest_report.json").write_text(json.dumps(counts, indent=2, default=str))
        engine = engine or open_database(url, create=True)
        with Session(engine) as session, session.begin():
            run_id = record_run(
                session,
                alerts=alerts,
                features=events.features,
                evidence=evidence_events(
                    events.visits, events.gaps, events.encounters, events.loitering
                ),
                identity=events.identity,
                visits=events.visits,
                inputs=config.inputs,
                model_version=version,
                counts=counts,
            )
            # Only where an agency's own rule allows it; otherwise a person approves.
            auto = auto_refer(session, ports=PortIndex(refs.ports), fleets=fleets)
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
    return RunSummary(
        out_dir,
        report,
        len(alerts),
        run_id,
        url,
        counts,
        auto_referred=len(auto),
        partitions=len(parts),
    )


def _write_events(events: Events, vessels: VesselTables, out_dir: Path) -> None:
    """The event tables and vessel-year features as Parquet, each checked on the way out."""
    PortVisitSchema.validate(events.visits[columns(PortVisitSchema)]).to_parquet(
        out_dir / "port_visits.parquet", index=False
    )
    VoyageSchema.validate(events.voyages).to_parquet(out_dir / "voyages.parquet", index=False)
    GapSchema.validate(events.gaps).to_parquet(out_dir / "gaps.parquet", index=False)
    LoiteringSchema.validate(events.loitering).to_parquet(
        out_dir / "loitering.parquet", index=False
    )
    EncounterSchema.validate(events.encounters).to_parquet(
        out_dir / "encounters.parquet", index=False
    )
    VesselLinkSchema.validate(vessels.links).to_parquet(
        out_dir / "vessel_links.parquet", index=False
    )
    events.features.to_parquet(out_dir / "vessel_features.parquet", index=False)
