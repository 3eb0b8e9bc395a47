"""Request and response models of ``/clients`` (admin): agencies' API clients."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vessel_risk.api.access import ROLES
from vessel_risk.api.models import UTC


class ClientCreate(BaseModel):
    """Register an agency's API client; ``role`` is one of
    :data:`vessel_risk.api.access.ROLES`."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    agency_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(default="", max_length=256)
    role: str = Field(max_length=32, json_schema_extra={"enum": list(ROLES)})
    countries: list[str] = Field(default_factory=list, max_length=300)
    ports: list[str] = Field(default_factory=list, max_length=1000)
    rate_per_minute: int = Field(default=600, ge=1, le=100000)

    @field_validator("role")
    @classmethod
    def _known_role(cls, role: str) -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; roles: {list(ROLES)}")
        return role


class ClientPublic(BaseModel):
    """An API client (never its key)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    agency_id: str
    name: str
    role: str
    countries: list[str]
    ports: list[str]
    rate_per_minute: int
    active: bool
    created_at: UTC


class ClientCreated(ClientPublic):
    """A new client and its key, shown only this once."""

    key: str
