"""The agency directory: TOML file, FAO's PSMA designated ports, the agencies table."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.builders import shared_file
from vessel_risk.referral.directory import (
    active_agencies,
    as_record,
    load_directory,
    psma_port_authorities,
    read_directory,
)
from vessel_risk.referral.routing import AgencyRecord


def test_psma_designated_ports_become_port_authorities():
    agencies = psma_port_authorities(shared_file("data", "ports", "psma_designated_ports.csv"))
    chl = [a for a in agencies if a.country_iso3 == "CHL"]
    assert len(chl) == 1
    assert chl[0].name == "SERVICIO NACIONAL DE PESCA Y ACUICULTURA"
    assert chl[0].endpoint_url == "mailto:vms@sernapesca.cl"
    assert "PUNTA ARENAS" in chl[0].ports and len(chl[0].ports) == 8
    assert len({a.id for a in agencies}) == len(agencies)
    # Korea lists 31 ports with no authority named: one grouped agency
    kor = [a for a in agencies if a.country_iso3 == "KOR"]
    assert [a.name for a in kor] == ["Designated-port authority of KOR"] and len(kor[0].ports) == 31


def test_directory_file_is_validated(tmp_path):
    good = tmp_path / "agencies.toml"
    good.write_text(
        '[[agency]]\nid = "chl-nrm"\nname = "NRM Chile"\ncountry_iso3 = "CHL"\n'
        'role = "nrm_case_system"\ntransport = "webhook"\nendpoint_url = "http://127.0.0.1:9/"\n'
        'secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]\nreflection_period_days = 45\n'
        '[[fleet]]\nflag_iso3 = "CHN"\ncrew_origin_iso3 = ["IDN"]\n'
    )
    d = read_directory(good)
    assert d.agencies[0].reflection_period_days == 45 and d.fleets[0].crew_origin_iso3 == ["IDN"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[agency]]\nid = "x"\nname = "x"\ncountry_iso3 = "chile"\nrole = "police"\n')
    with pytest.raises(ValueError, match="country_iso3"):
        read_directory(bad)
    (tmp_path / "broken.toml").write_text("[[agency]\n")
    with pytest.raises(ValueError, match="not a valid TOML"):
        read_directory(tmp_path / "broken.toml")


def test_the_example_directory_in_docs_is_valid():
    from tests.builders import ROOT

    d = read_directory(ROOT / "docs" / "agencies.example.toml")
    assert [a.id for a in d.agencies] == [
        "chl-nrm",
        "chl-labour",
        "idn-consular-santiago",
        "arg-pna",
        "phl-dswd",
        "phl-primero",
    ]
    assert [a.role for a in d.agencies[4:]] == ["social_welfare", "nrm_case_system"]
    assert d.agencies[5].secrets == [{"user_name": "vessel-risk", "password": "change-me"}]
    assert d.agencies[0].filters == {"min_tier": "high"} and d.agencies[3].auto_refer
    assert d.fleets[0].crew_origin_iso3 == ["IDN", "PHL"]


def test_stored_agencies_come_back_as_the_records_routing_reads(engine):
    records = [
        AgencyRecord(
            id="chl-nrm",
            name="NRM Chile",
            country_iso3="CHL",
            role="nrm_case_system",
            transport="webhook",
            endpoint_url="http://127.0.0.1:9/hook",
            secrets=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            filters={"min_tier": "high"},
            auto_refer=True,
            reflection_period_days=45,
        ),
        AgencyRecord(id="arg-pna", name="PNA", country_iso3="ARG", role="maritime_authority"),
        AgencyRecord(
            id="kor-ma", name="KMA", country_iso3="KOR", role="maritime_authority", active=False
        ),
    ]
    with Session(engine) as s, s.begin():
        assert load_directory(s, records, actor="admin@test") == {
            "added": 3,
            "updated": 0,
            "unchanged": 0,
        }
    with Session(engine) as s:
        loaded = [as_record(a) for a in active_agencies(s)]
    # active ones only, by id, every field as loaded
    assert [a.model_dump() for a in loaded] == [records[1].model_dump(), records[0].model_dump()]
