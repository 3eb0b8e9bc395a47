"""The state machine of one person's case in a National Referral Mechanism, pure.

A case follows the stages of an NRM (OSCE/ODIHR NRM Handbook, 2nd ed., 2022; seed report
§3.2.2, §4.1.2, §4.2): a person is **screened**; where indicators are present they are a
**presumed victim** (seed §5.1.2) and a **reflection** and recovery period starts (at
least 30 days, Council of Europe CETS 197 Art. 13); a panel decides **identified** or
**not_identified**; **assistance** follows, then **return** (repatriation, seed §5.4.3)
or **integration**, and the case is **closed**. Support never depends on cooperation with
law enforcement (non-punishment principle, ASEAN Convention against Trafficking in
Persons Art. 14(7)).

Rules enforced here (:func:`check_transition`):

- only the moves in :data:`CASE_TRANSITIONS`;
- a decision (``identified`` / ``not_identified``) names its panel; on a child's case
  (or a person of uncertain age, presumed a child) the panel includes a child-protection
  member (Thailand's NRM: the head of the Children and Family Home department sits on
  the panel, seed §5.2);
- ``not_identified`` is refused before the reflection period ends: the period cannot be
  shortened by a negative decision (CETS 197 Art. 13: no removal during the period).

The session side (rows, audit) is :mod:`vessel_risk.referral.case_store`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from vessel_risk.db.base import as_utc

CASE_STATES: tuple[str, ...] = (
    "screened",
    "presumed_victim",
    "reflection",
    "identified",
    "not_identified",
    "assistance",
    "return",
    "integration",
    "closed",
)
"""The states of a case, in the order of the NRM's stages."""

CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    # No indicator present and no reasonable grounds: the screening closes the case.
    "screened": frozenset({"presumed_victim", "closed"}),
    "presumed_victim": frozenset({"reflection"}),
    "reflection": frozenset({"identified", "not_identified"}),
    "identified": frozenset({"assistance"}),
    # A person not formally identified may still be assisted as a migrant vulnerable to
    # exploitation (IOM Guidance on Referral Mechanisms, 2019, cited by seed §5.1.4).
    "not_identified": frozenset({"assistance", "closed"}),
    "assistance": frozenset({"return", "integration", "closed"}),
    "return": frozenset({"integration", "closed"}),
    "integration": frozenset({"closed"}),
    "closed": frozenset(),
}
"""Allowed moves: state -> states it may move to. ``closed`` is final."""

TRANSITIONS = CASE_TRANSITIONS
"""Alias of :data:`CASE_TRANSITIONS` (the name :class:`vessel_risk.db.tables.Case` cites)."""

DECISIONS = frozenset({"identified", "not_identified"})
"""The states a panel decides (the conclusive identification decision)."""

CHILD_PROTECTION_ROLE = "child_protection"
"""The panel role a decision on a child's case needs (seed §5.2)."""

CONSENT_USES: tuple[str, ...] = ("services", "referral", "law_enforcement", "consular", "transfer")
"""The uses of a person's data, each consented to separately (issue 17; CETS 197
Art. 11): support services, referral to the NRM case system, law enforcement, consular
notice of their country, transfer to another state's mechanism."""

CONSENT_DEFAULTS: dict[str, bool] = {
    "services": False,
    "referral": False,
    "law_enforcement": False,
    "consular": True,
    "transfer": False,
}
"""What holds where a person has not decided: nothing is shared except a consular
notice of their country, which goes unless the person objects (issue 17 item 4)."""


class CaseError(ValueError):
    """A case change the NRM's rules refuse; the message says which rule and why."""


def _check_panel(panel: Sequence[Mapping[str, Any]]) -> None:
    for member in panel:
        if not isinstance(member, Mapping) or not str(member.get("role") or "").strip():
            raise CaseError(
                "Each panel member is a mapping with a non-empty 'role' "
                f"(e.g. {{'role': 'child_protection', 'agency_id': ...}}). Got {member!r}."
            )


def check_transition(
    state: str,
    to_state: str,
    *,
    child: bool,
    panel: Sequence[Mapping[str, Any]] = (),
    now: datetime,
    reflection_ends_at: datetime | None,
) -> str | None:
    """Check that a case in ``state`` may move to ``to_state``; raise if not.

    Parameters
    ----------
    state, to_state : str
        Members of :data:`CASE_STATES`.
    child : bool
        The case is a child's, or a person of uncertain age presumed a child (ASEAN Do
        No Harm Guide for Frontline Responders, p. 15; seed §5.1.1; CETS 197 Art. 10(3)).
    panel : sequence of mapping
        Who decided, for ``identified`` / ``not_identified``: one mapping per member with
        at least ``role`` (e.g. ``{"role": "child_protection", "agency_id": "tha-dcy"}``).
    now : datetime
        When the move happens (UTC; naive read as UTC).
    reflection_ends_at : datetime or None
        End of the case's reflection and recovery period (UTC), None if none started.

    Returns
    -------
    str or None
        The rule that allowed a decision (e.g. ``"panel with child_protection (seed
        §5.2)"``), recorded on the transition; None for other moves.

    Raises
    ------
    CaseError
        If a state is unknown, the move is not in :data:`CASE_TRANSITIONS`, a decision
        has no panel, a child's decision has no child-protection member, or
        ``not_identified`` comes before ``reflection_ends_at``.
    """
    for s in (state, to_state):
        if s not in CASE_STATES:
            raise CaseError(f"Unknown case state {s!r}; states are {list(CASE_STATES)}.")
    if to_state not in CASE_TRANSITIONS[state]:
        allowed = sorted(CASE_TRANSITIONS[state]) or "none (closed is final)"
        raise CaseError(f"A case cannot move from {state!r} to {to_state!r}; allowed: {allowed}.")
    if to_state not in DECISIONS:
        return None
    _check_panel(panel)
    if not panel:
        raise CaseError(
            f"The decision {to_state!r} needs the panel that took it "
            "(at least one member with a role)."
        )
    roles = {str(m["role"]).strip() for m in panel}
    if child and CHILD_PROTECTION_ROLE not in roles:
        raise CaseError(
            f"The decision {to_state!r} on a child's case (or a person of uncertain age, "
            "presumed a child) needs a child-protection member on the panel "
            f"(role {CHILD_PROTECTION_ROLE!r}; seed report §5.2). Panel roles: {sorted(roles)}."
        )
    if to_state == "not_identified":
        ends = as_utc(reflection_ends_at)
        if ends is None:
            raise CaseError("'not_identified' needs a reflection period that has run its course.")
        if (as_utc(now) or now) < ends:
            raise CaseError(
                f"'not_identified' is refused before the reflection and recovery period ends "
                f"({ends.isoformat()}): the period cannot be shortened (CETS 197 Art. 13)."
            )
    rule = "panel " + ", ".join(sorted(roles))
    if child:
        rule += " (child-protection member: seed §5.2)"
    return rule
