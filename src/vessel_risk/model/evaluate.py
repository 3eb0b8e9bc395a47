"""Honest evaluation of risk models: grouped cross-validation on PU labels.

Labels follow GFW's labelled table: ``known_offender`` (1 = labelled positive),
``known_non_offender`` (certified decent: the only real negatives), ``possible_offender``
(kept out of training, scored and reported separately) and ``source_id`` (the report a
positive label comes from). Everything else is unlabelled.

Folds are grouped so that no vessel, and with ``group_by="source"`` no report source,
sits on both sides of a split. Metrics, all on out-of-fold scores:

* recall at the flagged share: a threshold flags ``flagged_share`` of all vessel-years
  (as McDonald et al. 2021's "20 % of vessel-years flagged"); recall is the share of
  known positives above it;
* McDonald et al. 2021's modified F1 = recall² / share of all rows flagged (Lee and Liu
  2003), 4.3 in their paper at recall 0.92 with 20 % flagged;
* recall at 98 % specificity on known non-offenders (Joo et al. 2023: 0.889);
* the minimum of each recall over folds;
* a 95 % confidence interval of recall at 98 % specificity, bootstrapping whole vessels
  (:func:`~vessel_risk.model.evaluation_checks.bootstrap_ci`);
* expected calibration error (ECE, 10 equal-width bins) of ``predict_proba`` on rows whose
  class is known (positives and known non-offenders; planted truth on simulated fleets):
  on the held-out folds pooled (``ece``), per fold (``ece_fold_max``), and, for contrast,
  of the final model on the rows it was trained on (``ece_in_sample``);
* feature importance of the model fitted on all training rows;
* a confounding check: single-feature AUCs of positives against known non-offenders; a
  feature at max(AUC, 1 - AUC) >= 0.8 is warned about, >= 0.99 separates the labels;
* the stand-in analysis (:func:`~vessel_risk.model.evaluation_checks.stand_in_analysis`):
  how well the score predicts flag, gear and region, stand-ins for the fleet rather than
  for abuse; known against possible offenders (AUC); recall by gear and flag; and a
  plain statement of what the labels can and cannot support.

The HTML report of these results is :mod:`vessel_risk.model.evaluation_report`
(:func:`~vessel_risk.model.evaluation_report.report_html`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import StratifiedGroupKFold

from vessel_risk.model.evaluation_checks import (
    STAND_IN_AUC,
    bootstrap_ci,
    known_vs_possible_auc,
    label_support,
    stand_in_analysis,
)

logger = logging.getLogger(__name__)

CONFOUNDING_AUC = 0.99
"""A single feature with an AUC this far from 0.5 (either way) separates the labels."""

WARNING_AUC = STAND_IN_AUC
"""A single feature at max(AUC, 1 - AUC) >= 0.8 is warned about: alone, it already
discriminates well (see :data:`vessel_risk.model.evaluation_checks.STAND_IN_AUC`)."""

SPECIFICITY = 0.98
"""Joo et al. 2023: 98 % of certified-decent vessels classed negative."""


# --------------------------------------------------------------------------- labels, folds


def cv_groups(frame: pd.DataFrame, by: str = "vessel") -> np.ndarray:
    """Group key of each row for grouped cross-validation.

    Parameters
    ----------
    frame : DataFrame of shape (n_samples, k)
        With ``vessel_id`` (or ``mmsi``); with ``by="source"`` also ``known_offender``
        and ``source_id``.
    by : {"vessel", "source"}
        ``"vessel"``: every vessel is one group. ``"source"``: positives of one report
        source form one group, merged with every vessel they share (union-find), so
        neither a source nor a vessel crosses folds.

    Returns
    -------
    ndarray of shape (n_samples,) of int
    """
    key = "vessel_id" if "vessel_id" in frame.columns else "mmsi"
    vessels = frame[key].astype(str).to_numpy()
    if by == "vessel":
        return np.asarray(pd.factorize(vessels)[0])
    if by != "source":
        raise ValueError(
            f"The 'by' parameter of cv_groups must be 'vessel' or 'source'. Got {by!r} instead."
        )
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    pos = frame["known_offender"].to_numpy() == 1
    src = frame["source_id"].astype(str).to_numpy()
    for v, s, p in zip(vessels, src, pos, strict=True):
        find("v:" + v)
        if p:
            parent[find("v:" + v)] = find("s:" + s)
    return np.asarray(pd.factorize(np.array([find("v:" + v) for v in vessels]))[0])


def _label_class(frame: pd.DataFrame) -> np.ndarray:
    """0 unlabelled, 1 known offender, 2 known non-offender, 3 possible offender."""
    cls = np.zeros(len(frame), dtype=int)
    for col, c in (("known_non_offender", 2), ("possible_offender", 3), ("known_offender", 1)):
        if col in frame.columns:
            cls[frame[col].fillna(0).to_numpy().astype(int) == 1] = c
    return cls


# --------------------------------------------------------------------------- metrics


def threshold_at_share(scores: np.ndarray, share: float) -> float:
    """Threshold above which ``share`` of ``scores`` lie (rows flagged: score > threshold)."""
    s = np.sort(np.asarray(scores, dtype=float))[::-1]
    k = int(np.floor(share * len(s)))
    if k <= 0:
        return float(s[0]) if len(s) else float("inf")
    if k >= len(s):
        return float("-inf")
    return float(s[k])


def recall_at_specificity(
    pos_scores: np.ndarray, neg_scores: np.ndarray, specificity: float = SPECIFICITY
) -> float:
    """Share of positives flagged when at most ``1 - specificity`` of negatives are.

    Ties at the threshold are not flagged (the conservative reading).
    """
    if len(pos_scores) == 0 or len(neg_scores) == 0:
        return float("nan")
    thr = threshold_at_share(neg_scores, 1.0 - specificity)
    return float(np.mean(np.asarray(pos_scores) > thr))


def modified_f1(recall: float, share_flagged: float) -> float:
    """McDonald et al. 2021 (after Lee and Liu 2003): recall² / share of rows flagged."""
    return float(recall**2 / share_flagged) if share_flagged > 0 else float("nan")


def calibration_curve(
    y_true: np.ndarray, prob: np.ndarray, n_bins: int = 10
) -> tuple[pd.DataFrame, float]:
    """Reliability table and expected calibration error (equal-width bins).

    Returns
    -------
    table : DataFrame with ``bin``, ``n``, ``mean_predicted``, ``fraction_positive``
    ece : float
        Σ_b (n_b / n) |fraction_positive_b − mean_predicted_b|.
    """
    y = np.asarray(y_true, dtype=float)
    p = np.clip(np.asarray(prob, dtype=float), 0, 1)
    b = np.minimum((p * n_bins).astype(int), n_bins - 1)
    t = (
        pd.DataFrame({"bin": b, "p": p, "y": y})
        .groupby("bin")
        .agg(n=("y", "size"), mean_predicted=("p", "mean"), fraction_positive=("y", "mean"))
        .reset_index()
    )
    ece = float(
        (t["n"] / max(len(y), 1) * (t["fraction_positive"] - t["mean_predicted"]).abs()).sum()
    )
    return t, ece


def single_feature_auc(values: pd.Series, y: np.ndarray) -> float:
    """AUC of one feature alone for labels ``y`` (1 positive, 0 negative).

    Numbers rank as they are (NaN lowest); categories are ranked by their in-sample
    positive rate, the best a one-column rule can do.
    """
    v = values
    if not (pd.api.types.is_numeric_dtype(v) or pd.api.types.is_bool_dtype(v)):
        key = v.astype(str).fillna("<NA>")
        rate = pd.Series(y, index=v.index).groupby(key).mean()
        v = key.map(rate)
    x = pd.Series(np.asarray(v, dtype=float)).fillna(-np.inf)
    r = x.rank(method="average").to_numpy()
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def confounding_check(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    threshold: float = CONFOUNDING_AUC,
    warn_at: float = WARNING_AUC,
) -> pd.DataFrame:
    """Features that alone separate known offenders from known non-offenders.

    A model that learns such a feature may learn the sampling of the labels, not forced
    labour (in GFW's labelled table every known non-offender flies one flag). Each hit is
    logged as a warning.

    Parameters
    ----------
    frame : DataFrame of shape (n_samples, k) with the label columns
    columns : sequence of str
        Columns to test (numeric or categorical).
    threshold : float, default 0.99
        Flag a feature as separating when max(AUC, 1 − AUC) reaches it.
    warn_at : float, default 0.8
        Warn about a feature when max(AUC, 1 − AUC) reaches it.

    Returns
    -------
    DataFrame with ``feature``, ``auc``, ``warning`` and ``separates`` (bool), sorted by
    separation;
    empty when the frame has no known non-offenders (unlabelled rows are then used as
    negatives, since a perfect split against them is as suspicious).
    """
    cls = _label_class(frame)
    keep = (cls == 1) | (cls == 2)
    if (cls == 2).sum() == 0:
        keep = (cls == 1) | (cls == 0)
    sub = frame.loc[keep]
    y = (cls[keep] == 1).astype(int)
    rows = []
    for col in columns:
        if col not in sub.columns:
            continue
        auc = single_feature_auc(sub[col], y)
        rows.append({"feature": col, "auc": auc, "strength": max(auc, 1 - auc)})
    out = pd.DataFrame(rows, columns=["feature", "auc", "strength"])
    out["warning"] = out["strength"] >= min(warn_at, threshold)
    out["separates"] = out["strength"] >= threshold
    out = out.sort_values("strength", ascending=False, ignore_index=True)
    for r in out.loc[out["warning"]].itertuples():
        logger.warning(
            "Confounding: the feature %r alone %s known offenders from known "
            "non-offenders (AUC %.3f). A model may learn how the labels were sampled, not "
            "forced labour; exclude it (e.g. --exclude %s) or collect negatives that vary in it.",
            r.feature,
            "separates" if r.separates else "largely tells apart",
            r.auc,
            r.feature,
        )
    return out.drop(columns="strength")


# --------------------------------------------------------------------------- evaluation


@dataclass
class Evaluation:
    """What :func:`evaluate` measured for one model."""

    name: str
    params: dict[str, Any]
    features: list[str]
    group_by: str
    flagged_share: float
    metrics: dict[str, float]
    folds: pd.DataFrame
    scores: pd.DataFrame
    importance: pd.Series
    confounders: pd.DataFrame
    calibration: pd.DataFrame
    breakdown: pd.DataFrame
    model: BaseEstimator | None = None
    notes: list[str] = field(default_factory=list)
    stand_ins: pd.DataFrame = field(default_factory=pd.DataFrame)
    label_support: list[str] = field(default_factory=list)
    adversarial: Any = None
    """Adversarial validation of an unlabelled source against the labelled rows, when one
    was used: any object (or dict) with ``auc``, ``auc_ci``, ``top_features`` and
    ``comparable``; shown in the report."""


def _score(model: BaseEstimator, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    rank = np.asarray(model.decision_function(X), dtype=float)
    prob = np.asarray(model.predict_proba(X)[:, 1], dtype=float)
    return rank, prob


def _fold_metrics(
    rank: np.ndarray, cls: np.ndarray, share: float, truth: np.ndarray | None
) -> dict[str, float]:
    pos = rank[cls == 1]
    thr = threshold_at_share(rank, share)
    flagged = rank > thr
    recall = float(np.mean(pos > thr)) if len(pos) else float("nan")
    share_flagged = float(np.mean(flagged))
    out = {
        "recall_at_share": recall,
        "share_flagged": share_flagged,
        "modified_f1": modified_f1(recall, share_flagged),
        "recall_at_98_specificity": recall_at_specificity(pos, rank[cls == 2]),
        # Recall cannot exceed this when positives outnumber the flagged rows.
        "max_recall_at_share": min(1.0, share * len(rank) / len(pos)) if len(pos) else float("nan"),
        "n_positive": float(len(pos)),
        "n_non_offender": float((cls == 2).sum()),
    }
    if truth is not None:
        out["recall_planted_at_share"] = float(np.mean(flagged[truth == 1]))
        out["precision_planted_at_share"] = (
            float(np.mean(truth[flagged] == 1)) if flagged.any() else float("nan")
        )
    return out


def evaluate(
    model: BaseEstimator,
    frame: pd.DataFrame,
    features: Sequence[str],
    *,
    name: str | None = None,
    group_by: str = "vessel",
    flagged_share: float = 0.2,
    n_splits: int = 5,
    confounding_columns: Sequence[str] | None = None,
    random_state: int = 0,
) -> Evaluation:
    """Grouped cross-validation of ``model`` on a labelled vessel-year table.

    Parameters
    ----------
    model : estimator
        Unfitted; cloned for each fold. Needs ``decision_function`` and ``predict_proba``.
    frame : DataFrame of shape (n_samples, k)
        Features and label columns (``known_offender``; optionally ``known_non_offender``,
        ``possible_offender``, ``source_id``; ``planted_risk`` on simulated fleets).
    features : sequence of str
        Model input columns.
    name : str, optional
        Label for the report (default: the estimator's class name).
    group_by : {"vessel", "source"}
    flagged_share : float, default 0.2
        Share of all vessel-years to flag.
    n_splits : int, default 5
    confounding_columns : sequence of str, optional
        Columns for :func:`confounding_check` (default: ``features`` plus ``flag`` and
        ``gear`` where present).
    random_state : int, default 0

    Returns
    -------
    Evaluation
    """
    if not 0 < flagged_share < 1:
        raise ValueError(
            "The 'flagged_share' parameter of evaluate must be in (0, 1). "
            f"Got {flagged_share!r} instead."
        )
    feats = list(features)
    X = frame[feats]
    cls = _label_class(frame)
    truth = frame["planted_risk"].to_numpy().astype(int) if "planted_risk" in frame else None
    groups = cv_groups(frame, group_by)
    n_pos_groups = len(np.unique(groups[cls == 1]))
    k = min(n_splits, n_pos_groups)
    if k < 2:
        raise ValueError(
            "The 'frame' parameter of evaluate must hold known offenders in at least 2 "
            f"groups. Got {n_pos_groups} instead."
        )
    cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=random_state)
    rank = np.full(len(frame), np.nan)
    prob = np.full(len(frame), np.nan)
    fold = np.full(len(frame), -1)
    fold_rows = []
    # Calibration on rows whose class is known.
    if truth is not None:
        known, y_cal = np.ones(len(frame), dtype=bool), truth
    else:
        known = (cls == 1) | (cls == 2)
        y_cal = (cls == 1).astype(int)
    for i, (tr, te) in enumerate(cv.split(X, cls, groups)):
        tr = tr[cls[tr] != 3]  # possible offenders never train
        m = clone(model).fit(X.iloc[tr], (cls[tr] == 1).astype(int))
        rank[te], prob[te] = _score(m, X.iloc[te])
        fold[te] = i
        fm = _fold_metrics(rank[te], cls[te], flagged_share, None if truth is None else truth[te])
        kt = te[known[te]]
        fm["ece"] = calibration_curve(y_cal[kt], prob[kt])[1] if len(kt) else float("nan")
        fold_rows.append({"fold": i, **fm})
    folds = pd.DataFrame(fold_rows)
    metrics = _fold_metrics(rank, cls, flagged_share, truth)
    for col in ("recall_at_share", "recall_at_98_specificity", "recall_planted_at_share"):
        if col in folds:
            metrics[f"{col}_fold_min"] = float(folds[col].min())
    vessels = cv_groups(frame, "vessel")

    def recall_98(rows: np.ndarray) -> float:
        c = cls[rows]
        return recall_at_specificity(rank[rows][c == 1], rank[rows][c == 2])

    lo, hi = bootstrap_ci(recall_98, vessels, random_state=random_state)
    metrics["recall_at_98_specificity_ci_low"] = lo
    metrics["recall_at_98_specificity_ci_high"] = hi
    calib, ece = calibration_curve(y_cal[known], prob[known])
    metrics["ece"] = ece
    metrics["ece_fold_max"] = float(folds["ece"].max())
    thr = threshold_at_share(rank, flagged_share)
    metrics["possible_offenders_flagged"] = (
        float(np.mean(rank[cls == 3] > thr)) if (cls == 3).any() else float("nan")
    )
    # Final model on all training rows, for importance and the registry.
    train = cls != 3
    final = clone(model).fit(X.loc[train], (cls[train] == 1).astype(int))
    imp = getattr(final, "feature_importances_", None)
    importance = (
        pd.Series(imp, index=feats).sort_values(ascending=False)
        if imp is not None
        else pd.Series(dtype=float)
    )
    share_est = getattr(final, "positive_share_", None)
    if share_est is not None:
        metrics["estimated_positive_share"] = float(share_est)
    known_train = known & train
    metrics["ece_in_sample"] = (
        calibration_curve(
            y_cal[known_train], np.asarray(final.predict_proba(X.loc[known_train])[:, 1])
        )[1]
        if known_train.any()
        else float("nan")
    )
    metrics["known_vs_possible_auc"] = known_vs_possible_auc(rank, cls)
    stand_ins = stand_in_analysis(frame, rank, cls)
    fleet_row = stand_ins.loc[stand_ins["attribute"] == "non-offenders' fleet", "auc"]
    metrics["non_offender_fleet_auc"] = float(fleet_row.iloc[0]) if len(fleet_row) else np.nan
    metrics["stand_in_strength_max"] = (
        float(stand_ins["strength"].max()) if len(stand_ins) else float("nan")
    )
    conf_cols = (
        list(confounding_columns)
        if confounding_columns is not None
        else feats + [c for c in ("flag", "gear") if c in frame.columns and c not in feats]
    )
    confounders = confounding_check(frame, conf_cols)
    notes = [
        f"Feature {r.feature!r} alone "
        + ("separates the labels" if r.separates else "largely tells the labels apart")
        + f" (AUC {r.auc:.3f}): a model that "
        "learns it may learn how the labels were sampled, not forced labour. "
        + (
            "It IS a model input here: exclude it."
            if r.feature in feats
            else "It is not a model input here."
        )
        for r in confounders.loc[confounders["warning"]].itertuples()
    ]
    warned = stand_ins.loc[stand_ins["warning"]]
    if len(warned):
        notes.append(
            "Stand-in analysis: the score predicts the fleet, a stand-in for fleet rather "
            f"than abuse (AUC at or beyond {WARNING_AUC} either way): "
            + "; ".join(f"{r.attribute} {r.category} {r.auc:.3f}" for r in warned.itertuples())
            + "."
        )
    kvp = metrics["known_vs_possible_auc"]
    if kvp == kvp and kvp < 0.6:
        notes.append(
            f"Known against possible offenders: AUC {kvp:.3f}: the score does not rank "
            "confirmed cases above suspected ones"
            + (" (possible offenders score higher)." if kvp < 0.5 else ".")
        )
    breakdown = _breakdown(frame, rank, cls, thr)
    scores = pd.DataFrame(
        {
            "row": np.arange(len(frame)),
            "fold": fold,
            "label_class": cls,
            "score": rank,
            "probability": prob,
        }
    )
    if truth is not None:
        scores["planted_risk"] = truth
    return Evaluation(
        name=name or type(model).__name__,
        params=model.get_params(),
        features=feats,
        group_by=group_by,
        flagged_share=flagged_share,
        metrics=metrics,
        folds=folds,
        scores=scores,
        importance=importance,
        confounders=confounders,
        calibration=calib,
        breakdown=breakdown,
        model=final,
        notes=notes,
        stand_ins=stand_ins,
        label_support=label_support(frame, cls),
    )


def _breakdown(frame: pd.DataFrame, rank: np.ndarray, cls: np.ndarray, thr: float) -> pd.DataFrame:
    """Recall of known positives by gear and by flag, at the flagged share and at 98 %
    specificity (the threshold set on all known non-offenders), with the known
    non-offenders of each level and the share of them flagged."""
    neg = rank[cls == 2]
    thr98 = threshold_at_share(neg, 1.0 - SPECIFICITY) if len(neg) else float("nan")
    rows = []
    for col in ("gear", "flag", "flag_iso3"):
        if col not in frame.columns:
            continue
        df = pd.DataFrame({"level": frame[col].astype(str).to_numpy(), "cls": cls, "s": rank}).loc[
            lambda d: d["cls"].isin([1, 2])
        ]
        for level, g in df.groupby("level"):
            p = g.loc[g["cls"] == 1, "s"]
            n = g.loc[g["cls"] == 2, "s"]
            rows.append(
                {
                    "by": col,
                    "level": level,
                    "n_positive": len(p),
                    "recall": float((p > thr).mean()) if len(p) else np.nan,
                    "recall_at_98_specificity": float((p > thr98).mean()) if len(p) else np.nan,
                    "n_non_offender": len(n),
                    "non_offenders_flagged": float((n > thr98).mean()) if len(n) else np.nan,
                }
            )
    cols = ["by", "level", "n_positive", "recall", "recall_at_98_specificity"]
    return pd.DataFrame(rows, columns=[*cols, "n_non_offender", "non_offenders_flagged"])
