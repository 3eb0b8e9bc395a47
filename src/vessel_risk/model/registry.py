"""Training runs and the model registry (MLflow). The only module that calls MLflow.

* :func:`train` cross-validates a model on a labelled vessel-year table, fits it on all
  training rows, logs the run (parameters, metrics, the HTML report, the feature list,
  a fingerprint of the data) and registers the model (with signature and input example)
  under :data:`MODEL_NAME`, alias ``challenger``.
  Before anything is logged, the model's serialised types are checked against the
  reviewed allow-list (:mod:`vessel_risk.model.serialisation`).
* :func:`promote` points the alias ``champion`` at a version (default: the challenger),
  once the guard (:func:`promotion_guard`, rule in :mod:`vessel_risk.model.promotion`)
  passes: the challenger's ``recall_at_98_specificity`` must not be below the indicator
  baseline's or the champion's, and its recall must not be zero; ``force`` with a reason
  overrides it, logged and recorded as MLflow tags.
* :func:`load_champion` (and :func:`load_version`) return a model for scoring, loaded with
  skops against the reviewed allow-list, never against the list a model file carries.

Registry aliases, not the deprecated stages (``models:/vessel-risk@champion``). The
tracking URI is any MLflow URI; a plain folder (the default: ``mlruns`` in the user data
folder, :func:`vessel_risk.settings.default_mlflow_store`) holds a SQLite database
``mlflow.db`` and the artifacts, since MLflow 3 no longer accepts the file store.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from vessel_risk.features.catalogue import PIPELINE_FEATURES
from vessel_risk.model.evaluate import Evaluation, evaluate
from vessel_risk.model.evaluation_report import report_html
from vessel_risk.model.factory import make_model
from vessel_risk.model.promotion import (
    BASELINE_PREFIX,
    PRIMARY_METRIC,
    GuardCheck,
    PromotionGuard,
    PromotionRefused,
    judge,
)
from vessel_risk.model.serialisation import (
    PRE_SPLIT_TYPES,
    TRUSTED_TYPES,
    check_trusted,
    load_skops,
    untrusted_types,
)

logger = logging.getLogger(__name__)

MODEL_NAME = "vessel-risk"
EXPERIMENT = "vessel-risk"
CHAMPION = "champion"
CHALLENGER = "challenger"

__all__ = [
    "BASELINE_PREFIX",
    "CHALLENGER",
    "CHAMPION",
    "MODEL_NAME",
    "PRE_SPLIT_TYPES",
    "PRIMARY_METRIC",
    "TRUSTED_TYPES",
    "Champion",
    "ChampionInfo",
    "GuardCheck",
    "PromotionGuard",
    "PromotionRefused",
    "TrainResult",
    "aliases",
    "champion_info",
    "check_trusted",
    "load_champion",
    "load_version",
    "promote",
    "promotion_guard",
    "resolve_registry",
    "train",
    "untrusted_types",
]


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
    adversarial: Any = None,
    serve: Any = None,
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
    adversarial : object or mapping, optional
        Adversarial validation of the unlabelled source used, if any (``auc``,
        ``auc_ci``, ``top_features``, ``comparable``): shown in the report, its AUC logged
        as ``adversarial_auc``.
    serve : callable, optional
        The scoring function the served model applies
        (``vessel_risk.pipeline.serving.serve_frame``, as ``vessel-risk train`` passes):
        the model is then registered as :class:`~vessel_risk.model.pyfunc.VesselRiskModel`,
        served by ``mlflow models serve`` with probabilities and reasons. None registers
        the bare estimator (MLflow's sklearn flavour: labels only when served).

    Returns
    -------
    TrainResult

    Raises
    ------
    ValueError
        If the evaluation cannot run (see :func:`vessel_risk.model.evaluate.evaluate`) or
        the fitted model holds a type not on :data:`TRUSTED_TYPES` (nothing is logged).

    Notes
    -----
    The indicator baseline is evaluated on the same rows and folds (on the model's
    features and every pipeline feature the table has) and logged with the prefix
    :data:`BASELINE_PREFIX`, for :func:`promote`'s guard.
    """
    import mlflow

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
    trusted = check_trusted(final)
    ev.adversarial = adversarial
    base = _baseline_evaluation(frame, ev, group_by, flagged_share, n_splits)
    page = report_html(
        [ev, base] if kind != "indicator-baseline" else [ev],
        title=f"vessel-risk training: {kind}",
        data_note=f"Data: {data_source}",
        adversarial=adversarial,
    )
    with mlflow.start_run(experiment_id=exp_id) as run:
        mlflow.set_tags(
            {
                "model_kind": kind,
                "data_source": data_source,
                "group_by": group_by,
                "primary_metric": PRIMARY_METRIC,
            }
        )
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
        mlflow.log_metrics(
            {BASELINE_PREFIX + k: float(v) for k, v in base.metrics.items() if pd.notna(v)}
        )
        adv_auc = _adversarial_auc(adversarial)
        if adv_auc is not None:
            mlflow.log_metric("adversarial_auc", adv_auc)
        mlflow.log_dict({"features": ev.features}, "features.json")
        mlflow.log_text(page, "report.html")
        mlflow.log_text(ev.folds.to_csv(index=False), "folds.csv")
        mlflow.log_text(ev.confounders.to_csv(index=False), "confounding.csv")
        if len(ev.importance):
            mlflow.log_text(ev.importance.to_csv(header=["importance"]), "importance.csv")
        from vessel_risk.model.pyfunc import log_estimator

        info = log_estimator(
            final, ev.features, frame, serve=serve, kind=kind, trusted=trusted, name=MODEL_NAME
        )
    version = str(info.registered_model_version)
    client.set_registered_model_alias(MODEL_NAME, CHALLENGER, version)
    client.set_model_version_tag(MODEL_NAME, version, "model_kind", kind)
    if report_path is not None:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(page, encoding="utf-8")
    logger.info("Registered %s version %s as %s", MODEL_NAME, version, CHALLENGER)
    return TrainResult(run.info.run_id, version, ev, report_path)


