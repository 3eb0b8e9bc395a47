"""Logging, configured once for every entrypoint: human lines or JSON lines, never secrets.

:func:`configure_logging` is called by the command line (every command), by
``api/main.py`` (the server in a container) and by anything else that starts the
package; it installs one handler on the root logger, so the package's loggers, the web
server's and MLflow's all write the same way:

* ``VESSEL_RISK_LOG_LEVEL`` (``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``; default
  ``WARNING``);
* ``VESSEL_RISK_LOG_FORMAT``: ``text`` (one human line per record), ``json`` (one JSON
  object per line: ``time`` in UTC ISO 8601, ``level``, ``logger``, ``message``, the
  record's extra fields and ``exception``), or ``auto`` (default): text on a terminal,
  JSON otherwise (a server, a container, a pipe to a log collector).

:class:`RedactionFilter` sits on that handler: API keys (``vrk_...``), webhook secrets
(``whsec_...``), bearer tokens, Fernet keys, passwords in URLs, values of fields whose
name says key, secret, token or password, e-mail addresses and phone numbers, and the
crew fields of a referral (``vessel_risk.referral.personal_data.PERSONAL_FIELDS``), are
replaced by ``[redacted]`` in the message, its arguments, the extra fields and the
exception text before any record is written. Do no harm: crew are presumed victims, and
a log line is a copy nobody reviews.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import IO, Any

REDACTED = "[redacted]"

SENSITIVE_NAME = re.compile(
    r"(api[_-]?key|secret|token|password|passwd|authori[sz]ation|cookie|fernet|credential)",
    re.IGNORECASE,
)
"""Field names whose values are never logged."""

PERSONAL_NAMES = frozenset(
    {
        "crew_count",
        "nationalities_iso3",
        "languages",
        "minors_on_board",
        "urgent_needs",
        "contact_channel",
        "personal_data",
        "crew_name",
        "name_of_person",
        "email",
        "phone",
        "passport",
    }
)
"""Extra fields of crew personal data (the referral's ``PERSONAL_FIELDS`` and what names
a person), never logged; a test keeps it a superset of ``PERSONAL_FIELDS``."""

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # API keys of this service and webhook secrets (Standard Webhooks).
    (re.compile(r"\bvrk_[A-Za-z0-9_\-]{8,}"), REDACTED),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]{8,}"), REDACTED),
    # Authorization headers and bearer tokens.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}"), r"\1 " + REDACTED),
    # Passwords in URLs: scheme://user:password@host.
    (
        re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^:/@\s]*:)[^@\s/]+@", re.IGNORECASE),
        r"\1" + REDACTED + "@",
    ),
    # key=value, key: value, "key": "value" where the key names a secret or crew data.
    (
        re.compile(
            r"""(?i)(["']?\b[\w\-]*(?:api[_-]?key|secret|token|password|passwd|authorization|"""
            r"""cookie|crew_name|passport|contact_channel|urgent_needs)[\w\-]*\b["']?\s*[=:]\s*)"""
            r"""(["']?)[^\s,;"'}&]+"""
        ),
        r"\1\2" + REDACTED,
    ),
    # Fernet keys (32 bytes, url-safe base64: 43 characters and "=").
    (re.compile(r"\b[A-Za-z0-9_\-]{43}="), REDACTED),
    # E-mail addresses and phone numbers (international or 9+ digits with separators).
    (re.compile(r"\b[\w.+\-]+@[\w\-]+\.[\w.\-]+\b"), REDACTED),
    (re.compile(r"(?<![\w.])\+\d[\d \-()]{7,}\d"), REDACTED),
)


def redact(text: str) -> str:
    """``text`` with every secret and personal datum of the module docstring replaced.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        ``text`` with each match replaced by ``[redacted]`` (the field name kept).

    Notes
    -----
    MMSIs (9 digits without ``+``), IMO numbers and positions are not personal data and
    are kept: they name vessels, not people.
    """
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS}


def _clean(name: str, value: Any) -> Any:
    if SENSITIVE_NAME.search(name) or name in PERSONAL_NAMES:
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _clean(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_clean(name, v) for v in value)
    return value


class RedactionFilter(logging.Filter):
    """Redact secrets and personal data from every record before it is written.

    The message is formatted with its arguments first, redacted, and stored without
    arguments; extra fields named like a secret or a crew field become ``[redacted]``,
    other string extras are redacted like the message; the exception text is redacted
    too. Records are never dropped.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; always True (the record is kept)."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: keep what can be shown
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        for name, value in _extra(record).items():
            setattr(record, name, _clean(name, value))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (UTC), ``level``, ``logger``, ``message``,
    the record's extra fields, and ``exception`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_extra(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


class _CurrentStderr:
    """Standard error as it is when a record is written, not when logging was set up (a
    test runner or a command line runner swaps ``sys.stderr`` and closes its own)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())


TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
"""A human line: local time, level, logger, message."""

_HANDLER_NAME = "vessel-risk"


def configure_logging(
    level: str | None = None,
    fmt: str | None = None,
    *,
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Configure the root logger once: one handler, the level, the format, redaction.

    Calling it again replaces the handler it installed (never stacks a second one), so
    every entrypoint may call it.

    Parameters
    ----------
    level : str, optional
        ``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``; default ``VESSEL_RISK_LOG_LEVEL``.
    fmt : {"auto", "text", "json"}, optional
        Default ``VESSEL_RISK_LOG_FORMAT``; ``auto`` is text when ``stream`` is a
        terminal, JSON otherwise.
    stream : file, optional
        Where records go; default standard error.

    Returns
    -------
    logging.Handler
        The handler installed.

    Raises
    ------
    ValueError
        If ``level`` or ``fmt`` is not one of the names above.
    """
    if level is None or fmt is None:
        from vessel_risk.settings import Settings

        settings = Settings()
        level = level or settings.log_level
        fmt = fmt or settings.log_format
    name = level.upper()
    if name not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError(
            f"VESSEL_RISK_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR. Got {level!r}."
        )
    if fmt not in ("auto", "text", "json"):
        raise ValueError(f"VESSEL_RISK_LOG_FORMAT must be auto, text or json. Got {fmt!r}.")
    out: Any = stream if stream is not None else _CurrentStderr()
    if fmt == "auto":
        fmt = "text" if getattr(out, "isatty", lambda: False)() else "json"
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactionFilter())
    # the level on the handler too: libraries that set their own loggers' level
    # (distributed sets INFO) would otherwise write below it through this handler
    handler.setLevel(name)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(name)
    return handler
