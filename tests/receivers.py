"""Real local receivers for subscription messages: a webhook endpoint and an SMTP server.

- :class:`WebhookReceiver`: a ``ThreadingHTTPServer`` on 127.0.0.1 that verifies each
  request's Standard Webhooks signature with the reference ``standardwebhooks``
  package, keeps the verified bodies (``received``) and answers 204, or 401 for a bad
  signature (``rejected`` counts them); it de-duplicates on ``webhook-id``.
- :class:`SmtpReceiver`: an ``aiosmtpd`` SMTP server on 127.0.0.1 keeping every message
  it accepted, parsed (``messages``); ``refuse`` maps a recipient to the reply that
  refuses it (e.g. ``"550 5.1.1 no such user"``, ``"451 4.3.0 try later"``); given a
  server TLS context it offers STARTTLS and requires it.

Both are context managers; neither is a mock: the code under test speaks HTTP and SMTP
over real sockets to them.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import standardwebhooks


class LocalHttpServer:
    """A ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) in a daemon thread, started
    and stopped as a context manager; subclasses give ``_handler``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError


class WebhookReceiver(LocalHttpServer):
    """A webhook endpoint that verifies signatures (see the module docstring)."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.received: list[dict[str, Any]] = []
        self.ids: set[str] = set()
        self.rejected = 0
        super().__init__()

    @property
    def url(self) -> str:
        """The endpoint's URL."""
        return f"{self.origin}/hooks/vessel-risk"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    assert receiver.secret is not None
                    doc = standardwebhooks.Webhook(receiver.secret).verify(body, headers)
                except Exception:
                    with receiver.lock:
                        receiver.rejected += 1
                    self.send_response(401)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                with receiver.lock:
                    if headers["webhook-id"] not in receiver.ids:
                        receiver.ids.add(headers["webhook-id"])
                        receiver.received.append(json.loads(json.dumps(doc)))
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

        return Handler


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpReceiver:
    """A real SMTP server (aiosmtpd) keeping the messages it accepts."""

    def __init__(self, tls_context: Any = None) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: dict[str, str] = {}
        receiver = self

        class Handler:
            async def handle_RCPT(
                self, server: Any, session: Any, envelope: Any, address: str, options: Any
            ) -> str:
                if address in receiver.refuse:
                    return receiver.refuse[address]
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                mail = message_from_bytes(envelope.content, policy=policy.default)
                receiver.messages.append(mail)  # type: ignore[arg-type]
                receiver.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                return "250 Message accepted for delivery"

        self.port = _free_port()
        tls = {"tls_context": tls_context, "require_starttls": True} if tls_context else {}
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **tls)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def __enter__(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def wait(self, n: int, timeout_s: float = 5.0) -> list[EmailMessage]:
        """The messages, once at least ``n`` arrived (or the timeout passed)."""
        end = time.monotonic() + timeout_s
        while len(self.messages) < n and time.monotonic() < end:
            time.sleep(0.01)
        return list(self.messages)


def self_signed_tls(folder: Any) -> tuple[Any, str]:
    """A server TLS context for 127.0.0.1 with a fresh self-signed certificate, and the
    certificate's PEM path (the client's trust anchor)."""
    import datetime as dt
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    return server, str(cert_path)
