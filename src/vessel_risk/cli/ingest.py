"""``vessel-risk ingest``: AIS files, in chunks, into the position store partitioned by
vessel (read by ``vessel-risk run --store``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="AIS files in any supported dialect.")],
    store: Annotated[
        str,
        typer.Option(
            "--store",
            help="Folder of the Parquet store: a path, or an fsspec URL (file://, s3://... "
            "with its driver installed; staged through a local temporary copy).",
        ),
    ],
    append: Annotated[
        bool,
        typer.Option(
            "--append",
            help="Add the files (a day's, say) to an existing store; the next "
            "`vessel-risk run --store` recomputes the vessels they touched.",
        ),
    ] = False,
) -> None:
    """Ingest AIS files in chunks into a Parquet store partitioned by vessel.

    `vessel-risk run --store DIR` then processes it one partition at a time. With
    --append the files are added to a store already written.
    """
    for path in paths:
        if not path.exists():
            raise _fail(f"the file {str(path)!r} does not exist.")
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

        from vessel_risk.ingest import IngestLimits, append_store, read_manifest, write_store
        from vessel_risk.ingest.remote import is_url, local_folder, url_is_empty
        from vessel_risk.settings import Settings

        try:
            limits = IngestLimits.from_settings(Settings())
            write = append_store if append else write_store
            if is_url(store) and not append and not url_is_empty(store):
                raise ValueError(
                    f"the store {store!r} is not empty: a new store goes to an empty "
                    "location (--append adds files to an existing store)."
                )
            with local_folder(store, download=append, upload=True) as folder:
                reports = write(list(paths), folder, on_file=on_file, limits=limits)
                manifest = read_manifest(folder) if append else None
        except (ValueError, OSError) as exc:
            progress.stop()
            raise _fail(str(exc)) from exc
        progress.update(task, description="done", completed=len(paths))
    for r in reports:
        console.print(
            f"{r['source']} ({r['dialect']}): {r['rows_in']:,} in, {r['positions']:,} "
            f"positions, {r['static_reports']:,} static reports, {r['quarantined']:,} "
            "quarantined."
        )
    if manifest is not None:
        last = manifest["appends"][-1]
        console.print(
            f"Appended: {last['vessels']:,} vessels touched, {last['start']} to {last['end']}."
        )
    console.print(f"Store: {store if is_url(store) else Path(store).resolve()}")
