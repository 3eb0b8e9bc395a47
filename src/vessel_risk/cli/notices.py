"""``vessel-risk notices create|preview|approve|withdraw|handed-over|list|show|reminders``:
presumed-victim referral notices, from a draft to its deliveries and follow-ups (rules
in ``vessel_risk.referral``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from vessel_risk.cli.database import Actor, Db, default_actor, open_session
from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail
from vessel_risk.settings import Settings

if TYPE_CHECKING:
    from vessel_risk.geo.ports import PortIndex


def _port_index(ports: Path | None) -> PortIndex:
    from vessel_risk.geo.ports import PortIndex, default_ports, read_ports

    return PortIndex(read_ports(ports) if ports else default_ports())


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
    from vessel_risk.referral.notices import create_notice

    countries = [c.strip().upper() for v in crew_nationality or [] for c in v.split(",")]
    with open_session(db) as s:
        n = create_notice(
            s,
            alert_id,
            actor=actor or default_actor(),
            ports=_port_index(ports),
            crew_nationalities_iso3=[c for c in countries if c],
        )
        console.print(f"Draft notice {n.id} for alert {alert_id}; approve it to send it.")


def _print_preview(p: dict[str, Any]) -> None:
    """The approval preview: the flag routing uses, the routes, the rules with no agency."""
    flag = p["flag"]
    basis = {
        "declared": "declared",
        "inferred": "inferred"
        + (
            ": a person must confirm it (--confirm-inferred-flag)"
            if p["needs_confirmation"]
            else "; no route depends on it"
        ),
        "none": "no flag",
    }[flag["basis"]]
    if flag["basis"] == "inferred" and p.get("confirmation"):
        basis = f"inferred, confirmed by {p['confirmation']['by']}"
    console.print(f"Notice {p['notice_id']} ({p['status']}), vessel {p['vessel']}")
    console.print(f"  routed by flag: {flag['label']} ({basis})")
    for r in p["routes"]:
        mark = ": by the inferred flag" if r["needs_confirmation"] else ""
        console.print(
            f"  -> {r['agency_name'] or r['agency_id']} ({r['agency_id']}, rule {r['rule']}, "
            f"{r['country_iso3']}){mark}"
        )
    if not p["routes"]:
        console.print("  -> no agency")
    for u in p["unmatched"]:
        console.print(f"  no agency: {u}")


def _fleets(directory: Path | None) -> list[Any]:
    from vessel_risk.referral.directory import read_directory

    path = directory or Settings().agency_directory
    return read_directory(path).fleets if path else []


DirectoryOption = Annotated[
    Path | None,
    typer.Option(help="Agency directory TOML with \\[\\[fleet]] crew origins (or setting)."),
]


def notices_preview(notice_id: str, directory: DirectoryOption = None, db: Db = None) -> None:
    """What approving would do: the flag used (declared or inferred, with its source and
    confidence), the agencies, and the routing rules that found no agency."""
    from vessel_risk.referral.notices import preview_notice

    with open_session(db) as s:
        _print_preview(preview_notice(s, notice_id, fleets=_fleets(directory)))


def notices_approve(
    notice_id: str,
    directory: DirectoryOption = None,
    confirm_inferred_flag: Annotated[
        bool,
        typer.Option(
            "--confirm-inferred-flag",
            help="You checked the inferred flag the routing uses (see `notices preview`) "
            "and confirm it; needed when the vessel has no declared flag.",
        ),
    ] = False,
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Approve a draft: route it to agencies and queue its deliveries."""
    from vessel_risk.db.tables import Agency
    from vessel_risk.delivery import delivery_history
    from vessel_risk.referral.notices import approve_notice, preview_notice

    with open_session(db) as s:
        fleets = _fleets(directory)
        _print_preview(preview_notice(s, notice_id, fleets=fleets))
        n = approve_notice(
            s,
            notice_id,
            actor=actor or default_actor(),
            fleets=fleets,
            confirm_inferred_flag=confirm_inferred_flag,
        )
        console.print(
            f"Notice {n.id} approved; reflection period {n.reflection_period_days} days "
            f"(to {n.reflection_ends_at:%Y-%m-%d}); queued for delivery to:"
        )
        for d in delivery_history(s, n.id):
            agency = s.get(Agency, d["agency_id"])
            name = agency.name if agency else "?"
            console.print(f"  - {name} ({d['agency_id']}, rule {d['rule']})")


def notices_withdraw(
    notice_id: str,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Withdraw a notice; deliveries not yet sent are cancelled."""
    from vessel_risk.referral.notices import withdraw_notice

    with open_session(db) as s:
        n = withdraw_notice(s, notice_id, actor=actor or default_actor(), reason=reason)
        console.print(f"Notice {n.id} withdrawn.")


def notices_handed_over(
    delivery_id: str,
    how: Annotated[
        str, typer.Option("--how", help="How and to whom it was handed over (audited).")
    ],
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Record that a person passed a `manual` delivery to its agency (e-mail, in person)."""
    from vessel_risk.delivery import mark_handed_over

    with open_session(db) as s:
        d = mark_handed_over(s, delivery_id, actor=actor or default_actor(), reason=how)
        console.print(f"Delivery {d.id} to {d.agency_id} recorded as handed over.")


def notices_list(db: Db = None, status: Annotated[str | None, typer.Option()] = None) -> None:
    """Referral notices, newest first."""
    from sqlalchemy import select

    from vessel_risk.db.tables import ReferralNotice

    with open_session(db) as s:
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
    from vessel_risk.db.tables import ReferralNotice, audit
    from vessel_risk.delivery import delivery_history
    from vessel_risk.referral.notices import notice_html

    with open_session(db) as s:
        n = s.get(ReferralNotice, notice_id)
        if n is None:
            raise _fail(f"No referral notice {notice_id}.")
        audit(
            s,
            actor=actor or default_actor(),
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


def notices_reminders(db: Db = None) -> None:
    """Reflection periods ending within 7 days and follow-ups due (3, 6, 12 months)."""
    from vessel_risk.referral.notices import due_reminders

    with open_session(db) as s:
        due = due_reminders(s)
        for r in due:
            console.print(f"{r['due']:%Y-%m-%d} {r['kind']}: notice {r['notice_id']} ({r['mmsi']})")
        if not due:
            console.print("Nothing due.")
