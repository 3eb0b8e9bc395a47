"""The tables of presumed-victim cases (issue 17): inspections, cases and what follows them.

Part of the database described in :mod:`vessel_risk.db.tables` (which re-exports these
classes); kept apart so that neither module grows past the size a reader can hold. The
rules that act on them live in :mod:`vessel_risk.referral` (pure state machine,
reflection rules, screening) and its session-side modules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vessel_risk.db.base import Base
from vessel_risk.db.crypto import EncryptedJSON


class Inspection(Base):
    """One boarding or inspection of a vessel and what it found (issue 17).

    ``outcome`` is ``confirmed`` (forced-labour indicators confirmed on board),
    ``none_found`` or ``not_boarded`` (``not_boarded_reason`` says why).
    ``ilo_indicators`` lists the ILO forced-labour indicators observed (keys of
    :data:`vessel_risk.referral.standards.ILO_INDICATORS`); ``documents_seen`` maps each
    ILO C188 checklist item to ``seen``, ``missing`` or ``not_checked``;
    ``crew_by_nationality`` maps ISO3 to a head count. No person is named here.
    """

    __tablename__ = "inspections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    mmsi: Mapped[str] = mapped_column(String(9), index=True)
    vessel_id: Mapped[str | None] = mapped_column(String(32), index=True)
    year: Mapped[int] = mapped_column(Integer)
    inspected_at: Mapped[datetime]
    port_label: Mapped[str | None] = mapped_column(String(128))
    port_iso3: Mapped[str | None] = mapped_column(String(3))
    agency_id: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    not_boarded_reason: Mapped[str | None] = mapped_column(Text)
    ilo_indicators: Mapped[list[Any]] = mapped_column(default=list)
    documents_seen: Mapped[dict[str, Any]] = mapped_column(default=dict)
    crew_by_nationality: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime]


class Case(Base):
    """One person's case in the National Referral Mechanism (issue 17): one case per person.

    ``state`` follows :data:`vessel_risk.referral.cases.TRANSITIONS` (screened, presumed
    victim, reflection and recovery, identified or not identified, assistance, return or
    integration, closed). ``entry_point`` says how the person reached the mechanism
    (``boarding``, ``hotline``, ``ngo``, ``consulate``, ``port_welfare``,
    ``first_responder``). ``state_iso3`` is the state where the person is, whose rule sets
    the reflection and recovery period (:mod:`vessel_risk.referral.reflection`). ``child``
    is True for a child or a person of uncertain age (presumed a child), routed to child
    protection (``child_protection_agency_id``). ``owner_client_id`` is the case worker's
    API client. ``retain_until`` is set at closure (retention runs from closure); the
    person's data (:class:`CaseIntake`) is unreadable after it and purged.
    """

    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    notice_id: Mapped[str | None] = mapped_column(ForeignKey("referral_notices.id"), index=True)
    entry_point: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32), index=True)
    state_iso3: Mapped[str] = mapped_column(String(3), index=True)
    presumed_victim: Mapped[bool] = mapped_column(Boolean, default=False)
    child: Mapped[bool] = mapped_column(Boolean, default=False)
    age_uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_client_id: Mapped[str] = mapped_column(String(64), index=True)
    owner_agency_id: Mapped[str] = mapped_column(String(64), index=True)
    child_protection_agency_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reflection_started_at: Mapped[datetime | None]
    reflection_days: Mapped[int | None] = mapped_column(Integer)
    reflection_ends_at: Mapped[datetime | None]
    reflection_rule: Mapped[str | None] = mapped_column(Text)
    assistance_started_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    retain_until: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CaseIntake(Base):
    """The screening answers and personal data of a case's person, encrypted at rest.

    ``fields`` holds what the intake form recorded (nationality, gender as stated,
    language and interpreter, age or age band, answers against the ILO indicators,
    needs); it is unreadable after the case's ``retain_until`` and then deleted.
    """

    __tablename__ = "case_intakes"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    fields: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime]


class CaseConsent(Base):
    """One consent decision of a case's person for one use of their data; never updated.

    ``use`` is ``services``, ``referral``, ``law_enforcement``, ``consular`` or
    ``transfer``; the latest row per use is the one in force. ``interpreter_language``
    records the language an interpreter used when the person decided.
    """

    __tablename__ = "case_consents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    use: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    interpreter_language: Mapped[str | None] = mapped_column(String(32))
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime]


class CaseTransition(Base):
    """One change of a case's state: who, when, why, under which rule, and who decided."""

    __tablename__ = "case_transitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[str | None] = mapped_column(Text)
    panel: Mapped[list[Any]] = mapped_column(default=list)


class CaseFollowUp(Base):
    """A follow-up of a case at 3, 6 or 12 months after assistance begins.

    ``indicators`` maps each Philippines IACAT reintegration indicator to its status at
    the follow-up (encrypted: it is about a person).
    """

    __tablename__ = "case_follow_ups"
    __table_args__ = (UniqueConstraint("case_id", "months", name="uq_case_follow_ups_months"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    months: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(128))
    indicators: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    notified_at: Mapped[datetime | None]


class CaseTransfer(Base):
    """A case handed to another state's mechanism (repatriation, onward migration).

    ``fields`` lists the intake fields the person agreed to share; ``status`` is
    ``requested``, ``sent``, ``accepted``, ``declined`` or ``completed``.
    """

    __tablename__ = "case_transfers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    to_agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    to_iso3: Mapped[str] = mapped_column(String(3))
    purpose: Mapped[str] = mapped_column(String(32))
    fields: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="requested")
    delivery_id: Mapped[str | None] = mapped_column(String(36))
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime]
    updated_at: Mapped[datetime]
