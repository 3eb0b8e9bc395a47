"""``vessel-risk inspections record|list``: boarding and inspection outcomes (issue 17).

What a boarding found, checked against the ILO forced-labour indicators and the ILO C188
checklist (:mod:`vessel_risk.referral.inspections`); ``vessel-risk train --outcomes-db``
reads them back as labels. Heavy imports stay inside the commands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail

Db = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy URL (default: VESSEL_RISK_DATABASE_URL)."),
]
Actor = Annotated[
    str, typer.Option("--as", help="Who is acting, for the audit log (default: login name).")
]


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or []:
        key, sep, item = value.partition("=")
        if not sep or not key.strip() or not item.strip():
            raise _fail(f"{what} takes KEY=VALUE. Got {value!r} instead.")
        out[key.strip()] = item.strip()
    return out


def _crew(values: list[str] | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, count in _pairs(values, "--crew").items():
        try:
            out[key] = int(count)
        except ValueError as exc:
            raise _fail(f"--crew {key}={count!r}: the count must be a whole number.") from exc
    return out


def _when(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _fail(
            f"--at must be an ISO 8601 time with its zone (2026-03-01T09:30:00+07:00). "
            f"Got {value!r} instead."
        ) from exc
    if at.tzinfo is None:
        raise _fail(f"--at {value!r} has no time zone: add Z or +07:00, for example.")
    return at


def inspections_record(
    mmsi: Annotated[str, typer.Option("--mmsi", help="The vessel's MMSI (9 digits).")],
    year: Annotated[int, typer.Option("--year", help="The vessel-year the boarding bears on.")],
    at: Annotated[
        str, typer.Option("--at", help="When, ISO 8601 with its zone (2026-03-01T09:30+07:00).")
    ],
    agency: Annotated[str, typer.Option("--agency", help="The inspecting agency's id.")],
    outcome: Annotated[
        str, typer.Option("--outcome", help="confirmed, none_found or not_boarded.")
    ],
    port: Annotated[
        str | None, typer.Option("--port", help="The port, as the alerts name it.")
    ] = None,
    port_iso3: Annotated[
        str | None, typer.Option("--port-iso3", help="The port's state (ISO3).")
    ] = None,
    alert: Annotated[
        int | None, typer.Option("--alert", help="The alert that led to the boarding.")
    ] = None,
    indicator: Annotated[
        list[str] | None,
        typer.Option(
            "--indicator",
            help="An ILO forced-labour indicator observed (e.g. withholding_of_wages); repeat.",
        ),
    ] = None,
    document: Annotated[
        list[str] | None,
        typer.Option(
            "--document",
            help="A C188 checklist item and what was found: KEY=seen|missing|not_checked "
            "(e.g. identity_documents_held_by_crew=missing); repeat.",
        ),
    ] = None,
    crew: Annotated[
        list[str] | None,
        typer.Option("--crew", help="Crew head count by nationality: ISO3=N; repeat."),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why the vessel was not boarded.")
    ] = None,
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Record what a boarding found (checked against the ILO indicators and the C188
    checklist; audited). No person is named: crew are counted by nationality only."""
    from vessel_risk.cli.database import default_actor, open_session
    from vessel_risk.referral.inspections import (
        CREW_STATEMENT,
        inspection_source,
        record_inspection,
    )
    from vessel_risk.referral.standards import ILO_INDICATORS

    when = _when(at)
    documents = _pairs(document, "--document")
    counts = _crew(crew)
    with open_session(db) as s:
        row = record_inspection(
            s,
            alert_id=alert,
            mmsi=mmsi,
            year=year,
            inspected_at=when,
            port_label=port,
            port_iso3=port_iso3,
            agency_id=agency,
            outcome=outcome,
            ilo_indicators=indicator or [],
            documents_seen=documents,
            crew_by_nationality=counts,
            not_boarded_reason=reason,
            actor=actor or default_actor(),
        )
        found = ", ".join(ILO_INDICATORS[k] for k in row.ilo_indicators) or "none"
        console.print(
            f"Inspection {row.id} recorded: {row.mmsi} ({row.year}), {row.outcome}; "
            f"indicators: {found}; crew counted: {sum(row.crew_by_nationality.values())}. "
            f"Label source: {inspection_source(row)}."
        )
        console.print(CREW_STATEMENT)


def inspections_list(
    mmsi: Annotated[str | None, typer.Option("--mmsi", help="Only this vessel.")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="Only this agency.")] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="Only this outcome.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 50,
    db: Db = None,
) -> None:
    """Recorded inspections, newest first."""
    from rich.table import Table

    from vessel_risk.cli.database import open_session
    from vessel_risk.referral.inspections import list_inspections

    if limit < 1:
        raise _fail(f"--limit must be at least 1. Got {limit}.")
    with open_session(db) as s:
        rows = list_inspections(s, mmsi=mmsi, agency_id=agency, outcome=outcome, limit=limit)
        table = Table(
            "id", "when (UTC)", "vessel", "year", "port", "agency", "outcome", "indicators", "crew"
        )
        for r in rows:
            table.add_row(
                str(r.id),
                r.inspected_at.strftime("%Y-%m-%d %H:%M"),
                r.mmsi,
                str(r.year),
                r.port_label or "",
                r.agency_id,
                r.outcome if r.outcome != "not_boarded" else f"not_boarded: {r.not_boarded_reason}",
                ", ".join(r.ilo_indicators or []),
                ", ".join(f"{k} {v}" for k, v in (r.crew_by_nationality or {}).items()),
            )
        console.print(table)
        console.print(f"{len(rows)} inspections.")
