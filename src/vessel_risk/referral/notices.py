"""Presumed-victim referral notices: built from an alert, approved, routed, clocked.

A notice is a vessel-level pre-referral: it tells the agencies that can protect the crew
that a vessel's AIS behaviour shows indicators of forced labour, so that the crew can be
identified as *presumed* victims and helped. It carries vessel data only. The crew are
presumed victims, never suspects (non-punishment principle, ASEAN Convention against
Trafficking in Persons Art. 14(7)); support must not depend on their cooperation.

Life of a notice: a reviewer creates it from an alert (``draft``; the alert goes under
review) → a referral approver approves it (``approved``; the alert becomes ``referred``,
the rules of :mod:`vessel_risk.referral.routing` choose the agencies and
:func:`vessel_risk.delivery.enqueue` puts one delivery per agency in the outbox, in the
same transaction). Where an agency's rule allows (``auto_refer``), :func:`auto_refer`
does both without a person, for that agency only.

Clocks: the reflection and recovery period (at least 30 days, CETS 197 Art. 13; longer
where the port state's agency sets it) and follow-ups at 3, 6 and 12 months (Thailand's
survivor monitoring, seed report §5.6) start when the notice is approved.

Personal data: never in the notice. A person may later add minimised crew data
(:data:`PERSONAL_FIELDS`) with the crew's consent or a recorded override and a
retention limit (CETS 197 Art. 11; Council of Europe Convention 108); it is kept in its
own table, every addition and read is audited, and :func:`purge_expired` deletes it
when its time is up.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import jinja2
import pandas as pd
import pycountry
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vessel_risk.alerts.build import CAVEAT
from vessel_risk.alerts.lifecycle import transition
from vessel_risk.db.tables import (
    AlertRow,
    EvidenceEvent,
    NoticePersonalData,
    ReferralNotice,
    Score,
    Vessel,
    as_utc,
    audit,
    utcnow,
)
from vessel_risk.delivery import cancel_pending, enqueue
from vessel_risk.geo.ports import PortIndex
from vessel_risk.referral.briefs import C188_CHECKLIST, INTERVIEW_GUIDANCE
from vessel_risk.referral.routing import Fleet, active_agencies, route

MIN_REFLECTION_DAYS = 30
"""Minimum reflection and recovery period (Council of Europe CETS 197 Art. 13)."""
FOLLOW_UP_MONTHS = (3, 6, 12)
"""Follow-up after referral at 3, 6 and 12 months (seed report §5.6, Thailand)."""
DEFAULT_RETENTION_DAYS = 365
"""Default retention of crew personal data added to a notice."""
COASTAL_STATE_KM = 370.4
"""200 nm: an event this close to a state's nearest port counts as in its waters."""
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
PERSONAL_FIELDS = frozenset(
    {
        "crew_count",
        "nationalities_iso3",
        "languages",
        "minors_on_board",
        "urgent_needs",
        "contact_channel",
    }
)
"""The minimised crew fields a person may add; nothing that names a person."""

EVENT_KINDS_BY_FEATURE = (
    ("gaps_12_hours", "ais_gap"),
    ("gap", "ais_gap"),
    ("off_distance", "ais_gap"),
    ("encounter", "encounter"),
    ("loitering", "loitering"),
    ("voyage", "port_visit"),
    ("port_visits", "port_visit"),
)


class NoticeError(ValueError):
    """Raised when a notice cannot be created, approved or changed as asked."""


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


def coastal_states(events: Sequence[EvidenceEvent], ports: PortIndex | None) -> list[str]:
    """States in whose waters the vessel worked, approximated from its events.

    EEZ polygons are not available offline; a loitering event, encounter or AIS gap
    counts as in a state's waters when the nearest port is that state's and within
    200 nm (370.4 km) of the event. This over-counts near borders and misses EEZs far
    from any listed port (remote islands), so the rule that uses it is a prompt to
    coordinate, not a legal finding.

    Returns
    -------
    list of str
        Sorted ISO3 codes.
    """
    located = [e for e in events if e.kind != "port_visit" and e.lat is not None]
    if ports is None or not located:
        return []
    lat = pd.Series([e.lat for e in located], dtype="float64")
    lon = pd.Series([e.lon for e in located], dtype="float64")
    nearest = ports.nearest(lat, lon)
    iso3 = ports.ports["port_iso3"].to_numpy()[nearest.index]
    near = nearest.distance_km <= COASTAL_STATE_KM
    return sorted({str(c) for c, ok in zip(iso3, near, strict=True) if ok and isinstance(c, str)})


