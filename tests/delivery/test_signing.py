"""Standard Webhooks signatures.

Checked against the specification's vector and the reference ``standardwebhooks``
package; verification failures; key rotation.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import standardwebhooks

from tests.builders import NEW, OLD
from vessel_risk.delivery.signing import (
    WebhookVerificationError,
    generate_secret,
    sign,
    verify,
    webhook_headers,
)

# The Standard Webhooks reference vector (standard-webhooks/standard-webhooks,
# libraries/python/tests/test_webhooks.py, test_sign_function).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = 1614265330
SPEC_BODY = '{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_sign_matches_the_specification_vector():
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY) == SPEC_SIGNATURE
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY.encode()) == SPEC_SIGNATURE
    at = datetime.fromtimestamp(SPEC_TS, UTC) + timedelta(milliseconds=999)
    assert sign(SPEC_SECRET, SPEC_ID, at, SPEC_BODY) == SPEC_SIGNATURE  # floored


def test_signatures_agree_with_the_standardwebhooks_package():
    secret = generate_secret()
    body = b'{"type":"referral_notice.created","data":{"mmsi":"412000001"}}'
    now = datetime.now(UTC)
    theirs = standardwebhooks.Webhook(secret).sign("d-1", now, body.decode())
    assert sign(secret, "d-1", now, body) == theirs
    # They verify what we send, and we verify what they sign.
    headers = webhook_headers([secret], "d-1", body)
    assert standardwebhooks.Webhook(secret).verify(body, headers) == json.loads(body)
    theirs_headers = {
        "webhook-id": "d-1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": theirs,
    }
    assert verify([secret], theirs_headers, body) == "d-1"


def _headers(secrets, body=SPEC_BODY, ts=SPEC_TS, msg_id=SPEC_ID):
    return webhook_headers(secrets, msg_id, body, now=datetime.fromtimestamp(ts, UTC))


SPEC_NOW = datetime.fromtimestamp(SPEC_TS + 10, UTC)


def test_verify_accepts_a_valid_signature_and_returns_the_id():
    headers = _headers([SPEC_SECRET])
    assert headers["webhook-signature"] == SPEC_SIGNATURE
    assert verify([SPEC_SECRET], headers, SPEC_BODY, now=SPEC_NOW) == SPEC_ID
    upper = {k.upper(): v for k, v in headers.items()}  # header names are case-insensitive
    assert verify([SPEC_SECRET], upper, SPEC_BODY.encode(), now=SPEC_NOW) == SPEC_ID


def test_verify_rejects_a_tampered_body_id_or_timestamp():
    headers = _headers([SPEC_SECRET])
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        verify([SPEC_SECRET], headers, '{"test": 2432232315}', now=SPEC_NOW)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        verify([SPEC_SECRET], {**headers, "webhook-id": "msg_other"}, SPEC_BODY, now=SPEC_NOW)
    moved = {**headers, "webhook-timestamp": str(SPEC_TS + 1)}
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        verify([SPEC_SECRET], moved, SPEC_BODY, now=SPEC_NOW)


def test_verify_rejects_old_future_and_malformed_timestamps():
    headers = _headers([SPEC_SECRET])
    late = datetime.fromtimestamp(SPEC_TS + 301, UTC)
    with pytest.raises(WebhookVerificationError, match="too old: 301 s ago"):
        verify([SPEC_SECRET], headers, SPEC_BODY, now=late)
    assert verify([SPEC_SECRET], headers, SPEC_BODY, now=late, tolerance_s=400) == SPEC_ID
    early = datetime.fromtimestamp(SPEC_TS - 301, UTC)
    with pytest.raises(WebhookVerificationError, match="in the future: 301 s ahead"):
        verify([SPEC_SECRET], headers, SPEC_BODY, now=early)
    with pytest.raises(WebhookVerificationError, match="whole seconds"):
        verify([SPEC_SECRET], {**headers, "webhook-timestamp": "soon"}, SPEC_BODY, now=SPEC_NOW)
    with pytest.raises(WebhookVerificationError, match="Missing header"):
        verify([SPEC_SECRET], {"webhook-id": SPEC_ID}, SPEC_BODY, now=SPEC_NOW)
    with pytest.raises(WebhookVerificationError, match="no secret|No secret"):
        verify([], headers, SPEC_BODY, now=SPEC_NOW)


def test_rotated_secret_old_and_new_verify_during_rotation_then_only_the_new():
    during = _headers([OLD, NEW])
    sigs = during["webhook-signature"].split(" ")
    assert len(sigs) == 2 and all(s.startswith("v1,") for s in sigs)
    # Receivers holding either secret accept the message while both are active.
    assert verify([OLD], during, SPEC_BODY, now=SPEC_NOW) == SPEC_ID
    assert verify([NEW], during, SPEC_BODY, now=SPEC_NOW) == SPEC_ID
    # After the old secret is removed, messages carry only the new signature.
    after = _headers([NEW])
    assert verify([NEW], after, SPEC_BODY, now=SPEC_NOW) == SPEC_ID
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        verify([OLD], after, SPEC_BODY, now=SPEC_NOW)
    # A receiver that still lists both keeps working through the change.
    assert verify([OLD, NEW], after, SPEC_BODY, now=SPEC_NOW) == SPEC_ID


def test_unknown_signature_versions_and_bad_secrets_are_handled():
    headers = _headers([SPEC_SECRET])
    mixed = {**headers, "webhook-signature": "v1a,xyz v2,abc " + headers["webhook-signature"]}
    assert verify([SPEC_SECRET], mixed, SPEC_BODY, now=SPEC_NOW) == SPEC_ID
    with pytest.raises(ValueError, match="whsec_"):
        sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "x", 1, "b")
    assert generate_secret().startswith("whsec_")
    assert len(base64.b64decode(generate_secret()[6:])) == 32
