"""What out-of-fold scores say about the labels: stand-ins, confidence intervals, limits.

The checks :func:`vessel_risk.model.evaluate.evaluate` runs on its out-of-fold scores
besides the headline metrics, so a report says how far its numbers can be trusted:

* :func:`bootstrap_ci`: a confidence interval of a metric, resampling whole vessels
  (a vessel's vessel-years are not independent);
* :func:`stand_in_analysis`: how well the score predicts flag, gear and region, and
  membership of the fleet most known non-offenders come from. These are stand-ins for
  a *fleet*, not for forced labour: a score that predicts them well may have learned
  where the labels were sampled (:data:`STAND_IN_AUC` warns);
* :func:`known_vs_possible_auc`: whether the score tells known from possible offenders;
* :func:`label_support`: a plain statement of what the labels can and cannot support.

All AUCs here are the probability that a random row of the class scores above a random
row outside it (ties count half), so 0.5 is no information and 0 or 1 a perfect split.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

STAND_IN_AUC = 0.8
"""Warn when the score (or one feature) predicts a stand-in with max(AUC, 1 - AUC) at or
above this. 0.8 is the conventional lower bound of "good" discrimination (Hosmer and
Lemeshow, *Applied Logistic Regression*, 2000, ch. 5): a score that good at telling one
flag or gear from the others measures the fleet as much as the risk."""

MIN_CATEGORY_ROWS = 20
"""Categories with fewer rows (or fewer rows outside them) get no one-vs-rest AUC: below
about 20 vessel-years (often one or two vessels) the AUC says more about those vessels
than about the category."""

STAND_IN_COLUMNS = ("flag", "flag_iso3", "gear", "region")
"""Columns read as stand-ins for the fleet, where the table has them."""


def auc(scores: np.ndarray, y: np.ndarray) -> float:
    """Mann-Whitney AUC of ``scores`` for the binary ``y`` (ties count half).

    Parameters
    ----------
    scores : ndarray of shape (n,)
        Any real scores; NaN rows are left out.
    y : ndarray of shape (n,) of {0, 1} or bool

    Returns
    -------
    float
        In [0, 1]; NaN when either class is empty.
    """
    s = np.asarray(scores, dtype=float)
    t = np.asarray(y).astype(bool)
    ok = ~np.isnan(s)
    s, t = s[ok], t[ok]
    n1 = int(t.sum())
    n0 = len(t) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = pd.Series(s).rank(method="average").to_numpy()
    return float((r[t].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def bootstrap_ci(
    statistic: Callable[[np.ndarray], float],
    groups: np.ndarray,
    *,
    n_boot: int = 500,
    level: float = 0.95,
    random_state: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` resampling whole groups (vessels).

    Parameters
    ----------
    statistic : callable
        Takes an array of row indices (with repeats) and returns the metric on those rows.
    groups : ndarray of shape (n,)
        Group of each row (a vessel); groups are drawn with replacement, all their rows
        together.
    n_boot : int, default 500
        Resamples. 500 gives the 2.5 and 97.5 percentiles to about ±0.01 on a recall.
    level : float, default 0.95
    random_state : int, default 0

    Returns
    -------
    (low, high) : tuple of float
        NaN, NaN when no resample gives a finite value.
    """
    codes, _ = pd.factorize(pd.Series(groups))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(codes.max() + 2))
    rows_of = [order[bounds[g] : bounds[g + 1]] for g in range(len(bounds) - 1)]
    rng = np.random.default_rng(random_state)
    values = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(rows_of), len(rows_of))
        v = statistic(np.concatenate([rows_of[g] for g in pick]))
        if np.isfinite(v):
            values.append(v)
    if not values:
        return float("nan"), float("nan")
    a = (1 - level) / 2
    lo, hi = np.quantile(values, [a, 1 - a])
    return float(lo), float(hi)


def majority_fleet(frame: pd.DataFrame, rows: np.ndarray) -> tuple[str, np.ndarray] | None:
    """The most common flag and gear among ``rows`` (the known non-offenders) and who is in it.

    Returns
    -------
    (label, member) or None
        ``label`` such as ``"GBR trawlers"``; ``member`` a bool array over all rows of
        ``frame``. None when the table has neither flag nor gear or ``rows`` is empty.
    """
    cols = [c for c in ("flag", "gear") if c in frame.columns]
    if not cols and "flag_iso3" in frame.columns:
        cols = ["flag_iso3"]
    if not cols or not rows.any():
        return None
    key = frame[cols].astype(str).agg(" ".join, axis=1)
    top = key[rows].value_counts().index[0]
    return str(top), (key == top).to_numpy()


