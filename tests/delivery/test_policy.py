"""The worker's policy: response rules, backoff, verdicts after an attempt, refusals."""

from __future__ import annotations

import random

import pytest

from vessel_risk.delivery.policy import backoff_s, classify
from vessel_risk.delivery.transports import SendResult


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
