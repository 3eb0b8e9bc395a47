"""``vessel-risk train|evaluate|promote|train-fishing``: the risk model and the fishing
classifier.

``train`` cross-validates a model on a labelled vessel-year table and registers it as the
challenger in the model registry (MLflow); ``evaluate`` compares models without the
registry; ``promote`` makes a version the champion ``run`` scores with;
``train-fishing`` trains the classifier of fishing positions on GFW's nnet_score.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail
from vessel_risk.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

if TYPE_CHECKING:
    from vessel_risk.model.evaluate import Evaluation

logger = logging.getLogger(__name__)


def _read_labelled(path: Path, *, need_labels: bool = True) -> pd.DataFrame:
    import pandas as pd

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


RUN_FEATURES = "vessel_features.parquet"
"""The vessel-year table a run writes (``vessel-risk run --out``)."""


def _read_unlabelled(paths: list[Path]) -> tuple[pd.DataFrame, list[Path]]:
    """Unlabelled vessel-years from run outputs: files, run folders, or folders of runs."""
    import pandas as pd

    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise _fail(f"the path {str(path)!r} does not exist.")
        if path.is_dir():
            found = (
                [path / RUN_FEATURES]
                if (path / RUN_FEATURES).exists()
                else sorted(path.glob(f"*/{RUN_FEATURES}"))
            )
            if not found:
                raise _fail(
                    f"{str(path)!r} holds no {RUN_FEATURES}: pass a run's output folder "
                    f"(`vessel-risk run --out`), a folder of runs, or the file itself."
                )
            files.extend(found)
        else:
            files.append(path)
    frames = []
    for f in files:
        frame = _read_labelled(f, need_labels=False)
        if "vessel_id" in frame.columns:
            frame["vessel_id"] = frame["vessel_id"].astype(str)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), files


def _label_counts(frame: pd.DataFrame) -> dict[str, int]:
    def count(col: str) -> int:
        return int((frame[col].fillna(0) == 1).sum()) if col in frame.columns else 0

    counts = {c: count(c) for c in ("known_offender", "known_non_offender", "possible_offender")}
    counts["unlabelled"] = len(frame) - sum(counts.values())
    return counts


def _trained_on(counts: dict[str, int], source: str) -> str:
    return (
        f"{source}: {counts['known_offender']} known offenders, "
        f"{counts['known_non_offender']} known non-offenders and {counts['unlabelled']} "
        f"unlabelled vessel-years ({counts['possible_offender']} possible offenders set aside)"
    )


def _comparable_unlabelled(
    frame: pd.DataFrame,
    paths: list[Path],
    feats: list[str],
    *,
    force: bool,
    reason: str | None,
) -> tuple[pd.DataFrame, str, Any]:
    """The training table with the unlabelled rows, its data note and the validation."""
    import pandas as pd

    from vessel_risk.model.adversarial import adversarial_validation

    unl, files = _read_unlabelled(paths)
    if "vessel_class" in unl.columns:
        # As the run's alert queue: cargo, tankers and the like are no fishing vessel-years.
        unl = unl.loc[unl["vessel_class"].astype(str) != "other"].reset_index(drop=True)
    missing = [f for f in feats if f not in unl.columns]
    if missing:
        raise _fail(
            f"the unlabelled vessel-years lack the features {missing}: train with "
            "--features pipeline (the features `vessel-risk run` computes)."
        )
    console.print(f"Adversarial validation: labelled rows against {len(unl)} unlabelled rows...")
    try:
        adv = adversarial_validation(frame, unl, feats)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"  {adv.summary()}")
    note = f"adversarial AUC {adv.auc:.3f} (limit {adv.limit:.2f})"
    if not adv.comparable:
        top = ", ".join(n for n, _ in adv.top_features)
        if not force:
            raise _fail(
                f"the unlabelled vessel-years are not comparable with the labelled ones "
                f"(adversarial AUC {adv.auc:.3f} >= {adv.limit:.2f}); the features that give the "
                f"source away: {top}. A PU model trained on them would learn the source, not "
                "forced labour. Train without --unlabelled, or pass --force --reason TEXT."
            )
        logger.warning(
            "Training with unlabelled vessel-years that are not comparable (adversarial AUC "
            "%.3f, top features %s), forced: %s",
            adv.auc,
            top,
            reason,
        )
        console.print(f"  [yellow]warning:[/yellow] not comparable; trained anyway: {reason}")
        note += f", not comparable, forced: {reason}"
    unl = unl.assign(known_offender=0, known_non_offender=0, possible_offender=0)
    if "mmsi" in unl.columns:
        unl["mmsi"] = unl["mmsi"].astype(str)
    combined = pd.concat([frame, unl], ignore_index=True, sort=False)
    return combined, f"unlabelled: {', '.join(str(f) for f in files)} ({note})", adv


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
            help="Inspection outcomes CSV (vessel_id or mmsi, date, outcome, source) that "
            "update the labels.",
        ),
    ] = None,
    outcomes_db: Annotated[
        str | None,
        typer.Option(
            "--outcomes-db",
            help="SQLAlchemy URL of the database whose recorded inspections (`vessel-risk "
            "inspections record`, the API, the dashboard) update the labels, each with its "
            "provenance inspection:<id>:<agency>.",
        ),
    ] = None,
    unlabelled: Annotated[
        list[Path] | None,
        typer.Option(
            "--unlabelled",
            help="Unlabelled vessel-years for PU learning: a run's vessel_features.parquet, "
            "its output folder or a folder of runs; repeat for more. Used only when "
            "comparable with the labelled rows (adversarial validation).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Train with --unlabelled rows that are not comparable (needs --reason)."
        ),
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why --force: logged and recorded with the run."),
    ] = None,
) -> None:
    """Cross-validate and train a model, log the run and register it as the challenger.

    With --outcomes-db, the boarding outcomes recorded in that database become labels
    (confirmed: known offender; none found: known non-offender) and the run records how
    many labels came from inspections.

    With --unlabelled, adversarial validation runs first: where a classifier tells the
    labelled rows from the unlabelled ones (AUC at or above the documented limit), training
    is refused, naming the features that give the source away, unless --force --reason.
    """
    from vessel_risk.model.registry import train as train_model
    from vessel_risk.pipeline.serving import serve_frame

    if force and not unlabelled:
        raise _fail("--force applies to --unlabelled only.")
    if force and not (reason or "").strip():
        raise _fail("--force needs --reason TEXT: why train on data that is not comparable.")
    settings = Settings()
    frame = _read_labelled(labels, need_labels=outcomes is None and outcomes_db is None)
    if outcomes is not None:
        frame = _apply_outcomes(frame, outcomes)
    inspected = ""
    if outcomes_db is not None:
        frame, inspected = _apply_inspections(frame, outcomes_db)
    feats = _feature_list(frame, features, list(exclude or []))
    source = str(labels)
    adversarial = None
    if unlabelled:
        frame, unl_note, adversarial = _comparable_unlabelled(
            frame, list(unlabelled), feats, force=force, reason=reason
        )
        source += f" + {unl_note}"
    counts = _label_counts(frame)
    params = _params(model, n_bags, n_estimators, seed)
    if model != "indicator-baseline" and counts["unlabelled"] == 0:
        # Every row labelled 0 is a known non-offender: Elkan-Noto's c = P(labelled |
        # offender) assumes unlabelled rows and cannot be estimated from known negatives.
        params["calibrate"] = False
        console.print(
            "  No unlabelled rows: the model learns known offenders against known "
            "non-offenders; the Elkan-Noto correction is skipped (scores are P(offender | x) "
            "in the training mix, not calibrated to a fleet)."
        )
    trained_on = _trained_on(counts, source) + inspected
    console.print(f"Training on {trained_on}.")
    try:
        result = train_model(
            frame,
            feats,
            uri=settings.mlflow_tracking_uri,
            kind=model,
            params=params,
            group_by=group_by,
            flagged_share=flagged_share,
            data_source=trained_on,
            report_path=report,
            adversarial=adversarial,
            serve=serve_frame,
        )
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    _print_metrics(result.evaluation)
    _print_model_notes(result.evaluation.model)
    console.print(
        f"Registered vessel-risk version {result.version} as challenger (run {result.run_id}) "
        f"in {settings.mlflow_tracking_uri!r}. Promote it with `vessel-risk promote`."
    )


def _print_model_notes(model: object) -> None:
    """What the fitted model says about its calibration and where it applies."""
    en = getattr(model, "elkan_noto_", None)
    if isinstance(en, dict) and en.get("applied"):
        console.print(f"  {en['note']}")
    domain = getattr(model, "training_domain_", None)
    if isinstance(domain, dict):
        floor = ", ".join(f"{c} >= {v['min']:g}" for c, v in domain.get("coverage", {}).items())
        console.print(
            f"  Training domain: {domain['n_rows']} vessel-years"
            + (f", {floor}" if floor else "")
            + f"; {len(domain['never_null'])} of {len(domain['feature_names'])} features never "
            "unknown. Rows outside it get no model score."
        )


def _apply_outcomes(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The labelled table with labels from an outcomes file, saying what matched."""
    import pandas as pd

    from vessel_risk.model.outcomes import labels_from_outcomes, unmatched_outcomes

    if not path.exists():
        raise _fail(f"the file {str(path)!r} does not exist.")
    try:
        table = pd.read_csv(path, dtype={"mmsi": str, "vessel_id": str})
        labelled = labels_from_outcomes(frame, table)
        unmatched = unmatched_outcomes(frame, table)
    except (ValueError, pd.errors.ParserError) as exc:
        raise _fail(str(exc)) from exc
    acting = int(table["outcome"].isin(["confirmed", "not_found"]).sum())
    console.print(
        f"Outcomes {str(path)!r}: {len(table)} rows, {acting - len(unmatched)} of {acting} "
        "confirmed or not-found outcomes matched a vessel-year of the features."
    )
    if len(unmatched):
        console.print(
            f"  [yellow]warning:[/yellow] {len(unmatched)} outcomes name a vessel-year the "
            "features lack; they change no label."
        )
    return labelled


