"""``vessel-risk alerts|notices|agencies|clients``: review alerts, manage referral notices,
the agency directory and the agencies' API clients.

Every command works on the database named by ``--db`` or ``VESSEL_RISK_DATABASE_URL``
and records who acted (``--as``, default: the login name) in the audit log.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from vessel_risk.alerts.lifecycle import STATUSES, TransitionError
from vessel_risk.alerts.persistence import alert_history, transition
from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail
from vessel_risk.db.engine import SchemaError, make_engine, migrate
from vessel_risk.db.tables import Agency, AlertRow, ReferralNotice, audit
from vessel_risk.delivery import delivery_history, mark_handed_over
from vessel_risk.geo.ports import PortIndex, default_ports, read_ports
from vessel_risk.model.indicators import TIER_LEVEL
from vessel_risk.referral.directory import load_directory, psma_port_authorities, read_directory
from vessel_risk.referral.notices import (
    NoticeError,
    approve_notice,
    create_notice,
    due_reminders,
    notice_html,
    withdraw_notice,
)
from vessel_risk.referral.routing import AgencyRecord
from vessel_risk.settings import Settings

alerts_app = typer.Typer(help="List and review alerts.", no_args_is_help=True)
notices_app = typer.Typer(help="Create, approve and follow referral notices.", no_args_is_help=True)
clients_app = typer.Typer(
    help="API clients of agencies: keys, roles, scopes.", no_args_is_help=True
)
agencies_app = typer.Typer(help="The agency directory notices are routed to.", no_args_is_help=True)

Db = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy URL (default: VESSEL_RISK_DATABASE_URL)."),
]
Actor = Annotated[
    str, typer.Option("--as", help="Who is acting, for the audit log (default: login name).")
]


def database_url(db: str | None) -> str:
    """``db``, else ``VESSEL_RISK_DATABASE_URL``; exits with a clear error if neither."""
    url = db or Settings().database_url
    if not url:
        raise _fail(
            "No database: pass --db (e.g. sqlite:///out/squid/vessel_risk.db) or set "
            "VESSEL_RISK_DATABASE_URL."
        )
    return url


def open_database(url: str, *, create: bool = False) -> Engine:
    """An engine on ``url`` with the schema migrated, or a clear exit (code 2).

    Parameters
    ----------
    url : str
        SQLAlchemy URL.
    create : bool, default False
        Whether a SQLite file that does not exist yet may be created (``run`` and
        ``agencies load`` may; reading commands may not, so a mistyped path is an error,
        not an empty queue).
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise _fail(
            f"{url!r} is not a database URL (e.g. sqlite:///out/squid/vessel_risk.db or "
            "postgresql+psycopg://user@host/db)."
        ) from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(str(parsed.database))
        if not create and not path.exists():
            raise _fail(
                f"No database file at {path.resolve()} (a sqlite:/// path is relative to the "
                "current folder): run `vessel-risk run --out DIR` first, or check the path."
            )
        if not path.parent.exists():
            raise _fail(f"The folder {str(path.parent.resolve())!r} does not exist.")
    engine = make_engine(url)
    try:
        migrate(engine)
    except SchemaError as exc:
        engine.dispose()
        raise _fail(str(exc)) from exc
    except SQLAlchemyError as exc:
        engine.dispose()
        shown = parsed.render_as_string(hide_password=True)  # never echo a password
        reason = str(getattr(exc, "orig", None) or exc).replace(url, shown)
        raise _fail(f"Cannot open {shown!r}: {reason}") from exc
    return engine


@contextmanager
def _session(db: str | None, *, create: bool = False) -> Iterator[Session]:
    engine = open_database(database_url(db), create=create)
    try:
        with Session(engine) as session, session.begin():
            yield session
    except (LookupError, TransitionError, NoticeError, ValueError) as exc:
        raise _fail(str(exc).strip("'\"")) from exc
    except OSError as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()


def _default_actor() -> str:
    return getpass.getuser()


