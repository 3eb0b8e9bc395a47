"""Reflection and recovery periods by the state's rule (referral.reflection)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vessel_risk.referral.reflection import REFLECTION_RULES, ReflectionRule, reflection_rule


def test_thailand_is_45_days_15_plus_30():
    rule = reflection_rule("tha")
    assert rule.iso3 == "THA"
    assert rule.days == 45
    assert rule.phases == (("victim identification centre", 15), ("government shelter", 30))
    assert "§5.1.2" in rule.source
    start = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    # 45 days in UTC: 15 April 09:30, whatever daylight saving does elsewhere.
    assert rule.ends(start) == datetime(2026, 4, 15, 9, 30, tzinfo=UTC)
    assert rule.phase_ends(start) == [
        ("victim identification centre", datetime(2026, 3, 16, 9, 30, tzinfo=UTC)),
        ("government shelter", datetime(2026, 4, 15, 9, 30, tzinfo=UTC)),
    ]


def test_thai_children_are_housed_apart():
    rule = reflection_rule("THA")
    assert rule.phases_for(child=True)[0] == ("Children and Family Home Centre", 15)
    assert rule.phases_for(child=False)[0] == ("victim identification centre", 15)


def test_unknown_state_gets_30_days():
    rule = reflection_rule("IDN")
    assert (rule.iso3, rule.days) == ("IDN", 30)
    assert "CETS 197 Art. 13" in rule.source
    assert reflection_rule(None).days == 30
    start = datetime(2026, 2, 1, tzinfo=UTC)
    assert rule.ends(start) == datetime(2026, 3, 3, tzinfo=UTC)


def test_agency_may_lengthen_never_shorten():
    longer = reflection_rule("THA", agency_days=60)
    assert longer.days == 60
    assert longer.phases[-1] == ("extended by the agency", 15)
    assert longer.phases_for(child=True)[-1] == ("extended by the agency", 15)
    assert "lengthened to 60 days" in longer.source
    assert reflection_rule("THA", agency_days=20) == REFLECTION_RULES["THA"]
    assert reflection_rule("IDN", agency_days=20).days == 30
    assert reflection_rule("IDN", agency_days=90).days == 90


@pytest.mark.parametrize("bad", [0, -5, 400, 30.5, True])
def test_bad_agency_days_are_refused(bad):
    with pytest.raises(ValueError, match="agency_days"):
        reflection_rule("THA", agency_days=bad)


def test_bad_state_and_rules_below_30_are_refused():
    with pytest.raises(ValueError, match="alpha-3"):
        reflection_rule("TH")
    with pytest.raises(ValueError, match="at least 30"):
        ReflectionRule(iso3="XXX", days=20, phases=(("x", 20),), source="none")
    with pytest.raises(ValueError, match="do not sum"):
        ReflectionRule(iso3="XXX", days=45, phases=(("x", 20),), source="none")