def _apply_inspections(frame: pd.DataFrame, url: str) -> tuple[pd.DataFrame, str]:
    """The labelled table with labels from the inspections recorded in the database
    ``url``, and the note the run records (how many labels came from inspections)."""
    from sqlalchemy.orm import Session

    from vessel_risk.cli.database import open_database
    from vessel_risk.referral.inspections import labels_from_inspections, outcomes_frame

    engine = open_database(url)
    try:
        with Session(engine) as session:
            table = outcomes_frame(session)
    finally:
        engine.dispose()
    try:
        result = labels_from_inspections(frame, table)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"Inspections in the database: {result.summary()}.")
    if result.unmatched:
        console.print(
            f"  [yellow]warning:[/yellow] {result.unmatched} boarding outcomes name a "
            "vessel-year the features lack; they change no label."
        )
    return result.frame, f"; {result.summary()}"


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


def promote(
    version: Annotated[
        str | None, typer.Option("--version", help="Version to promote (default: challenger).")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Promote although the guard refuses (needs --reason; logged and recorded).",
        ),
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why the guard is overridden (with --force)."),
    ] = None,
) -> None:
    """Make a registered model version the champion that `vessel-risk run` scores with.

    The guard refuses a version whose recall at 98 % specificity (out of fold, with its
    95 % interval) is below the indicator baseline's or the champion's, or whose recall is
    zero, unless --force with a --reason, which is logged and recorded as MLflow tags.
    """
    from vessel_risk.model.registry import PromotionRefused, promotion_guard
    from vessel_risk.model.registry import promote as promote_model

    settings = Settings()
    uri = settings.mlflow_tracking_uri
    if force and not (reason or "").strip():
        raise _fail("--force needs a --reason: the override is recorded with the model.")
    try:
        guard = promotion_guard(uri, version)
        for check in guard.checks:
            mark = "[green]pass[/green]" if check.passed else "[red]fail[/red]"
            console.print(f"  {mark} {check.name}: {check.detail}")
        v = promote_model(uri, guard.version, force=force, reason=reason)
    except LookupError as exc:
        raise _fail(str(exc)) from exc
    except PromotionRefused as exc:
        raise _fail(str(exc)) from exc
    if not guard.passed:
        console.print(
            f"[yellow]warning:[/yellow] version {v} promoted although the guard refused it "
            f"(--force); reason recorded: {reason}"
        )
    console.print(f"vessel-risk version {v} is now champion.")


