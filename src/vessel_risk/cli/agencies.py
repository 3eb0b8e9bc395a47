"""``vessel-risk agencies load|list``: the agency directory notices are routed to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vessel_risk.cli.database import Actor, Db, default_actor, open_session
from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail


def agencies_load(
    directory: Annotated[
        Path | None, typer.Argument(help="Agency directory TOML ([[agency]] tables).")
    ] = None,
    psma: Annotated[
        Path | None,
        typer.Option(help="FAO PSMA designated-ports CSV: adds each port authority."),
    ] = None,
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Add or update agencies from a directory file and/or the PSMA ports list."""
    from vessel_risk.referral.directory import load_directory, psma_port_authorities, read_directory
    from vessel_risk.referral.routing import AgencyRecord

    if directory is None and psma is None:
        raise _fail("Give a directory file, --psma, or both.")
    records: list[AgencyRecord] = []
    try:
        if psma:
            records += psma_port_authorities(psma)
        if directory:
            records += read_directory(directory).agencies
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    with open_session(db, create=True) as s:
        counts = load_directory(s, records, actor=actor or default_actor())
        console.print(
            f"Agencies: {counts['added']} added, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged."
        )


def agencies_list(db: Db = None, country: Annotated[str | None, typer.Option()] = None) -> None:
    """The agency directory."""
    from sqlalchemy import select

    from vessel_risk.db.tables import Agency

    with open_session(db) as s:
        q = select(Agency).order_by(Agency.country_iso3, Agency.id)
        if country:
            q = q.where(Agency.country_iso3 == country.upper())
        table = Table("id", "country", "role", "transport", "auto", "name")
        for a in s.scalars(q):
            table.add_row(
                a.id, a.country_iso3, a.role, a.transport, "yes" if a.auto_refer else "", a.name
            )
        console.print(table)
