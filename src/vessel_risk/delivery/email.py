"""The e-mail transport: a subscription message as a plain-text e-mail over SMTP.

Python's standard library only (:mod:`smtplib`, :mod:`email`). One message per outbox
row: ``Message-ID`` is made from the delivery id, so a receiving system that
de-duplicates on it keeps one copy of a message re-sent after a crash. Every message
carries the one-click unsubscribe link in its body and in the ``List-Unsubscribe`` and
``List-Unsubscribe-Post`` headers (RFC 2369, RFC 8058).

SMTP replies (RFC 5321 §4.2.1) map onto the worker's policy
(:mod:`vessel_risk.delivery.policy`) as HTTP statuses do: a ``2yz`` completion (250) is
recorded as the attempt's status and is delivered; a ``4yz`` transient refusal, a
timeout or a lost connection is retried; a ``5yz`` permanent refusal is dead at once.
With ``starttls`` (the default) a server that does not offer STARTTLS is refused: mail
is never sent, nor a password, in clear.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from vessel_risk.db.tables import as_utc
from vessel_risk.delivery.transports import OutboundMessage, SendResult
from vessel_risk.settings import Settings


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how e-mails are sent.

    Attributes
    ----------
    host : str or None
        None: every e-mail is a dead letter saying no server is configured.
    port : int
    sender : str
        ``From`` address.
    starttls : bool
        Upgrade with STARTTLS (required when True).
    username, password : str or None
        SMTP AUTH login, only over STARTTLS.
    timeout_s : float
        Connect and reply timeout, in seconds.
    ssl_context : ssl.SSLContext or None
        For STARTTLS; default :func:`ssl.create_default_context` (certificates checked).
    """

    host: str | None
    port: int = 587
    sender: str = "vessel-risk@localhost"
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0
    ssl_context: ssl.SSLContext | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, timeout_s: float = 10.0) -> SmtpSettings:
        """The ``VESSEL_RISK_SMTP_*`` settings."""
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=password,
            timeout_s=timeout_s,
        )


def _one_line(text: str) -> str:
    """``text`` on one line: every run of whitespace or line break (CR, LF, U+2028...)
    one space, so a ship name a transmitter broadcast cannot add a header."""
    return " ".join(text.split())


def _fmt(value: Any) -> str:
    return "unknown" if value in (None, "", []) else _one_line(str(value))


def email_text(payload: Mapping[str, Any]) -> str:
    """The plain-text body of a subscription message: each item's facts, the statements,
    the unsubscribe link."""
    lines = [_one_line(str(payload.get("title", "vessel-risk"))), ""]
    for n, item in enumerate(payload.get("items") or [], start=1):
        lines.append(f"{n}. {_one_line(str(item.get('summary', '')))}")
        flag = item.get("flag_iso3") or (
            f"{item['flag_inferred_iso3']} (inferred)" if item.get("flag_inferred_iso3") else None
        )
        lines.append(
            f"   MMSI {_fmt(item.get('mmsi'))} | name {_fmt(item.get('shipname'))} | "
            f"flag {_fmt(flag)} | tier {_fmt(item.get('tier'))} | score {_fmt(item.get('score'))}"
        )
        if item.get("port_label"):
            lines.append(f"   port {_fmt(item['port_label'])} ({_fmt(item.get('port_iso3'))})")
        if item.get("eta"):
            lines.append(
                f"   ETA {item['eta']} (between {_fmt(item.get('eta_low'))} and "
                f"{_fmt(item.get('eta_high'))})"
            )
        for reason in item.get("reasons") or []:
            lines.append(f"   - {_fmt(reason)}")
        lines.append("")
    lines.extend(str(s) for s in payload.get("statements") or [])
    if payload.get("unsubscribe_url"):
        lines += ["", f"Unsubscribe: {payload['unsubscribe_url']}"]
    return "\n".join(lines) + "\n"


def email_message(message: OutboundMessage, sender: str) -> EmailMessage:
    """The e-mail of one outbox message to ``message.endpoint_url`` (an address)."""
    p = message.payload
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.endpoint_url or ""
    mail["Subject"] = _one_line(str(p.get("title", "vessel-risk")))[:200]
    mail["Message-ID"] = f"<{message.delivery_id}@vessel-risk>"
    created = as_utc(message.created_at)
    assert created is not None
    mail["Date"] = formatdate(created.timestamp(), usegmt=True)
    mail["X-Vessel-Risk-Event"] = _one_line(message.event_type)
    if p.get("unsubscribe_url"):
        mail["List-Unsubscribe"] = f"<{p['unsubscribe_url']}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(email_text(p))
    return mail


class EmailTransport:
    """Send a subscription message as an e-mail (see the module docstring).

    Parameters
    ----------
    smtp : SmtpSettings
    """

    def __init__(self, smtp: SmtpSettings) -> None:
        self.smtp = smtp

    def send(self, message: OutboundMessage) -> SendResult:
        """Send one e-mail; a failure is a result, never an exception."""
        s = self.smtp
        if not s.host:
            return SendResult(
                error="no SMTP server configured (VESSEL_RISK_SMTP_HOST)", permanent=True
            )
        if not message.endpoint_url or "@" not in message.endpoint_url:
            return SendResult(
                error=f"no e-mail address for delivery {message.delivery_id!r}", permanent=True
            )
        mail = email_message(message, s.sender)
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout_s) as smtp:
                smtp.ehlo()
                if s.starttls:
                    if not smtp.has_extn("starttls"):
                        return SendResult(
                            error=f"SMTP server {s.host}:{s.port} offers no STARTTLS: "
                            "nothing sent in clear",
                            permanent=True,
                        )
                    smtp.starttls(context=s.ssl_context or ssl.create_default_context())
                    smtp.ehlo()
                if s.username and s.password:
                    smtp.login(s.username, s.password)
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            return _refusal(min(codes) if codes else 550, str(exc.recipients)[:300])
        except smtplib.SMTPResponseException as exc:
            return _refusal(exc.smtp_code, str(exc.smtp_error)[:300])
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            return SendResult(error=f"{type(exc).__name__}: {exc}"[:500])
        if refused:
            codes = [code for code, _ in refused.values()]
            return _refusal(min(codes), str(refused)[:300])
        return SendResult(250)


def _refusal(code: int, text: str) -> SendResult:
    """A ``4yz`` reply is retried, a ``5yz`` one is dead at once (RFC 5321 §4.2.1)."""
    if 400 <= code < 500:
        return SendResult(error=f"SMTP {code}: {text}")
    return SendResult(error=f"SMTP {code}: {text}", permanent=True)
