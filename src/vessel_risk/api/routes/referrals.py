"""Referral notices: create, approve, list, read, delivery history; receivers' callbacks.

Every read of a notice (one entry per notice, lists included) and every change is
written to the audit log. An agency reads only the notices its own clients made or
that were routed to it; anything else reads as absent.

The notice logic lives in :mod:`vessel_risk.referral.notices` and :mod:`vessel_risk.delivery`.
A status callback comes with the case system's API key and, when the receiving agency
has webhook secrets, a Standard Webhooks signature over the raw body
(:func:`vessel_risk.delivery.verify`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy.orm import Session

from vessel_risk.api import crud
from vessel_risk.api.access import Principal
from vessel_risk.api.deps import (
    ApprovedNotice,
    Approver,
    CaseSystem,
    NoticeReader,
    NoticeWriter,
    ReadNotice,
    ReportedDelivery,
    SessionDep,
    SettingsDep,
)
from vessel_risk.api.models import (
    DeliveryAttemptPublic,
    DeliveryPublic,
    NoticeApprove,
    NoticeCreate,
    NoticePreview,
    NoticePublic,
    StatusCallback,
)
from vessel_risk.api.problems import problem_responses
from vessel_risk.api.security import csp_nonce
from vessel_risk.db.tables import ReferralNotice, audit
from vessel_risk.delivery import apply_status_callback, verify_callback
from vessel_risk.referral.directory import read_directory
from vessel_risk.referral.notices import approve_notice as approve
from vessel_risk.referral.notices import create_notice as create
from vessel_risk.referral.notices import notice_html, preview_notice

router = APIRouter(tags=["referrals"], responses=problem_responses(401, 403, 422, 429))


async def raw_body(request: Request) -> bytes:
    """The request body exactly as received (for webhook signatures)."""
    return await request.body()


def _read(session: Session, who: Principal, notice: ReferralNotice, why: str) -> None:
    audit(
        session,
        actor=who.actor,
        action="notice.read",
        entity_type="notice",
        entity_id=notice.id,
        reason=why,
    )


@router.get("/referrals", response_model=list[NoticePublic])
def list_notices(
    session: SessionDep,
    caller: NoticeReader,
    status: Annotated[str | None, Query(max_length=16, description="draft, approved, ...")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NoticePublic]:
    """Notices the caller's agency made or received, newest first (each read audited)."""
    notices = crud.list_notices(session, caller, status=status, limit=limit)
    for n in notices:
        _read(session, caller, n, "list")
    session.commit()
    return [NoticePublic.model_validate(n) for n in notices]


@router.post(
    "/referrals",
    response_model=NoticePublic,
    status_code=201,
    responses=problem_responses(404, 409),
)
def create_notice(session: SessionDep, caller: NoticeWriter, body: NoticeCreate) -> NoticePublic:
    """Draft a vessel-level referral notice from an alert in the caller's scope."""
    try:
        crud.get_alert(session, caller, body.alert_id)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    try:
        notice = create(session, body.alert_id, actor=caller.actor)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except ValueError as exc:  # referrals.NoticeError
        raise HTTPException(409, str(exc)) from exc
    if body.reason:
        audit(
            session,
            actor=caller.actor,
            action="notice.reason",
            entity_type="notice",
            entity_id=notice.id,
            reason=body.reason,
        )
    session.commit()
    return NoticePublic.model_validate(notice)


@router.get("/referrals/{notice_id}", response_model=NoticePublic, responses=problem_responses(404))
def get_notice(session: SessionDep, caller: NoticeReader, notice: ReadNotice) -> NoticePublic:
    """One notice (the read is audited)."""
    _read(session, caller, notice, "detail")
    session.commit()
    return NoticePublic.model_validate(notice)


@router.get(
    "/referrals/{notice_id}/brief",
    response_class=Response,
    responses={
        **problem_responses(404),
        200: {"description": "Printable HTML.", "content": {"text/html": {}}},
    },
)
def get_notice_brief(
    request: Request, session: SessionDep, caller: NoticeReader, notice: ReadNotice
) -> Response:
    """The notice as a printable page (the read is audited)."""
    return notice_brief(request, session, caller, notice)


def notice_brief(
    request: Request, session: Session, caller: Principal, notice: ReferralNotice
) -> Response:
    """The printable page of ``notice`` (in scope), its read audited."""
    _read(session, caller, notice, "brief")
    session.commit()
    return Response(
        notice_html(notice.payload, nonce=csp_nonce(request)),
        media_type="text/html; charset=utf-8",
    )


