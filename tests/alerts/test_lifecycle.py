"""The alert lifecycle rules: allowed status changes, reasons, late data (pure)."""

from __future__ import annotations

import pytest

from vessel_risk.alerts.lifecycle import (
    STATUSES,
    TRANSITIONS,
    EvidenceChange,
    TransitionError,
    follow_evidence,
    next_status,
)

REASON = "new port report"


def test_allowed_changes_return_the_new_status():
    assert next_status("new", "under_review", alert_id=7) == "under_review"
    assert next_status("new", "dismissed", alert_id=7, reason="carrier is a tug") == "dismissed"
    assert next_status("dismissed", "under_review", alert_id=7, reason=REASON) == "under_review"
    assert next_status("under_review", "referred", alert_id=7, via_notice=True) == "referred"


def test_a_change_outside_the_table_is_refused_naming_what_is_allowed():
    with pytest.raises(TransitionError) as err:
        next_status("new", "referred", alert_id=7, via_notice=True)
    assert str(err.value) == (
        "Alert 7 is 'new'; it can move to dismissed, under_review, withdrawn, not 'referred'."
    )
    with pytest.raises(TransitionError, match="Got 'closed' instead"):
        next_status("new", "closed", alert_id=7)


@pytest.mark.parametrize(
    ("current", "to"),
    [(c, t) for c in STATUSES for t in STATUSES if t not in TRANSITIONS[c]],
)
def test_every_change_outside_the_table_is_refused(current, to):
    with pytest.raises(TransitionError, match="it can move to"):
        next_status(current, to, alert_id=1, reason=REASON, via_notice=True)


def test_referred_is_reached_and_left_through_a_notice_except_to_withdraw():
    with pytest.raises(TransitionError, match="approving a referral notice"):
        next_status("under_review", "referred", alert_id=7)
    with pytest.raises(TransitionError, match="withdrawing it"):
        next_status("referred", "under_review", alert_id=7, reason=REASON)
    assert next_status("referred", "under_review", alert_id=7, reason=REASON, via_notice=True)
    assert next_status("referred", "withdrawn", alert_id=7, reason="wrong vessel") == "withdrawn"


def test_dismissing_withdrawing_and_reopening_need_a_reason():
    for current, to in [
        ("new", "dismissed"),
        ("under_review", "withdrawn"),
        ("dismissed", "under_review"),
        ("withdrawn", "new"),
    ]:
        for reason in (None, "", "   "):
            with pytest.raises(TransitionError, match="needs a reason"):
                next_status(current, to, alert_id=7, reason=reason)
    with pytest.raises(TransitionError) as err:
        next_status("referred", "under_review", alert_id=7, via_notice=True)
    assert str(err.value) == "Moving alert 7 from 'referred' to 'under_review' needs a reason."


def test_late_data_withdraws_unreferred_alerts_and_leaves_referred_ones_to_a_person():
    why = "late data changed the evidence: tier high → low"
    assert follow_evidence("new", "high", "low") == EvidenceChange("withdrawn", why)
    assert follow_evidence("under_review", "high", "low") == EvidenceChange("withdrawn", why)
    assert follow_evidence("referred", "medium", "insufficient data") == EvidenceChange(
        None,
        "late data changed the evidence: tier medium → insufficient data; "
        "referred, so a person must decide",
    )
    assert follow_evidence("withdrawn", "low", "medium") == EvidenceChange(
        "new", "late data changed the evidence: tier low → medium"
    )


def test_late_data_within_a_band_or_on_a_closed_alert_changes_nothing():
    assert follow_evidence("new", "high", "medium") is None  # still high or medium
    assert follow_evidence("under_review", "low", "insufficient data") is None
    assert follow_evidence("dismissed", "high", "low") is None  # a person closed it
    assert follow_evidence("withdrawn", "high", "low") is None
    assert follow_evidence("new", "low", "high") is None  # only a withdrawn alert reopens
