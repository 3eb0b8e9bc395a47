"""The NRM state machine of a person's case (referral.cases), pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vessel_risk.referral.cases import (
    CASE_STATES,
    CASE_TRANSITIONS,
    CONSENT_DEFAULTS,
    CONSENT_USES,
    CaseError,
    check_transition,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
ENDS = datetime(2026, 4, 15, 12, tzinfo=UTC)
CHILD_PANEL = [{"role": "social_welfare"}, {"role": "child_protection", "agency_id": "tha-cfh"}]


def test_every_state_has_its_moves_and_closed_is_final():
    assert set(CASE_TRANSITIONS) == set(CASE_STATES)
    assert CASE_TRANSITIONS["closed"] == frozenset()
    assert CASE_TRANSITIONS["reflection"] == {"identified", "not_identified"}
    for targets in CASE_TRANSITIONS.values():
        assert targets <= set(CASE_STATES)


def test_consent_uses_and_defaults():
    assert CONSENT_USES == ("services", "referral", "law_enforcement", "consular", "transfer")
    assert CONSENT_DEFAULTS["consular"] is True
    assert CONSENT_DEFAULTS["law_enforcement"] is False


def test_ordinary_move_is_allowed_and_has_no_rule():
    rule = check_transition(
        "screened", "presumed_victim", child=False, now=NOW, reflection_ends_at=None
    )
    assert rule is None


def test_skipping_a_stage_is_refused():
    with pytest.raises(CaseError, match="cannot move from 'screened' to 'identified'"):
        check_transition("screened", "identified", child=False, now=NOW, reflection_ends_at=None)
    with pytest.raises(CaseError, match="closed is final"):
        check_transition("closed", "assistance", child=False, now=NOW, reflection_ends_at=None)
    with pytest.raises(CaseError, match="Unknown case state 'suspect'"):
        check_transition("screened", "suspect", child=False, now=NOW, reflection_ends_at=None)


def test_a_decision_needs_a_panel():
    with pytest.raises(CaseError, match="needs the panel"):
        check_transition("reflection", "identified", child=False, now=NOW, reflection_ends_at=ENDS)
    with pytest.raises(CaseError, match="non-empty 'role'"):
        check_transition(
            "reflection",
            "identified",
            child=False,
            panel=[{"name": "x"}],
            now=NOW,
            reflection_ends_at=ENDS,
        )


def test_child_decision_without_child_protection_member_is_refused():
    with pytest.raises(CaseError, match="child-protection member"):
        check_transition(
            "reflection",
            "identified",
            child=True,
            panel=[{"role": "social_welfare"}],
            now=NOW,
            reflection_ends_at=ENDS,
        )
    rule = check_transition(
        "reflection",
        "identified",
        child=True,
        panel=CHILD_PANEL,
        now=NOW,
        reflection_ends_at=ENDS,
    )
    assert rule == "panel child_protection, social_welfare (child-protection member: seed §5.2)"


def test_identified_may_come_before_the_period_ends():
    rule = check_transition(
        "reflection",
        "identified",
        child=False,
        panel=[{"role": "social_welfare"}],
        now=NOW,
        reflection_ends_at=ENDS,
    )
    assert rule == "panel social_welfare"


def test_not_identified_before_reflection_end_is_refused():
    panel = [{"role": "social_welfare"}]
    with pytest.raises(CaseError, match="cannot be shortened"):
        check_transition(
            "reflection",
            "not_identified",
            child=False,
            panel=panel,
            now=ENDS - timedelta(seconds=1),
            reflection_ends_at=ENDS,
        )
    # Naive times are UTC (SQLite returns them so).
    with pytest.raises(CaseError, match="cannot be shortened"):
        check_transition(
            "reflection",
            "not_identified",
            child=False,
            panel=panel,
            now=datetime(2026, 4, 15, 11),
            reflection_ends_at=datetime(2026, 4, 15, 12),
        )
    assert (
        check_transition(
            "reflection",
            "not_identified",
            child=False,
            panel=panel,
            now=ENDS,
            reflection_ends_at=ENDS,
        )
        == "panel social_welfare"
    )