def _expected_port(vessel: Vessel | None) -> PortRef | None:
    """The latest AIS-reported destination, if any (free text, as broadcast)."""
    if vessel is None:
        return None
    destinations = [h for h in vessel.identity_history or [] if h["field"] == "destination"]
    if not destinations:
        return None
    latest = max(destinations, key=lambda h: str(h["last_seen"]))
    return PortRef(
        label=str(latest["value"]), iso3=None, at=pd.Timestamp(latest["last_seen"]).to_pydatetime()
    )


def build_payload(
    session: Session,
    alert: AlertRow,
    *,
    notice_id: str,
    created_at: datetime,
    ports: PortIndex | None = None,
    crew_nationalities_iso3: Sequence[str] = (),
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
        For the coastal-state approximation (:func:`coastal_states`).
    crew_nationalities_iso3 : sequence of str
        The crew's countries, when a person recorded them (not personal data: no
        individual is named or counted).

    Returns
    -------
    NoticePayload
    """
    score = session.get(Score, alert.score_id)
    vessel = session.get(Vessel, alert.mmsi)
    events = list(
        session.scalars(select(EvidenceEvent).where(EvidenceEvent.score_id == alert.score_id))
    )
    assert score is not None
    indicators = []
    for ind in score.indicators:
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
            "imo": vessel.imo if vessel else None,
            "callsign": vessel.callsign if vessel else None,
            "shipname": alert.shipname,
            "flag_iso3": alert.flag_iso3,
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
        risk={
            "score": score.score,
            "tier": score.tier,
            "model_version": score.model_version,
            "data_note": score.data_note,
            "caveat": CAVEAT,
        },
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
        expected_port=_expected_port(vessel),
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


def create_notice(
    session: Session,
    alert_id: int,
    *,
    actor: str,
    ports: PortIndex | None = None,
    crew_nationalities_iso3: Sequence[str] = (),
    automatic: bool = False,
) -> ReferralNotice:
    """Create a draft notice from an alert; a ``new`` alert goes under review.

    Parameters
    ----------
    session : Session
        Committed by the caller.
    alert_id : int
    actor : str
        The reviewer (or ``rule:<agency>`` when automatic).
    ports : PortIndex, optional
        For the coastal-state rule.
    crew_nationalities_iso3 : sequence of str
        The crew's countries, if known.
    automatic : bool, default False

    Returns
    -------
    ReferralNotice

    Raises
    ------
    LookupError
        If there is no alert ``alert_id``.
    NoticeError
        If the alert is dismissed or withdrawn, its tier is "insufficient data", or a
        crew nationality is not an ISO 3166 alpha-3 code.
    """
    unknown = [c for c in crew_nationalities_iso3 if pycountry.countries.get(alpha_3=c) is None]
    if unknown:
        raise NoticeError(
            f"Crew nationalities must be ISO 3166 alpha-3 codes, one per country "
            f"(e.g. IDN, PHL). Got {unknown} instead."
        )
    alert = session.get(AlertRow, alert_id)
    if alert is None:
        raise LookupError(f"No alert {alert_id}.")
    if alert.status in ("dismissed", "withdrawn"):
        raise NoticeError(f"Alert {alert_id} is {alert.status}: reopen it for review first.")
    if alert.tier == "insufficient data":
        raise NoticeError(
            f"Alert {alert_id} rests on insufficient data ({alert.detail.get('data_note')}); "
            "a notice needs evidence."
        )
    if alert.status == "new":
        transition(session, alert_id, "under_review", actor=actor, reason="referral notice drafted")
    now = utcnow()
    notice_id = str(uuid.uuid4())
    payload = build_payload(
        session,
        alert,
        notice_id=notice_id,
        created_at=now,
        ports=ports,
        crew_nationalities_iso3=crew_nationalities_iso3,
    )
    notice = ReferralNotice(
        id=notice_id,
        alert_id=alert_id,
        score_id=alert.score_id,
        mmsi=alert.mmsi,
        status="draft",
        automatic=automatic,
        created_by=actor,
        created_at=now,
        reflection_period_days=MIN_REFLECTION_DAYS,
        follow_ups=[],
        payload=payload.model_dump(mode="json"),
    )
    session.add(notice)
    session.flush()
    audit(
        session,
        actor=actor,
        action="notice.created",
        entity_type="notice",
        entity_id=notice_id,
        after={"alert_id": alert_id, "tier": alert.tier, "automatic": automatic},
    )
    return notice


def _add_months(t: datetime, months: int) -> datetime:
    return (pd.Timestamp(t) + pd.DateOffset(months=months)).to_pydatetime()


def approve_notice(
    session: Session,
    notice_id: str,
    *,
    actor: str,
    fleets: Sequence[Fleet] = (),
    only_agencies: Sequence[str] | None = None,
) -> ReferralNotice:
    """Approve a draft notice: route it, put its deliveries in the outbox, start its clocks.

    Parameters
    ----------
    session : Session
        Committed by the caller: the approval and its outbox rows land together or not
        at all.
    notice_id : str
    actor : str
        The referral approver (or ``rule:<agency>``).
    fleets : sequence of Fleet
        Crew-origin countries per fleet, for consular routing.
    only_agencies : sequence of str, optional
        Deliver only to these agencies (automatic referral under their own rule).

    Returns
    -------
    ReferralNotice
        Approved, with ``reflection_ends_at`` and ``follow_ups`` set.

    Raises
    ------
    LookupError
        If there is no notice ``notice_id``.
    NoticeError
        If the notice is not a draft, or no agency of the directory matches.
    """
    notice = session.get(ReferralNotice, notice_id)
    if notice is None:
        raise LookupError(f"No referral notice {notice_id}.")
    if notice.status != "draft":
        raise NoticeError(f"Notice {notice_id} is {notice.status}; only a draft can be approved.")
    agencies = active_agencies(session)
    routes = route(notice.payload, agencies, fleets)
    if only_agencies is not None:
        routes = [r for r in routes if r.agency_id in set(only_agencies)]
    if not routes:
        raise NoticeError(
            f"No agency in the directory matches notice {notice_id} (flag "
            f"{notice.payload['vessel']['flag_iso3']}, last port "
            f"{(notice.payload.get('last_port') or {}).get('iso3')}); load one with "
            "`vessel-risk agencies load`."
        )
    by_id = {a.id: a for a in agencies}
    now = utcnow()
    days = max(
        [MIN_REFLECTION_DAYS]
        + [by_id[r.agency_id].reflection_period_days or 0 for r in routes if r.rule == "port_state"]
    )
    notice.status = "approved"
    notice.approved_by = actor
    notice.approved_at = now
    notice.reflection_period_days = days
    notice.reflection_ends_at = now + timedelta(days=days)
    notice.follow_ups = [
        {"months": m, "due": _add_months(now, m).isoformat(), "done_at": None}
        for m in FOLLOW_UP_MONTHS
    ]
    # What the agencies receive says when the clocks run, not only the minimum.
    clocks = {
        "period_days": days,
        "starts_at": now.isoformat(),
        "ends_at": notice.reflection_ends_at.isoformat(),
    }
    notice.payload = {
        **notice.payload,
        "reflection_recovery": {**notice.payload["reflection_recovery"], **clocks},
        "follow_ups_due": [f["due"] for f in notice.follow_ups],
    }
    enqueue(session, notice, [(by_id[r.agency_id], r.rule) for r in routes])
    alert = session.get(AlertRow, notice.alert_id)
    if alert is not None and alert.status == "under_review":
        why = f"notice {notice_id} approved"
        transition(session, alert.id, "referred", actor=actor, reason=why, via_notice=True)
    audit(
        session,
        actor=actor,
        action="notice.approved",
        entity_type="notice",
        entity_id=notice_id,
        after={
            "routes": [r.model_dump() for r in routes],
            "reflection_period_days": days,
        },
    )
    return notice


def withdraw_notice(session: Session, notice_id: str, *, actor: str, reason: str) -> ReferralNotice:
    """Withdraw a notice: deliveries not yet sent are cancelled; those sent stay on record.

    An alert referred by this notice alone goes back under review.

    Agencies that already received it are not sent anything by this call: tell them
    through their case system, since a withdrawal is itself information about the crew.

    Raises
    ------
    LookupError
        If there is no notice ``notice_id``.
    NoticeError
        If it is already withdrawn or ``reason`` is empty.
    """
    notice = session.get(ReferralNotice, notice_id)
    if notice is None:
        raise LookupError(f"No referral notice {notice_id}.")
    if notice.status == "withdrawn":
        raise NoticeError(f"Notice {notice_id} is already withdrawn.")
    if not reason.strip():
        raise NoticeError("Withdrawing a notice needs a reason.")
    before = notice.status
    notice.status = "withdrawn"
    cancelled = cancel_pending(session, notice_id, actor=actor, reason=reason)
    alert = session.get(AlertRow, notice.alert_id)
    others = session.scalars(
        select(ReferralNotice.id).where(
            ReferralNotice.alert_id == notice.alert_id,
            ReferralNotice.status == "approved",
            ReferralNotice.id != notice_id,
        )
    ).first()
    if alert is not None and alert.status == "referred" and others is None:
        why = f"notice {notice_id} withdrawn: {reason}"
        transition(session, alert.id, "under_review", actor=actor, reason=why, via_notice=True)
    audit(
        session,
        actor=actor,
        action="notice.withdrawn",
        entity_type="notice",
        entity_id=notice_id,
        reason=reason,
        before={"status": before},
        after={"status": "withdrawn", "deliveries_cancelled": len(cancelled)},
    )
    return notice


def auto_refer(
    session: Session, *, ports: PortIndex | None = None, fleets: Sequence[Fleet] = ()
) -> list[ReferralNotice]:
    """Notices without a person, only where an agency's own rule allows it.

    For every ``new`` alert whose routes include an agency with ``auto_refer`` set (and
    whose filters the alert meets), creates and approves a notice delivered to those
    agencies only; every other agency still waits for a person's approval.

    Returns
    -------
    list of ReferralNotice
        The notices created.
    """
    auto = [a for a in active_agencies(session) if a.auto_refer]
    if not auto:
        return []
    created = []
    alerts = session.scalars(
        select(AlertRow).where(AlertRow.status == "new", AlertRow.tier.in_(("high", "medium")))
    )
    for alert in list(alerts):
        draft = build_payload(session, alert, notice_id="-", created_at=utcnow(), ports=ports)
        chosen = [r.agency_id for r in route(draft.model_dump(mode="json"), auto, fleets)]
        if not chosen:
            continue
        actor = "rule:" + ",".join(chosen)
        notice = create_notice(session, alert.id, actor=actor, ports=ports, automatic=True)
        created.append(
            approve_notice(session, notice.id, actor=actor, fleets=fleets, only_agencies=chosen)
        )
    return created


def add_personal_data(
    session: Session,
    notice_id: str,
    fields: Mapping[str, Any],
    *,
    actor: str,
    consent: bool,
    override_reason: str | None = None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> NoticePersonalData:
    """Attach minimised crew data a person gathered, with consent or a recorded override.

    The notice's payload is not changed: the data stays in its own table.

    Raises
    ------
    NoticeError
        If a field is outside :data:`PERSONAL_FIELDS`, neither consent nor an override
        reason is given, or ``retention_days`` is not in 1–3650.
    LookupError
        If there is no notice ``notice_id``.
    """
    unknown = sorted(set(fields) - PERSONAL_FIELDS)
    if unknown:
        raise NoticeError(
            f"Fields {unknown} are not allowed; crew data is limited to "
            f"{sorted(PERSONAL_FIELDS)} (data minimisation)."
        )
    if not consent and not (override_reason and override_reason.strip()):
        raise NoticeError("Crew data needs the crew's consent or an override with a reason.")
    if not 1 <= retention_days <= 3650:
        raise NoticeError(f"retention_days must be 1 to 3650. Got {retention_days} instead.")
    if session.get(ReferralNotice, notice_id) is None:
        raise LookupError(f"No referral notice {notice_id}.")
    now = utcnow()
    row = NoticePersonalData(
        notice_id=notice_id,
        fields=dict(fields),
        consent=consent,
        override_reason=override_reason,
        added_by=actor,
        added_at=now,
        retain_until=now + timedelta(days=retention_days),
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor,
        action="notice.personal_data_added",
        entity_type="notice",
        entity_id=notice_id,
        reason=override_reason,
        after={"fields": sorted(fields), "consent": consent, "retention_days": retention_days},
    )
    return row


def read_personal_data(session: Session, notice_id: str, *, actor: str) -> list[dict[str, Any]]:
    """The crew data attached to a notice; the read is audited."""
    rows = session.scalars(
        select(NoticePersonalData).where(NoticePersonalData.notice_id == notice_id)
    ).all()
    audit(
        session,
        actor=actor,
        action="notice.personal_data_read",
        entity_type="notice",
        entity_id=notice_id,
        after={"records": len(rows)},
    )
    return [
        {"fields": r.fields, "consent": r.consent, "retain_until": as_utc(r.retain_until)}
        for r in rows
    ]


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete crew data past its retention limit, auditing each notice affected.

    Returns
    -------
    int
        Records deleted.
    """
    now = now or utcnow()
    expired = session.scalars(
        select(NoticePersonalData).where(NoticePersonalData.retain_until < now)
    ).all()
    for r in expired:
        audit(
            session,
            actor="system:retention",
            action="notice.personal_data_purged",
            entity_type="notice",
            entity_id=r.notice_id,
            before={"fields": sorted(r.fields)},
        )
    session.execute(delete(NoticePersonalData).where(NoticePersonalData.retain_until < now))
    return len(expired)


