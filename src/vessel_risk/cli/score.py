"""``vessel-risk score``: score any vessel-year table with the champion or a named version.

The table is CSV or Parquet, in GFW's labelled table's columns or a run's
``vessel_features.parquet``; the output keeps its identifying columns (``vessel_id`` or
``mmsi`` [+ ``track_id``], ``year``) and adds what
:func:`vessel_risk.pipeline.scoring.score_frame` gives (the code the pipeline and the
API's ``/models/score`` use). A score is evidence to check, never proof.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail
from vessel_risk.settings import Settings

if TYPE_CHECKING:
    import pandas as pd


def read_table(path: Path) -> pd.DataFrame:
    """A vessel-year table from CSV or Parquet (by suffix), MMSIs read as text.

    Raises
    ------
    typer.Exit
        When the file is missing, of another kind, or unreadable (said in one line).
    """
    import pandas as pd

    if not path.exists():
        raise _fail(f"the file {str(path)!r} does not exist.")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix in (".csv", ".gz"):
            return pd.read_csv(path, dtype={"mmsi": str, "vessel_id": str})
    except Exception as exc:  # a clear error, never a traceback
        raise _fail(f"cannot read {str(path)!r}: {exc}") from exc
    raise _fail(f"--table must be a .csv, .csv.gz or .parquet file. Got {str(path)!r}.")


def load_model(uri: str, version: str | None) -> tuple[Any, str] | None:
    """The registered model ``version`` (default: the champion) and its label, or None
    when the registry has no champion.

    Raises
    ------
    typer.Exit
        When the named version cannot be loaded.
    """
    from vessel_risk.model import registry

    if version is None:
        champion = registry.load_champion(uri)
        return None if champion is None else (champion.model, champion.label)
    # The registry's loader, never MLflow's: it loads skops files against our reviewed
    # allow-list only (a pickled or tampered version could run code when loaded).
    try:
        named = registry.load_version(uri, version)
    except (LookupError, ValueError) as exc:
        raise _fail(f"cannot load model version {version!r}: {exc}") from exc
    return named.model, named.label


def score(
    table: Annotated[
        Path,
        typer.Option(
            "--table",
            help="Vessel-year table (CSV or Parquet): the labelled table's columns or a "
            "run's vessel_features.parquet.",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the scores (.csv or .parquet).")
    ],
    version: Annotated[
        str | None,
        typer.Option("--version", help="Registered model version (default: the champion)."),
    ] = None,
    baseline: Annotated[
        bool, typer.Option("--baseline", help="Score with the indicator baseline.")
    ] = False,
    all_vessel_classes: Annotated[
        bool,
        typer.Option(
            "--all-vessel-classes",
            help="With a vessel_class column, score every class (as `run` does with it).",
        ),
    ] = False,
) -> None:
    """Score a vessel-year table; write the scores, tiers, ranks and reasons.

    A table with a ``vessel_class`` column (a run's ``vessel_features.parquet``) is scored
    as the run's alert queue is (:func:`vessel_risk.pipeline.scoring.alert_queue`), so
    peers, ranks and tiers are the run's; the other rows are left out and counted.
    """
    from vessel_risk.pipeline.scoring import alert_queue, check_feature_table, score_frame

    if out.suffix not in (".csv", ".parquet"):
        raise _fail(f"--out must end in .csv or .parquet. Got {str(out)!r}.")
    frame = read_table(table)
    if "year" not in frame.columns:
        raise _fail(f"{str(table)!r} has no 'year' column: a vessel-year table needs it.")
    try:
        check_feature_table(frame)
    except ValueError as exc:
        raise _fail(f"{str(table)!r}: {exc}") from exc
    loaded = None if baseline else load_model(Settings().mlflow_tracking_uri, version)
    model, label = loaded if loaded is not None else (None, None)
    if model is not None:
        missing = [str(f) for f in model.feature_names_in_ if str(f) not in frame.columns]
        if missing:
            raise _fail(f"{str(table)!r} lacks features {label} needs: {', '.join(missing)}.")
    queue = alert_queue(frame, all_classes=all_vessel_classes)
    left_out = int((~queue).sum())
    frame = frame.loc[queue.to_numpy()]
    scored = score_frame(frame.reset_index(drop=True), model, label)
    if left_out:
        console.print(
            f"{left_out} vessel-years of classes the alert queue leaves out (cargo, tanker, "
            "gear...; carriers and support vessels without an encounter) were not scored; "
            "--all-vessel-classes scores them."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        scored.to_parquet(out, index=False)
    else:
        scored.to_csv(out, index=False)
    tiers = scored["tier"].value_counts().to_dict()
    if model is None:
        why = "--baseline" if baseline else "no champion in the model registry"
        console.print(
            f"Scored {len(scored)} vessel-years with the indicator baseline ({why}); "
            f"tiers {tiers}. Wrote {out}."
        )
        return
    applies = scored["model_applies"].astype(bool)
    console.print(
        f"Scored {len(scored)} vessel-years with {label}: the model applies to "
        f"{int(applies.sum())} ({applies.mean() if len(scored) else 0:.0%}); tiers "
        f"{tiers}. Wrote {out}."
    )
