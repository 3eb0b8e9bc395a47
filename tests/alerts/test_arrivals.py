"""A port's expected arrivals ranked by risk, and those due for a 48 h notice (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vessel_risk.alerts.arrivals import QueuedArrival, arrivals_due_for_notice, rank_arrivals

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


def _arrival(id_: int, hours: float, tier: str | None, score: float | None, **kw) -> QueuedArrival:
    base = {
        "id": id_,
        "mmsi": f"41200000{id_}",
        "track_id": 0,
        "port_label": "BUSAN",
        "port_iso3": "KOR",
        "eta": NOW + timedelta(hours=hours),
        "eta_low": None,
        "eta_high": None,
        "method": "history",
        "confidence": 0.6,
        "insufficient_data": False,
        "tier": tier,
        "score": score,
    }
    return QueuedArrival(**{**base, **kw})


ARRIVALS = [
    _arrival(1, 30, "medium", 0.5),
    _arrival(2, 100, "high", 0.7),
    _arrival(3, 20, "high", 0.9, insufficient_data=True),
    _arrival(4, 10, "insufficient data", 0.0),
    _arrival(5, 5, None, None),  # not scored
    _arrival(6, 40, "high", 0.8, status="superseded"),
    _arrival(7, 24 * 8, "high", 0.95),  # beyond a 7-day window
    _arrival(8, -30, "high", 0.95, eta_high=NOW + timedelta(hours=2)),  # window still open
    _arrival(9, 12, "low", 0.1, port_label="PUNTA ARENAS"),
]


def test_a_port_queue_ranks_by_tier_then_score_within_the_window():
    ranked = rank_arrivals(ARRIVALS, now=NOW, days=7, port_label="busan")
    assert [a.id for a in ranked] == [8, 3, 2, 1, 4, 5]
    assert ranked[1].prediction_note == "insufficient data"
    assert ranked[2].prediction_note == "history"
    assert [a.id for a in rank_arrivals(ARRIVALS, now=NOW, days=1)] == [8, 3, 9, 4, 5]
    with pytest.raises(ValueError, match="positive"):
        rank_arrivals(ARRIVALS, now=NOW, days=0)


def test_high_risk_arrivals_within_48_hours_are_due_for_notice():
    due = arrivals_due_for_notice(ARRIVALS, NOW)
    assert [a.id for a in due] == [3]  # 2 is 100 h away, 8 arrived in the past, 6 superseded
    assert [a.id for a in arrivals_due_for_notice(ARRIVALS, NOW, min_tier="medium")] == [3, 1]
    longer = arrivals_due_for_notice(ARRIVALS, NOW, lead=timedelta(hours=120))
    assert [a.id for a in longer] == [3, 2]
    assert arrivals_due_for_notice(ARRIVALS, NOW, min_tier="low")[0].id == 9
    with pytest.raises(ValueError, match="min_tier"):
        arrivals_due_for_notice(ARRIVALS, NOW, min_tier="insufficient data")
    with pytest.raises(ValueError, match="lead"):
        arrivals_due_for_notice(ARRIVALS, NOW, lead=timedelta(0))
