"""Export periods: whole calendar months (leap years, December, the end of the calendar),
and earlier exports read back from the audit log, including entries made before
recipients were recorded."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from vessel_risk.db.tables import audit
from vessel_risk.referral.exchange_periods import (
    ExchangePeriodError,
    check_export_period,
    check_whole_months,
    earlier_exports,
)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2025, 1, 1), date(2025, 12, 31)),
        (date(2025, 11, 1), date(2026, 2, 28)),
        (date(9999, 12, 1), date(9999, 12, 31)),
    ],
)
def test_whole_months_pass(start, end):
    check_whole_months(start, end)


@pytest.mark.parametrize(
    ("start", "end", "around"),
    [
        (date(2025, 1, 2), date(2025, 3, 31), "2025-01-01 to 2025-03-31"),
        (date(2025, 1, 1), date(2025, 3, 30), "2025-01-01 to 2025-03-31"),
        (date(2024, 2, 1), date(2024, 2, 28), "2024-02-01 to 2024-02-29"),
    ],
)
def test_part_months_are_refused_naming_the_months_around(start, end, around):
    with pytest.raises(ExchangePeriodError, match=f"months around it are {around}"):
        check_whole_months(start, end)


def test_a_reversed_period_is_refused():
    with pytest.raises(ExchangePeriodError, match="ends"):
        check_whole_months(date(2025, 3, 1), date(2025, 1, 31))


def test_earlier_exports_come_from_the_audit_log_old_entries_going_to_the_region(engine):
    with Session(engine) as s, s.begin():
        # Made before recipients were recorded, and not on the monthly grid.
        for actor, state, period in (
            ("old", "THA", ["2024-01-15", "2024-06-14"]),
            ("idn", "IDN", ["2024-01-01", "2024-12-31"]),
        ):
            after = {"state": state, "period": period}
            audit(s, actor=actor, action="exchange.export", entity_type="exchange",
                  entity_id=actor, after=after)  # fmt: skip
    with Session(engine) as s:
        (old,) = earlier_exports(s, state="tha")
        assert (old.recipient, old.start, old.end, old.actor) == (
            "regional",
            date(2024, 1, 15),
            date(2024, 6, 14),
            "old",
        )
        with pytest.raises(ExchangePeriodError, match="2024-01-15 to 2024-06-14"):
            check_export_period(s, state="THA", start=date(2024, 6, 1), end=date(2024, 6, 30))
        after = check_export_period(s, state="THA", start=date(2024, 7, 1), end=date(2024, 9, 30))
        other = check_export_period(
            s, state="THA", start=date(2024, 6, 1), end=date(2024, 6, 30), recipient="kor"
        )
        assert (after, other) == (False, False)


@pytest.mark.parametrize(
    ("today", "refused"),
    [
        (date(2025, 3, 31), True),  # the month's last day: not over yet
        (date(2025, 3, 15), True),  # the month still running
        (date(2025, 1, 1), True),  # a future month
        (date(2025, 4, 1), False),  # the first day after it
    ],
)
def test_a_period_that_has_not_ended_is_refused(engine, today, refused):
    with Session(engine) as s:
        args = {"state": "THA", "start": date(2025, 3, 1), "end": date(2025, 3, 31)}
        if refused:
            with pytest.raises(ExchangePeriodError, match="has not ended"):
                check_export_period(s, today=today, **args)
        else:
            assert check_export_period(s, today=today, **args) is False
