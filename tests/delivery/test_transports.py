"""Transports: the signed webhook POST and Primero cases.

HTTP goes through ``httpx.MockTransport``; nothing leaves the process.
"""

from __future__ import annotations

import json

import httpx
import standardwebhooks

from tests.builders import NEW, OLD, T0
from vessel_risk.delivery.outbox import EVENT_TYPE
from vessel_risk.delivery.policy import classify
from vessel_risk.delivery.signing import verify
from vessel_risk.delivery.transports import (
    OutboundMessage,
    PrimeroTransport,
    WebhookTransport,
    webhook_body,
)


def _message(**kw) -> OutboundMessage:
    base = {
        "delivery_id": "6f1c2f4e-3a8e-4c5e-9d59-0a3c1b2d4e5f",
        "notice_id": "00000000-0000-4000-8000-000000000001",
        "event_type": EVENT_TYPE,
        "payload": {"mmsi": "412000001", "shipname": "HAI YANG 7", "score": 0.8},
        "created_at": T0,
        "attempt": 1,
        "agency_id": "tha-md",
        "transport": "webhook",
        "endpoint_url": "http://127.0.0.1:9/hook",
        "secrets": (OLD, NEW),
    }
    base.update(kw)
    return OutboundMessage(**base)


def test_webhook_transport_posts_a_signed_idempotent_json_notice():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    message = _message()
    result = WebhookTransport(client, timeout_s=2).send(message)
    assert (result.http_status, result.error) == (202, None)
    (req,) = seen
    assert req.method == "POST" and str(req.url) == "http://127.0.0.1:9/hook"
    assert req.headers["idempotency-key"] == f'"{message.delivery_id}"'
    assert req.headers["webhook-id"] == message.delivery_id
    assert req.headers["content-type"] == "application/json"
    assert req.content == webhook_body(message)
    assert verify([NEW], req.headers, req.content) == message.delivery_id
    assert verify([OLD], req.headers, req.content) == message.delivery_id
    assert (
        standardwebhooks.Webhook(NEW).verify(req.content, dict(req.headers))["data"]["mmsi"]
        == "412000001"
    )
    doc = json.loads(req.content)
    assert doc["type"] == EVENT_TYPE and doc["timestamp"] == "2026-03-01T12:00:00Z"
    assert doc["data"]["delivery_id"] == message.delivery_id


def test_webhook_transport_reports_timeouts_and_refuses_to_send_unsigned():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    result = WebhookTransport(client, timeout_s=0.5).send(_message())
    assert result.http_status is None and result.error.startswith("timeout after 0.5 s")
    assert classify(result) == "retry"
    unsigned = WebhookTransport(client).send(_message(secrets=()))
    assert unsigned.permanent and "never sent unsigned" in unsigned.error
    assert WebhookTransport(client).send(_message(endpoint_url=None)).permanent


def test_primero_transport_logs_in_and_creates_the_case_once():
    calls: list[tuple[str, dict, dict]] = []
    cases: set[str] = set()
    tokens = iter(["tok-1", "tok-2"])
    valid = {"tok-2"}

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        calls.append((request.url.path, dict(request.headers), body))
        if request.url.path == "/api/v2/tokens":
            assert body == {"user": {"user_name": "vr", "password": "pw"}}
            return httpx.Response(200, headers={"Authorization": f"Bearer {next(tokens)}"})
        assert request.url.path == "/api/v2/cases"
        if request.headers["authorization"].split()[1] not in valid:
            return httpx.Response(401)
        case_id = body["data"]["id"]
        if case_id in cases:
            return httpx.Response(409, json={"errors": [{"code": 409, "message": "Conflict"}]})
        cases.add(case_id)
        return httpx.Response(204)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    transport = PrimeroTransport(client, module_id="primeromodule-cp")
    message = _message(
        transport="primero",
        endpoint_url="https://primero.example.org/",
        secrets=({"user_name": "vr", "password": "pw"},),
    )
    first = transport.send(message)
    assert first.http_status == 204 and classify(first) == "delivered"
    paths = [c[0] for c in calls]
    assert paths == ["/api/v2/tokens", "/api/v2/cases", "/api/v2/tokens", "/api/v2/cases"]
    _, headers, body = calls[-1]
    assert headers["authorization"] == "Bearer tok-2"
    assert headers["idempotency-key"] == f'"{message.delivery_id}"'
    data = body["data"]
    assert data["id"] == message.delivery_id and data["module_id"] == "primeromodule-cp"
    assert data["vessel_mmsi"] == "412000001" and data["vessel_name"] == "HAI YANG 7"
    assert data["registration_date"] == "2026-03-01"
    assert json.loads(data["vessel_risk_notice"])["score"] == 0.8
    again = transport.send(message)  # the cached token; the case exists: 409 = delivered
    assert again.http_status == 409 and classify(again) == "delivered"
    assert [c[0] for c in calls[4:]] == ["/api/v2/cases"]


def test_primero_transport_with_a_static_token_and_without_credentials():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer static-token"
        return httpx.Response(200, json={"data": {}})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    ok = PrimeroTransport(client).send(
        _message(endpoint_url="https://p.example.org", secrets=("static-token",))
    )
    assert ok.http_status == 200
    missing = PrimeroTransport(client).send(
        _message(endpoint_url="https://p.example.org", secrets=())
    )
    assert missing.permanent and "no Primero token" in missing.error


def test_a_persons_case_becomes_one_primero_case_with_the_services_needed():
    from vessel_risk.delivery.transports import primero_case

    message = _message(
        notice_id=None,
        case_id="case-1",
        event_type="case.referral",
        transport="primero",
        payload={
            "presumed_victim": True,
            "child": False,
            "presumed_victim_statement": "presumed victim, never a suspect",
            "person": {
                "nationality_iso3": "MMR",
                "language": "my",
                "gender": "woman",
                "needs": ["shelter", "medical"],
            },
        },
    )
    assert primero_case(message, module_id="primeromodule-cp") == {
        "id": message.delivery_id,
        "registration_date": "2026-03-01",
        "vessel_risk_case_id": "case-1",
        "vessel_risk_event_type": "case.referral",
        "vessel_risk_presumed_victim": True,
        "vessel_risk_child": False,
        "vessel_risk_non_punishment": "presumed victim, never a suspect",
        "vessel_risk_gender_as_stated": "woman",
        "nationality": ["MMR"],
        "language": ["my"],
        "services_section": [{"service_type": "shelter"}, {"service_type": "medical"}],
        "module_id": "primeromodule-cp",
    }
