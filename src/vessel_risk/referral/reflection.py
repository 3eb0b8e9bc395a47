"""The reflection and recovery period of a presumed victim, by the rule of the state, pure.

The period follows a presumed victim's identification and gives them time to recover,
escape the influence of traffickers and decide freely whether to cooperate with the
authorities; they may not be removed from the country during it (Council of Europe
Convention on Action against Trafficking in Human Beings, CETS 197, Art. 13: at least
30 days). Periods generally range from 30 to 90 days (seed report §5.1.2).

:data:`REFLECTION_RULES` holds the states whose rule has a citable source; every other
state gets :data:`DEFAULT_RULE` (30 days). An agency in the directory may set a longer
period (``reflection_period_days``): it lengthens the state's rule, never shortens it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

MIN_DAYS = 30
"""The least reflection and recovery period anywhere (CETS 197 Art. 13)."""
MAX_AGENCY_DAYS = 365
"""An agency's period above this is taken for an error in the directory, not a rule."""


@dataclass(frozen=True)
class ReflectionRule:
    """A state's reflection and recovery period.

    Attributes
    ----------
    iso3 : str or None
        The state (ISO 3166-1 alpha-3); None for the default rule.
    days : int
        Length of the period, days (calendar days, counted in UTC).
    phases : tuple of (str, int)
        Its parts in order, label and days; they sum to ``days``.
    source : str
        Where the rule comes from.
    child_phases : tuple of (str, int) or None
        The phases for a child (or a person presumed a child), where the state houses
        children elsewhere; None where they are the same as ``phases``.
    """

    iso3: str | None
    days: int
    phases: tuple[tuple[str, int], ...]
    source: str
    child_phases: tuple[tuple[str, int], ...] | None = None

    def __post_init__(self) -> None:
        for phases in (self.phases, self.child_phases):
            if phases is not None and sum(d for _, d in phases) != self.days:
                raise ValueError(f"Phases {phases} do not sum to {self.days} days.")
        if self.days < MIN_DAYS:
            raise ValueError(f"A reflection period is at least {MIN_DAYS} days (CETS 197 Art. 13).")

    def phases_for(self, *, child: bool = False) -> tuple[tuple[str, int], ...]:
        """The phases that apply to an adult or to a child."""
        return self.child_phases if child and self.child_phases is not None else self.phases

    def ends(self, started_at: datetime) -> datetime:
        """When a period started at ``started_at`` ends: ``started_at + days`` (timedelta,
        so no daylight-saving shift in UTC)."""
        return started_at + timedelta(days=self.days)

    def phase_ends(
        self, started_at: datetime, *, child: bool = False
    ) -> list[tuple[str, datetime]]:
        """Each phase's label and end, in order, for a period started at ``started_at``."""
        out, t = [], started_at
        for label, days in self.phases_for(child=child):
            t = t + timedelta(days=days)
            out.append((label, t))
        return out

    def describe(self) -> str:
        """One line: days, phases and source (stored on the case as its rule)."""
        parts = " + ".join(f"{d} {label}" for label, d in self.phases)
        return f"{self.iso3 or 'default'}: {self.days} days ({parts}); {self.source}"


DEFAULT_RULE = ReflectionRule(
    iso3=None,
    days=MIN_DAYS,
    phases=(("reflection and recovery", MIN_DAYS),),
    source="Council of Europe CETS 197 Art. 13 (at least 30 days); no state rule on record",
)
"""The rule of a state with none on record: 30 days."""

REFLECTION_RULES: dict[str, ReflectionRule] = {
    "THA": ReflectionRule(
        iso3="THA",
        days=45,
        phases=(("victim identification centre", 15), ("government shelter", 30)),
        child_phases=(("Children and Family Home Centre", 15), ("government shelter", 30)),
        source=(
            "Thailand NRM (approved 23 March 2022): 15 days in a victim identification "
            "centre + 30 in a government shelter; children housed in the Children and "
            "Family Home Centre (seed report §5.1.2, §5.2)"
        ),
    ),
}
"""States' rules with a citable source, by ISO3. Add a state only with its source."""


def reflection_rule(state_iso3: str | None, agency_days: int | None = None) -> ReflectionRule:
    """The reflection and recovery period for a presumed victim in ``state_iso3``.

    Parameters
    ----------
    state_iso3 : str or None
        Where the person is (ISO3, any case); None or a state without a rule in
        :data:`REFLECTION_RULES` gets 30 days (:data:`DEFAULT_RULE`).
    agency_days : int or None
        The period the responsible agency's directory entry sets
        (``reflection_period_days``), days. A longer one lengthens the period (an extra
        phase "extended by the agency"); a shorter one changes nothing.

    Returns
    -------
    ReflectionRule
        With ``iso3`` set to the state asked for.

    Raises
    ------
    ValueError
        If ``state_iso3`` is not three letters, or ``agency_days`` is not an integer in
        1 to :data:`MAX_AGENCY_DAYS`.
    """
    iso3 = None
    if state_iso3 is not None:
        iso3 = state_iso3.strip().upper()
        if len(iso3) != 3 or not iso3.isalpha():
            raise ValueError(f"state_iso3 must be an ISO 3166-1 alpha-3 code. Got {state_iso3!r}.")
    rule = REFLECTION_RULES.get(iso3 or "", replace(DEFAULT_RULE, iso3=iso3))
    if agency_days is None:
        return rule
    if isinstance(agency_days, bool) or not isinstance(agency_days, int):
        raise ValueError(f"agency_days must be an integer number of days. Got {agency_days!r}.")
    if not 1 <= agency_days <= MAX_AGENCY_DAYS:
        raise ValueError(f"agency_days must be 1 to {MAX_AGENCY_DAYS}. Got {agency_days}.")
    if agency_days <= rule.days:
        return rule
    extra = ("extended by the agency", agency_days - rule.days)
    return replace(
        rule,
        days=agency_days,
        phases=(*rule.phases, extra),
        child_phases=None if rule.child_phases is None else (*rule.child_phases, extra),
        source=f"{rule.source}; lengthened to {agency_days} days by the agency directory",
    )
