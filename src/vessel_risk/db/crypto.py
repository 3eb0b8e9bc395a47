"""Encryption at rest of agency secrets and crew personal data (Fernet, a key from settings).

:class:`EncryptedJSON` is a column type: a JSON value is written as
``{"fernet": "<token>"}``, the Fernet token (AES-128-CBC and HMAC-SHA256, from
``cryptography``) of its JSON text, under the key ``VESSEL_RISK_SECRET_KEY``
(:attr:`vessel_risk.settings.Settings.secret_key`). Several comma-separated keys rotate:
the first encrypts, every one decrypts (``MultiFernet``). Rows written before
encryption was configured read as they are; without a key, values are written as
plain JSON (:func:`encryption_configured` says which), so a deployment holding
personal data must set the key. A database dump without the key shows neither the
secrets nor the personal data.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import JSON
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from vessel_risk.settings import Settings

MARKER = "fernet"
"""The key of the JSON object holding a Fernet token."""


class DecryptionError(RuntimeError):
    """Raised when an encrypted value cannot be read with the configured keys."""


def _keys() -> MultiFernet | None:
    secret = Settings().secret_key
    if secret is None or not secret.get_secret_value().strip():
        return None
    keys = [k.strip() for k in secret.get_secret_value().split(",") if k.strip()]
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ValueError(
            "VESSEL_RISK_SECRET_KEY must be Fernet keys (32 url-safe base64 bytes each, "
            "from cryptography.fernet.Fernet.generate_key()), comma-separated."
        ) from exc


def encryption_configured() -> bool:
    """Whether ``VESSEL_RISK_SECRET_KEY`` is set (values are written encrypted)."""
    return _keys() is not None


PLAINTEXT_WARNING = (
    "VESSEL_RISK_SECRET_KEY is not set: agency secrets and crew personal data are stored "
    "in the database as plain text, readable by anyone with a copy of it. Set it to a "
    "Fernet key (python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())') before holding real data."
)
"""What an entrypoint that writes agency secrets or personal data says when
:func:`encryption_configured` is false (``vessel-risk serve``, the API's startup)."""


def encrypt_value(value: Any) -> Any:
    """``value`` as stored: ``{"fernet": token}``, or ``value`` itself without a key."""
    keys = _keys()
    if keys is None or value is None:
        return value
    token = keys.encrypt(json.dumps(value, sort_keys=True).encode("utf-8"))
    return {MARKER: token.decode("ascii")}


def decrypt_value(stored: Any) -> Any:
    """The value of a stored one (a plain value passes through).

    Raises
    ------
    DecryptionError
        If it is encrypted and no configured key opens it.
    """
    if not (isinstance(stored, dict) and set(stored) == {MARKER}):
        return stored
    keys = _keys()
    if keys is None:
        raise DecryptionError("The value is encrypted: set VESSEL_RISK_SECRET_KEY to read it.")
    try:
        return json.loads(keys.decrypt(str(stored[MARKER]).encode("ascii")))
    except InvalidToken as exc:
        raise DecryptionError(
            "No key in VESSEL_RISK_SECRET_KEY opens this value (a rotated-out key?)."
        ) from exc


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON column whose values are Fernet-encrypted with the settings' key."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return encrypt_value(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return decrypt_value(value)
