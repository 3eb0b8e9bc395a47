"""Alert lifecycle rules: which status changes are allowed, and what late data does.

Pure functions of plain values (statuses, tiers, reasons); the database side is
:mod:`vessel_risk.alerts.persistence`.

Statuses: ``new`` → ``under_review`` → ``referred`` | ``dismissed`` (with a reason) |
``withdrawn`` (late data changed the evidence). A dismissed or withdrawn alert can be
reopened for review, with a reason. ``referred`` is reached only by approving a referral
notice: a person approves before anything leaves the system.

When late data drops an unreferred high or medium alert to low or "insufficient data",
the alert is withdrawn, saying why; a referred alert is never withdrawn by a machine:
the change is recorded for a person to decide. When late data raises a withdrawn alert
back to high or medium, it is new again.
"""

from __future__ import annotations

from dataclasses import dataclass

from vessel_risk.model.indicators import TIER_LEVEL

STATUSES = ("new", "under_review", "referred", "dismissed", "withdrawn")
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"under_review", "dismissed", "withdrawn"}),
    "under_review": frozenset({"referred", "dismissed", "withdrawn"}),
    "referred": frozenset({"withdrawn", "under_review"}),
    "dismissed": frozenset({"under_review"}),
    "withdrawn": frozenset({"under_review", "new"}),
}
"""Allowed status changes (from → to). ``referred`` is reached only by approving a
referral notice, and left for review again when its last notice is withdrawn."""

REASON_REQUIRED = frozenset({"dismissed", "withdrawn"})
"""Statuses that need a reason; so does reopening a dismissed or withdrawn alert."""


class TransitionError(ValueError):
    """Raised for a status change the lifecycle does not allow."""


def next_status(
    current: str,
    to: str,
    *,
    alert_id: int,
    reason: str | None = None,
    via_notice: bool = False,
) -> str:
    """The status an alert moves to from ``current`` when ``to`` is asked, if allowed.

    Parameters
    ----------
    current : str
        The alert's status, one of :data:`STATUSES`.
    to : str
        The status asked for.
    alert_id : int
        The alert, named in error messages.
    reason : str, optional
        Required (not blank) for ``dismissed``, ``withdrawn`` and for reopening a
        dismissed, withdrawn or referred alert.
    via_notice : bool, default False
        The change comes from approving or withdrawing a referral notice: the only way
        to or from ``referred`` other than withdrawing a referred alert.

    Returns
    -------
    str
        ``to``.

    Raises
    ------
    TransitionError
        If ``to`` is not in :data:`STATUSES`, the change is not in :data:`TRANSITIONS`,
        the change to or from ``referred`` does not come from a notice, or a needed
        reason is missing (checked in that order).
    """
    if to not in STATUSES:
        raise TransitionError(f"The 'to' parameter must be one of {STATUSES}. Got {to!r} instead.")
    if to not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise TransitionError(
            f"Alert {alert_id} is {current!r}; it can move to {allowed}, not {to!r}."
        )
    if "referred" in (to, current) and to != "withdrawn" and not via_notice:
        raise TransitionError(
            f"Alert {alert_id} is referred by approving a referral notice, and reopened by "
            "withdrawing it (`vessel-risk notices create|approve|withdraw`)."
        )
    reopening = current in ("dismissed", "withdrawn", "referred")
    if (to in REASON_REQUIRED or reopening) and not (reason and reason.strip()):
        raise TransitionError(f"Moving alert {alert_id} from {current!r} to {to!r} needs a reason.")
    return to


@dataclass(frozen=True)
class EvidenceChange:
    """What a re-score that changed an alert's tier does to the alert.

    Attributes
    ----------
    to : str or None
        The status the alert moves to (``withdrawn`` or ``new``); None when only a
        person may decide (a referred alert): the change is recorded, nothing moves.
    reason : str
        Why, for the status change or the audit log.
    """

    to: str | None
    reason: str


def follow_evidence(status: str, old_tier: str, new_tier: str) -> EvidenceChange | None:
    """How an alert of ``status`` follows late data that moved its tier.

    A drop is from high or medium to low or "insufficient data"; a rise the reverse
    (levels of :data:`vessel_risk.model.indicators.TIER_LEVEL`).

    Parameters
    ----------
    status : str
        The alert's status, one of :data:`STATUSES`.
    old_tier, new_tier : str
        The tier before and after the re-score.

    Returns
    -------
    EvidenceChange or None
        ``withdrawn`` for a drop of a ``new`` or ``under_review`` alert; a record for a
        person (``to`` None) for a drop of a ``referred`` alert; ``new`` for a rise of a
        ``withdrawn`` alert; None otherwise.
    """
    dropped = TIER_LEVEL[old_tier] >= 2 and TIER_LEVEL[new_tier] <= 1
    raised = TIER_LEVEL[old_tier] <= 1 and TIER_LEVEL[new_tier] >= 2
    why = f"late data changed the evidence: tier {old_tier} → {new_tier}"
    if dropped and status in ("new", "under_review"):
        return EvidenceChange("withdrawn", why)
    if dropped and status == "referred":
        return EvidenceChange(None, why + "; referred, so a person must decide")
    if raised and status == "withdrawn":
        return EvidenceChange("new", why)
    return None
