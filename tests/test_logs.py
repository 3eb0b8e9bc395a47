"""Logging configured once: human or JSON lines, the level by setting, never a secret."""

from __future__ import annotations

import io
import json
import logging

import pytest
from cryptography.fernet import Fernet

from vessel_risk.api.access import new_key
from vessel_risk.logs import PERSONAL_NAMES, REDACTED, configure_logging, redact
from vessel_risk.referral.personal_data import PERSONAL_FIELDS


@pytest.fixture
def configured():
    """Configure into a buffer; restore the root logger afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    buffers: list[io.StringIO] = []

    def make(level: str = "INFO", fmt: str = "json") -> io.StringIO:
        buffer = io.StringIO()
        configure_logging(level, fmt, stream=buffer)
        buffers.append(buffer)
        return buffer

    yield make
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_level_logger_message_and_extras(configured):
    out = configured("INFO", "json")
    logging.getLogger("vessel_risk.pipeline").info("ran %d partitions", 3, extra={"run": "r1"})
    logging.getLogger("vessel_risk.pipeline").debug("not at INFO")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "INFO"
    assert entry["logger"] == "vessel_risk.pipeline"
    assert entry["message"] == "ran 3 partitions"
    assert entry["run"] == "r1"
    assert entry["time"].endswith("+00:00")


def test_text_lines_for_a_terminal_and_one_handler_however_often_configured(configured):
    configured("WARNING", "text")
    out = configured("WARNING", "text")
    logging.getLogger("vessel_risk.x").warning("careful")
    logging.getLogger("vessel_risk.x").info("quiet")
    assert out.getvalue().count("\n") == 1
    assert "WARNING vessel_risk.x: careful" in out.getvalue()
    ours = [h for h in logging.getLogger().handlers if h.get_name() == "vessel-risk"]
    assert len(ours) == 1


def test_a_library_logger_set_below_the_level_writes_nothing_below_it(configured):
    # distributed sets its loggers to INFO: a run on a local cluster printed 33 INFO lines
    out = configured("WARNING", "json")
    chatty = logging.getLogger("distributed.scheduler")
    before = chatty.level
    chatty.setLevel(logging.INFO)
    try:
        chatty.info("Receive client connection")
        chatty.warning("worker lost")
    finally:
        chatty.setLevel(before)
    lines = out.getvalue().splitlines()
    assert [json.loads(x)["message"] for x in lines] == ["worker lost"]


def test_the_level_and_format_come_from_the_settings(configured, monkeypatch):
    monkeypatch.setenv("VESSEL_RISK_LOG_LEVEL", "error")
    monkeypatch.setenv("VESSEL_RISK_LOG_FORMAT", "json")
    buffer = io.StringIO()
    configure_logging(stream=buffer)
    logging.getLogger("vessel_risk.y").warning("below the level")
    logging.getLogger("vessel_risk.y").error("shown")
    assert [json.loads(x)["message"] for x in buffer.getvalue().splitlines()] == ["shown"]
    with pytest.raises(ValueError, match="VESSEL_RISK_LOG_LEVEL"):
        configure_logging("LOUD", "json", stream=buffer)
    with pytest.raises(ValueError, match="VESSEL_RISK_LOG_FORMAT"):
        configure_logging("INFO", "xml", stream=buffer)


def test_keys_secrets_and_personal_data_never_reach_the_log(configured):
    out = configured("INFO", "json")
    key = new_key()
    fernet = Fernet.generate_key().decode()
    log = logging.getLogger("vessel_risk.api")
    log.info("client authenticated with %s", key)
    log.info("headers Authorization: Bearer %s", "abc.def-ghi_jklmnop")
    log.info("connect postgresql+psycopg://risk:s3cr3t-pw@db:5432/risk")
    log.info("settings secret_key=%s api_key='%s'", fernet, "plain-key-123")
    log.info("agency callback", extra={"webhook_secret": "whsec_QUJDREVGR0g=", "agency": "tha-md"})
    log.info("crew", extra={"contact_channel": "+66 81 234 5678", "crew_count": 12})
    log.info("contact the skipper at skipper@example.org or +66 81 234 5678")
    try:
        raise ValueError(f"bad key {key}")
    except ValueError:
        log.exception("failed")
    text = out.getvalue()
    for secret in (
        key,
        fernet,
        "s3cr3t-pw",
        "plain-key-123",
        "abc.def-ghi_jklmnop",
        "whsec_QUJDREVGR0g=",
        "+66 81 234 5678",
        "skipper@example.org",
    ):
        assert secret not in text
    entries = [json.loads(x) for x in text.splitlines()]
    assert entries[2]["message"] == f"connect postgresql+psycopg://risk:{REDACTED}@db:5432/risk"
    assert entries[4]["webhook_secret"] == REDACTED
    assert entries[4]["agency"] == "tha-md"  # not personal, kept
    assert entries[5]["contact_channel"] == REDACTED
    assert entries[5]["crew_count"] == REDACTED
    assert "bad key" in entries[7]["exception"]
    assert REDACTED in entries[7]["exception"]


def test_vessel_identifiers_are_kept():
    """MMSIs and IMO numbers name vessels, not people: a log line keeps them."""
    line = "alert 17 for MMSI 412334074 (IMO 9123456) at 5.35,103.2"
    assert redact(line) == line


def test_every_crew_field_of_a_referral_is_a_personal_name():
    assert PERSONAL_FIELDS <= PERSONAL_NAMES
