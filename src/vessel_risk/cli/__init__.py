"""The ``vessel-risk`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from vessel_risk.cli.review import (
    agencies_app,
    alerts_app,
    clients_app,
    database_url,
    notices_app,
    open_database,
)
from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail
from vessel_risk.model.indicators import TIER_LEVEL
from vessel_risk.settings import Settings

if TYPE_CHECKING:
    from vessel_risk.model.evaluate import Evaluation

app = typer.Typer(help="Find fishing vessels at risk of forced labour from their AIS tracks.")
app.add_typer(alerts_app, name="alerts")
app.add_typer(notices_app, name="notices")
app.add_typer(agencies_app, name="agencies")
app.add_typer(clients_app, name="clients")


@app.callback()
def main() -> None:
    """vessel-risk: ranked, explained alerts from AIS. A score is evidence, never proof."""


@app.command()
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
    # Imported here, not at the top: `vessel-risk alerts ...` and `deliver` start fast.
    from vessel_risk.events.clean import ON_LAND_MARGIN_KM
    from vessel_risk.pipeline import STAGES, RunConfig, choose_scorer, load_references
    from vessel_risk.pipeline import run as run_pipeline
    from vessel_risk.pipeline.scoring import fishing_note

    try:
        config = RunConfig.from_settings(
            Settings(),
            out_dir=out,
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
        )
        scorer = choose_scorer(config.scorer, config.mlflow_tracking_uri)
        console.print(scorer.note)
        references = load_references(config)
        console.print(fishing_note(references.fishing_model, config.fishing_model_dir))
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from exc

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
                config,
                references=references,
                scorer=scorer,
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


def _read_labelled(path: Path, *, need_labels: bool = True) -> pd.DataFrame:
    if not path.exists():
        raise _fail(f"the file {str(path)!r} does not exist.")
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, dtype={"mmsi": str})
    if need_labels and "known_offender" not in frame.columns:
        raise _fail(
            f"{str(path)!r} has no 'known_offender' column: a labelled "
            "vessel-year table needs it (1 = known offender)."
        )
    return frame


def _feature_list(frame: pd.DataFrame, which: str, exclude: list[str]) -> list[str]:
    from vessel_risk.model import PIPELINE_FEATURES, candidate_features

    if which == "pipeline":
        feats = [f for f in PIPELINE_FEATURES if f in frame.columns and f not in exclude]
    elif which == "all":
        feats = candidate_features(frame, exclude=exclude)
    else:
        raise _fail(f"--features must be 'pipeline' or 'all'. Got {which!r} instead.")
    if not feats:
        raise _fail("no feature columns left to train on.")
    return feats


Labels = Annotated[
    Path,
    typer.Option(
        "--labels",
        help="Vessel-year features with label columns (CSV or parquet); for train with "
        "--outcomes, labels may come from the outcomes alone.",
    ),
]
Features = Annotated[
    str,
    typer.Option(
        "--features",
        help="'pipeline': the features `vessel-risk run` produces (the champion can score "
        "runs); 'all': every numeric column but labels and identities.",
    ),
]
Exclude = Annotated[
    list[str] | None, typer.Option("--exclude", help="Leave this column out; repeat for more.")
]
GroupBy = Annotated[
    str, typer.Option("--group-by", help="Cross-validation groups: 'vessel' or 'source'.")
]
FlaggedShare = Annotated[
    float, typer.Option("--flagged-share", help="Share of vessel-years to flag (0-1).")
]
NBags = Annotated[int, typer.Option("--n-bags", help="Bags of the PU models.")]
NEstimators = Annotated[
    int | None,
    typer.Option("--n-estimators", help="Trees per bag (default: the model's own, 80 or 200)."),
]
Seed = Annotated[int, typer.Option("--seed", help="Random seed.")]


def _params(kind: str, n_bags: int, n_estimators: int | None, seed: int) -> dict[str, object]:
    if kind == "indicator-baseline":
        return {}
    params: dict[str, object] = {"n_bags": n_bags, "random_state": seed}
    if n_estimators is not None:
        params["n_estimators"] = n_estimators
    return params


@app.command()
def train(
    labels: Labels,
    model: Annotated[
        str, typer.Option("--model", help="pu-lightgbm, bagged-rf or indicator-baseline.")
    ] = "pu-lightgbm",
    features: Features = "pipeline",
    exclude: Exclude = None,
    group_by: GroupBy = "vessel",
    flagged_share: FlaggedShare = 0.2,
    n_bags: NBags = 10,
    n_estimators: NEstimators = None,
    seed: Seed = 0,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the HTML report here.")
    ] = None,
    outcomes: Annotated[
        Path | None,
        typer.Option(
            "--outcomes",
            help="Inspection outcomes CSV (mmsi, date, outcome, source) that update the labels.",
        ),
    ] = None,
) -> None:
    """Cross-validate and train a model, log the run and register it as the challenger."""
    from vessel_risk.model.outcomes import labels_from_outcomes
    from vessel_risk.model.registry import train as train_model

    settings = Settings()
    frame = _read_labelled(labels, need_labels=outcomes is None)
    if outcomes is not None:
        if not outcomes.exists():
            raise _fail(f"the file {str(outcomes)!r} does not exist.")
        try:
            frame = labels_from_outcomes(frame, pd.read_csv(outcomes, dtype={"mmsi": str}))
        except ValueError as exc:
            raise _fail(str(exc)) from exc
    feats = _feature_list(frame, features, list(exclude or []))
    try:
        result = train_model(
            frame,
            feats,
            uri=settings.mlflow_tracking_uri,
            kind=model,
            params=_params(model, n_bags, n_estimators, seed),
            group_by=group_by,
            flagged_share=flagged_share,
            data_source=str(labels),
            report_path=report,
        )
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    _print_metrics(result.evaluation)
    console.print(
        f"Registered vessel-risk version {result.version} as challenger (run {result.run_id}) "
        f"in {settings.mlflow_tracking_uri!r}. Promote it with `vessel-risk promote`."
    )


@app.command()
def evaluate(
    labels: Labels,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", help="Model to compare; repeat (default: all three)."),
    ] = None,
    features: Features = "pipeline",
    exclude: Exclude = None,
    group_by: GroupBy = "vessel",
    flagged_share: FlaggedShare = 0.2,
    n_bags: NBags = 10,
    n_estimators: NEstimators = None,
    seed: Seed = 0,
    out: Annotated[Path, typer.Option("--out", help="HTML report path.")] = Path(
        "out/evaluation.html"
    ),
) -> None:
    """Compare models by grouped cross-validation and write an HTML report (no registry)."""
    from vessel_risk.model import make_model
    from vessel_risk.model.evaluate import evaluate as evaluate_model
    from vessel_risk.model.evaluation_report import report_html

    frame = _read_labelled(labels)
    feats = _feature_list(frame, features, list(exclude or []))
    kinds = model or ["pu-lightgbm", "bagged-rf", "indicator-baseline"]
    evaluations = []
    for kind in kinds:
        try:
            est = make_model(kind, **_params(kind, n_bags, n_estimators, seed))
            ev = evaluate_model(
                est, frame, feats, name=kind, group_by=group_by, flagged_share=flagged_share
            )
        except ValueError as exc:
            raise _fail(str(exc)) from exc
        console.print(f"[bold]{kind}[/bold]")
        _print_metrics(ev)
        evaluations.append(ev)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        report_html(evaluations, title="vessel-risk evaluation", data_note=f"Data: {labels}"),
        encoding="utf-8",
    )
    console.print(f"Report: {out.resolve()}")


@app.command()
def promote(
    version: Annotated[
        str | None, typer.Option("--version", help="Version to promote (default: challenger).")
    ] = None,
) -> None:
    """Make a registered model version the champion that `vessel-risk run` scores with."""
    from vessel_risk.model.registry import promote as promote_model

    settings = Settings()
    try:
        v = promote_model(settings.mlflow_tracking_uri, version)
    except LookupError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"vessel-risk version {v} is now champion.")


def _print_metrics(ev: Evaluation) -> None:
    m = ev.metrics
    keys = (
        "recall_at_share",
        "share_flagged",
        "modified_f1",
        "recall_at_98_specificity",
        "recall_at_98_specificity_fold_min",
        "recall_planted_at_share",
        "ece",
        "estimated_positive_share",
    )
    console.print("  " + ", ".join(f"{k} {m[k]:.3f}" for k in keys if k in m and m[k] == m[k]))
    for note in ev.notes:
        console.print(f"  [yellow]warning:[/yellow] {note}")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="AIS files in any supported dialect.")],
    store: Annotated[Path, typer.Option("--store", help="Folder of the Parquet store.")],
) -> None:
    """Ingest AIS files in chunks into a Parquet store partitioned by vessel.

    `vessel-risk run --store DIR` then processes it one partition at a time.
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

        from vessel_risk.ingest import write_store

        try:
            reports = write_store(list(paths), store, on_file=on_file)
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
    console.print(f"Store: {store.resolve()}")


