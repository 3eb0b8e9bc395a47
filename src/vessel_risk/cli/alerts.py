"""``vessel-risk alerts list|show|review``: the ranked alerts in the database and their
review lifecycle (rules in ``vessel_risk.alerts.lifecycle``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from vessel_risk.cli.database import Actor, Db, default_actor, open_session
from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail

if TYPE_CHECKING:
    from vessel_risk.db.tables import AlertRow

STATUSES = ("new", "under_review", "referred", "dismissed", "withdrawn")
"""``vessel_risk.alerts.lifecycle.STATUSES``, repeated for the options' help text so
``--help`` need not import the alerts package (a test keeps the two equal)."""


def alerts_list(
    db: Db = None,
    tier: Annotated[str | None, typer.Option(help="high, medium, low, insufficient data")] = None,
    status: Annotated[str | None, typer.Option(help=f"One of {', '.join(STATUSES)}.")] = None,
    port: Annotated[str | None, typer.Option(help="Last port, as named in the alert.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 20,
) -> None:
    """The review queue in its order: high and medium alerts by score, then tips (never
    scored) by urgency, then low and "insufficient data" alerts; each with its source."""
    from sqlalchemy import select

    from vessel_risk.alerts.display import vessel_label
    from vessel_risk.alerts.queue import UNSCORED, order_columns
    from vessel_risk.db.tables import AlertRow
    from vessel_risk.model.indicators import TIER_LEVEL

    tiers = [*TIER_LEVEL, UNSCORED]
    if tier and tier not in tiers:
        raise _fail(f"--tier must be one of {', '.join(tiers)}. Got {tier!r}.")
    if status and status not in STATUSES:
        raise _fail(f"--status must be one of {', '.join(STATUSES)}. Got {status!r}.")
    with open_session(db) as s:
        band, key, ident = order_columns()
        q = select(AlertRow).order_by(band.desc(), key.desc(), ident.desc())
        if tier:
            q = q.where(AlertRow.tier == tier)
        if status:
            q = q.where(AlertRow.status == status)
        if port:
            q = q.where(AlertRow.last_port_label == port.upper())
        table = Table(
            "id", "mmsi", "year", "name", "flag", "score", "tier", "status", "last port", "source"
        )
        for a in s.scalars(q.limit(limit)):
            table.add_row(
                str(a.id),
                vessel_label(a.mmsi, a.track_id),
                str(a.year),
                a.shipname or "",
                _flag(a),
                "none" if a.score is None else f"{a.score:.2f}",
                a.tier,
                a.status,
                a.last_port_label or "",
                a.source + (f" (+{', '.join(a.reported_by)})" if a.reported_by else ""),
            )
        console.print(table)


def _flag(a: AlertRow) -> str:
    from vessel_risk.alerts.display import flag_label

    return flag_label(
        a.flag_iso3, a.flag_inferred_iso3, a.flag_inferred_source, a.flag_inferred_confidence
    )


def alerts_show(alert_id: int, db: Db = None) -> None:
    """One alert: why (top indicators), on how much data, and its history."""
    from vessel_risk.alerts.display import vessel_label
    from vessel_risk.alerts.persistence import alert_history
    from vessel_risk.alerts.queue import unscored_note
    from vessel_risk.db.tables import AlertRow

    with open_session(db) as s:
        a = s.get(AlertRow, alert_id)
        if a is None:
            raise _fail(f"No alert {alert_id}.")
        console.print(
            f"[bold]Alert {a.id}[/bold]: {a.shipname or 'name unknown'} "
            f"(MMSI {vessel_label(a.mmsi, a.track_id)}, {a.year}), "
            + (
                f"{a.tier} {a.score:.2f} by {a.model_version}"
                if a.score is not None
                else unscored_note(a.source)
            )
            + f"; status {a.status}"
            + (f"; also reported by {', '.join(a.reported_by)}" if a.reported_by else "")
        )
        console.print(
            f"Flag: {_flag(a)}"
            + (f"; vessel identity {a.vessel_id}" if a.vessel_id else "")
            + (f"; class {a.vessel_class}" if a.vessel_class else "")
        )
        console.print(a.detail["data_note"])
        for i in a.detail.get("indicators", []):
            console.print(f"  - {i['name']} ({i['ilo_indicator']}): {i['reason']}")
        console.print(a.detail["caveat"])
        history = alert_history(s, alert_id)
        for h in history["audit"]:
            console.print(
                f"  {h['at']:%Y-%m-%d %H:%M} {h['actor']}: {h['action']} {h['after'] or ''}"
                + (f" ({h['reason']})" if h["reason"] else "")
            )


def alerts_review(
    alert_id: int,
    to: Annotated[str, typer.Option("--to", help=f"New status: {', '.join(STATUSES)}.")],
    reason: Annotated[str | None, typer.Option(help="Why (required to dismiss).")] = None,
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Move an alert through its lifecycle (audited)."""
    from vessel_risk.alerts.persistence import transition

    with open_session(db) as s:
        a = transition(s, alert_id, to, actor=actor or default_actor(), reason=reason)
        console.print(f"Alert {a.id} is now {a.status}.")
