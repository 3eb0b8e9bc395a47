"""Delivery of referral notices to agencies: a transactional outbox and its worker.

A notice reaches an agency in four steps:

1. :func:`enqueue` writes one :class:`~vessel_risk.db.tables.Delivery` row per (notice,
   agency) in the caller's transaction: the notice is approved and queued, or neither
   (the transactional outbox). The row's ``id`` (a UUID4) is both the Standard Webhooks
   ``webhook-id`` and the ``Idempotency-Key`` of every attempt, so a receiver that
   de-duplicates on it processes a notice once however often it is sent.
2. :func:`deliver_due` (``vessel-risk deliver``) leases due rows in a short
   transaction, sends them outside any transaction through the agency's transport
   (:class:`WebhookTransport`, :class:`PrimeroTransport`, :class:`ManualTransport`),
   and records each attempt, then marks the row delivered, schedules a retry
   (exponential backoff with full jitter) or dead-letters it.
3. Receivers report what became of a notice through signed status callbacks, applied
   by :func:`apply_status_callback` (received → accepted | rejected → closed).
4. Dead letters and manual pickups are left for a person (:func:`requeue`,
   :func:`mark_handed_over`).

Delivery statuses
-----------------
``pending``
    Waiting for its next attempt (``next_attempt_at``), or leased by a worker until
    ``leased_until``.
``delivered``
    The receiver acknowledged it (2xx, or 409: it already has the idempotency key), a
    person handed it over, or a status callback proved receipt.
``manual``
    The agency has no endpoint (transport ``manual``): waiting for a person to hand the
    notice over (print the brief, send it by hand) and record it with
    :func:`mark_handed_over`. It leaves the worker's queue rather than staying
    ``pending``, where it would be leased again forever.
``dead``
    A permanent refusal or ``max_attempts`` failures; :func:`requeue` sends it again.
``cancelled``
    The notice was withdrawn before delivery (:func:`cancel_pending`).

Response rules (:func:`classify`)
---------------------------------
- 2xx: delivered.
- 409 Conflict: delivered. A receiver that already holds the idempotency key answers
  409 (Primero does for a case whose client-made ``id`` exists; the IETF
  Idempotency-Key draft uses it for a request with that key still in progress).
- 408, 429, 5xx, 1xx/3xx (redirects are never followed: a signed notice goes only to
  the configured URL), a timeout or a network error: retried. ``Retry-After`` (seconds)
  is honoured up to ``max_delay_s``.
- Any other 4xx (400, 401, 403, 404, 410, 413, 422, ...): dead at once: sending the same
  request again cannot succeed. So is an agency whose configuration cannot work (no
  URL, no secret, an unknown transport).

Exactly once at the receiver
----------------------------
A worker can die after sending and before recording the result. Its lease then
expires, another pass leases the row again and re-sends it with the *same*
``webhook-id`` / ``Idempotency-Key``; the receiver de-duplicates on it and answers 2xx
or 409, and the row is marked delivered. Delivery is at least once on the wire and
exactly once at a receiver that de-duplicates, as Standard Webhooks requires receivers
to do. ``attempts`` counts leases, so a send lost to a crash still counts towards
``max_attempts``.

References
----------
- Standard Webhooks specification v1.0.0 (standardwebhooks.com; repository
  standard-webhooks/standard-webhooks, ``spec/standard-webhooks.md``): headers
  ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``; ``v1`` signatures are
  base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}`` with the base64-decoded part of a
  ``whsec_`` secret; several space-separated signatures during key rotation; receivers
  reject timestamps more than 5 minutes away.
- IETF draft-ietf-httpapi-idempotency-key-header-07 (2025): ``Idempotency-Key`` is a
  Structured Field String, sent quoted.
- Primero API v2 (primeroIMS/primero, ``doc/api.md``, ``doc/api/tokens/post.md``,
  ``doc/api/cases/post.md``): see :class:`PrimeroTransport`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, cast

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Session

from vessel_risk.db.tables import (
    Agency,
    Delivery,
    DeliveryAttempt,
    ReferralNotice,
    as_utc,
    audit,
    utcnow,
)

EVENT_TYPE = "referral_notice.created"
"""The Standard Webhooks event type of a new referral notice."""

ACTOR = "system:delivery"
"""The audit-log actor of the worker."""

DELIVERY_STATUSES = ("pending", "delivered", "manual", "dead", "cancelled")

RECEIVER_STATUSES: dict[str, int] = {"received": 1, "accepted": 2, "rejected": 2, "closed": 3}
"""Receiver statuses and their order: received → accepted | rejected → closed.

A callback may skip steps (``accepted`` with no ``received`` before it) but never go
back or sideways: after ``accepted`` only ``closed``; nothing after ``closed``. The same
status reported again is a no-op (receivers retry callbacks).
"""

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_S = 300
"""Standard Webhooks: receivers reject timestamps more than 5 minutes away."""

Outcome = Literal["delivered", "retry", "dead", "manual"]


# --------------------------------------------------------------------------------------
# Standard Webhooks signing and verification
# --------------------------------------------------------------------------------------


class WebhookVerificationError(ValueError):
    """Raised when a webhook's headers or signature do not verify."""


def generate_secret(n_bytes: int = 32) -> str:
    """A new random signing secret in ``whsec_<base64>`` form.

    Parameters
    ----------
    n_bytes : int, default 32
        Key length in bytes; the specification asks for 24 to 64.
    """
    if not 24 <= n_bytes <= 64:
        raise ValueError(
            f"The 'n_bytes' parameter of generate_secret must be in [24, 64]. Got {n_bytes}."
        )
    return SECRET_PREFIX + base64.b64encode(os.urandom(n_bytes)).decode("ascii")


