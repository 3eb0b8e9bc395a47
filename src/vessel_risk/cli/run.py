"""``vessel-risk run``: the main job, AIS in; positions, events, features, alerts out.

Builds one :class:`~vessel_risk.pipeline.config.RunConfig` from the options and the
settings (every check of the inputs lives there), says which model scores (the
registry's champion or the indicator baseline) and how fishing is estimated, runs
:func:`vessel_risk.pipeline.run` with a progress bar, and prints the run's summary.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail
from vessel_risk.settings import Settings


def run(
    out: Annotated[
        str,
        typer.Option(
            "--out",
            help="Folder for the outputs: a path, or an fsspec URL (file://, s3://... with "
            "its driver installed; staged through a local temporary copy).",
        ),
    ],
    ais: Annotated[
        list[Path] | None,
        typer.Option(
            "--ais",
            help="AIS file (Parquet, GeoParquet, CSV dialects, raw NMEA); repeat for more. "
            "Read in chunks through a temporary store in --out.",
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Store written by `vessel-risk ingest`, read instead of --ais: a path or an "
            "fsspec URL.",
        ),
    ] = None,
    ports: Annotated[
        Path | None,
        typer.Option("--ports", help="Port/anchorage list CSV (default: searoute's ports)."),
    ] = None,
    iuu_list: Annotated[
        Path | None, typer.Option("--iuu-list", help="Combined IUU vessel list CSV.")
    ] = None,
    carriers: Annotated[
        Path | None,
        typer.Option("--carriers", help="CSV with an mmsi column of carriers (reefers)."),
    ] = None,
    psma_parties: Annotated[
        Path | None,
        typer.Option("--psma-parties", help="CSV of PSMA parties (iso3, Entry_into_force_date)."),
    ] = None,
    eez: Annotated[
        Path | None,
        typer.Option(
            "--eez",
            help="EEZ polygons (GeoPackage, GeoJSON, shapefile; a state column such as "
            "ISO_SOV1): high-seas and foreign-EEZ fishing hours follow them "
            "(default: high seas beyond 200 nm from shore, foreign EEZ unknown).",
        ),
    ] = None,
    inland_waters: Annotated[
        bool,
        typer.Option(
            "--inland-waters",
            help="Keep positions on lakes and rivers (the shore grid counts them as land).",
        ),
    ] = False,
    all_vessel_classes: Annotated[
        bool,
        typer.Option(
            "--all-vessel-classes",
            help="Score every vessel, not only fishing vessels and the carriers and "
            "support vessels that meet them (cargo ships, tankers, ferries, gear...).",
        ),
    ] = False,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="SQLAlchemy URL (default: VESSEL_RISK_DATABASE_URL, else the SQLite file "
            "vessel_risk.db in --out).",
        ),
    ] = None,
    baseline: Annotated[
        bool,
        typer.Option(
            "--baseline", help="Score with the indicator baseline even if a champion exists."
        ),
    ] = False,
    scheduler: Annotated[
        str,
        typer.Option(
            "--scheduler",
            help="Where the partitions run: sync (this process), processes (a local Dask "
            "cluster of --workers) or a Dask scheduler address, tcp://host:8786 (trusted "
            "networks only: Dask ships pickled code) or tls://host:8786 (certificates from "
            "VESSEL_RISK_DASK_TLS_CA/_CERT/_KEY). Store and --out must be reachable by every "
            "worker at the same path.",
        ),
    ] = "sync",
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", help="Worker processes of --scheduler processes (default: one per core)."
        ),
    ] = None,
) -> None:
    """Run the main job: AIS in; positions, events, features, ranked alerts and a report out.

    AIS comes from --ais files or from a --store of `vessel-risk ingest`; either way the
    stages run one partition of vessels at a time, so input larger than memory works.
    Alerts are scored by the registry's champion model when there is one, otherwise by
    the transparent indicator baseline.
    """
    # Imported here, not at the top: `vessel-risk alerts ...` and `deliver` start fast.
    from vessel_risk.ingest.remote import local_folder

    with ExitStack() as staged:
        try:
            # A URL is staged through a local folder (vessel_risk.ingest.remote): the
            # store copied in, the outputs (and the database in them) copied back.
            out_dir = staged.enter_context(local_folder(out, download=True, upload=True))
            store_dir = staged.enter_context(local_folder(store, download=True)) if store else None
        except (ValueError, OSError) as exc:
            raise _fail(str(exc)) from exc
        _run(out, out_dir, ais, store_dir, ports, iuu_list, carriers, psma_parties, eez,
             inland_waters, all_vessel_classes, db, baseline, scheduler, workers)  # fmt: skip


def _run(
    out: str,
    out_dir: Path,
    ais: list[Path] | None,
    store: Path | None,
    ports: Path | None,
    iuu_list: Path | None,
    carriers: Path | None,
    psma_parties: Path | None,
    eez: Path | None,
    inland_waters: bool,
    all_vessel_classes: bool,
    db: str | None,
    baseline: bool,
    scheduler: str,
    workers: int | None,
) -> None:
    """The run itself, on local folders (``out`` is what the user gave, for messages)."""
    from vessel_risk.events.clean import ON_LAND_MARGIN_KM
    from vessel_risk.identity.reference import TABLES, table_location
    from vessel_risk.ingest.remote import is_url
    from vessel_risk.model.indicators import TIER_LEVEL
    from vessel_risk.pipeline import STAGES, RunConfig, choose_scorer, load_references
    from vessel_risk.pipeline import run as run_pipeline
    from vessel_risk.pipeline.counts import model_domain_line
    from vessel_risk.pipeline.scoring import fishing_note

    try:
        config = RunConfig.from_settings(
            Settings(),
            out_dir=out_dir,
            ais_paths=tuple(ais or ()),
            position_store=store,
            ports_path=ports,
            iuu_list_path=iuu_list,
            carriers_path=carriers,
            psma_parties_path=psma_parties,
            eez_path=eez,
            on_land_margin_km=None if inland_waters else ON_LAND_MARGIN_KM,
            database_url=db,
            scorer="baseline" if baseline else "champion",
            all_vessel_classes=all_vessel_classes,
            scheduler=scheduler,
            workers=workers,
        )
        scorer = choose_scorer(config.scorer, config.mlflow_tracking_uri)
        console.print(scorer.note)
        references = load_references(config)
        console.print(fishing_note(references.fishing_model, config.fishing_model_dir))
        for table in TABLES:
            origin, path = table_location(table)
            if origin == "user":
                console.print(
                    f"[yellow]note:[/yellow] the {table} table is your refreshed copy {path} "
                    f"(`vessel-risk reference show`; delete the file to use the shipped one)."
                )
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from exc

    if scheduler != "sync":
        console.print(
            f"Partitions run on {scheduler}"
            + (f" ({workers} worker{'s' * (workers != 1)})" if workers else "")
            + "; stages are shown as each partition's task finishes."
        )
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        # One bar for the stages, one per step mapped over partitions or space-time tiles.
        task = progress.add_task("starting", total=len(STAGES))
        steps: dict[str, TaskID] = {}

        def on_stage(stage: str) -> None:
            progress.update(task, description=stage, completed=STAGES.index(stage))

        def on_progress(step: str, done: int, total: int) -> None:
            what = "space-time tiles" if step == "encounters" else "vessel partitions"
            if step not in steps:
                steps[step] = progress.add_task(f"  {step} ({what})", total=total)
            progress.update(steps[step], completed=done, total=total)

        try:
            summary = run_pipeline(
                config,
                references=references,
                scorer=scorer,
                on_stage=on_stage,
                on_progress=on_progress,
            )
        except (ValueError, OSError) as exc:
            progress.stop()
            raise _fail(str(exc)) from exc
        progress.update(task, description="done", completed=len(STAGES))
    c = summary.counts
    by_tier = c["alerts_by_tier"]
    order = sorted(by_tier, key=lambda t: -TIER_LEVEL.get(t, -1))
    tiers = ", ".join(f"{t} {by_tier[t]}" for t in order) or "none"
    console.print(
        f"{c['rows_in']:,} messages in: {c['positions_kept']:,} positions kept, "
        f"{c['static_reports']:,} static reports, {c['quarantined']:,} quarantined."
    )
    by_reason = c.get("quarantined_by_reason") or {}
    if by_reason:
        top = sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        console.print(
            "Quarantined most for: " + ", ".join(f"{r} {n:,}" for r, n in top) + " "
            "(every row, with its raw text, in quarantine.parquet)."
        )
    step = c.get("incremental")
    if step:
        recomputed = step.get("vessels_recomputed")
        if recomputed is None:
            why = step.get("everything_computed_because") or "first run on this output"
            console.print(f"Incremental store: {why}, everything computed.")
        else:
            new = step.get("appends_taken_in", 0)
            console.print(
                f"Incremental store: {new:,} new append{'s' * (new != 1)} since the last run; "
                f"{recomputed:,} vessel{'s' * (recomputed != 1)} recomputed, "
                "the rest from the last run."
            )
    console.print(f"Ranked {summary.alerts:,} alerts ({tiers}).")
    if scorer.model is not None:  # the indicator baseline has no domain to report
        console.print(model_domain_line(c))
    left_out = summary.counts.get("vessel_years_not_in_alert_queue_by_class") or {}
    if left_out:
        parts = ", ".join(f"{n:,} {cls}" for cls, n in left_out.items())
        console.print(
            f"Not in the alert queue by vessel class: {parts} vessel-years "
            "(cargo, tanker, passenger, gear...; --all-vessel-classes scores them)."
        )
    on_land = c["quarantined_by_reason"].get("on_land", 0)
    if on_land and on_land >= 0.2 * max(c["positions_read"], 1):
        console.print(
            f"[yellow]note:[/yellow] {on_land:,} positions lie more than 10 km inland and were "
            "quarantined; if these vessels work on lakes or rivers, rerun with --inland-waters."
        )
    peaks = summary.peak_memory_mib
    workers_peak = [v for k, v in peaks.items() if k != "driver"]
    console.print(
        f"Peak memory: {peaks.get('driver', 0):,.0f} MiB in this process"
        + (
            f", at most {max(workers_peak):,.0f} MiB in a worker; "
            f"{_workers_ran(len(workers_peak), workers, summary.partitions)}."
            if workers_peak
            else "."
        )
    )
    remote = is_url(out) and not out.startswith("file://")
    report = f"{out.rstrip('/')}/report.html" if remote else summary.report.resolve()
    console.print(f"Report: {report}")
    database = summary.database_url
    if remote and db is None and config.database_url is None:
        database = f"{out.rstrip('/')}/vessel_risk.db (SQLite, copied there with the outputs)"
    console.print(f"Alerts stored in {database} (run {summary.run_id}).")
    if summary.auto_referred:
        console.print(
            f"{summary.auto_referred} referral notices approved automatically under "
            "agencies' own rules (auto_refer); see `vessel-risk notices list`."
        )


def _workers_ran(ran: int, workers: int | None, partitions: int) -> str:
    """``"2 workers ran partitions"``, or ``"1 of 2 workers ran partitions (the store
    has 1 partition)"`` when some of the ``--workers`` had none to run."""
    if workers is None or ran >= workers:
        return f"{ran} worker{'s' * (ran != 1)} ran partitions"
    text = f"{ran} of {workers} workers ran partitions"
    if partitions < workers:
        text += f" (the store has {partitions} partition{'s' * (partitions != 1)})"
    return text
