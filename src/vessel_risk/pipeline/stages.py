"""The chain of stages: the one place that says what follows what.

:data:`CHAIN` lists every stage of the main job in order, each with its scope:

- ``once``: the run does it once (ingest into the position store, score, write);
- ``per partition``: a pure function of one partition of whole vessels
  (:class:`PartitionWork`) and the run's reference data (:class:`References`);
- ``across partitions``: encounters, the stage that pairs vessels, and vessels, the
  stage that links MMSIs into vessel identities (:mod:`vessel_risk.identity.identify`).

The per-partition stages fall in two passes around them. :func:`first_pass`
(cleaning into transmitter tracks, transmitters, identity history, distances) and
:func:`second_pass` (fishing, port visits,
voyages, gaps, loitering, features) run them in :data:`CHAIN`'s order; they are the
functions a run maps over partitions, in a loop here and as tasks on a cluster alike.
Both the whole-file run (:func:`vessel_risk.pipeline.process`, one partition in memory)
and the per-partition run (:func:`vessel_risk.pipeline.run`) call them, so the two
cannot drift apart. Stages do no I/O and read no settings; with ``validate=True`` each
frame is checked against its schema where it leaves its stage (the debug mode of
:class:`~vessel_risk.pipeline.config.RunConfig`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
import pandera.pandas as pa

from vessel_risk.events.clean import ON_LAND_MARGIN_KM, clean_positions
from vessel_risk.events.encounters import detect_encounters
from vessel_risk.events.enrich import enrich_positions
from vessel_risk.events.fishing import FishingModel, fishing_scores
from vessel_risk.events.gaps import detect_gaps
from vessel_risk.events.loitering import detect_loitering
from vessel_risk.events.port_visits import detect_port_visits
from vessel_risk.events.schemas import (
    EncounterSchema,
    EnrichedPositionSchema,
    GapSchema,
    LoiteringSchema,
    PortVisitSchema,
    VoyageSchema,
)
from vessel_risk.events.voyages import detect_voyages
from vessel_risk.features.coverage import with_observed_share
from vessel_risk.features.schemas import VesselFeatureSchema
from vessel_risk.features.vessel_year import vessel_year_features
from vessel_risk.frames import columns
from vessel_risk.geo.zones import EezIndex
from vessel_risk.identity.history import identity_history
from vessel_risk.identity.identify import (
    VesselTables,
    identify_vessels,
    position_activity,
    with_vessel_identity,
)
from vessel_risk.identity.schemas import IdentityHistorySchema
from vessel_risk.identity.schemas import TransmitterCountSchema as Transmitters
from vessel_risk.identity.transmitters import simultaneous_transmitters
from vessel_risk.ingest import IDENTITY_FIELDS
from vessel_risk.ingest.schemas import IngestPositionSchema, QuarantineSchema

Scope = Literal["once", "per partition", "across partitions"]
OnStage = Callable[[str], None]


def _noop(stage: str) -> None:
    del stage


@dataclass(frozen=True)
class References:
    """Reference data a run reads once and every partition shares.

    Attributes
    ----------
    shore : callable
        ``f(lat, lon) -> km`` from shore, negative on land
        (:class:`~vessel_risk.geo.shore.ShoreDistance`).
    ports : DataFrame
        Port or anchorage list (:func:`~vessel_risk.geo.ports.read_ports`).
    iuu_keys : DataFrame, optional
        From :func:`~vessel_risk.identity.lists.load_iuu_list`.
    carriers : collection of str
        MMSIs of carriers (reefers): their loitering needs 4 h and encounters with
        them are marked.
    psma_parties : DataFrame, optional
        From :func:`~vessel_risk.geo.ports.read_psma_parties`.
    eez : EezIndex, optional
        EEZ polygons (:func:`~vessel_risk.geo.zones.read_eez`).
    fishing_model : FishingModel, optional
        The fishing classifier for positions without GFW's ``nnet_score``.
    vessel_lists : DataFrame, optional
        Vessel lists that carry flags, for flag inference
        (:func:`~vessel_risk.identity.lists.load_vessel_list`).
    on_land_margin_km : float or None, default 10
        Positions further inland are quarantined as ``on_land``; None keeps them.
    """

    shore: Callable[..., Any]
    ports: pd.DataFrame
    iuu_keys: pd.DataFrame | None = None
    carriers: Collection[str] = ()
    psma_parties: pd.DataFrame | None = None
    eez: EezIndex | None = None
    fishing_model: FishingModel | None = None
    vessel_lists: pd.DataFrame | None = None
    on_land_margin_km: float | None = ON_LAND_MARGIN_KM


@dataclass
class PartitionWork:
    """The frames of one partition of whole vessels as the stages fill them in.

    Attributes
    ----------
    positions : DataFrame
        Ingested positions (:class:`~vessel_risk.ingest.schemas.IngestPositionSchema`)
        until ``distances`` makes them enriched positions
        (:class:`~vessel_risk.events.schemas.EnrichedPositionSchema`); ``fishing``
        adds ``fishing_score`` and ``fishing_source``.
    static : DataFrame
        Static (identity) reports with a time.
    area_messages : DataFrame, optional
        Messages per UTC day and 1° cell of all vessels, when the partition holds only
        some (:func:`~vessel_risk.events.gaps.area_message_counts`); default: counted
        from ``positions``.
    encounters : DataFrame, optional
        This partition's side of the encounters found across partitions; None: the
        ``encounters`` stage finds them among ``positions``.
    vessels : VesselTables, optional
        The run's vessel identities (:func:`~vessel_risk.identity.identify.identify_vessels`,
        across partitions); None: the ``vessels`` stage finds them in this partition.
    Everything else is an output of a stage, empty until it runs.
    """

    positions: pd.DataFrame
    static: pd.DataFrame
    area_messages: pd.DataFrame | None = None
    encounters: pd.DataFrame | None = None
    vessels: VesselTables | None = None
    quarantine: pd.DataFrame = field(default_factory=pd.DataFrame)
    cleaning: dict[str, int] = field(default_factory=dict)
    transmitters: pd.DataFrame | None = None
    several_tracks: int = 0
    tracks: int = 0
    visits: pd.DataFrame = field(default_factory=pd.DataFrame)
    voyages: pd.DataFrame = field(default_factory=pd.DataFrame)
    gaps: pd.DataFrame = field(default_factory=pd.DataFrame)
    loitering: pd.DataFrame = field(default_factory=pd.DataFrame)
    features: pd.DataFrame = field(default_factory=pd.DataFrame)
    identity: pd.DataFrame = field(default_factory=pd.DataFrame)
    step_km: Any = None
    """``segment_km`` of ``positions`` as cleaning measured it, until ``distances``
    uses it (None: measured there)."""

    def events(self) -> Events:
        """The partition's event tables, features and identity history."""
        assert self.encounters is not None, "second_pass has not run"
        return Events(
            self.visits,
            self.voyages,
            self.gaps,
            self.loitering,
            self.encounters,
            self.features,
            self.identity,
        )