def _baseline_evaluation(
    frame: pd.DataFrame, ev: Evaluation, group_by: str, flagged_share: float, n_splits: int
) -> Evaluation:
    """The indicator baseline on the same rows and folds as ``ev``."""
    feats = list(dict.fromkeys([*ev.features, *(f for f in PIPELINE_FEATURES if f in frame)]))
    return evaluate(
        make_model("indicator-baseline"),
        frame,
        feats,
        name="indicator-baseline (reference)",
        group_by=group_by,
        flagged_share=flagged_share,
        n_splits=n_splits,
    )


def _adversarial_auc(adversarial: Any) -> float | None:
    if adversarial is None:
        return None
    value = adversarial.get("auc") if isinstance(adversarial, dict) else adversarial.auc
    return None if value is None else float(value)


def _resolve_version(client: Any, uri: str, version: str | None) -> str:
    if version is not None:
        try:
            client.get_model_version(MODEL_NAME, version)
        except Exception as exc:
            raise LookupError(f"No version {version!r} of {MODEL_NAME!r} at {uri!r}.") from exc
        return str(version)
    try:
        return str(client.get_model_version_by_alias(MODEL_NAME, CHALLENGER).version)
    except Exception as exc:
        raise LookupError(
            f"No {CHALLENGER!r} version of {MODEL_NAME!r} at {uri!r}: run `vessel-risk "
            "train` first or pass a version."
        ) from exc


