"""Request and response models of the API: ``Base`` / ``Create`` / ``Public`` families.

Times are timezone-aware UTC (ISO 8601); positions are WGS 84 degrees; units are in
the field names. No model carries crew personal data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, computed_field

from vessel_risk.alerts.display import flag_label, vessel_label
from vessel_risk.alerts.queue import unscored_note
from vessel_risk.db.tables import as_utc
from vessel_risk.pipeline.scoring import FEATURE_UPPER_BOUNDS as _MAX

UTC = Annotated[datetime, AfterValidator(as_utc)]
"""A timezone-aware UTC time (SQLite hands back naive UTC times)."""

Tier = Literal["high", "medium", "low", "insufficient data", "unscored"]
"""The tiers of queue items: the model's four, and ``unscored`` for a tip's own item."""
Source = Literal["model", "hotline", "ngo", "consulate", "first_responder", "port_welfare", "other"]
"""Where a queue item came from (:data:`vessel_risk.alerts.queue.SOURCES`)."""
MMSI_PATTERN = r"^[0-9A-Za-z]{9}$"


class IndicatorPublic(BaseModel):
    """One indicator behind a score."""

    name: str
    feature: str
    value: float | str | None
    contribution: float = Field(ge=0, le=1, description="Share of the score, 0-1.")
    reason: str
    ilo_indicator: str
    source: str


class AlertBase(BaseModel):
    """The fields of a ranked vessel-year alert."""

    model_config = ConfigDict(from_attributes=True)

    source: Source = Field(
        default="model",
        description="Where the item came from: the model, or the entry point of the tip "
        "that made it (an unscored tip: no score, rank or model version).",
    )
    reported_by: list[str] = Field(
        default_factory=list, description="Tip sources that also reported this vessel."
    )
    mmsi: str | None = Field(description="9-character MMSI; null for a tip that named none.")
    track_id: int = Field(
        default=0, description="Transmitter track within the MMSI (0 = the first seen)."
    )
    year: int
    vessel_id: str | None = Field(
        default=None, description="Vessel identity across MMSIs, IMO, call signs, names."
    )
    vessel_class: str | None = Field(
        default=None, description="fishing, carrier, fishing_support, other or unknown."
    )
    shipname: str | None
    flag_iso3: str | None = Field(description="Declared flag (from a valid MID), ISO3.")
    flag_inferred_iso3: str | None = Field(
        default=None, description="Flag inferred without the MID, ISO3 (needs confirming)."
    )
    flag_inferred_source: str | None = Field(
        default=None, description="Source of the inferred flag; when none, why."
    )
    flag_inferred_confidence: float | None = Field(
        default=None, description="Confidence of the inferred flag, 0-1."
    )
    gear: str | None
    score: float | None = Field(
        ge=0, le=1, description="Risk score, 0-1; evidence to check. Null for a tip: never scored."
    )
    tier: Tier
    rank: int | None = Field(description="Rank within the run that scored it (1 = highest).")
    model_version: str | None
    model_applies: bool | None = Field(
        default=None,
        description="Whether the model's training domain covers the vessel-year; null: unknown "
        "(e.g. scored by the indicator baseline). Where false, the score rests on indicators "
        "and identity evidence only.",
    )
    model_domain_reason: str | None = Field(
        default=None, description="Why the model does not apply (empty or null when it does)."
    )
    score_percentile: float | None = Field(
        default=None, description="Percentile of the score within the run that scored it."
    )
    score_low: float | None = Field(
        default=None, ge=0, le=1, description="Lowest score across the model's bags, 0-1."
    )
    score_high: float | None = Field(
        default=None, ge=0, le=1, description="Highest score across the model's bags, 0-1."
    )
    observed_share: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Share of the year's days (inside the data window) the vessel was heard.",
    )
    last_lat: float | None = Field(description="Last known latitude, degrees.")
    last_lon: float | None = Field(description="Last known longitude, degrees.")
    last_seen: UTC = Field(
        description="Last AIS position, UTC; for a tip, when its source last saw the vessel "
        "(else when the tip was received)."
    )
    last_port_label: str | None
    last_port_iso3: str | None
    last_port_departure: UTC | None = Field(description="End of the last port visit, UTC.")
    status: str = Field(description="Review status (new, under_review, referred, ...).")

    @computed_field(description="The MMSI, with its track when not track 0.")  # type: ignore[prop-decorator]
    @property
    def vessel_label(self) -> str:
        return vessel_label(self.mmsi, self.track_id)

    @computed_field(  # type: ignore[prop-decorator]
        description="Where the item came from in words: the model's score, or "
        "'no model score: tip from <source>'; and 'also reported by ...'."
    )
    @property
    def source_label(self) -> str:
        text = "model" if self.source == "model" else unscored_note(self.source)
        if self.reported_by:
            text += "; also reported by " + ", ".join(r.replace("_", " ") for r in self.reported_by)
        return text

    @computed_field(  # type: ignore[prop-decorator]
        description="Declared flag; else inferred flag (source, confidence); else why unknown."
    )
    @property
    def flag_label(self) -> str:
        return flag_label(
            self.flag_iso3,
            self.flag_inferred_iso3,
            self.flag_inferred_source,
            self.flag_inferred_confidence,
        )


class AlertPublic(AlertBase):
    """An alert in the ranked list."""

    id: int


class AlertPage(BaseModel):
    """One page of the review queue in its order (:mod:`vessel_risk.alerts.queue`: high
    and medium alerts by score, unscored tips by urgency, low and "insufficient data"
    alerts by score; then id descending)."""

    items: list[AlertPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
    limit: int


class EvidenceEventPublic(BaseModel):
    """A port visit, AIS gap, encounter or loitering event behind a score."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    start: UTC
    end: UTC
    duration_h: float = Field(description="Duration, hours.")
    lat: float | None
    lon: float | None
    detail: dict[str, Any]


