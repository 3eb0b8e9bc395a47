"""``vessel-risk clients add|revoke|list``: the agencies' API clients (keys, roles,
scopes; rules in ``vessel_risk.api.access``).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from vessel_risk.cli.database import Actor, Db, default_actor, open_session
from vessel_risk.cli.terminal import console


def clients_add(
    client_id: str,
    agency: Annotated[str, typer.Option(help="The agency the client belongs to.")],
    role: Annotated[
        str,
        typer.Option(
            help="analyst, port_inspector (needs --port), referral_approver, case_system, "
            "case_worker, child_protection_officer, coordinator, tip_source, admin"
        ),
    ],
    country: Annotated[list[str] | None, typer.Option(help="ISO3 scope; repeat.")] = None,
    port: Annotated[list[str] | None, typer.Option(help="Port scope; repeat.")] = None,
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Register an API client and print its key once (e.g. a new admin for a lost key)."""
    from vessel_risk.api.access import create_client

    with open_session(db, create=True) as s:
        _, key = create_client(
            s,
            client_id=client_id,
            agency_id=agency,
            role=role,
            countries=country,
            ports=port,
            actor=actor or default_actor(),
        )
        console.print(f"API client {client_id}; its key (shown only now): [bold]{key}[/bold]")


def clients_revoke(
    client_id: str,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Deactivate an API client: its key stops working."""
    from vessel_risk.api.access import revoke_client

    with open_session(db) as s:
        revoke_client(s, client_id, actor=actor or default_actor(), reason=reason)
        console.print(f"API client {client_id} revoked.")


def clients_list(db: Db = None) -> None:
    """API clients (never their keys)."""
    from sqlalchemy import select

    from vessel_risk.api.access import ApiClient

    with open_session(db) as s:
        table = Table("id", "agency", "role", "countries", "ports", "active")
        for c in s.scalars(select(ApiClient).order_by(ApiClient.agency_id, ApiClient.id)):
            table.add_row(
                c.id,
                c.agency_id,
                c.role,
                ",".join(c.countries),
                ",".join(c.ports),
                "yes" if c.active else "no",
            )
        console.print(table)