def _key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise ValueError(
            "A webhook secret must be a string 'whsec_<base64>'. "
            f"Got {str(secret)[:10]!r}... instead."
        )
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error as exc:
        raise ValueError("A webhook secret must be 'whsec_' followed by base64.") from exc
    if not key:
        raise ValueError("A webhook secret may not be empty.")
    return key


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def _as_unix_s(timestamp: int | datetime) -> int:
    if isinstance(timestamp, datetime):
        aware = as_utc(timestamp)
        assert aware is not None
        return math.floor(aware.timestamp())
    return int(timestamp)


def sign(secret: str, msg_id: str, timestamp: int | datetime, body: bytes | str) -> str:
    """The Standard Webhooks ``v1`` signature of one message.

    Parameters
    ----------
    secret : str
        ``whsec_<base64>``; the HMAC key is the decoded base64.
    msg_id : str
        The ``webhook-id`` (here the delivery id).
    timestamp : int or datetime
        The ``webhook-timestamp``: seconds since the UNIX epoch (UTC), or an aware
        datetime, floored to the second.
    body : bytes or str
        The exact request body; str is encoded as UTF-8.

    Returns
    -------
    str
        ``"v1,<base64 HMAC-SHA256 of '{msg_id}.{timestamp}.{body}'>"``.
    """
    content = f"{msg_id}.{_as_unix_s(timestamp)}.".encode() + _as_bytes(body)
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def webhook_headers(
    secrets: Sequence[str], msg_id: str, body: bytes | str, *, now: datetime | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``, signed with every secret.

    Parameters
    ----------
    secrets : sequence of str
        The agency's active secrets. During rotation both the old and the new secret
        are active, and ``webhook-signature`` carries one signature per secret,
        space-separated, so the receiver verifies with whichever it holds.
    msg_id : str
    body : bytes or str
    now : datetime, optional
        Signing time (default: now, UTC).
    """
    if not secrets:
        raise ValueError("Signing needs at least one secret.")
    ts = _as_unix_s(now or utcnow())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": " ".join(sign(s, msg_id, ts, body) for s in secrets),
    }


def verify(
    secrets: Sequence[str],
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    now: datetime | None = None,
) -> str:
    """Verify a Standard Webhooks request; return its ``webhook-id``.

    Usable by any receiver of ours, and by the API for receivers' status callbacks
    (signed with the agency's secrets, :func:`agency_secrets`).

    Parameters
    ----------
    secrets : sequence of str
        The secrets that may have signed it (``whsec_<base64>``): during rotation the
        old and the new one; after the old one is removed, only the new one verifies.
    headers : mapping of str to str
        The request headers (names case-insensitive).
    body : bytes or str
        The raw request body, exactly as received.
    tolerance_s : float, default 300
        Largest accepted distance between ``webhook-timestamp`` and ``now``, in seconds,
        either way (replay protection).
    now : datetime, optional
        Verification time (default: now, UTC).

    Returns
    -------
    str
        The ``webhook-id``, for the receiver to de-duplicate on.

    Raises
    ------
    WebhookVerificationError
        A header is missing, the timestamp is not an integer or too old or in the
        future, or no ``v1`` signature matches any secret (tampered body, wrong id or
        timestamp, unknown secret).
    """
    if not secrets:
        raise WebhookVerificationError("No secret to verify with: the agency has none.")
    lower = {k.lower(): v for k, v in headers.items()}
    missing = [
        h for h in ("webhook-id", "webhook-timestamp", "webhook-signature") if not lower.get(h)
    ]
    if missing:
        raise WebhookVerificationError(f"Missing header(s): {', '.join(missing)}.")
    msg_id, ts_text, sig_text = (
        lower["webhook-id"],
        lower["webhook-timestamp"],
        lower["webhook-signature"],
    )
    try:
        ts = int(ts_text)
    except ValueError:
        raise WebhookVerificationError(
            f"webhook-timestamp must be whole seconds since the epoch. Got {ts_text!r}."
        ) from None
    now_s = (as_utc(now) or utcnow()).timestamp()
    if ts < now_s - tolerance_s:
        raise WebhookVerificationError(
            f"Message timestamp too old: {now_s - ts:.0f} s ago, more than {tolerance_s:.0f} s "
            "(a replay, or a clock far behind)."
        )
    if ts > now_s + tolerance_s:
        raise WebhookVerificationError(
            f"Message timestamp in the future: {ts - now_s:.0f} s ahead, more than "
            f"{tolerance_s:.0f} s (a clock far ahead)."
        )
    given: list[bytes] = []
    for part in sig_text.split(" "):
        version, _, value = part.partition(",")
        if version != "v1" or not value:
            continue
        try:
            given.append(base64.b64decode(value, validate=True))
        except binascii.Error:
            continue
    for secret in secrets:
        expected = base64.b64decode(sign(secret, msg_id, ts, body).split(",", 1)[1])
        if any(hmac.compare_digest(expected, g) for g in given):
            return msg_id
    raise WebhookVerificationError(
        "No matching signature: the body, id or timestamp was changed, or it was signed "
        "with a secret not in the list."
    )


# --------------------------------------------------------------------------------------
# Transports
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboundMessage:
    """One attempt to deliver one outbox row, detached from the database.

    Built in the lease transaction so that sending needs no session.

    Attributes
    ----------
    delivery_id : str
        ``webhook-id`` and ``Idempotency-Key``.
    notice_id : str
    event_type : str
    payload : dict
        The notice as frozen at enqueue time.
    created_at : datetime
        When the row was enqueued (UTC); the body's ``timestamp``.
    attempt : int
        1 for the first attempt.
    agency_id, transport : str
    endpoint_url : str or None
    secrets : tuple
        The agency's ``secrets`` column: ``whsec_`` strings for webhooks; a token or
        ``{"user_name", "password"}`` for Primero.
    """

    delivery_id: str
    notice_id: str
    event_type: str
    payload: dict[str, Any]
    created_at: datetime
    attempt: int
    agency_id: str
    transport: str
    endpoint_url: str | None
    secrets: tuple[Any, ...] = ()


@dataclass(frozen=True)
class SendResult:
    """What one transport attempt got back.

    Attributes
    ----------
    http_status : int or None
        None when no response came (timeout, refused connection, ...).
    error : str or None
        Why it failed, for ``last_error`` and the attempt row.
    retry_after_s : float or None
        The receiver's ``Retry-After``, in seconds.
    permanent : bool
        The attempt can never succeed as configured (dead at once).
    manual : bool
        Nothing was sent: a person has to hand the notice over.
    """

    http_status: int | None = None
    error: str | None = None
    retry_after_s: float | None = None
    permanent: bool = False
    manual: bool = False


class Transport(Protocol):
    """Sends one message to one agency; never raises for a failed delivery."""

    def send(self, message: OutboundMessage) -> SendResult:
        """Attempt delivery once and say what happened."""
        ...


def webhook_body(message: OutboundMessage) -> bytes:
    """The JSON body of a notice webhook (Standard Webhooks payload structure).

    ``{"type": event_type, "timestamp": enqueued at (ISO 8601 UTC), "data": {...notice,
    "delivery_id", "notice_id"}}``, UTF-8, keys sorted: the same bytes on every attempt.
    """
    created = as_utc(message.created_at)
    assert created is not None
    doc = {
        "type": message.event_type,
        "timestamp": created.isoformat().replace("+00:00", "Z"),
        "data": {
            **message.payload,
            "delivery_id": message.delivery_id,
            "notice_id": message.notice_id,
        },
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def idempotency_key(delivery_id: str) -> str:
    """The ``Idempotency-Key`` header value: the id as a Structured Field String."""
    return f'"{delivery_id}"'


def _retry_after_s(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from APIs; the backoff applies


def _failure(exc: Exception, timeout_s: float) -> SendResult:
    if isinstance(exc, httpx.TimeoutException):
        return SendResult(error=f"timeout after {timeout_s:g} s ({type(exc).__name__})")
    return SendResult(error=f"{type(exc).__name__}: {exc}"[:500])


class WebhookTransport:
    """POST the notice as a signed Standard Webhooks JSON request.

    Headers: ``content-type: application/json``, ``webhook-id``, ``webhook-timestamp``
    (the time of this attempt), ``webhook-signature`` (one ``v1`` signature per active
    secret of the agency) and ``Idempotency-Key``. Redirects are not followed.

    Parameters
    ----------
    client : httpx.Client, optional
        Injected for tests; by default one client with ``timeout_s`` is made and kept.
    timeout_s : float, default 10
        Connect, read and write timeout of one attempt, in seconds.
    """

    def __init__(self, client: httpx.Client | None = None, *, timeout_s: float = 10.0) -> None:
        self.client = client
        self.timeout_s = timeout_s

    def _client(self) -> httpx.Client:
        if self.client is None:
            self.client = httpx.Client(timeout=self.timeout_s, follow_redirects=False)
        return self.client

    def send(self, message: OutboundMessage) -> SendResult:
        """POST one signed notice; see the class docstring."""
        if not message.endpoint_url:
            return SendResult(
                error=f"agency {message.agency_id!r} has no endpoint_url", permanent=True
            )
        secrets = [s for s in message.secrets if isinstance(s, str)]
        if not secrets:
            return SendResult(
                error=f"agency {message.agency_id!r} has no whsec_ secret: "
                "notices are never sent unsigned",
                permanent=True,
            )
        body = webhook_body(message)
        try:
            headers = webhook_headers(secrets, message.delivery_id, body)
        except ValueError as exc:
            return SendResult(error=str(exc), permanent=True)
        headers["content-type"] = "application/json"
        headers["idempotency-key"] = idempotency_key(message.delivery_id)
        try:
            response = self._client().post(
                message.endpoint_url, content=body, headers=headers, timeout=self.timeout_s
            )
        except httpx.HTTPError as exc:
            return _failure(exc, self.timeout_s)
        error = (
            None if response.is_success else f"HTTP {response.status_code}: {response.text[:200]}"
        )
        return SendResult(response.status_code, error, _retry_after_s(response))


def primero_case(message: OutboundMessage, *, module_id: str | None = None) -> dict[str, Any]:
    """The notice as a Primero case record (the ``data`` of ``POST /api/v2/cases``).

    ``id`` is the delivery id, a client-made UUID: Primero answers 204 when it creates
    the case and 409 when a case with that id exists, which makes the POST idempotent.
    The notice holds no crew personal data, so neither does the case; its fields are
    the vessel's, prefixed ``vessel_risk_``/``vessel_`` for the agency's Primero
    administrator to place on a form, plus the whole notice as JSON.
    """
    p = message.payload
    nested = p.get("vessel")
    vessel: dict[str, Any] = nested if isinstance(nested, dict) else {}

    def pick(*keys: str) -> Any:
        for key in keys:
            for source in (p, vessel):
                if source.get(key) is not None:
                    return source[key]
        return None

    created = as_utc(message.created_at)
    assert created is not None
    case: dict[str, Any] = {
        "id": message.delivery_id,
        "registration_date": created.date().isoformat(),
        "vessel_risk_notice_id": message.notice_id,
        "vessel_risk_event_type": message.event_type,
        "vessel_mmsi": pick("mmsi"),
        "vessel_name": pick("shipname", "name"),
        "vessel_imo": pick("imo"),
        "vessel_flag_iso3": pick("flag_iso3", "flag"),
        "vessel_risk_score": pick("score"),
        "vessel_risk_tier": pick("tier"),
        "vessel_risk_model_version": pick("model_version"),
        "vessel_risk_notice": json.dumps(p, sort_keys=True, default=str),
    }
    if module_id:
        case["module_id"] = module_id
    return {k: v for k, v in case.items() if v is not None}


class PrimeroTransport:
    """Create the notice as a case in a Primero-style case system (REST API v2).

    Follows Primero's API v2 documentation (primeroIMS/primero, ``doc/api.md``):

    - every endpoint but the token one needs ``Authorization: Bearer <token>``;
      ``POST /api/v2/tokens`` with ``{"user": {"user_name", "password"}}`` issues a JWT
      in the response's ``Authorization`` header, valid 60 minutes
      (``doc/api/tokens/post.md``);
    - ``POST /api/v2/cases`` with ``{"data": {...}}`` creates a case; a client-made
      UUID ``data.id`` makes it answer 204 No Content, and 409 Conflict when that case
      exists already (``doc/api/cases/post.md``): the delivery id is that UUID, so a
      re-sent notice never makes a second case. Referrals to users
      (``POST /api/v2/cases/:id/referrals``) are the receiving agency's decision.

    The agency's ``endpoint_url`` is the Primero base URL (``https://host``), and its
    first ``secrets`` entry either a bearer token (a string) or
    ``{"user_name": ..., "password": ...}``, exchanged for a token that is kept for 55
    minutes and renewed once on a 401.

    Parameters
    ----------
    client : httpx.Client, optional
    timeout_s : float, default 10
        Timeout of one request, in seconds.
    module_id : str, optional
        Primero module of the cases (e.g. ``"primeromodule-cp"``), if the instance needs
        one.
    """

    TOKEN_LIFETIME_S = 55 * 60

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        timeout_s: float = 10.0,
        module_id: str | None = None,
    ) -> None:
        self.client = client
        self.timeout_s = timeout_s
        self.module_id = module_id
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def _client(self) -> httpx.Client:
        if self.client is None:
            self.client = httpx.Client(timeout=self.timeout_s, follow_redirects=False)
        return self.client

    def _token(self, message: OutboundMessage, base: str, *, renew: bool) -> str | SendResult:
        cred = message.secrets[0] if message.secrets else None
        if isinstance(cred, str) and cred:
            return cred
        if not (isinstance(cred, dict) and cred.get("user_name") and cred.get("password")):
            return SendResult(
                error=f"agency {message.agency_id!r} has no Primero token or user_name/password",
                permanent=True,
            )
        with self._lock:
            cached = self._tokens.get(message.agency_id)
            if cached and not renew and cached[1] > time.monotonic():
                return cached[0]
        user = {"user_name": cred["user_name"], "password": cred["password"]}
        try:
            r = self._client().post(
                f"{base}/api/v2/tokens", json={"user": user}, timeout=self.timeout_s
            )
        except httpx.HTTPError as exc:
            return _failure(exc, self.timeout_s)
        auth = r.headers.get("authorization", "")
        if not r.is_success or not auth.lower().startswith("bearer "):
            return SendResult(r.status_code, f"Primero login failed: HTTP {r.status_code}")
        token = auth.split(" ", 1)[1].strip()
        with self._lock:
            self._tokens[message.agency_id] = (token, time.monotonic() + self.TOKEN_LIFETIME_S)
        return token

    def send(self, message: OutboundMessage) -> SendResult:
        """POST the notice as a case; see the class docstring."""
        if not message.endpoint_url:
            return SendResult(
                error=f"agency {message.agency_id!r} has no endpoint_url", permanent=True
            )
        base = message.endpoint_url.rstrip("/")
        body = {"data": primero_case(message, module_id=self.module_id)}
        for renew in (False, True):
            token = self._token(message, base, renew=renew)
            if isinstance(token, SendResult):
                return token
            headers = {
                "authorization": f"Bearer {token}",
                "idempotency-key": idempotency_key(message.delivery_id),
            }
            try:
                r = self._client().post(
                    f"{base}/api/v2/cases", json=body, headers=headers, timeout=self.timeout_s
                )
            except httpx.HTTPError as exc:
                return _failure(exc, self.timeout_s)
            if r.status_code == 401 and not renew and isinstance(message.secrets[0], dict):
                continue  # the token expired: log in again once
            error = None if r.is_success else f"HTTP {r.status_code}: {r.text[:200]}"
            return SendResult(r.status_code, error, _retry_after_s(r))
        raise AssertionError("unreachable")  # pragma: no cover


class ManualTransport:
    """For agencies with no endpoint: send nothing; the row waits for a person.

    The worker marks such a row ``manual`` (out of its queue, audited): a person hands
    the notice over (the printable brief, by hand or e-mail) and records it with
    :func:`mark_handed_over`, which marks it delivered.
    """

    def send(self, message: OutboundMessage) -> SendResult:
        """Return a manual result without sending anything."""
        return SendResult(manual=True)


def default_transports(*, timeout_s: float = 10.0) -> dict[str, Transport]:
    """One transport per ``Agency.transport`` value: webhook, primero, manual."""
    client = httpx.Client(timeout=timeout_s, follow_redirects=False)
    return {
        "webhook": WebhookTransport(client, timeout_s=timeout_s),
        "primero": PrimeroTransport(client, timeout_s=timeout_s),
        "manual": ManualTransport(),
    }


def classify(result: SendResult) -> Outcome:
    """Delivered, retry, dead or manual, by the rules in the module docstring."""
    if result.manual:
        return "manual"
    if result.permanent:
        return "dead"
    status = result.http_status
    if status is None:
        return "retry"
    if 200 <= status < 300 or status == 409:
        return "delivered"
    if status in (408, 429) or status >= 500:
        return "retry"
    if 400 <= status < 500:
        return "dead"
    return "retry"


def backoff_s(
    attempt: int,
    *,
    base_delay_s: float,
    max_delay_s: float,
    rng: random.Random | None = None,
    retry_after_s: float | None = None,
) -> float:
    """Delay before the next attempt: exponential backoff with full jitter, in seconds.

    ``uniform(0, min(max_delay_s, base_delay_s * 2**(attempt - 1)))`` (AWS
    Architecture Blog, "Exponential Backoff and Jitter", 2015), raised to the
    receiver's ``Retry-After`` when it gave one, never above ``max_delay_s``.
    """
    cap = min(max_delay_s, base_delay_s * 2.0 ** max(attempt - 1, 0))
    delay = (rng or random).uniform(0.0, cap)
    if retry_after_s is not None:
        delay = max(delay, retry_after_s)
    return min(delay, max_delay_s)


# --------------------------------------------------------------------------------------
# The outbox
# --------------------------------------------------------------------------------------


def _upsert_insert(dialect: str) -> Any:
    """The dialect's ``insert`` that has ``on_conflict_do_nothing``."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def _frozen(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def enqueue(
    session: Session,
    notice: ReferralNotice,
    targets: Iterable[tuple[Agency, str]],
    *,
    actor: str = ACTOR,
    now: datetime | None = None,
) -> list[Delivery]:
    """Queue ``notice`` for each agency, in the caller's transaction (the outbox).

    Parameters
    ----------
    session : Session
        The caller's session: the rows commit or roll back with the approval.
    notice : ReferralNotice
        An approved notice (``status == "approved"``); its payload is copied, so later
        edits to the notice never change what is sent.
    targets : iterable of (Agency, str)
        Each agency and the routing rule that chose it (≤ 64 characters, e.g.
        ``"flag_state_maritime_authority"``). An agency listed twice keeps its first
        rule.
    actor : str, default "system:delivery"
        Audit-log actor of the ``delivery.enqueued`` entries.
    now : datetime, optional
        Enqueue time (default: now, UTC); the first attempt is due then.

    Returns
    -------
    list of Delivery
        One row per distinct agency, in ``targets`` order. Idempotent: a pair queued
        before returns its existing row unchanged (also under concurrent enqueues: the
        insert is ``ON CONFLICT DO NOTHING`` on the (notice, agency) key).

    Raises
    ------
    ValueError
        If the notice is not approved, or a rule is empty or too long.
    """
    if notice.status != "approved":
        raise ValueError(
            f"Only approved notices are delivered. Notice {notice.id!r} is {notice.status!r}."
        )
    when = as_utc(now) or utcnow()
    rules: dict[str, str] = {}
    for agency, rule in targets:
        if not rule or len(rule) > 64:
            raise ValueError(f"A routing rule must have 1 to 64 characters. Got {rule!r}.")
        rules.setdefault(agency.id, rule)
    if not rules:
        return []
    session.flush()
    payload = _frozen(notice.payload)
    dialect = session.get_bind().dialect.name
    for agency_id, rule in rules.items():
        values = {
            "id": str(uuid.uuid4()),
            "notice_id": notice.id,
            "agency_id": agency_id,
            "rule": rule,
            "event_type": EVENT_TYPE,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": when,
            "created_at": when,
        }
        if dialect in ("postgresql", "sqlite"):
            stmt = (
                _upsert_insert(dialect)(Delivery)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["notice_id", "agency_id"])
                .returning(Delivery.id)
            )
            created = session.execute(stmt).scalar_one_or_none()
        else:
            exists = session.scalar(
                select(Delivery.id).where(
                    Delivery.notice_id == notice.id, Delivery.agency_id == agency_id
                )
            )
            created = None
            if exists is None:
                session.add(Delivery(**values))
                session.flush()
                created = values["id"]
        if created is not None:
            audit(
                session,
                actor=actor,
                action="delivery.enqueued",
                entity_type="delivery",
                entity_id=created,
                after={"notice_id": notice.id, "agency_id": agency_id, "rule": rule},
            )
    rows = session.scalars(
        select(Delivery).where(Delivery.notice_id == notice.id, Delivery.agency_id.in_(list(rules)))
    ).all()
    by_agency = {r.agency_id: r for r in rows}
    return [by_agency[a] for a in rules]


