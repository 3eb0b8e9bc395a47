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
    :func:`vessel_risk.alerts.coastal.coastal_states` for the approximation; the client
    scopes count the same states, recorded per alert);
``crew_consular``
    the consular service of each of the crew's countries when a person recorded them
    on the notice; otherwise of the flag state and of the crew-origin countries
    configured for the vessel's fleet (``[[fleet]]`` in the directory file).

An agency's ``filters`` may narrow what it receives: ``min_tier`` (``"high"`` or
``"medium"``), ``flags`` (ISO3 list) and ``gears``.

The flag these rules use (:func:`routing_flag`) is the declared flag (``flag_iso3``, from
a valid MID) or, where there is none, the flag inferred without the MID
(``flag_inferred_iso3``, with its source and confidence; issue 16). A route that depends
on an inferred flag (the flag-state rule, consular routing assumed from the flag and its
fleets, an agency's ``flags`` filter) is marked ``needs_confirmation``: a person confirms
the inferred flag when approving (:func:`vessel_risk.referral.notices.approve_notice`), and
an automatic referral never takes such a route. :func:`plan` also says which rules found
no agency, for the approval preview.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from vessel_risk.alerts.display import flag_label
from vessel_risk.geo.ports import destination_iso3 as destination_iso3
from vessel_risk.geo.ports import normalize_port as normalize_port
from vessel_risk.geo.ports import port_countries as port_countries
from vessel_risk.model.indicators import TIER_LEVEL
from vessel_risk.referral.screening import PERSONAL_INTAKE_FIELDS

Role = Literal[
    "maritime_authority",
    "port_state_control",
    "psma_port_authority",
    "consular_service",
    "nrm_case_system",
    "labour_inspectorate",
    "social_welfare",
    "shelter",
    "child_protection",
    "law_enforcement",
]
"""Agency roles. The first six route vessel-level notices (:func:`plan`); the last four,
with ``nrm_case_system`` and ``consular_service``, route one person's case
(:func:`route_case`, issue 17)."""


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
    secrets : list of str or dict
        Webhook signing secrets (``whsec_...``); several while one is being rotated. For
        a Primero agency: a bearer token, or ``{user_name, password}`` exchanged for one.
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
    secrets: list[str | dict[str, str]] = Field(default_factory=list)
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
    """One agency chosen for a notice, and the rule that chose it.

    ``flag_basis`` is ``"declared"`` or ``"inferred"`` when the route depends on the
    vessel's flag (None otherwise); ``needs_confirmation`` is True when it depends on an
    inferred flag no person has confirmed yet.
    """

    agency_id: str
    rule: str
    country_iso3: str
    role: str
    flag_basis: Literal["declared", "inferred"] | None = None
    needs_confirmation: bool = False


class RoutingFlag(BaseModel):
    """The flag routing uses: declared, inferred (with source and confidence), or none.

    Attributes
    ----------
    iso3 : str or None
    basis : {"declared", "inferred", "none"}
    source : str or None
        For an inferred flag the source used (``imo_list``, ``callsign_list``,
        ``name_pattern:<registry>``, ...); with no flag, why none could be inferred.
    confidence : float or None
        0..1, inferred flags only.
    label : str
        As :func:`vessel_risk.alerts.display.flag_label` says it.
    """

    iso3: str | None
    basis: Literal["declared", "inferred", "none"]
    source: str | None = None
    confidence: float | None = None
    label: str


class RoutingPlan(BaseModel):
    """The routes of a notice, the flag they use and the rules that found no agency."""

    flag: RoutingFlag
    routes: list[Route]
    unmatched: list[str]

    @property
    def needs_confirmation(self) -> bool:
        """Whether any route depends on an inferred flag a person has not confirmed."""
        return any(r.needs_confirmation for r in self.routes)


class CaseRoute(Route):
    """One agency chosen for a person's case, the rule that chose it and the consent used.

    ``rule`` is ``protection_first`` (social welfare, shelter), ``child_presumption``
    (child protection), ``consent:referral`` (the NRM case system), ``consent:consular``
    (consular service, where the person does not object), and for law enforcement either
    ``consent`` (the person agreed) or ``state_law:<ISO3>:<source>`` (a rule of
    :data:`LAW_ENFORCEMENT_MANDATORY`). ``consent_use`` is the consent the data goes out
    under (None when the route rests on a rule, not on consent); withdrawing that consent
    revokes the copy (:func:`vessel_risk.delivery.revoke_deliveries`). ``fields`` are the
    intake fields this recipient may receive (:data:`CASE_FIELDS_BY_ROLE`).
    """

    consent_use: str | None = None
    fields: tuple[str, ...] = ()


def routing_flag(vessel: Mapping[str, Any]) -> RoutingFlag:
    """The flag a notice is routed by: ``flag_iso3`` if declared, else ``flag_inferred_iso3``.

    Parameters
    ----------
    vessel : mapping
        The ``vessel`` part of a notice payload; ``flag_inferred_*`` may be absent
        (notices drafted before issue 16).
    """
    label = flag_label(
        vessel.get("flag_iso3"),
        vessel.get("flag_inferred_iso3"),
        vessel.get("flag_inferred_source"),
        vessel.get("flag_inferred_confidence"),
    )
    if vessel.get("flag_iso3"):
        return RoutingFlag(iso3=vessel["flag_iso3"], basis="declared", source="mid", label=label)
    if vessel.get("flag_inferred_iso3"):
        return RoutingFlag(
            iso3=vessel["flag_inferred_iso3"],
            basis="inferred",
            source=vessel.get("flag_inferred_source"),
            confidence=vessel.get("flag_inferred_confidence"),
            label=label,
        )
    return RoutingFlag(
        iso3=None, basis="none", source=vessel.get("flag_inferred_source"), label=label
    )


def _accepts(agency: AgencyRecord, notice: Mapping[str, Any], flag: str | None) -> bool:
    filters = agency.filters or {}
    tier = notice["risk"]["tier"]
    if "min_tier" in filters and TIER_LEVEL.get(tier, 0) < TIER_LEVEL[filters["min_tier"]]:
        return False
    if "flags" in filters and flag not in filters["flags"]:
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
        the notice, else ``"flag_and_fleet"``: the flag state (:func:`routing_flag`:
        declared, else inferred) plus the crew-origin countries configured for fleets
        matching that flag (and gear, when the fleet names one).
    """
    recorded = notice.get("crew_nationalities_iso3") or []
    if recorded:
        return sorted(set(recorded)), "recorded"
    vessel = notice["vessel"]
    flag = routing_flag(vessel).iso3
    countries = {flag} if flag else set()
    for fleet in fleets:
        if flag and fleet.flag_iso3 == flag and fleet.gear in (None, vessel.get("gear")):
            countries.update(fleet.crew_origin_iso3)
    return sorted(countries), "flag_and_fleet"


def plan(
    notice: Mapping[str, Any], agencies: Sequence[AgencyRecord], fleets: Sequence[Fleet] = ()
) -> RoutingPlan:
    """The routes of a notice under the rules in the module docstring, with the flag they
    use and the rules that found no agency.

    Parameters
    ----------
    notice : mapping
        A referral notice payload (:class:`vessel_risk.referral.payload.NoticePayload` as a
        dict): ``vessel.flag_iso3``, ``vessel.flag_inferred_iso3`` (and its source and
        confidence), ``vessel.gear``, ``risk.tier``, ``last_port.iso3``/``label``,
        ``expected_port.iso3``/``label``, ``coastal_states_iso3``,
        ``crew_nationalities_iso3``.
    agencies : sequence of AgencyRecord
        The directory, in the order it is searched
        (:func:`vessel_risk.referral.directory.active_agencies` gives it by id); inactive
        agencies are skipped.
    fleets : sequence of Fleet

    Returns
    -------
    RoutingPlan
        ``routes``: one per agency (the first rule that names it), in rule order (flag
        state; port state of the last port, then of the expected port; coastal states;
        crew countries, sorted), and within a rule in directory order; a route that
        depends on an inferred flag has ``needs_confirmation``. ``unmatched``: one
        sentence per rule that found no agency (or had nothing to route by).
    """
    flag = routing_flag(notice["vessel"])
    # (rule, country, roles, port label, whether the country comes from the flag)
    wanted: list[tuple[str, str, frozenset[str], str | None, bool]] = []
    unmatched: list[str] = []
    if flag.iso3:
        wanted.append(("flag_state", flag.iso3, frozenset({"maritime_authority"}), None, True))
    else:
        unmatched.append(f"flag_state: no flag to route by ({flag.label})")
    ports = [notice.get(k) or {} for k in ("last_port", "expected_port")]
    for port in ports:
        if port.get("iso3"):
            wanted.append(("port_state", port["iso3"], PORT_STATE_ROLES, port.get("label"), False))
    if not any(p.get("iso3") for p in ports):
        unmatched.append("port_state: no last or expected port in a known country")
    for iso3 in notice.get("coastal_states_iso3") or []:
        wanted.append(("coastal_state", iso3, frozenset({"maritime_authority"}), None, False))
    crew, crew_source = crew_countries(notice, fleets)
    for iso3 in crew:
        consular = frozenset({"consular_service"})
        wanted.append(("crew_consular", iso3, consular, None, crew_source == "flag_and_fleet"))
    if not crew:
        unmatched.append("crew_consular: no crew country recorded and no flag to assume one from")

    routes: dict[str, Route] = {}
    for rule, iso3, roles, port, by_flag in wanted:
        found = False
        for agency in agencies:
            if (
                agency.active
                and agency.country_iso3 == iso3
                and agency.role in roles
                and (rule != "port_state" or _covers_port(agency, port))
                and _accepts(agency, notice, flag.iso3)
            ):
                found = True
                if agency.id in routes:
                    continue
                depends = by_flag or "flags" in (agency.filters or {})
                basis = flag.basis if depends and flag.basis != "none" else None
                routes[agency.id] = Route(
                    agency_id=agency.id,
                    rule=rule,
                    country_iso3=iso3,
                    role=agency.role,
                    flag_basis=basis,
                    needs_confirmation=basis == "inferred",
                )
        if not found:
            where = f" at {port}" if port else ""
            unmatched.append(
                f"{rule} ({iso3}{where}): no active {' or '.join(sorted(roles))} of {iso3} "
                "in the directory takes this notice"
            )
    return RoutingPlan(flag=flag, routes=list(routes.values()), unmatched=unmatched)


def route(
    notice: Mapping[str, Any], agencies: Sequence[AgencyRecord], fleets: Sequence[Fleet] = ()
) -> list[Route]:
    """The agencies a notice goes to: :func:`plan`'s routes.

    Parameters
    ----------
    notice : mapping
        A referral notice payload, as :func:`plan` reads it.
    agencies : sequence of AgencyRecord
    fleets : sequence of Fleet

    Returns
    -------
    list of Route, in rule order, then directory order.
    """
    return plan(notice, agencies, fleets).routes


# --------------------------------------------------------------------------- cases

LAW_ENFORCEMENT_MANDATORY: dict[str, str] = {}
"""States whose law requires law enforcement to receive a presumed victim's case without
the person's consent: ISO3 -> the citation of that law (short: it is recorded in
``Route.rule`` as ``state_law:<ISO3>:<source>``, and ``Delivery.rule`` keeps 64
characters; the audit log keeps it whole).

