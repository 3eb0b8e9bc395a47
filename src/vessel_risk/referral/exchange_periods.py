"""Fixed export periods for the regional exchange: whole calendar months, never overlapping.

Disclosure control (:mod:`vessel_risk.referral.disclosure`) protects the cells of one
export. Two exports whose periods overlap can be differenced: January-March and
January-April share three months, so the second's whole-period totals minus the
first's are April's totals, including the April cells the second export withheld; and
two exports of overlapping periods made at different times differ by whatever was
revised in between, which may be one person. So :func:`check_export_period` holds every
export to a fixed grid:

- **Whole calendar months.** An export starts on the first day of a month and ends on
  the last day of a month (UTC). The month is the grid because it is the finest period
  the figures are published at (the ``period`` column of the indicators is a month), so
  every export is a run of the same atoms that every other export uses; a quarter or a
  year is a run of months. A grid of years would forbid a first export before a year
  has ended; a grid of days would let month cells be split between exports.
- **Months that have ended.** The last day must be before today (UTC). An export of a
  month still running (or of a future one) would fix that period on the grid with
  partial figures, and its only successor, a re-send of the completed month, could be
  differenced against it.
- **No overlap with an earlier export to the same recipient.** An export whose months
  overlap those of an earlier export of this state to the same recipient is refused,
  unless it covers exactly the same period: that is a re-send (a lost file, a corrected
  figure), allowed and recorded like any export. Adjacent periods (January-March, then
  April-June) never overlap. The recipient is whoever the export is made for: by
  default ``"regional"``, the regional exchange every member state imports from, so
  exports to the region are all checked against each other. Exports to different
  recipients are not compared: recipients that pass exports on to each other should
  be given the same recipient name.
- **A re-send carries the same figures.** Two exports of one period whose protected
  figures differ (a person screened since, a corrected figure, another ``k``) difference
  to the change, which may be one person. So each export records the SHA-256 of its
  protected figures and ``k`` (:func:`figures_digest`), and a re-send whose digest is
  not that of every earlier export of the period is refused
  (:func:`check_resend_figures`), as is a re-send of an export recorded before digests
  were (nothing shows its figures are the same).

Where earlier exports are found: the audit log. Every export writes an
``exchange.export`` entry in the transaction that makes it (:func:`build_export
<vessel_risk.referral.exchange_store.build_export>`), with its state, period and, from
now on, recipient; an entry without a recipient was made for the regional exchange.
That log is append-only and already holds every export this database ever made, so
the rule covers exports made before it existed, which a new table would have started
without; no migration is needed.

Limit: two exports requested at the same moment in two transactions are each checked
against the log as committed, so both may pass; exports are a coordinator's occasional
act, made one at a time.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import AuditEntry
from vessel_risk.referral.exchange import ExchangeError

__all__ = [
    "DEFAULT_RECIPIENT",
    "EarlierExport",
    "ExchangePeriodError",
    "check_export_period",
    "check_resend_figures",
    "check_whole_months",
    "earlier_exports",
    "figures_digest",
]

DEFAULT_RECIPIENT = "regional"
"""The regional exchange: the recipient of an export unless another is named."""


class ExchangePeriodError(ExchangeError):
    """An export period that is not whole months, or that overlaps an earlier export."""


@dataclass(frozen=True)
class EarlierExport:
    """One export this database made, as its audit entry records it.

    Attributes
    ----------
    export_id : str
        SHA-256 of the export's canonical form.
    state, recipient : str
    start, end : date
        First and last day, inclusive.
    actor : str
        Who made it.
    figures_sha256 : str or None
        :func:`figures_digest` of the export; None for one recorded before digests.
    """

    export_id: str
    state: str
    recipient: str
    start: date
    end: date
    actor: str
    figures_sha256: str | None = None


def _last_day(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def check_whole_months(start: date, end: date) -> None:
    """Refuse a period that is not a run of whole calendar months.

    Parameters
    ----------
    start, end : date
        First and last day (UTC, inclusive).

    Raises
    ------
    ExchangePeriodError
        ``end`` before ``start``, ``start`` not the first of a month, or ``end`` not the
        last day of a month; the message names the whole months around the period.
    """
    if end < start:
        raise ExchangePeriodError(f"The period ends ({end}) before it starts ({start}).")
    if start.day != 1 or end != _last_day(end):
        whole = f"{start.replace(day=1)} to {_last_day(end)}"
        raise ExchangePeriodError(
            f"An export covers whole calendar months, so that two exports never share "
            f"part of a month: {start} to {end} is not; the months around it are {whole}."
        )


def _entry_export(entry: AuditEntry) -> EarlierExport | None:
    after: dict[str, Any] = entry.after or {}
    period = after.get("period")
    if not (isinstance(period, list) and len(period) == 2):
        return None
    try:
        start, end = date.fromisoformat(str(period[0])), date.fromisoformat(str(period[1]))
    except ValueError:
        return None
    return EarlierExport(
        export_id=entry.entity_id or "",
        state=str(after.get("state") or ""),
        recipient=str(after.get("recipient") or DEFAULT_RECIPIENT),
        start=start,
        end=end,
        actor=entry.actor,
        figures_sha256=str(after["figures_sha256"]) if after.get("figures_sha256") else None,
    )


def earlier_exports(
    session: Session, *, state: str, recipient: str = DEFAULT_RECIPIENT
) -> list[EarlierExport]:
    """This database's exports of ``state`` to ``recipient``, oldest first.

    Parameters
    ----------
    session : Session
    state : str
        ISO3, any case.
    recipient : str, default "regional"
        Compared without case ("REGIONAL" is the regional exchange).

    Returns
    -------
    list of EarlierExport
        Read from the ``exchange.export`` audit entries (see the module docstring).
    """
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "exchange.export", AuditEntry.entity_type == "exchange")
        .order_by(AuditEntry.id)
    )
    found = (_entry_export(e) for e in entries)
    return [
        e
        for e in found
        if e is not None
        and e.state == state.upper()
        and e.recipient.strip().lower() == recipient.strip().lower()
    ]


def check_export_period(
    session: Session,
    *,
    state: str,
    start: date,
    end: date,
    recipient: str = DEFAULT_RECIPIENT,
    today: date | None = None,
) -> bool:
    """Refuse an export period off the monthly grid, not yet ended, or overlapping an
    earlier export.

    Parameters
    ----------
    session : Session
    state : str
        The exporting state, ISO3.
    start, end : date
        First and last day (UTC, inclusive).
    recipient : str, default "regional"
        Who the export is for (see the module docstring).
    today : date, optional
        Today (UTC); default the clock's. The period must end before it.

    Returns
    -------
    bool
        True when the export re-sends a period already exported to ``recipient``,
        False for a new period.

    Raises
    ------
    ExchangePeriodError
        Not whole months (:func:`check_whole_months`), ending today or later, or
        overlapping an earlier export to the same recipient without being the same
        period; the message names the earlier export's period and who made it.
    """
    check_whole_months(start, end)
    today = today or datetime.now(UTC).date()
    if end >= today:
        raise ExchangePeriodError(
            f"{start} to {end} has not ended (today is {today}, UTC): an export covers "
            "months that are over, so that a later export of the same months never "
            "differs from it by what happened since."
        )
    resend = False
    for earlier in earlier_exports(session, state=state, recipient=recipient):
        if (earlier.start, earlier.end) == (start, end):
            resend = True
        elif earlier.start <= end and start <= earlier.end:
            raise ExchangePeriodError(
                f"{start} to {end} overlaps the export of {earlier.start} to {earlier.end} "
                f"to {recipient!r} (made by {earlier.actor}): two overlapping exports can "
                "be differenced to reveal cells the disclosure control withheld. Export "
                "the months after it, or re-send exactly that period."
            )
    return resend


def figures_digest(indicators: Sequence[Mapping[str, Any]], k: int) -> str:
    """SHA-256 (hex) of an export's protected figures and its ``k``.

    Parameters
    ----------
    indicators : sequence of mapping
        The export's ``indicators`` table as records (its JSON form).
    k : int
        The disclosure threshold the figures were protected at.
    """
    body = json.dumps(
        {"indicators": list(indicators), "k": int(k)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def check_resend_figures(
    session: Session,
    *,
    state: str,
    start: date,
    end: date,
    digest: str,
    recipient: str = DEFAULT_RECIPIENT,
) -> None:
    """Refuse a re-send whose figures differ from an earlier export of the same period.

    Parameters
    ----------
    session : Session
    state : str
        ISO3.
    start, end : date
        The period (a re-send's: equal to an earlier export's).
    digest : str
        :func:`figures_digest` of the export being made.
    recipient : str, default "regional"

    Raises
    ------
    ExchangePeriodError
        An earlier export of the period to ``recipient`` has other figures, or recorded
        none (made before digests), so the two could be differenced.
    """
    for earlier in earlier_exports(session, state=state, recipient=recipient):
        if (earlier.start, earlier.end) != (start, end) or earlier.figures_sha256 == digest:
            continue
        raise ExchangePeriodError(
            f"{start} to {end} was exported to {recipient!r} before (by {earlier.actor}) "
            f"with other figures{'' if earlier.figures_sha256 else ' (or figures not recorded)'}"
            ": two exports of one period with different figures can be differenced to "
            "reveal cells the disclosure control withheld. Re-send the earlier file, or "
            "export the months after it."
        )
