"""The regional exchange format: the shipped JSON Schema, the three forms of one export,
signatures that refuse tampered and unknown-signer exports, and no person field."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime

import jsonschema_rs
import pandas as pd
import pytest

from tests.exchangekit import FIGURE_DEFINITIONS, additive_table, trusted_file
from vessel_risk.referral.disclosure import protect
from vessel_risk.referral.exchange import (
    ALERT_COLUMNS,
    INSPECTION_COLUMNS,
    TABLES,
    ExchangeError,
    SignatureError,
    canonical,
    document,
    export_id,
    generated_schema,
    json_schema,
    read_export,
    write_export,
)
from vessel_risk.referral.exchange_keys import (
    TrustedKeys,
    UnknownSigner,
    generate_key,
    load_private_key,
    sign,
    verify,
)

T = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)

PERSON_FIELDS = {
    "name",
    "recorded_by",
    "status_reason",
    "not_boarded_reason",
    "crew_by_nationality",
    "detail",
    "reason",
    "fields",
    "age",
    "date_of_birth",
    "passport",
}


def indicators() -> pd.DataFrame:
    counts = {("THA", "MMR"): 12, ("THA", "KHM"): 3, ("IDN", "MMR"): 9, ("IDN", "KHM"): 8}
    return protect(additive_table(counts, ("state", "nationality"), "persons_screened"))


def alerts() -> pd.DataFrame:
    row = {c: None for c in ALERT_COLUMNS}
    row.update(
        mmsi="412000001",
        year=2026,
        score=0.91,
        tier="high",
        model_version="baseline-1",
        status="referred",
        last_seen=T,
        raised_at=T,
        flag_iso3="CHN",
        last_port_iso3="THA",
        status_reason="the analyst's note: never exported",
    )
    return pd.DataFrame([row])


def inspections() -> pd.DataFrame:
    row = {c: None for c in INSPECTION_COLUMNS}
    row.update(
        mmsi="412000001",
        year=2026,
        inspected_at=T,
        port_label="SONGKHLA",
        port_iso3="THA",
        agency_id="tha-pipo",
        outcome="confirmed",
        ilo_indicators=["isolation", "debt_bondage"],
        documents_missing=["crew_list"],
        recorded_by="inspector Somchai",
        not_boarded_reason="x",
    )
    return pd.DataFrame([row])


def make_doc(**kw) -> dict:
    args = dict(
        state="tha",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        indicators=indicators(),
        alerts=alerts(),
        inspections=inspections(),
        figures=FIGURE_DEFINITIONS,
        created_at=T,
    )
    args.update(kw)
    return document(**args)


@pytest.fixture
def keys(tmp_path):
    tha_key, tha_pub = generate_key("THA", tmp_path / "tha")
    idn_key, idn_pub = generate_key("IDN", tmp_path / "idn")
    trusted = TrustedKeys.load(
        trusted_file(
            tmp_path,
            {"THA": [tha_pub.read_text().strip()], "IDN": [idn_pub.read_text().strip()]},
        )
    )
    return load_private_key(tha_key), load_private_key(idn_key), trusted


def test_the_shipped_schema_is_the_one_the_models_generate_and_exports_validate():
    assert json_schema() == generated_schema()
    validator = jsonschema_rs.validator_for(json_schema())
    doc = make_doc()
    validator.validate(doc)
    bad = copy.deepcopy(doc)
    bad["tables"]["alerts"][0]["crew_name"] = "someone"
    assert not validator.is_valid(bad)


def test_an_export_holds_vessel_facts_only_and_canonical_cells():
    doc = make_doc()
    assert doc["state"] == "THA"
    assert doc["created_at"] == "2026-03-04T05:06:07Z"  # UTC, whole seconds
    for name, columns in TABLES.items():
        for row in doc["tables"][name]:
            assert list(row) == list(columns)
            assert not set(row) & PERSON_FIELDS
    (inspection,) = doc["tables"]["inspections"]
    assert inspection["ilo_indicators"] == ["debt_bondage", "isolation"]
    assert "Somchai" not in json.dumps(doc)
    assert "analyst's note" not in json.dumps(doc)
    suppressed = [r for r in doc["tables"]["indicators"] if r["suppressed"]]
    assert suppressed and all(r["value"] is None and r["persons"] is None for r in suppressed)


def test_a_table_that_does_not_fit_is_refused():
    frame = alerts()
    frame.loc[0, "mmsi"] = "41200"
    with pytest.raises(ExchangeError, match="mmsi"):
        make_doc(alerts=frame)
    with pytest.raises(ExchangeError, match="lacks the columns"):
        make_doc(alerts=frame.drop(columns=["tier"]))


@pytest.mark.parametrize("form", ["json", "csv", "parquet"])
def test_every_form_reads_back_to_the_same_signed_content(tmp_path, keys, form):
    tha, _, trusted = keys
    signed = sign(make_doc(), tha)
    written = write_export(signed, tmp_path / f"export-{form}", form=form)
    back = read_export(written)
    assert canonical(back) == canonical(signed)
    assert back["signature"] == signed["signature"]
    assert verify(back, trusted).state == "THA"
    if form != "json":
        assert sorted(p.name for p in written.iterdir()) == sorted(
            ["manifest.json", *(f"{t}.{form}" for t in TABLES)]
        )


def test_a_tampered_export_is_refused(tmp_path, keys):
    tha, _, trusted = keys
    signed = sign(make_doc(), tha)
    published = next(r for r in signed["tables"]["indicators"] if not r["suppressed"])
    tampered = copy.deepcopy(signed)
    next(r for r in tampered["tables"]["indicators"] if r == published)["value"] += 1
    with pytest.raises(SignatureError, match="changed after signing"):
        verify(tampered, trusted)
    dropped = copy.deepcopy(signed)
    dropped["tables"]["alerts"] = []
    with pytest.raises(SignatureError, match="does not verify"):
        verify(dropped, trusted)
    folder = write_export(signed, tmp_path / "csv", form="csv")
    text = (folder / "alerts.csv").read_text().replace("high", "low")
    (folder / "alerts.csv").write_text(text)
    with pytest.raises(ExchangeError, match="not the file the manifest lists"):
        read_export(folder)
    with pytest.raises(SignatureError, match="not signed"):
        verify(make_doc(), trusted)
    with pytest.raises(ExchangeError, match="is a JSON object"):
        verify([make_doc()], trusted)
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(ExchangeError, match="holds no export"):
        read_export(tmp_path / "list.json")
    with pytest.raises(ExchangeError, match="Cannot read the export"):
        read_export(tmp_path / "missing.json")


def test_an_unknown_signer_is_refused(tmp_path, keys):
    tha, idn, trusted = keys
    forged = sign(make_doc(), idn)  # claims THA, signed with Indonesia's key
    with pytest.raises(UnknownSigner, match="not one of THA's trusted keys"):
        verify(forged, trusted)
    only_idn = TrustedKeys({"IDN": trusted.states["IDN"]})
    with pytest.raises(UnknownSigner, match="No trusted key for THA"):
        verify(sign(make_doc(), tha), only_idn)
    assert export_id(sign(make_doc(), tha)) == export_id(make_doc())


def test_keys_are_never_overwritten_and_bad_key_files_say_why(tmp_path):
    key, pub = generate_key("THA", tmp_path)
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ExchangeError, match="never overwritten"):
        generate_key("tha", tmp_path)
    with pytest.raises(ExchangeError, match="alpha-3"):
        generate_key("TH", tmp_path)
    with pytest.raises(ExchangeError, match="no Ed25519 private key|Cannot read"):
        load_private_key(pub)
    bad = tmp_path / "bad.toml"
    bad.write_text('[states]\nTHA = ["not a key"]\n')
    with pytest.raises(ExchangeError, match="not a base64 Ed25519 public key"):
        TrustedKeys.load(bad)
    bad.write_text('THA = ["x"]\n')
    with pytest.raises(ExchangeError, match=r"\[states\] table"):
        TrustedKeys.load(bad)