def _fleets(settings: Any) -> list[Any]:
    path = settings.agency_directory
    return read_directory(path).fleets if path else []


@router.get(
    "/referrals/{notice_id}/preview",
    response_model=NoticePreview,
    responses=problem_responses(404),
)
def get_notice_preview(
    session: SessionDep, settings: SettingsDep, caller: NoticeReader, notice: ReadNotice
) -> NoticePreview:
    """The approval preview: the flag routing uses (declared or inferred, its source and
    confidence), the agencies approval would route to, which of them depend on an
    inferred flag a person must confirm, and the rules that found no agency (audited)."""
    _read(session, caller, notice, "preview")
    try:
        preview = preview_notice(session, notice.id, fleets=_fleets(settings))
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    session.commit()
    return NoticePreview.model_validate(preview)


@router.post(
    "/referrals/{notice_id}/approve",
    response_model=NoticePublic,
    responses=problem_responses(404, 409),
)
def approve_notice(
    session: SessionDep,
    settings: SettingsDep,
    caller: Approver,
    notice: ApprovedNotice,
    body: NoticeApprove | None = None,
) -> NoticePublic:
    """Approve a draft: it is routed and its deliveries enter the outbox (audited).

    When the vessel has no declared flag and a route depends on its inferred flag (see
    ``/referrals/{notice_id}/preview``), approval is refused (409) unless
    ``confirm_inferred_flag`` is true; the confirmation is recorded with the notice.
    """
    confirm = body.confirm_inferred_flag if body else False
    try:
        notice = approve(
            session,
            notice.id,
            actor=caller.actor,
            fleets=_fleets(settings),
            confirm_inferred_flag=confirm,
        )
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except ValueError as exc:  # referrals.NoticeError
        raise HTTPException(409, str(exc)) from exc
    session.commit()
    return NoticePublic.model_validate(notice)


def _delivery(d: Any, attempts: list[Any]) -> DeliveryPublic:
    return DeliveryPublic(
        id=d.id,
        notice_id=d.notice_id,
        agency_id=d.agency_id,
        rule=d.rule,
        event_type=d.event_type,
        status=d.status,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at,
        last_error=d.last_error,
        created_at=d.created_at,
        delivered_at=d.delivered_at,
        receiver_status=d.receiver_status,
        receiver_status_at=d.receiver_status_at,
        history=[DeliveryAttemptPublic.model_validate(a) for a in attempts],
    )


@router.get(
    "/referrals/{notice_id}/deliveries",
    response_model=list[DeliveryPublic],
    responses=problem_responses(404),
)
def list_deliveries(
    session: SessionDep, caller: NoticeReader, notice: ReadNotice
) -> list[DeliveryPublic]:
    """The notice's deliveries to agencies and every attempt (the read is audited)."""
    _read(session, caller, notice, "deliveries")
    out = [_delivery(d, a) for d, a in crud.deliveries_of(session, caller, notice.id)]
    session.commit()
    return out


@router.post(
    "/deliveries/{delivery_id}/status",
    response_model=DeliveryPublic,
    responses=problem_responses(404, 409),
)
def status_callback(
    session: SessionDep,
    caller: CaseSystem,
    delivery: ReportedDelivery,
    body: StatusCallback,
    request: Request,
    raw: Annotated[bytes, Depends(raw_body)],
) -> DeliveryPublic:
    """A receiving case system reports what became of a notice delivered to its agency.

    When the agency has webhook secrets the request must also carry a valid Standard
    Webhooks signature (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``)
    whose ``webhook-id`` is this delivery's id; a refused signature is audited.
    """
    delivery_id = delivery.id
    try:
        verify_callback(session, delivery_id, dict(request.headers), raw)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except ValueError as exc:  # WebhookVerificationError
        audit(
            session,
            actor=caller.actor,
            action="delivery.callback_refused",
            entity_type="delivery",
            entity_id=delivery_id,
            reason=str(exc),
        )
        session.commit()
        raise HTTPException(401, f"Webhook signature: {exc}") from exc
    try:
        apply_status_callback(
            session, delivery_id, body.status, actor=caller.actor, reason=body.reason
        )
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from exc
    session.commit()
    d = crud.delivery_for_receiver(session, caller, delivery_id)
    delivered = crud.deliveries_of(session, caller, d.notice_id) if d.notice_id else []
    attempts = [a for dd, a in delivered if dd.id == d.id]
    return _delivery(d, attempts[0] if attempts else [])
