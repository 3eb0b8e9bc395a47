"""``vessel-risk monitoring``: the referral mechanism's figures for its coordinating body.

Prints each figure's total over the window (:mod:`vessel_risk.referral.monitoring`), and
with ``--csv FILE`` writes the whole long tidy frame (months and breakdowns). Only
aggregates: counts and medians, never a person. Heavy imports stay inside the command.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from vessel_risk.cli.terminal import console, parse_day
from vessel_risk.cli.terminal import fail as _fail

Db = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy URL (default: VESSEL_RISK_DATABASE_URL)."),
]


def monitoring(
    start: Annotated[
        str | None,
        typer.Option("--from", help="First day, YYYY-MM-DD (UTC; default 12 months back)."),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Last day, included, YYYY-MM-DD (default today).")
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Write every row (months, breakdowns) to this CSV file."),
    ] = None,
    db: Db = None,
    actor: Annotated[
        str, typer.Option("--as", help="Who reads, for the audit log (default: login name).")
    ] = "",
) -> None:
    """The mechanism's figures over a window: alerts, boardings, persons, timeliness,
    reflection periods, follow-ups with the IACAT indicators, transfers."""
    from rich.table import Table

    from vessel_risk.cli.database import default_actor, open_session
    from vessel_risk.db.tables import audit, utcnow
    from vessel_risk.referral.monitoring import COLUMNS, FIGURES
    from vessel_risk.referral.monitoring_load import monitoring_figures

    last = parse_day(to, "--to") if to is not None else utcnow().date()
    first = parse_day(start, "--from") if start is not None else None
    if first is None:
        m = last.month - 11
        first = date(last.year + (m - 1) // 12, (m - 1) % 12 + 1, 1)
    if first > last:
        raise _fail(f"--from ({first}) must not be after --to ({last}).")
    who = actor or default_actor()
    with open_session(db) as s:
        audit(
            s,
            actor=who,
            action="monitoring.read",
            entity_type="monitoring",
            entity_id="cli",
            after={"from": first.isoformat(), "to": last.isoformat()},
        )
        out = monitoring_figures(s, first, last + timedelta(days=1), actor=who)
    totals = out[out["period"].isna() & out[list(COLUMNS[2:8])].isna().all(axis=1)]
    by_id = dict(zip(totals["figure"], zip(totals["value"], totals["persons"], strict=True),
                     strict=True))  # fmt: skip
    table = Table(title=f"The referral mechanism, {first} to {last} (UTC)")
    for name, justify in (("section", "left"), ("figure", "left"), ("value", "right"),
                          ("unit", "left"), ("persons", "right")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for f in FIGURES.values():
        value, persons = by_id.get(f.id, (None, None))
        shown = "-" if value is None else f"{value:g}"
        who_count = str(persons) if f.level == "person" and persons is not None else "-"
        table.add_row(f.section, f.id, shown, f.unit, who_count)
    console.print(table)
    console.print(
        "Aggregates only; the people counted are presumed victims, never suspects. "
        "Definitions: GET /monitoring/definitions."
    )
    if csv is not None:
        from vessel_risk.alerts.export import neutralise_formulas

        neutralise_formulas(out).to_csv(
            csv, index=False, columns=list(COLUMNS), lineterminator="\n"
        )  # a port label a tip typed opens as text, never a formula
        console.print(f"{len(out)} rows written to {csv}")