@alerts_app.command("list")
def alerts_list(
    db: Db = None,
    tier: Annotated[str | None, typer.Option(help="high, medium, low, insufficient data")] = None,
    status: Annotated[str | None, typer.Option(help=f"One of {', '.join(STATUSES)}.")] = None,
    port: Annotated[str | None, typer.Option(help="Last port, as named in the alert.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 20,
) -> None:
    """Alerts ranked by score, highest first."""
    if tier and tier not in TIER_LEVEL:
        raise _fail(f"--tier must be one of {', '.join(TIER_LEVEL)}. Got {tier!r}.")
    if status and status not in STATUSES:
        raise _fail(f"--status must be one of {', '.join(STATUSES)}. Got {status!r}.")
    with _session(db) as s:
        q = select(AlertRow).order_by(AlertRow.score.desc(), AlertRow.id)
        if tier:
            q = q.where(AlertRow.tier == tier)
        if status:
            q = q.where(AlertRow.status == status)
        if port:
            q = q.where(AlertRow.last_port_label == port.upper())
        table = Table("id", "mmsi", "year", "name", "flag", "score", "tier", "status", "last port")
        for a in s.scalars(q.limit(limit)):
            table.add_row(
                str(a.id),
                a.mmsi,
                str(a.year),
                a.shipname or "",
                a.flag_iso3 or "?",
                f"{a.score:.2f}",
                a.tier,
                a.status,
                a.last_port_label or "",
            )
        console.print(table)


@alerts_app.command("show")
def alerts_show(alert_id: int, db: Db = None) -> None:
    """One alert: why (top indicators), on how much data, and its history."""
    with _session(db) as s:
        a = s.get(AlertRow, alert_id)
        if a is None:
            raise _fail(f"No alert {alert_id}.")
        console.print(
            f"[bold]Alert {a.id}[/bold]: {a.shipname or 'name unknown'} (MMSI {a.mmsi}, "
            f"{a.year}), {a.tier} {a.score:.2f} by {a.model_version}; status {a.status}"
        )
        console.print(a.detail["data_note"])
        for i in a.detail["indicators"]:
            console.print(f"  - {i['name']} ({i['ilo_indicator']}): {i['reason']}")
        console.print(a.detail["caveat"])
        history = alert_history(s, alert_id)
        for h in history["audit"]:
            console.print(
                f"  {h['at']:%Y-%m-%d %H:%M} {h['actor']}: {h['action']} {h['after'] or ''}"
                + (f" ({h['reason']})" if h["reason"] else "")
            )


@alerts_app.command("review")
def alerts_review(
    alert_id: int,
    to: Annotated[str, typer.Option("--to", help=f"New status: {', '.join(STATUSES)}.")],
    reason: Annotated[str | None, typer.Option(help="Why (required to dismiss).")] = None,
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Move an alert through its lifecycle (audited)."""
    with _session(db) as s:
        a = transition(s, alert_id, to, actor=actor or _default_actor(), reason=reason)
        console.print(f"Alert {a.id} is now {a.status}.")


def _port_index(ports: Path | None) -> PortIndex:
    return PortIndex(read_ports(ports) if ports else default_ports())


@notices_app.command("create")
def notices_create(
    alert_id: int,
    crew_nationality: Annotated[
        list[str] | None,
        typer.Option(help="ISO3 of the crew's countries, if known; repeat for more."),
    ] = None,
    ports: Annotated[
        Path | None, typer.Option(help="Port list for the coastal-state rule (as `run`).")
    ] = None,
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Draft a presumed-victim referral notice from an alert."""
    countries = [c.strip().upper() for v in crew_nationality or [] for c in v.split(",")]
    with _session(db) as s:
        n = create_notice(
            s,
            alert_id,
            actor=actor or _default_actor(),
            ports=_port_index(ports),
            crew_nationalities_iso3=[c for c in countries if c],
        )
        console.print(f"Draft notice {n.id} for alert {alert_id}; approve it to send it.")


@notices_app.command("approve")
def notices_approve(
    notice_id: str,
    directory: Annotated[
        Path | None,
        typer.Option(help="Agency directory TOML with [[fleet]] crew origins (or setting)."),
    ] = None,
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Approve a draft: route it to agencies and queue its deliveries."""
    path = directory or Settings().agency_directory
    with _session(db) as s:
        fleets = read_directory(path).fleets if path else []
        n = approve_notice(s, notice_id, actor=actor or _default_actor(), fleets=fleets)
        console.print(
            f"Notice {n.id} approved; reflection period {n.reflection_period_days} days "
            f"(to {n.reflection_ends_at:%Y-%m-%d}); queued for delivery to:"
        )
        for d in delivery_history(s, n.id):
            agency = s.get(Agency, d["agency_id"])
            name = agency.name if agency else "?"
            console.print(f"  - {name} ({d['agency_id']}, rule {d['rule']})")


@notices_app.command("withdraw")
def notices_withdraw(
    notice_id: str,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Withdraw a notice; deliveries not yet sent are cancelled."""
    with _session(db) as s:
        n = withdraw_notice(s, notice_id, actor=actor or _default_actor(), reason=reason)
        console.print(f"Notice {n.id} withdrawn.")


@notices_app.command("handed-over")
def notices_handed_over(
    delivery_id: str,
    how: Annotated[
        str, typer.Option("--how", help="How and to whom it was handed over (audited).")
    ],
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Record that a person passed a `manual` delivery to its agency (e-mail, in person)."""
    with _session(db) as s:
        d = mark_handed_over(s, delivery_id, actor=actor or _default_actor(), reason=how)
        console.print(f"Delivery {d.id} to {d.agency_id} recorded as handed over.")


@notices_app.command("list")
def notices_list(db: Db = None, status: Annotated[str | None, typer.Option()] = None) -> None:
    """Referral notices, newest first."""
    with _session(db) as s:
        q = select(ReferralNotice).order_by(ReferralNotice.created_at.desc())
        if status:
            q = q.where(ReferralNotice.status == status)
        table = Table("mmsi", "alert", "status", "receiver", "created", "by")
        table.add_column("id", no_wrap=True)
        for n in s.scalars(q):
            table.add_row(
                n.mmsi,
                str(n.alert_id),
                n.status,
                n.receiver_status or "",
                f"{n.created_at:%Y-%m-%d}",
                n.created_by,
                n.id,
            )
        console.print(table)


@notices_app.command("show")
def notices_show(
    notice_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print the notice as JSON.")] = False,
    html: Annotated[
        Path | None, typer.Option(help="Write the printable brief (HTML) to this file.")
    ] = None,
    db: Db = None,
    actor: Actor = "",
) -> None:
    """A notice and its delivery history (the read is audited)."""
    with _session(db) as s:
        n = s.get(ReferralNotice, notice_id)
        if n is None:
            raise _fail(f"No referral notice {notice_id}.")
        audit(
            s,
            actor=actor or _default_actor(),
            action="notice.read",
            entity_type="notice",
            entity_id=notice_id,
        )
        if as_json:
            print(json.dumps(n.payload, indent=2))
            return
        if html:
            html.write_text(notice_html(n.payload), encoding="utf-8")
            console.print(f"Brief: {html.resolve()}")
        console.print(
            f"Notice {n.id} (alert {n.alert_id}, MMSI {n.mmsi}): {n.status}; "
            f"receiver status {n.receiver_status or '-'}"
        )
        for d in delivery_history(s, notice_id):
            console.print(
                f"  {d['agency_id']} ({d['rule']}): {d['status']} after {d['attempts']} "
                f"attempt(s); receiver {d['receiver_status'] or '-'}"
            )
            for h in d["history"]:
                console.print(
                    f"    {h['at']:%Y-%m-%d %H:%M:%S} HTTP {h['http_status'] or '-'} "
                    f"{h['error'] or ''}"
                )


@notices_app.command("reminders")
def notices_reminders(db: Db = None) -> None:
    """Reflection periods ending within 7 days and follow-ups due (3, 6, 12 months)."""
    with _session(db) as s:
        due = due_reminders(s)
        for r in due:
            console.print(f"{r['due']:%Y-%m-%d} {r['kind']}: notice {r['notice_id']} ({r['mmsi']})")
        if not due:
            console.print("Nothing due.")


@agencies_app.command("load")
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
    with _session(db, create=True) as s:
        counts = load_directory(s, records, actor=actor or _default_actor())
        console.print(
            f"Agencies: {counts['added']} added, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged."
        )


@agencies_app.command("list")
def agencies_list(db: Db = None, country: Annotated[str | None, typer.Option()] = None) -> None:
    """The agency directory."""
    with _session(db) as s:
        q = select(Agency).order_by(Agency.country_iso3, Agency.id)
        if country:
            q = q.where(Agency.country_iso3 == country.upper())
        table = Table("id", "country", "role", "transport", "auto", "name")
        for a in s.scalars(q):
            table.add_row(
                a.id, a.country_iso3, a.role, a.transport, "yes" if a.auto_refer else "", a.name
            )
        console.print(table)


@clients_app.command("add")
def clients_add(
    client_id: str,
    agency: Annotated[str, typer.Option(help="The agency the client belongs to.")],
    role: Annotated[
        str, typer.Option(help="analyst, port_inspector, referral_approver, case_system, admin")
    ],
    country: Annotated[list[str] | None, typer.Option(help="ISO3 scope; repeat.")] = None,
    port: Annotated[list[str] | None, typer.Option(help="Port scope; repeat.")] = None,
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Register an API client and print its key once (e.g. a new admin for a lost key)."""
    from vessel_risk.api.access import create_client

    with _session(db, create=True) as s:
        _, key = create_client(
            s,
            client_id=client_id,
            agency_id=agency,
            role=role,
            countries=country,
            ports=port,
            actor=actor or _default_actor(),
        )
        console.print(f"API client {client_id}; its key (shown only now): [bold]{key}[/bold]")


@clients_app.command("revoke")
def clients_revoke(
    client_id: str,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Deactivate an API client: its key stops working."""
    from vessel_risk.api.access import revoke_client

    with _session(db) as s:
        revoke_client(s, client_id, actor=actor or _default_actor(), reason=reason)
        console.print(f"API client {client_id} revoked.")


@clients_app.command("list")
def clients_list(db: Db = None) -> None:
    """API clients (never their keys)."""
    from vessel_risk.api.access import ApiClient

    with _session(db) as s:
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
