"""The clocks of an approved notice: reflection and recovery period, follow-ups, reminders.

Pure functions of plain values (times, periods, stored schedules); the session side is
:func:`vessel_risk.referral.notices.approve_notice` and
:func:`vessel_risk.referral.notices.due_reminders`.

The reflection and recovery period is at least 30 days (Council of Europe CETS 197
Art. 13; no presumed victim may be removed from the country during it), longer where
the port state's agency sets it. Follow-ups come at 3, 6 and 12 months (Thailand's
survivor monitoring, seed report §5.6). Both clocks start when a person approves the
notice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from vessel_risk.db.tables import as_utc
from vessel_risk.referral.standards import IACAT_INDICATORS, IACAT_STATUSES

MIN_REFLECTION_DAYS = 30
"""Minimum reflection and recovery period (Council of Europe CETS 197 Art. 13)."""
FOLLOW_UP_MONTHS = (3, 6, 12)
"""Follow-up after referral at 3, 6 and 12 months (seed report §5.6, Thailand)."""
REFLECTION_REMINDER_DAYS = 7
"""A reflection period's end is listed as a reminder from this many days before it."""


def _add_months(t: datetime, months: int) -> datetime:
    return (pd.Timestamp(t) + pd.DateOffset(months=months)).to_pydatetime()


def reflection_period_days(port_state_periods_days: Iterable[int | None] = ()) -> int:
    """The reflection and recovery period of a notice, in days.

    Parameters
    ----------
    port_state_periods_days : iterable of int or None
        The periods set by the agencies routed under the port-state rule (None where an
        agency sets none).

    Returns
    -------
    int
        The longest of :data:`MIN_REFLECTION_DAYS` and those periods.
    """
    return max([MIN_REFLECTION_DAYS] + [days or 0 for days in port_state_periods_days])


def reflection_end(approved_at: datetime, period_days: int) -> datetime:
    """When the reflection and recovery period of a notice approved at ``approved_at`` ends."""
    return approved_at + timedelta(days=period_days)


def follow_up_schedule(approved_at: datetime) -> list[dict[str, Any]]:
    """The follow-ups of a notice approved at ``approved_at``, as the notice stores them.

    Parameters
    ----------
    approved_at : datetime
        Timezone-aware UTC.

    Returns
    -------
    list of dict
        One per :data:`FOLLOW_UP_MONTHS`: ``months``, ``due`` (ISO 8601, calendar months
        after ``approved_at``; a day the month lacks becomes its last day, so 31 January
        plus 3 months is 30 April) and ``done_at`` (None).
    """
    return [
        {"months": m, "due": _add_months(approved_at, m).isoformat(), "done_at": None}
        for m in FOLLOW_UP_MONTHS
    ]


@dataclass(frozen=True)
class NoticeClocks:
    """The clocks of an approved notice, as plain values.

    Attributes
    ----------
    notice_id : str
    mmsi : str
    reflection_ends_at : datetime or None
        UTC (naive times are read as UTC).
    follow_ups : sequence of mapping
        As :func:`follow_up_schedule` makes them (``done_at`` set once done).
    """

    notice_id: str
    mmsi: str
    reflection_ends_at: datetime | None
    follow_ups: Sequence[Mapping[str, Any]]


def reminders_due(notices: Iterable[NoticeClocks], now: datetime) -> list[dict[str, Any]]:
    """Reflection periods ending and follow-ups due at ``now``.

    Parameters
    ----------
    notices : iterable of NoticeClocks
        Approved notices.
    now : datetime
        Timezone-aware UTC.

    Returns
    -------
    list of dict
        ``notice_id``, ``mmsi``, ``kind`` (``reflection_period_ends`` or
        ``follow_up_<n>_months``) and ``due`` (UTC), ordered by ``due`` (ties keep the
        order of ``notices``); a reflection end is listed from
        :data:`REFLECTION_REMINDER_DAYS` days before it until it passes, a follow-up
        once due until it is done.
    """
    out = []
    for n in notices:
        ends = as_utc(n.reflection_ends_at)
        if ends is not None and now <= ends <= now + timedelta(days=REFLECTION_REMINDER_DAYS):
            out.append(
                {
                    "notice_id": n.notice_id,
                    "mmsi": n.mmsi,
                    "kind": "reflection_period_ends",
                    "due": ends,
                }
            )
        for f in n.follow_ups:
            due = as_utc(datetime.fromisoformat(f["due"]))
            if f.get("done_at") is None and due is not None and due <= now:
                out.append(
                    {
                        "notice_id": n.notice_id,
                        "mmsi": n.mmsi,
                        "kind": f"follow_up_{f['months']}_months",
                        "due": due,
                    }
                )
    return sorted(out, key=lambda r: r["due"])


FOLLOW_UP_EARLY_DAYS = 14
"""A person's follow-up may be recorded at most this many days before it is due (a
project choice: a 12-month follow-up recorded at 3 months would say nothing of month
12)."""


def case_follow_up_due(assistance_started_at: datetime) -> list[tuple[int, datetime]]:
    """When a person's follow-ups are due: 3, 6 and 12 months after assistance begins.

    Parameters
    ----------
    assistance_started_at : datetime
        When the case entered ``assistance`` (UTC; naive read as UTC).

    Returns
    -------
    list of (int, datetime)
        ``(months, due)`` for each of :data:`FOLLOW_UP_MONTHS` (seed report §5.6,
        Thailand's survivor monitoring), calendar months in UTC; a day the month lacks
        becomes its last day (31 August + 6 months is 28 or 29 February).
    """
    start = as_utc(assistance_started_at)
    if start is None:
        raise ValueError("Follow-ups are scheduled from the start of assistance; none given.")
    return [(m, _add_months(start, m)) for m in FOLLOW_UP_MONTHS]


def check_iacat_statuses(indicators: Mapping[str, str]) -> dict[str, str]:
    """Validate a follow-up's reintegration indicators.

    Parameters
    ----------
    indicators : mapping
        IACAT indicator key (:data:`vessel_risk.referral.standards.IACAT_INDICATORS`,
        seed report §5.6) -> status (:data:`vessel_risk.referral.standards.IACAT_STATUSES`).
        Indicators left out were not assessed at this follow-up.

    Returns
    -------
    dict
        The same, in :data:`IACAT_INDICATORS` order.

    Raises
    ------
    ValueError
        If it is empty, or names an unknown indicator or status.
    """
    if not indicators:
        raise ValueError("A follow-up records at least one IACAT indicator's status.")
    unknown = sorted(set(indicators) - set(IACAT_INDICATORS))
    if unknown:
        raise ValueError(f"Unknown IACAT indicators {unknown}; known: {list(IACAT_INDICATORS)}.")
    bad = {k: v for k, v in indicators.items() if v not in IACAT_STATUSES}
    if bad:
        raise ValueError(f"Unknown IACAT statuses {bad}; statuses: {list(IACAT_STATUSES)}.")
    return {k: indicators[k] for k in IACAT_INDICATORS if k in indicators}
