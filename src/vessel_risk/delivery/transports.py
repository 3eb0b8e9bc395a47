"""Transports: how one outbox message reaches one agency (webhook, Primero, by hand).

The worker hands a transport an :class:`OutboundMessage` (detached from the database)
and gets a :class:`SendResult` back. A transport never raises for a failed delivery and
makes no decision: what a result means, and whether and when to try again, is the
worker's policy (:mod:`vessel_risk.delivery.policy`). It only says what happened,
including that a request can never succeed as configured (``permanent``: no URL, no
secret) or that nothing was sent (``manual``).

- :class:`WebhookTransport`: a signed Standard Webhooks POST
  (:mod:`vessel_risk.delivery.signing`) carrying an ``Idempotency-Key``.
- :class:`PrimeroTransport`: a case created through Primero's REST API v2
  (:func:`primero_case`).
- :class:`ManualTransport`: nothing is sent; a person hands the notice over.
- :class:`vessel_risk.delivery.email.EmailTransport`: an e-mail over SMTP (subscriptions).

:func:`default_transports` gives one of each, by ``Agency.transport`` value.

References
----------
- IETF draft-ietf-httpapi-idempotency-key-header-07 (2025): ``Idempotency-Key`` is a
  Structured Field String, sent quoted.
- Primero API v2 (primeroIMS/primero, ``doc/api.md``, ``doc/api/tokens/post.md``,
  ``doc/api/cases/post.md``): see :class:`PrimeroTransport`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from vessel_risk.db.tables import as_utc
from vessel_risk.delivery.egress import guarded_client
from vessel_risk.delivery.signing import webhook_headers


@dataclass(frozen=True)
class OutboundMessage:
    """One attempt to deliver one outbox row, detached from the database.

    Built in the lease transaction so that sending needs no session.

    Attributes
    ----------
    delivery_id : str
        ``webhook-id`` and ``Idempotency-Key``.
    notice_id : str or None
        The vessel-level notice the message is about; None for a message about one
        person's case (issue 17).
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
    case_id : str or None
        The person's case a case message is about (issue 17).
    refused : str or None
        Why the message must not be sent (the person's data expired, the consent it goes
        under was withdrawn); the worker makes the row dead without sending.
    """

    delivery_id: str
    notice_id: str | None
    event_type: str
    payload: dict[str, Any]
    created_at: datetime
    attempt: int
    agency_id: str
    transport: str
    endpoint_url: str | None
    secrets: tuple[Any, ...] = ()
    case_id: str | None = None
    refused: str | None = None


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
        Injected for tests; by default one
        :func:`~vessel_risk.delivery.egress.guarded_client` with ``timeout_s`` is made
        and kept (public addresses only, checked at connect time; no redirects).
    timeout_s : float, default 10
        Connect, read and write timeout of one attempt, in seconds.
    allow_local : bool, default False
        The operator's allowance for loopback and private targets (the default client
        only).
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        timeout_s: float = 10.0,
        allow_local: bool = False,
    ) -> None:
        self.client = client
        self.timeout_s = timeout_s
        self.allow_local = allow_local

    def _client(self) -> httpx.Client:
        if self.client is None:
            self.client = guarded_client(timeout_s=self.timeout_s, allow_local=self.allow_local)
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


PRIMERO_PERSON_FIELDS = {
    "age": "age",
    "age_uncertain": "estimated",
    "gender": "vessel_risk_gender_as_stated",
    "age_band": "vessel_risk_age_band",
    "interpreter_language": "vessel_risk_interpreter_language",
    "indicators": "vessel_risk_ilo_indicators",
}
"""Intake field -> Primero case field. ``age`` and ``estimated`` are Primero's own
(child-protection module); ``nationality`` and ``language`` (lists) and
``services_section`` (a subform, one ``service_type`` per need) are filled from
``nationality_iso3``, ``language`` and ``needs``; the rest, prefixed ``vessel_risk_``, are
for the agency's Primero administrator to place on a form. Gender is kept as the person
stated it, never mapped onto Primero's ``sex``."""


def primero_person_case(
    message: OutboundMessage, *, module_id: str | None = None
) -> dict[str, Any]:
    """One person's case as a Primero case record: one case per person (issue 17).

    ``id`` is the delivery id (idempotent create, as in :func:`primero_case`). Carries
    only the fields in ``payload["person"]`` (those the person consented to share with
    this recipient, read from the intake when sent), the services needed, the
    non-punishment statement and the case's non-personal facts (presumed victim, child,
    reflection period end).
    """
    p = message.payload
    person = p.get("person") or {}
    created = as_utc(message.created_at)
    assert created is not None
    case: dict[str, Any] = {
        "id": message.delivery_id,
        "registration_date": created.date().isoformat(),
        "vessel_risk_case_id": message.case_id,
        "vessel_risk_event_type": message.event_type,
        "vessel_risk_presumed_victim": p.get("presumed_victim"),
        "vessel_risk_child": p.get("child"),
        "vessel_risk_reflection_ends_at": p.get("reflection_ends_at"),
        "vessel_risk_rule": p.get("rule"),
        "vessel_risk_consent_use": p.get("consent_use"),
        "vessel_risk_non_punishment": p.get("presumed_victim_statement"),
        "vessel_risk_data_use": p.get("data_use"),
    }
    for key, field in PRIMERO_PERSON_FIELDS.items():
        if key in person:
            case[field] = person[key]
    if person.get("nationality_iso3"):
        case["nationality"] = [person["nationality_iso3"]]
    if person.get("language"):
        case["language"] = [person["language"]]
    if person.get("needs"):
        case["services_section"] = [{"service_type": need} for need in person["needs"]]
    if module_id:
        case["module_id"] = module_id
    return {k: v for k, v in case.items() if v is not None}


