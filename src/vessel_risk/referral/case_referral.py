"""Referring one person's case to the agencies that protect them (issue 17 items 4, 7).

:func:`refer_case` is the session side of :func:`vessel_risk.referral.routing.route_case`:
it reads the case, the consents in force and the directory, routes protection first and
queues one ``case.referral`` message per agency in the outbox
(:func:`vessel_risk.delivery.enqueue_case_message`), which the worker sends with the
same signatures, retries and status callbacks as a notice. A Primero case system gets
one case per person with the services needed
(:func:`vessel_risk.delivery.transports.primero_person_case`).

The outbox row names the intake fields the recipient may receive (the route's fields
that the person filled in), never their values: the worker reads them from the encrypted
intake when it sends, and sends nothing once the case is past retention or the consent is
withdrawn. Every referral is audited with each route's rule; law enforcement appears
only under the person's consent or a cited state rule, and the audit says which.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import Case, CaseConsent, CaseIntake, Delivery, as_utc, audit, utcnow
from vessel_risk.delivery.cases import CASE_REFERRAL, enqueue_case_message
from vessel_risk.delivery.retention import intake_readable
from vessel_risk.referral.directory import active_agencies, as_record
from vessel_risk.referral.routing import CaseRoute, route_case


def consents_in_force(session: Session, case_id: str) -> dict[str, bool]:
    """The latest consent decision per use of a case (rows are never updated)."""
    rows = session.scalars(
        select(CaseConsent)
        .where(CaseConsent.case_id == case_id)
        .order_by(CaseConsent.recorded_at, CaseConsent.id)
    ).all()
    return {r.use: bool(r.granted) for r in rows}


def refer_case(
    session: Session,
    case_id: str,
    *,
    actor: str,
    state_rules: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> list[Delivery]:
    """Route a person's case protection first and queue one ``case.referral`` per agency.

    Parameters
    ----------
    session : Session
        Committed by the caller (the outbox rows and the audit entry commit together).
    case_id : str
    actor : str
    state_rules : mapping of str to str, optional
        ISO3 -> cited law that makes law enforcement receive a case without consent;
        default :data:`vessel_risk.referral.routing.LAW_ENFORCEMENT_MANDATORY` (empty).
    now : datetime, optional

    Returns
    -------
    list of Delivery
        One per route, in :func:`~vessel_risk.referral.routing.route_case`'s order;
        idempotent (a live referral to an agency is returned, not queued again).

    Raises
    ------
    LookupError
        If there is no case ``case_id``.
    ValueError
        If the case is closed or its personal data is past retention.
    """
    case = session.get(Case, case_id)
    if case is None:
        raise LookupError(f"No case {case_id!r}.")
    when = as_utc(now) or utcnow()
    if case.state == "closed" or not intake_readable(case, when):
        raise ValueError(f"Case {case_id!r} is closed or past retention: nothing is referred.")
    intake = session.get(CaseIntake, case_id)
    fields: dict[str, Any] = (intake.fields if intake is not None else None) or {}
    consents = consents_in_force(session, case_id)
    view = {
        "state_iso3": case.state_iso3,
        "nationality_iso3": fields.get("nationality_iso3"),
        "child": case.child,
        "child_protection_agency_id": case.child_protection_agency_id,
    }
    agencies = [as_record(a) for a in active_agencies(session)]
    routes = route_case(view, consents, agencies, state_rules=state_rules)
    filled = {k for k, v in fields.items() if v not in (None, "", [], {})}
    out = [
        enqueue_case_message(
            session,
            case,
            r.agency_id,
            CASE_REFERRAL,
            _payload(case, r, filled),
            consent_use=r.consent_use,
            actor=actor,
            rule=r.rule,
            now=when,
        )
        for r in routes
    ]
    law = [r for r in routes if r.role == "law_enforcement"]
    audit(
        session,
        actor=actor,
        action="case.referred",
        entity_type="case",
        entity_id=case_id,
        reason=(
            "; ".join(f"law_enforcement {r.agency_id} by {r.rule}" for r in law)
            or "law_enforcement: none (no consent, no state rule)"
        ),
        after={
            "routes": [
                {
                    "agency_id": r.agency_id,
                    "role": r.role,
                    "rule": r.rule,
                    "consent_use": r.consent_use,
                }
                for r in routes
            ],
            "consents": consents,
        },
    )
    return out


def _payload(case: Case, route: CaseRoute, filled: set[str]) -> dict[str, Any]:
    """The outbox payload of one referral: the case's non-personal facts and the names of
    the fields the worker will read from the intake when it sends."""
    ends = as_utc(case.reflection_ends_at)
    return {
        "case_id": case.id,
        "state_iso3": case.state_iso3,
        "presumed_victim": case.presumed_victim,
        "child": case.child,
        "reflection_ends_at": ends.isoformat() if ends else None,
        "role": route.role,
        "rule": route.rule,
        "consent_use": route.consent_use,
        "person_fields": [f for f in route.fields if f in filled],
    }
