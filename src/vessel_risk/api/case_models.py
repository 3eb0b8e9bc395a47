"""Request and response models of the case routes (issue 17): one presumed victim's case.

A case is about a person. The models here carry a case's metadata (state, dates, the
reflection and recovery period, whether the person is presumed a child) and never the
person's own answers: those come only from ``GET /cases/{case_id}/intake``
(:class:`IntakeRecord`), each read audited. Every response about a person carries the
non-punishment statement (:data:`PRESUMED_VICTIM`). Times are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vessel_risk.api.models import UTC
from vessel_risk.referral.screening import CASE_STATEMENT, IntakeForm
from vessel_risk.referral.standards import IACAT_INDICATORS

PRESUMED_VICTIM = CASE_STATEMENT
"""The statement every case response carries
(:data:`vessel_risk.referral.screening.CASE_STATEMENT`)."""

STATE_LABELS: dict[str, str] = {
    "screened": "Screened: support offered",
    "presumed_victim": "Presumed victim: protected and supported",
    "reflection": "Reflection and recovery period",
    "identified": "Formally identified as a victim",
    "not_identified": "Not formally identified: support and referral continue as needed",
    "assistance": "Receiving assistance",
    "return": "Safe return home",
    "integration": "Integration where they are",
    "closed": "Case closed",
}
"""Each case state in plain, non-punishment words (the dashboard's and the API's
``state_label``)."""

ConsentUse = Literal["services", "referral", "law_enforcement", "consular", "transfer"]
"""The uses of a person's data they decide on, one at a time
(:data:`vessel_risk.referral.cases.CONSENT_USES`)."""

IacatStatus = Literal["not_started", "in_progress", "achieved", "not_applicable"]
"""The status of one IACAT reintegration indicator at a follow-up
(:data:`vessel_risk.referral.standards.IACAT_STATUSES`)."""


def presumed_victim_status(presumed_victim: bool, child: bool) -> str:
    """The person's status in one line of non-punishment language.

    Parameters
    ----------
    presumed_victim : bool
        Whether screening found an ILO indicator of forced labour.
    child : bool
        A child, or a person of uncertain age presumed a child (ASEAN Do No Harm guide,
        seed report §5.1.1).
    """
    text = (
        "Presumed victim of forced labour"
        if presumed_victim
        else "No indicator found at screening; support remains available"
    )
    return text + (" · presumed a child: child protection" if child else "")


class CaseCreate(BaseModel):
    """``POST /cases``: screen one person and open their case.

    ``intake`` is the screening form (what the person chose to answer); the case starts
    from a boarding (``inspection_id``), an alert, a referral notice, or none of them
    (another entry point: a hotline, an NGO, a consulate, a port welfare worker).
    """

    model_config = ConfigDict(extra="forbid")

    intake: IntakeForm
    inspection_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    alert_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    notice_id: str | None = Field(default=None, max_length=36)


class PanelMember(BaseModel):
    """One member of the panel deciding on identification (no names needed)."""

    model_config = ConfigDict(extra="forbid")

    role: str = Field(
        min_length=1,
        max_length=64,
        description="e.g. social_welfare, child_protection, labour_inspection, ngo.",
    )
    agency_id: str | None = Field(default=None, max_length=64)


class TransitionRequest(BaseModel):
    """``POST /cases/{case_id}/transitions``: move the case on, saying why."""

    model_config = ConfigDict(extra="forbid")

    to_state: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=2000)
    panel: list[PanelMember] = Field(default_factory=list, max_length=20)


class ConsentRequest(BaseModel):
    """``POST /cases/{case_id}/consents``: the person's decision on one use of their data.

    A withdrawal (``granted`` false after true) reaches every recipient that received
    data under that use.
    """

    model_config = ConfigDict(extra="forbid")

    use: ConsentUse
    granted: bool
    interpreter_language: str | None = Field(default=None, max_length=32)


class FollowUpRequest(BaseModel):
    """``POST /cases/{case_id}/follow-ups/{months}``: the follow-up done, with the status
    of each IACAT reintegration indicator (seed report §5.6)."""

    model_config = ConfigDict(extra="forbid")

    indicators: dict[str, IacatStatus] = Field(
        description=f"Keys among {sorted(IACAT_INDICATORS)}."
    )


class TransferRequest(BaseModel):
    """``POST /cases/{case_id}/transfers``: hand the case to another state's mechanism
    (needs the person's consent to ``transfer``; carries only ``fields``)."""

    model_config = ConfigDict(extra="forbid")

    to_agency_id: str = Field(min_length=1, max_length=64)
    purpose: Literal["repatriation", "onward_migration", "services"]
    fields: list[str] = Field(default_factory=list, max_length=40)


class TransferStatusRequest(BaseModel):
    """``POST /cases/{case_id}/transfers/{transfer_id}``: the transfer's new status, as
    either side reports it (requested -> sent -> accepted -> completed; declined)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["sent", "accepted", "declined", "completed"]


class TransitionPublic(BaseModel):
    """One change of the case's state."""

    model_config = ConfigDict(from_attributes=True)

    from_state: str | None
    to_state: str
    at: UTC
    actor: str
    reason: str | None
    rule: str | None
    panel: list[Any]


class FollowUpPublic(BaseModel):
    """A follow-up at 3, 6 or 12 months after assistance began (its indicators are the
    person's: not here)."""

    model_config = ConfigDict(from_attributes=True)

    case_id: str
    months: int
    due_at: UTC
    done_at: UTC | None
    done_by: str | None
    notified_at: UTC | None
    overdue: bool = False


class TransferPublic(BaseModel):
    """A transfer of the case and its status."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    to_agency_id: str
    to_iso3: str
    purpose: str
    fields: list[str]
    status: str
    requested_by: str
    requested_at: UTC
    updated_at: UTC


class PhasePublic(BaseModel):
    """One phase of the reflection and recovery period (e.g. Thailand: 15 days in a
    victim identification centre, then 30 in a shelter) and when it ends."""

    label: str
    ends_at: UTC


class CaseSummary(BaseModel):
    """A case in a list: its state and dates, never the person's data."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    entry_point: str
    state: str
    state_label: str
    presumed_victim: bool
    status: str = Field(description="The person's status in non-punishment language.")
    child: bool = Field(description="A child, or of uncertain age and so presumed a child.")
    state_iso3: str = Field(description="Where the person is (its rule sets the period).")
    owner_agency_id: str
    child_protection_agency_id: str | None
    reflection_days: int | None
    reflection_ends_at: UTC | None
    created_at: UTC
    updated_at: UTC


class CaseDetail(CaseSummary):
    """A case with its history, consents, follow-ups and transfers (no personal data)."""

    inspection_id: int | None
    alert_id: int | None
    notice_id: str | None
    age_uncertain: bool
    reflection_started_at: UTC | None
    reflection_rule: str | None
    reflection_phases: list[PhasePublic] = Field(
        default_factory=list, description="The period's phases by the state's rule, in order."
    )
    assistance_started_at: UTC | None
    closed_at: UTC | None
    retain_until: UTC | None
    presumed_victims: str = PRESUMED_VICTIM
    next_states: list[str] = Field(description="States the case may move to from here.")
    notes: list[str] = Field(description="What needs doing (e.g. assign child protection).")
    transitions: list[TransitionPublic]
    consents: dict[str, bool]
    follow_ups: list[FollowUpPublic]
    transfers: list[TransferPublic]


class IntakeRecord(BaseModel):
    """``GET /cases/{case_id}/intake``: the person's own answers (this read is audited)."""

    case_id: str
    fields: dict[str, Any]
    presumed_victims: str = PRESUMED_VICTIM
    read_at: datetime


class ReferralQueued(BaseModel):
    """One message of the case queued for an agency by ``POST /cases/{case_id}/refer``."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    agency_id: str
    rule: str
    event_type: str
    consent_use: str | None = None
