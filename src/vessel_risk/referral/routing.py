"""Which agencies a referral notice goes to: the directory records and the routing rules.

Pure: the rules work on plain records (:class:`AgencyRecord`, :class:`Fleet`) and a notice
payload as a dict. Reading the directory from files and the database is
:mod:`vessel_risk.referral.directory`.

The directory lists agencies by country and role, each with its endpoint and filters.

Rules (issue 5; multi-agency NRM practice, OSCE/ODIHR NRM Handbook 2022; PSMA Art. 7),
in the order :func:`route` applies them:

``flag_state``
    the maritime authority of the flag state;
``port_state``
    the port-state control or PSMA port authority, labour inspectorate and NRM case
    system of the state of the last port visit or of the reported next port (an agency
    that lists ports takes only those ports);
``coastal_state``
    the maritime authority of each coastal state where the vessel worked (see
    :func:`vessel_risk.referral.payload.coastal_states` for the approximation);
``crew_consular``
    the consular service of each of the crew's countries when a person recorded them
    on the notice; otherwise of the flag state and of the crew-origin countries
    configured for the vessel's fleet (``[[fleet]]`` in the directory file).

An agency's ``filters`` may narrow what it receives: ``min_tier`` (``"high"`` or
``"medium"``), ``flags`` (ISO3 list) and ``gears``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from vessel_risk.model.indicators import TIER_LEVEL

Role = Literal[
    "maritime_authority",
    "port_state_control",
    "psma_port_authority",
    "consular_service",
    "nrm_case_system",
    "labour_inspectorate",
]


PORT_STATE_ROLES = frozenset(
    {"port_state_control", "psma_port_authority", "labour_inspectorate", "nrm_case_system"}
)


class AgencyRecord(BaseModel):
    """One agency of the directory.

    Attributes
    ----------
    id : str
        Stable slug, e.g. ``tha-marine-department``.
    country_iso3 : str
        The state the agency acts for (for a consular service: the state whose
        nationals it protects).
    role : str
        One of :data:`Role`.
    transport : str
        ``webhook`` (Standard Webhooks), ``primero`` (Primero-style case system) or
        ``manual`` (no endpoint: the notice waits for a person to pass it on, e.g. by
        the e-mail in ``endpoint_url``).
    secrets : list of str
        Webhook signing secrets (``whsec_...``); several while one is being rotated.
    auto_refer : bool
        The agency's rule lets notices go out without a person's approval.
    reflection_period_days : int, optional
        The country's reflection and recovery period, if longer than 30 days.
    ports : list of str
        Ports the agency covers (port-state roles); empty means every port of its
        country.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")
    name: str
    country_iso3: str = Field(pattern=r"^[A-Z]{3}$")
    role: Role
    transport: Literal["webhook", "primero", "manual"] = "manual"
    endpoint_url: str | None = None
    secrets: list[str] = Field(default_factory=list)
    filters: dict[str, Any] = Field(default_factory=dict)
    auto_refer: bool = False
    reflection_period_days: int | None = Field(default=None, ge=30)
    ports: list[str] = Field(default_factory=list)
    active: bool = True


class Fleet(BaseModel):
    """Crew-origin countries configured for a fleet (flag state, optionally gear)."""

    flag_iso3: str = Field(pattern=r"^[A-Z]{3}$")
    gear: str | None = None
    crew_origin_iso3: list[str]


class Directory(BaseModel):
    """Agencies and fleets, as read from a directory file."""

    agencies: list[AgencyRecord] = Field(default_factory=list)
    fleets: list[Fleet] = Field(default_factory=list)


class Route(BaseModel):
    """One agency chosen for a notice, and the rule that chose it."""

    agency_id: str
    rule: str
    country_iso3: str
    role: str


