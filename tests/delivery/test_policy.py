"""The worker's policy: response rules, backoff, verdicts after an attempt, refusals."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from vessel_risk.delivery.policy import RetryPolicy, Verdict, backoff_s, classify, judge, refusal
from vessel_risk.delivery.transports import OutboundMessage, SendResult


@pytest.mark.parametrize(
    ("result", "outcome"),
    [
        (SendResult(200), "delivered"),
        (SendResult(204), "delivered"),
        (SendResult(409), "delivered"),
        (SendResult(408), "retry"),
        (SendResult(429), "retry"),
        (SendResult(500), "retry"),
        (SendResult(503), "retry"),
        (SendResult(302), "retry"),
        (SendResult(None, "timeout"), "retry"),
        (SendResult(400), "dead"),
        (SendResult(401), "dead"),
        (SendResult(404), "dead"),
        (SendResult(410), "dead"),
        (SendResult(422), "dead"),
        (SendResult(None, "no url", permanent=True), "dead"),
        (SendResult(manual=True), "manual"),
    ],
)
def test_classify_follows_the_documented_rules(result, outcome):
    assert classify(result) == outcome


def test_backoff_is_full_jitter_under_an_exponential_cap():
    rng = random.Random(7)
    draws = [backoff_s(4, base_delay_s=2.0, max_delay_s=60.0, rng=rng) for _ in range(2000)]
    assert 0.0 <= min(draws) < 0.2 and 15.5 < max(draws) <= 16.0  # cap 2 * 2**3 = 16 s
    assert 7.5 < sum(draws) / len(draws) < 8.5  # uniform: mean half the cap
    capped = [backoff_s(30, base_delay_s=2.0, max_delay_s=60.0, rng=rng) for _ in range(200)]
    assert max(capped) <= 60.0
    assert backoff_s(1, base_delay_s=1.0, max_delay_s=60.0, rng=rng, retry_after_s=30) >= 30
    assert backoff_s(1, base_delay_s=1.0, max_delay_s=60.0, rng=rng, retry_after_s=999) == 60


def test_judge_delivers_without_an_error_and_draws_no_jitter():
    rng = random.Random(3)
    state = rng.getstate()
    policy = RetryPolicy(3, 10.0, 60.0, rng)
    assert judge(SendResult(200), 1, policy) == Verdict("delivered")
    assert judge(SendResult(409, "HTTP 409: have it"), 3, policy) == Verdict("delivered")
    assert rng.getstate() == state


def test_judge_retries_after_the_jittered_backoff_until_the_attempts_are_spent():
    policy = RetryPolicy(3, 10.0, 60.0, random.Random(5))
    retry = judge(SendResult(503, "HTTP 503: busy"), 2, policy)
    expected = backoff_s(2, base_delay_s=10.0, max_delay_s=60.0, rng=random.Random(5))
    assert retry == Verdict("retry", "HTTP 503: busy", expected)
    assert 0.0 <= expected <= 20.0
    slow = judge(SendResult(429, "slow down", retry_after_s=45), 1, policy)
    assert (slow.outcome, slow.delay_s) == ("retry", 45.0)
    spent = judge(SendResult(None, "timeout after 10 s"), 3, policy)
    assert spent == Verdict("dead", "gave up after 3 attempts; last: timeout after 10 s")
    assert judge(SendResult(500, "boom"), 4, policy).outcome == "dead"


def test_judge_passes_refusals_and_manual_pickups_through():
    policy = RetryPolicy(3, 10.0, 60.0, random.Random(0))
    refused = judge(SendResult(422, "HTTP 422: bad payload"), 1, policy)
    assert refused == Verdict("dead", "HTTP 422: bad payload")
    # A permanent failure at the limit keeps its own reason, not "gave up".
    assert judge(SendResult(error="no url", permanent=True), 3, policy) == Verdict("dead", "no url")
    assert judge(SendResult(manual=True), 1, policy) == Verdict("manual")


def _leased(attempt: int = 1, transport: str = "webhook") -> OutboundMessage:
    return OutboundMessage(
        delivery_id="6f1c2f4e-3a8e-4c5e-9d59-0a3c1b2d4e5f",
        notice_id="00000000-0000-4000-8000-000000000001",
        event_type="referral_notice.created",
        payload={"mmsi": "412000001"},
        created_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        attempt=attempt,
        agency_id="tha-md",
        transport=transport,
        endpoint_url="http://127.0.0.1:9/hook",
    )


def test_refusal_stops_leases_past_the_limit_and_unknown_transports():
    known = frozenset({"webhook", "manual"})
    assert refusal(_leased(3), transports=known, max_attempts=3) is None
    past = refusal(_leased(4), transports=known, max_attempts=3)
    assert past == SendResult(
        error="attempt limit 3 reached: a worker stopped during the last attempt", permanent=True
    )
    fax = refusal(_leased(1, "fax"), transports=known, max_attempts=3)
    assert fax == SendResult(error="unknown transport 'fax' for agency 'tha-md'", permanent=True)
    both = refusal(_leased(4, "fax"), transports=known, max_attempts=3)
    assert both is not None and both.error is not None and both.error.startswith("attempt limit")
    assert classify(past) == classify(fax) == "dead"
