"""Database reads and writes behind the routes, scoped to the caller.

Functions take a session and a :class:`~vessel_risk.api.access.Principal` and return
rows or plain values; they raise ``LookupError`` / ``ValueError`` / ``PermissionError``
and never HTTP errors (those belong to the routes). Out-of-scope rows read as absent,
so a client cannot learn that they exist.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, tuple_
from sqlalchemy.orm import Session, defer

from vessel_risk.alerts import queue
from vessel_risk.alerts.arrival_store import arrival_port_iso3
from vessel_risk.api.access import Principal
from vessel_risk.db.tables import (
    AlertCoastalState,
    AlertRow,
    Case,
    Delivery,
    DeliveryAttempt,
    EvidenceEvent,
    ReferralNotice,
)
from vessel_risk.model.indicators import TIER_LEVEL

MAX_PAGE = 500


@dataclass(frozen=True)
class AlertFilters:
    """Filters of the ranked list; every one given must hold.

    Attributes
    ----------
    tiers, flags : tuple of str
        Any of these tiers; any of these flag states (ISO3).
    gear, port, status : str or None
        Gear; last port label (case-insensitive); review status.
    sources : tuple of str
        Any of these sources (``model`` or a tip's entry point,
        :data:`vessel_risk.alerts.queue.SOURCES`).
    bbox : tuple of 4 floats or None
        (min_lon, min_lat, max_lon, max_lat) in degrees of the last position;
        min_lon > max_lon crosses the antimeridian.
    area : shapely geometry or None
        A polygon the last position lies in (WGS 84 degrees).
    year : int or None
    seen_since, seen_until : datetime or None
        Last AIS position in [seen_since, seen_until] (UTC).
    """

    tiers: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    gear: str | None = None
    port: str | None = None
    status: str | None = None
    sources: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None
    area: BaseGeometry | None = field(default=None, compare=False)
    year: int | None = None
    seen_since: datetime | None = None
    seen_until: datetime | None = None


def encode_cursor(band: int, key: float, alert_id: int) -> str:
    """An opaque cursor for the page after the alert at queue position (``band``,
    ``key``, ``alert_id``) (:func:`vessel_risk.alerts.queue.sort_key`)."""
    raw = json.dumps([band, key, alert_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, float, int]:
    """The (band, key, id) of a cursor.

    Raises
    ------
    ValueError
        If the cursor was not made by :func:`encode_cursor`.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        band, key, alert_id = json.loads(raw)
        ints = (band, alert_id)
        if isinstance(key, bool) or any(
            isinstance(v, bool) or not isinstance(v, int) for v in ints
        ):
            raise TypeError
        key = float(key)
        # a key is a score (a probability) or a tip's urgency, and an id a 32-bit key:
        # anything else (NaN, 1e999, an id past 2**31) was not made here and would
        # overflow the database's types
        if not (
            band in (0, 1, 2)
            and math.isfinite(key)
            and -1.0 <= key <= 1000.0
            and 0 <= alert_id < 2**31
        ):
            raise ValueError
        return band, key, alert_id
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"The cursor {cursor!r} is not one this API gave out.") from exc


def scope_clause(who: Principal) -> ColumnElement[bool] | None:
    """The SQL condition keeping alerts in ``who``'s country and port scope.

    The same rule as :meth:`Principal.may_see`: the last port among the client's ports;
    the routing flag (declared, else inferred), the last port's state or one of the
    alert's coastal states (``alert_coastal_states``, an indexed join, never a text
    match) among its countries.
    """
    if who.is_admin:
        return None
    parts: list[ColumnElement[bool]] = []
    if who.ports:
        parts.append(func.upper(AlertRow.last_port_label).in_(sorted(who.ports)))
    if who.countries:
        c = sorted(who.countries)
        parts.append(
            or_(
                AlertRow.flag_iso3.in_(c),
                and_(AlertRow.flag_iso3.is_(None), AlertRow.flag_inferred_iso3.in_(c)),
                AlertRow.last_port_iso3.in_(c),
                exists().where(
                    AlertCoastalState.alert_id == AlertRow.id, AlertCoastalState.iso3.in_(c)
                ),
            )
        )
    return and_(*parts) if parts else None