def cancel_pending(session: Session, notice_id: str, *, actor: str, reason: str) -> list[str]:
    """Cancel a withdrawn notice's deliveries that have not gone out (pending, manual).

    Returns the ids cancelled; each is audited. A row leased at this moment may still
    be sent by the worker (its lease is not interrupted); it is then marked delivered
    only if still pending, so a cancelled row stays cancelled.
    """
    rows = session.scalars(
        select(Delivery).where(
            Delivery.notice_id == notice_id, Delivery.status.in_(("pending", "manual"))
        )
    ).all()
    for row in rows:
        audit(
            session,
            actor=actor,
            action="delivery.cancelled",
            entity_type="delivery",
            entity_id=row.id,
            reason=reason,
            before={"status": row.status},
            after={"status": "cancelled"},
        )
        row.status = "cancelled"
        row.lease_owner = None
        row.leased_until = None
    return [r.id for r in rows]


def requeue(
    session: Session, delivery_id: str, *, actor: str, reason: str, now: datetime | None = None
) -> Delivery:
    """Send a dead letter again (after its agency's configuration was fixed).

    Its ``attempts`` start again from 0; the earlier attempts stay recorded.
    """
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise LookupError(f"No delivery {delivery_id!r}.")
    if row.status != "dead":
        raise ValueError(f"Only dead deliveries are requeued. {delivery_id!r} is {row.status!r}.")
    audit(
        session,
        actor=actor,
        action="delivery.requeued",
        entity_type="delivery",
        entity_id=row.id,
        reason=reason,
        before={"status": "dead", "attempts": row.attempts},
        after={"status": "pending", "attempts": 0},
    )
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = as_utc(now) or utcnow()
    row.lease_owner = None
    row.leased_until = None
    return row


