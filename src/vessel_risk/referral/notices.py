"""Presumed-victim referral notices: created from an alert, approved, withdrawn.

A notice is a vessel-level pre-referral: it tells the agencies that can protect the crew
that a vessel's AIS behaviour shows indicators of forced labour, so that the crew can be
identified as *presumed* victims and helped. It carries vessel data only
(:mod:`vessel_risk.referral.payload`). The crew are presumed victims, never suspects
(non-punishment principle, ASEAN Convention against Trafficking in Persons Art. 14(7));
support must not depend on their cooperation.

A notice may be made from a tip's queue item too (:mod:`vessel_risk.referral.tips`):
it carries the tip's source and no score, and is approved by a person like any other
(an agency's automatic rule never refers an unscored tip).

Life of a notice: a reviewer creates it from an alert (``draft``; the alert goes under
review) → a referral approver approves it (``approved``; the alert becomes ``referred``,
the rules of :mod:`vessel_risk.referral.routing` choose the agencies and
:func:`vessel_risk.delivery.enqueue` puts one delivery per agency in the outbox, in the
same transaction). Where an agency's rule allows (``auto_refer``), :func:`auto_refer`
does both without a person, for that agency only.

A route that depends on a flag inferred without the MID (no declared flag;
:func:`vessel_risk.referral.routing.routing_flag`) needs a person's confirmation of that
flag at approval: :func:`approve_notice` refuses without it, and records who confirmed
which flag, from which source, when. :func:`preview_notice` shows the approver the flag
used, whether it is declared or inferred, the routes and the rules that found no agency.
An automatic referral never routes by an unconfirmed inferred flag.

Approval starts the clocks of :mod:`vessel_risk.referral.follow_ups` (reflection and
recovery period, follow-ups at 3, 6 and 12 months); :func:`due_reminders` lists what is
due. Crew personal data never goes in a notice (:mod:`vessel_risk.referral.personal_data`).

These functions are the session side: the decisions are the pure functions of
:mod:`vessel_risk.referral.routing` and :mod:`vessel_risk.referral.follow_ups`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import jinja2
import pycountry
from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.alerts.display import vessel_label
from vessel_risk.alerts.persistence import transition
from vessel_risk.db.tables import (
    AlertRow,
    Delivery,
    ReferralNotice,
    as_utc,
    audit,
    utcnow,
)
from vessel_risk.delivery import cancel_pending, enqueue, notify_withdrawn
from vessel_risk.geo.ports import PortIndex
from vessel_risk.referral.directory import active_agencies, as_record
from vessel_risk.referral.follow_ups import (
    MIN_REFLECTION_DAYS,
    NoticeClocks,
    follow_up_schedule,
    reflection_end,
    reflection_period_days,
    reminders_due,
)
from vessel_risk.referral.payload import build_payload
from vessel_risk.referral.routing import Fleet, RoutingPlan, plan


class NoticeError(ValueError):
    """Raised when a notice cannot be created, approved or changed as asked."""


def create_notice(
    session: Session,
    alert_id: int,
    *,
    actor: str,
    ports: PortIndex | None = None,
    crew_nationalities_iso3: Sequence[str] = (),
    automatic: bool = False,
    expected_port: str | None = None,
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
    expected_port : str, optional
        The vessel's next port as a person knows it (port name or UN/LOCODE, e.g.
        ``KR PUS``); default the AIS destination. Its country routes the port-state rule.

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
        expected_port=expected_port,
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
        after={
            "alert_id": alert_id,
            "tier": alert.tier,
            "source": alert.source,
            "automatic": automatic,
        },
    )
    return notice


def _plan(session: Session, notice: ReferralNotice, fleets: Sequence[Fleet]) -> RoutingPlan:
    return plan(notice.payload, [as_record(a) for a in active_agencies(session)], fleets)


def preview_notice(
    session: Session, notice_id: str, *, fleets: Sequence[Fleet] = ()
) -> dict[str, Any]:
    """What approving a notice would do: the flag it is routed by, the routes, the gaps.

    Parameters
    ----------
    session : Session
    notice_id : str
    fleets : sequence of Fleet
        Crew-origin countries per fleet, for consular routing.

    Returns
    -------
    dict
        ``notice_id``, ``status``, ``vessel`` (MMSI and track, as
        :func:`vessel_risk.alerts.display.vessel_label` says it), ``flag`` (``iso3``,
        ``basis`` declared/inferred/none, ``source``, ``confidence``, ``label``),
        ``routes`` (``agency_id``, ``agency_name``, ``rule``, ``country_iso3``, ``role``,
        ``flag_basis``, ``needs_confirmation``), ``unmatched`` (the rules that found no
        agency, one sentence each), ``needs_confirmation`` (bool) and ``confirmation``
        (the recorded confirmation of an inferred flag, or None). For an approved or
        withdrawn notice the routes are the deliveries that were made.

    Raises
    ------
    LookupError
        If there is no notice ``notice_id``.
    """
    notice = session.get(ReferralNotice, notice_id)
    if notice is None:
        raise LookupError(f"No referral notice {notice_id}.")
    p = _plan(session, notice, fleets)
    names = {a.id: a.name for a in active_agencies(session)}
    vessel = notice.payload.get("vessel", {})
    routes = [{**r.model_dump(), "agency_name": names.get(r.agency_id)} for r in p.routes]
    if notice.status != "draft":
        # Once approved, the routes are the deliveries that were made, not what the
        # directory would choose today.
        sent = {
            (d.agency_id, d.rule)
            for d in session.scalars(select(Delivery).where(Delivery.notice_id == notice.id))
        }
        routes = [r for r in routes if (r["agency_id"], r["rule"]) in sent]
        planned = {(r["agency_id"], r["rule"]) for r in routes}
        routes += [
            {
                "agency_id": agency,
                "agency_name": names.get(agency),
                "rule": rule,
                "country_iso3": None,
                "role": None,
                "flag_basis": None,
                "needs_confirmation": False,
            }
            for agency, rule in sorted(sent - planned)
        ]
    return {
        "notice_id": notice.id,
        "status": notice.status,
        "vessel": vessel_label(notice.mmsi, vessel.get("track_id") or 0),
        "flag": p.flag.model_dump(),
        "routes": routes,
        "unmatched": p.unmatched if notice.status == "draft" else [],
        "needs_confirmation": p.needs_confirmation and notice.status == "draft",
        "confirmation": (notice.payload.get("routing") or {}).get("inferred_flag_confirmation"),
    }


def approve_notice(
    session: Session,
    notice_id: str,
    *,
    actor: str,
    fleets: Sequence[Fleet] = (),
    only_agencies: Sequence[str] | None = None,
    confirm_inferred_flag: bool = False,
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
    confirm_inferred_flag : bool, default False
        The approver has checked the inferred flag the routes depend on (shown by
        :func:`preview_notice`) and confirms it. Recorded in the notice
        (``payload.routing.inferred_flag_confirmation``: who, when, which flag, its
        source and confidence) and in the audit log.

    Returns
    -------
    ReferralNotice
        Approved, with ``reflection_ends_at`` and ``follow_ups`` set; ``payload.routing``
        holds the flag it was routed by and the rules that found no agency.

    Raises
    ------
    LookupError
        If there is no notice ``notice_id``.
    NoticeError
        If the notice is not a draft, no agency of the directory matches, or a route
        depends on an inferred flag and ``confirm_inferred_flag`` is not set.
    """
    notice = session.get(ReferralNotice, notice_id)
    if notice is None:
        raise LookupError(f"No referral notice {notice_id}.")
    if notice.status != "draft":
        raise NoticeError(f"Notice {notice_id} is {notice.status}; only a draft can be approved.")
    agencies = active_agencies(session)
    p = _plan(session, notice, fleets)
    routes = p.routes
    if only_agencies is not None:
        routes = [r for r in routes if r.agency_id in set(only_agencies)]
    if not routes:
        last_port = (notice.payload.get("last_port") or {}).get("iso3")
        raise NoticeError(
            f"No agency in the directory matches notice {notice_id} (flag {p.flag.label}, "
            f"last port {last_port}; {'; '.join(p.unmatched) or 'no rule found an agency'}); "
            "load one with `vessel-risk agencies load`."
        )
    inferred = [r.agency_id for r in routes if r.needs_confirmation]
    if inferred and not confirm_inferred_flag:
        raise NoticeError(
            f"Notice {notice_id} has no declared flag: routing to {', '.join(inferred)} "
            f"uses the inferred flag {p.flag.label}. A person must confirm that flag before "
            "the notice leaves the system: check it, then approve again confirming the "
            "inferred flag (`--confirm-inferred-flag`, `confirm_inferred_flag` in the API, "
            "or the box on the approval screen)."
        )
    by_id = {a.id: a for a in agencies}
    now = utcnow()
    routing: dict[str, Any] = {"flag": p.flag.model_dump(), "unmatched": p.unmatched}
    if inferred:
        confirmation = {
            "by": actor,
            "at": now.isoformat(),
            "flag_iso3": p.flag.iso3,
            "source": p.flag.source,
            "confidence": p.flag.confidence,
            "agencies": inferred,
        }
        routing["inferred_flag_confirmation"] = confirmation
        audit(
            session,
            actor=actor,
            action="notice.inferred_flag_confirmed",
            entity_type="notice",
            entity_id=notice_id,
            reason=f"routing by the inferred flag {p.flag.label} confirmed",
            after=confirmation,
        )
    days = reflection_period_days(
        by_id[r.agency_id].reflection_period_days for r in routes if r.rule == "port_state"
    )
    notice.status = "approved"
    notice.approved_by = actor
    notice.approved_at = now
    notice.reflection_period_days = days
    notice.reflection_ends_at = reflection_end(now, days)
    notice.follow_ups = follow_up_schedule(now)
    # What the agencies receive says when the clocks run, not only the minimum, and
    # whether the flag they were chosen by is declared or inferred.
    clocks = {
        "period_days": days,
        "starts_at": now.isoformat(),
        "ends_at": notice.reflection_ends_at.isoformat(),
    }
    notice.payload = {
        **notice.payload,
        "reflection_recovery": {**notice.payload["reflection_recovery"], **clocks},
        "follow_ups_due": [f["due"] for f in notice.follow_ups],
        "routing": routing,
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
            "flag": p.flag.model_dump(),
            "unmatched": p.unmatched,
            "reflection_period_days": days,
        },
    )
    return notice


