"""What the dashboard's vessel and approval pages show, gathered from the database.

* :func:`event_page`: one page of a vessel's evidence events, filtered by kind and by
  dates (UTC), counted and paged in SQL, so a vessel with thousands of events is a
  short page (:data:`PAGE_SIZE` rows) and never one long table.
* :func:`coverage`: how much data a score rests on, in words, with "insufficient data"
  where the vessel-year is thin (the limits of
  :func:`vessel_risk.features.coverage.thin_coverage`).
* :func:`approval_view`: what a person sees before approving a draft notice: the score,
  tier and reasons the notice carries, their data coverage, and who will receive it, by
  which rule and how (from :func:`vessel_risk.referral.notices.preview_notice`).

Pure of HTTP: the routes of :mod:`vessel_risk.api.routes.dashboard` call these and
render the templates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import Agency, AlertRow, EvidenceEvent, ReferralNotice
from vessel_risk.features.coverage import MIN_DAYS_OBSERVED, MIN_POSITIONS

PAGE_SIZE = 25
"""Events per page of the vessel page's events tab."""
LOW_OBSERVED_SHARE = 0.1
"""Below this share of the year's days heard, coverage reads "low" (the lowest bin of
the run report's ``vessel_years_by_observed_share``)."""

RULE_WORDS = {
    "flag_state": "maritime authority of the flag state",
    "port_state": "authority of the state of the last or next port",
    "coastal_state": "coastal state where the vessel worked",
    "crew_consular": "consular service of the crew's countries",
}
"""Each routing rule of :mod:`vessel_risk.referral.routing` in words (a rule not named
here shows as its name)."""
TRANSPORT_WORDS = {
    "webhook": "sent to its system (signed webhook)",
    "primero": "opened as a case in its case system (Primero)",
    "manual": "waits for a person to pass it on (no endpoint)",
}
"""How a delivery leaves, per agency transport."""


@dataclass(frozen=True)
class EventFilter:
    """The events tab's filter: kind, first and last day (UTC, inclusive), and the
    problems found reading the form (each already said to the user; the field is then
    left out)."""

    kind: str | None = None
    start: date | None = None
    end: date | None = None
    errors: tuple[str, ...] = ()


def _day(text: str, name: str, errors: list[str]) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(f"{name} {text!r} is not a date (YYYY-MM-DD); it is ignored.")
        return None


def parse_event_filter(kind: str, start: str, end: str, kinds: Iterable[str]) -> EventFilter:
    """Read the events tab's form.

    Parameters
    ----------
    kind : str
        An event kind, or empty for every kind.
    start, end : str
        ``YYYY-MM-DD`` (UTC) or empty.
    kinds : iterable of str
        The kinds the vessel has.

    Returns
    -------
    EventFilter
        An unknown kind or a bad date is reported in ``errors`` and left out; a first
        day after the last is reported and both days are left out.
    """
    errors: list[str] = []
    chosen = kind.strip() or None
    if chosen is not None and chosen not in set(kinds):
        errors.append(f"No event of kind {chosen!r} here; showing every kind.")
        chosen = None
    first = _day(start, "From", errors)
    last = _day(end, "To", errors)
    if first and last and first > last:
        errors.append(f"From {first} is after To {last}; the dates are ignored.")
        first = last = None
    return EventFilter(kind=chosen, start=first, end=last, errors=tuple(errors))


@dataclass(frozen=True)
class EventPage:
    """One page of a vessel's events.

    Attributes
    ----------
    events : list of EvidenceEvent
        This page's events, oldest first.
    total : int
        Events matching the filter.
    page, pages : int
        This page (from 1) and the number of pages (at least 1).
    first, last : int
        1-based positions of this page's first and last event among ``total`` (0, 0
        when none).
    by_kind : dict of str to int
        Every event of the vessel in scope by kind, whatever the filter.
    """

    events: list[EvidenceEvent]
    total: int
    page: int
    pages: int
    first: int
    last: int
    by_kind: dict[str, int] = field(default_factory=dict)


def event_kinds(session: Session, score_ids: Sequence[int]) -> dict[str, int]:
    """Events of scores ``score_ids`` by kind, kinds sorted."""
    if not score_ids:
        return {}
    stmt = (
        select(EvidenceEvent.kind, func.count())
        .where(EvidenceEvent.score_id.in_(score_ids))
        .group_by(EvidenceEvent.kind)
    )
    return {str(k): int(n) for k, n in sorted(session.execute(stmt).all())}


