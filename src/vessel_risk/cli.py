"""The ``vessel-risk`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from vessel_risk.ingest import write_store
from vessel_risk.pipeline import STAGES
from vessel_risk.pipeline import run as run_pipeline
from vessel_risk.settings import Settings

app = typer.Typer(help="Find fishing vessels at risk of forced labour from their AIS tracks.")
console = Console()


@app.callback()
def main() -> None:
    """vessel-risk: ranked, explained alerts from AIS. A score is evidence, never proof."""


@app.command()
def run(
    ais: Annotated[
        list[Path],
        typer.Option(
            "--ais", help="AIS file (Parquet, GeoParquet, CSV dialects, raw NMEA); repeat for more."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for the outputs.")],
    ports: Annotated[
        Path | None,
        typer.Option("--ports", help="Port/anchorage list CSV (default: searoute's ports)."),
    ] = None,
    iuu_list: Annotated[
        Path | None, typer.Option("--iuu-list", help="Combined IUU vessel list CSV.")
    ] = None,
    inland_waters: Annotated[
        bool,
        typer.Option(
            "--inland-waters",
            help="Keep positions on lakes and rivers (the shore grid counts them as land).",
        ),
    ] = False,
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL (default: SQLite file in --out).")
    ] = None,
) -> None:
    """Run the main job: AIS in; positions, events, features, ranked alerts and a report out."""
    settings = Settings()
    for path in [*ais, *(p for p in (ports, iuu_list) if p)]:
        if not path.exists():
            console.print(f"[red]error:[/red] the file {str(path)!r} does not exist.")
            raise typer.Exit(code=2)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("starting", total=len(STAGES))

        def on_stage(stage: str) -> None:
            progress.update(task, description=stage, completed=STAGES.index(stage))

        try:
            summary = run_pipeline(
                ais,
                out,
                ports_path=ports,
                iuu_path=iuu_list,
                database_url=db or settings.database_url,
                inland_waters=inland_waters,
                on_stage=on_stage,
            )
        except (ValueError, OSError) as exc:
            progress.stop()
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=2) from exc
        progress.update(task, description="done", completed=len(STAGES))
    c = summary.counts
    tiers = ", ".join(f"{k} {v}" for k, v in c["alerts_by_tier"].items()) or "none"
    console.print(
        f"{c['rows_in']:,} messages in: {c['positions_kept']:,} positions kept, "
        f"{c['static_reports']:,} static reports, {c['quarantined']:,} quarantined."
    )
    console.print(f"Ranked {summary.alerts} alerts ({tiers}).")
    on_land = c["quarantined_by_reason"].get("on_land", 0)
    if on_land and on_land >= 0.2 * max(c["positions_read"], 1):
        console.print(
            f"[yellow]note:[/yellow] {on_land:,} positions lie more than 10 km inland and were "
            "quarantined; if these vessels work on lakes or rivers, rerun with --inland-waters."
        )
    console.print(f"Report: {summary.report.resolve()}")
    console.print(f"Alerts stored in {summary.database_url} (run {summary.run_id}).")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="AIS files in any supported dialect.")],
    store: Annotated[Path, typer.Option("--store", help="Folder of the Parquet store.")],
) -> None:
    """Ingest AIS files into a partitioned Parquet store, one file in memory at a time."""
    for path in paths:
        if not path.exists():
            console.print(f"[red]error:[/red] the file {str(path)!r} does not exist.")
            raise typer.Exit(code=2)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} files"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("ingest", total=len(paths))

        def on_file(index: int, name: str) -> None:
            progress.update(task, description=name, completed=index)

        try:
            reports = write_store(list(paths), store, on_file=on_file)
        except (ValueError, OSError) as exc:
            progress.stop()
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=2) from exc
        progress.update(task, description="done", completed=len(paths))
    for r in reports:
        console.print(
            f"{r['source']} ({r['dialect']}): {r['rows_in']:,} in, {r['positions']:,} "
            f"positions, {r['static_reports']:,} static reports, {r['quarantined']:,} "
            "quarantined."
        )
    console.print(f"Store: {store.resolve()}")
