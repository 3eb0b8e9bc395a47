"""Where items sit in the one review queue (vessel_risk.alerts.queue)."""

from __future__ import annotations

from types import SimpleNamespace

from vessel_risk.alerts.queue import band, sort_key, tip_urgency, unscored_note


def _item(id_, tier, score=None, source="model", urgency=None):
    return SimpleNamespace(id=id_, tier=tier, score=score, source=source, tip_urgency=urgency)


def test_tips_sit_after_high_and_medium_and_before_low():
    items = [
        _item(1, "low", 0.30),
        _item(2, "high", 0.90),
        _item(3, "unscored", source="ngo", urgency=tip_urgency(False, 2)),
        _item(4, "insufficient data", 0.05),
        _item(5, "medium", 0.25),  # a medium of another run scored below a low: still first
        _item(6, "unscored", source="hotline", urgency=tip_urgency(True, 0)),
        _item(7, "unscored", source="consulate", urgency=tip_urgency(False, 2)),
    ]
    order = [i.id for i in sorted(items, key=sort_key, reverse=True)]
    assert order == [2, 5, 6, 7, 3, 1, 4]  # urgent first; equal tips newest first
    assert [band("high", "model"), band("unscored", "ngo"), band("low", "model")] == [2, 1, 0]


def test_a_low_alert_a_tip_joined_moves_to_the_tips_band():
    items = [
        _item(1, "insufficient data", 0.05, urgency=tip_urgency(True, 1)),  # thin AIS, urgent tip
        _item(2, "unscored", source="ngo", urgency=tip_urgency(False, 2)),
        _item(3, "low", 0.40),
        _item(4, "high", 0.90, urgency=tip_urgency(True, 0)),  # already first: stays in band 2
    ]
    assert [i.id for i in sorted(items, key=sort_key, reverse=True)] == [4, 1, 2, 3]
    assert band("insufficient data", "model", 101) == 1 and band("low", "model") == 0


def test_urgency_and_the_note():
    assert tip_urgency(True, 11) == 111 and tip_urgency(False, 3) == 3
    assert unscored_note("first_responder") == "no model score: tip from first responder"
