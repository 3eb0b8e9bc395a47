"""Vessels: profile (identity history, IUU status, features by year), track, events."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, HTTPException, Path, Request

from vessel_risk.api import crud
from vessel_risk.api.deps import AlertReader, ReadSessionDep
from vessel_risk.api.models import (
    MMSI_PATTERN,
    EvidenceEventPublic,
    GeoJSONFeature,
    IdentityRecord,
    TrackCollection,
    VesselEvents,
    VesselPeriodPublic,
    VesselPublic,
)
from vessel_risk.api.problems import problem_responses
from vessel_risk.geo.tracks import track_feature

router = APIRouter(
    prefix="/vessels", tags=["vessels"], responses=problem_responses(401, 403, 404, 422, 429)
)

Mmsi = Annotated[str, Path(pattern=MMSI_PATTERN, description="9-character MMSI.")]


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


def profile(session: ReadSessionDep, caller: AlertReader, mmsi: str) -> VesselPublic:
    """The vessel's profile, as the route returns it."""
    try:
        vessel, periods = crud.vessel_profile(session, caller, mmsi)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    history = [
        IdentityRecord.model_validate(
            {k: h.get(k) for k in ("field", "value", "first_seen", "last_seen", "messages")}
        )
        for h in vessel.identity_history or []
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
def get_vessel(session: ReadSessionDep, caller: AlertReader, mmsi: Mmsi) -> VesselPublic:
    """Identity history, IUU status and features by year of a vessel in scope."""
    return profile(session, caller, mmsi)


def track(
    request: Request, session: ReadSessionDep, caller: AlertReader, mmsi: str
) -> TrackCollection:
    """The vessel's track as the route returns it."""
    try:
        crud.vessel_alerts(session, caller, mmsi)
        positions = read_positions(request, mmsi)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
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


@router.get("/{mmsi}/track", response_model=TrackCollection)
def get_track(
    request: Request, session: ReadSessionDep, caller: AlertReader, mmsi: Mmsi
) -> TrackCollection:
    """The vessel's track: an RFC 7946 FeatureCollection, one feature per transmitter
    track (``track_id``), split at the antimeridian."""
    return track(request, session, caller, mmsi)


@router.get("/{mmsi}/events", response_model=VesselEvents)
def get_events(session: ReadSessionDep, caller: AlertReader, mmsi: Mmsi) -> VesselEvents:
    """Port visits, AIS gaps, encounters and loitering behind the vessel's current scores."""
    try:
        alerts = crud.vessel_alerts(session, caller, mmsi)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    events = crud.evidence_of(session, [a.score_id for a in alerts])
    return VesselEvents(mmsi=mmsi, events=[EvidenceEventPublic.model_validate(e) for e in events])