def stand_in_analysis(frame: pd.DataFrame, score: np.ndarray, cls: np.ndarray) -> pd.DataFrame:
    """How well the out-of-fold score predicts fleet stand-ins (flag, gear, region).

    For each stand-in column and each category with at least :data:`MIN_CATEGORY_ROWS`
    rows in and out, the AUC of the score for "row is in this category" (one against
    the rest), over every row with a score. First comes the fleet most known
    non-offenders belong to (``attribute`` "non-offenders' fleet"), with the AUC of the
    score for being *outside* it: near 1 means the score mostly says "not that fleet".

    Parameters
    ----------
    frame : DataFrame of shape (n, k)
    score : ndarray of shape (n,)
        Out-of-fold scores (NaN where a row has none).
    cls : ndarray of shape (n,)
        Label class (1 known offender, 2 known non-offender).

    Returns
    -------
    DataFrame with ``attribute``, ``category``, ``n``, ``auc``, ``strength``
    (max(auc, 1 - auc)) and ``warning`` (strength >= :data:`STAND_IN_AUC`), strongest
    first within the non-offenders' fleet, then by strength.
    """
    rows = []
    scored = ~np.isnan(np.asarray(score, dtype=float))
    fleet = majority_fleet(frame, cls == 2)
    if fleet is not None:
        label, member = fleet
        rows.append(
            {
                "attribute": "non-offenders' fleet",
                "category": f"not {label} ({int(member[cls == 2].sum())} of "
                f"{int((cls == 2).sum())} known non-offenders are {label})",
                "n": int((~member & scored).sum()),
                "auc": auc(score, ~member),
            }
        )
    for col in STAND_IN_COLUMNS:
        if col not in frame.columns:
            continue
        values = frame[col].astype(str).to_numpy()
        counts = pd.Series(values[scored]).value_counts()
        for cat, n in counts.items():
            if n < MIN_CATEGORY_ROWS or scored.sum() - n < MIN_CATEGORY_ROWS:
                continue
            rows.append(
                {
                    "attribute": col,
                    "category": str(cat),
                    "n": int(n),
                    "auc": auc(score, values == cat),
                }
            )
    out = pd.DataFrame(rows, columns=["attribute", "category", "n", "auc"])
    out["strength"] = np.maximum(out["auc"], 1 - out["auc"])
    out["warning"] = out["strength"] >= STAND_IN_AUC
    first = out["attribute"] == "non-offenders' fleet"
    return pd.concat(
        [out.loc[first], out.loc[~first].sort_values("strength", ascending=False)],
        ignore_index=True,
    )


def known_vs_possible_auc(score: np.ndarray, cls: np.ndarray) -> float:
    """AUC of the score for known offenders (class 1) against possible offenders (class 3).

    0.5 means the score does not tell them apart; below 0.5, possible offenders score
    higher. NaN without both classes.
    """
    keep = (cls == 1) | (cls == 3)
    return auc(np.asarray(score)[keep], cls[keep] == 1)


def label_support(frame: pd.DataFrame, cls: np.ndarray) -> list[str]:
    """A plain statement of what the labels can and cannot support, from their counts.

    Parameters
    ----------
    frame : DataFrame of shape (n, k)
        With ``vessel_id`` or ``mmsi``; ``flag``/``gear`` where known.
    cls : ndarray of shape (n,)
        Label class (0 unlabelled, 1 known, 2 known non-offender, 3 possible).

    Returns
    -------
    list of str
        Sentences for the report, each a fact with its number.
    """
    key = "vessel_id" if "vessel_id" in frame.columns else "mmsi"
    vessels = frame[key].astype(str).to_numpy() if key in frame.columns else np.arange(len(frame))

    def count(c: int) -> str:
        m = cls == c
        return f"{int(m.sum())} vessel-years of {len(set(vessels[m]))} vessels"

    out = [
        f"Known offenders: {count(1)}; known non-offenders: {count(2)}; possible "
        f"offenders: {count(3)}; unlabelled: {count(0)}."
    ]
    fleet = majority_fleet(frame, cls == 2)
    if (cls == 2).sum() == 0:
        out.append(
            "There are no known non-offenders, so no specificity can be measured: recall "
            "at 98 % specificity is undefined, and recall at the flagged share counts "
            "unlabelled rows as if they were negatives."
        )
    elif fleet is not None:
        label, member = fleet
        share = member[cls == 2].mean()
        out.append(
            f"{share:.0%} of the known non-offender vessel-years are {label}. Specificity "
            f"is measured on that fleet only: a high recall at 98 % specificity says the "
            f"score tells known offenders from {label}, which a fleet detector also does; "
            "it says nothing of the false alarms among other fleets, flags or gears."
        )
    if (cls == 0).sum() == 0:
        out.append(
            "There are no unlabelled vessel-years: the share of offenders in a real fleet "
            "(the positive share) cannot be estimated, PU calibration has nothing to "
            "calibrate against, and probabilities reflect the labelled mix, not a fleet's."
        )
    out.append(
        "The labels can support: ranking vessel-years by their likeness to the known "
        "offenders' behaviour, and comparing models on the same folds. They cannot "
        "support: the probability that a given vessel uses forced labour, the false-alarm "
        "rate on fleets unlike the known non-offenders, or a claim that a high score "
        "reflects abuse rather than the fleet a vessel belongs to (see the stand-in "
        "analysis)."
    )
    return out
