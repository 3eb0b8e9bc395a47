"""``vessel-risk deliver``: the delivery worker that sends queued referral notices to
their agencies (rules in ``vessel_risk.delivery``).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from vessel_risk.cli.database import database_url, open_database
from vessel_risk.cli.terminal import console


def deliver(
    db: Annotated[
        str | None,
        typer.Option("--db", help="SQLAlchemy URL (default: VESSEL_RISK_DATABASE_URL)."),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds to wait when nothing is due.", min=0.0)
    ] = 5.0,
    batch: Annotated[int, typer.Option("--batch", help="Deliveries leased per pass.", min=1)] = 50,
    worker_id: Annotated[
        str | None, typer.Option("--worker-id", help="Lease owner (default: host:pid).")
    ] = None,
    max_attempts: Annotated[
        int, typer.Option("--max-attempts", help="Attempts before a dead letter.", min=1)
    ] = 12,
    base_delay_s: Annotated[
        float, typer.Option("--base-delay-s", help="Backoff base, seconds.", min=0.0)
    ] = 30.0,
    max_delay_s: Annotated[
        float, typer.Option("--max-delay-s", help="Longest backoff, seconds.", min=0.0)
    ] = 6 * 3600.0,
    lease_s: Annotated[
        float, typer.Option("--lease-s", help="Lease of a batch, seconds.", min=0.1)
    ] = 120.0,
    timeout_s: Annotated[
        float, typer.Option("--timeout-s", help="HTTP timeout per attempt, seconds.", min=0.01)
    ] = 10.0,
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Sends in flight at once.", min=1)
    ] = 8,
    purge_every: Annotated[
        float,
        typer.Option(
            "--purge-every",
            help="Minutes between purges of personal data past retention (0: never; "
            "then run `vessel-risk purge` from cron).",
            min=0.0,
        ),
    ] = 10.0,
    arrivals_every: Annotated[
        float,
        typer.Option(
            "--arrivals-every",
            help="Minutes between checks for vessels expected within --arrivals-lead-h "
            "hours, told to their subscribers (0: never).",
            min=0.0,
        ),
    ] = 10.0,
    arrivals_lead_h: Annotated[
        float, typer.Option("--arrivals-lead-h", help="Hours ahead to announce.", min=1.0)
    ] = 48.0,
    digest_every: Annotated[
        float,
        typer.Option(
            "--digest-every",
            help="Minutes between checks for subscription digests that are due (0: never; "
            "then run `vessel-risk subscriptions digest` from cron).",
            min=0.0,
        ),
    ] = 10.0,
    allow_local: Annotated[
        bool,
        typer.Option(
            "--allow-local",
            help="Let webhooks (agencies' and subscriptions'), and Primero reach this "
            "machine or a private network (development and tests; by default every "
            "connection goes to a public address, checked when it is made). Cloud "
            "metadata addresses stay refused.",
        ),
    ] = False,
) -> None:
    """Run the delivery worker: send queued referral notices to their agencies.

    On its schedule it also purges personal data past retention, tells subscribers of
    vessels expected at their ports (48 h ahead by default) and queues due digests.

    Loops until SIGTERM or Ctrl-C, which let the pass in flight finish (each send is
    bounded by --timeout-s) and then exit cleanly. Rules: see `vessel_risk.delivery`.
    """
    import os
    import socket

    from vessel_risk.delivery import DeliveryCounts, run_worker
    from vessel_risk.delivery.worker import ScheduledJob
    from vessel_risk.referral.subscription_notify import notify_arrivals

    engine = open_database(database_url(db))
    owner = worker_id or f"{socket.gethostname()}:{os.getpid()}"[:64]

    def line(total: DeliveryCounts) -> str:
        c = total.as_dict()
        return (
            f"{c['leased']} leased, {c['delivered']} delivered, {c['retried']} retried, "
            f"{c['dead']} dead, {c['manual']} manual in {total.passes} passes"
        )

    try:
        with console.status(f"worker {owner}: starting", spinner="dots") as status:

            def on_pass(counts: DeliveryCounts, total: DeliveryCounts) -> None:
                status.update(f"worker {owner}: {line(total)}")
                if counts.leased and not console.is_terminal:
                    console.print(f"pass {total.passes}: {counts.as_dict()}", highlight=False)

            def on_purge(counts: dict[str, int]) -> None:
                if any(counts.values()):
                    console.print(f"purged personal data past retention: {counts}", highlight=False)

            def on_notice(counts: dict[str, int]) -> None:
                if counts.get("matched") or counts.get("digests"):
                    console.print(f"subscriptions: {counts}", highlight=False)

            jobs = []
            if arrivals_every > 0:

                def arrivals(session: Any) -> dict[str, int]:
                    return notify_arrivals(session, lead_h=arrivals_lead_h)

                jobs.append(ScheduledJob("arrivals", arrivals_every * 60.0, arrivals, on_notice))
            total = run_worker(
                engine,
                worker_id=owner,
                once=once,
                interval_s=interval,
                batch=batch,
                timeout_s=timeout_s,
                allow_local=allow_local,
                on_pass=on_pass,
                max_attempts=max_attempts,
                base_delay_s=base_delay_s,
                max_delay_s=max(max_delay_s, base_delay_s),
                lease_s=lease_s,
                concurrency=concurrency,
                purge_every_s=purge_every * 60.0 if purge_every > 0 else None,
                on_purge=on_purge,
                digest_every_s=digest_every * 60.0 if digest_every > 0 else None,
                on_digest=on_notice,
                jobs=jobs,
            )
    finally:
        engine.dispose()
    console.print(f"Delivery worker {owner} stopped: {line(total)}.", highlight=False)
