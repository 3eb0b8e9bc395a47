"""The figures a coordinating body monitors the referral mechanism with: the registry.

Each figure has an id, a name, the definition that computes it and a unit
(:data:`FIGURES`); :mod:`vessel_risk.referral.monitoring` computes them into one long
tidy frame (:data:`COLUMNS`). The seed report asks a coordinating body to monitor the
mechanism with standard indicators (§5.6: follow-up at 3, 6 and 12 months, the
Philippines IACAT reintegration indicators) and to exchange them between member states
(§5.5). Pure: no database, no I/O.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from vessel_risk.referral.follow_ups import FOLLOW_UP_MONTHS
from vessel_risk.referral.standards import IACAT_INDICATORS

COLUMNS: tuple[str, ...] = (
    "figure",
    "period",
    "state",
    "port",
    "flag",
    "nationality",
    "gender",
    "age_group",
    "value",
    "persons",
)
"""The columns of the long frame, in order. ``figure`` is a :data:`FIGURES` id;
``period`` the first day of a calendar month (UTC, a ``datetime.date``), or null for the
whole window; each dimension column holds the value the cell is broken down by, or null
where the row is not broken down by it (a total over it) or the figure does not apply to
it (vessel-level figures carry no nationality, gender or age group); a value that was not
recorded reads ``"unknown"``, never null. ``value`` is a float (a count, or days);
``persons`` how many distinct persons the cell rests on (0 for vessel-level figures)."""

DIMENSIONS: tuple[str, ...] = ("state", "port", "flag", "nationality", "gender", "age_group")
"""What a figure may be broken down by, one at a time (one-way margins)."""

VESSEL_DIMENSIONS: tuple[str, ...] = ("state", "port", "flag")
"""The dimensions of vessel-level figures (alerts, boardings)."""

UNKNOWN = "unknown"
"""The value of a dimension that was not recorded (an alert with no port, a person who
did not state a gender, an intake purged after retention)."""

AGE_GROUPS: tuple[str, ...] = ("child", "18-29", "30-49", "50+", UNKNOWN)
"""Age groups as recorded at screening: ``child`` is under 18 or of uncertain or unknown
age (presumed a child until determined otherwise: ASEAN Do No Harm Guide for Frontline
Responders, p. 15; seed report §5.1.1; CETS 197 Art. 10(3))."""

_BAND_GROUPS = {
    "under_15": "child",
    "15_17": "child",
    "18_24": "18-29",
    "25_34": UNKNOWN,  # straddles 18-29 and 30-49: an adult, group unknown
    "35_49": "30-49",
    "50_plus": "50+",
}


def age_group(intake: dict[str, Any] | None, *, child: bool) -> str:
    """The age group of a person as recorded at screening.

    Parameters
    ----------
    intake : dict or None
        The intake fields (``age`` in years, ``age_band`` from
        :data:`vessel_risk.referral.screening.AGE_BANDS`, ``age_uncertain``); None where
        it is past retention or purged.
    child : bool
        The case's ``child`` flag (under 18, or of uncertain or unknown age).

    Returns
    -------
    str
        One of :data:`AGE_GROUPS`. A child's case is ``child`` whatever the intake says
        (uncertain age: presumed a child); the band 25-34 straddles two groups and reads
        ``unknown``; a purged intake of an adult reads ``unknown``.
    """
    if child:
        return "child"
    if not intake:
        return UNKNOWN
    if intake.get("age_uncertain"):
        return "child"
    age = intake.get("age")
    if age is not None:
        age = int(age)
        if age < 18:
            return "child"
        return "18-29" if age < 30 else "30-49" if age < 50 else "50+"
    band = intake.get("age_band")
    return _BAND_GROUPS.get(str(band), UNKNOWN) if band is not None else UNKNOWN


Level = Literal["vessel", "person"]


@dataclass(frozen=True)
class Figure:
    """One monitoring figure.

    Attributes
    ----------
    id : str
        Stable key (``alerts_raised``), the ``figure`` column of the long frame.
    name : str
        A short label.
    definition : str
        What it counts and how, in words; the page that shows the figure links here.
    unit : str
        ``alerts``, ``inspections``, ``persons``, ``days``, ``follow-ups``,
        ``reflection periods`` or ``transfers``.
    level : {"vessel", "person"}
        Vessel-level figures rest on no person (``persons`` 0) and are broken down by
        :data:`VESSEL_DIMENSIONS` only.
    section : str
        The group it is shown in.
    statistic : {"count", "median"}
        How cells are combined: counts add up over months and dimensions, medians do not.
    """

    id: str
    name: str
    definition: str
    unit: str
    level: Level
    section: str
    statistic: Literal["count", "median"] = "count"

    def as_dict(self) -> dict[str, Any]:
        """The figure as JSON-safe builtins."""
        return asdict(self)


_SIMPLE: list[Figure] = [
    Figure(
        "alerts_raised",
        "Alerts raised",
        "Alerts (one per vessel-year) first recorded in the month (the alert's creation "
        "time). Broken down by the vessel's last port, its state and the declared flag. "
        "Tips from hotlines, NGOs, consulates and first responders are not alerts and are "
        "not counted here.",
        "alerts",
        "vessel",
        "Alerts",
    ),
    Figure(
        "alerts_reviewed",
        "Alerts reviewed",
        "Of the alerts raised in the month, those a person has reviewed to date: the "
        "status history (audit log, alert.status) shows a move to under_review, referred "
        "or dismissed. A machine's withdrawal is not a review.",
        "alerts",
        "vessel",
        "Alerts",
    ),
    Figure(
        "alerts_referred",
        "Alerts referred",
        "Of the alerts raised in the month, those referred to date (a referral notice "
        "approved: the status history shows a move to referred), even if withdrawn since.",
        "alerts",
        "vessel",
        "Alerts",
    ),
    Figure(
        "alerts_dismissed",
        "Alerts dismissed",
        "Of the alerts raised in the month, those whose latest status is dismissed.",
        "alerts",
        "vessel",
        "Alerts",
    ),
    Figure(
        "inspections_recorded",
        "Inspections recorded",
        "Boarding and inspection records whose inspection time falls in the month, "
        "whatever their outcome (including vessels not boarded). Broken down by the "
        "port of inspection, its state and the alert's declared flag.",
        "inspections",
        "vessel",
        "Boardings",
    ),
    Figure(
        "boardings",
        "Boardings",
        "Inspections in the month where the vessel was boarded (outcome confirmed or none_found).",
        "inspections",
        "vessel",
        "Boardings",
    ),
    Figure(
        "boardings_confirmed",
        "Boardings: indicators confirmed",
        "Inspections in the month that confirmed forced-labour indicators on board "
        "(outcome confirmed).",
        "inspections",
        "vessel",
        "Boardings",
    ),
    Figure(
        "boardings_none_found",
        "Boardings: none found",
        "Inspections in the month that found no forced-labour indicator (outcome "
        "none_found). Not a finding that the crew was not exploited.",
        "inspections",
        "vessel",
        "Boardings",
    ),
    Figure(
        "not_boarded",
        "Not boarded",
        "Inspection records in the month where the vessel was not boarded (outcome "
        "not_boarded, with a reason).",
        "inspections",
        "vessel",
        "Boardings",
    ),
    Figure(
        "days_alert_to_boarding",
        "Alert to boarding",
        "Median days from an alert's creation to the first boarding of its vessel-year "
        "(an inspection of the alert with outcome confirmed or none_found), over the "
        "boardings in the month.",
        "days",
        "vessel",
        "Timeliness",
        "median",
    ),
    Figure(
        "persons_screened",
        "Persons screened",
        "Persons whose screening (the opening of their case, at any entry point) falls in "
        "the month. Nationality, gender and age group as recorded at screening.",
        "persons",
        "person",
        "Persons",
    ),
    Figure(
        "persons_presumed",
        "Presumed victims",
        "Of the persons screened in the month, those presumed victims (any ILO "
        "forced-labour indicator present at screening, or moved to presumed_victim since).",
        "persons",
        "person",
        "Persons",
    ),
    Figure(
        "persons_identified",
        "Formally identified",
        "Of the persons screened in the month, those a panel formally identified as "
        "victims (a case transition to identified) by the end of the window.",
        "persons",
        "person",
        "Persons",
    ),
    Figure(
        "persons_children",
        "Children",
        "Of the persons screened in the month, children and persons of uncertain or "
        "unknown age (presumed a child).",
        "persons",
        "person",
        "Persons",
    ),
    Figure(
        "days_boarding_to_screening",
        "Boarding to screening",
        "Median days from a boarding to the screening of each person whose case opened "
        "from it, over the persons screened in the month.",
        "days",
        "person",
        "Timeliness",
        "median",
    ),
    Figure(
        "days_screening_to_assistance",
        "Screening to services",
        "Median days from a person's screening to the start of assistance (the case's "
        "move to assistance), over the persons screened in the month whose assistance "
        "began by the end of the window.",
        "days",
        "person",
        "Timeliness",
        "median",
    ),
    Figure(
        "reflection_granted",
        "Reflection periods granted",
        "Reflection and recovery periods that started in the month (one per presumed "
        "victim; at least 30 days, CETS 197 Art. 13, longer by the state's rule).",
        "reflection periods",
        "person",
        "Reflection",
    ),
    Figure(
        "reflection_ended",
        "Reflection periods ended",
        "Of the periods started in the month, those whose end fell by the end of the window.",
        "reflection periods",
        "person",
        "Reflection",
    ),
    Figure(
        "reflection_respected",
        "Reflection periods respected",
        "Of the periods ended, those with no move to not_identified, return or closed and "
        "no repatriation requested before the period's end (no removal during the "
        "period, CETS 197 Art. 13).",
        "reflection periods",
        "person",
        "Reflection",
    ),
]

_FOLLOW_UPS: list[Figure] = []
for _m in FOLLOW_UP_MONTHS:
    _FOLLOW_UPS += [
        Figure(
            f"followups_due_{_m}m",
            f"{_m}-month follow-ups due",
            f"{_m}-month follow-ups (from the start of assistance; seed report §5.6) due in "
            "the month, by the end of the window.",
            "follow-ups",
            "person",
            "Follow-ups",
        ),
        Figure(
            f"followups_done_{_m}m",
            f"{_m}-month follow-ups done",
            f"Of the {_m}-month follow-ups due in the month, those recorded done by the "
            "end of the window.",
            "follow-ups",
            "person",
            "Follow-ups",
        ),
        Figure(
            f"followups_overdue_{_m}m",
            f"{_m}-month follow-ups overdue",
            f"Of the {_m}-month follow-ups due in the month, those not recorded done by "
            "the end of the window (due = done + overdue).",
            "follow-ups",
            "person",
            "Follow-ups",
        ),
    ]

_IACAT: list[Figure] = []
for _key, _label in IACAT_INDICATORS.items():
    _IACAT += [
        Figure(
            f"iacat_{_key}_assessed",
            f"IACAT: {_label}, assessed",
            f"Follow-ups done (any of 3, 6, 12 months; by the month they were due) that "
            f"assessed the IACAT reintegration indicator '{_label}' (status not_started, "
            "in_progress or achieved; seed report §5.6).",
            "follow-ups",
            "person",
            "Reintegration (IACAT)",
        ),
        Figure(
            f"iacat_{_key}_achieved",
            f"IACAT: {_label}, achieved",
            f"Follow-ups done (by the month they were due) where the IACAT reintegration "
            f"indicator '{_label}' was achieved.",
            "follow-ups",
            "person",
            "Reintegration (IACAT)",
        ),
    ]

_TRANSFERS: list[Figure] = [
    Figure(
        "transfers_requested",
        "Transfers requested",
        "Cases handed to another state's mechanism (any purpose) requested in the month.",
        "transfers",
        "person",
        "Transfers",
    ),
    Figure(
        "transfers_completed",
        "Transfers completed",
        "Of the transfers requested in the month, those whose status is completed.",
        "transfers",
        "person",
        "Transfers",
    ),
    Figure(
        "repatriations_requested",
        "Repatriations requested",
        "Transfers with purpose repatriation requested in the month (seed report §5.4.3).",
        "transfers",
        "person",
        "Transfers",
    ),
    Figure(
        "repatriations_completed",
        "Repatriations completed",
        "Of the repatriations requested in the month, those whose status is completed.",
        "transfers",
        "person",
        "Transfers",
    ),
]

FIGURES: dict[str, Figure] = {f.id: f for f in _SIMPLE + _FOLLOW_UPS + _IACAT + _TRANSFERS}
"""Every monitoring figure by id, in the order the dashboard shows them."""

SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(f.section for f in FIGURES.values()))
"""The sections of :data:`FIGURES`, in order."""
