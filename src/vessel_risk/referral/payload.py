"""What a referral notice says: vessel data and evidence only, never crew personal data.

:class:`NoticePayload` is the notice as sent to agencies: the vessel, the period and the
risk with its caveat, each indicator with the events behind it, the last and the
expected port, the coastal states where the vessel worked
(:func:`vessel_risk.alerts.coastal.coastal_states`, the rule the client scopes read too), the
ILO C188 checks for an inspector, and the clocks of :mod:`vessel_risk.referral.follow_ups`.
A notice made from a tip (``source`` its entry point) has no score: its ``risk`` says
so (:func:`vessel_risk.alerts.queue.unscored_note`) and its indicators are the ILO
indicators the tips observed, never their account or anything about a person. It says
that the crew are presumed victims, never suspects (:data:`PRESUMED_VICTIMS`;
non-punishment principle, ASEAN Convention against Trafficking in Persons Art. 14(7)),
and how the notice must be handled (:data:`DATA_PROTECTION`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.alerts.build import CAVEAT
from vessel_risk.alerts.coastal import COASTAL_STATE_KM as COASTAL_STATE_KM
from vessel_risk.alerts.coastal import coastal_states as coastal_states
from vessel_risk.alerts.display import flag_label, vessel_label
from vessel_risk.alerts.queue import UNSCORED, unscored_note
from vessel_risk.db.tables import (
    AlertRow,
    EvidenceEvent,
    Score,
    Tip,
    Vessel,
    as_utc,
)
from vessel_risk.geo.ports import PortIndex
from vessel_risk.referral.briefs import C188_CHECKLIST, INTERVIEW_GUIDANCE
from vessel_risk.referral.follow_ups import FOLLOW_UP_MONTHS, MIN_REFLECTION_DAYS
from vessel_risk.referral.routing import destination_iso3, port_countries
from vessel_risk.referral.standards import ILO_INDICATORS
from vessel_risk.referral.tips import tips_of

MAX_EVENTS_PER_INDICATOR = 20

PRESUMED_VICTIMS = (
    "The crew of this vessel are to be treated as presumed victims of forced labour, "
    "never as suspects. They must not be punished for unlawful acts they were compelled "
    "to commit (non-punishment principle), and protection and support must not depend "
    "on their cooperation with any investigation."
)
DATA_PROTECTION = (
    "This notice holds vessel data only and no personal data of crew. It must not be "
    "shared with the vessel's owner, operator, master or agents."
)
INSPECTION_CHECKS = tuple(f"{item}: {what}" for item, what in C188_CHECKLIST)
"""The ILO C188 checks for an inspector, as the port inspection brief lists them."""

EVENT_KINDS_BY_FEATURE = (
    ("gaps_12_hours", "ais_gap"),
    ("gap", "ais_gap"),
    ("off_distance", "ais_gap"),
    ("encounter", "encounter"),
    ("loitering", "loitering"),
    ("voyage", "port_visit"),
    ("port_visits", "port_visit"),
)


class EvidenceEventPublic(BaseModel):
    """An event behind an indicator (times UTC)."""

    kind: str
    start: Annotated[datetime, AfterValidator(as_utc)]
    end: Annotated[datetime, AfterValidator(as_utc)]
    duration_h: float
    lat: float | None
    lon: float | None
    detail: dict[str, Any]


class NoticeIndicator(BaseModel):
    """One indicator of a notice with the events behind it."""

    indicator: str
    ilo_indicator: str
    reason: str
    value: float | str | None
    source: str
    evidence_events: list[EvidenceEventPublic]
    evidence_events_total: int


class PortRef(BaseModel):
    """A port by name and state, with when the vessel left it or reported it."""

    label: str
    iso3: str | None
    at: datetime | None


class NoticePayload(BaseModel):
    """The vessel-level referral notice as sent: vessel data only, no crew personal data."""

    notice_id: str
    notice_type: Literal["vessel_pre_referral"] = "vessel_pre_referral"
    created_at: datetime
    presumed_victims: str = PRESUMED_VICTIMS
    data_protection: str = DATA_PROTECTION
    personal_data_included: Literal[False] = False
    vessel: dict[str, Any]
    period: dict[str, Any]
    risk: dict[str, Any]
    indicators: list[NoticeIndicator]
    last_known_position: dict[str, Any] | None
    last_port: PortRef | None
    expected_port: PortRef | None
    coastal_states_iso3: list[str]
    crew_nationalities_iso3: list[str] = Field(default_factory=list)
    inspection_checks: list[str] = Field(default_factory=lambda: list(INSPECTION_CHECKS))
    interview_guidance: str = INTERVIEW_GUIDANCE
    reflection_recovery: dict[str, Any]
    follow_up_months: list[int] = Field(default_factory=lambda: list(FOLLOW_UP_MONTHS))
    follow_ups_due: list[datetime] = Field(default_factory=list)
    routing: dict[str, Any] | None = Field(
        default=None,
        description="Set at approval: the flag the notice was routed by (declared or "
        "inferred, source, confidence), the rules that found no agency, and the "
        "approver's confirmation of an inferred flag.",
    )
    source: str = Field(
        default="model",
        description="Where the queue item came from: the model, or the entry point of the "
        "tip that made it (hotline, ngo, consulate, first_responder, ...).",
    )
    reported_by: list[str] = Field(
        default_factory=list,
        description="The tip sources that also reported the vessel.",
    )


def _event_kind(feature: str) -> str | None:
    for key, kind in EVENT_KINDS_BY_FEATURE:
        if key in feature:
            return kind
    return None


def _indicator_events(feature: str, events: Sequence[EvidenceEvent]) -> list[EvidenceEvent]:
    kind = _event_kind(feature)
    chosen = [e for e in events if e.kind == kind]
    if feature == "gaps_12_hours":
        chosen = [e for e in chosen if e.detail.get("gap_class") == "likely_disabling"]
    if "carrier" in feature:
        chosen = [e for e in chosen if e.detail.get("other_is_carrier")]
    return sorted(chosen, key=lambda e: e.duration_h, reverse=True)


def _port_countries(ports: PortIndex | None) -> dict[str, str] | None:
    if ports is None:
        return None
    frame = ports.ports
    return port_countries(list(frame["port_label"]), list(frame["port_iso3"]))


def _expected_port(
    vessel: Vessel | None,
    ports: PortIndex | None,
    reported: str | None = None,
    now: datetime | None = None,
) -> PortRef | None:
    """The next port: the one a person reported (``reported``), else the latest
    AIS-reported destination (free text, as broadcast), with its country when
    :func:`vessel_risk.referral.routing.destination_iso3` can tell it (port name in the
    port list, or a UN/LOCODE), so that the port-state rule can route by it.

    Voyages are not kept in the database (only evidence events of the score), so the
    AIS destination is the one next-port signal a stored alert has.
    """
    countries = _port_countries(ports)
    if reported:
        iso3, _ = destination_iso3(reported, countries)
        return PortRef(label=reported, iso3=iso3, at=now)
    if vessel is None:
        return None
    destinations = [h for h in vessel.identity_history or [] if h["field"] == "destination"]
    if not destinations:
        return None
    latest = max(destinations, key=lambda h: str(h["last_seen"]))
    iso3, _ = destination_iso3(str(latest["value"]), countries)
    return PortRef(
        label=str(latest["value"]),
        iso3=iso3,
        at=pd.Timestamp(latest["last_seen"]).to_pydatetime(),
    )


TIP_CAVEAT = (
    "A person reported what this notice lists; it was not scored. It is a report to "
    "check, not proof."
)
"""What a notice made from a tip says where a scored notice gives the model's caveat."""


