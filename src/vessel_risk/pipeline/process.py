"""The whole chain on AIS already in memory: one partition, no I/O.

:func:`process_partition` is the per-partition function every run maps (the two
passes of :mod:`vessel_risk.pipeline.stages`), public for a notebook: an
:class:`~vessel_risk.ingest.IngestResult` (``IngestResult.from_frame(df)`` for your own
DataFrame) and a :class:`~vessel_risk.pipeline.config.RunConfig` (``RunConfig()`` for
the defaults) in, the event and feature frames out. :func:`process` adds scoring and
counts (what a test calls); :func:`vessel_risk.pipeline.run` runs the same stages one
partition of vessels at a time and writes the outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from vessel_risk.alerts.build import Alert
from vessel_risk.events.clean import ON_LAND_MARGIN_KM
from vessel_risk.events.fishing import FishingModel
from vessel_risk.geo.zones import EezIndex
from vessel_risk.ingest import IngestResult
from vessel_risk.model import indicators as ind
from vessel_risk.pipeline.config import RunConfig
from vessel_risk.pipeline.counts import RunTally, run_counts
from vessel_risk.pipeline.scoring import alert_queue, score_alerts
from vessel_risk.pipeline.stages import (
    PartitionWork,
    References,
    _noop,
    first_pass,
    second_pass,
)
from vessel_risk.settings import Settings


@dataclass
class PartitionFrames:
    """The frames :func:`process_partition` derives from one partition of vessels.

    Attributes
    ----------
    positions : DataFrame
        Enriched positions (:class:`~vessel_risk.events.schemas.EnrichedPositionSchema`):
        cleaned, with distances, port, zone, ``fishing_score`` and ``fishing_source``.
    visits, voyages, gaps, loitering, encounters : DataFrame
        The event tables (:mod:`vessel_risk.events.schemas`).
    features : DataFrame
        Vessel-year features (:class:`~vessel_risk.features.schemas.VesselFeatureSchema`),
        as in ``vessel_features.parquet``.
    identity : DataFrame
        Identity history (names, call signs, flags over time).
    quarantine : DataFrame
        Rows ingest and cleaning set aside, each with its reason.
    """

    positions: pd.DataFrame
    visits: pd.DataFrame
    voyages: pd.DataFrame
    gaps: pd.DataFrame
    loitering: pd.DataFrame
    encounters: pd.DataFrame
    features: pd.DataFrame
    identity: pd.DataFrame
    quarantine: pd.DataFrame


def process_partition(
    ingested: IngestResult,
    config: RunConfig | None = None,
    *,
    references: References | None = None,
    on_stage: Callable[[str], None] = _noop,
) -> PartitionFrames:
    """Run the per-partition stages on AIS in memory: events and vessel-year features.

    The function every run maps over partitions of whole vessels (first pass: cleaning,
    transmitter tracks, identity, distances, encounters and vessel identities within
    the partition; second pass: fishing, port visits, voyages, gaps, loitering,
    features), here on one partition holding every vessel of ``ingested``. No scoring,
    no file written: :func:`vessel_risk.run` does the whole job.

    Parameters
    ----------
    ingested : IngestResult
        From :func:`vessel_risk.ingest.read_many` or ``IngestResult.from_frame(df)``.
    config : RunConfig, optional
        Reference files, fishing classifier and checks; default ``RunConfig()`` (ports
        shipped with ``searoute``, the shipped fishing classifier, no lists).
    references : References, optional
        Reference data already read (:func:`vessel_risk.pipeline.load_references`), to
        save reading them again for each call; default: read from ``config``.
    on_stage : callable, optional
        Called with each stage's name as it starts.

    Returns
    -------
    PartitionFrames

    Raises
    ------
    ValueError
        If a reference file of ``config`` cannot be read.
    """
    from vessel_risk.pipeline.run import load_references

    config = config if config is not None else RunConfig()
    refs = references if references is not None else load_references(config)
    validate = config.validate_frames or Settings().validate_frames
    return _passes(ingested, refs, validate=validate, on_stage=on_stage)[0]


def _passes(
    ingested: IngestResult, refs: References, *, validate: bool, on_stage: Callable[[str], None]
) -> tuple[PartitionFrames, PartitionWork]:
    """Both passes of :mod:`~vessel_risk.pipeline.stages` on one partition of every
    vessel of ``ingested``: its frames (positions as the first pass left them) and work."""
    static = ingested.static[ingested.static["timestamp"].notna()]
    work = PartitionWork(ingested.positions, static)
    first_pass(work, refs, validate=validate, on_stage=on_stage)
    enriched = work.positions
    events = second_pass(work, refs, validate=validate, on_stage=on_stage).events()
    frames = PartitionFrames(
        positions=enriched,
        visits=events.visits,
        voyages=events.voyages,
        gaps=events.gaps,
        loitering=events.loitering,
        encounters=events.encounters,
        features=events.features,
        identity=events.identity,
        quarantine=pd.concat([ingested.quarantine, work.quarantine], ignore_index=True),
    )
    return frames, work


@dataclass
class ProcessResult(PartitionFrames):
    """Everything :func:`process` derives from one batch of AIS: the frames of
    :class:`PartitionFrames`, the alerts, the run's counts and the model's version."""

    alerts: list[Alert] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    model_version: str = ind.BASELINE_VERSION


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
    validate_frames: bool | None = None,
    all_vessel_classes: bool = False,
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
    all_vessel_classes : bool, default False
        Score every vessel class, not only those of the alert queue
        (:func:`~vessel_risk.pipeline.scoring.alert_queue`).
    validate_frames : bool, optional
        Check every frame against its schema at each stage boundary (debug mode);
        default: ``VESSEL_RISK_VALIDATE_FRAMES`` (:class:`~vessel_risk.settings.Settings`).

    Returns
    -------
    ProcessResult

    Notes
    -----
    One MMSI broadcast by several transmitters at once is split into transmitter
    tracks before the speed filter
    (:func:`~vessel_risk.identity.transmitters.transmitter_tracks`); each track has its
    own events, features and alert under ``mmsi`` and ``track_id``, and the most
    tracks heard at once is the feature ``max_simultaneous_transmitters``. No track is
    dropped as "not the vessel": which hull is the one at risk is for a person to
    judge.

    Everything is in memory at once; :func:`run` runs the same stages one partition of
    vessels at a time.
    """
    refs = References(
        shore=shore,
        ports=ports,
        iuu_keys=iuu_keys,
        carriers=carriers,
        psma_parties=psma_parties,
        eez=eez,
        fishing_model=fishing_model,
        on_land_margin_km=on_land_margin_km,
    )
    if validate_frames is None:
        validate_frames = Settings().validate_frames
    frames, work = _passes(ingested, refs, validate=validate_frames, on_stage=on_stage)
    events = work.events()
    on_stage("score")
    queue = alert_queue(events.features, all_classes=all_vessel_classes)
    alerts, version = score_alerts(
        events.features[queue], model, model_version, voyages=events.voyages
    )
    tally = RunTally()
    tally.quarantine(ingested.quarantine)
    tally.add(ingested.positions, ingested.static, work, frames.positions)
    return ProcessResult(
        **{f.name: getattr(frames, f.name) for f in fields(PartitionFrames)},
        alerts=alerts,
        counts=run_counts(
            tally,
            ingested.files,
            events,
            alerts,
            fishing_model,
            queue=queue,
            one_hull=work.vessels.one_hull if work.vessels is not None else None,
        ),
        model_version=version,
    )
