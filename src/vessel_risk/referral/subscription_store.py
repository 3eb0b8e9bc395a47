"""Subscriptions in the database: subscribe, list, unsubscribe, and tell subscribers.

The session side of :mod:`vessel_risk.referral.subscriptions` (issue 18 part 4): an
agency's API client subscribes (:func:`create_subscription`), lists and removes its
subscriptions, or follows the unsubscribe link (:func:`by_unsubscribe_token`);
:func:`active_concerns` gives every live subscription with its client's scope. Telling
subscribers of alerts and arrivals is :mod:`vessel_risk.referral.subscription_notify`'s.

A subscription asks for what its agency could read through the API anyway (its
client's scope bounds every match): it is the agency's own standing rule to be told,
so its messages leave without a person's approval, as the alerts list would. They carry
vessel facts only; a person's data never flows through a subscription.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import secrets as secrets_module
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import (
    Agency,
    ApiClient,
    Subscription,
    as_utc,
    audit,
    utcnow,
)
from vessel_risk.delivery.egress import public_address
from vessel_risk.delivery.signing import generate_secret
from vessel_risk.delivery.subscriptions import (
    cancel_subscription_deliveries,
)
from vessel_risk.model.indicators import TIER_LEVEL
from vessel_risk.referral.subscriptions import (
    CHANNELS,
    KINDS,
    MODES,
    Concerns,
    normalise_codes,
)

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
"""Hosts a webhook may reach over plain http (a receiver on the same machine), when the
caller allows local targets (``allow_local``: the operator's CLI and tests, never the API)."""

LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
"""Host name endings that name this machine or a private network (RFC 6761, RFC 6762,
RFC 8375)."""


class SubscriptionError(ValueError):
    """A subscription request that cannot be accepted (a clear 4xx, never a 500)."""


def token_digest(token: str) -> str:
    """The SHA-256 hex digest an unsubscribe token is looked up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_target(channel: str, target: str, *, allow_local: bool = False) -> str:
    target = target.strip()
    if channel == "email":
        local, _, domain = target.rpartition("@")
        bad = any(c in "<>,;" or c.isspace() or not c.isprintable() for c in target)
        if not local or ("." not in domain and domain != "localhost") or bad:
            raise SubscriptionError(f"An e-mail subscription needs an address. Got {target!r}.")
        return target
    try:
        parts = urlsplit(target)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise SubscriptionError(f"A webhook subscription needs a URL. Got {target!r}.") from exc
    loopback = host in LOOPBACK
    if not host or not (
        parts.scheme == "https" or (parts.scheme == "http" and loopback and allow_local)
    ):
        raise SubscriptionError(f"A webhook subscription needs an https URL. Got {target!r}.")
    if parts.username is not None or parts.password is not None:
        raise SubscriptionError("A webhook URL carries no user name or password.")
    if not allow_local and _local_host(host):
        raise SubscriptionError(
            f"A webhook must reach a public address: {host!r} is this machine or a private network."
        )
    return target


def _local_host(host: str) -> bool:
    """Whether ``host`` (a URL's host, lower case) names this machine or a private,
    link-local, reserved or multicast address (an IP literal), or a local host name."""
    name = host.rstrip(".")
    single_label = "." not in name and ":" not in name
    if name in LOOPBACK or name.endswith(LOCAL_SUFFIXES) or single_label:
        return True
    try:
        ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False  # a name: vetted again when it is resolved, at connect time
    return not public_address(name)


def create_subscription(
    session: Session,
    *,
    agency_id: str,
    client_id: str,
    channel: str,
    target: str,
    actor: str,
    ports: Iterable[str] = (),
    flags: Iterable[str] = (),
    nationalities: Iterable[str] = (),
    min_tier: str = "high",
    kinds: Iterable[str] = KINDS,
    mode: str = "immediate",
    digest_every_h: int = 24,
    now: datetime | None = None,
    allow_local: bool = False,
) -> tuple[Subscription, dict[str, str]]:
    """Subscribe an agency (through one of its API clients) to the vessels that concern it.

    Parameters
    ----------
    session : Session
    agency_id : str
        An agency of the directory (``agencies``).
    client_id : str
        The subscribing API client: its live scope bounds every match.
    channel : {"webhook", "email"}
    target : str
        The webhook's https URL to a public address, or the e-mail address.
    actor : str
        Audit-log actor.
    ports, flags, nationalities : iterable of str
        Concerns (port labels; ISO3 codes), any one enough; none: every vessel in scope.
        Ports must lie within a port-scoped client's ports.
    min_tier : str, default "high"
    kinds : iterable of str, default every kind
    mode : {"immediate", "digest"}
    digest_every_h : int, default 24
        Hours between digests, 1 to 168.
    now : datetime, optional
    allow_local : bool, default False
        Also accept a webhook to this machine or a private network (plain http only to
        :data:`LOOPBACK`): for the operator's CLI and tests. The API never allows it,
        so no client can make the server send requests inside its own network (SSRF).

    Returns
    -------
    (Subscription, dict)
        The row, and the secrets to show once: ``unsubscribe`` (the token of the
        unsubscribe link) and, for a webhook, ``webhook`` (the ``whsec_`` secret its
        messages are signed with).

    Raises
    ------
    LookupError
        No such agency or active client.
    PermissionError
        A port outside the client's port scope.
    SubscriptionError
        An unknown channel, mode, kind or tier, a malformed target (a webhook to this
        machine or a private network without ``allow_local``), a bad period.
    """
    if channel not in CHANNELS:
        raise SubscriptionError(f"The channel must be one of {CHANNELS}. Got {channel!r}.")
    if mode not in MODES:
        raise SubscriptionError(f"The mode must be one of {MODES}. Got {mode!r}.")
    if min_tier not in TIER_LEVEL:
        raise SubscriptionError(f"The tier must be one of {sorted(TIER_LEVEL)}. Got {min_tier!r}.")
    wanted = sorted(set(kinds))
    if not wanted or set(wanted) - set(KINDS):
        raise SubscriptionError(f"The kinds must be among {KINDS}. Got {wanted!r}.")
    if not 1 <= digest_every_h <= 168:
        raise SubscriptionError(f"digest_every_h must be 1 to 168 hours. Got {digest_every_h}.")
    target = _check_target(channel, target, allow_local=allow_local)
    if session.get(Agency, agency_id) is None:
        raise LookupError(
            f"No agency {agency_id!r} in the directory: add it (vessel-risk agencies load) "
            "before it subscribes."
        )
    client = session.get(ApiClient, client_id)
    if client is None or not client.active:
        raise LookupError(f"No active API client {client_id!r}.")
    port_set = normalise_codes(ports)
    scope_ports = normalise_codes(client.ports or [])
    if client.role != "admin" and scope_ports and not port_set <= scope_ports:
        outside = sorted(port_set - scope_ports)
        raise PermissionError(f"The ports {outside} are outside this client's scope.")
    when = as_utc(now) or utcnow()
    token = secrets_module.token_urlsafe(32)
    shown: dict[str, str] = {"unsubscribe": token}
    stored: dict[str, Any] = {"unsubscribe": token}
    if channel == "webhook":
        shown["webhook"] = generate_secret()
        stored["webhook"] = [shown["webhook"]]
    sub = Subscription(
        id=str(uuid.uuid4()),
        agency_id=agency_id,
        client_id=client_id,
        channel=channel,
        target=target,
        ports=sorted(port_set),
        flags=sorted(normalise_codes(flags)),
        nationalities=sorted(normalise_codes(nationalities)),
        min_tier=min_tier,
        kinds=wanted,
        mode=mode,
        digest_every_h=digest_every_h,
        next_digest_at=None,
        secrets=stored,
        unsubscribe_sha256=token_digest(token),
        status="active",
        created_by=actor,
        created_at=when,
    )
    if mode == "digest":
        sub.next_digest_at = when + timedelta(hours=digest_every_h)
    session.add(sub)
    session.flush()
    audit(
        session,
        actor=actor,
        action="subscription.created",
        entity_type="subscription",
        entity_id=sub.id,
        # the target (an address, a URL) stays in its row only: least data in the log
        after=json.loads(json.dumps({**describe(sub), "target": None}, default=str)),
    )
    return sub, shown


def describe(sub: Subscription) -> dict[str, Any]:
    """A subscription as the API and CLI show it (never its secrets)."""
    return {
        "id": sub.id,
        "agency_id": sub.agency_id,
        "client_id": sub.client_id,
        "channel": sub.channel,
        "target": sub.target,
        "ports": list(sub.ports or []),
        "flags": list(sub.flags or []),
        "nationalities": list(sub.nationalities or []),
        "min_tier": sub.min_tier,
        "kinds": list(sub.kinds or []),
        "mode": sub.mode,
        "digest_every_h": sub.digest_every_h,
        "next_digest_at": as_utc(sub.next_digest_at),
        "status": sub.status,
        "created_by": sub.created_by,
        "created_at": as_utc(sub.created_at),
        "removed_at": as_utc(sub.removed_at),
    }


def list_subscriptions(
    session: Session, *, agency_id: str | None = None, include_removed: bool = False
) -> list[Subscription]:
    """An agency's subscriptions (every agency's when ``agency_id`` is None), oldest first."""
    stmt = select(Subscription).order_by(Subscription.created_at, Subscription.id)
    if agency_id is not None:
        stmt = stmt.where(Subscription.agency_id == agency_id)
    if not include_removed:
        stmt = stmt.where(Subscription.status == "active")
    return list(session.scalars(stmt))


def remove_subscription(
    session: Session, sub: Subscription, *, actor: str, reason: str, now: datetime | None = None
) -> Subscription:
    """Unsubscribe: no event is matched or sent to ``sub`` from now on (idempotent).

    Its messages not yet sent are cancelled; its row and events stay for the audit
    trail. Audited ``subscription.removed``.
    """
    if sub.status == "removed":
        return sub
    when = as_utc(now) or utcnow()
    cancel_subscription_deliveries(session, sub.id, actor=actor, reason="unsubscribed")
    audit(
        session,
        actor=actor,
        action="subscription.removed",
        entity_type="subscription",
        entity_id=sub.id,
        reason=reason,
        before={"status": sub.status},
        after={"status": "removed"},
    )
    sub.status = "removed"
    sub.removed_by = actor
    sub.removed_at = when
    return sub


def by_unsubscribe_token(session: Session, token: str) -> Subscription | None:
    """The subscription whose unsubscribe link carries ``token``, or None."""
    if not token or len(token) > 256:
        return None
    return session.scalars(
        select(Subscription).where(Subscription.unsubscribe_sha256 == token_digest(token))
    ).one_or_none()


def concerns_of(sub: Subscription, client: ApiClient | None) -> Concerns | None:
    """A subscription's concerns within its client's live scope; None when the client is
    gone or inactive (its subscriptions then match nothing)."""
    if client is None or not client.active:
        return None
    return Concerns(
        ports=normalise_codes(sub.ports or []),
        flags=normalise_codes(sub.flags or []),
        nationalities=normalise_codes(sub.nationalities or []),
        min_tier=sub.min_tier,
        kinds=frozenset(sub.kinds or []),
        scope_countries=normalise_codes(client.countries or []),
        scope_ports=normalise_codes(client.ports or []),
        unrestricted=client.role == "admin",
    )


def active_concerns(session: Session) -> list[tuple[Subscription, Concerns]]:
    """Every active subscription whose client is active, with its concerns."""
    subs = list_subscriptions(session)
    clients = {
        c.id: c
        for c in session.scalars(
            select(ApiClient).where(ApiClient.id.in_({s.client_id for s in subs}))
        )
    }
    out = []
    for sub in subs:
        concerns = concerns_of(sub, clients.get(sub.client_id))
        if concerns is not None:
            out.append((sub, concerns))
    return out
