"""The routing rules: which agencies a notice goes to, in which order (pure)."""

from __future__ import annotations

from vessel_risk.referral.routing import AgencyRecord, Fleet, normalize_port, route


def _agency(id: str, country: str, role: str, **kw) -> AgencyRecord:
    return AgencyRecord(id=id, name=id, country_iso3=country, role=role, **kw)


DIRECTORY = [
    _agency("chn-msa", "CHN", "maritime_authority"),
    _agency("chl-sernapesca", "CHL", "psma_port_authority", ports=["PUNTA ARENAS", "TALCAHUANO"]),
    _agency("chl-arica", "CHL", "psma_port_authority", ports=["ARICA"]),
    _agency("chl-nrm", "CHL", "nrm_case_system", transport="primero", endpoint_url="http://x"),
    _agency("arg-prefectura", "ARG", "maritime_authority"),
    _agency("idn-consulate", "IDN", "consular_service"),
    _agency("phl-consulate", "PHL", "consular_service"),
    _agency("chn-consulate", "CHN", "consular_service"),
    _agency("kor-ma", "KOR", "maritime_authority", active=False),
    _agency("tha-labour", "THA", "labour_inspectorate", filters={"min_tier": "high"}),
]


def _notice(**kw) -> dict:
    base = {
        "vessel": {"flag_iso3": "CHN", "gear": "squid_jigger"},
        "risk": {"tier": "high"},
        "last_port": {"label": "Punta Arenas", "iso3": "CHL"},
        "expected_port": None,
        "coastal_states_iso3": ["ARG"],
        "crew_nationalities_iso3": [],
    }
    base.update(kw)
    return base


def _rules(routes) -> dict[str, str]:
    return {r.agency_id: r.rule for r in routes}


def test_rules_name_flag_port_coastal_and_consular_agencies():
    fleets = [Fleet(flag_iso3="CHN", gear="squid_jigger", crew_origin_iso3=["IDN", "PHL"])]
    assert _rules(route(_notice(), DIRECTORY, fleets)) == {
        "chn-msa": "flag_state",
        "chl-sernapesca": "port_state",  # covers Punta Arenas; chl-arica does not
        "chl-nrm": "port_state",
        "arg-prefectura": "coastal_state",
        "chn-consulate": "crew_consular",  # flag state, no crew nationality recorded
        "idn-consulate": "crew_consular",  # fleet's crew-origin countries
        "phl-consulate": "crew_consular",
    }


def test_recorded_crew_nationalities_replace_the_fleet_default():
    fleets = [Fleet(flag_iso3="CHN", crew_origin_iso3=["IDN", "PHL"])]
    notice = _notice(crew_nationalities_iso3=["PHL"], coastal_states_iso3=[])
    consular = [r.agency_id for r in route(notice, DIRECTORY, fleets) if r.rule == "crew_consular"]
    assert consular == ["phl-consulate"]


def test_filters_inactive_agencies_and_other_ports_are_left_out():
    notice = _notice(
        vessel={"flag_iso3": "KOR", "gear": None},
        risk={"tier": "medium"},
        last_port={"label": "Songkhla", "iso3": "THA"},
        coastal_states_iso3=[],
    )
    # KOR's authority is inactive; THA's inspectorate takes high tier only
    assert route(notice, DIRECTORY) == []
    notice["risk"] = {"tier": "high"}
    assert _rules(route(notice, DIRECTORY)) == {"tha-labour": "port_state"}


def test_port_names_match_across_spelling():
    assert normalize_port("Busan Port") == normalize_port("BUSAN") == "BUSAN"
    assert normalize_port("Puerto Montt") == "PUERTO MONTT"


def test_routes_come_in_rule_order_then_directory_order():
    fleets = [Fleet(flag_iso3="CHN", gear="squid_jigger", crew_origin_iso3=["IDN", "PHL"])]
    routes = route(_notice(), DIRECTORY, fleets)
    assert [(r.agency_id, r.rule, r.country_iso3, r.role) for r in routes] == [
        ("chn-msa", "flag_state", "CHN", "maritime_authority"),
        ("chl-sernapesca", "port_state", "CHL", "psma_port_authority"),
        ("chl-nrm", "port_state", "CHL", "nrm_case_system"),
        ("arg-prefectura", "coastal_state", "ARG", "maritime_authority"),
        # crew countries sorted, whatever the directory order (idn-consulate comes first)
        ("chn-consulate", "crew_consular", "CHN", "consular_service"),
        ("idn-consulate", "crew_consular", "IDN", "consular_service"),
        ("phl-consulate", "crew_consular", "PHL", "consular_service"),
    ]
    # within a rule, the directory's order decides
    reversed_ids = [r.agency_id for r in route(_notice(), DIRECTORY[::-1], fleets)]
    assert reversed_ids[1:3] == ["chl-nrm", "chl-sernapesca"]


