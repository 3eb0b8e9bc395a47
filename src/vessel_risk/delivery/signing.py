"""Standard Webhooks signatures: secrets, and signing and verifying requests.

Every notice a webhook agency receives, and every status callback it sends back, is
signed as the Standard Webhooks specification v1.0.0 says (standardwebhooks.com;
repository standard-webhooks/standard-webhooks, ``spec/standard-webhooks.md``):

- headers ``webhook-id`` (here the delivery id), ``webhook-timestamp`` (seconds since
  the UNIX epoch) and ``webhook-signature`` (:func:`webhook_headers`);
- a ``v1`` signature is the base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}``, keyed with
  the base64-decoded part of a ``whsec_`` secret (:func:`generate_secret`, :func:`sign`);
- during key rotation an agency has several secrets, and ``webhook-signature`` carries
  one signature per secret, space-separated;
- receivers reject timestamps more than 5 minutes away (:data:`DEFAULT_TOLERANCE_S`,
  :func:`verify`).

Functions of their arguments only (the clock is read when ``now`` is not given): no
database, no HTTP.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import os
from collections.abc import Mapping, Sequence
from datetime import datetime

from vessel_risk.db.tables import as_utc, utcnow

SECRET_PREFIX = "whsec_"
"""The prefix of a Standard Webhooks signing secret: ``whsec_<base64 key>``."""

DEFAULT_TOLERANCE_S = 300
"""Standard Webhooks: receivers reject timestamps more than 5 minutes away."""


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
    expected_id: str | None = None,
) -> str:
    """Verify a Standard Webhooks request; return its ``webhook-id``.

    Usable by any receiver of ours, and by the API for receivers' status callbacks
    (signed with the agency's secrets, :func:`~vessel_risk.delivery.callbacks.agency_secrets`).

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
    expected_id : str, optional
        The ``webhook-id`` the request must carry: for a status callback, the delivery
        it reports on, so that a signature made for one delivery cannot be replayed
        against another (the id is part of what is signed).

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
    if expected_id is not None and not hmac.compare_digest(
        msg_id.encode("utf-8"), expected_id.encode("utf-8")
    ):
        raise WebhookVerificationError(
            f"webhook-id {msg_id!r} is not the delivery this callback reports on."
        )
    try:
        if len(ts_text) > 12:  # beyond year 33658: no clock sends that
            raise ValueError(ts_text)
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
