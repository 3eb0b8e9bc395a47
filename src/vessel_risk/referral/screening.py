"""Screening and intake of one person: the intake form, the presumed-victim rule, age
presumption and the vessel's AIS evidence, pure.

The form is minimal and trauma-informed: everything about the person is optional except
the language they speak, and only what the person chose to say is stored
(:func:`intake_fields`). A person with any ILO forced-labour indicator present is a
**presumed victim** (seed report §4.1.2, §5.1.2; Bali Process Policy Guide on Identifying
Victims of Trafficking, p. 3); a person whose age is under 18, unknown or uncertain is
**presumed a child** until determined otherwise (ASEAN Do No Harm Guide for Frontline
Responders, p. 15, seed §5.1.1; CETS 197 Art. 10(3)).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vessel_risk.db.base import as_utc
from vessel_risk.referral.cases import CONSENT_DEFAULTS, CONSENT_USES
from vessel_risk.referral.standards import ILO_INDICATORS, check_ilo_indicators

ENTRY_POINTS = ("boarding", "hotline", "ngo", "consulate", "port_welfare", "first_responder")
"""How a person reached the mechanism: a boarding or any other entry point (seed §5.3:
first responders, hotlines, NGOs, consulates, port welfare workers)."""

AGE_BANDS = ("under_15", "15_17", "18_24", "25_34", "35_49", "50_plus")
"""Age bands a person may give instead of an age."""
CHILD_AGE_BANDS = frozenset({"under_15", "15_17"})
"""The bands under 18."""


def check_age_band(band: str | None) -> str | None:
    """``band`` if it is one of :data:`AGE_BANDS` (or None).

    Raises
    ------
    ValueError
        For any other value (pydantic reports it as a 422 on the field).
    """
    if band is not None and band not in AGE_BANDS:
        raise ValueError(f"age_band must be one of {list(AGE_BANDS)}. Got {band!r}.")
    return band


NEEDS = (
    "shelter",
    "medical",
    "psychosocial",
    "legal",
    "interpretation",
    "repatriation",
    "financial",
    "documents",
    "family_contact",
    "child_protection",
    "employment",
)
"""Services a person may say they need (seed §4.3.2, §5.3, §5.4); Primero's services."""

CASE_STATEMENT = (
    "This person is to be treated as a presumed victim of forced labour, never as a "
    "suspect. They must not be punished for unlawful acts they were compelled to commit "
    "(non-punishment principle), and protection and support must not depend on their "
    "cooperation with any investigation."
)
"""The non-punishment statement every record about a person carries (the wording of
:data:`vessel_risk.referral.payload.PRESUMED_VICTIMS`, for one person; ASEAN Convention
against Trafficking in Persons Art. 14(7))."""

NO_INDICATOR_STATEMENT = (
    "No forced-labour indicator was present at screening. This is not a finding that the "
    "person was not exploited; they may be screened again at any time, and are never to be "
    "treated as a suspect."
)
"""What a screening without indicators says."""

_ISO3 = r"^[A-Z]{3}$"


