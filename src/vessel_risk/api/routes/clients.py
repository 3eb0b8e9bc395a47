"""API clients of agencies (admin only): register one, list them."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from vessel_risk.api.access import ApiClient, create_client
from vessel_risk.api.client_models import ClientCreate, ClientCreated, ClientPublic
from vessel_risk.api.deps import Admin, SessionDep
from vessel_risk.api.problems import problem_responses

router = APIRouter(
    prefix="/clients", tags=["clients"], responses=problem_responses(401, 403, 422, 429)
)


@router.get("", response_model=list[ClientPublic])
def list_clients(session: SessionDep, caller: Admin) -> list[ClientPublic]:
    """Every API client (never a key)."""
    rows = session.scalars(select(ApiClient).order_by(ApiClient.agency_id, ApiClient.id))
    return [ClientPublic.model_validate(c) for c in rows]


@router.post("", response_model=ClientCreated, status_code=201, responses=problem_responses(409))
def register_client(session: SessionDep, caller: Admin, body: ClientCreate) -> ClientCreated:
    """Register a client; its key is in this answer only (audited)."""
    try:
        client, key = create_client(
            session,
            client_id=body.id,
            agency_id=body.agency_id,
            role=body.role,
            name=body.name,
            countries=body.countries,
            ports=body.ports,
            rate_per_minute=body.rate_per_minute,
            actor=caller.actor,
        )
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from exc
    session.commit()
    return ClientCreated(**ClientPublic.model_validate(client).model_dump(), key=key)
