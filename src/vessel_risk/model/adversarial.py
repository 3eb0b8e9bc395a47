"""Adversarial validation: can a classifier tell two sources of vessel-years apart?

PU learning treats unlabelled vessel-years as a mix of offenders and non-offenders drawn
like the labelled ones. When the unlabelled rows come from another source (a run over a
sparse fleet, say, against GFW's full-year labelled table), a model trained on the two
learns the source, not forced labour: in issue 14 such a model scored every held-back
vessel-year about 0.999 and found no held-back offender. :func:`adversarial_validation`
trains a classifier to predict the source of each row (labelled = 1, unlabelled = 0) by
cross-validation grouped by vessel; an AUC near 0.5 means the sources are comparable, an
AUC at or above :data:`ADVERSARIAL_AUC_LIMIT` means they are not, and the features that
give the source away are named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from vessel_risk.model.evaluate import single_feature_auc

ADVERSARIAL_AUC_LIMIT = 0.75
"""AUC of the source classifier at or above which two sources are not comparable.

0.5 is a coin toss. Hosmer, Lemeshow and Sturdivant (Applied Logistic Regression, 3rd
ed., 2013, sec. 5.2.4) call 0.7-0.8 "acceptable" and 0.8-0.9 "excellent" discrimination:
at 0.75 a classifier already tells the sources apart in three pairs of four, more than
enough for a PU model to learn the source instead of the label. The limit sits between
a split of GFW's labelled table against itself (about 0.5, ``tests/model/test_adversarial.py``)
and that table against a run over the squid-jigger fleet (1.00)."""

TOP_FEATURES = 5
"""Features named as giving the source away."""


@dataclass
class AdversarialResult:
    """What :func:`adversarial_validation` measured.

    Attributes
    ----------
    auc : float
        Out-of-fold AUC of the source classifier (labelled = 1), grouped by vessel.
    auc_ci : tuple of 2 floats
        95 % bootstrap interval of ``auc`` (vessels resampled with replacement).
    top_features : list of (str, float)
        The features that alone tell the sources apart best, with their single-feature
        AUC as separation strength ``max(AUC, 1 - AUC)`` in [0.5, 1] (null counts as
        lowest, so a feature null in one source and not the other separates).
    comparable : bool
        ``auc < limit``.
    limit : float
        The AUC limit used (:data:`ADVERSARIAL_AUC_LIMIT` by default).
    importances : list of (str, float)
        Mean gain importance of each feature in the source classifier, normalised to
        sum 1, highest first.
    n_labelled, n_unlabelled : int
        Rows compared from each source.
    """

    auc: float
    auc_ci: tuple[float, float]
    top_features: list[tuple[str, float]]
    comparable: bool
    limit: float = ADVERSARIAL_AUC_LIMIT
    importances: list[tuple[str, float]] = field(default_factory=list)
    n_labelled: int = 0
    n_unlabelled: int = 0

    def summary(self) -> str:
        """One sentence: the AUC with its interval, the verdict and the telling features."""
        feats = ", ".join(f"{n} (AUC {a:.2f})" for n, a in self.top_features)
        verdict = (
            "comparable"
            if self.comparable
            else f"not comparable (AUC at or above the limit {self.limit:.2f})"
        )
        return (
            f"A classifier tells labelled from unlabelled vessel-years with AUC {self.auc:.3f} "
            f"(95 % CI {self.auc_ci[0]:.3f}-{self.auc_ci[1]:.3f}; {self.n_labelled} labelled, "
            f"{self.n_unlabelled} unlabelled rows): {verdict}. Features that give the source "
            f"away: {feats}."
        )

    def to_dict(self) -> dict[str, Any]:
        """The result as builtins, for logs and MLflow."""
        return {
            "auc": float(self.auc),
            "auc_ci": [float(self.auc_ci[0]), float(self.auc_ci[1])],
            "top_features": [[n, float(a)] for n, a in self.top_features],
            "comparable": bool(self.comparable),
            "limit": float(self.limit),
            "n_labelled": int(self.n_labelled),
            "n_unlabelled": int(self.n_unlabelled),
        }


def _groups(frame: pd.DataFrame, prefix: str) -> np.ndarray:
    for col in ("vessel_id", "mmsi"):
        if col in frame.columns and frame[col].notna().all():
            return frame[col].astype(str).to_numpy()
    return np.array([f"{prefix}{i}" for i in range(len(frame))])


def _classifier(random_state: int) -> Any:
    from lightgbm import LGBMClassifier

    return LGBMClassifier(
        n_estimators=100,
        learning_rate=0.05,
        num_leaves=15,
        min_child_samples=10,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        force_col_wise=True,
        random_state=random_state,
        n_jobs=1,
        verbose=-1,
    )


def adversarial_validation(
    labelled: pd.DataFrame,
    unlabelled: pd.DataFrame,
    feature_names: Sequence[str],
    *,
    limit: float = ADVERSARIAL_AUC_LIMIT,
    n_splits: int = 5,
    n_bootstrap: int = 200,
    random_state: int = 0,
) -> AdversarialResult:
    """Whether labelled and unlabelled vessel-years come from comparable sources.

    A LightGBM classifier (nulls kept as nulls) learns to predict the source of each row;
    its out-of-fold AUC is measured by cross-validation grouped by vessel (``vessel_id``,
    else ``mmsi``, else each row alone), so a vessel never sits on both sides of a fold.

    Parameters
    ----------
    labelled : DataFrame of shape (n_labelled, k)
        Rows of the labelled table.
    unlabelled : DataFrame of shape (n_unlabelled, k2)
        Rows meant as PU learning's unlabelled set (e.g. a run's ``vessel_features.parquet``).
    feature_names : sequence of str
        The model's features; each must be a column of both frames.
    limit : float, default :data:`ADVERSARIAL_AUC_LIMIT`
        Sources with AUC at or above it are not comparable.
    n_splits : int, default 5
        Cross-validation folds (fewer when there are fewer vessels on a side).
    n_bootstrap : int, default 200
        Bootstrap resamples of vessels for the interval.
    random_state : int, default 0

    Returns
    -------
    AdversarialResult

    Raises
    ------
    ValueError
        If a side has fewer than 2 vessels, or a feature is missing from either frame.
    """
    feats = [str(f) for f in feature_names]
    for name, frame in (("labelled", labelled), ("unlabelled", unlabelled)):
        missing = [f for f in feats if f not in frame.columns]
        if missing:
            raise ValueError(
                f"The '{name}' parameter of adversarial_validation must hold every feature. "
                f"Got a frame without {missing} instead."
            )
    g_l, g_u = _groups(labelled, "L"), _groups(unlabelled, "U")
    if len(set(g_l)) < 2 or len(set(g_u)) < 2:
        raise ValueError(
            "The 'labelled' and 'unlabelled' parameters of adversarial_validation must each "
            f"hold at least 2 vessels. Got {len(set(g_l))} and {len(set(g_u))} instead."
        )
    X = pd.concat(
        [labelled[feats].astype("float64"), unlabelled[feats].astype("float64")],
        ignore_index=True,
    )
    y = np.r_[np.ones(len(labelled), dtype=int), np.zeros(len(unlabelled), dtype=int)]
    groups = np.r_[g_l, g_u]
    k = max(2, min(n_splits, len(set(g_l)), len(set(g_u))))
    cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=random_state)
    oof = np.full(len(y), np.nan)
    gains = np.zeros(len(feats))
    for tr, te in cv.split(X, y, groups):
        m = _classifier(random_state).fit(X.iloc[tr], y[tr])
        oof[te] = m.predict_proba(X.iloc[te])[:, 1]
        gains += m.booster_.feature_importance(importance_type="gain")
    auc = float(roc_auc_score(y, oof))
    # Interval: resample vessels (all their rows together), recompute the AUC.
    rng = np.random.default_rng(random_state)
    uniq, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == i) for i in range(len(uniq))]
    boots = []
    for _ in range(n_bootstrap):
        pick = rng.integers(0, len(uniq), len(uniq))
        idx = np.concatenate([members[i] for i in pick])
        if 0 < y[idx].sum() < len(idx):
            boots.append(roc_auc_score(y[idx], oof[idx]))
    ci = (
        (float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975)))
        if boots
        else (auc, auc)
    )
    single = []
    for f in feats:
        a = single_feature_auc(X[f], y)
        single.append((f, float(max(a, 1 - a)) if a == a else 0.5))
    single.sort(key=lambda t: (-t[1], t[0]))
    total = gains.sum()
    imp = gains / total if total > 0 else gains
    importances = sorted(
        ((f, float(v)) for f, v in zip(feats, imp, strict=True)), key=lambda t: (-t[1], t[0])
    )
    return AdversarialResult(
        auc=auc,
        auc_ci=ci,
        top_features=single[:TOP_FEATURES],
        comparable=auc < limit,
        limit=limit,
        importances=importances,
        n_labelled=len(labelled),
        n_unlabelled=len(unlabelled),
    )
