"""Positive-unlabelled (PU) bagging: the risk models trained on known offenders.

Known forced-labour cases are few and everything else is *unlabelled*, not negative.
PU bagging (Mordelet and Vert 2014) trains each bag on the labelled positives against
an equal-size random draw of unlabelled rows and averages the bags; an unlabelled row
is scored out of bag by the bags that did not draw it. Both estimators follow the
scikit-learn contract (``__init__`` stores parameters, ``fit`` returns ``self``, learned
state ends in ``_``):

* :class:`PULightGBMClassifier`: PU bagging with LightGBM; probabilities calibrated by
  Elkan and Noto (2008); per-row explanations from LightGBM ``pred_contrib``.
* :class:`BaggedRandomForestClassifier`: McDonald et al. 2021 (PNAS 118(3)
  e2016238117): bagged random forests with 1:1 downsampling, as a comparison model.

Labels ``y`` are 1 for a labelled positive (a known offender vessel-year) and 0 for an
unlabelled one. A score is a risk to check, never proof.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold

from vessel_risk.model.domain import fit_domain
from vessel_risk.model.scoring import as_matrix


def _check_y(y: Any, n: int) -> np.ndarray:
    arr = np.asarray(y).astype(int).ravel()
    if arr.shape[0] != n or not set(np.unique(arr)) <= {0, 1}:
        raise ValueError(
            f"The 'y' parameter of fit must be {n} labels in {{0, 1}} (1 = labelled "
            f"positive, 0 = unlabelled). Got {arr.shape[0]} values {np.unique(arr)[:5]} instead."
        )
    if arr.sum() == 0 or arr.sum() == n:
        raise ValueError(
            "The 'y' parameter of fit must hold both labelled positives and unlabelled rows. "
            f"Got {int(arr.sum())} positives among {n} rows instead."
        )
    return arr


class _PUBagging(ClassifierMixin, BaseEstimator):
    """Shared PU bagging: subclasses provide ``_base_estimator()`` and ``_prepare(X)``."""

    n_bags: int
    calibrate: bool
    max_oob_rows: int
    random_state: int | None

    def _base_estimator(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        return X

    def _fit_bags(
        self,
        X: np.ndarray,
        y: np.ndarray,
        n_bags: int,
        rng: np.random.Generator,
        oob_rows: np.ndarray | None = None,
    ) -> tuple[list[Any], np.ndarray, np.ndarray]:
        """Fit ``n_bags`` bags; out-of-bag score sums and counts over ``oob_rows``."""
        pos = np.flatnonzero(y == 1)
        unl = np.flatnonzero(y == 0)
        k = min(len(pos), len(unl))
        rows = np.arange(len(y)) if oob_rows is None else oob_rows
        models = []
        oob_sum = np.zeros(len(rows))
        oob_n = np.zeros(len(rows))
        for _ in range(n_bags):
            p = pos if k == len(pos) else rng.choice(pos, k, replace=False)
            u = rng.choice(unl, k, replace=False)
            idx = np.concatenate([p, u])
            m = clone(self._base_estimator())
            m.fit(self._prepare(X[idx]), y[idx])
            models.append(m)
            out = ~np.isin(rows, idx)
            if oob_rows is not None and out.any():
                oob_sum[out] += m.predict_proba(self._prepare(X[rows[out]]))[:, 1]
                oob_n[out] += 1
        return models, oob_sum, oob_n

    def fit(self, X: Any, y: Any) -> _PUBagging:
        """Fit the bags, then the Elkan–Noto calibration and the positive share.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Vessel-year features. A DataFrame's column names are kept
            (``feature_names_in_``) and used to select columns at prediction time.
        y : array-like of shape (n_samples,)
            1 for a labelled positive (known offender), 0 for an unlabelled row.

        Returns
        -------
        self
        """
        if not isinstance(self.max_oob_rows, int) or self.max_oob_rows < 1:
            raise ValueError(
                f"The 'max_oob_rows' parameter of {type(self).__name__} must be an int >= 1. "
                f"Got {self.max_oob_rows!r} instead."
            )
        if not isinstance(self.n_bags, int) or self.n_bags < 1:
            raise ValueError(
                f"The 'n_bags' parameter of {type(self).__name__} must be an int >= 1. "
                f"Got {self.n_bags!r} instead."
            )
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        Xa = as_matrix(X)
        ya = _check_y(y, Xa.shape[0])
        self.n_features_in_ = Xa.shape[1]
        self.classes_ = np.array([0, 1])
        if isinstance(X, pd.DataFrame):
            # The rows the model learned from, so that scoring can tell where it applies.
            self.training_domain_ = fit_domain(X, list(self.feature_names_in_)).to_dict()
        rng = np.random.default_rng(self.random_state)
        unl = np.flatnonzero(ya == 0)
        if len(unl) > self.max_oob_rows:
            unl = np.sort(rng.choice(unl, self.max_oob_rows, replace=False))
        self.estimators_, oob_sum, oob_n = self._fit_bags(Xa, ya, self.n_bags, rng, unl)
        n_pos, n_unl = int(ya.sum()), int((ya == 0).sum())
        self.n_positive_, self.n_unlabelled_ = n_pos, n_unl
        # Each bag samples positives at rate k/n_pos and unlabelled rows at k/n_unl, so the
        # bag odds times n_pos/n_unl are the odds of being labelled, P(s=1|x) (prior shift).
        self.label_odds_factor_ = n_pos / n_unl
        self.labelled_frequency_ = 1.0
        self.elkan_noto_: dict[str, Any] = {
            "applied": False,
            "c": 1.0,
            "clipped_share": 0.0,
            "note": "Elkan-Noto correction off (calibrate=False): scores are P(labelled | x) "
            "under the training mix.",
        }
        if self.calibrate:
            self.elkan_noto_ = self._elkan_noto(Xa, ya, rng)
            self.labelled_frequency_ = float(self.elkan_noto_["c"])
        # Unlabelled rows scored out of bag where possible (Mordelet and Vert 2014).
        raw_unl = np.where(oob_n > 0, oob_sum / np.maximum(oob_n, 1), np.nan)
        if np.isnan(raw_unl).any():
            missing = np.isnan(raw_unl)
            raw_unl[missing] = self.decision_function(Xa[unl[missing]])
        p_unl = self._to_probability(raw_unl)
        self.oob_unlabelled_score_ = raw_unl
        self.positive_share_ = float(np.mean(p_unl))
        return self

    def _elkan_noto(self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
        """c = P(s=1 | y=1), the mean out-of-fold P(s=1|x) over labelled positives.

        Elkan and Noto 2008, estimator e1, by 3-fold cross-fitting with one bag per fold.
        The correction divides P(s=1|x) by c and clips at 1, so about half of the
        positives (those above the mean) score exactly 1. Where the rows labelled 0 are
        known negatives rather than unlabelled (GFW's labelled table), c comes out near 1
        (0.93-0.96) and means nothing; the result says so instead of hiding it.

        Returns
        -------
        dict of builtins: ``applied`` (bool), ``c`` (float in (0, 1], 1 when not applied),
        ``clipped_share`` (share of the positives' out-of-fold probabilities the
        correction clips at 1), ``note`` (str, what was done and why).
        """
        n_pos = int(y.sum())
        folds = min(3, n_pos, int((y == 0).sum()))
        if folds < 2:
            return {
                "applied": False,
                "c": 1.0,
                "clipped_share": 0.0,
                "note": f"Elkan-Noto correction skipped: {n_pos} positives and "
                f"{int((y == 0).sum())} unlabelled rows are too few to cross-fit c; scores are "
                "P(labelled | x).",
            }
        seed = int(rng.integers(2**31 - 1))
        g = []
        for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
            models, _, _ = self._fit_bags(X[tr], y[tr], 1, rng)
            pos_te = te[y[te] == 1]
            bag = models[0].predict_proba(self._prepare(X[pos_te]))[:, 1]
            factor = y[tr].sum() / (y[tr] == 0).sum()
            g.append(self._label_probability(bag, factor))
        g_all = np.concatenate(g)
        c = min(max(float(np.mean(g_all)), 1e-6), 1.0)
        clipped = float(np.mean(g_all / c > 1.0))
        note = (
            f"Elkan-Noto c = {c:.3f} (mean out-of-fold P(labelled | x) of the positives); "
            f"it clips {clipped:.0%} of the positives' probabilities at 1."
        )
        if c >= 0.9:
            note += (
                " c near 1 says almost every offender among these rows is already labelled, "
                "as when the rows labelled 0 are known non-offenders rather than unlabelled; "
                "the correction then only saturates scores at 1."
            )
        return {"applied": True, "c": c, "clipped_share": clipped, "note": note}

    @staticmethod
    def _label_probability(bag_score: np.ndarray, factor: float) -> np.ndarray:
        s = np.clip(bag_score, 1e-9, 1 - 1e-9)
        odds = s / (1 - s) * factor
        return np.asarray(odds / (1 + odds))

    def _to_probability(self, raw: np.ndarray) -> np.ndarray:
        g = self._label_probability(raw, self.label_odds_factor_)
        return np.asarray(np.clip(g / self.labelled_frequency_, 0.0, 1.0))

    def _check_fitted_X(self, X: Any) -> np.ndarray:
        if not hasattr(self, "estimators_"):
            raise ValueError(f"This {type(self).__name__} is not fitted yet: call fit first.")
        names = getattr(self, "feature_names_in_", None)
        Xa = as_matrix(
            X, list(names) if names is not None and isinstance(X, pd.DataFrame) else None
        )
        if Xa.shape[1] != self.n_features_in_:
            raise ValueError(
                f"The 'X' parameter must have {self.n_features_in_} features. "
                f"Got {Xa.shape[1]} instead."
            )
        return Xa

    def decision_function(self, X: Any) -> np.ndarray:
        """Mean bag score: the ranking score, uncalibrated.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) in [0, 1]
        """
        Xa = self._prepare(self._check_fitted_X(X))
        return np.asarray(np.mean([m.predict_proba(Xa)[:, 1] for m in self.estimators_], axis=0))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probability of being a positive, P(y=1 | x) (Elkan and Noto 2008).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, 2); column 1 is the risk.
        """
        p = self._to_probability(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """1 where the calibrated probability is at least 0.5.

        Returns
        -------
        ndarray of shape (n_samples,) of int
        """
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    @property
    def feature_importances_(self) -> np.ndarray:
        """Mean feature importance over the bags, normalised to sum 1, shape (n_features,)."""
        imp = np.mean([self._importance(m) for m in self.estimators_], axis=0)
        total = imp.sum()
        return np.asarray(imp / total if total > 0 else imp)

    def _importance(self, m: Any) -> np.ndarray:
        return np.asarray(m.feature_importances_, dtype=float)


class PULightGBMClassifier(_PUBagging):
    """Positive-unlabelled bagging with LightGBM trees, calibrated by Elkan and Noto.

    Each of ``n_bags`` bags trains a LightGBM classifier on all labelled positives
    against an equal-size random draw of unlabelled rows (when the unlabelled rows are
    fewer, positives are drawn down to their number); scores are averaged over bags.
    ``predict_proba`` turns the mean bag score into P(s=1|x) by the bags' known
    sampling rates, then into P(y=1|x) = P(s=1|x) / c with c = P(s=1|y=1) estimated by
    cross-fitting (Elkan and Noto 2008, e1).

    Parameters
    ----------
    n_bags : int, default 10
    n_estimators : int, default 80
        Boosting rounds per bag.
    learning_rate : float, default 0.1
    num_leaves : int, default 15
    min_child_samples : int, default 5
        Small, because positives are few (tens of vessel-years).
    max_bin : int, default 63
        Histogram bins per feature (LightGBM's default is 255). A bag holds only
        twice the labelled positives (thousands of rows at most), so 63 bins still
        resolve every feature finely, and each boosting round builds and scans a
        quarter of the histogram. On the labelled table (grouped by vessel) recall at
        98 % specificity is unchanged (0.966) and recall at 20 % flagged 0.256 (0.253
        with 255 bins); fitting takes about a third less time (benchmarks/README.md).
    calibrate : bool, default True
        Estimate c; if False, c = 1 and ``predict_proba`` is P(s=1|x). The correction
        assumes the rows labelled 0 are unlabelled (a mix of positives and negatives);
        where they are known negatives, turn it off (``vessel-risk train`` does).
    max_oob_rows : int, default 20000
        The positive share is estimated out of bag on at most this many unlabelled rows,
        drawn at random (a mean: a sample suffices, and scoring all rows of a large fleet
        in every bag would dominate the fit time).
    random_state : int or None, default None
    n_jobs : int, default 1

    Attributes
    ----------
    estimators_ : list of lightgbm.LGBMClassifier, length n_bags
    labelled_frequency_ : float
        c = P(s=1 | y=1): the share of positives that are labelled; 1 when the
        correction is not applied.
    elkan_noto_ : dict
        What the Elkan-Noto correction did: ``applied`` (bool), ``c`` (float),
        ``clipped_share`` (share of the positives' out-of-fold probabilities clipped at
        1) and ``note`` (str, in plain words).
    training_domain_ : dict
        The training rows' domain (:meth:`vessel_risk.model.domain.TrainingDomain.to_dict`),
        set when ``X`` is a DataFrame; scoring checks rows against it.
    positive_share_ : float
        Estimated share of positives among the unlabelled rows (mean out-of-bag
        P(y=1|x)): a guide to the share of the fleet to flag.
    oob_unlabelled_score_ : ndarray of shape (min(n_unlabelled, max_oob_rows),)
        Out-of-bag mean bag score of the unlabelled rows the share was estimated on.
    feature_names_in_ : ndarray of shape (n_features,)
        Set when ``X`` is a DataFrame.
    n_features_in_ : int
    """

    def __init__(
        self,
        n_bags: int = 10,
        n_estimators: int = 80,
        learning_rate: float = 0.1,
        num_leaves: int = 15,
        min_child_samples: int = 5,
        max_bin: int = 63,
        calibrate: bool = True,
        max_oob_rows: int = 20_000,
        random_state: int | None = None,
        n_jobs: int = 1,
    ) -> None:
        self.n_bags = n_bags
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.max_bin = max_bin
        self.calibrate = calibrate
        self.max_oob_rows = max_oob_rows
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _base_estimator(self) -> Any:
        from lightgbm import LGBMClassifier

        return LGBMClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            max_bin=self.max_bin,
            # Column-wise histograms without LightGBM's timing test of both layouts on
            # every bag's Dataset (the test costs more than it saves on a few thousand rows;
            # the trees are the same either way).
            force_col_wise=True,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            verbose=-1,
        )

    def _importance(self, m: Any) -> np.ndarray:
        return np.asarray(m.booster_.feature_importance(importance_type="gain"), dtype=float)

    def explain(self, X: Any) -> pd.DataFrame:
        """Per-row feature contributions: LightGBM ``pred_contrib`` averaged over bags.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        DataFrame of shape (n_samples, n_features) of contributions to the mean bag
        log-odds (positive raises the risk), columns named by feature, index that of
        ``X`` when it is a DataFrame. The bias term is left out.
        """
        Xa = self._check_fitted_X(X)
        contrib = np.mean([m.predict(Xa, pred_contrib=True) for m in self.estimators_], axis=0)
        names = getattr(self, "feature_names_in_", None)
        cols = list(names) if names is not None else [f"x{i}" for i in range(Xa.shape[1])]
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(contrib[:, :-1], columns=cols, index=index)


