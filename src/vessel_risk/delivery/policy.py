"""The worker's policy: what a send result means, and whether and when to try again.

Functions of plain values (a :class:`~vessel_risk.delivery.transports.SendResult`, an
attempt number, a :class:`RetryPolicy`); the worker (:mod:`vessel_risk.delivery.worker`)
applies their answers to the database.

Response rules (:func:`classify`)
---------------------------------
- 2xx: delivered.
- 409 Conflict: delivered. A receiver that already holds the idempotency key answers
  409 (Primero does for a case whose client-made ``id`` exists; the IETF
  Idempotency-Key draft uses it for a request with that key still in progress).
- 408, 429, 5xx, 1xx/3xx (redirects are never followed: a signed notice goes only to
  the configured URL), a timeout or a network error: retried. ``Retry-After`` (seconds)
  is honoured up to ``max_delay_s``.
- Any other 4xx (400, 401, 403, 404, 410, 413, 422, ...): dead at once: sending the same
  request again cannot succeed. So is an agency whose configuration cannot work (no
  URL, no secret, an unknown transport).

Retries (:func:`judge`, :func:`backoff_s`)
------------------------------------------
A retryable failure waits an exponential backoff with full jitter, raised to the
receiver's ``Retry-After``; at ``max_attempts`` it becomes a dead letter instead. A row
leased more than ``max_attempts`` times (a worker died during its last attempt) is not
sent again (:func:`refusal`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from vessel_risk.delivery.transports import OutboundMessage, SendResult

Outcome = Literal["delivered", "retry", "dead", "manual"]


def classify(result: SendResult) -> Outcome:
    """Delivered, retry, dead or manual, by the rules in the module docstring."""
    if result.manual:
        return "manual"
    if result.permanent:
        return "dead"
    status = result.http_status
    if status is None:
        return "retry"
    if 200 <= status < 300 or status == 409:
        return "delivered"
    if status in (408, 429) or status >= 500:
        return "retry"
    if 400 <= status < 500:
        return "dead"
    return "retry"


def backoff_s(
    attempt: int,
    *,
    base_delay_s: float,
    max_delay_s: float,
    rng: random.Random | None = None,
    retry_after_s: float | None = None,
) -> float:
    """Delay before the next attempt: exponential backoff with full jitter, in seconds.

    ``uniform(0, min(max_delay_s, base_delay_s * 2**(attempt - 1)))`` (AWS
    Architecture Blog, "Exponential Backoff and Jitter", 2015), raised to the
    receiver's ``Retry-After`` when it gave one, never above ``max_delay_s``.
    """
    cap = min(max_delay_s, base_delay_s * 2.0 ** max(attempt - 1, 0))
    delay = (rng or random).uniform(0.0, cap)
    if retry_after_s is not None:
        delay = max(delay, retry_after_s)
    return min(delay, max_delay_s)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently the worker tries; see :func:`~.worker.deliver_due`.

    Attributes
    ----------
    max_attempts : int
        Attempts (leases) before a retryable failure becomes a dead letter.
    base_delay_s, max_delay_s : float
        Backoff bounds, in seconds (:func:`backoff_s`).
    rng : random.Random
        Jitter source; one draw per retry.
    """

    max_attempts: int
    base_delay_s: float
    max_delay_s: float
    rng: random.Random


@dataclass(frozen=True)
class Verdict:
    """What becomes of an outbox row after one attempt.

    Attributes
    ----------
    outcome : {"delivered", "retry", "dead", "manual"}
        :func:`classify`'s answer, except that a retry at ``max_attempts`` is dead.
    error : str or None
        The row's new ``last_error`` (and a dead letter's audit reason); None when
        delivered.
    delay_s : float or None
        Wait before the next attempt, in seconds; set for ``retry`` only.
    """

    outcome: Outcome
    error: str | None = None
    delay_s: float | None = None


def judge(result: SendResult, attempt: int, policy: RetryPolicy) -> Verdict:
    """The consequence of attempt number ``attempt`` having got ``result``.

    Parameters
    ----------
    result : SendResult
        What the transport got back.
    attempt : int
        1 for the first attempt (the row's ``attempts`` after its lease).
    policy : RetryPolicy
        Its ``rng`` is drawn once when the verdict is ``retry``, never otherwise.

    Returns
    -------
    Verdict
        ``dead`` with "gave up after n attempts; last: ..." for a retryable failure at
        ``policy.max_attempts`` or beyond; ``retry`` with :func:`backoff_s`'s delay
        (honouring ``result.retry_after_s``) below it; else :func:`classify`'s outcome
        with the result's error.
    """
    outcome = classify(result)
    if outcome == "delivered":
        return Verdict("delivered")
    if outcome != "retry":
        return Verdict(outcome, result.error)
    if attempt >= policy.max_attempts:
        return Verdict("dead", f"gave up after {attempt} attempts; last: {result.error}")
    delay = backoff_s(
        attempt,
        base_delay_s=policy.base_delay_s,
        max_delay_s=policy.max_delay_s,
        rng=policy.rng,
        retry_after_s=result.retry_after_s,
    )
    return Verdict("retry", result.error, delay)


def refusal(
    message: OutboundMessage, *, transports: frozenset[str], max_attempts: int
) -> SendResult | None:
    """Why a leased message must not be sent, as a permanent result; None to send it.

    Parameters
    ----------
    message : OutboundMessage
    transports : frozenset of str
        The ``Agency.transport`` values the worker can send through.
    max_attempts : int

    Returns
    -------
    SendResult or None
        Permanent (dead at once, saying why) when the lease is past ``max_attempts``
        (a worker stopped during the last attempt, which its lease counted), the
        message carries a refusal (``OutboundMessage.refused``: personal data expired,
        consent withdrawn) or the
        agency names a transport not in ``transports``; else None.
    """
    if message.refused:
        return SendResult(error=message.refused, permanent=True)
    if message.attempt > max_attempts:
        return SendResult(
            error=f"attempt limit {max_attempts} reached: a worker stopped during the last attempt",
            permanent=True,
        )
    if message.transport not in transports:
        return SendResult(
            error=f"unknown transport {message.transport!r} for agency {message.agency_id!r}",
            permanent=True,
        )
    return None