class ScoreHistoryItem(BaseModel):
    """One score ever given to the alert's vessel-year."""

    score_id: int
    scored_at: UTC
    model_version: str
    score: float
    tier: str


class TipPublic(BaseModel):
    """A tip as a reviewer reads it beside its queue item: what the source reported
    about the vessel, never what it said about a person."""

    id: str
    source: Source
    subject: Literal["vessel", "person"]
    received_at: UTC
    mmsi: str | None
    imo: str | None
    shipname: str | None
    callsign: str | None
    flag_iso3: str | None = Field(description="The flag the source saw, unchecked.")
    port_label: str | None
    last_seen: UTC | None
    urgent: bool
    ilo_indicators: list[str] = Field(description="ILO forced-labour indicators observed.")
    observed: str | None = Field(
        description="The source's account of the vessel; null for a tip about a person "
        "(case roles only) and past retention."
    )
    person_data_held: bool = Field(
        description="The tip holds data about a person (encrypted; case roles only)."
    )


class TipReceipt(BaseModel):
    """What a tip's submitter gets back: a receipt, nothing about the queue."""

    id: str = Field(description="Quote it if you call about this tip.")
    source: Source
    received_at: UTC
    message: str


class AlertDetail(AlertPublic):
    """One alert with its indicators, evidence and explanation."""

    indicators: list[IndicatorPublic]
    explanation: str = Field(description="The score in words, with its caveat.")
    data_note: str
    position_messages: int
    days_observed: int
    caveat: str
    status_reason: str | None
    evidence_events: list[EvidenceEventPublic]
    score_history: list[ScoreHistoryItem]
    tips: list[TipPublic] = Field(
        default_factory=list,
        description="The tips on this item, oldest first (no person's data).",
    )
    coastal_states_iso3: list[str] = Field(
        default_factory=list,
        description="The coastal states where the vessel worked this year (ISO3; events "
        "within 200 nm of a state's nearest port, the rule routing's coastal_state uses), "
        "recorded by the run that scored the alert; a client scoped to one of them sees "
        "the alert. Empty when no event lay in a listed state's waters, and always empty "
        "for a tip's item and for an alert last recorded before migration 0011_alert_states "
        "(not backfilled: a later run records them).",
    )


class AlertStatusUpdate(BaseModel):
    """A review-status change (``vessel_risk.alerts.lifecycle``)."""

    status: Literal["new", "under_review", "referred", "dismissed", "withdrawn"]
    reason: str | None = Field(default=None, max_length=2000)


class IdentityRecord(BaseModel):
    """One value an MMSI broadcast for an identity field, and when."""

    field: str
    value: str | None
    first_seen: str | None
    last_seen: str | None
    messages: int | None


class VesselPeriodPublic(BaseModel):
    """One vessel-year of one transmitter track: features and the alert on it."""

    track_id: int = Field(default=0, description="Transmitter track (0 = the first seen).")
    year: int
    start: UTC
    end: UTC
    position_messages: int
    days_observed: int
    features: dict[str, Any]
    alert_id: int | None
    score: float | None
    tier: str | None


