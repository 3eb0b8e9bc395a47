"""``vessel-risk reencrypt``: every encrypted column under the first key of
``VESSEL_RISK_SECRET_KEY`` (after setting a key for the first time, or to retire an old
key). Rules live in :mod:`vessel_risk.db.rotation`; heavy imports stay inside."""

from __future__ import annotations

from vessel_risk.cli.deliveries import Actor, Db


def reencrypt(db: Db = None, actor: Actor = "") -> None:
    """Encrypt rows written before a key was set and move every token to the first key.

    Set VESSEL_RISK_SECRET_KEY to "NEW,OLD" (every key still in use, the new one first),
    run this, then drop OLD. One transaction: all rows or none. Audited, counts only.
    """
    from vessel_risk.cli.database import default_actor, open_session
    from vessel_risk.cli.terminal import console, fail
    from vessel_risk.db.crypto import DecryptionError
    from vessel_risk.db.rotation import reencrypt as rewrite

    try:
        with open_session(db) as s:
            counts = rewrite(s, actor=actor or default_actor())
    except (RuntimeError, DecryptionError) as exc:
        raise fail(str(exc)) from exc
    for column, n in counts.items():
        console.print(f"{column}: rows rewritten {n}", highlight=False)
