"""The SSRF guard at connect time: a host name that resolves to this machine is refused
unless the operator allows local targets, over real sockets to a real local receiver.

"localhost" is the name used: it resolves to 127.0.0.1 (and maybe ::1) everywhere, with
no change to /etc/hosts, which is exactly the case a creation-time check on the URL's
text cannot see for an arbitrary name.
"""

from __future__ import annotations

import ssl
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import NEW, T0, load_row, queued
from tests.receivers import LocalHttpServer, WebhookReceiver
from vessel_risk.db.tables import Agency, DeliveryAttempt
from vessel_risk.delivery.egress import (
    EgressRefused,
    guarded_client,
    public_address,
    resolve_vetted,
)
from vessel_risk.delivery.transports import (
    OutboundMessage,
    PrimeroTransport,
    WebhookTransport,
    close_transports,
    default_transports,
)
from vessel_risk.delivery.worker import deliver_due


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),  # shared address space (carrier-grade NAT)
        ("169.254.169.254", False),  # cloud metadata
        ("fd00:ec2::254", False),  # AWS metadata over IPv6
        ("fe80::1%eth0", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:8.8.8.8", True),
        ("2002:7f00:1::", False),  # 6to4 carrying 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 carrying 10.0.0.1
        ("64:ff9b::808:808", True),  # NAT64 carrying 8.8.8.8
        ("not-an-address", False),
        # Forms Python 3.11's is_global calls global, each carrying a private address
        # or deprecated: IPv4-compatible (RFC 4291 2.5.5.1), IPv4-translated (RFC 2765),
        # local-use NAT64 (RFC 8215), site-local (RFC 3879).
        ("::127.0.0.1", False),
        ("::169.254.169.254", False),
        ("::8.8.8.8", False),
        ("::ffff:0:127.0.0.1", False),
        ("64:ff9b:1::7f00:1", False),
        ("fec0::1", False),
    ],
)
def test_public_address(address, public):
    assert public_address(address) is public


@pytest.mark.parametrize(
    "address",
    ["::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::", "::169.254.169.254"],
)
def test_the_metadata_service_carried_in_ipv6_is_refused_even_with_the_allowance(address):
    """An AAAA record of ::ffff:169.254.169.254 reaches the IPv4 metadata service over a
    dual-stack socket: ``allow_local`` must not let it through."""
    with pytest.raises(EgressRefused, match="not a public address"):
        resolve_vetted(address, 80, allow_local=True)
    assert resolve_vetted("::ffff:127.0.0.1", 80, allow_local=True) == ["::ffff:127.0.0.1"]


def test_resolve_vetted_refuses_a_name_for_this_machine_and_always_the_metadata_service():
    with pytest.raises(EgressRefused, match=r"'localhost' resolves to (127\.0\.0\.1|::1)"):
        resolve_vetted("localhost", 80)
    allowed = resolve_vetted("localhost", 80, allow_local=True)
    assert "127.0.0.1" in allowed
    with pytest.raises(EgressRefused, match="169.254.169.254"):
        resolve_vetted("169.254.169.254", 80, allow_local=True)
    with pytest.raises(EgressRefused, match="cannot resolve"):
        resolve_vetted("no-such-host.invalid", 80)


def _message(url: str) -> OutboundMessage:
    return OutboundMessage(
        delivery_id="11111111-2222-4333-8444-555555555555",
        notice_id="n-1",
        event_type="notice.approved",
        payload={"mmsi": "567000001"},
        created_at=T0,
        attempt=1,
        agency_id="tha-md",
        transport="webhook",
        endpoint_url=url,
        secrets=(NEW,),
    )


def _by_name(receiver: WebhookReceiver) -> str:
    port = urlsplit(receiver.url).port
    return f"http://localhost:{port}/hooks/vessel-risk"


def test_a_name_resolving_to_this_machine_is_refused_without_the_allowance():
    with WebhookReceiver() as receiver:
        receiver.secret = NEW
        refused = WebhookTransport(timeout_s=5).send(_message(_by_name(receiver)))
        assert refused.http_status is None and not refused.permanent
        assert refused.error is not None and refused.error.startswith("EgressRefused: refused:")
        assert "'localhost' resolves to" in refused.error
        assert receiver.received == [] and receiver.rejected == 0  # nothing reached it

        allowed = WebhookTransport(timeout_s=5, allow_local=True).send(_message(_by_name(receiver)))
        assert (allowed.http_status, allowed.error) == (204, None)
        (doc,) = receiver.received
        assert doc["data"]["mmsi"] == "567000001"