def mark_handed_over(
    session: Session, delivery_id: str, *, actor: str, reason: str, at: datetime | None = None
) -> Delivery:
    """Record that a person handed a ``manual`` delivery to its agency: delivered."""
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise LookupError(f"No delivery {delivery_id!r}.")
    if row.status != "manual":
        raise ValueError(
            f"Only manual deliveries are handed over. {delivery_id!r} is {row.status!r}."
        )
    when = as_utc(at) or utcnow()
    audit(
        session,
        actor=actor,
        action="delivery.delivered",
        entity_type="delivery",
        entity_id=row.id,
        reason=reason,
        before={"status": "manual"},
        after={"status": "delivered", "delivered_at": when.isoformat()},
    )
    row.status = "delivered"
    row.delivered_at = when
    return row


# --------------------------------------------------------------------------------------
# The worker
# --------------------------------------------------------------------------------------


@dataclass
class DeliveryCounts:
    """What one :func:`deliver_due` pass did (rows, not requests).

    ``stale``: results not recorded because the row was no longer this worker's
    (its lease expired and another worker took it, or it was cancelled).
    """

    leased: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    manual: int = 0
    stale: int = 0
    passes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, outcome: str) -> None:
        """Count one outcome, thread-safely."""
        with self._lock:
            setattr(self, outcome, getattr(self, outcome) + 1)

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict (without ``passes``)."""
        keys = ("leased", "delivered", "retried", "dead", "manual", "stale")
        return {k: getattr(self, k) for k in keys}

    def merge(self, other: DeliveryCounts) -> None:
        """Add another pass's counts to these totals, counting one more pass."""
        for key, value in other.as_dict().items():
            setattr(self, key, getattr(self, key) + value)
        self.passes += 1


