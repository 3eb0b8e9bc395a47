"""The clocks of an approved notice: reflection period, follow-ups, reminders (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vessel_risk.referral.follow_ups import (
    FOLLOW_UP_MONTHS,
    MIN_REFLECTION_DAYS,
    NoticeClocks,
    follow_up_schedule,
    reflection_end,
    reflection_period_days,
    reminders_due,
)

APPROVED = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)


def test_follow_ups_fall_3_6_and_12_calendar_months_after_approval():
    assert FOLLOW_UP_MONTHS == (3, 6, 12)
    assert follow_up_schedule(APPROVED) == [
        # 31 April does not exist: the last day of the month
        {"months": 3, "due": "2026-04-30T09:30:00+00:00", "done_at": None},
        {"months": 6, "due": "2026-07-31T09:30:00+00:00", "done_at": None},
        {"months": 12, "due": "2027-01-31T09:30:00+00:00", "done_at": None},
    ]
    leap_day = datetime(2024, 2, 29, 23, 59, tzinfo=UTC)
    assert [f["due"] for f in follow_up_schedule(leap_day)] == [
        "2024-05-29T23:59:00+00:00",
        "2024-08-29T23:59:00+00:00",
        "2025-02-28T23:59:00+00:00",
    ]


def test_the_reflection_period_is_at_least_30_days_or_the_port_states_longer_one():
    assert MIN_REFLECTION_DAYS == 30
    assert reflection_period_days() == 30
    assert reflection_period_days([None, 20]) == 30
    assert reflection_period_days([45, None, 60]) == 60
    assert reflection_end(APPROVED, 45) == datetime(2026, 3, 17, 9, 30, tzinfo=UTC)


def _clocks(notice_id: str, period_days: int = 45, **done: str) -> NoticeClocks:
    follow_ups = [
        {**f, "done_at": done.get(f"m{f['months']}")} for f in follow_up_schedule(APPROVED)
    ]
    return NoticeClocks(notice_id, "412000001", reflection_end(APPROVED, period_days), follow_ups)


def test_reflection_ends_are_due_a_week_ahead_and_follow_ups_once_reached():
    notice = _clocks("n1")  # reflection ends 2026-03-17 09:30
    assert reminders_due([notice], APPROVED + timedelta(days=37)) == []  # 8 days ahead
    assert reminders_due([notice], APPROVED + timedelta(days=44)) == [
        {
            "notice_id": "n1",
            "mmsi": "412000001",
            "kind": "reflection_period_ends",
            "due": datetime(2026, 3, 17, 9, 30, tzinfo=UTC),
        }
    ]
    due = reminders_due([notice], APPROVED + timedelta(days=200))  # 2026-08-19
    assert [(r["kind"], r["due"].isoformat()) for r in due] == [
        ("follow_up_3_months", "2026-04-30T09:30:00+00:00"),
        ("follow_up_6_months", "2026-07-31T09:30:00+00:00"),
    ]


def test_done_follow_ups_are_left_out_and_reminders_are_ordered_by_due_time():
    done = _clocks("n1", m3="2026-05-02T10:00:00+00:00")
    naive_end = NoticeClocks("n2", "412000002", datetime(2026, 8, 20, 12, 0), [])  # as SQLite
    due = reminders_due([done, naive_end], datetime(2026, 8, 19, tzinfo=UTC))
    assert [(r["notice_id"], r["kind"], r["due"].isoformat()) for r in due] == [
        ("n1", "follow_up_6_months", "2026-07-31T09:30:00+00:00"),
        ("n2", "reflection_period_ends", "2026-08-20T12:00:00+00:00"),
    ]


def test_person_follow_ups_are_due_3_6_12_calendar_months_after_assistance():
    from vessel_risk.referral.follow_ups import case_follow_up_due

    start = datetime(2026, 8, 31, 10, tzinfo=UTC)
    assert case_follow_up_due(start) == [
        (3, datetime(2026, 11, 30, 10, tzinfo=UTC)),
        (6, datetime(2027, 2, 28, 10, tzinfo=UTC)),
        (12, datetime(2027, 8, 31, 10, tzinfo=UTC)),
    ]
    with pytest.raises(ValueError, match="start of assistance"):
        case_follow_up_due(None)  # type: ignore[arg-type]


def test_iacat_statuses_are_checked_and_ordered():
    from vessel_risk.referral.follow_ups import check_iacat_statuses

    got = check_iacat_statuses({"legal_rights": "achieved", "individual_recovery": "in_progress"})
    assert list(got) == ["individual_recovery", "legal_rights"]
    with pytest.raises(ValueError, match="at least one"):
        check_iacat_statuses({})
