"""Risk models: scoring vessel-years for forced-labour risk, and judging the scores.

Known forced-labour cases are few and everything else is *unlabelled*, not negative, so
the trained models learn from positives and unlabelled rows (PU learning). Where to look:

* :mod:`~vessel_risk.model.pu`: :class:`PULightGBMClassifier` (PU bagging with LightGBM,
  calibrated by Elkan and Noto 2008) and :class:`BaggedRandomForestClassifier`
  (McDonald et al. 2021), both scikit-learn estimators.
* :mod:`~vessel_risk.model.indicators`: the transparent indicator score, and
  :mod:`~vessel_risk.model.baseline`: :class:`IndicatorBaseline`, that score as an estimator.
* :mod:`~vessel_risk.model.factory`: :data:`MODELS` and :func:`make_model`, kinds by name.
* :mod:`~vessel_risk.model.domain`: the training domain a fitted model carries
  (``training_domain_``) and the check of rows against it (:func:`domain.domain_check`).
* :mod:`~vessel_risk.model.adversarial`: adversarial validation, whether unlabelled
  vessel-years are comparable with the labelled ones.
* :mod:`~vessel_risk.model.scoring`: :func:`model_input`, :func:`evidence_shares`,
  :func:`as_matrix`.
* :mod:`~vessel_risk.model.evaluate` (grouped cross-validation, metrics) and
  :mod:`~vessel_risk.model.evaluation_report` (its HTML report).
* :mod:`~vessel_risk.model.registry`: training runs and the model registry (MLflow).
* :mod:`~vessel_risk.model.outcomes` (inspection outcomes as labels),
  :mod:`~vessel_risk.model.simulate` (a synthetic fleet with planted risk) and
  :mod:`~vessel_risk.model.fishing_training` (training the fishing classifier).

The feature catalogue (:data:`PIPELINE_FEATURES`, :func:`candidate_features`,
:func:`feature_meaning`, ...) lives in :mod:`vessel_risk.features.catalogue` and is
re-exported here.

The estimators and the factory import scikit-learn, so they are loaded on first use
(:func:`__getattr__`): importing :mod:`vessel_risk.model.indicators`, as the command line
does at start, does not load scikit-learn. ``vessel_risk.model.PULightGBMClassifier``,
``vessel_risk.model.BaggedRandomForestClassifier`` and ``vessel_risk.model.IndicatorBaseline``
are also the paths under which models registered before the split were serialised; they
must keep resolving (``tests/model/test_registry.py``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vessel_risk.features.catalogue import (
    FEATURE_MEANINGS,
    GFW_FEATURES,
    ID_COLUMNS,
    LABEL_COLUMNS,
    NEEDS_OPTIONAL_INPUT,
    PIPELINE_FEATURES,
    FeatureMeaning,
    candidate_features,
    feature_meaning,
)
from vessel_risk.model.scoring import as_matrix, evidence_shares, model_input

if TYPE_CHECKING:
    from vessel_risk.model.baseline import IndicatorBaseline
    from vessel_risk.model.factory import MODELS, make_model
    from vessel_risk.model.pu import BaggedRandomForestClassifier, PULightGBMClassifier

_LAZY = {
    "PULightGBMClassifier": "vessel_risk.model.pu",
    "BaggedRandomForestClassifier": "vessel_risk.model.pu",
    "IndicatorBaseline": "vessel_risk.model.baseline",
    "MODELS": "vessel_risk.model.factory",
    "make_model": "vessel_risk.model.factory",
}
"""Names re-exported on first use, by the module that defines them."""


def __getattr__(name: str) -> Any:
    """The estimators and the factory, imported on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "FEATURE_MEANINGS",
    "GFW_FEATURES",
    "ID_COLUMNS",
    "LABEL_COLUMNS",
    "MODELS",
    "NEEDS_OPTIONAL_INPUT",
    "PIPELINE_FEATURES",
    "BaggedRandomForestClassifier",
    "FeatureMeaning",
    "IndicatorBaseline",
    "PULightGBMClassifier",
    "as_matrix",
    "candidate_features",
    "evidence_shares",
    "feature_meaning",
    "make_model",
    "model_input",
]
