"""The registered model as MLflow serves it: a pyfunc over a run's vessel-year table.

``mlflow models serve -m models:/vessel-risk@champion --env-manager local`` and
``mlflow.pyfunc.load_model`` both load :class:`VesselRiskModel`: it takes rows of a
``vessel_features.parquet`` as ``vessel-risk run`` writes it and returns, per row, the
model's probability, the combined score, tier, rank and the reasons, by the scoring
function it was registered with (``vessel_risk.pipeline.serving.serve_frame``: the
same combination rule as ``vessel-risk score``; peer percentiles and coverage are
derived from the table itself). The estimator travels beside it as a skops file and is
loaded against the reviewed allow-list (:mod:`vessel_risk.model.serialisation`).

The scoring function is passed in, not imported: it sits in ``pipeline`` (the reasons
are the alerts' reasons), above this package. The registry (:func:`log_pyfunc`) stores
it by reference (module and name), so serving needs ``vessel-risk`` installed at the
version :func:`requirements` declares.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.pyfunc import PythonModel

from vessel_risk.model.serialisation import load_skops

ESTIMATOR = "estimator"
"""The name of the estimator's artifact (an MLflow sklearn model saved with skops)."""

Score = Callable[[pd.DataFrame, Any, str | None], pd.DataFrame]
"""``f(features, estimator, version) -> scored table``: what the served model applies."""

OUTPUT_COLUMNS: dict[str, str] = {
    "vessel_id": "string",
    "mmsi": "string",
    "track_id": "long",
    "year": "long",
    "probability": "double",
    "score": "double",
    "model_applies": "boolean",
    "model_domain_reason": "string",
    "score_percentile": "double",
    "score_low": "double",
    "score_high": "double",
    "tier": "string",
    "rank": "long",
    "reasons": "string",
}
"""The served table's columns and MLflow types (``probability``: the model's own,
NaN where it does not apply; ``score``: the combined, coverage-weighted score)."""

_MLFLOW_TYPE = {"float64": "double", "int64": "long", "bool": "boolean"}


