"""Where each item sits in the one review queue: the model's alerts and unscored tips.

The review queue holds the model's scored vessel-years (``source`` ``model``) and the
tips of the mechanism's other entry points that named no vessel already in the queue
(``source`` the entry point: :data:`TIP_SOURCES`). A tip is never scored: its item has
tier :data:`UNSCORED` and a null score, and says so (:func:`unscored_note`).

The queue's order (:func:`band`, then the key within the band, then the newest id):

1. **band 2**: alerts of tier high or medium, score descending;
2. **band 1**: unscored tips, and low or "insufficient data" alerts a tip joined,
   :func:`tip_urgency` descending (urgent first, then by how
   many ILO forced-labour indicators the source observed);
3. **band 0**: alerts of tier low or "insufficient data", score descending.

So a tip is read after the alerts the model ranks high or medium and before the ones
it ranks low or cannot rank: a person reported it, and thin or low-scored AIS data says
less than a person's account, while the model's high and medium tiers rest on a year of
evidence that a reviewer has to read first anyway. The order is one SQL expression
(:func:`order_columns`: two columns the database computes and indexes), so the API's
keyset pages, the dashboard and the CLI follow it alike.
"""

from __future__ import annotations

from typing import Any

from vessel_risk.db.tables import AlertRow

MODEL = "model"
"""The source of a scored alert."""

TIP_SOURCES = ("hotline", "ngo", "consulate", "first_responder", "port_welfare", "other")
"""The entry points a tip may come from (the seed report's first responders, hotlines,
NGOs and consulates; port welfare workers; anything else)."""

SOURCES = (MODEL, *TIP_SOURCES)
"""Every source of a queue item."""

UNSCORED = "unscored"
"""The tier of a tip's queue item: it has no score."""

URGENT_WEIGHT = 100
"""What marking a tip urgent adds to its urgency: more than the 11 ILO indicators."""


def tip_urgency(urgent: bool, ilo_indicators: int) -> int:
    """A tip's place among tips: ``100 * urgent + ilo_indicators`` (not a score).

    Parameters
    ----------
    urgent : bool
        The source says a person is at risk now.
    ilo_indicators : int
        How many ILO forced-labour indicators the source observed (0-11).
    """
    return URGENT_WEIGHT * int(bool(urgent)) + int(ilo_indicators)


def unscored_note(source: str) -> str:
    """What a tip's item says where an alert shows its score."""
    return f"no model score: tip from {source.replace('_', ' ')}"


def band(tier: str, source: str, tip_urgency: int | None = None) -> int:
    """The queue band of an item: 2 for high or medium alerts; 1 for a tip's own item and
    for a low or "insufficient data" alert a tip joined (a person reported the vessel:
    thin AIS must not bury it); 0 for other low or "insufficient data" alerts."""
    if source != MODEL or tier == UNSCORED:
        return 1
    if tier in ("high", "medium"):
        return 2
    return 1 if tip_urgency is not None else 0


def sort_key(row: Any) -> tuple[int, float, int]:
    """The queue position of a row with ``tier``, ``source``, ``score``, ``tip_urgency``
    and ``id`` (greater first): :func:`band`, the key within it (the tips' urgency in
    band 1, else the score), the id."""
    b = band(row.tier, row.source or MODEL, row.tip_urgency)
    key = float(row.tip_urgency or 0) if b == 1 else float(row.score or 0.0)
    return (b, key, int(row.id or 0))


def order_columns() -> tuple[Any, Any, Any]:
    """(band, key, id) as columns of ``alerts``, each to sort descending: the stored
    generated columns ``queue_band`` and ``queue_key`` the database computes by
    :func:`band` and :func:`sort_key`'s rule, indexed with ``id``."""
    return AlertRow.queue_band, AlertRow.queue_key, AlertRow.id
