"""Vessels: profile (identity history, IUU status, features by year), track, events.

A vessel is in the caller's scope only for the vessel-years whose alerts are
(:class:`~vessel_risk.api.deps.VesselScope`): its periods, identity history, events and
track stop at the edge of those years.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.api import crud
from vessel_risk.api.deps import ReadSessionDep, ScopedVessel, VesselScope
from vessel_risk.api.geojson import GeoJSONResponse
from vessel_risk.api.models import (
    EvidenceEventPublic,
    GeoJSONFeature,
    IdentityRecord,
    TrackCollection,
    VesselEvents,
    VesselPeriodPublic,
    VesselPublic,
)
from vessel_risk.api.problems import problem_responses
from vessel_risk.db.tables import Vessel, VesselPeriod
from vessel_risk.geo.tracks import track_feature

router = APIRouter(
    prefix="/vessels", tags=["vessels"], responses=problem_responses(401, 403, 404, 422, 429)
)


def read_positions(request: Request, mmsi: str) -> pd.DataFrame:
    """The vessel's kept positions from the run folder (``settings.run_dir``).

    Raises
    ------
    LookupError
        If no run folder with ``positions.parquet`` is configured.
    """
    run_dir = request.app.state.settings.run_dir
    path = None if run_dir is None else run_dir / "positions.parquet"
    if path is None or not path.exists():
        raise LookupError(
            "No track source: set VESSEL_RISK_RUN_DIR (or `vessel-risk serve --run-dir`) to "
            "the output folder of a `vessel-risk run`."
        )
    return pd.read_parquet(
        path,
        columns=["mmsi", "track_id", "timestamp", "lat", "lon"],
        filters=[("mmsi", "==", mmsi)],
    )


def _within(record: dict[str, Any], years: frozenset[int]) -> bool:
    """Whether an identity-history record overlaps one of ``years`` (UTC)."""
    try:
        first = pd.Timestamp(str(record.get("first_seen"))).year
        last = pd.Timestamp(str(record.get("last_seen"))).year
    except (TypeError, ValueError):
        return False
    return any(first <= y <= last for y in years)


def profile(session: Session, vessel_scope: VesselScope) -> VesselPublic:
    """The vessel's profile within the caller's vessel-years, as the route returns it."""
    alerts = {a.vessel_period_id: a for a in vessel_scope.alerts}
    vessel = session.get(Vessel, vessel_scope.mmsi)
    if vessel is None:
        raise HTTPException(404, f"No vessel {vessel_scope.mmsi}.")
    stmt = select(VesselPeriod).where(VesselPeriod.mmsi == vessel_scope.mmsi)
    if not vessel_scope.unrestricted:
        stmt = stmt.where(VesselPeriod.id.in_(sorted(alerts)))
    periods = [
        (p, alerts.get(p.id))
        for p in session.scalars(stmt.order_by(VesselPeriod.year, VesselPeriod.track_id))
    ]
    history = [
        IdentityRecord.model_validate(
            {k: h.get(k) for k in ("field", "value", "first_seen", "last_seen", "messages")}
        )
        for h in vessel.identity_history or []
        if vessel_scope.unrestricted or _within(h, vessel_scope.years)
    ]
    return VesselPublic(
        mmsi=vessel.mmsi,
        vessel_id=vessel.vessel_id,
        shipname=vessel.shipname,
        callsign=vessel.callsign,
        imo=vessel.imo,
        flag_iso3=vessel.flag_iso3,
        gear=vessel.gear,
        mmsi_valid=vessel.mmsi_valid,
        iuu_listed=vessel.iuu_listed,
        first_seen=vessel.first_seen,
        last_seen=vessel.last_seen,
        identity_history=history,
        periods=[
            VesselPeriodPublic(
                track_id=p.track_id,
                year=p.year,
                start=p.start,
                end=p.end,
                position_messages=p.position_messages,
                days_observed=p.days_observed,
                features=crud.jsonable(p.features),
                alert_id=None if a is None else a.id,
                score=None if a is None else a.score,
                tier=None if a is None else a.tier,
            )
            for p, a in periods
        ],
    )


@router.get("/{mmsi}", response_model=VesselPublic)
def get_vessel(session: ReadSessionDep, vessel: ScopedVessel) -> VesselPublic:
    """Identity history, IUU status and features of a vessel, in the years in scope."""
    return profile(session, vessel)


def track(request: Request, vessel: VesselScope) -> TrackCollection:
    """The vessel's track within its (track, year) spans in scope, as the route returns it."""
    mmsi = vessel.mmsi
    try:
        positions = read_positions(request, mmsi)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    if not vessel.unrestricted:
        years = pd.to_datetime(positions["timestamp"], utc=True).dt.year
        spans = vessel.spans
        keep = pd.Series(
            [(int(t), int(y)) in spans for t, y in zip(positions["track_id"], years, strict=True)],
            index=positions.index,
            dtype=bool,
        )
        positions = positions.loc[keep]
    # One feature per transmitter track: two transmitters sending one MMSI are two
    # lines, never one zig-zag between them.
    ids = sorted(set(positions["track_id"].astype(int))) or [0]
    features = [
        GeoJSONFeature.model_validate(
            track_feature(positions[positions["track_id"] == t], mmsi=mmsi, track_id=t)
        )
        for t in ids
    ]
    return TrackCollection(features=features)


@router.get("/{mmsi}/track", response_model=TrackCollection, response_class=GeoJSONResponse)
def get_track(request: Request, vessel: ScopedVessel) -> TrackCollection:
    """The vessel's track: an RFC 7946 FeatureCollection (``application/geo+json``), one
    feature per transmitter track (``track_id``), split at the antimeridian; only the
    years in scope."""
    return track(request, vessel)


@router.get("/{mmsi}/events", response_model=VesselEvents)
def get_events(session: ReadSessionDep, vessel: ScopedVessel) -> VesselEvents:
    """Port visits, AIS gaps, encounters and loitering behind the vessel's current scores
    in the years in scope."""
    events = crud.evidence_of(
        session, [a.score_id for a in vessel.alerts if a.score_id is not None]
    )
    return VesselEvents(
        mmsi=vessel.mmsi, events=[EvidenceEventPublic.model_validate(e) for e in events]
    )
