"""``vessel-risk subscriptions add|list|remove|digest``: agencies' subscriptions to the
vessels that concern them (rules in ``vessel_risk.referral.subscriptions``).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from vessel_risk.cli.database import Actor, Db, default_actor, open_session
from vessel_risk.cli.terminal import console


def subscriptions_add(
    agency: Annotated[str, typer.Option(help="The subscribing agency (in the directory).")],
    client: Annotated[
        str, typer.Option(help="The agency's API client whose scope bounds what it hears.")
    ],
    channel: Annotated[str, typer.Option(help="webhook or email.")],
    target: Annotated[str, typer.Option(help="The webhook URL or the e-mail address.")],
    port: Annotated[list[str] | None, typer.Option(help="A port that concerns it; repeat.")] = None,
    flag: Annotated[list[str] | None, typer.Option(help="A flag (ISO3); repeat.")] = None,
    nationality: Annotated[
        list[str] | None, typer.Option(help="Crew nationality (ISO3); repeat.")
    ] = None,
    min_tier: Annotated[str, typer.Option(help="high, medium, low, insufficient data.")] = "high",
    kind: Annotated[
        list[str] | None,
        typer.Option(help="alert.raised, alert.revised, arrival.expected, arrival.revised."),
    ] = None,
    digest: Annotated[
        bool, typer.Option("--digest", help="One digest every --digest-every-h hours.")
    ] = False,
    digest_every_h: Annotated[int, typer.Option(min=1, max=168)] = 24,
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Subscribe an agency; prints the unsubscribe token (and webhook secret) once."""
    from vessel_risk.referral.subscription_store import create_subscription
    from vessel_risk.referral.subscriptions import KINDS

    with open_session(db) as s:
        sub, shown = create_subscription(
            s,
            agency_id=agency,
            client_id=client,
            channel=channel,
            target=target,
            actor=actor or default_actor(),
            ports=port or [],
            flags=flag or [],
            nationalities=nationality or [],
            min_tier=min_tier,
            kinds=kind or KINDS,
            mode="digest" if digest else "immediate",
            digest_every_h=digest_every_h,
            allow_local=True,  # the operator on this host (the API never allows it)
        )
        console.print(f"Subscription {sub.id} ({sub.channel}, {sub.mode}).", highlight=False)
        console.print(f"Unsubscribe token (shown only now): {shown['unsubscribe']}", soft_wrap=True)
        if "webhook" in shown:
            console.print(f"Webhook secret (shown only now): {shown['webhook']}", soft_wrap=True)


def subscriptions_list(
    agency: Annotated[str | None, typer.Option(help="Only this agency's.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include removed ones.")] = False,
    db: Db = None,
) -> None:
    """Subscriptions (never their secrets)."""
    from vessel_risk.referral.subscription_store import list_subscriptions

    with open_session(db) as s:
        table = Table("id", "agency", "channel", "concerns", "tier", "mode", "status")
        for sub in list_subscriptions(s, agency_id=agency, include_removed=all_):
            concerns = [f"port {p}" for p in sub.ports] + [f"flag {f}" for f in sub.flags]
            concerns += [f"crew {n}" for n in sub.nationalities]
            table.add_row(
                sub.id,
                sub.agency_id,
                f"{sub.channel} {sub.target}",
                ", ".join(concerns) or "all in scope",
                f">= {sub.min_tier}",
                sub.mode,
                sub.status,
            )
        console.print(table)


def subscriptions_remove(
    subscription_id: str,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "unsubscribed",
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Unsubscribe: nothing more is sent; unsent messages are cancelled."""
    from vessel_risk.db.tables import Subscription
    from vessel_risk.referral.subscription_store import remove_subscription

    with open_session(db) as s:
        sub = s.get(Subscription, subscription_id)
        if sub is None:
            raise LookupError(f"No subscription {subscription_id!r}.")
        remove_subscription(s, sub, actor=actor or default_actor(), reason=reason)
        console.print(f"Subscription {subscription_id} removed.", highlight=False)


def subscriptions_digest(
    now: Annotated[
        bool, typer.Option("--now", help="Send every held event now, due or not.")
    ] = False,
    db: Db = None,
) -> None:
    """Queue the digests that are due (the worker also does, on its schedule)."""
    from vessel_risk.delivery.subscriptions import send_due_digests

    with open_session(db) as s:
        counts = send_due_digests(s, force=now)
    console.print(
        f"{counts['digests']} digest(s) queued with {counts['events']} event(s); "
        "`vessel-risk deliver` sends them.",
        highlight=False,
    )
