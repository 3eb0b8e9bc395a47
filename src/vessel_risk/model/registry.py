"""Training runs and the model registry (MLflow). The only module that calls MLflow.

* :func:`train` cross-validates a model on a labelled vessel-year table, fits it on all
  training rows, logs the run (parameters, metrics, the HTML report, the feature list,
  a fingerprint of the data) and registers the model (with signature and input example)
  under :data:`MODEL_NAME`, alias ``challenger``.
* :func:`promote` points the alias ``champion`` at a version (default: the challenger).
* :func:`load_champion` returns the champion for scoring, or None when there is none.

Registry aliases, not the deprecated stages (``models:/vessel-risk@champion``). The
tracking URI is any MLflow URI; a plain folder (the default ``models/mlruns``) holds a
SQLite database ``mlflow.db`` and the artifacts, since MLflow 3 no longer accepts the file
store.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from vessel_risk.model.evaluate import Evaluation, evaluate
from vessel_risk.model.evaluation_report import report_html
from vessel_risk.model.factory import make_model

logger = logging.getLogger(__name__)

MODEL_NAME = "vessel-risk"
EXPERIMENT = "vessel-risk"
CHAMPION = "champion"
CHALLENGER = "challenger"

TRUSTED_TYPES = (
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "vessel_risk.model.pu.PULightGBMClassifier",
    "vessel_risk.model.pu.BaggedRandomForestClassifier",
    "vessel_risk.model.baseline.IndicatorBaseline",
)
"""Types MLflow's skops serialisation may load besides scikit-learn's own.

