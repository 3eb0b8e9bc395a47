"""The indicator baseline as an estimator: the cold-start score any model must beat.

:class:`IndicatorBaseline` wraps the transparent indicator score of
:mod:`vessel_risk.model.indicators` in the scikit-learn contract (fitting learns nothing),
so it runs in the same cross-validation and reports as the trained models.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from vessel_risk.model import indicators as ind


class IndicatorBaseline(ClassifierMixin, BaseEstimator):
    """The indicator score (:func:`vessel_risk.model.indicators.indicator_score`) as an estimator.

    Fitting learns nothing: it records the feature names only, so the baseline can run
    in the same cross-validation as the models. Columns an indicator reads but ``X``
    lacks count as missing (contribution 0); ``mmsi_valid`` defaults to True and
    ``iuu_listed`` to False.

    Attributes
    ----------
    feature_names_in_ : ndarray of shape (n_features,)
    n_features_in_ : int
    classes_ : ndarray of shape (2,)
    """

    def fit(self, X: pd.DataFrame, y: Any = None) -> IndicatorBaseline:
        """Record the feature names.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        if not isinstance(X, pd.DataFrame):
            raise ValueError(
                "The 'X' parameter of IndicatorBaseline.fit must be a DataFrame with "
                f"feature names. Got {type(X).__name__} instead."
            )
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        self.classes_ = np.array([0, 1])
        return self

    @staticmethod
    def _complete(X: pd.DataFrame) -> pd.DataFrame:
        f = X.copy()
        for i in ind.INDICATORS:
            if i.feature not in f.columns and i.feature != "mmsi_invalid":
                f[i.feature] = np.nan
        if "mmsi_valid" not in f.columns:
            f["mmsi_valid"] = True
        if "iuu_listed" not in f.columns:
            f["iuu_listed"] = False
        return f

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Indicator score as column 1.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, 2)
        """
        s = ind.indicator_score(self._complete(X)).to_numpy()
        return np.column_stack([1 - s, s])

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """The indicator score, shape (n_samples,)."""
        return np.asarray(self.predict_proba(X)[:, 1])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where the score reaches the "high" tier (0.6), shape (n_samples,)."""
        return (self.decision_function(X) >= ind.TIERS[0][0]).astype(int)
