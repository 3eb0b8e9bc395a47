"""The delivery worker: lease due outbox rows, send them, record what happened.

:func:`deliver_due` is one pass: it leases due rows in a short transaction
(:func:`_lease`), sends them outside any transaction through the agency's transport
(:mod:`vessel_risk.delivery.transports`), and records each attempt and its consequence
in another short transaction (:func:`_record`): the row is delivered, retried later or
dead-lettered, as the policy (:mod:`vessel_risk.delivery.policy`) decides.
:func:`run_worker` runs passes in a loop until stopped (``vessel-risk deliver``).

Exactly once at the receiver
----------------------------
A worker can die after sending and before recording the result. Its lease then
expires, another pass leases the row again and re-sends it with the *same*
``webhook-id`` / ``Idempotency-Key``; the receiver de-duplicates on it and answers 2xx
or 409, and the row is marked delivered. Delivery is at least once on the wire and
exactly once at a receiver that de-duplicates, as Standard Webhooks requires receivers
to do. ``attempts`` counts leases, so a send lost to a crash still counts towards
``max_attempts``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Session

from vessel_risk.db.tables import (
    Agency,
    Case,
    CaseIntake,
    Delivery,
    DeliveryAttempt,
    Subscription,
    as_utc,
    audit,
    utcnow,
)
from vessel_risk.delivery.outbox import ACTOR
from vessel_risk.delivery.policy import RetryPolicy, judge, refusal
from vessel_risk.delivery.retention import intake_readable, purge_expired_personal_data
from vessel_risk.delivery.subscriptions import send_due_digests, unsubscribe_url
from vessel_risk.delivery.transports import (
    OutboundMessage,
    SendResult,
    Transport,
    close_transports,
    default_transports,
)
from vessel_risk.settings import Settings


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
        messages = []
        base_url: str | None = None
        for d, a in rows:
            payload, refused = case_payload(s, d, now) if d.case_id else (dict(d.payload), None)
            transport, endpoint, secrets = a.transport, a.endpoint_url, tuple(a.secrets or ())
            if d.subscription_id is not None:
                if base_url is None:
                    base_url = Settings().public_url
                sub = s.get(Subscription, d.subscription_id)
                transport, endpoint, secrets, refused = subscription_route(sub, payload, base_url)
            messages.append(
                OutboundMessage(
                    delivery_id=d.id,
                    notice_id=d.notice_id,
                    event_type=d.event_type,
                    payload=payload,
                    created_at=as_utc(d.created_at) or now,
                    attempt=d.attempts,
                    agency_id=a.id,
                    transport=transport,
                    endpoint_url=endpoint,
                    secrets=secrets,
                    case_id=d.case_id,
                    refused=refused,
                )
            )
    return until, messages


def subscription_route(
    sub: Subscription | None, payload: dict[str, Any], base_url: str
) -> tuple[str, str | None, tuple[Any, ...], str | None]:
    """Where a subscription's message goes: (transport, target, secrets, refusal).

    The subscription's channel and target, signed with its own webhook secrets; its
    unsubscribe link is added to ``payload`` (never stored in the outbox). A removed
    subscription's message is refused: nothing is sent after unsubscribing.
    """
    if sub is None or sub.status != "active":
        return "manual", None, (), "the subscription was removed: nothing sent"
    secrets = dict(sub.secrets or {})
    token = secrets.get("unsubscribe")
    if token:
        payload["unsubscribe_url"] = unsubscribe_url(base_url, str(token))
    return sub.channel, sub.target, tuple(secrets.get("webhook") or ()), None


def case_payload(
    session: Session, row: Delivery, now: datetime
) -> tuple[dict[str, Any], str | None]:
    """The payload of a case message as sent, and why it must not be sent (or None).

    The outbox row names the intake fields the recipient may receive
    (``payload["person_fields"]``, chosen by routing from the person's consents); their
    values are read from the encrypted intake now, into ``payload["person"]``, so
    personal data is never stored in the outbox in clear and never sent once the case is
    past its ``retain_until`` (:func:`vessel_risk.delivery.retention.intake_readable`) or
    after the consent it goes under was withdrawn (``revoked_at``).
    """
    payload = dict(row.payload)
    if row.revoked_at is not None:
        return payload, f"consent {row.consent_use!r} withdrawn: a revoked copy is never sent"
    names = payload.pop("person_fields", None)
    if names is None:
        return payload, None
    case = session.get(Case, row.case_id)
    if not intake_readable(case, now):
        return payload, "the person's data is past its retention limit: nothing sent"
    intake = session.get(CaseIntake, row.case_id)
    fields = (intake.fields if intake is not None else None) or {}
    payload["person"] = {k: fields[k] for k in names if fields.get(k) not in (None, "", [], {})}
    return payload, None


def _record(
    engine: Engine,
    message: OutboundMessage,
    result: SendResult,
    duration_ms: float,
    *,
    until: datetime,
    at: datetime,
    worker_id: str,
    policy: RetryPolicy,
) -> str:
    """Record one attempt and its consequence in one short transaction; the outcome.

    The consequence is :func:`~vessel_risk.delivery.policy.judge`'s verdict. Returns the
    :class:`DeliveryCounts` field to count: ``delivered``, ``retried``, ``dead``,
    ``manual``, or ``stale`` when the row was no longer this worker's lease.
    """
    verdict = judge(result, message.attempt, policy)
    outcome = verdict.outcome
    mine = (
        Delivery.id == message.delivery_id,
        Delivery.status == "pending",
        Delivery.lease_owner == worker_id,
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
            assert verdict.delay_s is not None
            stmt = update(Delivery).where(*mine)
            values = {
                "next_attempt_at": at + timedelta(seconds=verdict.delay_s),
                "last_error": verdict.error,
            }
        else:  # dead or manual
            stmt = update(Delivery).where(*mine)
            values = {"status": outcome, "last_error": verdict.error}
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
                reason=verdict.error if outcome == "dead" else None,
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
    policy = RetryPolicy(max_attempts, base_delay_s, max_delay_s, rng or random.Random())
    known = frozenset(table)

    def one(message: OutboundMessage) -> None:
        start = time.perf_counter()
        result = refusal(message, transports=known, max_attempts=max_attempts)
        if result is None:
            try:
                result = table[message.transport].send(message)
            except Exception as exc:  # a transport bug must not stop the batch
                result = SendResult(error=f"{type(exc).__name__}: {exc}"[:500])
        duration_ms = (time.perf_counter() - start) * 1000.0
        counts.add(
            _record(
                engine,
                message,
                result,
                duration_ms,
                until=until,
                at=clock(),
                worker_id=worker_id,
                policy=policy,
            )
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
            close_transports(table)
    return counts


@dataclass(frozen=True)
class ScheduledJob:
    """Work :func:`run_worker` does on a schedule, in its own transaction.

    Attributes
    ----------
    name : str
    every_s : float
        Seconds between runs (the first at the worker's start).
    run : callable
        Called with a session; returns counts (a dict of str to int).
    on_done : callable, optional
        Called with those counts.
    """

    name: str
    every_s: float
    run: Callable[[Session], dict[str, int]]
    on_done: Callable[[dict[str, int]], None] | None = None


def run_worker(
    engine: Engine,
    *,
    worker_id: str,
    once: bool = False,
    interval_s: float = 5.0,
    batch: int = 50,
    timeout_s: float = 10.0,
    transports: Mapping[str, Transport] | None = None,
    allow_local: bool = False,
    stop: threading.Event | None = None,
    on_pass: Callable[[DeliveryCounts, DeliveryCounts], None] | None = None,
    handle_signals: bool = True,
    purge_every_s: float | None = 600.0,
    on_purge: Callable[[dict[str, int]], None] | None = None,
    digest_every_s: float | None = 600.0,
    on_digest: Callable[[dict[str, int]], None] | None = None,
    jobs: Sequence[ScheduledJob] = (),
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
    allow_local : bool, default False
        The default transports may reach loopback and private addresses (the
        operator's ``--allow-local``; :mod:`vessel_risk.delivery.egress`).
    stop : threading.Event, optional
        Set it to stop after the pass in flight.
    on_pass : callable, optional
        Called after each pass with (that pass's counts, the running totals).
    handle_signals : bool, default True
        In the main thread, SIGTERM and SIGINT (Ctrl-C) set ``stop``: the pass in
        flight finishes (each send is bounded by the timeout) and the loop returns.
    purge_every_s : float or None, default 600
        Run :func:`vessel_risk.delivery.retention.purge_expired_personal_data` at the
        start and then every this many seconds (10 minutes by default), in its own
        transaction; None never purges (use ``vessel-risk purge`` from cron instead).
    on_purge : callable, optional
        Called with each purge's counts.
    digest_every_s : float or None, default 600
        Check every this many seconds (10 minutes by default; at the start too) for
        subscription digests that are due, and queue them
        (:func:`vessel_risk.delivery.subscriptions.send_due_digests`; each subscription
        says how often its digest goes, daily by default); None never (use
        ``vessel-risk subscriptions digest`` from cron instead).
    on_digest : callable, optional
        Called with each digest check's counts.
    jobs : sequence of ScheduledJob
        More work on a schedule, each in its own transaction (the CLI adds the arrival
        notices of :mod:`vessel_risk.referral.subscription_store`, which delivery may
        not import).
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
    table = (
        default_transports(timeout_s=timeout_s, allow_local=allow_local)
        if transports is None
        else transports
    )
    total = DeliveryCounts()
    schedule = list(jobs)
    if purge_every_s is not None:
        purge = ScheduledJob("purge", purge_every_s, purge_expired_personal_data, on_purge)
        schedule.insert(0, purge)
    if digest_every_s is not None:
        schedule.append(ScheduledJob("digests", digest_every_s, send_due_digests, on_digest))
    next_run = [time.monotonic()] * len(schedule)
    try:
        while not stop.is_set():
            for i, job in enumerate(schedule):
                if time.monotonic() >= next_run[i]:
                    with Session(engine) as s, s.begin():
                        done = job.run(s)
                    if job.on_done is not None:
                        job.on_done(done)
                    next_run[i] = time.monotonic() + job.every_s
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
            close_transports(table)
    return total