Empty: no source the project holds names such a duty. The seed report commends the
separation of support from law enforcement (seed §5.1.2: the Philippines refers presumed
victims to the Department of Social Welfare and Development, "ensuring that an
individual's access to services is not dependent on any cooperation with law
enforcement") and the non-punishment principle (seed §4.3.1; ASEAN Convention against
Trafficking in Persons Art. 14(7)). Add a state only with its statute cited."""

CASE_FIELDS_BY_ROLE: dict[str, tuple[str, ...]] = {
    "social_welfare": PERSONAL_INTAKE_FIELDS,
    "shelter": ("gender", "language", "interpreter_language", "age_band", "age_uncertain", "needs"),
    "consular_service": ("nationality_iso3", "language", "needs"),
    "law_enforcement": ("nationality_iso3", "language", "interpreter_language", "indicators"),
}
"""The intake fields each role may receive about a person (data minimisation, CETS 197
Art. 11): what it needs to act and nothing more. ``child_protection`` and
``nrm_case_system`` (the case system that runs the person's case) receive the fields of
``social_welfare``. A field the person did not fill in is never sent."""
CASE_FIELDS_BY_ROLE["child_protection"] = CASE_FIELDS_BY_ROLE["social_welfare"]
CASE_FIELDS_BY_ROLE["nrm_case_system"] = CASE_FIELDS_BY_ROLE["social_welfare"]


def route_case(
    case_view: Mapping[str, Any],
    consents: Mapping[str, bool],
    directory: Directory | Sequence[AgencyRecord],
    *,
    state_rules: Mapping[str, str] | None = None,
) -> list[CaseRoute]:
    """The agencies one person's case goes to, protection first (issue 17).

    Order, each within the directory's order (active agencies only):

    1. ``social_welfare`` then ``shelter`` of ``state_iso3`` (the state where the person
       is), under consent ``services`` (rule ``protection_first``): support comes first
       and never depends on cooperation with law enforcement (seed §5.1.2, the
       Philippines' referral to the DSWD; seed §4.3.1 non-punishment);
    2. ``child_protection`` when the person is a child or of uncertain age (presumed a
       child: ASEAN Do No Harm Guide p. 15, seed §5.1.1): the case's
       ``child_protection_agency_id`` if set, else those of ``state_iso3``; rule
       ``child_presumption``, sent whatever the consents (the child's best interests),
       under consent ``services`` when given;
    3. ``nrm_case_system`` of ``state_iso3`` (e.g. Primero) when consent ``referral`` is
       True (rule ``consent:referral``);
    4. ``consular_service`` of ``nationality_iso3`` unless consent ``consular`` is False
       (missing means the person does not object; rule ``consent:consular``);
    5. ``law_enforcement`` of ``state_iso3`` only when consent ``law_enforcement`` is
       True (rule ``consent``) or ``state_rules`` names ``state_iso3`` (rule
       ``state_law:<ISO3>:<source>``, consent_use None). Never otherwise.

    Parameters
    ----------
    case_view : mapping
        ``state_iso3`` (required), ``nationality_iso3``, ``child`` (bool),
        ``child_protection_agency_id``.
    consents : mapping of str to bool
        The consents in force by use (``services``, ``referral``, ``law_enforcement``,
        ``consular``, ``transfer``); a missing use is not granted, except ``consular``.
    directory : Directory or sequence of AgencyRecord
    state_rules : mapping of str to str, optional
        ISO3 -> citation of a law that makes law enforcement receive the case; default
        :data:`LAW_ENFORCEMENT_MANDATORY` (empty).

    Returns
    -------
    list of CaseRoute
        One per agency (its first rule), in the order above, with the fields it may
        receive (:data:`CASE_FIELDS_BY_ROLE`).

    Raises
    ------
    ValueError
        If ``state_iso3`` is missing.
    """
    agencies = directory.agencies if isinstance(directory, Directory) else list(directory)
    rules = LAW_ENFORCEMENT_MANDATORY if state_rules is None else state_rules
    state = case_view.get("state_iso3")
    if not state:
        raise ValueError("route_case needs the state where the person is ('state_iso3').")
    nationality = case_view.get("nationality_iso3")
    services = consents.get("services") is True
    wanted: list[tuple[str, str | None, str, str | None, str | None]] = []
    # (role, country, rule, consent_use, agency id)
    if services:
        wanted.append(("social_welfare", state, "protection_first", "services", None))
        wanted.append(("shelter", state, "protection_first", "services", None))
    if case_view.get("child"):
        use = "services" if services else None
        chosen = case_view.get("child_protection_agency_id")
        wanted.append(
            ("child_protection", None if chosen else state, "child_presumption", use, chosen)
        )
    if consents.get("referral") is True:
        wanted.append(("nrm_case_system", state, "consent:referral", "referral", None))
    if nationality and consents.get("consular", True) is not False:
        wanted.append(("consular_service", nationality, "consent:consular", "consular", None))
    if consents.get("law_enforcement") is True:
        wanted.append(("law_enforcement", state, "consent", "law_enforcement", None))
    elif state in rules:
        wanted.append(("law_enforcement", state, f"state_law:{state}:{rules[state]}", None, None))

    routes: dict[str, CaseRoute] = {}
    for role, country, rule, use, agency_id in wanted:
        for agency in agencies:
            if not agency.active or agency.id in routes:
                continue
            if agency_id is not None:
                if agency.id != agency_id:
                    continue
            elif agency.role != role or agency.country_iso3 != country:
                continue
            routes[agency.id] = CaseRoute(
                agency_id=agency.id,
                rule=rule,
                country_iso3=agency.country_iso3,
                role=agency.role,
                consent_use=use,
                fields=CASE_FIELDS_BY_ROLE.get(agency.role, CASE_FIELDS_BY_ROLE["shelter"]),
            )
    return list(routes.values())