def withdraw_notice(session: Session, notice_id: str, *, actor: str, reason: str) -> ReferralNotice:
    """Withdraw a notice: deliveries not yet sent are cancelled; every agency that received
    it is sent ``referral.withdrawn`` (:func:`vessel_risk.delivery.notify_withdrawn`).

    An alert referred by this notice alone goes back under review.

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
    notified = notify_withdrawn(session, notice_id, actor=actor, reason=reason)
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
        after={
            "status": "withdrawn",
            "deliveries_cancelled": len(cancelled),
            "recipients_notified": sorted(d.agency_id for d in notified),
        },
    )
    return notice


def auto_refer(
    session: Session, *, ports: PortIndex | None = None, fleets: Sequence[Fleet] = ()
) -> list[ReferralNotice]:
    """Notices without a person, only where an agency's own rule allows it.

    For every ``new`` alert whose routes include an agency with ``auto_refer`` set (and
    whose filters the alert meets), creates and approves a notice delivered to those
    agencies only; every other agency still waits for a person's approval. A route that
    depends on an inferred flag is never taken automatically (a person must confirm the
    flag): such agencies are left out, and an ``alert.auto_refer_skipped`` audit entry
    says which and why.

    Returns
    -------
    list of ReferralNotice
        The notices created.
    """
    auto = [as_record(a) for a in active_agencies(session) if a.auto_refer]
    if not auto:
        return []
    created = []
    alerts = session.scalars(
        select(AlertRow).where(AlertRow.status == "new", AlertRow.tier.in_(("high", "medium")))
    )
    for alert in list(alerts):
        draft = build_payload(session, alert, notice_id="-", created_at=utcnow(), ports=ports)
        p = plan(draft.model_dump(mode="json"), auto, fleets)
        chosen = [r.agency_id for r in p.routes if not r.needs_confirmation]
        skipped = [r.agency_id for r in p.routes if r.needs_confirmation]
        if skipped:
            audit(
                session,
                actor="system:auto_refer",
                action="alert.auto_refer_skipped",
                entity_type="alert",
                entity_id=alert.id,
                reason=(
                    f"not referred automatically to {', '.join(skipped)}: the route uses the "
                    f"inferred flag {p.flag.label}, which a person must confirm"
                ),
                after={"skipped": skipped, "referred_to": chosen, "flag": p.flag.model_dump()},
            )
        if not chosen:
            continue
        actor = "rule:" + ",".join(chosen)
        notice = create_notice(session, alert.id, actor=actor, ports=ports, automatic=True)
        created.append(
            approve_notice(session, notice.id, actor=actor, fleets=fleets, only_agencies=chosen)
        )
    return created


def due_reminders(session: Session, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Reflection periods ending and follow-ups due, for approved notices.

    Reads the approved notices and asks :func:`vessel_risk.referral.follow_ups.reminders_due`.

    Returns
    -------
    list of dict
        ``notice_id``, ``mmsi``, ``kind`` (``reflection_period_ends`` or
        ``follow_up_<n>_months``) and ``due`` (UTC), ordered by ``due``; follow-ups
        already done are left out, reflection ends are listed up to 7 days ahead.
    """
    now = as_utc(now) or utcnow()
    notices = session.scalars(select(ReferralNotice).where(ReferralNotice.status == "approved"))
    clocks = (NoticeClocks(n.id, n.mmsi or "", n.reflection_ends_at, n.follow_ups) for n in notices)
    return reminders_due(clocks, now)


def notice_html(payload: Mapping[str, Any], *, nonce: str | None = None) -> str:
    """A printable brief of a notice: self-contained HTML, no external assets.

    Every value of the payload is escaped (a ship name is text, never HTML), and the page
    carries :data:`vessel_risk.referral.briefs.OFFLINE_CSP` for when it is saved.

    Parameters
    ----------
    payload : mapping
        :class:`vessel_risk.referral.payload.NoticePayload` as JSON (``ReferralNotice.payload``).
    nonce : str, optional
        The response's Content-Security-Policy nonce, put on the inline ``<style>``
        (:func:`vessel_risk.api.security.csp_nonce`); None for a file.
    """
    from vessel_risk.referral.briefs import OFFLINE_CSP

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vessel_risk.referral", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template("notice_brief.html")
    return template.render(
        n=payload, v=payload["vessel"], r=payload["risk"], nonce=nonce, offline_csp=OFFLINE_CSP
    )
