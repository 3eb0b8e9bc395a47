"""What a subscription matches and what it is told (pure rules, issue 18 part 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vessel_risk.referral.subscriptions import (
    KINDS,
    Concerns,
    VesselFacts,
    alert_item,
    arrival_item,
    arrival_kind,
    is_revision,
    matches,
    reaches,
    reasons_summary,
)

T = datetime(2026, 3, 1, 12, tzinfo=UTC)
SQUID = VesselFacts(
    mmsi="412000001",
    tier="high",
    score=0.91,
    shipname="HAI YANG 7",
    flag_iso3="CHN",
    port_label="PUNTA ARENAS",
    port_iso3="CHL",
    crew_nationalities=frozenset({"IDN", "PHL"}),
    reasons=("longest voyage 200 days at sea",),
)


@pytest.mark.parametrize(
    ("concerns", "expected"),
    [
        (Concerns(), True),  # no concern named: every vessel in scope
        (Concerns(ports=frozenset({"PUNTA ARENAS"})), True),
        (Concerns(ports=frozenset({"BUSAN"})), False),
        (Concerns(flags=frozenset({"CHN"})), True),
        (Concerns(flags=frozenset({"KOR"})), False),
        (Concerns(nationalities=frozenset({"IDN"})), True),  # Indonesia's nationals aboard
        (Concerns(nationalities=frozenset({"MMR"})), False),
        (Concerns(ports=frozenset({"BUSAN"}), nationalities=frozenset({"PHL"})), True),  # any
        (Concerns(min_tier="medium"), True),
        (Concerns(kinds=frozenset({"arrival.expected"})), False),  # not this kind
        (Concerns(scope_ports=frozenset({"BUSAN"})), False),  # outside the client's scope
        (Concerns(scope_countries=frozenset({"CHL"})), True),  # the port's state
        (Concerns(scope_countries=frozenset({"CHN"})), True),  # the flag state
        (Concerns(scope_countries=frozenset({"KOR"}), flags=frozenset({"CHN"})), False),
        (Concerns(scope_countries=frozenset({"KOR"}), unrestricted=True), True),  # admin
        (Concerns(scope_countries=frozenset({"ARG"})), False),  # no coastal state recorded
    ],
)
def test_a_high_risk_squid_jigger_at_punta_arenas(concerns, expected):
    assert matches(concerns, SQUID, "alert.raised") is expected


def test_tiers_and_insufficient_data():
    assert [reaches(t, "medium") for t in ("high", "medium", "low")] == [True, True, False]
    # thin data is never called low risk, nor does it pass for a higher tier
    assert reaches("insufficient data", "low") is False
    assert reaches("insufficient data", "insufficient data") is True
    assert reaches("high", "insufficient data") is False
    thin = VesselFacts(mmsi="1", tier="insufficient data", score=0.1)
    assert matches(Concerns(min_tier="low"), thin, "alert.raised") is False
    assert matches(Concerns(min_tier="high"), VesselFacts("1", "unknown", 0.9), KINDS[0]) is False


def test_an_inferred_flag_matches_when_none_is_declared():
    inferred = VesselFacts(mmsi="150400453", tier="high", score=0.8, flag_inferred_iso3="CHN")
    assert inferred.flag == "CHN"
    assert matches(Concerns(flags=frozenset({"CHN"})), inferred, "alert.raised")


def test_revisions_need_a_new_tier_or_a_real_score_change():
    before = {"tier": "high", "score": 0.80}
    assert is_revision(before, {"tier": "high", "score": 0.84}) is False
    assert is_revision(before, {"tier": "high", "score": 0.85}) is True
    assert is_revision(before, {"tier": "medium", "score": 0.80}) is True
    assert is_revision({}, {"tier": "high", "score": 0.8}) is True  # nothing known before


def test_an_arrival_is_told_once_per_visit_and_again_when_its_eta_moves():
    eta = T + timedelta(hours=30)
    assert arrival_kind(eta, []) == "arrival.expected"
    assert arrival_kind(eta, [eta - timedelta(hours=5)]) is None
    assert arrival_kind(eta, [eta - timedelta(hours=6)]) == "arrival.revised"
    # the last told ETA of this visit counts, not an earlier one
    assert arrival_kind(eta, [eta - timedelta(hours=20), eta + timedelta(hours=1)]) is None
    # a told ETA 8 days away is another visit
    assert arrival_kind(eta, [eta - timedelta(days=8)]) == "arrival.expected"


def test_items_carry_vessel_facts_only_and_say_evidence_not_proof():
    item = alert_item(SQUID, "alert.raised")
    assert item["summary"] == (
        "Alert raised: HAI YANG 7 (MMSI 412000001, flag CHN), tier high, score 0.91, "
        "last port PUNTA ARENAS. Evidence to check, not proof."
    )
    assert "crew_nationalities" not in item and "IDN" not in str(item)
    arrival = VesselFacts(**{**SQUID.__dict__, "eta": T, "eta_low": T - timedelta(hours=6)})
    a = arrival_item(arrival, "arrival.expected")
    assert (a["eta"], a["eta_low"], a["eta_high"]) == (
        "2026-03-01T12:00:00Z",
        "2026-03-01T06:00:00Z",
        None,
    )
    assert "presumed victims" in a["summary"] and "IDN" not in str(a)


def test_reasons_are_the_strongest_first():
    indicators = [
        {"reason": "gaps", "contribution": 0.1},
        {"reason": "long voyages", "contribution": 0.6},
        {"reason": None, "contribution": 0.9},
        {"reason": "encounters", "contribution": 0.3},
        {"reason": "loitering", "contribution": 0.2},
    ]
    assert reasons_summary(indicators) == ("long voyages", "encounters", "loitering")


def test_a_coastal_state_is_in_scope_and_never_sent():
    from dataclasses import replace

    worked_off_argentina = replace(SQUID, coastal_iso3=frozenset({"ARG"}))
    assert matches(Concerns(scope_countries=frozenset({"ARG"})), worked_off_argentina, KINDS[0])
    assert not matches(Concerns(scope_countries=frozenset({"URY"})), worked_off_argentina, KINDS[0])
    # scope, not a concern: an Argentine subscription to Argentine flags still needs the flag
    argentine_flags = Concerns(scope_countries=frozenset({"ARG"}), flags=frozenset({"ARG"}))
    assert not matches(argentine_flags, worked_off_argentina, KINDS[0])
    assert "coastal_iso3" not in alert_item(worked_off_argentina, "alert.raised")
