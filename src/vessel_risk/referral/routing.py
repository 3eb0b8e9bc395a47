"""Which agencies a referral notice goes to: the agency directory and the routing rules.

The directory lists agencies by country and role, each with its endpoint and filters. It
comes from a TOML file (:func:`read_directory`), from FAO's PSMA designated-ports list
(:func:`psma_port_authorities`), or both, and lives in the ``agencies`` table
(:func:`load_directory`).

Rules (issue 5; multi-agency NRM practice, OSCE/ODIHR NRM Handbook 2022; PSMA Art. 7):

``flag_state``
    the maritime authority of the flag state;
``port_state``
    the port-state control or PSMA port authority, labour inspectorate and NRM case
    system of the state of the last port visit or of the reported next port (an agency
    that lists ports takes only those ports);
``coastal_state``
    the maritime authority of each coastal state where the vessel worked (see
    :func:`vessel_risk.referral.notices.coastal_states` for the approximation);
``crew_consular``
    the consular service of each of the crew's countries when a person recorded them
    on the notice; otherwise of the flag state and of the crew-origin countries
    configured for the vessel's fleet (``[[fleet]]`` in the directory file).

An agency's ``filters`` may narrow what it receives: ``min_tier`` (``"high"`` or
``"medium"``), ``flags`` (ISO3 list) and ``gears``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import Agency, audit
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


def read_directory(path: str | Path) -> Directory:
    """Read an agency directory from TOML (``[[agency]]`` and ``[[fleet]]`` tables).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not TOML or an entry is invalid (the message names it).
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not a valid TOML agency directory: {exc}") from exc
    return Directory(agencies=data.get("agency", []), fleets=data.get("fleet", []))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def normalize_port(name: str) -> str:
    """Port name for matching: upper case ASCII, no "PORT"/"PUERTO DE" filler words."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    words = [w for w in re.split(r"[^A-Z0-9]+", ascii_name) if w and w not in ("PORT", "OF")]
    return " ".join(words)


def psma_port_authorities(path: str | Path) -> list[AgencyRecord]:
    """Port authorities of FAO's PSMA designated ports, one agency per authority.

    Parameters
    ----------
    path : path
        ``psma_designated_ports.csv`` (FAO PSMA Global Information Exchange System):
        columns ``ISO3``, ``port_name``, ``authority_name``, ``email``; "–" marks a
        missing value.

    Returns
    -------
    list of AgencyRecord
        Role ``psma_port_authority``, transport ``manual``, ``endpoint_url`` the
        authority's ``mailto:`` address when listed, ``ports`` its designated ports.
        Ports without a named authority are grouped under "Designated-port authority of
        <ISO3>".
    """
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig").replace("–", pd.NA)
    frame = frame.dropna(subset=["ISO3", "port_name"])
    frame["authority_name"] = (
        frame["authority_name"].str.strip().fillna("Designated-port authority of " + frame["ISO3"])
    )
    # Spelling variants of one authority ("Flinders Ports", "Flinders ports ") merge.
    frame["key"] = frame["authority_name"].map(_slug)
    out: list[AgencyRecord] = []
    used: set[str] = set()
    for (iso3, key), group in frame.groupby(["ISO3", "key"], sort=True):
        emails = group["email"].dropna()
        email = str(emails.iloc[0]).split(";")[0].strip() if len(emails) else None
        agency_id = f"psma-{str(iso3).lower()}-{str(key)[:40].strip('-')}"
        if agency_id in used:
            agency_id += "-" + hashlib.sha1(str(key).encode()).hexdigest()[:6]
        used.add(agency_id)
        out.append(
            AgencyRecord(
                id=agency_id,
                name=str(group["authority_name"].mode().iloc[0]),
                country_iso3=str(iso3),
                role="psma_port_authority",
                transport="manual",
                endpoint_url=f"mailto:{email}" if email and "@" in email else None,
                ports=sorted({str(p).strip() for p in group["port_name"]}),
            )
        )
    return out


def load_directory(
    session: Session, agencies: Iterable[AgencyRecord], *, actor: str
) -> dict[str, int]:
    """Insert or update agencies in the ``agencies`` table, auditing each change.

    Returns
    -------
    dict with ``added``, ``updated`` and ``unchanged`` counts.
    """
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    for record in agencies:
        values = record.model_dump()
        row = session.get(Agency, record.id)
        if row is None:
            session.add(Agency(**values))
            counts["added"] += 1
            before_public: dict[str, Any] | None = None
        else:
            before = {k: getattr(row, k) for k in values}
            if before == values:
                counts["unchanged"] += 1
                continue
            for k, v in values.items():
                setattr(row, k, v)
            counts["updated"] += 1
            before_public = _public(before)
        audit(
            session,
            actor=actor,
            action="agency.upsert",
            entity_type="agency",
            entity_id=record.id,
            before=before_public,
            after=_public(values),
        )
    return counts


def _public(values: Mapping[str, Any]) -> dict[str, Any]:
    """Agency fields fit for the audit log: secrets replaced by their count."""
    return {k: (f"{len(v)} secret(s)" if k == "secrets" else v) for k, v in values.items()}


def _accepts(agency: Agency, notice: Mapping[str, Any]) -> bool:
    filters = agency.filters or {}
    tier = notice["risk"]["tier"]
    if "min_tier" in filters and TIER_LEVEL.get(tier, 0) < TIER_LEVEL[filters["min_tier"]]:
        return False
    if "flags" in filters and notice["vessel"]["flag_iso3"] not in filters["flags"]:
        return False
    return not ("gears" in filters and notice["vessel"].get("gear") not in filters["gears"])


def _covers_port(agency: Agency, port: str | None) -> bool:
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
    notice: Mapping[str, Any], agencies: Sequence[Agency], fleets: Sequence[Fleet] = ()
) -> list[Route]:
    """The agencies a notice goes to under the rules in the module docstring.

    Parameters
    ----------
    notice : mapping
        A referral notice payload (:class:`vessel_risk.referral.notices.NoticePayload` as a
        dict): ``vessel.flag_iso3``, ``vessel.gear``, ``risk.tier``,
        ``last_port.iso3``/``label``, ``expected_port.iso3``/``label``,
        ``coastal_states_iso3``, ``crew_nationalities_iso3``.
    agencies : sequence of Agency
        The directory (inactive agencies are skipped).
    fleets : sequence of Fleet

    Returns
    -------
    list of Route, one per agency (the first rule that names it), in rule order.
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


def active_agencies(session: Session) -> list[Agency]:
    """Every active agency of the directory, ordered by id."""
    return list(session.scalars(select(Agency).where(Agency.active).order_by(Agency.id)))
