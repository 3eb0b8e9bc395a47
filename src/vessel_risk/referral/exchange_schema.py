"""The models of the regional exchange's JSON form (format ``exchange-1.0``).

The JSON Schema shipped in the package (``schemas/exchange-1.0.schema.json``) is
generated from these models (:func:`generated_schema`; a test holds the file equal to
it); :func:`vessel_risk.referral.exchange.check` validates a document with them. Every
object forbids members it does not name, so a field that could carry a person's data
cannot slip into an export. What each table means: :mod:`vessel_risk.referral.exchange`.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

VERSION = "1.0"
"""The version of the format this package writes and reads. A reader refuses another
major version."""

SCHEMA_RESOURCE = "schemas/exchange-1.0.schema.json"
"""The JSON Schema of the JSON form, package data of :mod:`vessel_risk.referral`."""

ISO3 = r"^[A-Z]{3}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FigureDefinition(_Strict):
    """One figure of the indicators table: what it counts and how."""

    id: str = Field(min_length=1, max_length=64, description="The figure column's value.")
    name: str = Field(min_length=1, max_length=200)
    definition: str = Field(min_length=1, max_length=2000, description="What it counts, how.")
    unit: str = Field(min_length=1, max_length=64)
    level: Literal["vessel", "person"] | None = Field(
        None, description="person: cells rest on persons and are disclosure-controlled."
    )
    statistic: Literal["count", "median"] | None = Field(
        None, description="count: cells add up over months and breakdowns; median: not."
    )


class IndicatorRow(_Strict):
    """One cell of the indicators table."""

    figure: str = Field(min_length=1, max_length=64)
    period: date | None = Field(description="First day of the month (UTC); null: all months.")
    state: str | None = Field(pattern=r"^([A-Z]{3}|unknown)$")
    port: str | None = Field(min_length=1, max_length=128)
    flag: str | None = Field(pattern=r"^([A-Z]{3}|unknown)$")
    nationality: str | None = Field(pattern=r"^([A-Z]{3}|unknown)$")
    gender: str | None = Field(min_length=1, max_length=32)
    age_group: str | None = Field(min_length=1, max_length=32)
    value: float | None = Field(description="Null where suppressed.")
    persons: int | None = Field(ge=0, description="Distinct persons; null where suppressed.")
    suppressed: bool


class AlertEntry(_Strict):
    """One alert of the alerts table: vessel facts only."""

    mmsi: str = Field(pattern=r"^[0-9]{9}$")
    vessel_id: str | None = Field(max_length=32)
    year: int = Field(ge=2000, le=2100)
    shipname: str | None = Field(max_length=128)
    flag_iso3: str | None = Field(pattern=ISO3)
    flag_inferred_iso3: str | None = Field(pattern=ISO3)
    vessel_class: str | None = Field(max_length=32)
    gear: str | None = Field(max_length=64)
    score: float = Field(ge=0, le=1)
    tier: str = Field(min_length=1, max_length=32)
    model_version: str = Field(min_length=1, max_length=64)
    status: str = Field(min_length=1, max_length=32)
    last_port_label: str | None = Field(max_length=128)
    last_port_iso3: str | None = Field(pattern=ISO3)
    last_seen: datetime
    raised_at: datetime


class InspectionEntry(_Strict):
    """One boarding of the inspections table: no person named, no free text."""

    mmsi: str = Field(pattern=r"^[0-9]{9}$")
    vessel_id: str | None = Field(max_length=32)
    year: int = Field(ge=2000, le=2100)
    inspected_at: datetime
    port_label: str | None = Field(max_length=128)
    port_iso3: str | None = Field(pattern=ISO3)
    agency_id: str = Field(min_length=1, max_length=64)
    outcome: Literal["confirmed", "none_found", "not_boarded"]
    ilo_indicators: list[str] = Field(description="Keys of the ILO forced-labour indicators.")
    documents_missing: list[str] = Field(description="ILO C188 checklist items missing.")


class Disclosure(_Strict):
    """How the indicators were protected."""

    k: int = Field(ge=2, description="No published cell rests on 1 to k-1 persons.")
    method: Literal["cell-suppression"] = "cell-suppression"


class Signature(_Strict):
    """The exporting state's signature of the canonical content."""

    algorithm: Literal["Ed25519"] = "Ed25519"
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$", description="SHA-256 of the key, 16 hex.")
    value: str = Field(min_length=1, max_length=200, description="Base64 of the signature.")


class Tables(_Strict):
    """The three tables."""

    indicators: list[IndicatorRow]
    alerts: list[AlertEntry]
    inspections: list[InspectionEntry]


class ExchangeDocument(_Strict):
    """One export of one state's mechanism, in its JSON form."""

    format: Literal["vessel-risk-exchange"]
    version: Literal["1.0"]
    state: str = Field(pattern=ISO3, description="The exporting state (ISO 3166-1 alpha-3).")
    created_at: datetime
    period_start: date = Field(description="First day covered (UTC).")
    period_end: date = Field(description="Last day covered (UTC), inclusive.")
    disclosure: Disclosure
    figures: list[FigureDefinition]
    tables: Tables
    signature: Signature | None = None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the JSON form (draft 2020-12), as shipped in the package.

    Returns
    -------
    dict
        Read from ``schemas/exchange-1.0.schema.json`` (package data), the schema
        :class:`ExchangeDocument` generates (a test holds them equal).
    """
    text = resources.files("vessel_risk.referral").joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def generated_schema() -> dict[str, Any]:
    """The JSON Schema :class:`ExchangeDocument` generates, with ``$schema`` and ``$id``."""
    schema = ExchangeDocument.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://vessel-risk.org/schemas/exchange-{VERSION}.schema.json",
        **schema,
    }