class BaggedRandomForestClassifier(_PUBagging):
    """McDonald et al. 2021: bagged random forests with 1:1 downsampling.

    Each bag fits a random forest on all labelled positives and an equal number of
    unlabelled rows drawn at random; scores are averaged over bags, and calibrated as
    in :class:`PULightGBMClassifier`. Missing values stay missing: scikit-learn's trees
    (>= 1.4) send NaN down the side that fits best, as LightGBM does; a feature that could
    not be computed is unknown, not 0.

    Parameters
    ----------
    n_bags : int, default 10
    n_estimators : int, default 200
        Trees per forest.
    max_features : str, int or float, default "sqrt"
    min_samples_leaf : int, default 1
    calibrate : bool, default True
    max_oob_rows : int, default 20000
        As :class:`PULightGBMClassifier`.
    random_state : int or None, default None
    n_jobs : int, default 1

    Attributes
    ----------
    estimators_ : list of sklearn.ensemble.RandomForestClassifier, length n_bags
    labelled_frequency_, elkan_noto_, training_domain_, positive_share_,
    oob_unlabelled_score_, feature_names_in_, n_features_in_ : as :class:`PULightGBMClassifier`.
    """

    def __init__(
        self,
        n_bags: int = 10,
        n_estimators: int = 200,
        max_features: str | int | float = "sqrt",
        min_samples_leaf: int = 1,
        calibrate: bool = True,
        max_oob_rows: int = 20_000,
        random_state: int | None = None,
        n_jobs: int = 1,
    ) -> None:
        self.n_bags = n_bags
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.calibrate = calibrate
        self.max_oob_rows = max_oob_rows
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _base_estimator(self) -> Any:
        return RandomForestClassifier(
            n_estimators=self.n_estimators,
            max_features=self.max_features,
            min_samples_leaf=self.min_samples_leaf,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        )
