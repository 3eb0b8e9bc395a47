"""The main job: AIS files in, ranked and explained alerts out.

:func:`process` runs every stage on frames already in memory and does no I/O;
:func:`run` reads the inputs, runs the same stages and writes the outputs, the
database rows and the report.

How :func:`run` handles input larger than memory
-------------------------------------------------
Input goes through a store partitioned by vessel (:func:`vessel_risk.ingest.write_store`:
a stable hash of the MMSI, one partition per 32 MiB of input by default): ``--ais``
files are ingested chunk by chunk into a temporary store in the output folder, or a
store from ``vessel-risk ingest`` is read as it is. Every per-vessel stage then runs
one partition at a time, so memory is bounded by the largest partition (a set of whole
vessels) and by compact cross-vessel tables, not by the input:

1. Per partition (:func:`clean_partition`): cleaning, transmitters and distances. The
   cleaned positions go to a work file; two compact things are kept for the
   cross-vessel stages: the partition's message counts per UTC day and 1° cell
   (:func:`vessel_risk.events.gaps.area_message_counts`, summed over partitions), and its
   vessels' 10-minute encounter grid (:func:`vessel_risk.events.encounters.resample_tracks`,
   which depends on one vessel alone), written to work files by time window.
2. Encounters, the one stage that pairs vessels: close pairs only ever join grid points
   of the same 10-minute slot, so the grid is read one window of
   :data:`ENCOUNTER_WINDOW_SLOTS` slots at a time, over all partitions, and reduced to
   its close-pair samples; runs of consecutive slots are then found on the samples of
   all windows (:func:`vessel_risk.events.encounters.encounters_from_samples`), so an
   encounter across a window boundary is whole.
3. Per partition again (:func:`derive_events`): fishing, port visits, voyages, gaps
   (classed with the reception counts of all vessels), loitering and vessel-year
   features (with the partition's side of the encounters); positions are appended to
   ``positions.parquet``.
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
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from vessel_risk.alerts.build import (
    Alert,
    build_alerts,
    evidence_events,
    write_alerts_csv,
    write_alerts_geojson,
)
from vessel_risk.alerts.lifecycle import record_run
from vessel_risk.db.engine import make_engine, migrate
from vessel_risk.events.clean import ON_LAND_MARGIN_KM, clean_positions
from vessel_risk.events.encounters import (
    close_pairs,
    detect_encounters,
    encounters_from_samples,
    pair_samples,
    resample_tracks,
)
from vessel_risk.events.fishing import FishingModel, fishing_scores, load_fishing_model
from vessel_risk.events.gaps import area_message_counts, detect_gaps
from vessel_risk.events.loitering import detect_loitering
from vessel_risk.events.port_visits import detect_port_visits
from vessel_risk.events.schemas import (
    EncounterSchema,
    GapSchema,
    LoiteringSchema,
    PortVisitSchema,
    PositionSchema,
    VoyageSchema,
)
from vessel_risk.events.voyages import detect_voyages
from vessel_risk.features.vessel_year import vessel_year_features
from vessel_risk.frames import columns, empty_frame
from vessel_risk.geo.ports import PortIndex, default_ports, read_ports, read_psma_parties
from vessel_risk.geo.shore import ShoreDistance
from vessel_risk.geo.tracks import segment_km
from vessel_risk.geo.zones import EezIndex, read_eez
from vessel_risk.identity.history import identity_history
from vessel_risk.identity.lists import load_iuu_list, read_carriers
from vessel_risk.identity.transmitters import simultaneous_transmitters, split_transmitters
from vessel_risk.ingest import (
    IDENTITY_FIELDS,
    IngestResult,
    iter_store_quarantine,
    read_partition,
    store_partitions,
    write_split,
    write_store,
)
from vessel_risk.ingest.schemas import QuarantineSchema
from vessel_risk.model import evidence_shares, model_input
from vessel_risk.model import indicators as ind
from vessel_risk.referral.notices import auto_refer
from vessel_risk.referral.routing import Fleet

T = TypeVar("T")

STAGES = (
    "ingest",
    "clean",
    "transmitters",
    "distances",
    "encounters",
    "fishing",
    "port visits",
    "voyages",
    "gaps",
    "loitering",
    "features",
    "score",
    "write",
)
"""Stage names in the order :func:`run` starts them (it repeats "clean" to "distances"
and "fishing" to "features" for each partition of vessels)."""
ENCOUNTER_WINDOW_SLOTS = 4096
"""Encounter grid slots (10 min each, about 28 days) read at a time across partitions."""


@dataclass
class ProcessResult:
    """Everything :func:`process` derives from one batch of AIS."""

    positions: pd.DataFrame
    visits: pd.DataFrame
    voyages: pd.DataFrame
    gaps: pd.DataFrame
    loitering: pd.DataFrame
    encounters: pd.DataFrame
    features: pd.DataFrame
    alerts: list[Alert]
    quarantine: pd.DataFrame
    counts: dict[str, Any] = field(default_factory=dict)
    model_version: str = ind.BASELINE_VERSION
    identity: pd.DataFrame = field(default_factory=pd.DataFrame)


def _noop(stage: str) -> None:
    del stage


def with_distances(
    positions: pd.DataFrame, ports: pd.DataFrame, eez: EezIndex | None = None
) -> pd.DataFrame:
    """Cleaned positions with ``distance_from_port_km``, ``port_index`` and ``segment_km``.

    Parameters
    ----------
    positions : DataFrame
        From :func:`~vessel_risk.events.clean.clean_positions`, sorted by ``mmsi``,
        ``timestamp``.
    ports : DataFrame
        Port or anchorage list.
    eez : EezIndex, optional
        The user's EEZ polygons (:func:`vessel_risk.geo.zones.read_eez`); when given,
        ``eez_iso3`` is added too (NA on the high seas).

    Returns
    -------
    DataFrame
        A copy with the columns added.
    """
    pos = positions.copy()
    nearest = PortIndex(ports).nearest(pos["lat"].to_numpy(), pos["lon"].to_numpy())
    pos["distance_from_port_km"] = nearest.distance_km
    pos["port_index"] = nearest.index
    pos["segment_km"] = segment_km(pos).to_numpy()
    if eez is not None:
        pos["eez_iso3"] = eez.iso3(pos["lat"], pos["lon"]).array
    return pos


@dataclass
class Events:
    """Behaviour events and vessel-year features of one partition of vessels."""

    visits: pd.DataFrame
    voyages: pd.DataFrame
    gaps: pd.DataFrame
    loitering: pd.DataFrame
    encounters: pd.DataFrame
    features: pd.DataFrame
    identity: pd.DataFrame


def derive_events(
    positions: pd.DataFrame,
    static: pd.DataFrame,
    ports: pd.DataFrame,
    *,
    carriers: Collection[str] = (),
    iuu_keys: pd.DataFrame | None = None,
    psma_parties: pd.DataFrame | None = None,
    fishing_model: FishingModel | None = None,
    transmitters: pd.DataFrame | None = None,
    area_messages: pd.DataFrame | None = None,
    encounters: pd.DataFrame | None = None,
    on_stage: Callable[[str], None] = _noop,
) -> Events:
    """Port visits, voyages, gaps, loitering, encounters and vessel-year features.

    Parameters
    ----------
    positions : DataFrame
        From :func:`with_distances`.
    static : DataFrame
        Static reports (``mmsi``, ``timestamp`` and identity fields).
    ports : DataFrame
        The list ``positions["port_index"]`` refers to.
    carriers, iuu_keys, psma_parties, fishing_model
        As in :func:`process`.
    transmitters : DataFrame, optional
        Per vessel-year ``max_simultaneous_transmitters``
        (:func:`~vessel_risk.identity.transmitters.simultaneous_transmitters`).
    area_messages : DataFrame, optional
        Messages per UTC day and 1° cell of all vessels, when ``positions`` holds only a
        partition of them (:func:`~vessel_risk.events.gaps.area_message_counts`); default:
        counted from ``positions``.
    encounters : DataFrame, optional
        The encounters of these vessels when found across partitions (as
        :func:`~vessel_risk.events.encounters.detect_encounters` returns them); default:
        detected among ``positions``.
    on_stage : callable, optional
        Called with each stage's name as it starts.

    Returns
    -------
    Events

    Notes
    -----
    Each position gets a ``fishing_score`` first, from the best source available
    (:func:`~vessel_risk.events.fishing.fishing_scores`: GFW's ``nnet_score``, else the
    classifier, else the speed heuristic), so the features' fishing hours are filled
    and ``fishing_source`` says how they were estimated.
    """
    on_stage("fishing")
    classifier = fishing_model.classifier if fishing_model is not None else None
    positions = positions.assign(**fishing_scores(positions, classifier))
    on_stage("port visits")
    visits = detect_port_visits(positions, ports)
    on_stage("voyages")
    voyages = detect_voyages(positions, visits)
    on_stage("gaps")
    gaps = detect_gaps(positions, area_messages=area_messages)
    on_stage("loitering")
    loitering = detect_loitering(positions, carriers=carriers)
    if encounters is None:
        on_stage("encounters")
        encounters = detect_encounters(positions, carriers=carriers)
    on_stage("features")
    ident_cols = ["mmsi", "timestamp", *IDENTITY_FIELDS]
    has_ident = positions[IDENTITY_FIELDS].notna().any(axis=1)
    dest = ["destination"] if "destination" in static.columns else []
    reports = pd.concat(
        [static[ident_cols + dest], positions.loc[has_ident, ident_cols]], ignore_index=True
    )
    identity = identity_history(reports)
    # A vessel with static reports only has no vessel-year to describe (its identity
    # still goes to the history); a partition may hold nothing else.
    described = positions["mmsi"].unique()
    features = vessel_year_features(
        positions,
        visits,
        voyages,
        gaps,
        reports[reports["mmsi"].isin(described)],
        encounters=encounters,
        loitering=loitering,
        iuu_keys=iuu_keys,
        psma_parties=psma_parties,
        transmitters=transmitters,
        identity=identity[identity["mmsi"].isin(described)],
    )
    return Events(visits, voyages, gaps, loitering, encounters, features, identity)


@dataclass
class CleanPartition:
    """Cleaned positions of one partition of vessels (:func:`clean_partition`).

    Attributes
    ----------
    positions : DataFrame
        From :func:`with_distances`.
    quarantine : DataFrame
        Rows cleaning dropped, as :class:`~vessel_risk.ingest.schemas.QuarantineSchema`.
    counts : dict of str to int
        Cleaning counts by reason (:class:`~vessel_risk.events.clean.CleanResult`).
    transmitters : DataFrame
        Per vessel-year ``max_simultaneous_transmitters``.
    several_tracks : int
        MMSIs whose positions split into several tracks.
    """

    positions: pd.DataFrame
    quarantine: pd.DataFrame
    counts: dict[str, int]
    transmitters: pd.DataFrame
    several_tracks: int


def clean_partition(
    positions: pd.DataFrame,
    *,
    shore: Callable[..., Any],
    ports: pd.DataFrame,
    on_land_margin_km: float | None = ON_LAND_MARGIN_KM,
    eez: EezIndex | None = None,
    on_stage: Callable[[str], None] = _noop,
) -> CleanPartition:
    """Cleaning, transmitters and distances of positions of whole vessels.

    Parameters
    ----------
    positions : DataFrame
        As :attr:`IngestResult.positions`: every position of each vessel it holds.
    shore, ports, on_land_margin_km, eez
        As in :func:`process`.
    on_stage : callable, optional
        Called with each stage's name as it starts.

    Returns
    -------
    CleanPartition
    """
    on_stage("clean")
    cleaned = clean_positions(
        positions, distance_from_shore=shore, on_land_margin_km=on_land_margin_km
    )
    on_stage("transmitters")
    # Counted before cleaning drops the jumps: a second transmitter is a run of them.
    seen = pd.concat([cleaned.positions, cleaned.spikes], ignore_index=True)
    track = split_transmitters(seen)
    several = pd.Series(track.to_numpy()).groupby(seen["mmsi"].to_numpy()).nunique().gt(1)
    transmitters = simultaneous_transmitters(seen, track)
    on_stage("distances")
    pos = with_distances(cleaned.positions, ports, eez)
    return CleanPartition(pos, cleaned.quarantine, cleaned.counts, transmitters, int(several.sum()))


@dataclass
class _Tally:
    """Counts of :func:`process` summed over partitions of vessels."""

    positions_read: int = 0
    static_reports: int = 0
    positions_kept: int = 0
    undated_static: int = 0
    vessels: int = 0
    several_tracks: int = 0
    cleaning: Counter[str] = field(default_factory=Counter)
    quarantined: Counter[str] = field(default_factory=Counter)

    def add(self, positions: pd.DataFrame, static: pd.DataFrame, part: CleanPartition) -> None:
        self.positions_read += len(positions)
        self.static_reports += len(static)
        # Raw NMEA without a receive time: a static report that belongs to no year.
        self.undated_static += int(static["timestamp"].isna().sum())
        self.positions_kept += len(part.positions)
        self.vessels += int(part.positions["mmsi"].nunique())
        self.several_tracks += part.several_tracks
        self.cleaning.update(part.counts)
        self.quarantine(part.quarantine)

    def quarantine(self, rows: pd.DataFrame) -> None:
        self.quarantined.update({str(k): int(v) for k, v in rows["reason"].value_counts().items()})


def _counts(
    tally: _Tally,
    files: list[dict[str, Any]],
    events: Events,
    alerts: list[Alert],
    fishing_model: FishingModel | None,
) -> dict[str, Any]:
    """The run's counts (``ingest_report.json``) from its parts."""
    features, gaps = events.features, events.gaps

    def tally_of(values: pd.Series) -> dict[str, int]:
        return {str(k): int(v) for k, v in values.value_counts().items()}

    return {
        "rows_in": int(sum(int(f["rows_in"]) for f in files)),
        "positions_read": tally.positions_read,
        "static_reports": tally.static_reports,
        "positions_kept": tally.positions_kept,
        "quarantined": sum(tally.quarantined.values()),
        "quarantined_by_reason": dict(tally.quarantined.most_common()),
        "cleaning": dict(tally.cleaning),
        "naive_timestamps_read_as_utc": int(sum(int(f["naive_timestamps"]) for f in files)),
        "undated_static_reports_not_in_features": tally.undated_static,
        "files": files,
        "vessels": tally.vessels,
        "vessel_years": len(features),
        "port_visits": len(events.visits),
        "voyages": len(events.voyages),
        "ais_gaps": len(gaps),
        "gaps_by_class": tally_of(gaps["gap_class"]),
        "loitering_events": len(events.loitering),
        "encounters": len(events.encounters) // 2,
        "transmitters": {
            "mmsis_with_several_tracks": tally.several_tracks,
            "vessel_years_with_simultaneous_transmitters": int(
                features["max_simultaneous_transmitters"].gt(1).sum()
            ),
        },
        "fishing_model": fishing_model.label if fishing_model is not None else None,
        "fishing_source_vessel_years": tally_of(features["fishing_source"]),
        "alerts_by_tier": tally_of(pd.Series([a.tier for a in alerts], dtype=object)),
    }