class VesselPublic(BaseModel):
    """A vessel's profile: identity history, IUU status, features by year."""

    mmsi: str
    vessel_id: str | None = Field(default=None, description="Vessel identity (GFW's term).")
    shipname: str | None
    callsign: str | None
    imo: str | None
    flag_iso3: str | None
    gear: str | None
    mmsi_valid: bool
    iuu_listed: bool
    first_seen: UTC | None
    last_seen: UTC | None
    identity_history: list[IdentityRecord]
    periods: list[VesselPeriodPublic]


class GeoJSONFeature(BaseModel):
    """An RFC 7946 Feature."""

    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class TrackCollection(BaseModel):
    """An RFC 7946 FeatureCollection: the track, split at the antimeridian."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[GeoJSONFeature]


class VesselEvents(BaseModel):
    """Evidence events of a vessel's current scores, oldest first."""

    mmsi: str
    events: list[EvidenceEventPublic]


class PortQueueItem(AlertPublic):
    """A vessel at or recently out of the port, with its top reasons."""

    in_port: bool = Field(description="Its last port visit lasts to its last position.")
    reasons: list[str]


class PortQueue(BaseModel):
    """The inspection queue of one port, ranked by score."""

    port_label: str
    port_iso3: str | None
    items: list[PortQueueItem]


class ArrivalPublic(BaseModel):
    """A vessel expected at the port: its predicted arrival and its current risk.

    ``prediction`` reads "insufficient data" when the prediction rests on thin data
    (:mod:`vessel_risk.events.arrivals`), otherwise the method's name; ``tier`` is the
    vessel's current alert tier ("insufficient data" is never "low risk"; null: not
    scored). A risk is evidence for planning a boarding, never proof; the crew are
    presumed victims, never suspects.
    """

    id: int
    mmsi: str
    track_id: int
    vessel_label: str
    shipname: str | None
    flag_iso3: str | None
    alert_id: int | None
    tier: str | None
    score: float | None
    port_label: str
    port_iso3: str | None
    eta: datetime = Field(description="Expected arrival, UTC.")
    eta_low: datetime | None = Field(description="Earliest expected arrival, UTC.")
    eta_high: datetime | None = Field(description="Latest expected arrival, UTC.")
    method: Literal["destination", "history", "heading"]
    confidence: float = Field(ge=0, le=1)
    prediction: str = Field(description='The method, or "insufficient data" for thin data.')
    evidence: dict[str, Any]


class PortArrivals(BaseModel):
    """Vessels expected at one port in the next ``days`` days, highest risk first."""

    port_label: str
    port_iso3: str | None
    days: float
    now: datetime
    items: list[ArrivalPublic]


class PortSummary(BaseModel):
    """A port with alerts, as the caller may see it."""

    port_label: str
    port_iso3: str | None
    alerts: int
    max_score: float


class NoticeCreate(BaseModel):
    """Draft a referral notice for an alert.

    ``crew_nationalities_iso3`` (the crew's countries, when a person knows them: no one
    is named or counted) routes the notice to their consular services;
    ``expected_port`` routes it to the port state of the next port. The port list is the
    server's (the shipped list), never the request's: it places the vessel's events for
    the coastal-state rule and resolves the next port's country.
    """

    alert_id: int = Field(ge=1, le=2**31 - 1)
    reason: str | None = Field(default=None, max_length=2000, description="Why refer.")
    crew_nationalities_iso3: list[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]] = Field(
        default_factory=list,
        max_length=50,
        description="ISO 3166 alpha-3 codes of the crew's countries, if known.",
    )
    expected_port: str | None = Field(
        default=None,
        max_length=128,
        description="The vessel's next port, if known (port name or UN/LOCODE such as "
        "'KR PUS'); default: its AIS destination.",
    )


class DeliveryRequeue(BaseModel):
    """Send a dead delivery again."""

    reason: str = Field(min_length=1, max_length=2000, description="Why (audited).")


class NoticeApprove(BaseModel):
    """Approve a draft notice."""

    confirm_inferred_flag: bool = Field(
        default=False,
        description="The approver checked the inferred flag the routing uses and confirms "
        "it (required when the vessel has no declared flag and a route depends on it).",
    )