def primero_case(message: OutboundMessage, *, module_id: str | None = None) -> dict[str, Any]:
    """The notice as a Primero case record (the ``data`` of ``POST /api/v2/cases``).

    A message about one person's case (``case_id`` set) is
    :func:`primero_person_case`'s record instead.

    ``id`` is the delivery id, a client-made UUID: Primero answers 204 when it creates
    the case and 409 when a case with that id exists, which makes the POST idempotent.
    The notice holds no crew personal data, so neither does the case; its fields are
    the vessel's, prefixed ``vessel_risk_``/``vessel_`` for the agency's Primero
    administrator to place on a form, plus the whole notice as JSON.
    """
    if message.case_id is not None:
        return primero_person_case(message, module_id=module_id)
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
      re-sent notice never makes a second case. A person's case is one case per person
      (:func:`primero_person_case`);
    - ``PATCH /api/v2/cases/:id`` with ``{"data": {...}}`` merges fields into a case
      (``doc/api/cases/id/patch.md``, 200): a ``case.consent_revoked`` message PATCHes
      the case its revoked delivery created (``revoked_delivery_id``) with
      ``vessel_risk_consent_revoked`` and the instruction to mark the copy revoked.
      Referrals to users
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
    allow_local : bool, default False
        The operator's allowance for a Primero on this machine or a private network
        (the default client only: see :mod:`vessel_risk.delivery.egress`).
    """

    TOKEN_LIFETIME_S = 55 * 60

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        timeout_s: float = 10.0,
        module_id: str | None = None,
        allow_local: bool = False,
    ) -> None:
        self.client = client
        self.timeout_s = timeout_s
        self.module_id = module_id
        self.allow_local = allow_local
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def _client(self) -> httpx.Client:
        if self.client is None:
            self.client = guarded_client(timeout_s=self.timeout_s, allow_local=self.allow_local)
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
        method, url = "POST", f"{base}/api/v2/cases"
        body: dict[str, Any] = {"data": primero_case(message, module_id=self.module_id)}
        revoked = message.payload.get("revoked_delivery_id")
        if message.event_type == "case.consent_revoked" and revoked:
            method, url = "PATCH", f"{base}/api/v2/cases/{revoked}"
            body = {
                "data": {
                    "vessel_risk_consent_revoked": True,
                    "vessel_risk_consent_revoked_use": message.payload.get("consent_use"),
                    "vessel_risk_consent_revoked_at": message.payload.get("revoked_at"),
                    "vessel_risk_instruction": message.payload.get("instruction"),
                }
            }
        for renew in (False, True):
            token = self._token(message, base, renew=renew)
            if isinstance(token, SendResult):
                return token
            headers = {
                "authorization": f"Bearer {token}",
                "idempotency-key": idempotency_key(message.delivery_id),
            }
            try:
                r = self._client().request(
                    method, url, json=body, headers=headers, timeout=self.timeout_s
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
    :func:`~vessel_risk.delivery.outbox.mark_handed_over`, which marks it delivered.
    """

    def send(self, message: OutboundMessage) -> SendResult:
        """Return a manual result without sending anything."""
        return SendResult(manual=True)


def default_transports(
    *, timeout_s: float = 10.0, smtp: Any = None, allow_local: bool = False
) -> dict[str, Transport]:
    """One transport per ``Agency.transport`` value (webhook, primero, manual) and per
    subscription channel (webhook, email).

    Parameters
    ----------
    timeout_s : float, default 10
        HTTP and SMTP timeout of one attempt, in seconds.
    smtp : vessel_risk.delivery.email.SmtpSettings, optional
        Default: the ``VESSEL_RISK_SMTP_*`` settings.
    allow_local : bool, default False
        Let HTTP transports reach loopback and private addresses (the operator's
        ``vessel-risk deliver --allow-local``); by default every connection goes to a
        public address only, vetted when it is made (:mod:`vessel_risk.delivery.egress`).
    """
    from vessel_risk.delivery.email import EmailTransport, SmtpSettings
    from vessel_risk.settings import Settings

    client = guarded_client(timeout_s=timeout_s, allow_local=allow_local)
    return {
        "webhook": WebhookTransport(client, timeout_s=timeout_s),
        "primero": PrimeroTransport(client, timeout_s=timeout_s),
        "manual": ManualTransport(),
        "email": EmailTransport(
            smtp or SmtpSettings.from_settings(Settings(), timeout_s=timeout_s)
        ),
    }


def close_transports(transports: Mapping[str, Transport]) -> None:
    """Close the HTTP clients of ``transports`` (those :func:`default_transports` made)."""
    for t in transports.values():
        client = getattr(t, "client", None)
        if isinstance(client, httpx.Client):
            client.close()
