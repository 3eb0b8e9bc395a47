"""Which subscriptions an alert or an expected arrival concerns, and what they are told (pure).

An agency subscribes to the vessels that concern it (issue 18 part 4): vessels at its
ports, of its flag, or whose recorded crew includes its nationals, at or above a risk
tier. This module decides, from plain records, whether an event concerns a subscription
(:func:`matches`), whether an alert's rescoring or an arrival's new ETA is worth a
revised message (:func:`is_revision`, :func:`arrival_kind`), and builds the message item
(:func:`alert_item`, :func:`arrival_item`): vessel facts only (MMSI, name, flag, tier,
score, a summary of the reasons, port, ETA), never a person. Person-level data flows
only through cases and the person's consents (:mod:`vessel_risk.referral.cases`).

Rules
-----
- **Scope first**: a subscription never matches what its client could not read through
  the API. The rule is :meth:`vessel_risk.api.access.Principal.may_see`'s, applied to
  the event's port (an alert's last port; an arrival's port), the routing flag
  (declared, else inferred) and the alert's recorded coastal states
  (:mod:`vessel_risk.alerts.coastal`).
- **Concerns, any one**: a vessel matches when its port is one of ``ports``, its flag
  one of ``flags``, or one of its crew nationalities (recorded on its notices and
  boardings: country codes, no person) one of ``nationalities``; a subscription naming
  none of the three concerns every vessel in scope.
- **Tier, always**: the vessel's tier must reach ``min_tier`` in
  :data:`vessel_risk.model.indicators.TIER_LEVEL` order; "insufficient data" reaches
  none but itself, and is never called low risk.
- **Revisions**: a rescored alert is revised for its subscribers when its tier changes
  or its score moves by at least :data:`MIN_SCORE_CHANGE`; an arrival when its port
  changes or its ETA moves by at least :data:`MIN_ETA_CHANGE_H` hours. Both thresholds
  are this project's choice (no published standard), meant to keep re-runs that change
  nothing from flooding an inspector.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vessel_risk.model.indicators import TIER_LEVEL

KINDS = ("alert.raised", "alert.revised", "arrival.expected", "arrival.revised")
"""The events a subscription may ask for (``Subscription.kinds``)."""
CHANNELS = ("webhook", "email")
"""How a subscription is sent (``Subscription.channel``)."""
MODES = ("immediate", "digest")
"""One message per event, or one digest every ``digest_every_h`` hours."""

MIN_SCORE_CHANGE = 0.05
"""Smallest score change (score in [0, 1]) that makes a rescoring a revision."""
MIN_ETA_CHANGE_H = 6.0
"""Smallest ETA change, in hours, that makes a new arrival prediction a revision."""
SAME_VISIT_H = 7 * 24.0
"""Two predictions of one vessel at one port within this many hours are one visit."""
DEFAULT_LEAD_H = 48.0
"""An inspector is told of a high-risk arrival this many hours ahead by default (issue 18)."""


@dataclass(frozen=True)
class Concerns:
    """What one subscription asks for, and the scope of the client that made it.

    Attributes
    ----------
    ports : frozenset of str
        Port labels, upper case.
    flags, nationalities : frozenset of str
        ISO 3166-1 alpha-3 codes.
    min_tier : str
        A key of :data:`~vessel_risk.model.indicators.TIER_LEVEL`.
    kinds : frozenset of str
        Members of :data:`KINDS`.
    scope_countries, scope_ports : frozenset of str
        The subscribing client's scope (empty: unrestricted), as
        :class:`vessel_risk.api.access.Principal` holds it.
    unrestricted : bool
        The client is an admin (reads everything).
    """

    ports: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    nationalities: frozenset[str] = frozenset()
    min_tier: str = "high"
    kinds: frozenset[str] = frozenset(KINDS)
    scope_countries: frozenset[str] = frozenset()
    scope_ports: frozenset[str] = frozenset()
    unrestricted: bool = False


@dataclass(frozen=True)
class VesselFacts:
    """The vessel facts an event carries (an alert's, with an arrival's port and ETA).

    Attributes
    ----------
    alert_id : int or None
    mmsi : str
    track_id : int
    shipname : str or None
    flag_iso3, flag_inferred_iso3 : str or None
        Declared flag (valid MID) and flag inferred without the MID.
    tier : str
    score : float
        In [0, 1].
    reasons : tuple of str
        The strongest reasons, strongest first.
    port_label, port_iso3 : str or None
        The alert's last port, or the arrival's port.
    coastal_iso3 : frozenset of str
        The alert's coastal states (ISO3; recorded with it); used for scope, never sent.
    crew_nationalities : frozenset of str
        Crew nationalities recorded on the vessel's notices and boardings (country codes
        only); used to match, never sent.
    eta, eta_low, eta_high : datetime or None
        Expected arrival (UTC) and its interval, for an arrival.
    """

    mmsi: str
    tier: str
    score: float
    alert_id: int | None = None
    track_id: int = 0
    shipname: str | None = None
    flag_iso3: str | None = None
    flag_inferred_iso3: str | None = None
    reasons: tuple[str, ...] = ()
    port_label: str | None = None
    port_iso3: str | None = None
    coastal_iso3: frozenset[str] = field(default_factory=frozenset)
    crew_nationalities: frozenset[str] = field(default_factory=frozenset)
    eta: datetime | None = None
    eta_low: datetime | None = None
    eta_high: datetime | None = None

    @property
    def flag(self) -> str | None:
        """The routing flag: declared, else inferred."""
        return self.flag_iso3 or self.flag_inferred_iso3


def in_scope(concerns: Concerns, facts: VesselFacts) -> bool:
    """Whether the subscribing client may read ``facts`` (``Principal.may_see``'s rule)."""
    if concerns.unrestricted:
        return True
    port = (facts.port_label or "").upper()
    if concerns.scope_ports and port not in concerns.scope_ports:
        return False
    if not concerns.scope_countries:
        return True
    return bool(({facts.port_iso3, facts.flag} | facts.coastal_iso3) & concerns.scope_countries)


def reaches(tier: str, min_tier: str) -> bool:
    """Whether ``tier`` is at or above ``min_tier``; "insufficient data" reaches only itself.

    Raises
    ------
    KeyError
        For a tier not in :data:`~vessel_risk.model.indicators.TIER_LEVEL`.
    """
    if min_tier == "insufficient data" or tier == "insufficient data":
        return tier == min_tier
    return TIER_LEVEL[tier] >= TIER_LEVEL[min_tier]


def matches(concerns: Concerns, facts: VesselFacts, kind: str) -> bool:
    """Whether an event of ``kind`` about ``facts`` concerns a subscription (module rules).

    Parameters
    ----------
    concerns : Concerns
    facts : VesselFacts
    kind : str
        One of :data:`KINDS`.

    Returns
    -------
    bool
    """
    if kind not in concerns.kinds or facts.tier not in TIER_LEVEL:
        return False
    if not reaches(facts.tier, concerns.min_tier) or not in_scope(concerns, facts):
        return False
    if not (concerns.ports or concerns.flags or concerns.nationalities):
        return True
    return (
        (facts.port_label or "").upper() in concerns.ports
        or facts.flag in concerns.flags
        or bool(facts.crew_nationalities & concerns.nationalities)
    )


def is_revision(
    before: Mapping[str, Any], after: Mapping[str, Any], *, min_change: float = MIN_SCORE_CHANGE
) -> bool:
    """Whether a rescoring (``{"tier", "score"}`` before and after) is worth a revised message.

    True when the tier changed or the score moved by ``min_change`` or more.
    """
    if before.get("tier") != after.get("tier"):
        return True
    try:
        return round(abs(float(after["score"]) - float(before["score"])), 9) >= min_change
    except (KeyError, TypeError, ValueError):
        return True


def arrival_kind(
    eta: datetime,
    told: Sequence[datetime],
    *,
    min_change_h: float = MIN_ETA_CHANGE_H,
    same_visit_h: float = SAME_VISIT_H,
) -> str | None:
    """Which arrival message, if any, a prediction of ``eta`` is for one subscription.

    Parameters
    ----------
    eta : datetime
        The predicted arrival (UTC) of one vessel at one port.
    told : sequence of datetime
        ETAs of that vessel at that port the subscription was told of, oldest first.

    Returns
    -------
    str or None
        ``arrival.expected`` when nothing was told of this visit (no told ETA within
        ``same_visit_h`` hours), ``arrival.revised`` when the last told ETA of this
        visit is ``min_change_h`` hours or more away, else None (nothing new).
    """
    visit = [t for t in told if abs((t - eta).total_seconds()) <= same_visit_h * 3600.0]
    if not visit:
        return "arrival.expected"
    if abs((visit[-1] - eta).total_seconds()) >= min_change_h * 3600.0:
        return "arrival.revised"
    return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _facts(facts: VesselFacts) -> dict[str, Any]:
    return {
        "alert_id": facts.alert_id,
        "mmsi": facts.mmsi,
        "track_id": facts.track_id,
        "shipname": facts.shipname,
        "flag_iso3": facts.flag_iso3,
        "flag_inferred_iso3": facts.flag_inferred_iso3,
        "tier": facts.tier,
        "score": round(float(facts.score), 3),
        "reasons": list(facts.reasons),
        "port_label": facts.port_label,
        "port_iso3": facts.port_iso3,
    }


def alert_item(facts: VesselFacts, kind: str) -> dict[str, Any]:
    """The message item of an alert event: vessel facts and a one-line summary.

    Returns
    -------
    dict
        ``kind``, ``summary`` and the fields of :class:`VesselFacts` that may be sent
        (crew nationalities are not).
    """
    verb = "raised" if kind == "alert.raised" else "revised"
    name = facts.shipname or "unnamed vessel"
    summary = (
        f"Alert {verb}: {name} (MMSI {facts.mmsi}, flag {facts.flag or 'unknown'}), "
        f"tier {facts.tier}, score {facts.score:.2f}"
        + (f", last port {facts.port_label}" if facts.port_label else "")
        + ". Evidence to check, not proof."
    )
    return {"kind": kind, "summary": summary, **_facts(facts)}


def arrival_item(facts: VesselFacts, kind: str) -> dict[str, Any]:
    """The message item of an arrival event: the vessel's facts, port and ETA interval."""
    name = facts.shipname or "unnamed vessel"
    when = facts.eta.strftime("%Y-%m-%d %H:%M UTC") if facts.eta else "unknown"
    verb = "expected" if kind == "arrival.expected" else "now expected (revised)"
    summary = (
        f"{name} (MMSI {facts.mmsi}, flag {facts.flag or 'unknown'}, tier {facts.tier}, "
        f"score {facts.score:.2f}) {verb} at {facts.port_label} around {when}. "
        "Evidence to check, not proof; the crew are presumed victims."
    )
    return {
        "kind": kind,
        "summary": summary,
        **_facts(facts),
        "eta": _iso(facts.eta),
        "eta_low": _iso(facts.eta_low),
        "eta_high": _iso(facts.eta_high),
    }


def reasons_summary(indicators: Sequence[Mapping[str, Any]], n: int = 3) -> tuple[str, ...]:
    """The ``n`` strongest reasons of an alert's indicators (by contribution), as text."""
    ranked = sorted(
        (i for i in indicators if i.get("reason")),
        key=lambda i: -float(i.get("contribution") or 0.0),
    )
    return tuple(str(i["reason"]) for i in ranked[:n])


def normalise_codes(values: Iterable[str]) -> frozenset[str]:
    """Upper-cased, stripped, non-empty values (port labels or country codes)."""
    return frozenset(v.strip().upper() for v in values if v and v.strip())