@app.command()
def deliver(
    db: Annotated[
        str | None,
        typer.Option("--db", help="SQLAlchemy URL (default: VESSEL_RISK_DATABASE_URL)."),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds to wait when nothing is due.", min=0.0)
    ] = 5.0,
    batch: Annotated[int, typer.Option("--batch", help="Deliveries leased per pass.", min=1)] = 50,
    worker_id: Annotated[
        str | None, typer.Option("--worker-id", help="Lease owner (default: host:pid).")
    ] = None,
    max_attempts: Annotated[
        int, typer.Option("--max-attempts", help="Attempts before a dead letter.", min=1)
    ] = 12,
    base_delay_s: Annotated[
        float, typer.Option("--base-delay-s", help="Backoff base, seconds.", min=0.0)
    ] = 30.0,
    max_delay_s: Annotated[
        float, typer.Option("--max-delay-s", help="Longest backoff, seconds.", min=0.0)
    ] = 6 * 3600.0,
    lease_s: Annotated[
        float, typer.Option("--lease-s", help="Lease of a batch, seconds.", min=0.1)
    ] = 120.0,
    timeout_s: Annotated[
        float, typer.Option("--timeout-s", help="HTTP timeout per attempt, seconds.", min=0.01)
    ] = 10.0,
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Sends in flight at once.", min=1)
    ] = 8,
) -> None:
    """Run the delivery worker: send queued referral notices to their agencies.

    Loops until SIGTERM or Ctrl-C, which let the pass in flight finish (each send is
    bounded by --timeout-s) and then exit cleanly. Rules: see `vessel_risk.delivery`.
    """
    import os
    import socket

    from vessel_risk.delivery import DeliveryCounts, run_worker

    engine = open_database(database_url(db))
    owner = worker_id or f"{socket.gethostname()}:{os.getpid()}"[:64]

    def line(total: DeliveryCounts) -> str:
        c = total.as_dict()
        return (
            f"{c['leased']} leased, {c['delivered']} delivered, {c['retried']} retried, "
            f"{c['dead']} dead, {c['manual']} manual in {total.passes} passes"
        )

    try:
        with console.status(f"worker {owner}: starting", spinner="dots") as status:

            def on_pass(counts: DeliveryCounts, total: DeliveryCounts) -> None:
                status.update(f"worker {owner}: {line(total)}")
                if counts.leased and not console.is_terminal:
                    console.print(f"pass {total.passes}: {counts.as_dict()}", highlight=False)

            total = run_worker(
                engine,
                worker_id=owner,
                once=once,
                interval_s=interval,
                batch=batch,
                timeout_s=timeout_s,
                on_pass=on_pass,
                max_attempts=max_attempts,
                base_delay_s=base_delay_s,
                max_delay_s=max(max_delay_s, base_delay_s),
                lease_s=lease_s,
                concurrency=concurrency,
            )
    finally:
        engine.dispose()
    console.print(f"Delivery worker {owner} stopped: {line(total)}.", highlight=False)


