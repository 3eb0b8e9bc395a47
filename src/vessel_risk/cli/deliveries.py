"""``vessel-risk deliveries list/show/requeue`` (the outbox, for a person) and
``vessel-risk purge`` (personal data past retention, for cron).

Rules live in :mod:`vessel_risk.delivery`; this module only reads options and prints.
Heavy imports (SQLAlchemy models, the delivery package) happen inside the commands so
that ``vessel-risk --help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

Db = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy URL (default: VESSEL_RISK_DATABASE_URL)."),
]
Actor = Annotated[
    str, typer.Option("--as", help="Who is acting, for the audit log (default: login name).")
]


def deliveries_list(
    db: Db = None,
    status: Annotated[
        str | None,
        typer.Option(help="pending, delivered, manual, dead or cancelled."),
    ] = None,
    agency: Annotated[str | None, typer.Option(help="Only this agency id.")] = None,
    notice: Annotated[str | None, typer.Option(help="Only this notice id.")] = None,
    case: Annotated[str | None, typer.Option(help="Only this case id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
) -> None:
    """Outbox rows, newest first: id, status, event, agency, rule, attempts, last error."""
    from sqlalchemy import select

    from vessel_risk.cli.database import open_session
    from vessel_risk.cli.terminal import console
    from vessel_risk.db.tables import Delivery

    q = select(Delivery).order_by(Delivery.created_at.desc(), Delivery.id).limit(limit)
    for column, value in (
        (Delivery.status, status),
        (Delivery.agency_id, agency),
        (Delivery.notice_id, notice),
        (Delivery.case_id, case),
    ):
        if value is not None:
            q = q.where(column == value)
    with open_session(db) as s:
        rows = s.scalars(q).all()
        if not rows:
            console.print("No deliveries match.")
            return
        for d in rows:
            about = f"notice {d.notice_id}" if d.notice_id else f"case {d.case_id}"
            revoked = " revoked" if d.revoked_at is not None else ""
            error = f" | {d.last_error}" if d.last_error else ""
            console.print(
                f"{d.id} {d.status}{revoked} {d.event_type} -> {d.agency_id} "
                f"({d.rule}; {about}; {d.attempts} attempts){error}",
                highlight=False,
                soft_wrap=True,
            )


def deliveries_show(delivery_id: str, db: Db = None) -> None:
    """One outbox row and every attempt (no payload: a case message's fields stay hidden)."""
    from sqlalchemy import select

    from vessel_risk.cli.database import open_session
    from vessel_risk.cli.terminal import console
    from vessel_risk.db.tables import Delivery, DeliveryAttempt, as_utc

    with open_session(db) as s:
        d = s.get(Delivery, delivery_id)
        if d is None:
            raise LookupError(f"No delivery {delivery_id!r}.")
        attempts = s.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == d.id)
            .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
        ).all()
        lines = [
            f"delivery {d.id}",
            f"  status: {d.status}"
            + (f" (revoked {as_utc(d.revoked_at)})" if d.revoked_at else ""),
            f"  event: {d.event_type}",
            f"  agency: {d.agency_id} (rule {d.rule})",
            f"  about: notice {d.notice_id}" if d.notice_id else f"  about: case {d.case_id}",
            f"  consent use: {d.consent_use or '-'}",
            f"  attempts: {d.attempts}; next at {as_utc(d.next_attempt_at)}",
            f"  delivered at: {as_utc(d.delivered_at) or '-'}; receiver status: "
            f"{d.receiver_status or '-'}",
            f"  last error: {d.last_error or '-'}",
        ]
        lines += [
            f"  attempt {as_utc(a.attempted_at)}: HTTP {a.http_status or '-'} "
            f"{a.error or 'ok'} ({a.duration_ms:.0f} ms)"
            for a in attempts
        ]
        console.print("\n".join(lines), highlight=False, soft_wrap=True)


def deliveries_requeue(
    delivery_id: str,
    reason: Annotated[str, typer.Option("--reason", help="Why it is sent again (audited).")],
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Send a dead delivery again (after its agency's configuration was fixed)."""
    from vessel_risk.cli.database import default_actor, open_session
    from vessel_risk.cli.terminal import console
    from vessel_risk.delivery import requeue_delivery

    with open_session(db) as s:
        d = requeue_delivery(s, delivery_id, actor=actor or default_actor(), reason=reason)
        console.print(f"Delivery {d.id} to {d.agency_id} requeued: pending.", highlight=False)


def purge(db: Db = None) -> None:
    """Delete personal data past its retention limit (notice crew data, case intakes).

    For cron (e.g. hourly); the delivery worker also purges every 10 minutes unless
    started with --purge-every 0. Audited as system:retention.
    """
    from vessel_risk.cli.database import open_session
    from vessel_risk.cli.terminal import console
    from vessel_risk.delivery import purge_expired_personal_data

    with open_session(db) as s:
        counts = purge_expired_personal_data(s)
    console.print(
        f"Purged {counts['notice_personal_data']} notice crew records, "
        f"{counts['case_intakes']} case intakes, {counts['case_follow_ups']} follow-up "
        f"indicator sets, {counts['tips']} tips' accounts.",
        highlight=False,
    )
