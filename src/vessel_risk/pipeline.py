"""The main job: AIS files in, ranked and explained alerts out.

:func:`process` runs every stage on frames already in memory and does no I/O, so it
can run on any partition of vessels; :func:`run` reads the inputs, calls it and
writes the outputs, the database rows and the report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from vessel_risk import indicators as ind
from vessel_risk.alerts import Alert, build_alerts, write_alerts_csv, write_alerts_geojson
from vessel_risk.clean import ON_LAND_MARGIN_KM, clean_positions
from vessel_risk.features import vessel_year_features
from vessel_risk.gaps import detect_gaps
from vessel_risk.identity import load_iuu_list
from vessel_risk.ingest import IDENTITY_FIELDS, IngestResult, read_many
from vessel_risk.port_visits import detect_port_visits
from vessel_risk.reference import PortIndex, ShoreDistance, default_ports, read_ports
from vessel_risk.schemas import (
    GapSchema,
    PortVisitSchema,
    PositionSchema,
    VoyageSchema,
    columns,
)
from vessel_risk.store import make_engine, save_run
from vessel_risk.tracks import segment_km
from vessel_risk.voyages import detect_voyages

STAGES = (
    "ingest",
    "clean",
    "distances",
    "port visits",
    "voyages",
    "gaps",
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
    features: pd.DataFrame
    alerts: list[Alert]
    quarantine: pd.DataFrame
    counts: dict[str, Any] = field(default_factory=dict)
    model_version: str = ind.BASELINE_VERSION


def _noop(stage: str) -> None:
    del stage


def process(
    ingested: IngestResult,
    *,
    shore: Callable[..., Any],
    ports: pd.DataFrame,
    iuu_keys: pd.DataFrame | None = None,
    on_land_margin_km: float | None = ON_LAND_MARGIN_KM,
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
    on_land_margin_km : float or None, default 10
        Positions further inland are quarantined as ``on_land``; None keeps them.
    on_stage : callable, optional
        Called with each stage's name as it starts (for progress display).

    Returns
    -------
    ProcessResult
    """
    on_stage("clean")
    cleaned = clean_positions(
        ingested.positions, distance_from_shore=shore, on_land_margin_km=on_land_margin_km
    )
    pos = cleaned.positions
    on_stage("distances")
    nearest = PortIndex(ports).nearest(pos["lat"].to_numpy(), pos["lon"].to_numpy())
    pos["distance_from_port_km"] = nearest.distance_km
    pos["port_index"] = nearest.index
    pos["segment_km"] = segment_km(pos).to_numpy()
    on_stage("port visits")
    visits = detect_port_visits(pos, ports)
    on_stage("voyages")
    voyages = detect_voyages(pos, visits)
    on_stage("gaps")
    gaps = detect_gaps(pos)
    on_stage("features")
    ident_cols = ["mmsi", "timestamp", *IDENTITY_FIELDS]
    has_ident = pos[IDENTITY_FIELDS].notna().any(axis=1)
    reports = pd.concat(
        [ingested.static[ident_cols], pos.loc[has_ident, ident_cols]], ignore_index=True
    )
    # Raw NMEA without a receive time: a static report that belongs to no year.
    undated_reports = int(reports["timestamp"].isna().sum())
    reports = reports[reports["timestamp"].notna()]
    features = vessel_year_features(pos, visits, voyages, gaps, reports, iuu_keys=iuu_keys)
    on_stage("score")
    scores = ind.indicator_score(features)
    contrib = ind.contributions(features)
    alerts = build_alerts(features, scores, contrib, model_version=ind.BASELINE_VERSION)
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
        "gaps_12_hours": len(gaps),
        "alerts_by_tier": {
            str(k): int(v) for k, v in pd.Series([a.tier for a in alerts]).value_counts().items()
        },
    }
    return ProcessResult(pos, visits, voyages, gaps, features, alerts, quarantine, counts)


@dataclass
class RunSummary:
    """Where :func:`run` wrote its outputs and what they hold."""

    out_dir: Path
    report: Path
    alerts: int
    run_id: int
    database_url: str
    counts: dict[str, Any]


def run(
    ais: list[Path],
    out_dir: Path,
    *,
    ports_path: Path | None = None,
    iuu_path: Path | None = None,
    database_url: str | None = None,
    inland_waters: bool = False,
    on_stage: Callable[[str], None] = _noop,
) -> RunSummary:
    """Read AIS files, process them and write every output into ``out_dir``.

    Writes ``positions.parquet``, ``port_visits.parquet``, ``voyages.parquet``,
    ``gaps.parquet``, ``vessel_features.parquet``, ``quarantine.parquet``,
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
    inland_waters : bool, default False
        Keep positions the 0.1° shore grid puts on land (lakes, rivers); by default
        positions more than 10 km inland are quarantined as ``on_land``.
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
    out_dir.mkdir(parents=True, exist_ok=True)
    on_stage("ingest")
    ingested = read_many(list(ais))
    result = process(
        ingested,
        shore=ShoreDistance(),
        ports=ports,
        iuu_keys=iuu_keys,
        on_land_margin_km=None if inland_waters else ON_LAND_MARGIN_KM,
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
    result.features.to_parquet(out_dir / "vessel_features.parquet", index=False)
    result.quarantine.astype({"line": "float64"}).to_parquet(
        out_dir / "quarantine.parquet", index=False
    )
    write_alerts_csv(result.alerts, out_dir / "alerts.csv")
    write_alerts_geojson(result.alerts, out_dir / "alerts.geojson")
    (out_dir / "ingest_report.json").write_text(json.dumps(result.counts, indent=2, default=str))
    url = database_url or f"sqlite:///{(out_dir / 'vessel_risk.db').resolve()}"
    run_id = save_run(
        make_engine(url),
        result.alerts,
        inputs=[str(p) for p in ais],
        model_version=result.model_version,
        counts=json.loads(json.dumps(result.counts, default=str)),
    )
    report = write_report(result, out_dir / "report.html")
    return RunSummary(out_dir, report, len(result.alerts), run_id, url, result.counts)
