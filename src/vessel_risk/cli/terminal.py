"""Console output shared by the command-line modules.

Messages are printed soft-wrapped: rich never breaks a line at the terminal's width
(the terminal wraps it for display), so a message such as a long path reads the same,
and is found whole in captured output, whatever the width (``COLUMNS``). Tables and
progress bars still fit the width: their cells wrap by column, not by this setting.
"""

from __future__ import annotations

import inspect
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


def reflow(doc: str) -> str:
    """``doc`` with each paragraph on one line, so help wraps at the terminal's width.

    Typer keeps the line ends inside a docstring's later paragraphs, so a paragraph
    printed on a wide terminal broke where the source line ended. Paragraphs stay
    separated by a blank line; ``\\f`` and what follows it (not for the help) is dropped.
    """
    text = inspect.cleandoc(doc).partition("\f")[0]
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


def reflow_help(app: typer.Typer) -> None:
    """Give every command of ``app`` and its groups its docstring, reflowed.

    Commands registered with an explicit ``help`` keep it.
    """
    for command in app.registered_commands:
        if command.help is None and command.callback is not None and command.callback.__doc__:
            command.help = reflow(command.callback.__doc__)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            reflow_help(group.typer_instance)