def event_page(
    session: Session,
    score_ids: Sequence[int],
    flt: EventFilter,
    page: int = 1,
    *,
    size: int = PAGE_SIZE,
) -> EventPage:
    """One page of the evidence events of scores ``score_ids`` that pass ``flt``.

    Parameters
    ----------
    session : Session
    score_ids : sequence of int
        The current scores of the vessel-years in the caller's scope.
    flt : EventFilter
        Kind, and days: an event is kept when it overlaps them (ends on or after the
        first day's 00:00 UTC and starts before the day after the last day).
    page : int, default 1
        From 1; a page past the last gives the last.
    size : int, default :data:`PAGE_SIZE`

    Returns
    -------
    EventPage
    """
    by_kind = event_kinds(session, score_ids)
    if not score_ids:
        return EventPage([], 0, 1, 1, 0, 0, by_kind)
    where: list[ColumnElement[bool]] = [EvidenceEvent.score_id.in_(score_ids)]
    if flt.kind:
        where.append(EvidenceEvent.kind == flt.kind)
    if flt.start:
        where.append(EvidenceEvent.end >= datetime.combine(flt.start, datetime.min.time(), UTC))
    if flt.end:
        after = datetime.combine(flt.end + timedelta(days=1), datetime.min.time(), UTC)
        where.append(EvidenceEvent.start < after)
    total = int(session.scalar(select(func.count()).select_from(EvidenceEvent).where(*where)) or 0)
    pages = max(1, math.ceil(total / size))
    page = min(max(1, page), pages)
    stmt = (
        select(EvidenceEvent)
        .where(*where)
        .order_by(EvidenceEvent.start, EvidenceEvent.id)
        .offset((page - 1) * size)
        .limit(size)
    )
    events = list(session.scalars(stmt))
    first = (page - 1) * size + 1 if events else 0
    return EventPage(
        events, total, page, pages, first, first + len(events) - 1 if events else 0, by_kind
    )


@dataclass(frozen=True)
class Coverage:
    """How much data a vessel-year rests on.

    Attributes
    ----------
    text : str
        Positions, days and share of the year heard, in words.
    thin : bool
        Fewer than :data:`~vessel_risk.features.coverage.MIN_POSITIONS` positions or
        :data:`~vessel_risk.features.coverage.MIN_DAYS_OBSERVED` days: "insufficient
        data", the tier such a vessel-year gets.
    low : bool
        Heard on fewer than :data:`LOW_OBSERVED_SHARE` of the year's days.
    """

    text: str
    thin: bool
    low: bool


def coverage(
    position_messages: int | None, days_observed: int | None, observed_share: float | None
) -> Coverage:
    """The coverage of a vessel-year (unknown counts are said as unknown and are thin)."""
    positions = "unknown" if position_messages is None else f"{position_messages:,}"
    days = "unknown" if days_observed is None else f"{days_observed:,}"
    share = (
        "share of the year heard unknown"
        if observed_share is None
        else f"heard on {observed_share:.0%} of the year's days in the data"
    )
    thin = (
        position_messages is None
        or position_messages < MIN_POSITIONS
        or (days_observed is not None and days_observed < MIN_DAYS_OBSERVED)
    )
    low = observed_share is not None and observed_share < LOW_OBSERVED_SHARE
    return Coverage(f"{positions} positions on {days} days; {share}", thin, low)


@dataclass(frozen=True)
class Recipient:
    """One agency a draft would go to, and how."""

    agency: str
    country_iso3: str | None
    role: str | None
    why: str
    how: str
    needs_confirmation: bool


@dataclass(frozen=True)
class ApprovalView:
    """What the approval screen shows of one draft notice before a person approves it.

    Attributes
    ----------
    notice : ReferralNotice
    preview : dict
        :func:`vessel_risk.referral.notices.preview_notice`'s answer.
    shipname : str or None
        As broadcast (text from data, escaped by the template).
    score, tier : float or None, str or None
        What the notice carries (its payload's ``risk``).
    current : str or None
        When the alert was rescored since the notice was drafted: its score now.
    reasons : list of str
        The notice's indicators in words.
    coverage : Coverage
    recipients : list of Recipient
    contents : list of str
        What every recipient receives, in words.
    """

    notice: ReferralNotice
    preview: Mapping[str, Any]
    shipname: str | None
    score: float | None
    tier: str | None
    current: str | None
    reasons: list[str]
    coverage: Coverage
    recipients: list[Recipient]
    contents: list[str]