def _score(
    features: pd.DataFrame, model: Any | None, model_version: str | None
) -> tuple[list[Alert], str]:
    """Ranked alerts of vessel-year features and the name of what scored them."""
    version = ind.BASELINE_VERSION
    tie_break = None
    if model is None:
        scores = ind.indicator_score(features)
        contrib = ind.contributions(features)
    else:
        version = model_version or type(model).__name__
        scores, contrib = score_with_model(model, features)
    if model is not None and hasattr(model, "decision_function") and len(features):
        X = model_input(features, [str(f) for f in model.feature_names_in_])
        tie_break = pd.Series(model.decision_function(X), index=features.index)
    alerts = build_alerts(features, scores, contrib, model_version=version, tie_break=tie_break)
    return alerts, version


def process(
    ingested: IngestResult,
    *,
    shore: Callable[..., Any],
    ports: pd.DataFrame,
    iuu_keys: pd.DataFrame | None = None,
    carriers: Collection[str] = (),
    psma_parties: pd.DataFrame | None = None,
    on_land_margin_km: float | None = ON_LAND_MARGIN_KM,
    eez: EezIndex | None = None,
    model: Any | None = None,
    model_version: str | None = None,
    fishing_model: FishingModel | None = None,
    on_stage: Callable[[str], None] = _noop,
) -> ProcessResult:
    """Run cleaning, events, features and scoring on ingested AIS.

    Parameters
    ----------
    ingested : IngestResult
        From :func:`vessel_risk.ingest.read_many`.
    shore : callable
        ``f(lat, lon) -> km`` from shore, negative on land
        (:class:`~vessel_risk.geo.shore.ShoreDistance`).
    ports : DataFrame
        Port or anchorage list (:func:`~vessel_risk.geo.ports.default_ports`).
    iuu_keys : DataFrame, optional
        From :func:`~vessel_risk.identity.lists.load_iuu_list`.
    carriers : collection of str, optional
        MMSIs of carriers (reefers): their loitering needs 4 h and encounters with
        them are marked.
    psma_parties : DataFrame, optional
        From :func:`~vessel_risk.geo.ports.read_psma_parties`.
    on_land_margin_km : float or None, default 10
        Positions further inland are quarantined as ``on_land``; None keeps them.
    eez : EezIndex, optional
        EEZ polygons (:func:`vessel_risk.geo.zones.read_eez`): high-seas and foreign-EEZ
        fishing hours follow them; without, high seas is > 200 nm from shore and
        ``fishing_hours_foreign_eez`` is null.
    model : fitted estimator, optional
        A trained risk model (the registry's champion, with ``feature_names_in_`` and
        ``predict_proba``); None scores with the indicator baseline.
    model_version : str, optional
        How alerts name the model (default: the baseline's version).
    fishing_model : FishingModel, optional
        The fishing classifier (:func:`~vessel_risk.events.fishing.load_fishing_model`) for
        positions without GFW's ``nnet_score``; None falls back to the speed heuristic.
    on_stage : callable, optional
        Called with each stage's name as it starts (for progress display).

    Returns
    -------
    ProcessResult

    Notes
    -----
    One MMSI broadcast by several transmitters at once is split into tracks
    (:func:`~vessel_risk.identity.transmitters.split_transmitters`) to report the number seen at
    once (feature ``max_simultaneous_transmitters``, an identity indicator that does not
    enter the score; validated against GFW's research files in docs/features.md).
    Positions are not dropped by track: keeping only a "dominant" track would have set
    aside 39 % of the squid-jigger file's positions on a guess about which hull is the
    vessel. Isolated jumps are still removed by cleaning.

    Everything is in memory at once; :func:`run` runs the same stages one partition of
    vessels at a time.
    """
    part = clean_partition(
        ingested.positions,
        shore=shore,
        ports=ports,
        on_land_margin_km=on_land_margin_km,
        eez=eez,
        on_stage=on_stage,
    )
    events = derive_events(
        part.positions,
        ingested.static[ingested.static["timestamp"].notna()],
        ports,
        carriers=carriers,
        iuu_keys=iuu_keys,
        psma_parties=psma_parties,
        fishing_model=fishing_model,
        transmitters=part.transmitters,
        on_stage=on_stage,
    )
    on_stage("score")
    alerts, version = _score(events.features, model, model_version)
    quarantine = pd.concat([ingested.quarantine, part.quarantine], ignore_index=True)
    tally = _Tally()
    tally.quarantine(ingested.quarantine)
    tally.add(ingested.positions, ingested.static, part)
    return ProcessResult(
        part.positions,
        events.visits,
        events.voyages,
        events.gaps,
        events.loitering,
        events.encounters,
        events.features,
        alerts,
        quarantine,
        _counts(tally, ingested.files, events, alerts, fishing_model),
        model_version=version,
        identity=events.identity,
    )