def test_an_agency_named_by_two_rules_gets_one_route_from_the_first():
    directory = [
        _agency("chl-armada", "CHL", "maritime_authority"),
        _agency("chl-nrm", "CHL", "nrm_case_system"),
        _agency("kor-nrm", "KOR", "nrm_case_system"),
    ]
    notice = _notice(
        vessel={"flag_iso3": "CHL", "gear": None},
        coastal_states_iso3=["CHL", "ARG"],
        expected_port={"label": "Busan", "iso3": "KOR"},
    )
    # chl-armada is the flag state's and a coastal state's authority: one route, flag_state
    assert [(r.agency_id, r.rule) for r in route(notice, directory)] == [
        ("chl-armada", "flag_state"),
        ("chl-nrm", "port_state"),  # last port
        ("kor-nrm", "port_state"),  # reported next port
    ]


def _inferred(**kw) -> dict:
    """150400453: no valid MID, flag CHN inferred from its name (LURONGYUANYU 715)."""
    vessel = {
        "flag_iso3": None,
        "flag_inferred_iso3": "CHN",
        "flag_inferred_source": "name_pattern:china_provincial",
        "flag_inferred_confidence": 0.8,
        "gear": "squid_jigger",
    }
    return _notice(vessel=vessel, **kw)


def test_an_inferred_flag_routes_flag_state_and_consular_but_needs_confirmation():
    from vessel_risk.referral.routing import plan

    fleets = [Fleet(flag_iso3="CHN", gear="squid_jigger", crew_origin_iso3=["IDN", "PHL"])]
    p = plan(_inferred(), DIRECTORY, fleets)
    assert (p.flag.iso3, p.flag.basis, p.flag.confidence) == ("CHN", "inferred", 0.8)
    assert p.flag.label == "CHN (inferred from name_pattern:china_provincial, confidence 0.80)"
    confirm = {r.agency_id: r.needs_confirmation for r in p.routes}
    assert confirm == {
        "chn-msa": True,  # flag state by the inferred flag
        "chl-sernapesca": False,  # port state: the flag plays no part
        "chl-nrm": False,
        "arg-prefectura": False,
        "chn-consulate": True,  # consular countries assumed from the inferred flag
        "idn-consulate": True,
        "phl-consulate": True,
    }
    assert p.needs_confirmation
    # crew nationalities a person recorded do not depend on the flag
    recorded = plan(_inferred(crew_nationalities_iso3=["IDN"]), DIRECTORY, fleets)
    assert [r.agency_id for r in recorded.routes if r.needs_confirmation] == ["chn-msa"]


def test_a_declared_flag_needs_no_confirmation_and_wins_over_an_inferred_one():
    from vessel_risk.referral.routing import plan

    notice = _inferred()
    notice["vessel"]["flag_iso3"] = "KOR"  # declared by a valid MID
    p = plan(notice, DIRECTORY)
    assert (p.flag.iso3, p.flag.basis, p.flag.label) == ("KOR", "declared", "KOR")
    assert not p.needs_confirmation
    assert "chn-msa" not in {r.agency_id for r in p.routes}
    # kor-ma is inactive: the flag-state rule found no agency, and the preview says so
    assert p.unmatched == [
        "flag_state (KOR): no active maritime_authority of KOR in the directory takes this notice",
        "crew_consular (KOR): no active consular_service of KOR in the directory takes this notice",
    ]
    assert [r.flag_basis for r in p.routes if r.rule == "port_state"] == [None, None]


def test_no_flag_at_all_says_why_and_routes_by_port_and_coast_only():
    from vessel_risk.referral.routing import plan

    notice = _notice(
        vessel={"flag_iso3": None, "flag_inferred_source": "none: no IMO, call sign or name"}
    )
    p = plan(notice, DIRECTORY)
    assert p.flag.basis == "none" and p.flag.iso3 is None
    assert _rules(p.routes) == {
        "chl-sernapesca": "port_state",
        "chl-nrm": "port_state",
        "arg-prefectura": "coastal_state",
    }
    assert p.unmatched == [
        "flag_state: no flag to route by (flag unknown: no IMO, call sign or name)",
        "crew_consular: no crew country recorded and no flag to assume one from",
    ]
