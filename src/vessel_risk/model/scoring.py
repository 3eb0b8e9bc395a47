"""Scoring helpers shared by the estimators, the pipeline and the explanations.

* :func:`model_input`: vessel-year features as a model fitted on GFW's table expects them
  (its columns in order; unknown stays NaN, never 0).
* :func:`evidence_shares`: per-row feature contributions turned into each feature's share
  of the evidence raising the score, for alerts.
* :func:`as_matrix`: an estimator's ``X`` as a float64 array, columns selected by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def model_input(features: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Vessel-year features as a model fitted on GFW's table expects them.

    Selects ``names`` in order. A feature that could not be computed stays NaN (issue 14:
    a vessel-year seen three times is not one that never visits port); LightGBM routes NaN
    as missing, and where the model does not apply the combination rule
    (:mod:`vessel_risk.model.combine`) ignores its evidence. A column the model needs but
    the frame lacks is an error.

    Parameters
    ----------
    features : DataFrame of shape (n_samples, k)
    names : sequence of str

    Returns
    -------
    DataFrame of shape (n_samples, len(names)) of float64, NaN where unknown
    """
    missing = [n for n in names if n not in features.columns]
    if missing:
        raise ValueError(
            "The 'features' parameter of model_input must have every column the model "
            f"was trained on. Got a frame without {missing} instead."
        )
    return features[list(names)].astype("float64")


def evidence_shares(contrib: pd.DataFrame) -> pd.DataFrame:
    """Each feature's share of the evidence raising a row's score, in [0, 1].

    Parameters
    ----------
    contrib : DataFrame of shape (n_samples, n_features)
        Log-odds contributions (:meth:`vessel_risk.model.pu.PULightGBMClassifier.explain`).

    Returns
    -------
    DataFrame of the same shape: positive contributions divided by their row sum;
    features that lower the score get 0.
    """
    pos = contrib.clip(lower=0.0)
    total = pos.sum(axis=1).replace(0.0, np.nan)
    return pos.div(total, axis=0).fillna(0.0)


def as_matrix(X: Any, feature_names: Sequence[str] | None = None) -> np.ndarray:
    """``X`` as a float64 array; a frame is reduced to ``feature_names`` in that order.

    Missing columns are an error; NaN stays NaN (LightGBM routes it; the random forest
    imputes it with 0, GFW's convention for "no event").
    """
    if isinstance(X, pd.DataFrame):
        if feature_names is not None:
            missing = [f for f in feature_names if f not in X.columns]
            if missing:
                raise ValueError(
                    f"The 'X' parameter of the model must have the columns it was fitted on. "
                    f"Got a frame without {missing} instead."
                )
            X = X[list(feature_names)]
        return X.astype("float64").to_numpy()
    arr = np.asarray(X, dtype="float64")
    if arr.ndim != 2:
        raise ValueError(
            f"The 'X' parameter of the model must be 2-dimensional. Got shape {arr.shape} instead."
        )
    return arr
