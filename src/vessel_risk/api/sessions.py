"""Dashboard sessions: a random token in the cookie, its digest and CSRF token in the database.

Signing in with an API key starts a session (:func:`start`): a fresh 256-bit token goes
into an HttpOnly, SameSite=Strict cookie (``Secure`` over https) and the ``ui_sessions``
table keeps only its SHA-256, the client, a CSRF token and the expiry. The key itself is
never the cookie. A login replaces the session the browser had (rotation: a token
planted before login is worth nothing after it); a session ends at logout or after
``ui_session_ttl_s`` seconds (default 8 hours, a working shift). Every form post carries
the session's CSRF token and, when the browser sends ``Origin``, it must be this site
(OWASP CSRF Prevention Cheat Sheet: synchronizer token plus origin check). Logins,
logouts and refusals are audited.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from sqlalchemy import CursorResult, delete
from sqlalchemy.orm import Session

from vessel_risk.api.access import Principal, principal
from vessel_risk.db.tables import ApiClient, UiSession, as_utc, audit, utcnow

COOKIE_NAME = "vessel_risk_session"
"""The dashboard's session cookie (a random token, never an API key)."""

DEFAULT_TTL_S = 8 * 3600
"""A session lasts one working shift unless ``ui_session_ttl_s`` says otherwise."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def lookup(session: Session, token: str | None) -> tuple[Principal, UiSession] | None:
    """The client and session of a cookie's ``token``, if live and its client active."""
    if not token or len(token) > 128:
        return None
    row = session.get(UiSession, _digest(token))
    if row is None:
        return None
    expires = as_utc(row.expires_at)
    if expires is None or expires <= utcnow():
        return None
    client = session.get(ApiClient, row.client_id)
    if client is None or not client.active:
        return None
    return principal(client), row


def start(
    session: Session,
    who: Principal,
    *,
    address: str | None,
    previous: str | None,
    ttl_s: float = DEFAULT_TTL_S,
) -> str:
    """Start a session for ``who`` and return its token (the cookie's value).

    Parameters
    ----------
    session : Session
        Committed by the caller.
    who : Principal
    address : str or None
        The client address, recorded and audited.
    previous : str or None
        The session token the browser sent, if any: that session ends (rotation).
    ttl_s : float, default :data:`DEFAULT_TTL_S`
        Seconds until the session expires.
    """
    if previous:
        end(session, previous, actor=who.actor, reason="rotated at login")
    purge_expired(session)  # expired rows go at the next login, whoever's
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UiSession(
            token_sha256=_digest(token),
            client_id=who.client_id,
            csrf_token=secrets.token_urlsafe(32),
            address=(address or "")[:64] or None,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
        )
    )
    audit(
        session,
        actor=who.actor,
        action="ui.login",
        entity_type="ui_session",
        entity_id=_digest(token)[:16],
        after={"address": address, "expires_in_s": ttl_s},
    )
    return token


def end(session: Session, token: str, *, actor: str, reason: str) -> bool:
    """End the session of ``token`` (audited); return whether there was one."""
    digest = _digest(token)
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(UiSession).where(UiSession.token_sha256 == digest)
    )
    gone = result.rowcount
    if gone:
        audit(
            session,
            actor=actor,
            action="ui.logout",
            entity_type="ui_session",
            entity_id=digest[:16],
            reason=reason,
        )
    return bool(gone)


def purge_expired(session: Session) -> int:
    """Delete expired sessions; return how many."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(UiSession).where(UiSession.expires_at <= utcnow())
    )
    return int(result.rowcount or 0)


def check_origin(request: Request) -> None:
    """Refuse (403) a form post whose ``Origin`` (or, without it, ``Referer``) is another site.

    A post with neither header passes: the CSRF token still has to match.
    """
    origin = request.headers.get("origin")
    if origin == "null":
        raise HTTPException(403, "Form posts from an opaque origin are refused.")
    sent = origin or request.headers.get("referer")
    if not sent:
        return
    if urlsplit(sent).netloc != request.headers.get("host", ""):
        raise HTTPException(403, "Form posts from another site are refused.")