def score_with_model(model: Any, features: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Scores and per-feature evidence of a trained model on vessel-year features.

    Parameters
    ----------
    model : fitted estimator
        With ``feature_names_in_`` and ``predict_proba``; with ``explain`` (LightGBM
        ``pred_contrib``) the evidence is each feature's share of what raised the score,
        otherwise there is none.
    features : DataFrame of shape (n, k)

    Returns
    -------
    scores : Series of shape (n,) in [0, 1]
    contrib : DataFrame of shape (n, n_model_features)
    """
    names = [str(f) for f in model.feature_names_in_]
    X = model_input(features, names)
    if len(X) == 0:
        return pd.Series(dtype=float, index=features.index), pd.DataFrame(index=features.index)
    scores = pd.Series(model.predict_proba(X)[:, 1], index=features.index)
    if hasattr(model, "explain"):
        contrib = evidence_shares(model.explain(X))
    else:
        contrib = pd.DataFrame(index=features.index)
    return scores, contrib


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


def _concat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Frames stacked, leaving out empty ones (their columns may be untyped)."""
    frames = list(frames)
    return pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)


def _stack(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Per-partition frames as one, ordered by ``mmsi`` as one partition orders them.

    A vessel is in one partition and each partition's rows are in MMSI order, so a
    stable sort by MMSI gives the order of a run on one partition.
    """
    return _concat(frames).sort_values("mmsi", kind="stable", ignore_index=True)


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


def run(
    ais: Sequence[Path],
    out_dir: Path,
    *,
    store: Path | None = None,
    partitions: int | None = None,
    ports_path: Path | None = None,
    iuu_path: Path | None = None,
    database_url: str | None = None,
    carriers_path: Path | None = None,
    psma_path: Path | None = None,
    eez_path: Path | None = None,
    inland_waters: bool = False,
    model: Any | None = None,
    model_version: str | None = None,
    fleets: Sequence[Fleet] = (),
    fishing_model_dir: Path | None = None,
    on_stage: Callable[[str], None] = _noop,
    on_partition: Callable[[int, int], None] | None = None,
) -> RunSummary:
    """Read AIS files or a store, process them partition by partition, write every output.

    Writes ``positions.parquet``, ``port_visits.parquet``, ``voyages.parquet``,
    ``gaps.parquet``, ``loitering.parquet``, ``encounters.parquet``,
    ``vessel_features.parquet``, ``quarantine.parquet``,
    ``alerts.csv``, ``alerts.geojson``, ``ingest_report.json`` and ``report.html``, and
    stores the alerts in the database (a SQLite file ``vessel_risk.db`` in
    ``out_dir`` unless ``database_url`` is given). The stages run one partition of
    vessels at a time (module docstring), so memory does not grow with the input.

    Parameters
    ----------
    ais : sequence of Path
        AIS files (Parquet, GeoParquet, CSV, gzipped CSV, raw NMEA) in any
        supported dialect (:mod:`vessel_risk.ingest`); they are ingested chunk by chunk
        into a temporary store in ``out_dir``, removed at the end. Empty when ``store``
        is given.
    out_dir : Path
    store : Path, optional
        A store written by ``vessel-risk ingest`` (:func:`vessel_risk.ingest.write_store`),
        read instead of ``ais``.
    partitions : int, optional
        Vessel partitions of the temporary store of ``ais``; default: one per 32 MiB of
        input (:func:`vessel_risk.ingest.store_partition_count`). A store given as
        ``store`` keeps its own.
    ports_path : Path, optional
        Port or anchorage list; default: the port list shipped with ``searoute``.
    iuu_path : Path, optional
        Combined IUU vessel list (CSV).
    database_url : str, optional
        SQLAlchemy URL.
    carriers_path : Path, optional
        CSV with an ``mmsi`` column listing carriers (e.g. GFW's reefer list).
    psma_path : Path, optional
        CSV of PSMA parties (``iso3``, ``Entry_into_force_date``).
    eez_path : Path, optional
        EEZ polygons (any vector file with a state column: :mod:`vessel_risk.geo.zones`).
    inland_waters : bool, default False
        Keep positions the 0.1° shore grid puts on land (lakes, rivers); by default
        positions more than 10 km inland are quarantined as ``on_land``.
    model, model_version : optional
        A trained risk model and its name, as :func:`process`; default: the indicator
        baseline.
    fleets : sequence of Fleet, optional
        Crew-origin countries per fleet, for consular routing of automatic referrals
        (:func:`vessel_risk.referral.notices.auto_refer`, which acts only where an agency in the
        database has ``auto_refer`` set).
    fishing_model_dir : Path, optional
        Folder of the fishing classifier (``model.txt``, ``card.json``); without one,
        or when it holds no model, positions without ``nnet_score`` are scored by the
        speed heuristic.
    on_stage : callable, optional
        Progress callback, called with each name of :data:`STAGES` as it starts.
    on_partition : callable, optional
        ``f(index, count)`` called as each pass over the partitions reaches one.

    Returns
    -------
    RunSummary

    Raises
    ------
    FileNotFoundError
        If an input file does not exist.
    ValueError
        If both or neither of ``ais`` and ``store`` are given, if an input file is not
        readable AIS, or if ``store`` is not a store.
    """
    from vessel_risk.pipeline.report import MAP_POSITIONS, write_report

    if bool(ais) == (store is not None):
        raise ValueError(
            "The 'ais' and 'store' parameters of run are alternatives: give AIS files or a "
            f"store. Got {len(ais)} files and store={store!r} instead."
        )
    # Reference files first: a typo there should not cost a whole ingest.
    ports = _reference("port list", ports_path, read_ports) if ports_path else default_ports()
    iuu_keys = _reference("IUU list", iuu_path, load_iuu_list) if iuu_path else None
    carriers = (
        _reference("carrier list", carriers_path, read_carriers) if carriers_path else frozenset()
    )
    psma = _reference("PSMA parties", psma_path, read_psma_parties) if psma_path else None
    eez = _reference("EEZ", eez_path, read_eez) if eez_path else None
    fishing_model = load_fishing_model(fishing_model_dir) if fishing_model_dir else None
    shore = ShoreDistance()
    out_dir.mkdir(parents=True, exist_ok=True)
    tally = _Tally()
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".work-") as tmp:
        work = Path(tmp)
        if store is None:
            on_stage("ingest")
            store = work / "store"
            write_store(list(ais), store, partitions=partitions)
        parts = store_partitions(store) or [0]  # no vessel at all: one empty partition
        files = json.loads((store / "ingest_report.json").read_text())
        quarantine = _ParquetAppender(out_dir / "quarantine.parquet", empty_frame(QuarantineSchema))
        for rows in iter_store_quarantine(store):
            tally.quarantine(rows)
            quarantine.write(rows)

        # Pass 1: per-vessel cleaning; compact inputs of the cross-vessel stages.
        transmitters, areas = [], []
        for k, n in enumerate(parts):
            if on_partition is not None:
                on_partition(k, len(parts))
            positions, static = read_partition(store, n)
            part = clean_partition(
                positions,
                shore=shore,
                ports=ports,
                on_land_margin_km=None if inland_waters else ON_LAND_MARGIN_KM,
                eez=eez,
                on_stage=on_stage,
            )
            tally.add(positions, static, part)
            quarantine.write(part.quarantine)
            transmitters.append(part.transmitters)
            areas.append(area_message_counts(part.positions))
            grid = resample_tracks(part.positions)
            grid["mmsi"] = grid["mmsi"].astype("string")
            window = grid["slot"].to_numpy(dtype="int64") // ENCOUNTER_WINDOW_SLOTS
            write_split(grid, window, work / "grid", "window", f"part={n:05d}.parquet")
            part.positions.to_parquet(work / f"positions-{n:05d}.parquet", index=False)
            del positions, static, part, grid  # before the next partition is read
        quarantine.close()

        # Cross-vessel: reception per cell-day, and encounters one time window at a time.
        on_stage("encounters")
        area = pd.concat(areas, ignore_index=True)
        area = area.groupby("cell_day", sort=True)["n"].sum().reset_index()
        samples = [pair_samples(g, close_pairs(g)) for g in _read_windows(work / "grid")]
        encounters = encounters_from_samples(
            _concat(samples) if samples else pd.DataFrame(), carriers=carriers
        )

        # Pass 2: per-vessel events and features.
        per_part: list[Events] = []
        shown: list[pd.DataFrame] = []
        positions_out = _ParquetAppender(out_dir / "positions.parquet", empty_frame(PositionSchema))
        share = min(1.0, MAP_POSITIONS / max(tally.positions_kept, 1))
        for k, n in enumerate(parts):
            if on_partition is not None:
                on_partition(k, len(parts))
            pos = pd.read_parquet(work / f"positions-{n:05d}.parquet")
            static = read_partition(store, n)[1]
            mine = pos["mmsi"].unique()
            per_part.append(
                derive_events(
                    pos,
                    static[static["timestamp"].notna()],
                    ports,
                    carriers=carriers,
                    iuu_keys=iuu_keys,
                    psma_parties=psma,
                    fishing_model=fishing_model,
                    transmitters=transmitters[k],
                    area_messages=area,
                    encounters=encounters[encounters["mmsi"].isin(mine)],
                    on_stage=on_stage,
                )
            )
            positions_out.write(PositionSchema.validate(pos[columns(PositionSchema)]))
            located = pos.loc[pos["lat"].notna(), ["lat", "lon"]]
            shown.append(located if share >= 1 else located.sample(frac=share, random_state=n))
            del pos, static, located
        positions_out.close()

    events = Events(
        visits=_stack(e.visits for e in per_part),
        voyages=_stack(e.voyages for e in per_part),
        gaps=_stack(e.gaps for e in per_part),
        loitering=_stack(e.loitering for e in per_part),
        encounters=encounters,
        features=_stack(e.features for e in per_part),
        identity=_stack(e.identity for e in per_part),
    )
    on_stage("score")
    alerts, version = _score(events.features, model, model_version)
    counts = _counts(tally, files, events, alerts, fishing_model)
    on_stage("write")
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
    events.features.to_parquet(out_dir / "vessel_features.parquet", index=False)
    write_alerts_csv(alerts, out_dir / "alerts.csv")
    write_alerts_geojson(alerts, out_dir / "alerts.geojson")
    (out_dir / "ingest_report.json").write_text(json.dumps(counts, indent=2, default=str))
    url = database_url or f"sqlite:///{(out_dir / 'vessel_risk.db').resolve()}"
    engine = make_engine(url)
    migrate(engine)
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
            inputs=[str(p) for p in ais] if ais else [str(store)],
            model_version=version,
            counts=counts,
        )
        # Only where an agency's own rule allows it; otherwise a person approves.
        auto = auto_refer(session, ports=PortIndex(ports), fleets=fleets)
    engine.dispose()
    report = write_report(
        out_dir / "report.html",
        counts=counts,
        alerts=alerts,
        model_version=version,
        positions=_concat(shown) if shown else pd.DataFrame(columns=["lat", "lon"]),
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