def _lease(
    engine: Engine, *, worker_id: str, batch: int, now: datetime, lease_s: float
) -> tuple[datetime, list[OutboundMessage]]:
    """Lease up to ``batch`` due rows in one short transaction.

    PostgreSQL: ``SELECT ... LIMIT n FOR UPDATE SKIP LOCKED`` then ``UPDATE``, so
    concurrent workers skip each other's rows. SQLite (no row locks, one writer at a
    time): one conditional ``UPDATE ... WHERE id IN (SELECT ... LIMIT n)`` that
    re-checks that each row is still free.
    """
    until = now + timedelta(seconds=lease_s)
    free = (
        Delivery.status == "pending",
        Delivery.next_attempt_at <= now,
        or_(Delivery.leased_until.is_(None), Delivery.leased_until < now),
    )
    due = (
        select(Delivery.id)
        .where(*free)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    lease = update(Delivery).values(
        lease_owner=worker_id, leased_until=until, attempts=Delivery.attempts + 1
    )
    with Session(engine) as s, s.begin():
        if engine.dialect.name == "sqlite":
            # One statement: SQLite computes the IN subquery once, and a write that
            # starts the transaction waits for the lock instead of failing.
            s.execute(
                lease.where(Delivery.id.in_(due), *free),
                execution_options={"synchronize_session": False},
            )
        else:
            # Two statements: PostgreSQL may rescan an IN (... LIMIT n) subquery inside
            # an UPDATE and lease more than n rows; the selected rows stay locked.
            ids = list(s.scalars(due))
            if ids:
                s.execute(
                    lease.where(Delivery.id.in_(ids), *free),
                    execution_options={"synchronize_session": False},
                )
        rows = s.execute(
            select(Delivery, Agency)
            .join(Agency, Agency.id == Delivery.agency_id)
            .where(Delivery.lease_owner == worker_id, Delivery.leased_until == until)
        ).all()
        messages = [
            OutboundMessage(
                delivery_id=d.id,
                notice_id=d.notice_id,
                event_type=d.event_type,
                payload=dict(d.payload),
                created_at=as_utc(d.created_at) or now,
                attempt=d.attempts,
                agency_id=a.id,
                transport=a.transport,
                endpoint_url=a.endpoint_url,
                secrets=tuple(a.secrets or ()),
            )
            for d, a in rows
        ]
    return until, messages


@dataclass(frozen=True)
class _Policy:
    worker_id: str
    max_attempts: int
    base_delay_s: float
    max_delay_s: float
    rng: random.Random


def _record(
    engine: Engine,
    message: OutboundMessage,
    result: SendResult,
    duration_ms: float,
    *,
    until: datetime,
    at: datetime,
    policy: _Policy,
) -> str:
    """Record one attempt and its consequence in one short transaction; the outcome."""
    verdict = classify(result)
    gave_up = verdict == "retry" and message.attempt >= policy.max_attempts
    outcome: str = "dead" if gave_up else verdict
    error = (
        f"gave up after {message.attempt} attempts; last: {result.error}"
        if gave_up
        else result.error
    )
    mine = (
        Delivery.id == message.delivery_id,
        Delivery.status == "pending",
        Delivery.lease_owner == policy.worker_id,
        Delivery.leased_until == until,
    )
    with Session(engine) as s, s.begin():
        if outcome == "delivered":
            # Delivered whoever holds the lease now: the receiver has it.
            stmt = update(Delivery).where(
                Delivery.id == message.delivery_id, Delivery.status == "pending"
            )
            values: dict[str, Any] = {"status": "delivered", "delivered_at": at, "last_error": None}
        elif outcome == "retry":
            delay = backoff_s(
                message.attempt,
                base_delay_s=policy.base_delay_s,
                max_delay_s=policy.max_delay_s,
                rng=policy.rng,
                retry_after_s=result.retry_after_s,
            )
            stmt = update(Delivery).where(*mine)
            values = {"next_attempt_at": at + timedelta(seconds=delay), "last_error": error}
        else:  # dead or manual
            stmt = update(Delivery).where(*mine)
            values = {"status": outcome, "last_error": error}
        values.update(lease_owner=None, leased_until=None)
        result_ = s.execute(stmt.values(**values), execution_options={"synchronize_session": False})
        changed = cast("CursorResult[Any]", result_).rowcount
        if not result.manual:
            s.add(
                DeliveryAttempt(
                    delivery_id=message.delivery_id,
                    attempted_at=at,
                    http_status=result.http_status,
                    error=result.error,
                    duration_ms=duration_ms,
                )
            )
        if not changed:
            return "stale"
        if outcome in ("delivered", "dead", "manual"):
            audit(
                s,
                actor=ACTOR,
                action=f"delivery.{outcome}",
                entity_type="delivery",
                entity_id=message.delivery_id,
                reason=error if outcome == "dead" else None,
                before={"status": "pending"},
                after={
                    "status": outcome,
                    "attempt": message.attempt,
                    "http_status": result.http_status,
                    "agency_id": message.agency_id,
                },
            )
    return {"retry": "retried"}.get(outcome, outcome)


def deliver_due(
    engine: Engine,
    *,
    worker_id: str,
    batch: int = 50,
    now: datetime | None = None,
    transports: Mapping[str, Transport] | None = None,
    max_attempts: int = 12,
    base_delay_s: float = 30.0,
    max_delay_s: float = 6 * 3600.0,
    lease_s: float = 120.0,
    concurrency: int = 8,
    rng: random.Random | None = None,
) -> DeliveryCounts:
    """Lease due deliveries, send them, record every attempt: one pass of the worker.

    Parameters
    ----------
    engine : Engine
        Each step uses its own short transaction; nothing is held open while sending.
    worker_id : str
        Lease owner (≤ 64 characters), unique per running worker (e.g. host:pid).
    batch : int, default 50
        Most rows leased in this pass.
    now : datetime, optional
        Fixed time for leasing and scheduling (tests); default: the clock, read at
        each step.
    transports : mapping of str to Transport, optional
        By ``Agency.transport``; default :func:`default_transports`. A row whose
        agency names no known transport is dead at once, saying so.
    max_attempts : int, default 12
        Attempts (leases) before a retryable failure becomes a dead letter.
    base_delay_s, max_delay_s : float, default 30 s and 6 h
        Backoff before attempt n+1 is uniform in [0, min(max_delay_s, base_delay_s ·
        2^(n-1))] s (full jitter); 12 attempts span about a day in expectation.
    lease_s : float, default 120
        How long a leased row is this worker's, in seconds. Make it longer than a
        batch takes (transport timeout × batch / concurrency), else another worker may
        send the row too (harmless for receivers that de-duplicate, but wasteful). A
        worker that dies leaves its rows to be leased again after this.
    concurrency : int, default 8
        Sends in flight at once (threads).
    rng : random.Random, optional
        Jitter source (seed it in tests).

    Returns
    -------
    DeliveryCounts
    """
    if batch < 1 or concurrency < 1 or max_attempts < 1:
        raise ValueError(
            "The 'batch', 'concurrency' and 'max_attempts' parameters of deliver_due must "
            f"be >= 1. Got {batch}, {concurrency}, {max_attempts} instead."
        )
    if not 0 <= base_delay_s <= max_delay_s:
        raise ValueError(
            "deliver_due needs 0 <= base_delay_s <= max_delay_s. "
            f"Got {base_delay_s} and {max_delay_s} instead."
        )
    fixed = as_utc(now)

    def clock() -> datetime:
        return fixed or utcnow()

    counts = DeliveryCounts()
    until, messages = _lease(engine, worker_id=worker_id, batch=batch, now=clock(), lease_s=lease_s)
    counts.leased = len(messages)
    if not messages:
        return counts
    owned = transports is None
    table = default_transports() if transports is None else transports
    policy = _Policy(worker_id, max_attempts, base_delay_s, max_delay_s, rng or random.Random())

    def one(message: OutboundMessage) -> None:
        transport = table.get(message.transport)
        start = time.perf_counter()
        if message.attempt > max_attempts:
            result = SendResult(
                error=f"attempt limit {max_attempts} reached: a worker stopped during the last "
                "attempt",
                permanent=True,
            )
        elif transport is None:
            result = SendResult(
                error=f"unknown transport {message.transport!r} for agency {message.agency_id!r}",
                permanent=True,
            )
        else:
            try:
                result = transport.send(message)
            except Exception as exc:  # a transport bug must not stop the batch
                result = SendResult(error=f"{type(exc).__name__}: {exc}"[:500])
        duration_ms = (time.perf_counter() - start) * 1000.0
        counts.add(
            _record(engine, message, result, duration_ms, until=until, at=clock(), policy=policy)
        )

    try:
        if concurrency == 1 or len(messages) == 1:
            for m in messages:
                one(m)
        else:
            with ThreadPoolExecutor(max_workers=min(concurrency, len(messages))) as pool:
                list(pool.map(one, messages))
    finally:
        if owned:
            _close(table)
    return counts


def run_worker(
    engine: Engine,
    *,
    worker_id: str,
    once: bool = False,
    interval_s: float = 5.0,
    batch: int = 50,
    timeout_s: float = 10.0,
    transports: Mapping[str, Transport] | None = None,
    stop: threading.Event | None = None,
    on_pass: Callable[[DeliveryCounts, DeliveryCounts], None] | None = None,
    handle_signals: bool = True,
    **options: Any,
) -> DeliveryCounts:
    """Run :func:`deliver_due` in a loop until stopped: the ``vessel-risk deliver`` loop.

    Parameters
    ----------
    engine : Engine
    worker_id : str
    once : bool, default False
        One pass, then return.
    interval_s : float, default 5
        Wait after a pass that leased less than a full batch, in seconds; a full batch
        is followed at once by the next pass.
    batch : int, default 50
    timeout_s : float, default 10
        HTTP timeout of the default transports, in seconds.
    transports : mapping, optional
        Default: :func:`default_transports` with ``timeout_s``, closed on return.
    stop : threading.Event, optional
        Set it to stop after the pass in flight.
    on_pass : callable, optional
        Called after each pass with (that pass's counts, the running totals).
    handle_signals : bool, default True
        In the main thread, SIGTERM and SIGINT (Ctrl-C) set ``stop``: the pass in
        flight finishes (each send is bounded by the timeout) and the loop returns.
    **options
        Passed to :func:`deliver_due` (``max_attempts``, ``base_delay_s``,
        ``max_delay_s``, ``lease_s``, ``concurrency``, ``rng``).

    Returns
    -------
    DeliveryCounts
        Totals over every pass; ``passes`` says how many.
    """
    import signal

    stop = stop or threading.Event()
    previous: dict[int, Any] = {}
    if handle_signals and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda _signum, _frame: stop.set())
    owned = transports is None
    table = default_transports(timeout_s=timeout_s) if transports is None else transports
    total = DeliveryCounts()
    try:
        while not stop.is_set():
            counts = deliver_due(
                engine, worker_id=worker_id, batch=batch, transports=table, **options
            )
            total.merge(counts)
            if on_pass is not None:
                on_pass(counts, total)
            if once:
                break
            if counts.leased < batch:
                stop.wait(interval_s)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if owned:
            _close(table)
    return total