@dataclass
class Events:
    """Event tables, vessel-year features and identity history of a partition or a run."""

    visits: pd.DataFrame
    voyages: pd.DataFrame
    gaps: pd.DataFrame
    loitering: pd.DataFrame
    encounters: pd.DataFrame
    features: pd.DataFrame
    identity: pd.DataFrame

    @classmethod
    def stack(cls, parts: Sequence[Events], encounters: pd.DataFrame) -> Events:
        """Per-partition events as one, each table ordered by ``mmsi`` as one partition.

        A vessel is in one partition and each partition's rows are in MMSI order, so a
        stable sort by MMSI gives the order of a run on one partition. ``encounters``
        were found across partitions and are taken whole.
        """

        def stack(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
            return concat(frames).sort_values("mmsi", kind="stable", ignore_index=True)

        return cls(
            visits=stack(e.visits for e in parts),
            voyages=stack(e.voyages for e in parts),
            gaps=stack(e.gaps for e in parts),
            loitering=stack(e.loitering for e in parts),
            encounters=encounters,
            # observed_share over the run's time window, not one partition's.
            features=with_observed_share(stack(e.features for e in parts)),
            identity=stack(e.identity for e in parts),
        )


def concat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Frames stacked, leaving out empty ones (their columns may be untyped)."""
    frames = list(frames)
    return pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)


def _clean(work: PartitionWork, refs: References) -> None:
    cleaned = clean_positions(
        work.positions, distance_from_shore=refs.shore, on_land_margin_km=refs.on_land_margin_km
    )
    work.positions = cleaned.positions
    work.quarantine, work.cleaning = cleaned.quarantine, cleaned.counts
    work.step_km = cleaned.segment_km


def _transmitters(work: PartitionWork, refs: References) -> None:
    positions = work.positions
    work.transmitters = simultaneous_transmitters(positions, positions["track_id"])
    tracks = positions.groupby("mmsi", sort=False)["track_id"].nunique()
    work.several_tracks = int(tracks.gt(1).sum())
    work.tracks = int(tracks.sum())


def _distances(work: PartitionWork, refs: References) -> None:
    step_km, work.step_km = work.step_km, None
    if step_km is not None and len(step_km) != len(work.positions):
        step_km = None  # positions changed since cleaning: measure afresh
    work.positions = enrich_positions(work.positions, refs.ports, refs.eez, step_km=step_km)


def _encounters(work: PartitionWork, refs: References) -> None:
    work.encounters = detect_encounters(work.positions, carriers=refs.carriers)


def _vessels(work: PartitionWork, refs: References) -> None:
    assert work.encounters is not None, "the encounters stage has not run"
    work.vessels = identify_vessels(
        work.identity,
        work.encounters,
        position_activity(work.positions),
        vessel_lists=refs.vessel_lists,
        carriers=refs.carriers,
    )
    work.encounters = work.vessels.encounters


def _fishing(work: PartitionWork, refs: References) -> None:
    model = refs.fishing_model
    classifier = model.classifier if model is not None else None
    work.positions = work.positions.assign(**fishing_scores(work.positions, classifier))


def _port_visits(work: PartitionWork, refs: References) -> None:
    work.visits = detect_port_visits(work.positions, refs.ports)


def _voyages(work: PartitionWork, refs: References) -> None:
    work.voyages = detect_voyages(work.positions, work.visits)


def _gaps(work: PartitionWork, refs: References) -> None:
    work.gaps = detect_gaps(work.positions, area_messages=work.area_messages)


def _loitering(work: PartitionWork, refs: References) -> None:
    work.loitering = detect_loitering(work.positions, carriers=refs.carriers)


def _identity_reports(work: PartitionWork) -> pd.DataFrame:
    """Every report of the partition that carries identity: static reports and the
    position reports with a name, call sign, IMO or type."""
    positions, static = work.positions, work.static
    # Raw NMEA without a receive time: a static report that belongs to no time.
    static = static[static["timestamp"].notna()]
    ident_cols = ["mmsi", "timestamp", *IDENTITY_FIELDS]
    has_ident = positions[IDENTITY_FIELDS].notna().any(axis=1)
    dest = ["destination"] if "destination" in static.columns else []
    return pd.concat(
        [static[ident_cols + dest], positions.loc[has_ident, ident_cols]], ignore_index=True
    )


def _identity(work: PartitionWork, refs: References) -> None:
    work.identity = identity_history(_identity_reports(work))


def _features(work: PartitionWork, refs: References) -> None:
    positions = work.positions
    reports = _identity_reports(work)
    # A vessel with static reports only has no vessel-year to describe (its identity
    # still goes to the history); a partition may hold nothing else.
    described = positions["mmsi"].unique()
    work.features = vessel_year_features(
        positions,
        work.visits,
        work.voyages,
        work.gaps,
        reports[reports["mmsi"].isin(described)],
        encounters=work.encounters,
        loitering=work.loitering,
        iuu_keys=refs.iuu_keys,
        psma_parties=refs.psma_parties,
        transmitters=work.transmitters,
        identity=work.identity[work.identity["mmsi"].isin(described)],
    )
    assert work.vessels is not None, "the vessels stage has not run"
    work.features = with_vessel_identity(
        work.features, work.vessels, positions, work.identity, refs.carriers
    )


@dataclass(frozen=True)
class Stage:
    """One stage of the main job.

    Attributes
    ----------
    name : str
        As progress displays and ``on_stage`` callbacks name it.
    scope : {"once", "per partition", "across partitions"}
    apply : callable, optional
        ``f(work, refs)`` filling in a :class:`PartitionWork`; None for the stages the
        run itself performs (ingest, encounters across partitions, score, write).
    outputs : tuple of (str, pandera DataFrameModel)
        The :class:`PartitionWork` attributes the stage makes and their schemas,
        checked in debug mode.
    """

    name: str
    scope: Scope
    apply: Callable[[PartitionWork, References], None] | None = None
    outputs: tuple[tuple[str, type[pa.DataFrameModel]], ...] = ()


CHAIN: tuple[Stage, ...] = (
    Stage("ingest", "once", outputs=(("positions", IngestPositionSchema),)),
    Stage("clean", "per partition", _clean, (("quarantine", QuarantineSchema),)),
    Stage("transmitters", "per partition", _transmitters, (("transmitters", Transmitters),)),
    Stage("identity", "per partition", _identity, (("identity", IdentityHistorySchema),)),
    Stage("distances", "per partition", _distances, (("positions", EnrichedPositionSchema),)),
    Stage("encounters", "across partitions", _encounters, (("encounters", EncounterSchema),)),
    Stage("vessels", "across partitions", _vessels, (("encounters", EncounterSchema),)),
    Stage("fishing", "per partition", _fishing, (("positions", EnrichedPositionSchema),)),
    Stage("port visits", "per partition", _port_visits, (("visits", PortVisitSchema),)),
    Stage("voyages", "per partition", _voyages, (("voyages", VoyageSchema),)),
    Stage("gaps", "per partition", _gaps, (("gaps", GapSchema),)),
    Stage("loitering", "per partition", _loitering, (("loitering", LoiteringSchema),)),
    Stage("features", "per partition", _features, (("features", VesselFeatureSchema),)),
    Stage("score", "once"),
    Stage("write", "once"),
)
"""Every stage in the order a run starts them."""

STAGES: tuple[str, ...] = tuple(stage.name for stage in CHAIN)
"""Stage names in the order a run starts them (progress displays count these); the
per-partition ones repeat for each partition of vessels."""

PER_PARTITION: frozenset[str] = frozenset(s.name for s in CHAIN if s.scope == "per partition")
"""Names of the stages that run once per partition of vessels."""

_SPLIT = STAGES.index("encounters")
FIRST_PASS = tuple(s for s in CHAIN[:_SPLIT] if s.scope == "per partition")
ACROSS = tuple(s for s in CHAIN if s.scope == "across partitions")
SECOND_PASS = tuple(s for s in CHAIN[_SPLIT:] if s.scope == "per partition")


def check_frame(frame: pd.DataFrame, schema: type[pa.DataFrameModel]) -> None:
    """Validate ``frame`` against ``schema`` where it crosses a stage boundary.

    Parameters
    ----------
    frame : DataFrame
    schema : pandera DataFrameModel
        The frame's declared schema; a stage's extra working columns (``start_row``,
        ``fishing_score``...) are left out of the check, the declared ones are not.

    Raises
    ------
    pandera.errors.SchemaError
        If a declared column is missing or a value breaks the schema.
    """
    declared = [c for c in frame.columns if c in set(columns(schema))]
    schema.validate(frame[declared], lazy=False)


def _run(
    stages: tuple[Stage, ...],
    work: PartitionWork,
    refs: References,
    *,
    validate: bool,
    on_stage: OnStage,
) -> PartitionWork:
    for stage in stages:
        on_stage(stage.name)
        assert stage.apply is not None
        stage.apply(work, refs)
        for attribute, schema in stage.outputs if validate else ():
            check_frame(getattr(work, attribute), schema)
    return work


def first_pass(
    work: PartitionWork, refs: References, *, validate: bool = False, on_stage: OnStage = _noop
) -> PartitionWork:
    """Cleaning, transmitters, identity history and distances of one partition of whole
    vessels.

    Parameters
    ----------
    work : PartitionWork
        With ``positions`` as ingested (every position of each vessel it holds) and
        ``static``.
    refs : References
    validate : bool, default False
        Check each stage's output against its schema (debug mode).
    on_stage : callable, optional
        Called with each stage's name as it starts.

    Returns
    -------
    PartitionWork
        ``work``, with enriched ``positions`` (with ``track_id``), ``quarantine``,
        ``cleaning``, ``transmitters``, ``several_tracks``, ``tracks`` and ``identity``.
    """
    if validate:
        check_frame(work.positions, IngestPositionSchema)
    return _run(FIRST_PASS, work, refs, validate=validate, on_stage=on_stage)


def second_pass(
    work: PartitionWork, refs: References, *, validate: bool = False, on_stage: OnStage = _noop
) -> PartitionWork:
    """Fishing, port visits, voyages, gaps, loitering and vessel-year features.

    Parameters
    ----------
    work : PartitionWork
        After :func:`first_pass`. Without ``encounters`` they are found among this
        partition's positions first (a run with one partition).
    refs : References
    validate : bool, default False
        Check each stage's output against its schema (debug mode).
    on_stage : callable, optional
        Called with each stage's name as it starts.

    Returns
    -------
    PartitionWork
        ``work``, with ``positions`` carrying ``fishing_score`` and ``fishing_source``,
        and every event table, ``features`` and ``identity`` filled in.
    """
    stages = SECOND_PASS
    if work.encounters is None:
        stages = (*ACROSS, *stages)
    return _run(stages, work, refs, validate=validate, on_stage=on_stage)
