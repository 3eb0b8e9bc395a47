"""The main job: AIS files in, ranked and explained alerts out.

:func:`process` runs every stage on frames already in memory and does no I/O, so it
can run on any partition of vessels; :func:`run` reads the inputs, calls it and
writes the outputs, the database rows and the report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from vessel_risk import indicators as ind
from vessel_risk.alerts import (
    Alert,
    build_alerts,
    evidence_events,
    write_alerts_csv,
    write_alerts_geojson,
)
from vessel_risk.clean import ON_LAND_MARGIN_KM, clean_positions
from vessel_risk.encounters import detect_encounters
from vessel_risk.features import vessel_year_features
from vessel_risk.fishing import FishingModel, fishing_scores, load_fishing_model
from vessel_risk.gaps import detect_gaps
from vessel_risk.identity import identity_history, load_iuu_list, read_carriers
from vessel_risk.ingest import IDENTITY_FIELDS, IngestResult, read_many
from vessel_risk.lifecycle import record_run
from vessel_risk.loitering import detect_loitering
from vessel_risk.model import evidence_shares, model_input
from vessel_risk.port_visits import detect_port_visits
from vessel_risk.reference import (
    PortIndex,
    ShoreDistance,
    default_ports,
    read_ports,
    read_psma_parties,
)
from vessel_risk.referrals import auto_refer
from vessel_risk.routing import Fleet
from vessel_risk.schemas import (
    EncounterSchema,
    GapSchema,
    LoiteringSchema,
    PortVisitSchema,
    PositionSchema,
    VoyageSchema,
    columns,
)
from vessel_risk.store import make_engine, migrate
from vessel_risk.tracks import segment_km
from vessel_risk.transmitters import simultaneous_transmitters, split_transmitters
from vessel_risk.voyages import detect_voyages

STAGES = (
    "ingest",
    "clean",
    "transmitters",
    "distances",
    "fishing",
    "port visits",
    "voyages",
    "gaps",
    "loitering",
    "encounters",
    "features",
    "score",
    "write",
)


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


def with_distances(positions: pd.DataFrame, ports: pd.DataFrame) -> pd.DataFrame:
    """Cleaned positions with ``distance_from_port_km``, ``port_index`` and ``segment_km``.

    Parameters
    ----------
    positions : DataFrame
        From :func:`~vessel_risk.clean.clean_positions`, sorted by ``mmsi``,
        ``timestamp``.
    ports : DataFrame
        Port or anchorage list.

    Returns
    -------
    DataFrame
        A copy with the three columns added.
    """
    pos = positions.copy()
    nearest = PortIndex(ports).nearest(pos["lat"].to_numpy(), pos["lon"].to_numpy())
    pos["distance_from_port_km"] = nearest.distance_km
    pos["port_index"] = nearest.index
    pos["segment_km"] = segment_km(pos).to_numpy()
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
        (:func:`~vessel_risk.transmitters.simultaneous_transmitters`).
    on_stage : callable, optional
        Called with each stage's name as it starts.

    Returns
    -------
    Events

    Notes
    -----
    Each position gets a ``fishing_score`` first, from the best source available
    (:func:`~vessel_risk.fishing.fishing_scores`: GFW's ``nnet_score``, else the
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
    gaps = detect_gaps(positions)
    on_stage("loitering")
    loitering = detect_loitering(positions, carriers=carriers)
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
    features = vessel_year_features(
        positions,
        visits,
        voyages,
        gaps,
        reports,
        encounters=encounters,
        loitering=loitering,
        iuu_keys=iuu_keys,
        psma_parties=psma_parties,
        transmitters=transmitters,
        identity=identity,
    )
    return Events(visits, voyages, gaps, loitering, encounters, features, identity)


def process(
    ingested: IngestResult,
    *,
    shore: Callable[..., Any],
    ports: pd.DataFrame,
    iuu_keys: pd.DataFrame | None = None,
    carriers: Collection[str] = (),
    psma_parties: pd.DataFrame | None = None,
    on_land_margin_km: float | None = ON_LAND_MARGIN_KM,
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
        (:class:`~vessel_risk.reference.ShoreDistance`).
    ports : DataFrame
        Port or anchorage list (:func:`~vessel_risk.reference.default_ports`).
    iuu_keys : DataFrame, optional
        From :func:`~vessel_risk.identity.load_iuu_list`.
    carriers : collection of str, optional
        MMSIs of carriers (reefers): their loitering needs 4 h and encounters with
        them are marked.
    psma_parties : DataFrame, optional
        From :func:`~vessel_risk.reference.read_psma_parties`.
    on_land_margin_km : float or None, default 10
        Positions further inland are quarantined as ``on_land``; None keeps them.
    model : fitted estimator, optional
        A trained risk model (the registry's champion, with ``feature_names_in_`` and
        ``predict_proba``); None scores with the indicator baseline.
    model_version : str, optional
        How alerts name the model (default: the baseline's version).
    fishing_model : FishingModel, optional
        The fishing classifier (:func:`~vessel_risk.fishing.load_fishing_model`) for
        positions without GFW's ``nnet_score``; None falls back to the speed heuristic.
    on_stage : callable, optional
        Called with each stage's name as it starts (for progress display).

    Returns
    -------
    ProcessResult

    Notes
    -----
    One MMSI broadcast by several transmitters at once is split into tracks
    (:func:`~vessel_risk.transmitters.split_transmitters`) to report the number seen at
    once (feature ``max_simultaneous_transmitters``, an identity indicator that does not
    enter the score). Positions are not dropped by track: on the squid-jigger file the
    split agrees poorly with GFW's ``seg_id`` (adjusted Rand index about 0 on 150402951,
    0.3 on 412334074), so keeping only a "dominant" track would have set aside 39 % of
    the positions on a guess. Isolated jumps are still removed by cleaning.
    """
    on_stage("clean")
    cleaned = clean_positions(
        ingested.positions, distance_from_shore=shore, on_land_margin_km=on_land_margin_km
    )
    on_stage("transmitters")
    # Counted before cleaning drops the jumps: a second transmitter is a run of them.
    seen = pd.concat([cleaned.positions, cleaned.spikes], ignore_index=True)
    track = split_transmitters(seen)
    transmitters = simultaneous_transmitters(seen, track)
    on_stage("distances")
    pos = with_distances(cleaned.positions, ports)
    # Raw NMEA without a receive time: a static report that belongs to no year.
    dated = ingested.static["timestamp"].notna()
    undated_reports = int((~dated).sum())
    events = derive_events(
        pos,
        ingested.static[dated],
        ports,
        carriers=carriers,
        iuu_keys=iuu_keys,
        psma_parties=psma_parties,
        fishing_model=fishing_model,
        transmitters=transmitters,
        on_stage=on_stage,
    )
    visits, voyages, gaps = events.visits, events.voyages, events.gaps
    loitering, encounters, features = events.loitering, events.encounters, events.features
    on_stage("score")
    version = ind.BASELINE_VERSION
    tie_break = None
    if model is None:
        scores = ind.indicator_score(features)
        contrib = ind.contributions(features)
    else:
        version = model_version or type(model).__name__
        scores, contrib = score_with_model(model, features)
        if hasattr(model, "decision_function") and len(features):
            X = model_input(features, [str(f) for f in model.feature_names_in_])
            tie_break = pd.Series(model.decision_function(X), index=features.index)
    alerts = build_alerts(features, scores, contrib, model_version=version, tie_break=tie_break)
    quarantine = pd.concat([ingested.quarantine, cleaned.quarantine], ignore_index=True)
    counts: dict[str, Any] = {
        "rows_in": ingested.rows_in,
        "positions_read": len(ingested.positions),
        "static_reports": len(ingested.static),
        "positions_kept": len(pos),
        "quarantined": len(quarantine),
        "quarantined_by_reason": {
            str(k): int(v) for k, v in quarantine["reason"].value_counts().items()
        },
        "cleaning": cleaned.counts,
        "naive_timestamps_read_as_utc": int(
            sum(int(f["naive_timestamps"]) for f in ingested.files)  # type: ignore[call-overload]
        ),
        "undated_static_reports_not_in_features": undated_reports,
        "files": ingested.files,
        "vessels": int(pos["mmsi"].nunique()),
        "vessel_years": len(features),
        "port_visits": len(visits),
        "voyages": len(voyages),
        "ais_gaps": len(gaps),
        "gaps_by_class": {str(k): int(v) for k, v in gaps["gap_class"].value_counts().items()},
        "loitering_events": len(loitering),
        "encounters": len(encounters) // 2,
        "transmitters": {
            "mmsis_with_several_tracks": int(
                pd.Series(track.to_numpy()).groupby(seen["mmsi"].to_numpy()).nunique().gt(1).sum()
            ),
            "vessel_years_with_simultaneous_transmitters": int(
                features["max_simultaneous_transmitters"].gt(1).sum()
            ),
        },
        "fishing_model": fishing_model.label if fishing_model is not None else None,
        "fishing_source_vessel_years": {
            str(k): int(v) for k, v in features["fishing_source"].value_counts().items()
        },
        "alerts_by_tier": {
            str(k): int(v) for k, v in pd.Series([a.tier for a in alerts]).value_counts().items()
        },
    }
    return ProcessResult(
        pos,
        visits,
        voyages,
        gaps,
        loitering,
        encounters,
        features,
        alerts,
        quarantine,
        counts,
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


def run(
    ais: list[Path],
    out_dir: Path,
    *,
    ports_path: Path | None = None,
    iuu_path: Path | None = None,
    database_url: str | None = None,
    carriers_path: Path | None = None,
    psma_path: Path | None = None,
    inland_waters: bool = False,
    model: Any | None = None,
    model_version: str | None = None,
    fleets: Sequence[Fleet] = (),
    fishing_model_dir: Path | None = None,
    on_stage: Callable[[str], None] = _noop,
) -> RunSummary:
    """Read AIS files, process them and write every output into ``out_dir``.

    Writes ``positions.parquet``, ``port_visits.parquet``, ``voyages.parquet``,
    ``gaps.parquet``, ``loitering.parquet``, ``encounters.parquet``,
    ``vessel_features.parquet``, ``quarantine.parquet``,
    ``alerts.csv``, ``alerts.geojson``, ``ingest_report.json`` and ``report.html``, and
    stores the alerts in the database (a SQLite file ``vessel_risk.db`` in
    ``out_dir`` unless ``database_url`` is given).

    Parameters
    ----------
    ais : list of Path
        AIS files (Parquet, GeoParquet, CSV, gzipped CSV, raw NMEA) in any
        supported dialect (:mod:`vessel_risk.ingest`).
    out_dir : Path
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
    inland_waters : bool, default False
        Keep positions the 0.1° shore grid puts on land (lakes, rivers); by default
        positions more than 10 km inland are quarantined as ``on_land``.
    model, model_version : optional
        A trained risk model and its name, as :func:`process`; default: the indicator
        baseline.
    fleets : sequence of Fleet, optional
        Crew-origin countries per fleet, for consular routing of automatic referrals
        (:func:`vessel_risk.referrals.auto_refer`, which acts only where an agency in the
        database has ``auto_refer`` set).
    fishing_model_dir : Path, optional
        Folder of the fishing classifier (``model.txt``, ``card.json``); without one,
        or when it holds no model, positions without ``nnet_score`` are scored by the
        speed heuristic.
    on_stage : callable, optional
        Progress callback.

    Returns
    -------
    RunSummary

    Raises
    ------
    FileNotFoundError
        If an input file does not exist.
    """
    from vessel_risk.report import write_report

    # Reference files first: a typo there should not cost a whole ingest.
    ports = read_ports(ports_path) if ports_path else default_ports()
    iuu_keys = load_iuu_list(str(iuu_path)) if iuu_path else None
    carriers = read_carriers(carriers_path) if carriers_path else frozenset()
    psma = read_psma_parties(psma_path) if psma_path else None
    fishing_model = load_fishing_model(fishing_model_dir) if fishing_model_dir else None
    out_dir.mkdir(parents=True, exist_ok=True)
    on_stage("ingest")
    ingested = read_many(list(ais))
    result = process(
        ingested,
        shore=ShoreDistance(),
        ports=ports,
        iuu_keys=iuu_keys,
        carriers=carriers,
        psma_parties=psma,
        on_land_margin_km=None if inland_waters else ON_LAND_MARGIN_KM,
        model=model,
        model_version=model_version,
        fishing_model=fishing_model,
        on_stage=on_stage,
    )
    on_stage("write")
    PositionSchema.validate(result.positions[columns(PositionSchema)]).to_parquet(
        out_dir / "positions.parquet", index=False
    )
    PortVisitSchema.validate(result.visits[columns(PortVisitSchema)]).to_parquet(
        out_dir / "port_visits.parquet", index=False
    )
    VoyageSchema.validate(result.voyages).to_parquet(out_dir / "voyages.parquet", index=False)
    GapSchema.validate(result.gaps).to_parquet(out_dir / "gaps.parquet", index=False)
    LoiteringSchema.validate(result.loitering).to_parquet(
        out_dir / "loitering.parquet", index=False
    )
    EncounterSchema.validate(result.encounters).to_parquet(
        out_dir / "encounters.parquet", index=False
    )
    result.features.to_parquet(out_dir / "vessel_features.parquet", index=False)
    result.quarantine.astype({"line": "float64"}).to_parquet(
        out_dir / "quarantine.parquet", index=False
    )
    write_alerts_csv(result.alerts, out_dir / "alerts.csv")
    write_alerts_geojson(result.alerts, out_dir / "alerts.geojson")
    (out_dir / "ingest_report.json").write_text(json.dumps(result.counts, indent=2, default=str))
    url = database_url or f"sqlite:///{(out_dir / 'vessel_risk.db').resolve()}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session, session.begin():
        run_id = record_run(
            session,
            alerts=result.alerts,
            features=result.features,
            evidence=evidence_events(
                result.visits, result.gaps, result.encounters, result.loitering
            ),
            identity=result.identity,
            visits=result.visits,
            inputs=[str(p) for p in ais],
            model_version=result.model_version,
            counts=result.counts,
        )
        # Only where an agency's own rule allows it; otherwise a person approves.
        auto = auto_refer(session, ports=PortIndex(ports), fleets=fleets)
    engine.dispose()
    report = write_report(result, out_dir / "report.html")
    return RunSummary(
        out_dir, report, len(result.alerts), run_id, url, result.counts, auto_referred=len(auto)
    )
