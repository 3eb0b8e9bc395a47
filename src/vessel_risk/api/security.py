"""Security headers on every response of the app, and the per-response CSP nonce.

:class:`SecurityHeaders` wraps the whole ASGI app (outside Starlette's error handler,
so a 500 carries the headers too) and sets, on every HTTP response:

- ``Content-Security-Policy``: scripts and styles from the app itself only; an inline
  ``<style>`` runs only with this response's nonce (the printable briefs use it; the
  dashboard has no inline script or style); no plugins, no ``<base>``, forms post to the
  app only, no framing. Leaflet needs no ``data:`` image, blob worker or inline script
  here (no tile layer), so none is allowed.
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (no URL leaves
  for another site; ``no-referrer`` would make the browser send ``Origin: null`` on the
  dashboard's own form posts, and the origin check of :mod:`vessel_risk.api.sessions`
  needs the real origin),
  ``X-Frame-Options: DENY``, ``Cross-Origin-Opener-Policy: same-origin``;
- ``Strict-Transport-Security`` only when the request came over https (behind a proxy,
  run uvicorn with ``--proxy-headers`` so the scheme is the client's).

A header a route set itself is replaced: there is one policy. Sources: OWASP Secure
Headers Project and the CSP Level 3 recommendation (W3C).
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NONCE_KEY = "csp_nonce"
"""Key of the nonce in ``request.state``."""

HSTS = "max-age=63072000; includeSubDomains"
"""Two years, as the HSTS preload list asks."""


def content_security_policy(nonce: str) -> str:
    """The ``Content-Security-Policy`` of a response whose inline styles carry ``nonce``."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def security_headers(nonce: str, *, https: bool) -> dict[str, str]:
    """The headers :class:`SecurityHeaders` sets on a response.

    Parameters
    ----------
    nonce : str
        This response's CSP nonce.
    https : bool
        Whether the request came over TLS (adds ``Strict-Transport-Security``).
    """
    headers = {
        "Content-Security-Policy": content_security_policy(nonce),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def csp_nonce(request: Request) -> str | None:
    """The CSP nonce of this request's response (None outside :class:`SecurityHeaders`)."""
    return getattr(request.state, NONCE_KEY, None)


class SecurityHeaders:
    """ASGI middleware: :func:`security_headers` on every HTTP response.

    Parameters
    ----------
    app : ASGI app
        The app to wrap.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        # A new state dict: the server's may be shared between requests.
        scope = {**scope, "state": {**scope.get("state", {}), NONCE_KEY: nonce}}
        headers = security_headers(nonce, https=scope.get("scheme") == "https")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in headers.items():
                    response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