def approval_view(
    session: Session, notice: ReferralNotice, preview: Mapping[str, Any]
) -> ApprovalView:
    """The approval screen's view of a draft ``notice`` and its ``preview``."""
    payload = notice.payload or {}
    risk = payload.get("risk") or {}
    period = payload.get("period") or {}
    vessel = payload.get("vessel") or {}
    alert = session.get(AlertRow, notice.alert_id)
    score = risk.get("score")
    current = None
    if alert is not None and score is not None and alert.score_id != notice.score_id:
        current = f"rescored since this notice was drafted: now {alert.score:.2f} ({alert.tier})"
    agencies = {a.id: a for a in session.scalars(select(Agency))}
    recipients = []
    for r in preview.get("routes", []):
        agency = agencies.get(r["agency_id"])
        recipients.append(
            Recipient(
                agency=r.get("agency_name") or r["agency_id"],
                country_iso3=r.get("country_iso3") or (agency.country_iso3 if agency else None),
                role=r.get("role") or (agency.role if agency else None),
                why=RULE_WORDS.get(r["rule"], r["rule"]),
                how=TRANSPORT_WORDS.get(agency.transport, agency.transport)
                if agency
                else "unknown",
                needs_confirmation=bool(r.get("needs_confirmation")),
            )
        )
    indicators = payload.get("indicators") or []
    events = sum(int(i.get("evidence_events_total") or 0) for i in indicators)
    last_port = payload.get("last_port") or {}
    crew = payload.get("crew_nationalities_iso3") or []
    contents = [
        f"the vessel: {vessel.get('vessel_label') or notice.mmsi}, name, flag, gear, "
        "identity history",
        f"the risk: score {score:.2f}, tier {risk.get('tier')}, with the caveat"
        if score is not None
        else f"the risk: {risk.get('data_note') or 'not recorded in this draft'}",
        f"{len(indicators)} reason(s) with {events} evidence event(s)",
        f"last port: {last_port.get('label')}" if last_port else "no last port",
        f"crew countries: {', '.join(crew)}" if crew else "no crew countries",
        "inspection checks, interview guidance and the reflection period; no crew personal data",
        f"the source: {payload.get('source') or 'model'}"
        + (
            f"; also reported by {', '.join(payload['reported_by'])}"
            if payload.get("reported_by")
            else ""
        ),
    ]
    return ApprovalView(
        notice=notice,
        preview=preview,
        shipname=vessel.get("shipname"),
        score=score,
        tier=risk.get("tier"),
        current=current,
        reasons=[str(i.get("reason")) for i in indicators],
        coverage=coverage(
            period.get("position_messages"),
            period.get("days_observed"),
            None if alert is None else alert.observed_share,
        ),
        recipients=recipients,
        contents=contents,
    )


DISTANCE_COLUMNS = ("distance_from_shore_km", "distance_from_port_km")
"""The distances of ``positions.parquet`` the track tab plots."""


def track_distances(
    positions_path: Any, mmsi: str, spans: frozenset[tuple[int, int]] | None
) -> Any:
    """A vessel's positions with their distances from shore and port, in scope.

    Parameters
    ----------
    positions_path : Path
        A run's ``positions.parquet``.
    mmsi : str
    spans : frozenset of (track_id, year), or None
        The (transmitter track, year) pairs in the caller's scope; None: all.

    Returns
    -------
    DataFrame
        ``timestamp`` (UTC) and whichever of :data:`DISTANCE_COLUMNS` the file has
        (km), sorted by time; a run written before those columns has none of them.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    present = set(pq.read_schema(positions_path).names)
    columns = ["track_id", "timestamp", *(c for c in DISTANCE_COLUMNS if c in present)]
    frame = pd.read_parquet(positions_path, columns=columns, filters=[("mmsi", "==", mmsi)])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    if spans is not None:
        keys = zip(frame["track_id"].astype(int), frame["timestamp"].dt.year, strict=True)
        frame = frame.loc[[(int(t), int(y)) in spans for t, y in keys]]
    return frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
