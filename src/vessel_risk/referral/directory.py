"""The agency directory: read from files, stored in the database, loaded for routing.

The directory comes from a TOML file (:func:`read_directory`), from FAO's PSMA
designated-ports list (:func:`psma_port_authorities`), or both, and lives in the
``agencies`` table (:func:`load_directory`, auditing every change). For routing,
:func:`active_agencies` reads the active rows and :func:`as_record` turns each into the
plain :class:`vessel_risk.referral.routing.AgencyRecord` the rules work on.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import Agency, audit
from vessel_risk.referral.routing import AgencyRecord, Directory


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


def active_agencies(session: Session) -> list[Agency]:
    """Every active agency of the directory, ordered by id."""
    return list(session.scalars(select(Agency).where(Agency.active).order_by(Agency.id)))


def as_record(agency: Agency) -> AgencyRecord:
    """A directory row as the plain record the routing rules work on.

    Rows are stored from validated records (:func:`load_directory`), so the row is not
    validated again: routing must never fail on an agency the directory holds.

    Parameters
    ----------
    agency : Agency
        A row of the ``agencies`` table.

    Returns
    -------
    AgencyRecord
        Every field of :class:`vessel_risk.referral.routing.AgencyRecord` copied from the row.
    """
    return AgencyRecord.model_construct(
        **{name: getattr(agency, name) for name in AgencyRecord.model_fields}
    )