def _close(transports: Mapping[str, Transport]) -> None:
    for t in transports.values():
        client = getattr(t, "client", None)
        if isinstance(client, httpx.Client):
            client.close()


# --------------------------------------------------------------------------------------
# Receivers' status callbacks
# --------------------------------------------------------------------------------------


class ReceiverStatusError(ValueError):
    """Raised for a status callback that would go back or sideways (answer 409)."""


def agency_secrets(session: Session, delivery_id: str) -> list[str]:
    """The ``whsec_`` secrets a status callback about ``delivery_id`` must be signed with.

    For the API: ``verify(agency_secrets(s, id), request.headers, await request.body())``.
    """
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise LookupError(f"No delivery {delivery_id!r}.")
    agency = session.get(Agency, row.agency_id)
    assert agency is not None
    return [s for s in (agency.secrets or []) if isinstance(s, str)]


def apply_status_callback(
    session: Session,
    delivery_id: str,
    status: str,
    *,
    actor: str,
    at: datetime | None = None,
    reason: str | None = None,
) -> Delivery:
    """Apply a receiver's report on a delivered notice, audited, in ``session``.

    Parameters
    ----------
    session : Session
        Committed by the caller.
    delivery_id : str
        The ``webhook-id`` the receiver got.
    status : str
        ``received``, ``accepted``, ``rejected`` or ``closed``, in the order of
        :data:`RECEIVER_STATUSES` (steps may be skipped, never undone).
    actor : str
        Who reports, e.g. ``"agency:<id>"``.
    at : datetime, optional
        When the receiver's status changed (default: now, UTC).
    reason : str, optional
        The receiver's words (e.g. why it rejected).

    Returns
    -------
    Delivery
        Its ``receiver_status`` updated; the notice's ``receiver_status`` becomes the
        furthest status any of its agencies has reported (the latest among equals).
        A callback is proof of receipt: a row still pending (its worker died after
        sending), manual or dead is marked delivered, audited.

    Raises
    ------
    ValueError
        For an unknown status.
    LookupError
        For an unknown delivery.
    ReceiverStatusError
        When the status would go back or sideways (e.g. ``received`` after
        ``accepted``, ``rejected`` after ``accepted``, anything after ``closed``). The
        same status again is accepted and changes nothing.
    """
    if status not in RECEIVER_STATUSES:
        raise ValueError(
            f"A receiver status must be one of {', '.join(RECEIVER_STATUSES)}. Got {status!r}."
        )
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise LookupError(f"No delivery {delivery_id!r}.")
    old = row.receiver_status
    if old == status:
        return row
    if old is not None and RECEIVER_STATUSES[status] <= RECEIVER_STATUSES[old]:
        raise ReceiverStatusError(
            f"Delivery {delivery_id!r} is {old!r}; a receiver status cannot go from {old!r} "
            f"to {status!r} (order: received → accepted | rejected → closed)."
        )
    when = as_utc(at) or utcnow()
    before: dict[str, Any] = {"receiver_status": old}
    after: dict[str, Any] = {"receiver_status": status, "receiver_status_at": when.isoformat()}
    if row.status != "delivered":
        before["status"] = row.status
        after["status"] = "delivered"
        row.status = "delivered"
        row.delivered_at = row.delivered_at or when
        row.lease_owner = None
        row.leased_until = None
    row.receiver_status = status
    row.receiver_status_at = when
    audit(
        session,
        actor=actor,
        action="delivery.receiver_status",
        entity_type="delivery",
        entity_id=row.id,
        reason=reason,
        before=before,
        after=after,
    )
    notice = session.get(ReferralNotice, row.notice_id)
    assert notice is not None
    current = notice.receiver_status
    if current is None or RECEIVER_STATUSES[status] >= RECEIVER_STATUSES.get(current, 0):
        if current != status:
            audit(
                session,
                actor=actor,
                action="notice.receiver_status",
                entity_type="referral_notice",
                entity_id=notice.id,
                reason=reason,
                before={"receiver_status": current},
                after={"receiver_status": status, "agency_id": row.agency_id},
            )
            notice.receiver_status = status
    return row


