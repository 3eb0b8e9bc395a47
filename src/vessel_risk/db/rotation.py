"""Re-encryption of every encrypted column: after a key is set, added or rotated.

:class:`~vessel_risk.db.crypto.EncryptedJSON` writes new values under the first key of
``VESSEL_RISK_SECRET_KEY`` and reads old ones under any key, but it never touches a row
it is not asked to write. Rows written before a key was set stay plain JSON, and rows
written under a key being rotated out stay under it. :func:`reencrypt` rewrites them
all: plain values are encrypted, tokens are re-encrypted under the first key
(``MultiFernet.rotate``), so the old key can then be removed. ``vessel-risk reencrypt``
runs it.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import JSON, Table, select, type_coerce, update
from sqlalchemy.orm import Session

from vessel_risk.db.base import Base
from vessel_risk.db.crypto import MARKER, DecryptionError, EncryptedJSON, _keys, encrypt_value

BATCH_ROWS = 500
"""Rows read and rewritten per round trip."""


def encrypted_columns() -> list[tuple[Table, str]]:
    """Every ``(table, column name)`` of the schema stored as
    :class:`~vessel_risk.db.crypto.EncryptedJSON`, in table order."""
    from vessel_risk.db import tables  # noqa: F401  (every table registered on Base)

    return [
        (table, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedJSON)
    ]


def _rewrapped(stored: Any) -> Any | None:
    """``stored`` under the first key, or None when it already is."""
    keys = _keys()
    assert keys is not None
    if stored is None:
        return None
    if isinstance(stored, dict) and set(stored) == {MARKER}:
        token = str(stored[MARKER]).encode("ascii")
        try:
            rotated = keys.rotate(token).decode("ascii")
        except InvalidToken as exc:
            raise DecryptionError(
                "A stored value opens with no key in VESSEL_RISK_SECRET_KEY: add the key it "
                "was written under (after the new one) and run again."
            ) from exc
        return {MARKER: rotated}
    return encrypt_value(stored)


def reencrypt(session: Session, *, actor: str) -> dict[str, int]:
    """Encrypt every plain value and re-encrypt every token under the first key.

    Parameters
    ----------
    session : Session
        Open on the database; the caller commits (one transaction: all or nothing).
    actor : str
        Written to the audit log (``secrets.reencrypted``, with the counts, no values).

    Returns
    -------
    dict of str to int
        Rows rewritten per ``"table.column"``, every encrypted column named.

    Raises
    ------
    RuntimeError
        If ``VESSEL_RISK_SECRET_KEY`` is not set (nothing to encrypt with).
    DecryptionError
        If a stored token opens with none of the configured keys.
    """
    from vessel_risk.db.tables import audit

    if _keys() is None:
        raise RuntimeError("Set VESSEL_RISK_SECRET_KEY first: there is no key to encrypt with.")
    counts: dict[str, int] = {}
    for table, name in encrypted_columns():
        raw = type_coerce(table.c[name], JSON)  # the stored value, not the decrypted one
        (key,) = table.primary_key.columns  # every encrypted table has a one-column key
        done = 0
        last: Any = None
        while True:
            query = select(key, raw.label("stored")).order_by(key).limit(BATCH_ROWS)
            rows = session.execute(query if last is None else query.where(key > last)).all()
            if not rows:
                break
            for row_key, stored in rows:
                value = _rewrapped(stored)
                if value is not None:
                    values = {name: type_coerce(value, JSON)}
                    session.execute(update(table).where(key == row_key).values(values))
                    done += 1
            last = rows[-1][0]
        counts[f"{table.name}.{name}"] = done
    audit(
        session,
        actor=actor,
        action="secrets.reencrypted",
        entity_type="database",
        entity_id="encrypted_columns",
        after=counts,
    )
    session.flush()
    return counts