def promotion_guard(uri: str, version: str | None = None) -> PromotionGuard:
    """The guard's verdict on promoting ``version`` (default: the challenger).

    Fetches the version's, and the champion's, registered metrics and applies
    :func:`vessel_risk.model.promotion.judge`.

    Parameters
    ----------
    uri : str
        Tracking URI or folder (:func:`resolve_registry`).
    version : str, optional

    Returns
    -------
    PromotionGuard

    Raises
    ------
    LookupError
        If nothing is registered or the version does not exist.
    """
    registry = resolve_registry(uri, create=False)
    if registry is None:
        raise LookupError(f"No model registry at {uri!r}: run `vessel-risk train` first.")
    client = _client(registry)
    version = _resolve_version(client, uri, version)
    run = client.get_run(client.get_model_version(MODEL_NAME, version).run_id)
    champ = aliases(uri).get(CHAMPION)
    champ_metrics: dict[str, float] | None = None
    same = True
    if champ is not None and champ != version:
        crun = client.get_run(client.get_model_version(MODEL_NAME, champ).run_id)
        champ_metrics = dict(crun.data.metrics)
        same = crun.data.params.get("data_fingerprint") == run.data.params.get("data_fingerprint")
    return judge(
        version,
        dict(run.data.metrics),
        champion=champ,
        champion_metrics=champ_metrics,
        same_data=same,
    )


def promote(
    uri: str, version: str | None = None, *, force: bool = False, reason: str | None = None
) -> str:
    """Point the ``champion`` alias at ``version`` (default: the current challenger).

    The guard (:func:`promotion_guard`) must pass, unless ``force`` with a ``reason``: the
    override is logged (warning) and recorded as MLflow tags on the version and its run
    (``promotion_forced``, ``promotion_reason``, ``promotion_refusals``).

    Parameters
    ----------
    uri : str
        Tracking URI or folder (:func:`resolve_registry`).
    version : str, optional
        Default: the challenger.
    force : bool, default False
        Promote although the guard refuses.
    reason : str, optional
        Why; required with ``force``.

    Returns
    -------
    str
        The version now champion.

    Raises
    ------
    LookupError
        If nothing is registered or there is no such version or challenger.
    PromotionRefused
        If the guard refuses and ``force`` is False.
    ValueError
        If ``force`` is given without a reason.
    """
    if force and not (reason or "").strip():
        raise ValueError("--force needs a --reason: the override is recorded with the model.")
    guard = promotion_guard(uri, version)
    registry = resolve_registry(uri, create=False)
    assert registry is not None
    client = _client(registry)
    mv = client.get_model_version(MODEL_NAME, guard.version)
    if not guard.passed:
        if not force:
            raise PromotionRefused(guard)
        refusals = " ".join(guard.refusals)
        logger.warning(
            "Promoting %s version %s although the guard refuses (%s): forced, reason: %s",
            MODEL_NAME,
            guard.version,
            refusals,
            reason,
        )
        tags = {
            "promotion_forced": "true",
            "promotion_reason": str(reason),
            "promotion_refusals": refusals[:4000],
        }
        for k, v in tags.items():
            client.set_model_version_tag(MODEL_NAME, guard.version, k, v)
            client.set_tag(mv.run_id, k, v)
    else:
        client.set_model_version_tag(MODEL_NAME, guard.version, "promotion_guard", "passed")
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, guard.version)
    return guard.version


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
    _, mv = found
    return load_version(uri, str(mv.version))


def load_version(uri: str, version: str) -> Champion:
    """A registered version for scoring, loaded against :data:`TRUSTED_TYPES` only.

    Parameters
    ----------
    uri : str
        Tracking URI or folder (:func:`resolve_registry`).
    version : str
        A registered version of :data:`MODEL_NAME`.

    Returns
    -------
    Champion
        The model with its version, label and features (named so for history: any
        version loads this way).

    Raises
    ------
    LookupError
        If there is no registry or no such version.
    ValueError
        If the stored model holds a type not on the allow-list.
    """
    import tempfile

    import mlflow

    registry = resolve_registry(uri, create=False)
    if registry is None:
        raise LookupError(f"No model registry at {uri!r}: run `vessel-risk train` first.")
    client = _client(registry)
    try:
        mv = client.get_model_version(MODEL_NAME, version)
    except Exception as exc:
        raise LookupError(f"No version {version!r} of {MODEL_NAME!r} at {uri!r}.") from exc
    with tempfile.TemporaryDirectory() as tmp:
        from vessel_risk.model.pyfunc import estimator_dir

        local = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{MODEL_NAME}/{version}", dst_path=tmp
        )
        model = load_skops(estimator_dir(Path(local)))
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