@app.command("train-fishing")
def train_fishing(
    ais: Annotated[
        list[Path],
        typer.Option("--ais", help="AIS file with GFW's nnet_score; repeat for more."),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for model.txt and card.json (default: models/fishing)."),
    ] = None,
) -> None:
    """Train the fishing classifier on positions carrying GFW's nnet_score.

    Positions are cleaned as in `vessel-risk run`. Each vessel
    with enough labelled positions is held out once (leave-one-vessel-out F1 against
    nnet_score > 0.5); the model is then trained on all of them and written with its card.
    """
    from vessel_risk.events.clean import clean_positions
    from vessel_risk.geo.shore import ShoreDistance
    from vessel_risk.ingest import read_many
    from vessel_risk.model.fishing_training import save_fishing_model, train_fishing_model

    settings = Settings()
    target = out or settings.fishing_model_dir
    for path in ais:
        if not path.exists():
            raise _fail(f"the file {str(path)!r} does not exist.")
    try:
        ingested = read_many(list(ais))
        positions = clean_positions(
            ingested.positions, distance_from_shore=ShoreDistance()
        ).positions
        console.print(f"Training on {', '.join(str(p) for p in ais)}: holding out each vessel...")
        fishing = train_fishing_model(
            positions.reset_index(drop=True), data_source=", ".join(str(p) for p in ais)
        )
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    card = fishing.card
    for mmsi, f1 in card["lovo_f1"].items():
        n = card["training_positions_by_vessel"][mmsi]
        console.print(f"  held out {mmsi} ({n:,} positions): F1 {f1:.3f}")
    console.print(f"  mean F1 {card['lovo_f1_mean']:.3f} (leave one vessel out)")
    save_fishing_model(fishing, target)
    console.print(f"Fishing model {card['version']} written to {target.resolve()}.")


