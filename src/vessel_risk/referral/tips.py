"""Tips: the mechanism's other entry points (hotlines, NGOs, consulates, first responders).

The seed report (referral_mechanisms_asean_2023.txt) asks for several ways into the
mechanism besides the model: a hotline, an NGO, a consulate or a first responder may
know of a vessel, or of a person, that AIS data will never show. A tip enters the same
review queue as the model's alerts, marked by its source:

- it is **never scored**: no score is invented for it; its item reads
  "no model score: tip from <source>" (:func:`vessel_risk.alerts.queue.unscored_note`);
- when it names a vessel (its MMSI, or an IMO number or call sign the vessel table links
  to an MMSI) that a live queue item already covers (``new``, ``under_review`` or
  ``referred``), it is **linked** to that item, which then reads "also reported by
  <source>" (``alerts.reported_by``), rather than duplicated;
- otherwise it is **its own queue item**: an ``alerts`` row of ``source`` the tip's
  entry point, tier ``unscored``, placed by :func:`vessel_risk.alerts.queue.tip_urgency`,
  with the same review lifecycle (:mod:`vessel_risk.alerts.lifecycle`) and referral
  (:mod:`vessel_risk.referral.notices`; the notice carries the source);
- its submitter gets a receipt and nothing else: not the queue, not other tips, not
  what became of it (do no harm; nothing reaches a vessel's operator).

Least data: a tip about a person holds only what the person or the source added
(:class:`TipPerson`: no name field exists), encrypted at rest with the source's account
(``observed``) like a case's intake, unreadable after ``retain_until``
(:data:`TIP_RETENTION_DAYS` after receipt) and
then purged (:func:`vessel_risk.delivery.retention.purge_expired_personal_data`). Every
tip received and every queue item it makes or joins is audited.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from vessel_risk.alerts.queue import (
    TIP_SOURCES,
    UNSCORED,
    sort_key,
    tip_urgency,
    unscored_note,
)
from vessel_risk.db.tables import AlertRow, Tip, Vessel, as_utc, audit, utcnow
from vessel_risk.identity.mmsi import mid_table
from vessel_risk.referral.screening import NEEDS, check_age_band
from vessel_risk.referral.standards import ILO_INDICATORS, check_ilo_indicators

TIP_CAVEAT = (
    "A person reported this; it was not scored. It is a report to check, not proof, and "
    "the crew are presumed victims, never suspects."
)
"""What a tip's queue item says where an alert gives the model's caveat."""

TIP_RETENTION_DAYS = 365
"""Days a tip's account and person data stay readable after receipt: as crew data on a
notice (:data:`vessel_risk.referral.personal_data.DEFAULT_RETENTION_DAYS`)."""

LIVE_STATUSES = ("new", "under_review", "referred")
"""Statuses of a queue item a tip joins; a dismissed or withdrawn item is not reopened
by a tip (a person decides that): the tip makes an item of its own."""

TipSource = Literal["hotline", "ngo", "consulate", "first_responder", "port_welfare", "other"]
"""The entry points of :data:`vessel_risk.alerts.queue.TIP_SOURCES`."""


class TipPerson(BaseModel):
    """What a tip may say about a person: only what the person or the source added.

    No name, no document number: the least data a reviewer needs to send help. Stored
    encrypted; read by nobody but the case roles (``cases.intake``).

    Attributes
    ----------
    nationality_iso3 : str, optional
    age_band : str, optional
        One of :data:`vessel_risk.referral.screening.AGE_BANDS`.
    age_uncertain : bool
        The age is doubtful: the person is presumed a child.
    gender : str, optional
        As stated, free text (at most 64 characters).
    language : str, optional
    needs : list of str
        From :data:`vessel_risk.referral.screening.NEEDS`.
    contact : str, optional
        How to reach the person safely, only where they asked to be reached.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    nationality_iso3: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    age_band: str | None = None
    age_uncertain: bool = False
    gender: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=32)
    needs: list[str] = Field(default_factory=list)
    contact: str | None = Field(default=None, max_length=200)

    @field_validator("nationality_iso3", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v

    @field_validator("age_band")
    @classmethod
    def _band(cls, v: str | None) -> str | None:
        return check_age_band(v)

    @field_validator("needs")
    @classmethod
    def _needs(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(NEEDS))
        if unknown:
            raise ValueError(f"Unknown needs {unknown}; known: {list(NEEDS)}.")
        return sorted(set(v), key=v.index)


class TipReport(BaseModel):
    """One tip as a source reports it (the API's request body, the form, the CLI).

    Attributes
    ----------
    source : str
        The entry point, one of :data:`vessel_risk.alerts.queue.TIP_SOURCES`.
    subject : str
        ``vessel`` or ``person``.
    mmsi : str, optional
        9 digits.
    imo : str, optional
        7 digits (an ``IMO`` prefix is dropped).
    shipname, callsign : str, optional
    flag_iso3 : str, optional
        The flag the source saw (ISO 3166-1 alpha-3); routing by it needs a person's
        confirmation, like any flag not read from a valid MID.
    port_label : str, optional
        The port where the vessel was seen, or is expected (upper-cased).
    port_iso3 : str, optional
        That port's state.
    last_seen : datetime, optional
        When the source last saw the vessel or the person (UTC; not in the future).
    urgent : bool
        A person is at risk now.
    ilo_indicators : list of str
        Keys of :data:`vessel_risk.referral.standards.ILO_INDICATORS` the source observed.
    observed : str, optional
        What the source observed, in their words (at most 4000 characters; encrypted).
    person : TipPerson, optional
        Only for a tip about a person.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    source: TipSource
    subject: Literal["vessel", "person"] = "vessel"
    mmsi: str | None = Field(default=None, pattern=r"^\d{9}$")
    imo: str | None = Field(default=None, pattern=r"^\d{7}$")
    shipname: str | None = Field(default=None, min_length=1, max_length=128)
    callsign: str | None = Field(default=None, min_length=1, max_length=32)
    flag_iso3: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    port_label: str | None = Field(default=None, min_length=1, max_length=128)
    port_iso3: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    last_seen: datetime | None = None
    urgent: bool = False
    ilo_indicators: list[str] = Field(default_factory=list, max_length=len(ILO_INDICATORS))
    observed: str | None = Field(default=None, max_length=4000)
    person: TipPerson | None = None

    @field_validator("imo", mode="before")
    @classmethod
    def _imo(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip().upper().removeprefix("IMO").strip()
        return v or None

    @field_validator("flag_iso3", "port_iso3", "callsign", "shipname", "port_label", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        if isinstance(v, str):
            return v.strip().upper() or None
        return v

    @field_validator("mmsi", "observed", mode="before")
    @classmethod
    def _blank(cls, v: Any) -> Any:
        return (v.strip() or None) if isinstance(v, str) else v

    @field_validator("flag_iso3", "port_iso3")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        if v is not None and pycountry.countries.get(alpha_3=v) is None:
            raise ValueError(f"{v!r} is not an ISO 3166-1 alpha-3 country code.")
        return v

    @field_validator("ilo_indicators")
    @classmethod
    def _indicators(cls, v: list[str]) -> list[str]:
        check_ilo_indicators(v)
        return sorted(set(v), key=v.index)

    @field_validator("last_seen")
    @classmethod
    def _past(cls, v: datetime | None) -> datetime | None:
        if v is None:
            return None
        if v.tzinfo is None:
            raise ValueError("last_seen needs a time zone (UTC: a trailing Z).")
        utc = as_utc(v)
        if utc is not None and utc > utcnow() + timedelta(minutes=5):
            raise ValueError("last_seen is in the future.")
        return utc

    @model_validator(mode="after")
    def _subject(self) -> TipReport:
        vessel = (self.mmsi, self.imo, self.shipname, self.callsign)
        if self.subject == "vessel" and not any(vessel):
            raise ValueError("A tip about a vessel names it: an MMSI, IMO, name or call sign.")
        if self.subject == "vessel" and self.person is not None:
            raise ValueError("A tip about a vessel holds no person's data; send subject=person.")
        if self.subject == "person" and self.person is None and not self.observed:
            raise ValueError("A tip about a person says what was observed or about whom.")
        return self


def _mid_flag(mmsi: str | None) -> str | None:
    if mmsi is None or not ("2" <= mmsi[0] <= "7"):
        return None
    return mid_table().get(mmsi[:3])


def _vessel_mmsis(session: Session, report: TipReport) -> set[str]:
    """The MMSIs a report names: its own, and those the vessel table holds for its IMO
    number or call sign (a name alone is too ambiguous to match on)."""
    found = {report.mmsi} if report.mmsi else set()
    keys = []
    if report.imo:
        keys.append(Vessel.imo == report.imo)
    if report.callsign:
        keys.append(Vessel.callsign == report.callsign)
    if keys:
        found |= set(session.scalars(select(Vessel.mmsi).where(or_(*keys))))
    return found


def matching_item(session: Session, report: TipReport) -> AlertRow | None:
    """The live queue item a tip joins: of a vessel it names, newest year first, then
    the strongest in queue order (:func:`vessel_risk.alerts.queue.sort_key`); None if
    there is none (:data:`LIVE_STATUSES`)."""
    mmsis = _vessel_mmsis(session, report)
    if not mmsis:
        return None
    rows = session.scalars(
        select(AlertRow).where(AlertRow.mmsi.in_(sorted(mmsis)), AlertRow.status.in_(LIVE_STATUSES))
    ).all()
    if not rows:
        return None
    return max(rows, key=lambda r: (r.year, sort_key(r)))


def _join(session: Session, item: AlertRow, report: TipReport, *, actor: str) -> None:
    before = {"reported_by": list(item.reported_by or [])}
    item.reported_by = sorted({*(item.reported_by or []), report.source})
    urgency = tip_urgency(report.urgent, len(report.ilo_indicators))
    if urgency > (item.tip_urgency or 0):  # a joined low alert moves to the tips' band
        item.tip_urgency = urgency
    item.updated_at = utcnow()
    audit(
        session,
        actor=actor,
        action="alert.reported_by",
        entity_type="alert",
        entity_id=item.id,
        before=before,
        after={"reported_by": item.reported_by},
    )


def _new_item(session: Session, report: TipReport, *, received_at: datetime) -> AlertRow:
    seen = report.last_seen or received_at
    declared = _mid_flag(report.mmsi)
    flag_given = report.flag_iso3 if report.flag_iso3 != declared else None
    item = AlertRow(
        source=report.source,
        reported_by=[],
        tip_urgency=tip_urgency(report.urgent, len(report.ilo_indicators)),
        mmsi=report.mmsi,
        track_id=0,
        year=seen.year,
        shipname=report.shipname,
        flag_iso3=declared,
        flag_inferred_iso3=None if declared else flag_given,
        flag_inferred_source=(
            f"reported by a {report.source.replace('_', ' ')} tip" if flag_given else None
        ),
        score=None,
        tier=UNSCORED,
        rank=None,
        model_version=None,
        last_lat=None,
        last_lon=None,
        last_seen=seen,
        last_port_label=report.port_label,
        last_port_iso3=report.port_iso3,
        status="new",
        detail={
            "source": report.source,
            "data_note": unscored_note(report.source),
            "caveat": TIP_CAVEAT,
            "subject": report.subject,
            "imo": report.imo,
            "callsign": report.callsign,
            "ilo_indicators": list(report.ilo_indicators),
            "urgent": report.urgent,
        },
        created_at=received_at,
        updated_at=received_at,
    )
    session.add(item)
    session.flush()
    audit(
        session,
        actor=f"system:tips:{report.source}",
        action="alert.created",
        entity_type="alert",
        entity_id=item.id,
        after={"source": report.source, "tier": UNSCORED, "score": None},
    )
    return item


def submit_tip(
    session: Session,
    report: TipReport,
    *,
    actor: str,
    agency_id: str,
    now: datetime | None = None,
    retention_days: int = TIP_RETENTION_DAYS,
) -> Tip:
    """Receive a tip: store it, and join it to its vessel's live queue item or make one.

    Parameters
    ----------
    session : Session
        Committed by the caller.
    report : TipReport
    actor : str
        Who submitted it (``<agency>/<client>`` or a CLI user); audited.
    agency_id : str
        The submitting agency (a hotline's, an NGO's, a consulate's).
    now : datetime, optional
        Receipt time (UTC); default the clock.
    retention_days : int, default 365
        How long ``observed`` and ``person`` stay readable (1-3650).

    Returns
    -------
    Tip
        With ``alert_id`` (its queue item) and ``linked`` (True: the item existed).

    Raises
    ------
    ValueError
        If ``retention_days`` is not in 1-3650.
    """
    if not 1 <= retention_days <= 3650:
        raise ValueError(f"retention_days must be 1 to 3650. Got {retention_days} instead.")
    received_at = as_utc(now) or utcnow()
    item = matching_item(session, report)
    linked = item is not None
    if item is None:
        item = _new_item(session, report, received_at=received_at)
    else:
        _join(session, item, report, actor=actor)
    tip = Tip(
        id=str(uuid.uuid4()),
        source=report.source,
        subject=report.subject,
        alert_id=item.id,
        linked=linked,
        mmsi=report.mmsi,
        imo=report.imo,
        shipname=report.shipname,
        callsign=report.callsign,
        flag_iso3=report.flag_iso3,
        port_label=report.port_label,
        port_iso3=report.port_iso3,
        last_seen=report.last_seen,
        urgent=report.urgent,
        ilo_indicators=list(report.ilo_indicators),
        observed=report.observed,
        person=None if report.person is None else report.person.model_dump(exclude_none=True),
        submitted_by=actor,
        submitter_agency_id=agency_id,
        received_at=received_at,
        retain_until=received_at + timedelta(days=retention_days),
    )
    session.add(tip)
    session.flush()
    audit(
        session,
        actor=actor,
        action="tip.received",
        entity_type="tip",
        entity_id=tip.id,
        after={
            "source": report.source,
            "subject": report.subject,
            "alert_id": item.id,
            "linked": linked,
            "ilo_indicators": len(report.ilo_indicators),
            "person_data": sorted((tip.person or {}).keys()),
        },
    )
    return tip


def tip_readable(tip: Tip, now: datetime | None = None) -> bool:
    """Whether a tip's ``observed`` and ``person`` may still be read (before
    ``retain_until``, UTC)."""
    until = as_utc(tip.retain_until)
    return until is None or until > (as_utc(now) or utcnow())


def tips_of(session: Session, alert_id: int) -> list[Tip]:
    """The tips on queue item ``alert_id``, oldest first."""
    stmt = select(Tip).where(Tip.alert_id == alert_id).order_by(Tip.received_at, Tip.id)
    return list(session.scalars(stmt))


def tip_summary(tip: Tip, *, now: datetime | None = None) -> dict[str, Any]:
    """A tip as a reviewer reads it beside its queue item: no person's data.

    Returns
    -------
    dict
        ``id``, ``source``, ``subject``, ``received_at``, the vessel fields,
        ``urgent``, ``ilo_indicators`` (labels), ``observed`` (the source's account of a
        vessel; None for a tip about a person, whose account is about them, and once past
        retention) and ``person_data_held`` (whether the tip holds an account of, or data
        about, a person: encrypted, for case roles only).
    """
    readable = tip_readable(tip, now)
    about_person = tip.subject == "person"
    return {
        "id": tip.id,
        "source": tip.source,
        "subject": tip.subject,
        "received_at": as_utc(tip.received_at),
        "mmsi": tip.mmsi,
        "imo": tip.imo,
        "shipname": tip.shipname,
        "callsign": tip.callsign,
        "flag_iso3": tip.flag_iso3,
        "port_label": tip.port_label,
        "last_seen": as_utc(tip.last_seen),
        "urgent": tip.urgent,
        "ilo_indicators": [ILO_INDICATORS[k] for k in tip.ilo_indicators or []],
        "observed": tip.observed if readable and not about_person else None,
        "person_data_held": readable
        and (bool(tip.person) or (about_person and bool(tip.observed))),
    }


def list_tips(session: Session, *, source: str | None = None, limit: int = 100) -> list[Tip]:
    """Tips received, newest first (for reviewers and the CLI, never for submitters).

    Raises
    ------
    ValueError
        For a ``source`` not in :data:`vessel_risk.alerts.queue.TIP_SOURCES`.
    """
    stmt = select(Tip)
    if source is not None:
        if source not in TIP_SOURCES:
            raise ValueError(f"source must be one of {TIP_SOURCES}. Got {source!r}.")
        stmt = stmt.where(Tip.source == source)
    return list(session.scalars(stmt.order_by(Tip.received_at.desc(), Tip.id).limit(limit)))
