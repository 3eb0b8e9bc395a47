"""Signing and checking exports of the regional exchange (Ed25519, ``cryptography``).

Each state holds one signing key (a private key in a PEM file, PKCS #8, readable by its
exporters only: :func:`generate_key`) and gives its public key to the other states. A
state that imports keeps a **trusted-keys file** (TOML) naming, for each state, the
public keys it accepts exports from::

    # trusted_keys.toml
    [states]
    THA = ["kq3...base64 of the 32-byte raw public key...="]
    IDN = ["..."]

:func:`sign` adds the ``signature`` member to an export: Ed25519 over
:func:`vessel_risk.referral.exchange.canonical` of the content. :func:`verify` refuses an
export whose state has no trusted key (:class:`UnknownSigner`), or whose signature does
not verify against that state's keys: a changed cell, a missing row, a signature by
another state's key (:class:`~vessel_risk.referral.exchange.SignatureError`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from vessel_risk.referral.exchange import (
    ExchangeDocument,
    ExchangeError,
    SignatureError,
    canonical,
    check,
    signature_block,
)


class UnknownSigner(SignatureError):
    """An export from a state (or with a key) the trusted-keys file does not hold."""


def public_key_text(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The base64 of the raw 32-byte public key: the line to give other states."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    return hashlib.sha256(base64.b64decode(public_key_text(key))).hexdigest()[:16]


def generate_key(state: str, folder: Path) -> tuple[Path, Path]:
    """Make a state's signing key and write it with its public key.

    Parameters
    ----------
    state : str
        ISO 3166-1 alpha-3 of the state; names the files.
    folder : Path
        Created if absent.

    Returns
    -------
    (Path, Path)
        ``<STATE>.exchange.key`` (PEM, PKCS #8, mode 0600) and ``<STATE>.exchange.pub``
        (one line: base64 of the raw public key).

    Raises
    ------
    ExchangeError
        When the state is not three letters, or a key file of that state exists (a key
        is never overwritten: other states trust it).
    """
    state = state.upper()
    if len(state) != 3 or not state.isalpha():
        raise ExchangeError(f"The state must be an ISO 3166-1 alpha-3 code. Got {state!r}.")
    folder.mkdir(parents=True, exist_ok=True)
    private_path = folder / f"{state}.exchange.key"
    public_path = folder / f"{state}.exchange.pub"
    if private_path.exists() or public_path.exists():
        raise ExchangeError(f"{private_path} exists: a signing key is never overwritten.")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public_path.write_text(public_key_text(key) + "\n", "ascii")
    return private_path, public_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read a signing key written by :func:`generate_key`.

    Raises
    ------
    ExchangeError
        When the file is missing or holds no Ed25519 private key.
    """
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ExchangeError(f"Cannot read the signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ExchangeError(f"{path} holds no Ed25519 private key.")
    return key


def _public(text: str, where: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error) as exc:
        raise ExchangeError(f"{where}: {text!r} is not a base64 Ed25519 public key.") from exc


@dataclass(frozen=True)
class TrustedKeys:
    """The public keys this database accepts exports from, by state (ISO3)."""

    states: Mapping[str, tuple[Ed25519PublicKey, ...]]

    @classmethod
    def from_mapping(cls, states: Mapping[str, Any], where: str = "trusted keys") -> TrustedKeys:
        """Keys from ``{"THA": ["base64", ...], ...}``.

        Raises
        ------
        ExchangeError
            For a state that is not three letters or a key that is not one.
        """
        out: dict[str, tuple[Ed25519PublicKey, ...]] = {}
        for state, keys in states.items():
            iso3 = str(state).upper()
            if len(iso3) != 3 or not iso3.isalpha():
                raise ExchangeError(f"{where}: {state!r} is not an ISO3 state code.")
            items = [keys] if isinstance(keys, str) else list(keys)
            out[iso3] = tuple(_public(str(k).strip(), f"{where} [{iso3}]") for k in items)
        return cls(out)

    @classmethod
    def load(cls, path: Path) -> TrustedKeys:
        """Read a trusted-keys TOML file (a ``[states]`` table of ISO3 = [keys]).

        Raises
        ------
        ExchangeError
            When the file is missing, is not TOML or holds a bad entry.
        """
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ExchangeError(f"Cannot read the trusted keys {path}: {exc}") from exc
        states = data.get("states")
        if not isinstance(states, dict):
            raise ExchangeError(f'{path} needs a [states] table: THA = ["<public key>"].')
        return cls.from_mapping(states, str(path))


def sign(doc: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``doc`` with its ``signature``: Ed25519 over its canonical form.

    Raises
    ------
    ExchangeError
        When ``doc`` does not fit the format (nothing invalid is signed).
    """
    check(doc)
    content = {k: v for k, v in doc.items() if k != "signature"}
    content["signature"] = signature_block(key_id(key), key.sign(canonical(content)))
    return content


def verify(doc: Mapping[str, Any], trusted: TrustedKeys) -> ExchangeDocument:
    """Check an export's signature against the exporting state's trusted keys.

    Parameters
    ----------
    doc : mapping
        The JSON form as read (:func:`vessel_risk.referral.exchange.read_export`).
    trusted : TrustedKeys

    Returns
    -------
    ExchangeDocument
        The checked document.

    Raises
    ------
    ExchangeError
        When ``doc`` does not fit the format.
    UnknownSigner
        When its state has no trusted key, or its key id is none of that state's.
    SignatureError
        When it is unsigned, or the signature does not cover this content (tampered).
    """
    parsed = check(doc)
    if parsed.signature is None:
        raise SignatureError(f"The export of {parsed.state} is not signed; it is refused.")
    keys = trusted.states.get(parsed.state, ())
    if not keys:
        raise UnknownSigner(
            f"No trusted key for {parsed.state}: add its public key to the trusted keys "
            "before importing its exports."
        )
    match = [k for k in keys if key_id(k) == parsed.signature.key_id]
    if not match:
        raise UnknownSigner(
            f"The export claims {parsed.state} but is signed with key "
            f"{parsed.signature.key_id}, which is not one of {parsed.state}'s trusted keys."
        )
    try:
        signature = base64.b64decode(parsed.signature.value, validate=True)
        match[0].verify(signature, canonical(doc))
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise SignatureError(
            f"The signature of {parsed.state}'s export does not verify: the content was "
            "changed after signing (or the signature is damaged). It is refused."
        ) from exc
    return parsed
