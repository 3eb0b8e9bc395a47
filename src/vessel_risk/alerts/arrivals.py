"""A port's expected arrivals ranked by risk, and which ones its inspector is told of.

Pure: functions of plain records (:class:`QueuedArrival`: a prediction of
:mod:`vessel_risk.events.arrivals` as stored in ``expected_arrivals``, with its vessel's
current alert tier and score). Reading and writing the rows is
:mod:`vessel_risk.alerts.arrival_store`.

A vessel's risk is its current alert's tier, then score: "insufficient data" never
outranks a real tier, and a vessel with no alert (not scored) ranks last. A prediction
whose own data are thin (``insufficient_data``) is shown as "insufficient data", never
as a firm arrival. A risk score is evidence for planning a boarding, never proof; the
crew are presumed victims, never suspects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vessel_risk.model.indicators import TIER_LEVEL

NOTICE_LEAD = timedelta(hours=48)
"""How long before a high-risk vessel's expected arrival the port inspector is told
(issue 18: 48 h by default)."""
NOTICE_MIN_TIER = "high"
"""The lowest alert tier an arrival notice goes out for by default."""
INSUFFICIENT = "insufficient data"


@dataclass(frozen=True)
class QueuedArrival:
    """One expected arrival at a port with its vessel's current risk.

    Times are timezone-aware UTC. ``tier``/``score`` are the vessel's current alert's
    (None: no alert); ``insufficient_data`` is the prediction's own thin-data flag.
    """

    id: int
    mmsi: str
    track_id: int
    port_label: str
    port_iso3: str | None
    eta: datetime
    eta_low: datetime | None
    eta_high: datetime | None
    method: str
    confidence: float
    insufficient_data: bool
    status: str = "expected"
    alert_id: int | None = None
    vessel_id: str | None = None
    tier: str | None = None
    score: float | None = None
    shipname: str | None = None
    flag_iso3: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def prediction_note(self) -> str:
        """``"insufficient data"`` for a thin prediction, else the method's name."""
        return INSUFFICIENT if self.insufficient_data else self.method


def risk_key(a: QueuedArrival) -> tuple[int, float, datetime, str, int]:
    """Sort key, highest risk first: tier, score, then the earlier ETA, MMSI, track."""
    level = TIER_LEVEL.get(a.tier, -1) if a.tier is not None else -1
    return (-level, -(a.score if a.score is not None else -1.0), a.eta, a.mmsi, a.track_id)


def rank_arrivals(
    arrivals: Iterable[QueuedArrival],
    *,
    now: datetime,
    days: float,
    port_label: str | None = None,
) -> list[QueuedArrival]:
    """Arrivals expected from ``now`` to ``now + days``, highest risk first.

    Parameters
    ----------
    arrivals : iterable of QueuedArrival
    now : datetime
        UTC.
    days : float
        Window length in days (> 0); an arrival counts when its window
        (``eta_low``..``eta_high``, or ``eta``) meets ``[now, now + days]``.
    port_label : str, optional
        Keep only this port (case-insensitive).

    Returns
    -------
    list of QueuedArrival
        Status ``expected`` only, ranked by :func:`risk_key`.

    Raises
    ------
    ValueError
        If ``days`` is not positive.
    """
    if days <= 0:
        raise ValueError(f"The 'days' window must be positive. Got {days!r}.")
    end = now + timedelta(days=days)
    label = port_label.upper() if port_label else None
    kept = [
        a
        for a in arrivals
        if a.status == "expected"
        and (label is None or a.port_label.upper() == label)
        and (a.eta_low or a.eta) <= end
        and (a.eta_high or a.eta) >= now
    ]
    return sorted(kept, key=risk_key)


def arrivals_due_for_notice(
    arrivals: Sequence[QueuedArrival],
    now: datetime,
    lead: timedelta = NOTICE_LEAD,
    min_tier: str = NOTICE_MIN_TIER,
) -> list[QueuedArrival]:
    """The expected arrivals a port inspector is to be told of at ``now``.

    An arrival is due when it is ``expected``, its ETA lies in ``(now, now + lead]`` and
    its vessel's current alert tier is ``min_tier`` or above (``"insufficient data"`` and
    no alert never are). A thin prediction is still due (a high-risk vessel may be
    coming); its ``prediction_note`` says "insufficient data". Telling each inspector
    once per arrival (and again when the ETA or port is revised) is the delivery's job.

    Parameters
    ----------
    arrivals : sequence of QueuedArrival
    now : datetime
        UTC.
    lead : timedelta, default 48 h (:data:`NOTICE_LEAD`)
    min_tier : str, default "high"
        A key of :data:`vessel_risk.model.indicators.TIER_LEVEL`.

    Returns
    -------
    list of QueuedArrival
        Earliest ETA first, then highest risk.

    Raises
    ------
    ValueError
        If ``min_tier`` is not a tier or ``lead`` is not positive.
    """
    if min_tier not in TIER_LEVEL or min_tier == INSUFFICIENT:
        raise ValueError(f"Unknown min_tier {min_tier!r}; use one of high, medium, low.")
    if lead <= timedelta(0):
        raise ValueError(f"The notice lead must be positive. Got {lead!r}.")
    floor = TIER_LEVEL[min_tier]
    due = [
        a
        for a in arrivals
        if a.status == "expected"
        and a.tier is not None
        and TIER_LEVEL.get(a.tier, 0) >= floor
        and now < a.eta <= now + lead
    ]
    return sorted(due, key=lambda a: (a.eta, risk_key(a)))
