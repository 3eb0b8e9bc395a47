"""Console output shared by the command-line modules."""

from __future__ import annotations

import typer
from rich.console import Console

console = Console()


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error and return the exit (code 2) to raise."""
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=2)