def normalize_port(name: str) -> str:
    """Port name for matching: upper case ASCII, no "PORT"/"PUERTO DE" filler words."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    words = [w for w in re.split(r"[^A-Z0-9]+", ascii_name) if w and w not in ("PORT", "OF")]
    return " ".join(words)


def _accepts(agency: AgencyRecord, notice: Mapping[str, Any]) -> bool:
    filters = agency.filters or {}
    tier = notice["risk"]["tier"]
    if "min_tier" in filters and TIER_LEVEL.get(tier, 0) < TIER_LEVEL[filters["min_tier"]]:
        return False
    if "flags" in filters and notice["vessel"]["flag_iso3"] not in filters["flags"]:
        return False
    return not ("gears" in filters and notice["vessel"].get("gear") not in filters["gears"])


def _covers_port(agency: AgencyRecord, port: str | None) -> bool:
    if not agency.ports:
        return True
    return port is not None and normalize_port(port) in {normalize_port(p) for p in agency.ports}


def crew_countries(notice: Mapping[str, Any], fleets: Sequence[Fleet]) -> tuple[list[str], str]:
    """The crew's countries for consular routing, and where they came from.

    Returns
    -------
    (countries, source)
        ``source`` is ``"recorded"`` when a person recorded the crew's nationalities on
        the notice, else ``"flag_and_fleet"``: the flag state plus the crew-origin
        countries configured for fleets matching the vessel's flag (and gear, when the
        fleet names one).
    """
    recorded = notice.get("crew_nationalities_iso3") or []
    if recorded:
        return sorted(set(recorded)), "recorded"
    vessel = notice["vessel"]
    countries = {vessel["flag_iso3"]} if vessel.get("flag_iso3") else set()
    for fleet in fleets:
        if fleet.flag_iso3 == vessel.get("flag_iso3") and fleet.gear in (None, vessel.get("gear")):
            countries.update(fleet.crew_origin_iso3)
    return sorted(countries), "flag_and_fleet"


def route(
    notice: Mapping[str, Any], agencies: Sequence[AgencyRecord], fleets: Sequence[Fleet] = ()
) -> list[Route]:
    """The agencies a notice goes to under the rules in the module docstring.

    Parameters
    ----------
    notice : mapping
        A referral notice payload (:class:`vessel_risk.referral.payload.NoticePayload` as a
        dict): ``vessel.flag_iso3``, ``vessel.gear``, ``risk.tier``,
        ``last_port.iso3``/``label``, ``expected_port.iso3``/``label``,
        ``coastal_states_iso3``, ``crew_nationalities_iso3``.
    agencies : sequence of AgencyRecord
        The directory, in the order it is searched
        (:func:`vessel_risk.referral.directory.active_agencies` gives it by id); inactive
        agencies are skipped.
    fleets : sequence of Fleet

    Returns
    -------
    list of Route, one per agency (the first rule that names it), in rule order (flag
    state; port state of the last port, then of the expected port; coastal states;
    crew countries, sorted), and within a rule in directory order.
    """
    wanted: list[tuple[str, str, frozenset[str], str | None]] = []
    flag = notice["vessel"].get("flag_iso3")
    if flag:
        wanted.append(("flag_state", flag, frozenset({"maritime_authority"}), None))
    for key in ("last_port", "expected_port"):
        port = notice.get(key) or {}
        if port.get("iso3"):
            wanted.append(("port_state", port["iso3"], PORT_STATE_ROLES, port.get("label")))
    for iso3 in notice.get("coastal_states_iso3") or []:
        wanted.append(("coastal_state", iso3, frozenset({"maritime_authority"}), None))
    for iso3 in crew_countries(notice, fleets)[0]:
        wanted.append(("crew_consular", iso3, frozenset({"consular_service"}), None))

    routes: dict[str, Route] = {}
    for rule, iso3, roles, port in wanted:
        for agency in agencies:
            if (
                agency.active
                and agency.id not in routes
                and agency.country_iso3 == iso3
                and agency.role in roles
                and (rule != "port_state" or _covers_port(agency, port))
                and _accepts(agency, notice)
            ):
                routes[agency.id] = Route(
                    agency_id=agency.id, rule=rule, country_iso3=iso3, role=agency.role
                )
    return list(routes.values())