@app.command()
def serve(
    run_dir: Annotated[
        Path | None,
        typer.Option(
            "--run-dir",
            help="Output folder of a `vessel-risk run`: its database and positions.parquet.",
        ),
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL (default: the run's SQLite file).")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the REST API and the dashboard (loopback by default).

    With no API client in the database yet, an admin client is created and its key
    printed once; the admin registers the agencies' clients (POST /clients).
    """
    import uvicorn
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from vessel_risk.api import create_app
    from vessel_risk.api.access import ApiClient, create_client
    from vessel_risk.api.app import database_url as run_database_url

    overrides: dict[str, object] = {}
    if run_dir is not None:
        if not (run_dir / "positions.parquet").exists():
            raise _fail(f"{str(run_dir)!r} holds no positions.parquet: is it a run's --out?")
        overrides["run_dir"] = run_dir
    if db is not None:
        overrides["database_url"] = db
    settings = Settings(**overrides)  # type: ignore[arg-type]
    try:
        url = run_database_url(settings)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    engine = open_database(url)
    with Session(engine) as session, session.begin():
        if session.scalars(select(ApiClient).limit(1)).first() is None:
            _, key = create_client(
                session, client_id="admin", agency_id="local", role="admin", actor="system:serve"
            )
            console.print(
                f"Created the admin API client; its key (shown only now): [bold]{key}[/bold]"
            )
    console.print(
        f"Serving {url} on http://{host}:{port} (dashboard: /ui/, OpenAPI: /openapi.json)."
    )
    uvicorn.run(create_app(settings, engine=engine), host=host, port=port, log_level="warning")