def test_an_ip_literal_is_vetted_too_and_primero_is_guarded():
    with WebhookReceiver() as receiver:
        message = replace(_message(receiver.origin), transport="primero", secrets=("token",))
        result = PrimeroTransport(timeout_s=5).send(message)
        assert result.http_status is None
        assert result.error is not None and "127.0.0.1" in result.error
        assert receiver.received == [] and receiver.rejected == 0


def test_redirects_are_not_followed():
    client = guarded_client()
    try:
        assert client.follow_redirects is False
    finally:
        client.close()


def test_a_refused_delivery_is_a_counted_recorded_failure(engine):
    with WebhookReceiver() as receiver:
        receiver.secret = NEW
        (did,) = queued(engine)
        with Session(engine) as s, s.begin():
            s.get(Agency, "tha-md").endpoint_url = _by_name(receiver)  # type: ignore[union-attr]
        transports = default_transports(timeout_s=5)
        try:
            counts = deliver_due(engine, worker_id="w", now=T0, transports=transports)
        finally:
            close_transports(transports)
        assert (counts.leased, counts.retried, counts.delivered, counts.dead) == (1, 1, 0, 0)
        row = load_row(engine, did)
        assert row.status == "pending" and row.attempts == 1
        assert row.last_error is not None and "'localhost' resolves to" in row.last_error
        with Session(engine) as s:
            (attempt,) = s.scalars(select(DeliveryAttempt)).all()
            assert attempt.http_status is None and "refused" in (attempt.error or "")
        assert receiver.received == []

        # The operator's allowance (vessel-risk deliver --allow-local) reaches it.
        allowed = default_transports(timeout_s=5, allow_local=True)
        try:
            later = T0 + timedelta(days=1)
            counts = deliver_due(engine, worker_id="w", now=later, transports=allowed)
        finally:
            close_transports(allowed)
        assert counts.delivered == 1 and load_row(engine, did).status == "delivered"
        assert len(receiver.received) == 1


def test_an_injected_client_keeps_its_own_transport():
    """Tests inject an httpx client (MockTransport); the guard is the default client's."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(204)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    result = WebhookTransport(client).send(_message("https://hooks.example.org/h"))
    assert result.http_status == 204 and seen == ["https://hooks.example.org/h"]


def _localhost_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the name ``localhost`` only (no IP address in it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class TlsServer(LocalHttpServer):
    """HTTPS on 127.0.0.1 with a certificate for ``localhost``; records each request's
    TLS server name and Host header; ``/redirect`` answers 302 to another address."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.seen: list[tuple[str | None, str | None, str]] = []
        self.names: list[str | None] = []
        super().__init__()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.sni_callback = lambda sock, name, ctx: self.names.append(name)  # type: ignore[assignment]
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                server.seen.append((server.names[-1], self.headers.get("host"), self.path))
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("location", "http://10.0.0.1/secret")
                else:
                    self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

        return Handler


def test_tls_is_verified_by_the_name_while_connecting_to_the_vetted_address(tmp_path):
    """The connection goes to 127.0.0.1, yet TLS sends the name ``localhost`` (SNI) and
    verifies the certificate against it (the certificate names no address), and the
    Host header is the URL's; a redirect is the answer, not followed."""
    cert, key = _localhost_certificate(tmp_path)
    trust = ssl.create_default_context(cafile=str(cert))
    with TlsServer(cert, key) as server:
        port = server.server.server_address[1]
        client = guarded_client(timeout_s=5, allow_local=True, verify=trust)
        try:
            ok = client.get(f"https://localhost:{port}/hook")
            moved = client.get(f"https://localhost:{port}/redirect")
            with pytest.raises(httpx.ConnectError, match="certificate|IP address mismatch"):
                client.get(f"https://127.0.0.1:{port}/hook")  # the certificate names no address
        finally:
            client.close()
        refused = guarded_client(timeout_s=5, verify=trust)
        try:
            with pytest.raises(EgressRefused, match="'localhost' resolves to"):
                refused.get(f"https://localhost:{port}/hook")
        finally:
            refused.close()
    assert ok.status_code == 200 and moved.status_code == 302
    assert server.seen == [
        ("localhost", f"localhost:{port}", "/hook"),
        ("localhost", f"localhost:{port}", "/redirect"),
    ]