def _print_metrics(ev: Evaluation) -> None:
    m = ev.metrics
    keys = (
        "recall_at_share",
        "share_flagged",
        "modified_f1",
        "recall_at_98_specificity",
        "recall_at_98_specificity_ci_low",
        "recall_at_98_specificity_ci_high",
        "recall_at_98_specificity_fold_min",
        "recall_planted_at_share",
        "ece",
        "ece_fold_max",
        "known_vs_possible_auc",
        "non_offender_fleet_auc",
        "estimated_positive_share",
    )
    console.print("  " + ", ".join(f"{k} {m[k]:.3f}" for k in keys if k in m and m[k] == m[k]))
    for note in ev.notes:
        console.print(f"  [yellow]warning:[/yellow] {note}")


def train_fishing(
    ais: Annotated[
        list[Path],
        typer.Option("--ais", help="AIS file with GFW's nnet_score; repeat for more."),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for model.txt and card.json (default: VESSEL_RISK_FISHING_MODEL_DIR, "
            "else models/fishing); runs use it once VESSEL_RISK_FISHING_MODEL_DIR names it.",
        ),
    ] = None,
) -> None:
    """Train the fishing classifier on positions carrying GFW's nnet_score.

    Positions are cleaned as in `vessel-risk run`. Each vessel
    with enough labelled positions is held out once (leave-one-vessel-out F1 against
    nnet_score > 0.5); the model is then trained on all of them and written with its card.
    """
    from vessel_risk.events.clean import clean_positions
    from vessel_risk.geo.shore import ShoreDistance
    from vessel_risk.ingest import IngestLimits, read_many
    from vessel_risk.model.fishing_training import save_fishing_model, train_fishing_model

    settings = Settings()
    # Never into the package: the shipped classifier stays as released.
    target = out or settings.fishing_model_dir or Path("models/fishing")
    for path in ais:
        if not path.exists():
            raise _fail(f"the file {str(path)!r} does not exist.")
    try:
        ingested = read_many(list(ais), limits=IngestLimits.from_settings(settings))
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
    if (
        settings.fishing_model_dir is None
        or target.resolve() != settings.fishing_model_dir.resolve()
    ):
        console.print(
            f"Runs use it once VESSEL_RISK_FISHING_MODEL_DIR={target.resolve()} is set "
            "(until then, the classifier shipped with the package)."
        )
