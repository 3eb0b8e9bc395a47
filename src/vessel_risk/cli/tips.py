"""``vessel-risk tips add|list``: tips from a hotline, an NGO, a consulate or a first
responder, entered by hand into the review queue (:mod:`vessel_risk.referral.tips`).

A tip is never scored: it joins its vessel's live queue item, or becomes an item of its
own marked by its source. Heavy imports stay inside the commands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from vessel_risk.cli.database import Actor, Db
from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail

SOURCES = ("hotline", "ngo", "consulate", "first_responder", "port_welfare", "other")
"""``vessel_risk.alerts.queue.TIP_SOURCES``, repeated for ``--help`` (a test keeps the
two equal)."""


def tips_add(
    source: Annotated[str, typer.Option("--source", help=f"One of {', '.join(SOURCES)}.")],
    agency: Annotated[str, typer.Option("--agency", help="The reporting service's id.")],
    subject: Annotated[str, typer.Option("--subject", help="vessel or person.")] = "vessel",
    mmsi: Annotated[str | None, typer.Option("--mmsi", help="9 digits.")] = None,
    imo: Annotated[str | None, typer.Option("--imo", help="7 digits.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="The vessel's name.")] = None,
    callsign: Annotated[str | None, typer.Option("--callsign")] = None,
    flag: Annotated[str | None, typer.Option("--flag", help="Flag seen, ISO3.")] = None,
    port: Annotated[str | None, typer.Option("--port", help="Port seen or expected.")] = None,
    port_iso3: Annotated[str | None, typer.Option("--port-iso3")] = None,
    last_seen: Annotated[
        str | None, typer.Option("--last-seen", help="ISO 8601 with its zone.")
    ] = None,
    indicator: Annotated[
        list[str] | None,
        typer.Option("--indicator", help="An ILO indicator observed (e.g. debt_bondage); repeat."),
    ] = None,
    observed: Annotated[
        str | None, typer.Option("--observed", help="What was observed, in their words.")
    ] = None,
    urgent: Annotated[bool, typer.Option("--urgent", help="A person is at risk now.")] = False,
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Enter a tip into the review queue (audited); it is never scored."""
    from pydantic import ValidationError

    from vessel_risk.cli.database import default_actor, open_session
    from vessel_risk.referral.tips import TipReport, submit_tip

    seen = None
    if last_seen:
        try:
            seen = datetime.fromisoformat(last_seen)
        except ValueError as exc:
            raise _fail(f"--last-seen {last_seen!r}: use ISO 8601 with its zone.") from exc
    try:
        report = TipReport(
            source=source,  # type: ignore[arg-type]
            subject=subject,  # type: ignore[arg-type]
            mmsi=mmsi,
            imo=imo,
            shipname=name,
            callsign=callsign,
            flag_iso3=flag,
            port_label=port,
            port_iso3=port_iso3,
            last_seen=seen,
            urgent=urgent,
            ilo_indicators=indicator or [],
            observed=observed,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "tip"
        raise _fail(f"{where}: {first['msg']}") from exc
    with open_session(db) as s:
        tip = submit_tip(s, report, actor=actor or default_actor(), agency_id=agency)
        how = "added to the existing item" if tip.linked else "a new unscored item"
        console.print(
            f"Tip {tip.id} from {tip.source} received: queue item {tip.alert_id} ({how}).",
            highlight=False,
        )


def tips_list(
    source: Annotated[
        str | None, typer.Option("--source", help=f"Only this source: {', '.join(SOURCES)}.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 50,
    db: Db = None,
) -> None:
    """Tips received, newest first (no person's data is shown)."""
    from rich.table import Table

    from vessel_risk.cli.database import open_session
    from vessel_risk.referral.tips import list_tips

    with open_session(db) as s:
        rows = list_tips(s, source=source, limit=limit)
        table = Table("tip", "received (UTC)", "source", "about", "vessel", "item", "indicators")
        for t in rows:
            vessel = " · ".join(v for v in (t.shipname, t.mmsi, t.imo) if v) or "-"
            table.add_row(
                t.id[:8],
                t.received_at.strftime("%Y-%m-%d %H:%M"),
                t.source,
                t.subject,
                vessel,
                f"{t.alert_id}{' (linked)' if t.linked else ''}",
                str(len(t.ilo_indicators or [])),
            )
        console.print(table)
        console.print(f"{len(rows)} tips.")