class VesselRiskModel(PythonModel):
    """A registered vessel-risk model, served by MLflow.

    Parameters
    ----------
    score : callable
        :data:`Score`, the scoring path of ``vessel-risk score``
        (``vessel_risk.pipeline.serving.serve_frame``).
    label : str
        How outputs name the model (``vessel-risk/3 (pu-lightgbm)``); set at
        registration.
    """

    def __init__(self, score: Score, label: str = "vessel-risk") -> None:
        self.score = score
        self.label = label
        self.estimator: Any = None

    def load_context(self, context: Any) -> None:
        """Load the estimator from its skops artifact, trusting only reviewed types."""
        self.estimator = load_skops(Path(context.artifacts[ESTIMATOR]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        """Score vessel-year rows.

        Parameters
        ----------
        context : mlflow.pyfunc.PythonModelContext
        model_input : DataFrame of shape (n, k)
            Rows of a run's ``vessel_features.parquet`` (any subset of its columns;
            absent columns are unknown).
        params : dict, optional
            Unused.

        Returns
        -------
        DataFrame of shape (n, len(OUTPUT_COLUMNS))
            :data:`OUTPUT_COLUMNS`, in that order.
        """
        if self.estimator is None:
            self.load_context(context)
        frame = pd.DataFrame(model_input).reset_index(drop=True)
        scored = self.score(frame, self.estimator, self.label)
        out = scored.reindex(columns=list(OUTPUT_COLUMNS))
        for name in ("vessel_id", "mmsi", "tier", "reasons", "model_domain_reason"):
            out[name] = out[name].astype(object).where(out[name].notna(), "")
        for name in ("track_id", "year", "rank"):
            out[name] = pd.to_numeric(out[name]).fillna(-1).astype("int64")
        out["model_applies"] = out["model_applies"].fillna(False).astype(bool)
        return out


def input_schema() -> Any:
    """The served model's input: every column of a run's vessel-year table, optional.

    From :class:`~vessel_risk.features.schemas.VesselFeatureSchema`, with its types:
    strings, ``long`` where the table holds int64, ``double`` where it holds float64
    (counts that may be unknown), flags ``boolean``;
    the two timestamps are left out (scores and reasons do not read them). Every column
    is optional, so GFW's labelled table or a subset serves too; columns outside the
    schema are ignored.
    """
    from mlflow.types import ColSpec, Schema, TensorSpec

    from vessel_risk.features.schemas import VesselFeatureSchema

    specs: list[ColSpec | TensorSpec] = []
    for name, column in VesselFeatureSchema.to_schema().columns.items():
        dtype = str(column.dtype)
        if dtype.startswith("datetime"):
            continue
        kind = "string" if dtype.startswith("string") else _MLFLOW_TYPE.get(dtype, "double")
        specs.append(ColSpec(kind, name, required=False))
    return Schema(specs)


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``frame`` that :func:`input_schema` declares, cast to its types.

    MLflow refuses an int64 column where the schema says ``double`` (a table whose
    counts happen to be whole numbers); this casts them, as MLflow's JSON parsing does
    for a request to a served model. Rows with an unknown value in a ``long`` or
    ``boolean`` column are left out (no int64 value stands for unknown).
    """
    numpy_type = {"double": "float64", "long": "int64", "boolean": "bool", "string": "object"}
    specs = [spec for spec in input_schema().inputs if spec.name in frame]
    whole = [spec.name for spec in specs if spec.type.name in ("long", "boolean")]
    rows = frame.dropna(subset=whole)  # an unknown whole number has no int64 value
    return pd.DataFrame(
        {spec.name: rows[spec.name].astype(numpy_type[spec.type.name]) for spec in specs},
        index=rows.index,
    )


def signature() -> Any:
    """Input (:func:`input_schema`) and output (:data:`OUTPUT_COLUMNS`) of the model."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    return ModelSignature(
        inputs=input_schema(),
        outputs=Schema([ColSpec(kind, name) for name, kind in OUTPUT_COLUMNS.items()]),
    )


def requirements() -> list[str]:
    """The served model's pip requirements: vessel-risk itself and what loads the estimator.

    ``vessel-risk`` at the installed version (the scoring path and the estimator's
    classes live there), ``skops`` (the estimator's file), and the libraries of its
    classes, each pinned to the version installed when the model was registered.
    """
    reqs = []
    for pkg in ("vessel-risk", "mlflow", "skops", "scikit-learn", "lightgbm", "numpy", "pandas"):
        try:
            reqs.append(f"{pkg}=={version(pkg)}")
        except PackageNotFoundError:
            if pkg != "vessel-risk":
                raise
            import vessel_risk

            reqs.append(f"vessel-risk=={vessel_risk.__version__}")
    return reqs


def log_pyfunc(
    estimator: Any,
    *,
    score: Score,
    label: str,
    trusted: list[str],
    input_example: pd.DataFrame | None,
    registered_model_name: str,
) -> Any:
    """Log ``estimator`` as :class:`VesselRiskModel` in the active run and register it.

    Parameters
    ----------
    estimator : fitted estimator
        Checked against the allow-list already (``trusted``: its reviewed types).
    score : callable
        :data:`Score` the served model applies.
    label : str
        How outputs name the model.
    trusted : list of str
        The estimator's skops types (:func:`~vessel_risk.model.serialisation.check_trusted`).
    input_example : DataFrame or None
        A few vessel-year rows (logged with the model), as :func:`conform` gives them.
    registered_model_name : str

    Returns
    -------
    mlflow.models.model.ModelInfo
    """
    import mlflow.sklearn

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / ESTIMATOR
        mlflow.sklearn.save_model(
            estimator,
            str(folder),
            serialization_format="skops",
            skops_trusted_types=trusted,
            pip_requirements=requirements(),
        )
        return mlflow.pyfunc.log_model(
            name="model",
            python_model=VesselRiskModel(score, label),
            artifacts={ESTIMATOR: str(folder)},
            signature=signature(),
            input_example=input_example,
            pip_requirements=requirements(),
            registered_model_name=registered_model_name,
        )


def log_estimator(
    estimator: Any,
    features: list[str],
    frame: pd.DataFrame,
    *,
    serve: Score | None,
    kind: str,
    trusted: list[str],
    name: str,
) -> Any:
    """Log and register a trained estimator in the active run, as :class:`VesselRiskModel`
    when ``serve`` is given, else as the bare estimator (MLflow's sklearn flavour).

    Parameters
    ----------
    estimator : fitted estimator
    features : list of str
        Its inputs.
    frame : DataFrame
        The training table (five rows are logged as the input example).
    serve : callable or None
        :data:`Score` (see :func:`vessel_risk.model.registry.train`).
    kind : str
        The model kind (how served outputs name it).
    trusted : list of str
        The estimator's reviewed skops types.
    name : str
        The registered model's name.

    Returns
    -------
    mlflow.models.model.ModelInfo
    """
    import mlflow.sklearn
    from mlflow.models import infer_signature

    if serve is not None:
        example = conform(frame).head(5)
        return log_pyfunc(
            estimator,
            score=serve,
            label=f"{name} ({kind})",
            trusted=trusted,
            input_example=example if len(example) else None,
            registered_model_name=name,
        )
    # Float columns: the pipeline's features may hold NaN at serving time.
    example = frame[features].head(5).astype("float64")
    return mlflow.sklearn.log_model(
        estimator,
        name="model",
        signature=infer_signature(example, estimator.predict_proba(example)[:, 1]),
        input_example=example,
        registered_model_name=name,
        pip_requirements=requirements()[1:],
        skops_trusted_types=trusted,
    )


def estimator_dir(model_dir: Path) -> Path:
    """Where a downloaded registered model keeps its skops estimator.

    ``model_dir/artifacts/estimator`` for a :class:`VesselRiskModel`; ``model_dir``
    itself for a model registered before (MLflow's sklearn flavour).
    """
    nested = Path(model_dir) / "artifacts" / ESTIMATOR
    return nested if nested.exists() else Path(model_dir)