def _filter_clauses(f: AlertFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.tiers:
        where.append(AlertRow.tier.in_(f.tiers))
    if f.flags:
        where.append(AlertRow.flag_iso3.in_([x.upper() for x in f.flags]))
    if f.gear:
        where.append(AlertRow.gear == f.gear)
    if f.port:
        where.append(func.upper(AlertRow.last_port_label) == f.port.upper())
    if f.status:
        where.append(AlertRow.status == f.status)
    if f.sources:
        where.append(AlertRow.source.in_(f.sources))
    if f.year is not None:
        where.append(AlertRow.year == f.year)
    if f.seen_since is not None:
        where.append(AlertRow.last_seen >= f.seen_since)
    if f.seen_until is not None:
        where.append(AlertRow.last_seen <= f.seen_until)
    boxes = []
    if f.bbox is not None:
        boxes.append(f.bbox)
    if f.area is not None:
        boxes.append(tuple(float(v) for v in f.area.bounds))  # type: ignore[arg-type]
    for min_lon, min_lat, max_lon, max_lat in boxes:
        where.append(AlertRow.last_lat.between(min_lat, max_lat))
        if min_lon <= max_lon:
            where.append(AlertRow.last_lon.between(min_lon, max_lon))
        else:
            where.append(or_(AlertRow.last_lon >= min_lon, AlertRow.last_lon <= max_lon))
    return where


def list_alerts(
    session: Session,
    who: Principal,
    filters: AlertFilters,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[AlertRow], str | None]:
    """One page of the review queue in its order, keyset-paged.

    The order is :mod:`vessel_risk.alerts.queue`'s: high and medium alerts by score,
    then unscored tips by urgency, then low and "insufficient data" alerts by score;
    ties by id descending.

    Parameters
    ----------
    session : Session
    who : Principal
    filters : AlertFilters
    limit : int, default 50
        Page size, 1 to :data:`MAX_PAGE`.
    cursor : str, optional
        The ``next_cursor`` of the previous page.

    Returns
    -------
    (rows, next_cursor)
        ``next_cursor`` is None on the last page.

    Raises
    ------
    ValueError
        For a cursor this API did not make.
    """
    where = _filter_clauses(filters)
    scope = scope_clause(who)
    if scope is not None:
        where.append(scope)
    after = decode_cursor(cursor) if cursor else None
    rows: list[AlertRow] = []
    batch = limit + 1 if filters.area is None else max(4 * limit, 200)
    band, key, ident = queue.order_columns()
    while len(rows) <= limit:
        # The list shows no indicators: leave the JSON detail unread.
        stmt = select(AlertRow).options(defer(AlertRow.detail)).where(*where)
        if after is not None:
            stmt = stmt.where(tuple_(band, key, ident) < tuple_(*after))
        stmt = stmt.order_by(band.desc(), key.desc(), ident.desc()).limit(batch)
        found = list(session.scalars(stmt))
        for r in found:
            if filters.area is not None and not _in_area(filters.area, r):
                continue
            rows.append(r)
        if len(found) < batch:
            break
        after = _position(found[-1])
    page = rows[:limit]
    more = len(rows) > limit
    return page, encode_cursor(*_position(page[-1])) if more and page else None


def _position(row: AlertRow) -> tuple[int, float, int]:
    """Where ``row`` sits in the queue, as the database computed it."""
    return int(row.queue_band), float(row.queue_key), int(row.id)


def _in_area(area: BaseGeometry, row: AlertRow) -> bool:
    if row.last_lat is None or row.last_lon is None:
        return False
    return bool(area.covers(Point(row.last_lon, row.last_lat)))


def get_alert(session: Session, who: Principal, alert_id: int) -> AlertRow:
    """The alert ``alert_id`` if in ``who``'s scope.

    Raises
    ------
    LookupError
        If there is none or it is out of scope (the two are not told apart).
    """
    alert = session.get(AlertRow, alert_id)
    if alert is None or not who.may_see_alert(alert):
        raise LookupError(f"No alert {alert_id}.")
    return alert


def evidence_of(session: Session, score_ids: list[int]) -> list[EvidenceEvent]:
    """The evidence events of scores ``score_ids``, oldest first."""
    if not score_ids:
        return []
    stmt = (
        select(EvidenceEvent)
        .where(EvidenceEvent.score_id.in_(score_ids))
        .order_by(EvidenceEvent.start, EvidenceEvent.id)
    )
    return list(session.scalars(stmt))


TIP_EXPLANATION = (
    "A person reported this; what they observed is listed with the tip. It is a report "
    "to check, not proof, and the crew are presumed victims, never suspects."
)


def explanation(alert: AlertRow) -> str:
    """The alert's score in words: tier, the reasons, the data and the caveat; for a
    tip's item (no score), that it has none and why
    (:func:`vessel_risk.alerts.queue.unscored_note`)."""
    if alert.score is None:
        return f"{queue.unscored_note(alert.source)}. {TIP_EXPLANATION}"
    detail = alert.detail or {}
    reasons = [str(i.get("reason")) for i in detail.get("indicators", [])]
    because = "; ".join(reasons) if reasons else "no indicator raised the score"
    return (
        f"Scored {alert.score:.2f} ({alert.tier}) by {alert.model_version} for {alert.year}: "
        f"{because}. Based on {detail.get('data_note', 'the data on record')}. "
        f"{detail.get('caveat', '')}".strip()
    )


def vessel_alerts(session: Session, who: Principal, mmsi: str) -> list[AlertRow]:
    """The alerts of vessel ``mmsi`` (every track) in ``who``'s scope, newest year first.

    Raises
    ------
    LookupError
        If the vessel has no alert in scope.
    """
    # a vessel's page shows its AIS years: a tip's own queue item has none
    stmt = select(AlertRow).where(AlertRow.mmsi == mmsi, AlertRow.source == queue.MODEL)
    scope = scope_clause(who)
    if scope is not None:
        stmt = stmt.where(scope)
    alerts = list(session.scalars(stmt.order_by(AlertRow.year.desc(), AlertRow.track_id)))
    if not alerts:
        raise LookupError(f"No vessel {mmsi}.")
    return alerts


def ports(session: Session, who: Principal) -> list[tuple[str, str | None, int, float]]:
    """Ports with alerts in ``who``'s scope: (label, iso3, alerts, max score), busiest first."""
    stmt = (
        select(
            AlertRow.last_port_label,
            func.max(AlertRow.last_port_iso3),
            func.count(AlertRow.id),
            func.max(AlertRow.score),
        )
        .where(AlertRow.last_port_label.is_not(None), AlertRow.source == queue.MODEL)
        .group_by(AlertRow.last_port_label)
    )
    scope = scope_clause(who)
    if scope is not None:
        stmt = stmt.where(scope)
    rows = session.execute(stmt).all()
    out = [(str(r[0]), r[1], int(r[2]), float(r[3] or 0.0)) for r in rows]
    return sorted(out, key=lambda r: (-r[2], r[0]))


def port_iso3(session: Session, port_label: str) -> str | None:
    """The country (ISO3) of a port label as the alerts record it, else as the
    predicted arrivals at it do (:mod:`vessel_risk.alerts.arrival_store`), or None."""
    found = session.scalars(
        select(AlertRow.last_port_iso3)
        .where(func.upper(AlertRow.last_port_label) == port_label.upper())
        .limit(1)
    ).first()
    return found if found is not None else arrival_port_iso3(session, port_label)


def port_known(session: Session, port_label: str) -> bool:
    """Whether any alert names ``port_label`` (case-insensitive) as its last port."""
    stmt = select(AlertRow.id).where(func.upper(AlertRow.last_port_label) == port_label.upper())
    return session.scalars(stmt.limit(1)).first() is not None


def port_queue(
    session: Session, who: Principal, port_label: str, *, since: datetime | None = None
) -> list[AlertRow]:
    """The strongest alert of each vessel whose last port is ``port_label``, ranked.

    A vessel's strongest alert is its vessel-year of highest tier, then score, that a
    reviewer has not dismissed and late data has not withdrawn: a thin recent year
    must not hide a high-risk one from the inspector. Each transmitter track of an MMSI
    counts as a vessel of its own (two transmitters sharing an MMSI may be two hulls).
    Vessels are ranked the same way.

    Parameters
    ----------
    session : Session
    who : Principal
    port_label : str
        Case-insensitive.
    since : datetime, optional
        Only vessels whose last port visit ended at or after this time (UTC), i.e.
        in port or recently arrived.

    Raises
    ------
    PermissionError
        If the port is outside ``who``'s scope.
    """
    label = port_label.upper()
    if not who.may_see_port(label, port_iso3(session, label)):
        raise PermissionError(f"The port {port_label!r} is outside this client's scope.")
    # the queue ranks what AIS shows: a tip's own item (no score) reaches an inspector by
    # review and referral instead
    stmt = select(AlertRow).where(
        func.upper(AlertRow.last_port_label) == label, AlertRow.source == queue.MODEL
    )
    scope = scope_clause(who)
    if scope is not None:  # a label two countries share stops at the scope too
        stmt = stmt.where(scope)
    if since is not None:
        stmt = stmt.where(AlertRow.last_port_departure >= since)
    stmt = stmt.where(AlertRow.status.not_in(("dismissed", "withdrawn")))
    strongest: dict[tuple[str, int], AlertRow] = {}
    for r in session.scalars(stmt):
        vessel = (r.mmsi or f"item:{r.id}", r.track_id)  # a tip naming no MMSI stands alone
        best = strongest.get(vessel)
        if best is None or _strength(r) > _strength(best):
            strongest[vessel] = r
    return sorted(
        strongest.values(), key=lambda r: _strength(r)[:2] + (-(r.rank or 0),), reverse=True
    )


def _strength(alert: AlertRow) -> tuple[float, float, int]:
    """Tier first ("insufficient data" never outranks a real tier; an unscored tip sits
    between medium and low, as in the queue), then score (a tip's urgency), then year."""
    if alert.score is None:
        return (1.5, float(alert.tip_urgency or 0), alert.year)
    return (float(TIER_LEVEL[alert.tier]), alert.score, alert.year)


# --- referral notices -------------------------------------------------------------


def notice_visible(
    session: Session, who: Principal, notice: ReferralNotice, *, acting: bool = False
) -> bool:
    """Whether ``notice`` is in ``who``'s scope, by its routing, never by agency names.

    A notice routed (delivered) to ``who``'s agency is in scope to read; for the other
    roles, so is a notice whose alert is in ``who``'s country, port and flag scope. To
    act on a notice (``acting``: approve, draft) its alert must be in scope, whatever
    the deliveries. A case system reads only what was delivered to its agency.
    """
    if who.is_admin:
        return True
    if not acting and bool(
        session.scalar(
            select(
                exists().where(Delivery.notice_id == notice.id, Delivery.agency_id == who.agency_id)
            )
        )
    ):
        return True
    if who.role == "case_system":
        return False
    alert = session.get(AlertRow, notice.alert_id)
    return alert is not None and who.may_see_alert(alert)


def notice_clause(who: Principal) -> ColumnElement[bool]:
    """The SQL condition on ``referral_notices`` of :func:`notice_visible` (reading)."""
    if who.is_admin:
        return ReferralNotice.id.is_not(None)
    delivered = exists().where(
        Delivery.notice_id == ReferralNotice.id, Delivery.agency_id == who.agency_id
    )
    if who.role == "case_system":
        return delivered
    in_scope = select(AlertRow.id).where(AlertRow.id == ReferralNotice.alert_id)
    scope = scope_clause(who)
    if scope is not None:
        in_scope = in_scope.where(scope)
    return or_(delivered, in_scope.exists())


def list_notices(
    session: Session, who: Principal, *, status: str | None = None, limit: int = 100
) -> list[ReferralNotice]:
    """Notices visible to ``who``, newest first."""
    stmt = select(ReferralNotice).where(notice_clause(who))
    if status:
        stmt = stmt.where(ReferralNotice.status == status)
    stmt = stmt.order_by(ReferralNotice.created_at.desc(), ReferralNotice.id).limit(limit)
    return list(session.scalars(stmt))


def get_notice(
    session: Session, who: Principal, notice_id: str, *, acting: bool = False
) -> ReferralNotice:
    """The notice ``notice_id`` if in ``who``'s scope (:func:`notice_visible`).

    Raises
    ------
    LookupError
        If there is none or it is not visible (not told apart).
    """
    notice = session.get(ReferralNotice, notice_id)
    if notice is None or not notice_visible(session, who, notice, acting=acting):
        raise LookupError(f"No referral notice {notice_id}.")
    return notice


def deliveries_of(
    session: Session, who: Principal, notice_id: str
) -> list[tuple[Delivery, list[DeliveryAttempt]]]:
    """The deliveries of a visible notice (a case system sees its own only)."""
    stmt = select(Delivery).where(Delivery.notice_id == notice_id)
    if who.role == "case_system":
        stmt = stmt.where(Delivery.agency_id == who.agency_id)
    out = []
    for d in session.scalars(stmt.order_by(Delivery.created_at, Delivery.id)):
        attempts = session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == d.id)
            .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
        )
        out.append((d, list(attempts)))
    return out