def _first(values: Any) -> str | None:
    return next((v for v in values if v), None)


def _tip_indicators(tips: Sequence[Tip]) -> list[NoticeIndicator]:
    """One indicator per ILO indicator the tips observed, naming the sources and dates."""
    seen: dict[str, list[Tip]] = {}
    for t in tips:
        for key in t.ilo_indicators or []:
            seen.setdefault(key, []).append(t)
    out = []
    for key, by in seen.items():
        sources = sorted({t.source for t in by})
        dates = sorted({(as_utc(t.received_at) or t.received_at).date().isoformat() for t in by})
        out.append(
            NoticeIndicator(
                indicator=f"tip: {ILO_INDICATORS[key]}",
                ilo_indicator=ILO_INDICATORS[key],
                reason=f"observed and reported by {', '.join(sources)} ({', '.join(dates)})",
                value=None,
                source=f"tip from {', '.join(sources)}",
                evidence_events=[],
                evidence_events_total=0,
            )
        )
    return out


def build_payload(
    session: Session,
    alert: AlertRow,
    *,
    notice_id: str,
    created_at: datetime,
    ports: PortIndex | None = None,
    crew_nationalities_iso3: Sequence[str] = (),
    expected_port: str | None = None,
) -> NoticePayload:
    """The notice payload for ``alert`` from its current score and evidence.

    Parameters
    ----------
    session : Session
    alert : AlertRow
    notice_id : str
    created_at : datetime
        UTC.
    ports : PortIndex, optional
        For the coastal-state approximation
        (:func:`vessel_risk.alerts.coastal.coastal_states`).
    crew_nationalities_iso3 : sequence of str
        The crew's countries, when a person recorded them (not personal data: no
        individual is named or counted).
    expected_port : str, optional
        The next port as a person reported it (a port name or UN/LOCODE); default: the
        AIS destination.

    Returns
    -------
    NoticePayload
    """
    score = None if alert.score_id is None else session.get(Score, alert.score_id)
    vessel = None if alert.mmsi is None else session.get(Vessel, alert.mmsi)
    events = list(
        session.scalars(select(EvidenceEvent).where(EvidenceEvent.score_id == alert.score_id))
    )
    tips = tips_of(session, alert.id)
    indicators = _tip_indicators(tips)
    for ind in score.indicators if score is not None else []:
        chosen = _indicator_events(ind["feature"], events)
        indicators.append(
            NoticeIndicator(
                indicator=ind["name"],
                ilo_indicator=ind["ilo_indicator"],
                reason=ind["reason"],
                value=ind["value"],
                source=ind["source"],
                evidence_events=[
                    EvidenceEventPublic.model_validate(e, from_attributes=True)
                    for e in chosen[:MAX_EVENTS_PER_INDICATOR]
                ],
                evidence_events_total=len(chosen),
            )
        )
    detail = alert.detail
    return NoticePayload(
        notice_id=notice_id,
        created_at=created_at,
        vessel={
            "mmsi": alert.mmsi,
            "track_id": alert.track_id,
            "vessel_label": vessel_label(alert.mmsi, alert.track_id),
            "vessel_id": alert.vessel_id,
            "vessel_class": alert.vessel_class,
            "imo": vessel.imo if vessel else _first(t.imo for t in tips),
            "callsign": vessel.callsign if vessel else _first(t.callsign for t in tips),
            "shipname": alert.shipname,
            "flag_iso3": alert.flag_iso3,
            "flag_inferred_iso3": alert.flag_inferred_iso3,
            "flag_inferred_source": alert.flag_inferred_source,
            "flag_inferred_confidence": alert.flag_inferred_confidence,
            "flag_label": flag_label(
                alert.flag_iso3,
                alert.flag_inferred_iso3,
                alert.flag_inferred_source,
                alert.flag_inferred_confidence,
            ),
            "gear": alert.gear,
            "mmsi_valid": detail.get("mmsi_valid"),
            "iuu_listed": detail.get("iuu_listed"),
            "identity_history": (vessel.identity_history if vessel else []),
        },
        period={
            "year": alert.year,
            "start": detail.get("first_seen"),
            "end": detail.get("last_seen"),
            "position_messages": detail.get("position_messages"),
            "days_observed": detail.get("days_observed"),
        },
        risk=(
            {
                "score": score.score,
                "tier": score.tier,
                "model_version": score.model_version,
                "data_note": score.data_note,
                "caveat": CAVEAT,
            }
            if score is not None
            else {
                "score": None,
                "tier": UNSCORED,
                "model_version": None,
                "data_note": unscored_note(alert.source),
                "caveat": TIP_CAVEAT,
            }
        ),
        source=alert.source,
        reported_by=list(alert.reported_by or []),
        indicators=indicators,
        last_known_position=None
        if alert.last_lat is None
        else {"lat": alert.last_lat, "lon": alert.last_lon, "at": as_utc(alert.last_seen)},
        last_port=None
        if alert.last_port_label is None
        else PortRef(
            label=alert.last_port_label,
            iso3=alert.last_port_iso3,
            at=as_utc(alert.last_port_departure),
        ),
        expected_port=_expected_port(vessel, ports, expected_port, created_at),
        coastal_states_iso3=coastal_states(events, ports),
        crew_nationalities_iso3=sorted(set(crew_nationalities_iso3)),
        reflection_recovery={
            "minimum_days": MIN_REFLECTION_DAYS,
            "source": "Council of Europe CETS 197 Art. 13",
            "note": (
                "No presumed victim may be removed from the country during the period; "
                "it starts when the notice is approved."
            ),
        },
    )