def _reminder(notice: ReferralNotice, kind: str, due: datetime) -> dict[str, Any]:
    return {"notice_id": notice.id, "mmsi": notice.mmsi, "kind": kind, "due": due}


def due_reminders(session: Session, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Reflection periods ending and follow-ups due, for approved notices.

    Returns
    -------
    list of dict
        ``notice_id``, ``mmsi``, ``kind`` (``reflection_period_ends`` or
        ``follow_up_<n>_months``) and ``due`` (UTC), ordered by ``due``; follow-ups
        already done are left out, reflection ends are listed up to 7 days ahead.
    """
    now = as_utc(now) or utcnow()
    out = []
    notices = session.scalars(select(ReferralNotice).where(ReferralNotice.status == "approved"))
    for n in notices:
        ends = as_utc(n.reflection_ends_at)
        if ends is not None and now <= ends <= now + timedelta(days=7):
            out.append(
                {"notice_id": n.id, "mmsi": n.mmsi, "kind": "reflection_period_ends", "due": ends}
            )
        for f in n.follow_ups:
            due = as_utc(datetime.fromisoformat(f["due"]))
            if f.get("done_at") is None and due is not None and due <= now:
                out.append(
                    {
                        "notice_id": n.id,
                        "mmsi": n.mmsi,
                        "kind": f"follow_up_{f['months']}_months",
                        "due": due,
                    }
                )
    return sorted(out, key=lambda r: r["due"])


def notice_html(payload: Mapping[str, Any]) -> str:
    """A printable brief of a notice: self-contained HTML, no external assets.

    Parameters
    ----------
    payload : mapping
        :class:`NoticePayload` as JSON (``ReferralNotice.payload``).
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vessel_risk.referral", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template("notice_brief.html")
    return template.render(n=payload, v=payload["vessel"], r=payload["risk"])