def delivery_history(session: Session, notice_id: str) -> list[dict[str, Any]]:
    """Every delivery of a notice with its attempts, oldest first (for the CLI and API)."""
    out = []
    rows = session.scalars(
        select(Delivery).where(Delivery.notice_id == notice_id).order_by(Delivery.created_at)
    ).all()
    for d in rows:
        attempts = session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == d.id)
            .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
        ).all()
        out.append(
            {
                "delivery_id": d.id,
                "agency_id": d.agency_id,
                "rule": d.rule,
                "status": d.status,
                "attempts": d.attempts,
                "delivered_at": as_utc(d.delivered_at),
                "receiver_status": d.receiver_status,
                "last_error": d.last_error,
                "history": [
                    {
                        "at": as_utc(a.attempted_at),
                        "http_status": a.http_status,
                        "error": a.error,
                        "duration_ms": a.duration_ms,
                    }
                    for a in attempts
                ],
            }
        )
    return out


__all__ = [
    "ACTOR",
    "EVENT_TYPE",
    "RECEIVER_STATUSES",
    "DeliveryCounts",
    "ManualTransport",
    "OutboundMessage",
    "PrimeroTransport",
    "ReceiverStatusError",
    "SendResult",
    "Transport",
    "WebhookTransport",
    "WebhookVerificationError",
    "agency_secrets",
    "apply_status_callback",
    "backoff_s",
    "cancel_pending",
    "classify",
    "deliver_due",
    "delivery_history",
    "enqueue",
    "generate_secret",
    "mark_handed_over",
    "primero_case",
    "requeue",
    "run_worker",
    "sign",
    "verify",
    "webhook_body",
    "webhook_headers",
]
