"""The e-mail transport against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import dataclasses
import socket
import ssl
from datetime import UTC, datetime

import pytest

from tests.receivers import SmtpReceiver, self_signed_tls
from vessel_risk.delivery.email import EmailTransport, SmtpSettings, email_text
from vessel_risk.delivery.policy import classify
from vessel_risk.delivery.subscriptions import STATEMENTS, subscription_message
from vessel_risk.delivery.transports import OutboundMessage

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
ITEM = {
    "kind": "arrival.expected",
    "summary": "HAI YANG 7 (MMSI 412000001) expected at PUNTA ARENAS.",
    "mmsi": "412000001",
    "shipname": "HAI YANG 7",
    "flag_iso3": None,
    "flag_inferred_iso3": "CHN",
    "tier": "high",
    "score": 0.91,
    "reasons": ["longest voyage 200 days at sea"],
    "port_label": "PUNTA ARENAS",
    "port_iso3": "CHL",
    "eta": "2026-03-02T18:00:00Z",
    "eta_low": "2026-03-02T12:00:00Z",
    "eta_high": "2026-03-03T00:00:00Z",
}


def message(to: str = "inspector@dgtm.cl", delivery_id: str = "d-1") -> OutboundMessage:
    payload = subscription_message("sub-1", [ITEM], digest=False)
    payload["unsubscribe_url"] = "https://vr.example/subscriptions/unsubscribe?token=t0k"
    return OutboundMessage(
        delivery_id=delivery_id,
        notice_id=None,
        event_type="subscription.arrival.expected",
        payload=payload,
        created_at=T0,
        attempt=1,
        agency_id="cl-dgtm",
        transport="email",
        endpoint_url=to,
    )


@pytest.fixture
def smtp():
    with SmtpReceiver() as server:
        yield server


def transport(server: SmtpReceiver, **kw) -> EmailTransport:
    return EmailTransport(SmtpSettings(host=server.host, port=server.port, **kw))


def test_an_email_is_sent_with_its_headers_and_text(smtp):
    result = transport(smtp, starttls=False, sender="vr@dgtm.cl").send(message())
    assert (result.http_status, result.error, classify(result)) == (250, None, "delivered")
    (mail,) = smtp.wait(1)
    assert smtp.envelopes == [("vr@dgtm.cl", ["inspector@dgtm.cl"])]
    assert mail["Message-ID"] == "<d-1@vessel-risk>"
    assert mail["Subject"] == "vessel-risk: HAI YANG 7 (MMSI 412000001) expected at PUNTA ARENAS."
    assert mail["Date"] == "Sun, 01 Mar 2026 12:00:00 +0000"
    assert mail["List-Unsubscribe"] == "<https://vr.example/subscriptions/unsubscribe?token=t0k>"
    body = mail.get_content().replace("\r\n", "\n")  # SMTP lines end in CRLF
    assert "MMSI 412000001 | name HAI YANG 7 | flag CHN (inferred) | tier high" in body
    assert "ETA 2026-03-02T18:00:00Z (between 2026-03-02T12:00:00Z and" in body
    assert all(statement in body for statement in STATEMENTS)
    assert body.endswith("Unsubscribe: https://vr.example/subscriptions/unsubscribe?token=t0k\n")


def test_a_permanent_refusal_is_dead_and_a_transient_one_retried(smtp):
    smtp.refuse = {
        "gone@dgtm.cl": "550 5.1.1 no such mailbox",
        "busy@dgtm.cl": "451 4.3.0 try again later",
    }
    t = transport(smtp, starttls=False)
    dead = t.send(message("gone@dgtm.cl"))
    assert (classify(dead), dead.error[:8]) == ("dead", "SMTP 550")
    retry = t.send(message("busy@dgtm.cl"))
    assert (classify(retry), retry.error[:8]) == ("retry", "SMTP 451")
    assert smtp.messages == []


def test_starttls_upgrades_the_connection_and_checks_the_certificate(tmp_path):
    server_tls, cert = self_signed_tls(tmp_path)
    with SmtpReceiver(tls_context=server_tls) as smtp:
        trusted = ssl.create_default_context(cafile=cert)
        ok = transport(smtp, starttls=True, ssl_context=trusted).send(message())
        assert (ok.http_status, ok.error) == (250, None)
        assert len(smtp.wait(1)) == 1
        # an untrusted certificate is refused: retried (the server may be fixed), never sent
        untrusted = transport(smtp, starttls=True).send(message(delivery_id="d-2"))
        assert classify(untrusted) == "retry" and "CERTIFICATE_VERIFY_FAILED" in untrusted.error
        # this server requires STARTTLS: without it, it refuses (530) and nothing is sent
        clear = transport(smtp, starttls=False).send(message(delivery_id="d-3"))
        assert classify(clear) == "dead" and clear.error.startswith("SMTP 530")
        assert len(smtp.messages) == 1


def test_nothing_goes_in_clear_to_a_server_without_starttls(smtp):
    result = transport(smtp, starttls=True, username="u", password="p").send(message())
    assert classify(result) == "dead"
    assert "offers no STARTTLS" in result.error
    assert smtp.messages == []


def test_no_server_and_no_address_are_dead_letters_a_lost_server_is_retried():
    assert classify(EmailTransport(SmtpSettings(host=None)).send(message())) == "dead"
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lost = EmailTransport(SmtpSettings(host="127.0.0.1", port=port, starttls=False, timeout_s=2))
    assert classify(lost.send(message())) == "retry"
    assert classify(lost.send(message(to="not-an-address"))) == "dead"


def test_a_digest_lists_every_item():
    payload = subscription_message("sub-1", [ITEM, {**ITEM, "mmsi": "440000003"}], digest=True)
    assert payload["title"] == "vessel-risk digest: 2 vessel event(s)"
    text = email_text(payload)
    assert text.count("MMSI 412000001 |") == 1 and text.count("MMSI 440000003 |") == 1
    assert text.startswith("vessel-risk digest: 2 vessel event(s)\n\n1. ")


def test_a_ship_name_with_line_breaks_adds_no_header_and_is_still_sent(smtp):
    """A transmitter may broadcast any name: CR/LF in it neither injects a header
    (``Bcc:``) nor stops the message (it used to raise in the subject, retried to death)."""
    name = "HAI YANG\r\nBcc: spy@evil.example\r\n\r\nfake body"
    payload = subscription_message("sub-1", [{**ITEM, "summary": f"{name} expected"}], digest=False)
    m = dataclasses.replace(message(), payload=payload)
    result = transport(smtp, starttls=False, sender="vr@dgtm.cl").send(m)
    assert (result.http_status, result.error) == (250, None)
    (mail,) = smtp.wait(1)
    assert smtp.envelopes == [("vr@dgtm.cl", ["inspector@dgtm.cl"])]
    assert mail["Bcc"] is None
    assert mail["Subject"] == "vessel-risk: HAI YANG Bcc: spy@evil.example fake body expected"
    body = mail.get_content().replace("\r\n", "\n")
    assert "\nBcc:" not in body and "\nfake body" not in body  # no line of its own
