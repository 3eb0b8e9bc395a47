"""``vessel-risk run``: the main job, AIS in; positions, events, features, alerts out.

Checks the inputs and the database before anything runs, says which model scores
(the registry's champion or the indicator baseline) and how fishing is estimated, runs
``vessel_risk.pipeline.run`` with a progress bar, and prints the run's summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from vessel_risk.cli.database import open_database
from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail
from vessel_risk.model.indicators import BASELINE_VERSION, TIER_LEVEL
from vessel_risk.referral.routing import read_directory
from vessel_risk.settings import Settings


def run(
    out: Annotated[Path, typer.Option("--out", help="Folder for the outputs.")],
    ais: Annotated[
        list[Path] | None,
        typer.Option(
            "--ais",
            help="AIS file (Parquet, GeoParquet, CSV dialects, raw NMEA); repeat for more. "
            "Read in chunks through a temporary store in --out.",
        ),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="Store written by `vessel-risk ingest`, read instead of --ais.",
            file_okay=False,
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
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL (default: SQLite file in --out).")
    ] = None,
    baseline: Annotated[
        bool,
        typer.Option(
            "--baseline", help="Score with the indicator baseline even if a champion exists."
        ),
    ] = False,
) -> None:
    """Run the main job: AIS in; positions, events, features, ranked alerts and a report out.

    AIS comes from --ais files or from a --store of `vessel-risk ingest`; either way the
    stages run one partition of vessels at a time, so input larger than memory works.
    Alerts are scored by the registry's champion model when there is one, otherwise by
    the transparent indicator baseline.
    """
    settings = Settings()
    ais = ais or []
    if bool(ais) == (store is not None):
        raise _fail("give the AIS as --ais FILE (repeatable) or as --store DIR, not both.")
    if store is not None:
        from vessel_risk.ingest import store_partitions

        try:
            store_partitions(store)
        except ValueError as exc:
            raise _fail(str(exc)) from exc
    for path in [*ais, *(p for p in (ports, iuu_list, carriers, psma_parties, eez) if p)]:
        if not path.exists():
            raise _fail(f"the file {str(path)!r} does not exist.")
        if path.is_dir():
            raise _fail(
                f"{str(path.resolve())!r} is a folder, not a file"
                + (" (a store goes to --store)." if path in ais else ".")
            )
    # A bad database fails now, not after the whole pipeline has run: --db, or an
    # earlier run's database in --out (it may predate the schema migrations).
    url = db or settings.database_url
    if not url and (out / "vessel_risk.db").is_file():
        url = f"sqlite:///{(out / 'vessel_risk.db').resolve()}"
    if url:
        open_database(url, create=True).dispose()
    model, model_version = _scoring_model(settings, baseline)
    _say_fishing_source(settings.fishing_model_dir)
    # Imported here, not at the top: `vessel-risk alerts ...` and `deliver` start fast.
    from vessel_risk.pipeline import STAGES
    from vessel_risk.pipeline import run as run_pipeline

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("starting", total=len(STAGES))
        part = [""]

        def on_stage(stage: str) -> None:
            # Every stage but these runs once per partition of vessels.
            once = stage in ("ingest", "encounters", "score", "write")
            description = stage if once else stage + part[0]
            progress.update(task, description=description, completed=STAGES.index(stage))

        def on_partition(index: int, count: int) -> None:
            part[0] = f" (vessel partition {index + 1}/{count})" if count > 1 else ""

        try:
            summary = run_pipeline(
                ais,
                out,
                store=store,
                ports_path=ports,
                iuu_path=iuu_list,
                database_url=db or settings.database_url,
                carriers_path=carriers,
                psma_path=psma_parties,
                eez_path=eez,
                inland_waters=inland_waters,
                model=model,
                model_version=model_version,
                fleets=read_directory(settings.agency_directory).fleets
                if settings.agency_directory
                else (),
                fishing_model_dir=settings.fishing_model_dir,
                on_stage=on_stage,
                on_partition=on_partition,
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
    console.print(f"Ranked {summary.alerts} alerts ({tiers}).")
    on_land = c["quarantined_by_reason"].get("on_land", 0)
    if on_land and on_land >= 0.2 * max(c["positions_read"], 1):
        console.print(
            f"[yellow]note:[/yellow] {on_land:,} positions lie more than 10 km inland and were "
            "quarantined; if these vessels work on lakes or rivers, rerun with --inland-waters."
        )
    console.print(f"Report: {summary.report.resolve()}")
    console.print(f"Alerts stored in {summary.database_url} (run {summary.run_id}).")
    if summary.auto_referred:
        console.print(
            f"{summary.auto_referred} referral notices approved automatically under "
            "agencies' own rules (auto_refer); see `vessel-risk notices list`."
        )


def _say_fishing_source(directory: Path) -> None:
    """Say how fishing is scored where GFW's nnet_score is absent, and why."""
    from vessel_risk.events.fishing import load_fishing_model

    try:
        fishing = load_fishing_model(directory)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    if fishing is None:
        console.print(
            f"No fishing model in {str(directory)!r}: fishing hours without GFW's nnet_score "
            "are estimated by the speed heuristic. Train one with `vessel-risk train-fishing`."
        )
    else:
        console.print(
            f"Fishing hours without GFW's nnet_score are estimated by the classifier "
            f"{fishing.label} from {str(directory)!r}."
        )


def _scoring_model(settings: Settings, baseline: bool) -> tuple[object | None, str]:
    """The champion and its label, or (None, baseline version), saying which and why."""
    from vessel_risk.features.schemas import VesselFeatureSchema
    from vessel_risk.frames import columns
    from vessel_risk.model.registry import load_champion

    uri = settings.mlflow_tracking_uri
    if baseline:
        console.print(f"Scoring with the indicator baseline ({BASELINE_VERSION}): --baseline.")
        return None, BASELINE_VERSION
    champion = load_champion(uri)
    if champion is None:
        console.print(
            f"No champion model in {uri!r}: scoring with the indicator baseline "
            f"({BASELINE_VERSION}). Train and promote one with `vessel-risk train` and "
            "`vessel-risk promote`."
        )
        return None, BASELINE_VERSION
    missing = sorted(set(champion.features) - set(columns(VesselFeatureSchema)))
    if missing:
        console.print(
            f"[yellow]note:[/yellow] the champion {champion.label} needs features the pipeline "
            f"does not produce ({', '.join(missing)}): scoring with the indicator baseline "
            f"({BASELINE_VERSION}). Train with `--features pipeline` to score AIS runs."
        )
        return None, BASELINE_VERSION
    console.print(f"Scoring with the champion model {champion.label}.")
    return champion.model, champion.label