def delivery_for_receiver(session: Session, who: Principal, delivery_id: str) -> Delivery:
    """The delivery ``delivery_id`` if it went to ``who``'s agency (or ``who`` is admin).

    Raises
    ------
    LookupError
        If there is none or it went to another agency.
    """
    d = session.get(Delivery, delivery_id)
    if d is None or not (who.is_admin or d.agency_id == who.agency_id):
        raise LookupError(f"No delivery {delivery_id}.")
    return d


def attempts_of(session: Session, delivery_id: str) -> list[DeliveryAttempt]:
    """Every attempt of one delivery, oldest first."""
    return list(
        session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == delivery_id)
            .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
        )
    )


def delivery_for_sender(session: Session, who: Principal, delivery_id: str) -> Delivery:
    """The delivery ``delivery_id`` if ``who`` may act on what it carries (requeue it).

    A notice's delivery: the notice must be in ``who``'s scope to act on
    (:func:`notice_visible` with ``acting``). A case's delivery: ``who``'s agency owns the
    case. An admin acts on any.

    Raises
    ------
    LookupError
        If there is none or it is out of scope (not told apart).
    """
    d = session.get(Delivery, delivery_id)
    if d is None:
        raise LookupError(f"No delivery {delivery_id}.")
    if who.is_admin:
        return d
    if d.notice_id is not None:
        notice = session.get(ReferralNotice, d.notice_id)
        if notice is not None and notice_visible(session, who, notice, acting=True):
            return d
    elif d.case_id is not None:
        case = session.get(Case, d.case_id)
        if case is not None and case.owner_agency_id == who.agency_id:
            return d
    raise LookupError(f"No delivery {delivery_id}.")


def nothing() -> ColumnElement[bool]:
    """A condition no row meets."""
    return false()


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types."""
    return json.loads(json.dumps(value, default=str))