class IntakeForm(BaseModel):
    """The standard intake of one person (issue 17 item 2), as entered at screening.

    Attributes
    ----------
    entry_point : str
        One of :data:`ENTRY_POINTS`.
    state_iso3 : str
        Where the person is (ISO3): its rule sets the reflection period.
    nationality_iso3 : str, optional
    gender : str, optional
        As the person states it, free text (at most 64 characters).
    language : str
        The language the person speaks (e.g. ``"my"`` or ``"Burmese"``).
    interpreter_language : str, optional
        The language an interpreter used, where one did.
    age : int, optional
        Years, 0-120.
    age_band : str, optional
        One of :data:`AGE_BANDS`, where the person gives a band instead.
    age_uncertain : bool
        The age given is doubtful (e.g. no documents): presumed a child.
    indicators : dict
        ILO indicator key (:data:`vessel_risk.referral.standards.ILO_INDICATORS`) ->
        True (present), False (absent) or None (not answered).
    needs : list of str
        From :data:`NEEDS`.
    consents : dict
        Use (:data:`vessel_risk.referral.cases.CONSENT_USES`) -> granted; where absent,
        :data:`vessel_risk.referral.cases.CONSENT_DEFAULTS` holds (consular: True, the
        person does not object; the rest False).
    vessel_evidence : dict
        The vessel's AIS evidence, prefilled by :func:`prefill` (read-only; not about
        the person).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    entry_point: Literal[
        "boarding", "hotline", "ngo", "consulate", "port_welfare", "first_responder"
    ]
    state_iso3: str = Field(pattern=_ISO3)
    nationality_iso3: str | None = Field(default=None, pattern=_ISO3)
    gender: str | None = Field(default=None, max_length=64)
    language: str = Field(min_length=1, max_length=32)
    interpreter_language: str | None = Field(default=None, min_length=1, max_length=32)
    age: int | None = Field(default=None, ge=0, le=120)
    age_band: str | None = None
    age_uncertain: bool = False
    indicators: dict[str, bool | None] = Field(default_factory=dict)
    needs: list[str] = Field(default_factory=list)
    consents: dict[str, bool] = Field(default_factory=dict)
    vessel_evidence: dict[str, Any] = Field(default_factory=dict)

    @field_validator("state_iso3", "nationality_iso3", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v

    @field_validator("age_band")
    @classmethod
    def _band(cls, v: str | None) -> str | None:
        return check_age_band(v)

    @field_validator("indicators")
    @classmethod
    def _indicators(cls, v: dict[str, bool | None]) -> dict[str, bool | None]:
        check_ilo_indicators(v)
        return v

    @field_validator("needs")
    @classmethod
    def _needs(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(NEEDS))
        if unknown:
            raise ValueError(f"Unknown needs {unknown}; known: {list(NEEDS)}.")
        return sorted(set(v), key=v.index)

    @field_validator("consents")
    @classmethod
    def _consents(cls, v: dict[str, bool]) -> dict[str, bool]:
        unknown = sorted(set(v) - set(CONSENT_USES))
        if unknown:
            raise ValueError(f"Unknown consent uses {unknown}; uses: {list(CONSENT_USES)}.")
        return v

    def consents_in_force(self) -> dict[str, bool]:
        """Every use's consent: the person's answers over :data:`CONSENT_DEFAULTS`."""
        return {**CONSENT_DEFAULTS, **self.consents}


PERSONAL_INTAKE_FIELDS = (
    "nationality_iso3",
    "gender",
    "language",
    "interpreter_language",
    "age",
    "age_band",
    "age_uncertain",
    "needs",
    "indicators",
)
"""The form's fields about the person (stored encrypted in the case's intake only); all
of them go to social welfare (:data:`vessel_risk.referral.routing.CASE_FIELDS_BY_ROLE`)."""


def intake_fields(form: IntakeForm) -> dict[str, Any]:
    """What the intake stores: the fields the person entered, nothing defaulted.

    Returns
    -------
    dict
        The set fields among :data:`PERSONAL_INTAKE_FIELDS` (None values dropped), plus
        ``vessel_evidence`` where prefilled.
    """
    entered = form.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    out = {k: entered[k] for k in PERSONAL_INTAKE_FIELDS if k in entered}
    if form.vessel_evidence:
        out["vessel_evidence"] = form.model_dump(mode="json")["vessel_evidence"]
    return out


def presumed_child(form: IntakeForm) -> bool:
    """Whether the person is treated as a child: age under 18, or age unknown or uncertain.

    The age presumption: when a person's age is uncertain they are presumed a child
    until determined otherwise (ASEAN Do No Harm Guide for Frontline Responders, p. 15,
    seed report §5.1.1; CETS 197 Art. 10(3)). No age and no band counts as unknown.

    Returns
    -------
    bool
    """
    if form.age_uncertain:
        return True
    if form.age is not None:
        return form.age < 18
    if form.age_band is not None:
        return form.age_band in CHILD_AGE_BANDS
    return True


@dataclass(frozen=True)
class ScreeningResult:
    """What a screening concluded.

    Attributes
    ----------
    presumed_victim : bool
        Any ILO indicator answered present.
    indicators_present : list of str
        Their keys, in :data:`ILO_INDICATORS` order.
    child : bool
        :func:`presumed_child`.
    statement : str
        :data:`CASE_STATEMENT` for a presumed victim, :data:`NO_INDICATOR_STATEMENT`
        otherwise.
    """

    presumed_victim: bool
    indicators_present: list[str]
    child: bool
    statement: str


def screen(form: IntakeForm) -> ScreeningResult:
    """Screen a person: presumed victim when any indicator is present (seed §5.1.2).

    One indicator suffices (ILO, *Indicators of Forced Labour*, 2012); a presumed victim
    needs no formal identification to be treated as a victim and receive services.
    """
    present = [k for k in ILO_INDICATORS if form.indicators.get(k) is True]
    return ScreeningResult(
        presumed_victim=bool(present),
        indicators_present=present,
        child=presumed_child(form),
        statement=CASE_STATEMENT if present else NO_INDICATOR_STATEMENT,
    )


def _utc(t: datetime) -> datetime:
    out = as_utc(t)
    assert out is not None
    return out


def _iso(t: datetime | None) -> str | None:
    t = as_utc(t)
    return None if t is None else t.isoformat()


def prefill(alert: Any, events: Iterable[Any]) -> dict[str, Any]:
    """The vessel's AIS evidence for an intake form, from an alert and its events.

    Parameters
    ----------
    alert : AlertRow
        Or any object with its attributes (``id``, ``mmsi``, ``year``, ``shipname``,
        ``flag_iso3``, ``last_port_label``, ``last_port_iso3``, ``detail``).
    events : iterable of EvidenceEvent
        The alert's score's events (``kind``, ``start``, ``end``, ``duration_h``,
        ``detail``).

    Returns
    -------
    dict
        JSON-safe: ``alert_id``, ``mmsi``, ``year``, ``shipname``, ``flag_iso3``,
        ``period_start``/``period_end`` (ISO 8601 UTC), ``longest_voyage_days`` (the
        score's ``max_voyage_duration_hours`` / 24 where it has it, else the longest
        time between two port visits, days, 1 decimal; None if unknown),
        ``port_visits`` (port label, ISO3, arrival, departure, in order),
        ``port_visits_total``, ``encounters_total``, ``encounters_with_carriers``,
        ``ais_gaps_total``, ``ais_gaps_likely_disabling``, ``loitering_total``,
        ``fishing_hours`` where the score has it. Plain values only: no score, which is
        evidence about a vessel, never about the person.
    """
    evs = list(events)
    detail: Mapping[str, Any] = getattr(alert, "detail", None) or {}
    by_feature = {i.get("feature"): i.get("value") for i in detail.get("indicators", [])}
    visits = sorted((e for e in evs if e.kind == "port_visit"), key=lambda e: _utc(e.start))
    longest = None
    if by_feature.get("max_voyage_duration_hours") is not None:
        longest = round(float(by_feature["max_voyage_duration_hours"]) / 24, 1)
    elif len(visits) >= 2:
        spans = [
            (_utc(b.start) - _utc(a.end)).total_seconds() / 86400
            for a, b in zip(visits, visits[1:], strict=False)
        ]
        longest = round(max(spans), 1)
    encounters = [e for e in evs if e.kind == "encounter"]
    gaps = [e for e in evs if e.kind == "ais_gap"]
    out: dict[str, Any] = {
        "alert_id": getattr(alert, "id", None),
        "mmsi": alert.mmsi,
        "year": alert.year,
        "shipname": alert.shipname,
        "flag_iso3": alert.flag_iso3,
        "period_start": detail.get("first_seen"),
        "period_end": detail.get("last_seen"),
        "longest_voyage_days": longest,
        "last_port": alert.last_port_label,
        "last_port_iso3": alert.last_port_iso3,
        "port_visits": [
            {
                "port_label": (e.detail or {}).get("port_label"),
                "port_iso3": (e.detail or {}).get("port_iso3"),
                "arrival": _iso(e.start),
                "departure": _iso(e.end),
            }
            for e in visits
        ],
        "port_visits_total": len(visits),
        "encounters_total": len(encounters),
        "encounters_with_carriers": sum(
            bool((e.detail or {}).get("other_is_carrier")) for e in encounters
        ),
        "ais_gaps_total": len(gaps),
        "ais_gaps_likely_disabling": sum(
            (e.detail or {}).get("gap_class") == "likely_disabling" for e in gaps
        ),
        "loitering_total": sum(e.kind == "loitering" for e in evs),
    }
    for feature in ("fishing_hours", "total_fishing_hours"):
        if by_feature.get(feature) is not None:
            out["fishing_hours"] = float(by_feature[feature])
    return out
