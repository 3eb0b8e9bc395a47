"""``vessel-risk reference show|refresh``: the reference tables behind identity inference.

The tables (MID, ITU call-sign series, registry name patterns) ship with the package;
``refresh`` validates a file the user supplies and installs it in the user reference
folder (``$VESSEL_RISK_REFERENCE_DIR``), where it takes precedence over the shipped one.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail


class TableName(StrEnum):
    """The reference tables a user can refresh."""

    mid = "mid"
    callsign_series = "callsign-series"
    name_patterns = "name-patterns"


def reference_show() -> None:
    """Each reference table: rows, source, date and the file it is read from."""
    from vessel_risk.identity.reference import TABLES, table_info, table_location

    table = Table("table", "rows", "origin", "source", "date", "read from")
    for name in TABLES:
        try:
            info = table_info(name)
        except ValueError as exc:
            origin, path = table_location(name)
            table.add_row(name, "-", origin, f"[red]unusable:[/red] {exc}", "-", path)
            continue
        table.add_row(
            name,
            str(info["rows"]),
            str(info["origin"]),
            str(info["source"]),
            str(info["date"]),
            str(info["path"]),
        )
    console.print(table)


def reference_refresh(
    table: Annotated[TableName, typer.Argument(help="Which table to replace.")],
    file: Annotated[Path, typer.Argument(help="CSV with the table's columns.")],
) -> None:
    """Validate FILE and install it as the TABLE used from now on (shipped copy kept)."""
    from vessel_risk.identity.reference import refresh_table

    try:
        result = refresh_table(table.value, file)
    except (OSError, ValueError) as exc:
        raise _fail(f"{file} was not installed: {exc}") from exc
    console.print(
        f"Installed {table.value}: {result['rows']} rows ({result['added']} added, "
        f"{result['removed']} removed) at {result['path']}."
    )
