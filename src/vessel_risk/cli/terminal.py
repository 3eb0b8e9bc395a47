"""Console output shared by the command-line modules.

Messages are printed soft-wrapped: rich never breaks a line at the terminal's width
(the terminal wraps it for display), so a message such as a long path reads the same,
and is found whole in captured output, whatever the width (``COLUMNS``). Tables and
progress bars still fit the width: their cells wrap by column, not by this setting.
"""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.markup import escape

console = Console(soft_wrap=True)


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error and return the exit (code 2) to raise."""
    console.print(f"[red]error:[/red] {escape(message)}")  # the message is text, not markup
    return typer.Exit(code=2)


def parse_day(value: str, option: str) -> date:
    """``value`` as a day (``YYYY-MM-DD``), or :func:`fail` naming ``option``."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"{option} must be a day, YYYY-MM-DD. Got {value!r} instead.") from exc
