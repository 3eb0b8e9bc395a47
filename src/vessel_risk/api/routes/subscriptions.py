"""Subscriptions (issue 18 part 4): an agency subscribes to the vessels that concern it.

``POST /subscriptions`` subscribes the caller's agency (its ports, flags, crew
nationalities, a tier at or above which to hear; by signed webhook or by e-mail; one
message per event or a daily digest), ``GET /subscriptions`` lists the agency's own,
``DELETE /subscriptions/{subscription_id}`` unsubscribes. The one-click unsubscribe link
every message carries (``/subscriptions/unsubscribe?token=...``) needs no key: the
token is the authority, and only ``POST`` acts (RFC 8058), so a mail scanner that
follows the link unsubscribes no one. Messages carry vessel facts only.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from vessel_risk.api.deps import OwnSubscription, SessionDep, Subscriber
from vessel_risk.api.problems import problem_responses
from vessel_risk.referral.subscription_store import (
    SubscriptionError,
    by_unsubscribe_token,
    create_subscription,
    describe,
    list_subscriptions,
    remove_subscription,
)

router = APIRouter(
    prefix="/subscriptions",
    tags=["subscriptions"],
    responses=problem_responses(401, 403, 422, 429),
)

Code = Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")]
Kind = Literal["alert.raised", "alert.revised", "arrival.expected", "arrival.revised"]
ALL_KINDS: list[Kind] = ["alert.raised", "alert.revised", "arrival.expected", "arrival.revised"]


class SubscriptionCreate(BaseModel):
    """What an agency asks to hear about. Any one concern (port, flag, crew nationality)
    is enough; none means every vessel in the client's scope. ``min_tier`` always
    applies."""

    model_config = ConfigDict(extra="forbid")

    channel: Literal["webhook", "email"]
    target: str = Field(min_length=3, max_length=512, description="Webhook URL or e-mail.")
    ports: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list, max_length=50
    )
    flags: list[Code] = Field(default_factory=list, max_length=50)
    nationalities: list[Code] = Field(
        default_factory=list,
        max_length=50,
        description="Vessels whose recorded crew includes these nationals (ISO3).",
    )
    min_tier: Literal["high", "medium", "low", "insufficient data"] = "high"
    kinds: list[Kind] = Field(default_factory=lambda: list(ALL_KINDS), min_length=1)
    mode: Literal["immediate", "digest"] = "immediate"
    digest_every_h: int = Field(24, ge=1, le=168)


class SubscriptionPublic(BaseModel):
    """A subscription as its agency sees it (never a secret)."""

    id: str
    agency_id: str
    client_id: str
    channel: str
    target: str
    ports: list[str]
    flags: list[str]
    nationalities: list[str]
    min_tier: str
    kinds: list[str]
    mode: str
    digest_every_h: int
    next_digest_at: datetime | None
    status: str
    created_by: str
    created_at: datetime
    removed_at: datetime | None


class SubscriptionCreated(SubscriptionPublic):
    """The new subscription and, in this answer only, its secrets."""

    unsubscribe_token: str
    webhook_secret: str | None = Field(
        None, description="The whsec_ secret its webhooks are signed with (shown once)."
    )


@router.post(
    "", response_model=SubscriptionCreated, status_code=201, responses=problem_responses(404)
)
def subscribe(
    session: SessionDep, caller: Subscriber, body: SubscriptionCreate
) -> SubscriptionCreated:
    """Subscribe the caller's agency; its secrets are in this answer only (audited)."""
    try:
        sub, shown = create_subscription(
            session,
            agency_id=caller.agency_id,
            client_id=caller.client_id,
            actor=caller.actor,
            **body.model_dump(),
        )
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from exc
    except LookupError as exc:
        raise HTTPException(422, str(exc)) from exc
    except SubscriptionError as exc:
        raise HTTPException(422, str(exc)) from exc
    session.commit()
    return SubscriptionCreated(
        **describe(sub),
        unsubscribe_token=shown["unsubscribe"],
        webhook_secret=shown.get("webhook"),
    )


@router.get("", response_model=list[SubscriptionPublic])
def subscriptions(
    session: SessionDep,
    caller: Subscriber,
    include_removed: Annotated[bool, Query()] = False,
) -> list[SubscriptionPublic]:
    """The caller's agency's subscriptions (every agency's for the admin)."""
    agency = None if caller.is_admin else caller.agency_id
    rows = list_subscriptions(session, agency_id=agency, include_removed=include_removed)
    return [SubscriptionPublic(**describe(s)) for s in rows]


@router.delete(
    "/{subscription_id}", response_model=SubscriptionPublic, responses=problem_responses(404)
)
def unsubscribe(
    session: SessionDep, caller: Subscriber, sub: OwnSubscription
) -> SubscriptionPublic:
    """Unsubscribe: nothing more is sent; unsent messages are cancelled (idempotent)."""
    remove_subscription(session, sub, actor=caller.actor, reason="unsubscribed through the API")
    session.commit()
    return SubscriptionPublic(**describe(sub))


Token = Annotated[str, Query(min_length=16, max_length=256)]


@router.get("/unsubscribe", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe_page(session: SessionDep, token: Token) -> HTMLResponse:
    """The page the link opens: a button that unsubscribes (GET changes nothing)."""
    sub = by_unsubscribe_token(session, token)
    if sub is None:
        return HTMLResponse("<p>This unsubscribe link is not valid.</p>", status_code=404)
    if sub.status != "active":
        return HTMLResponse("<p>This subscription was already removed.</p>")
    safe = html.escape(token, quote=True)
    return HTMLResponse(
        "<!doctype html><title>Unsubscribe</title>"
        f"<p>Stop vessel-risk messages to {html.escape(sub.target)}?</p>"
        f'<form method="post" action="/subscriptions/unsubscribe?token={safe}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )


@router.post("/unsubscribe", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe_one_click(session: SessionDep, token: Token) -> HTMLResponse:
    """One-click unsubscribe (RFC 8058): the token in the link is the authority."""
    sub = by_unsubscribe_token(session, token)
    if sub is None:
        return HTMLResponse("<p>This unsubscribe link is not valid.</p>", status_code=404)
    remove_subscription(
        session, sub, actor=f"{sub.agency_id}/unsubscribe-link", reason="one-click unsubscribe"
    )
    session.commit()
    return HTMLResponse("<p>Unsubscribed: no more messages will be sent.</p>")
