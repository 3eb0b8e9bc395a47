"""Encryption at rest (vessel_risk.db.crypto): agency secrets and crew personal data are
Fernet tokens in the database, readable only with the settings' key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.builders import outside_ciphertext
from vessel_risk.db.crypto import DecryptionError, decrypt_value, encrypt_value
from vessel_risk.db.tables import Agency, NoticePersonalData

SECRET = "whsec_" + "A" * 44


@pytest.fixture
def key(monkeypatch):
    k = Fernet.generate_key().decode()
    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", k)
    return k


def test_secrets_are_ciphertext_in_the_table_and_plain_in_the_model(engine, key):
    with Session(engine) as s, s.begin():
        s.add(Agency(id="a", name="A", country_iso3="CHL", role="nrm", secrets=[SECRET]))
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT secrets FROM agencies WHERE id = 'a'")).scalar_one()
    assert SECRET not in str(stored)
    assert "fernet" in str(stored)
    with Session(engine) as s:
        assert s.get(Agency, "a").secrets == [SECRET]


def test_personal_data_is_ciphertext_in_the_table(engine, key):
    fields = {"crew_count": 23, "nationalities_iso3": ["IDN", "PHL"]}
    stored = encrypt_value(fields)
    assert set(stored) == {"fernet"} and stored["fernet"].startswith("gAAAAA")
    assert decrypt_value(stored) == fields
    # the column type writes the same way
    col = NoticePersonalData.__table__.c.fields.type
    bound = col.process_bind_param(fields, engine.dialect)
    assert "IDN" not in outside_ciphertext(bound)
    assert col.process_result_value(bound, engine.dialect) == fields


def test_keys_rotate_and_a_missing_key_is_a_clear_error(monkeypatch, key):
    old = encrypt_value(["x"])
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", f"{new_key},{key}")
    assert decrypt_value(old) == ["x"]  # the old key still decrypts
    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", new_key)
    with pytest.raises(DecryptionError, match="rotated-out"):
        decrypt_value(old)
    monkeypatch.delenv("VESSEL_RISK_SECRET_KEY")
    with pytest.raises(DecryptionError, match="set VESSEL_RISK_SECRET_KEY"):
        decrypt_value(old)
    assert encrypt_value(["plain"]) == ["plain"]  # no key: written as it is
    assert decrypt_value(["plain"]) == ["plain"]  # and rows from before read as they are


def test_a_malformed_key_says_what_a_key_is(monkeypatch):
    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", "not-a-key")
    with pytest.raises(ValueError, match="Fernet keys"):
        encrypt_value(["x"])
