"""Model kinds by name: :data:`MODELS` and :func:`make_model`, as the command line uses them.

Every trained kind records where it applies: the PU models (``pu-lightgbm``, ``bagged-rf``)
fit their training domain with the bags (``training_domain_``, see
:mod:`vessel_risk.model.domain`), on every fit, so the model the registry stores carries it.
The indicator baseline learns nothing from the rows and has none: it applies everywhere.
"""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator

from vessel_risk.model.baseline import IndicatorBaseline
from vessel_risk.model.pu import BaggedRandomForestClassifier, PULightGBMClassifier

MODELS: dict[str, type[BaseEstimator]] = {
    "pu-lightgbm": PULightGBMClassifier,
    "bagged-rf": BaggedRandomForestClassifier,
    "indicator-baseline": IndicatorBaseline,
}
"""Model kinds by the name the command line uses."""


def make_model(kind: str, **params: Any) -> BaseEstimator:
    """A new, unfitted model of ``kind`` (a key of :data:`MODELS`)."""
    if kind not in MODELS:
        raise ValueError(
            f"The 'kind' parameter of make_model must be one of {sorted(MODELS)}. "
            f"Got {kind!r} instead."
        )
    return MODELS[kind](**params)