def test_a_stalled_name_lookup_is_refused_at_its_timeout(monkeypatch):
    """A resolver that never answers (a subscriber's own DNS server) does not hold the
    worker: the lookup is given up on while it is still stalled."""
    import socket
    import threading

    from vessel_risk.delivery import egress

    release = threading.Event()
    real = socket.getaddrinfo

    def stalled(host, *args, **kwargs):
        if host == "stalled.example":
            release.wait(30)
        return real("localhost", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", stalled)
    try:
        with pytest.raises(EgressRefused, match=r"'stalled.example': no answer within 0.2 s"):
            resolve_vetted("stalled.example", 80, allow_local=True, timeout_s=0.2)
        assert not release.is_set()  # refused while the lookup was still stalled
    finally:
        release.set()
    assert resolve_vetted("localhost", 80, allow_local=True, timeout_s=5)
    assert egress.LOOKUP_TIMEOUT_S == 10.0


def test_every_address_shares_one_connect_deadline(monkeypatch):
    """A name with many addresses that all stall gets the connect timeout once, not once
    per address."""
    import time

    import httpcore

    from vessel_risk.delivery import egress

    monkeypatch.setattr(
        egress, "resolve_vetted", lambda *a, **k: [f"192.0.2.{i}" for i in range(1, 9)]
    )
    given: list[float] = []

    class Stalling:
        def connect_tcp(self, address, port, timeout=None, **kwargs):
            given.append(timeout)
            time.sleep(min(timeout, 0.15))
            raise httpcore.ConnectTimeout(f"{address} did not answer")

    backend = egress.GuardedBackend()
    backend._inner = Stalling()
    with pytest.raises(httpcore.ConnectTimeout):
        backend.connect_tcp("many.example", 443, timeout=0.4)
    assert 2 <= len(given) <= 4  # not all 8 addresses
    assert given == sorted(given, reverse=True) and given[0] <= 0.4


def test_stalled_lookups_of_one_name_do_not_refuse_every_other_name(monkeypatch):
    """Review (s7): four lookups stalled on a subscriber's DNS hold all four pool
    threads past their timeout, so a later lookup of any name waits in the queue and is
    refused. A subscriber who controls their DNS must not stop every other delivery."""
    import socket
    import threading

    release = threading.Event()
    real = socket.getaddrinfo

    def stalled(host, *args, **kwargs):
        if host.startswith("stalled"):
            release.wait(30)
        return real("localhost", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", stalled)
    try:
        for i in range(4):
            with pytest.raises(EgressRefused):
                resolve_vetted(f"stalled{i}.example", 80, allow_local=True, timeout_s=0.2)
        assert resolve_vetted("localhost", 80, allow_local=True, timeout_s=2)
    finally:
        release.set()


def test_a_name_with_an_unanswered_lookup_is_refused_at_once_until_it_ends(monkeypatch):
    """Retries of a stalled name do not pile up threads: while its lookup is still
    running the name is refused without a new one, and resolves again once it ends."""
    import socket
    import threading

    from vessel_risk.delivery import egress

    release, calls = threading.Event(), []
    real = socket.getaddrinfo

    def stalled(host, *args, **kwargs):
        if host == "slow.example":
            calls.append(host)
            release.wait(30)
        return real("localhost", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", stalled)
    try:
        with pytest.raises(EgressRefused, match="no answer within 0.2 s"):
            resolve_vetted("slow.example", 80, allow_local=True, timeout_s=0.2)
        with pytest.raises(EgressRefused, match="an earlier lookup is still unanswered"):
            resolve_vetted("slow.example", 80, allow_local=True, timeout_s=5)
        assert calls == ["slow.example"]  # the retry started no second lookup
    finally:
        release.set()
    for _ in range(100):  # the stalled lookup's thread ends once released
        if "slow.example" not in egress._unanswered:
            break
        threading.Event().wait(0.05)
    assert resolve_vetted("slow.example", 80, allow_local=True, timeout_s=5)