skops names a class by its defining module, and MLflow stores this list in each model's
``MLmodel`` file at registration. Models registered before the estimators moved into
:mod:`vessel_risk.model.pu` and :mod:`vessel_risk.model.baseline` name them
``vessel_risk.model.PULightGBMClassifier`` (and so on), in the model and in their own
list; those paths still resolve through :mod:`vessel_risk.model`, so old models load."""


@dataclass(frozen=True)
class RegistryLocation:
    """Where runs and models live: an MLflow tracking URI and an artifact location."""

    tracking_uri: str
    artifact_location: str | None


def resolve_registry(uri: str, *, create: bool = True) -> RegistryLocation | None:
    """The MLflow registry behind a setting: a URI as is, a folder as SQLite plus artifacts.

    Parameters
    ----------
    uri : str
        ``settings.mlflow_tracking_uri``: an MLflow URI (``sqlite:///...``,
        ``http://...``, ``databricks``) or a local folder.
    create : bool, default True
        Create the folder; with False, a missing folder gives None (nothing registered).
    """
    if "://" in uri or uri.startswith(("sqlite:", "databricks")):
        return RegistryLocation(uri, None)
    folder = Path(uri).resolve()
    if not create and not (folder / "mlflow.db").exists():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return RegistryLocation(f"sqlite:///{folder / 'mlflow.db'}", (folder / "artifacts").as_uri())


def fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of the frame's values and column names: which data trained a model."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, frame.columns)).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _client(registry: RegistryLocation) -> Any:
    import mlflow

    mlflow.set_tracking_uri(registry.tracking_uri)
    mlflow.set_registry_uri(registry.tracking_uri)
    return mlflow.MlflowClient(registry.tracking_uri, registry.tracking_uri)


def _experiment_id(client: Any, registry: RegistryLocation) -> str:
    exp = client.get_experiment_by_name(EXPERIMENT)
    if exp is not None:
        return str(exp.experiment_id)
    return str(client.create_experiment(EXPERIMENT, artifact_location=registry.artifact_location))


@dataclass
class TrainResult:
    """One logged training run and its registered model version."""

    run_id: str
    version: str
    evaluation: Evaluation
    report: Path | None


def _requirements() -> list[str]:
    from importlib.metadata import version

    reqs = []
    for pkg in ("scikit-learn", "lightgbm", "numpy", "pandas"):
        reqs.append(f"{pkg}=={version(pkg)}")
    return reqs


def train(
    frame: pd.DataFrame,
    features: Sequence[str],
    *,
    uri: str,
    kind: str = "pu-lightgbm",
    params: dict[str, Any] | None = None,
    group_by: str = "vessel",
    flagged_share: float = 0.2,
    n_splits: int = 5,
    data_source: str = "",
    report_path: Path | None = None,
) -> TrainResult:
    """Cross-validate, fit, log and register a model; the new version becomes the challenger.

    Parameters
    ----------
    frame : DataFrame of shape (n_samples, k)
        Labelled vessel-year features (see :func:`vessel_risk.model.evaluate.evaluate`).
    features : sequence of str
        Model inputs.
    uri : str
        Tracking URI or folder (:func:`resolve_registry`).
    kind : str, default "pu-lightgbm"
        A key of :data:`vessel_risk.model.factory.MODELS`.
    params : dict, optional
        Model parameters.
    group_by, flagged_share, n_splits
        As :func:`vessel_risk.model.evaluate.evaluate`.
    data_source : str
        Where the data came from (logged as a tag).
    report_path : Path, optional
        Also write the HTML report here.

    Returns
    -------
    TrainResult
    """
    import mlflow
    from mlflow.models import infer_signature

    registry = resolve_registry(uri)
    assert registry is not None
    client = _client(registry)
    exp_id = _experiment_id(client, registry)
    model = make_model(kind, **(params or {}))
    ev = evaluate(
        model,
        frame,
        features,
        name=kind,
        group_by=group_by,
        flagged_share=flagged_share,
        n_splits=n_splits,
    )
    final = ev.model
    page = report_html(
        [ev], title=f"vessel-risk training: {kind}", data_note=f"Data: {data_source}"
    )
    with mlflow.start_run(experiment_id=exp_id) as run:
        mlflow.set_tags({"model_kind": kind, "data_source": data_source, "group_by": group_by})
        mlflow.log_params({f"model.{k}": v for k, v in model.get_params().items()})
        mlflow.log_params(
            {
                "flagged_share": flagged_share,
                "n_splits": n_splits,
                "n_features": len(ev.features),
                "n_rows": len(frame),
                "data_fingerprint": fingerprint(frame),
            }
        )
        mlflow.log_metrics({k: float(v) for k, v in ev.metrics.items() if pd.notna(v)})
        mlflow.log_dict({"features": ev.features}, "features.json")
        mlflow.log_text(page, "report.html")
        mlflow.log_text(ev.folds.to_csv(index=False), "folds.csv")
        mlflow.log_text(ev.confounders.to_csv(index=False), "confounding.csv")
        if len(ev.importance):
            mlflow.log_text(ev.importance.to_csv(header=["importance"]), "importance.csv")
        # Float columns: the pipeline's features may hold NaN at serving time.
        example = frame[ev.features].head(5).astype("float64")
        signature = infer_signature(example, final.predict_proba(example)[:, 1])  # type: ignore[union-attr]
        info = mlflow.sklearn.log_model(
            final,
            name="model",
            signature=signature,
            input_example=example,
            registered_model_name=MODEL_NAME,
            pip_requirements=_requirements(),
            skops_trusted_types=list(TRUSTED_TYPES),
        )
    version = str(info.registered_model_version)
    client.set_registered_model_alias(MODEL_NAME, CHALLENGER, version)
    client.set_model_version_tag(MODEL_NAME, version, "model_kind", kind)
    if report_path is not None:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(page, encoding="utf-8")
    logger.info("Registered %s version %s as %s", MODEL_NAME, version, CHALLENGER)
    return TrainResult(run.info.run_id, version, ev, report_path)


def promote(uri: str, version: str | None = None) -> str:
    """Point the ``champion`` alias at ``version`` (default: the current challenger).

    Returns
    -------
    str
        The version now champion.

    Raises
    ------
    LookupError
        If nothing is registered or there is no challenger to promote.
    """
    registry = resolve_registry(uri, create=False)
    if registry is None:
        raise LookupError(f"No model registry at {uri!r}: run `vessel-risk train` first.")
    client = _client(registry)
    if version is None:
        try:
            version = str(client.get_model_version_by_alias(MODEL_NAME, CHALLENGER).version)
        except Exception as exc:
            raise LookupError(
                f"No {CHALLENGER!r} version of {MODEL_NAME!r} at {uri!r}: run `vessel-risk "
                "train` first or pass a version."
            ) from exc
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    return version


def aliases(uri: str) -> dict[str, str]:
    """Alias -> version of the registered model; empty when nothing is registered."""
    registry = resolve_registry(uri, create=False)
    if registry is None:
        return {}
    client = _client(registry)
    try:
        rm = client.get_registered_model(MODEL_NAME)
    except Exception:
        return {}
    return {str(k): str(v) for k, v in (rm.aliases or {}).items()}


def _champion_version(uri: str) -> tuple[Any, Any] | None:
    """The registry client and the champion's model version, or None without one."""
    if CHAMPION not in aliases(uri):
        return None
    registry = resolve_registry(uri, create=False)
    assert registry is not None
    client = _client(registry)
    return client, client.get_model_version_by_alias(MODEL_NAME, CHAMPION)


@dataclass
class Champion:
    """The model the registry's ``champion`` alias points at."""

    model: Any
    version: str
    label: str
    features: list[str]


def load_champion(uri: str) -> Champion | None:
    """The champion model, or None when the registry has none (or does not exist).

    Parameters
    ----------
    uri : str
        Tracking URI or folder (:func:`resolve_registry`); a missing folder is not created.
    """
    found = _champion_version(uri)
    if found is None:
        return None
    import mlflow

    _, mv = found
    model = mlflow.sklearn.load_model(f"models:/{MODEL_NAME}@{CHAMPION}")
    kind = (mv.tags or {}).get("model_kind", type(model).__name__)
    features = [str(f) for f in getattr(model, "feature_names_in_", [])]
    return Champion(model, str(mv.version), f"{MODEL_NAME}/{mv.version} ({kind})", features)


@dataclass
class ChampionInfo:
    """What the registry records about the champion, without loading the model."""

    version: str
    label: str
    kind: str
    run_id: str
    metrics: dict[str, float]
    params: dict[str, str]
    tags: dict[str, str]
    features: list[str]


def champion_info(uri: str) -> ChampionInfo | None:
    """Version, metrics, parameters and features of the champion, or None without one.

    Parameters
    ----------
    uri : str
        Tracking URI or folder (:func:`resolve_registry`); a missing folder is not created.
    """
    found = _champion_version(uri)
    if found is None:
        return None
    import mlflow

    client, mv = found
    run = client.get_run(mv.run_id)
    kind = (mv.tags or {}).get("model_kind", "unknown")
    try:
        feats = mlflow.artifacts.load_dict(f"runs:/{mv.run_id}/features.json")["features"]
    except Exception:
        feats = []
    return ChampionInfo(
        version=str(mv.version),
        label=f"{MODEL_NAME}/{mv.version} ({kind})",
        kind=kind,
        run_id=str(mv.run_id),
        metrics={str(k): float(v) for k, v in run.data.metrics.items()},
        params={str(k): str(v) for k, v in run.data.params.items()},
        tags={str(k): str(v) for k, v in run.data.tags.items() if not k.startswith("mlflow.")},
        features=[str(f) for f in feats],
    )
