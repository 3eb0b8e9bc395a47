"""Request limits: rate limits shared by every worker process, and a cap on body size.

Rate limits
-----------
:class:`RateLimiter` keeps one token bucket per key (``client:<id>`` for API clients,
``login:<address>`` for failed dashboard logins) in the ``rate_buckets`` table, so every
worker process of the server (and every server on the same database) draws from the
same bucket. One atomic ``UPDATE ... RETURNING`` refills and takes a token, so two
processes cannot both spend the last one. A bucket holds ``rate`` tokens and refills
at ``rate`` a minute; time is the wall clock (seconds since the UNIX epoch), the only
clock processes share.

Body size
---------
:class:`BodyLimit` is ASGI middleware outside the app: a request whose
``Content-Length`` exceeds the limit is answered 413 before any route, authentication
or parsing runs; a body without a length (chunked) is counted as it streams and cut off
at the limit with the same 413. Only a body within the limit reaches the app.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from sqlalchemy import case, insert, literal, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vessel_risk.db.tables import RateBucket

DEFAULT_MAX_BODY_BYTES = 1_048_576
"""1 MiB: a notice, status or score request is a few kilobytes."""


class RateLimiter:
    """Token buckets in the database, shared across processes.

    Parameters
    ----------
    engine : Engine
        The app's database (the ``rate_buckets`` table, migration 0005).
    clock : callable, optional
        Wall-clock seconds since the UNIX epoch (tests pass a fake clock).
    """

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def take(self, key: str, rate_per_minute: int, *, cost: int = 1) -> float:
        """Take ``cost`` tokens (0 only looks); return 0 if granted, else the wait in seconds.

        Parameters
        ----------
        key : str
            The bucket, e.g. ``client:cl-analyst``.
        rate_per_minute : int
            Capacity and refill rate (tokens a minute), at least 1.
        cost : int, default 1
            Tokens taken when at least one is there; 0 checks without taking.

        Returns
        -------
        float
            0.0 when the request may go ahead (a token was there), otherwise the
            seconds until one is.
        """
        now = float(self.clock())
        cap = float(rate_per_minute)
        per_s = cap / 60.0
        b = RateBucket.__table__.c
        grown = b.tokens + (literal(now) - b.at) * per_s
        refilled = case((grown > cap, literal(cap)), else_=grown)
        stmt = (
            update(RateBucket)
            .where(b.key == key)
            .values(
                tokens=case((refilled >= 1.0, refilled - cost), else_=refilled),
                granted=refilled >= 1.0,
                at=now,
            )
            .returning(b.tokens, b.granted)
        )
        with self.engine.begin() as conn:
            row = conn.execute(stmt).first()
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(RateBucket).values(
                                key=key, tokens=cap - cost, at=now, granted=True
                            )
                        )
                    return 0.0
                except IntegrityError:  # another process made it first
                    row = conn.execute(stmt).first()
            assert row is not None
        tokens, granted = float(row[0]), bool(row[1])
        return 0.0 if granted else max(0.0, (1.0 - tokens) / per_s)

    def give_back(self, key: str, rate_per_minute: int) -> None:
        """Return one token taken by :meth:`take` (capped at the bucket's capacity): a
        login counts as a failure until its key is checked, and a good key gives it back."""
        b = RateBucket.__table__.c
        grown = b.tokens + 1.0
        stmt = (
            update(RateBucket)
            .where(b.key == key)
            .values(tokens=case((grown > rate_per_minute, float(rate_per_minute)), else_=grown))
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)


async def _problem(send: Send, status: int, detail: str) -> None:
    body = json.dumps(
        {"type": "about:blank", "title": "Content Too Large", "status": status, "detail": detail}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware answering 413 to a request body over ``max_bytes``.

    Parameters
    ----------
    app : ASGI app
    max_bytes : int
        The largest body accepted, in bytes.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"The request body is over the limit of {self.max_bytes} bytes."
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    await _problem(send, 400, "Content-Length is not a number.")
                    return
                if length > self.max_bytes:
                    await _problem(send, 413, detail)
                    return
        # Read the body here, up to the limit, and replay it to the app: nothing past
        # max_bytes is ever held, and the app (authentication included) runs only on a
        # body within the limit.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: no one to answer
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await _problem(send, 413, detail)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