class RoutingFlagPublic(BaseModel):
    """The flag a notice is routed by."""

    iso3: str | None
    basis: Literal["declared", "inferred", "none"]
    source: str | None = Field(description="MID, the inference source, or why none.")
    confidence: float | None = Field(description="Of an inferred flag, 0-1.")
    label: str


class RoutePreview(BaseModel):
    """One agency approving would route the notice to."""

    agency_id: str
    agency_name: str | None
    rule: str
    country_iso3: str | None = Field(
        description="None for a delivery made that today's directory would not choose."
    )
    role: str | None
    flag_basis: Literal["declared", "inferred"] | None = Field(
        description="Set when the route depends on the flag."
    )
    needs_confirmation: bool = Field(description="Depends on an unconfirmed inferred flag.")


class NoticePreview(BaseModel):
    """What approving a notice would do: the flag used, the routes, the rules with no agency."""

    notice_id: str
    status: str
    vessel: str = Field(description="MMSI, with its track when not track 0.")
    flag: RoutingFlagPublic
    routes: list[RoutePreview]
    unmatched: list[str] = Field(description="Routing rules that found no agency, and why.")
    needs_confirmation: bool = Field(
        description="Approval needs `confirm_inferred_flag`: a route uses an inferred flag."
    )
    confirmation: dict[str, Any] | None = Field(
        description="The recorded confirmation of the inferred flag (who, when, which, source)."
    )


class NoticePublic(BaseModel):
    """A presumed-victim referral notice (vessel level; no crew personal data)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    alert_id: int
    mmsi: str | None
    status: str
    receiver_status: str | None
    automatic: bool
    created_by: str
    created_at: UTC
    approved_by: str | None
    approved_at: UTC | None
    reflection_period_days: int = Field(description="Reflection and recovery period, days.")
    reflection_ends_at: UTC | None
    payload: dict[str, Any]


class DeliveryAttemptPublic(BaseModel):
    """One attempt to deliver a notice."""

    model_config = ConfigDict(from_attributes=True)

    attempted_at: UTC
    http_status: int | None
    error: str | None
    duration_ms: float = Field(description="Duration, milliseconds.")


class DeliveryPublic(BaseModel):
    """A notice's delivery to one agency, with every attempt."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    notice_id: str | None
    case_id: str | None = None
    consent_use: str | None = None
    revoked_at: UTC | None = None
    agency_id: str
    rule: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: UTC
    last_error: str | None
    created_at: UTC
    delivered_at: UTC | None
    receiver_status: str | None
    receiver_status_at: UTC | None
    history: list[DeliveryAttemptPublic] = Field(default_factory=list)


class StatusCallback(BaseModel):
    """A receiving case system's status for a delivered notice."""

    status: Literal["received", "accepted", "rejected", "closed"]
    reason: str | None = Field(default=None, max_length=2000)


class ModelInfo(BaseModel):
    """The model that scores alerts: the champion, or the indicator baseline."""

    scorer: Literal["champion", "indicator-baseline"]
    version: str
    label: str
    metrics: dict[str, float]
    features: list[str]
    model_card: str = Field(description="Markdown.")
    note: str


class FeatureRowCreate(BaseModel):
    """One vessel-year of features to score (names as ``vessel_features.parquet``).

    Missing features are not evaluable and raise nothing.
    """

    position_messages: int = Field(ge=0, le=_MAX["position_messages"])
    days_observed: int = Field(ge=0, le=_MAX["days_observed"])
    mmsi_valid: bool = True
    iuu_listed: bool = False
    iuu_match: str | None = None
    max_voyage_duration_hours: float | None = Field(
        default=None, ge=0, le=_MAX["max_voyage_duration_hours"]
    )
    max_distance_from_port_km: float | None = Field(
        default=None, ge=0, le=_MAX["max_distance_from_port_km"]
    )
    gaps_12_hours: int | None = Field(default=None, ge=0, le=_MAX["gaps_12_hours"])
    number_carrier_encounters: int | None = Field(
        default=None, ge=0, le=_MAX["number_carrier_encounters"]
    )
    average_daily_fishing_hours: float | None = Field(default=None, ge=0, le=24)
    n_shipnames: int | None = Field(default=None, ge=0, le=_MAX["n_shipnames"])


class ScorePublic(BaseModel):
    """The score of a posted feature row."""

    score: float = Field(ge=0, le=1)
    tier: Tier
    model_version: str
    indicators: list[IndicatorPublic]
    note: str


class HealthStatus(BaseModel):
    """Liveness or readiness, with each check."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str]
