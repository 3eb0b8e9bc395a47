"""Protection-first routing of one person's case, and the next port's country (pure)."""

from __future__ import annotations

import pytest

from vessel_risk.referral.routing import (
    LAW_ENFORCEMENT_MANDATORY,
    AgencyRecord,
    Directory,
    destination_iso3,
    port_countries,
    route_case,
)


def _agency(id: str, country: str, role: str, **kw) -> AgencyRecord:
    return AgencyRecord(id=id, name=id, country_iso3=country, role=role, **kw)


# Law enforcement is listed first on purpose: directory order never puts it first.
AGENCIES = [
    _agency("tha-police", "THA", "law_enforcement"),
    _agency("tha-dsi", "THA", "law_enforcement"),
    _agency("tha-nrm", "THA", "nrm_case_system", transport="primero", endpoint_url="http://x"),
    _agency("tha-consular-mmr", "MMR", "consular_service"),
    _agency("tha-shelter", "THA", "shelter"),
    _agency("tha-shelter-closed", "THA", "shelter", active=False),
    _agency("tha-dsdhs", "THA", "social_welfare"),
    _agency("tha-cp", "THA", "child_protection"),
    _agency("phl-dswd", "PHL", "social_welfare"),
]
ADULT = {"state_iso3": "THA", "nationality_iso3": "MMR", "child": False}
ALL = {"services": True, "referral": True, "law_enforcement": True, "consular": True}


def _routes(view, consents, **kw):
    return [
        (r.agency_id, r.rule, r.consent_use) for r in route_case(view, consents, AGENCIES, **kw)
    ]


def test_protection_comes_first_and_law_enforcement_last_with_consent():
    assert _routes(ADULT, ALL) == [
        ("tha-dsdhs", "protection_first", "services"),
        ("tha-shelter", "protection_first", "services"),
        ("tha-nrm", "consent:referral", "referral"),
        ("tha-consular-mmr", "consent:consular", "consular"),
        ("tha-police", "consent", "law_enforcement"),
        ("tha-dsi", "consent", "law_enforcement"),
    ]


def test_no_consent_to_law_enforcement_means_no_law_enforcement_route():
    consents = {"services": True, "referral": True, "law_enforcement": False}
    routes = route_case(ADULT, consents, Directory(agencies=AGENCIES))
    assert [r.role for r in routes] == [
        "social_welfare",
        "shelter",
        "nrm_case_system",
        "consular_service",
    ]
    assert LAW_ENFORCEMENT_MANDATORY == {}  # no cited statute: no state imposes it here
    # missing law_enforcement consent is not consent either
    assert "law_enforcement" not in {
        r.role for r in route_case(ADULT, {"services": True}, AGENCIES)
    }


def test_a_cited_state_rule_routes_to_law_enforcement_without_consent_and_says_so():
    rule = {"THA": "Anti-Trafficking Act s.X"}
    routes = _routes(ADULT, {"services": True}, state_rules=rule)
    assert routes[-2:] == [
        ("tha-police", "state_law:THA:Anti-Trafficking Act s.X", None),
        ("tha-dsi", "state_law:THA:Anti-Trafficking Act s.X", None),
    ]
    # The rule of another state does not apply to a person in Thailand.
    assert "tha-police" not in {a for a, _, _ in _routes(ADULT, {}, state_rules={"PHL": "x"})}


def test_consular_notice_unless_the_person_objects():
    assert ("tha-consular-mmr", "consent:consular", "consular") in _routes(ADULT, {})
    assert "tha-consular-mmr" not in {a for a, _, _ in _routes(ADULT, {"consular": False})}
    no_nationality = {"state_iso3": "THA", "child": False}
    assert _routes(no_nationality, {}) == []


def test_a_child_goes_to_child_protection_whatever_the_consents():
    child = {**ADULT, "child": True}
    assert _routes(child, {"consular": False}) == [("tha-cp", "child_presumption", None)]
    assert _routes(child, {"services": True, "consular": False}) == [
        ("tha-dsdhs", "protection_first", "services"),
        ("tha-shelter", "protection_first", "services"),
        ("tha-cp", "child_presumption", "services"),
    ]
    # the case's assigned child-protection agency wins over the state's directory
    assigned = {**child, "child_protection_agency_id": "phl-dswd"}
    assert _routes(assigned, {"consular": False}) == [("phl-dswd", "child_presumption", None)]


def test_each_role_gets_only_its_fields():
    routes = {r.role: r.fields for r in route_case(ADULT, ALL, AGENCIES)}
    assert routes["consular_service"] == ("nationality_iso3", "language", "needs")
    assert "gender" not in routes["law_enforcement"] and "age" not in routes["law_enforcement"]
    assert "indicators" not in routes["shelter"]
    assert routes["nrm_case_system"] == routes["social_welfare"]


def test_a_case_needs_the_state_where_the_person_is():
    with pytest.raises(ValueError, match="state_iso3"):
        route_case({"nationality_iso3": "MMR"}, ALL, AGENCIES)


def test_the_next_port_country_comes_from_a_port_name_or_a_locode():
    ports = port_countries(
        ["BUSAN", "Port of Punta Arenas", "SAN JOSE", "SAN JOSE"],
        ["KOR", "CHL", "CRI", "GTM"],
    )
    assert destination_iso3("busan", ports) == ("KOR", "port_name")
    assert destination_iso3("PUNTA ARENAS", ports) == ("CHL", "port_name")
    assert destination_iso3("Puerto de Punta Arenas", ports) == ("CHL", "port_name")
    assert destination_iso3("CN SHA>KR PUS", ports) == ("KOR", "locode")
    assert destination_iso3("KR-PUS", None) == ("KOR", "locode")
    # a name two countries share, a bare five-letter word and nothing: not guessed
    assert destination_iso3("SAN JOSE", ports) == (None, None)
    assert destination_iso3("CHINA", ports) == (None, None)
    assert destination_iso3("", ports) == (None, None)
    assert destination_iso3("FOR ORDERS", ports) == (None, None)
