"""The combination rule: one score from identity, indicator and model evidence.

Every piece of evidence is a log-likelihood ratio (natural log) added to the prior's
log-odds (docs/model.md, "The combination rule"):

    logit(score) = logit(PRIOR)
                 + IDENTITY_CAP  * tanh(identity   / IDENTITY_CAP)
                 + INDICATOR_CAP * tanh(w * indicators / INDICATOR_CAP)
                 + MODEL_CAP     * tanh(w * model      / MODEL_CAP)     (where the model applies)

* identity: fixed log-likelihood ratios (:data:`IDENTITY_LLR`) times the indicator's
  strength in [0, 1] (IUU listing, invalid MMSI, many names, renamings, reflaggings, new
  MMSIs, a shared transmitter); facts of the register and the broadcast identity, so not
  weighted by coverage.
* indicators: each activity indicator gives ``LLR_i * (strength_i + relative_i) / 2``,
  its absolute strength (the documented ramp of :mod:`vessel_risk.model.indicators`) and
  its place among peers, ``relative = 2 * percentile / 100 - 1`` in [-1, 1]: above the
  peers' median raises the score, below it lowers it. An unknown value gives nothing.
* model: ``logit(p_model) - logit(PRIOR)``, only where the model applies
  (:mod:`vessel_risk.model.domain`), else 0 and the reason says why.
* ``w`` is the coverage weight in [0, 1] (:func:`coverage_weight`): thin data pulls the
  score toward the prior instead of reading like evidence.

Each component is capped smoothly (``cap * tanh(x / cap)``), so no component alone, and
not all together, can drive the score to 0 or 1: the largest score is
``sigmoid(logit(PRIOR) + sum of caps)`` = :data:`MAX_SCORE`. A score is evidence to check,
never proof.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vessel_risk.model import indicators as ind

PRIOR = 0.05
"""Score of a vessel-year with no evidence either way. A working base rate, not an
estimate for any fleet (McDonald et al. 2021 put 14-26 % of the fleets they studied at high
risk): it shifts every score alike in log-odds, so it never changes a rank."""

IDENTITY_LLR = {
    "iuu_listed": 5.0,
    "invalid_mmsi": 0.5,
    "many_identities": 0.7,
    "renamed": 0.5,
    "reflagged": 0.7,
    "new_mmsi": 0.4,
    "shared_transmitter": 0.4,
}
"""Log-likelihood ratio of each identity indicator at full strength. IUU listing: a
listed vessel has been found fishing illegally by an RFMO or state, and IUU fishing and
forced labour go together in the cases studied (EJF 2019; McDonald et al. 2021 use it as a
predictor): LR e^5 = 148, so a listed vessel-year ranks among the first whatever its AIS.
The identity-change and MMSI indicators are context (DOMAIN.md): LR 1.5-2."""

INDICATOR_LLR = {
    "long_voyages": 1.2,
    "far_from_port": 1.0,
    "ais_disabling": 0.8,
    "carrier_encounters": 1.0,
    "long_fishing_days": 0.8,
}
"""Log-likelihood ratio of each activity indicator at full strength and the top of its
peers. Ordered as the indicator baseline's weights (McDonald et al. 2021: voyage length
and distance from port are the strongest predictors; transshipment keeps crews at sea)."""

IDENTITY_CAP = 5.5
INDICATOR_CAP = 2.0
MODEL_CAP = 2.0
"""Smooth caps (log-odds) of each component: the model, whose calibration holds only on
the labelled table's mix, can move the odds at most e^2 = 7.4 times either way."""

COVERAGE_FULL_DAYS = 30.0
COVERAGE_FULL_POSITIONS = 300.0
"""Days observed and positions at which the coverage weight reaches 1: a month of track,
the shortest span in which a voyage (ended by a 30-day silence,
:data:`vessel_risk.events.voyages.MAX_SILENCE_H`) and port calls can show, at 10
positions a day."""

MAX_SCORE = float(
    1.0 / (1.0 + np.exp(-(np.log(PRIOR / (1 - PRIOR)) + IDENTITY_CAP + INDICATOR_CAP + MODEL_CAP)))
)
"""The largest score the rule can give (0.9986): no vessel-year is ever certain."""

HIGH_SHARE = 0.05
MEDIUM_SHARE = 0.10
"""Tiers by inspection capacity: of the vessel-years with enough data in a table, the top
5 % by score are "high" and the next 10 % "medium", so high and medium together (15 %) stay
below the 20 % flagged share the evaluation measures recall at
(``vessel-risk evaluate --flagged-share``). A vessel-year whose evidence does not at least
double the prior odds (:data:`MIN_TIER_ODDS`) is never high or medium."""

MIN_TIER_ODDS = 2.0
"""Evidence a vessel-year needs to be high or medium: its score's odds at least twice the
prior's (a likelihood ratio of 2, "worth mentioning" on Jeffreys' scale of evidence), so
a table with no evidence against anyone, or a single row scored alone, flags nobody."""

SHARED_TRANSMITTER = ind.Indicator(
    "shared_transmitter",
    "max_simultaneous_transmitters",
    "deception (context)",
    low=1.0,
    high=3.0,
    weight=0.0,
    reason="{value:.0f} transmitters broadcast this MMSI at once (a shared or spoofed identity)",
    source=(
        "GFW's segmenter and identity analyses: one MMSI from several transmitters at once "
        "marks a shared or spoofed identity (vessel_risk.identity.transmitters). Ramp 1 to 3."
    ),
)
"""Identity indicator outside the baseline's noisy-OR (its weight is 0 there)."""

IDENTITY_INDICATORS = tuple(
    [i for i in ind.INDICATORS if i.name in IDENTITY_LLR] + [SHARED_TRANSMITTER]
)
ACTIVITY_INDICATORS = tuple(i for i in ind.INDICATORS if i.name in INDICATOR_LLR)


def logit(p: np.ndarray | pd.Series | float) -> np.ndarray:
    """Log-odds of ``p``, clipped to [1e-6, 1 - 1e-6] first."""
    q = np.clip(np.asarray(p, dtype="float64"), 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Inverse of :func:`logit`."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(x, dtype="float64"))))


def soft_cap(x: np.ndarray | pd.Series, cap: float) -> np.ndarray:
    """``cap * tanh(x / cap)``: close to ``x`` when small, never beyond ``±cap``."""
    return np.asarray(cap * np.tanh(np.asarray(x, dtype="float64") / cap))


def coverage_weight(features: pd.DataFrame) -> pd.Series:
    """How much of its AIS evidence a vessel-year's data can carry, in [0, 1].

    ``sqrt(min(1, days / COVERAGE_FULL_DAYS) * min(1, positions / COVERAGE_FULL_POSITIONS))``;
    without ``days_observed`` (GFW's labelled table) the positions' factor alone; unknown
    positions give 0. The squid run's median vessel-year (11 positions on 1 day) gets 0.03.

    Parameters
    ----------
    features : DataFrame of shape (n, k)

    Returns
    -------
    Series of float64, shape (n,)
    """
    msgs = ind.numeric(features, "position_messages")
    days = ind.numeric(features, "days_observed")
    fm = (msgs / COVERAGE_FULL_POSITIONS).clip(0.0, 1.0).fillna(0.0)
    fd = (days / COVERAGE_FULL_DAYS).clip(0.0, 1.0).fillna(fm)
    return pd.Series(np.sqrt((fd * fm).to_numpy(dtype="float64")), index=features.index)


@dataclass(frozen=True)
class Combined:
    """The combined score of a table of vessel-years and every piece of its evidence.

    Attributes
    ----------
    score : Series of shape (n,), in (0, :data:`MAX_SCORE`]
    identity, indicators, model : Series of shape (n,)
        Each component's capped log-odds (0 where it gives nothing).
    evidence : DataFrame of shape (n, m)
        Signed log-odds of each item before the caps and the coverage weight: identity
        indicators and activity indicators by name, and ``model``. NaN where the item
        could not be evaluated.
    coverage : Series of shape (n,)
        :func:`coverage_weight`.
    peer_percentile, peer_z : DataFrame of shape (n, len(PEER_FEATURES))
        :func:`vessel_risk.model.indicators.peer_stats`.
    peer_label : Series of shape (n,) of str
    model_probability : Series of shape (n,)
        The model's probability where it applies, NaN elsewhere.
    """

    score: pd.Series
    identity: pd.Series
    indicators: pd.Series
    model: pd.Series
    evidence: pd.DataFrame
    coverage: pd.Series
    peer_percentile: pd.DataFrame
    peer_z: pd.DataFrame
    peer_label: pd.Series
    model_probability: pd.Series


def combine(
    features: pd.DataFrame,
    model_probability: pd.Series | None = None,
    model_applies: pd.Series | None = None,
) -> Combined:
    """Combine identity, peer-relative indicator and model evidence into one score.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        Vessel-year features (a run's ``vessel_features.parquet`` or GFW's labelled
        table); columns an indicator reads that are absent count as unknown.
    model_probability : Series of shape (n,), optional
        The model's calibrated probability; None: no model (the indicator baseline).
    model_applies : Series of bool, shape (n,), optional
        Where the model's evidence counts (default: everywhere it gave a probability).

    Returns
    -------
    Combined
    """
    idx = features.index
    f = ind.feature_frame(features)
    w = coverage_weight(features)
    groups = ind.peer_groups(features)
    pct, rz = ind.peer_stats(features, groups)
    items: dict[str, pd.Series] = {}
    for i in IDENTITY_INDICATORS:
        values = ind.numeric(f, i.feature)
        items[i.name] = IDENTITY_LLR[i.name] * i.strength(values)
    for i in ACTIVITY_INDICATORS:
        strength = i.strength(ind.numeric(f, i.feature))
        rel = (2.0 * pct[i.feature] / 100.0 - 1.0).fillna(0.0) if i.feature in pct else 0.0
        items[i.name] = INDICATOR_LLR[i.name] * (strength + rel) / 2.0
    identity_raw = pd.concat([items[i.name] for i in IDENTITY_INDICATORS], axis=1).sum(
        axis=1, min_count=0
    )
    activity_raw = pd.concat([items[i.name] for i in ACTIVITY_INDICATORS], axis=1).sum(
        axis=1, min_count=0
    )
    identity = pd.Series(soft_cap(identity_raw, IDENTITY_CAP), index=idx)
    indicators = pd.Series(soft_cap(w * activity_raw, INDICATOR_CAP), index=idx)
    if model_probability is None:
        p = pd.Series(np.nan, index=idx, dtype="float64")
    else:
        p = model_probability.reindex(idx).astype("float64")
        if model_applies is not None:
            p = p.where(model_applies.reindex(idx).fillna(False).astype(bool))
    model_raw = pd.Series(logit(p) - logit(PRIOR), index=idx).where(p.notna())
    items["model"] = model_raw
    model = pd.Series(soft_cap((w * model_raw).fillna(0.0), MODEL_CAP), index=idx)
    total = logit(PRIOR) + identity.to_numpy() + indicators.to_numpy() + model.to_numpy()
    score = pd.Series(sigmoid(total), index=idx)
    return Combined(
        score=score,
        identity=identity,
        indicators=indicators,
        model=model,
        evidence=pd.DataFrame(items, index=idx),
        coverage=w,
        peer_percentile=pct,
        peer_z=rz,
        peer_label=groups["peer_label"],
        model_probability=p,
    )


def rank_order(score: pd.Series, tie_break: pd.Series | None, positions: pd.Series) -> np.ndarray:
    """Row positions from rank 1 (highest score) down: ties by ``tie_break`` (higher
    first), then by more positions."""
    tie = np.zeros(len(score)) if tie_break is None else tie_break.to_numpy(dtype="float64")
    tie = np.nan_to_num(tie, nan=-np.inf)
    pos = positions.fillna(0).to_numpy(dtype="float64")
    return np.lexsort((-pos, -tie, -score.to_numpy(dtype="float64")))


def tiers(score: pd.Series, features: pd.DataFrame) -> pd.Series:
    """Tiers by inspection capacity (:data:`HIGH_SHARE`, :data:`MEDIUM_SHARE`).

    Among the vessel-years with enough data (:func:`vessel_risk.model.indicators.thin_data`),
    the ``ceil(HIGH_SHARE * n)`` highest scores are "high" and the next
    ``ceil(MEDIUM_SHARE * n)`` "medium", as long as their evidence at least doubles the
    prior odds (:data:`MIN_TIER_ODDS`); the rest are "low". Equal scores share a tier
    (the capacity is stretched to the last tied score, never split by input order). Thin
    data is "insufficient data", whatever the score: too thin to call low risk.

    Parameters
    ----------
    score : Series of shape (n,)
        Scores in [0, 1].
    features : DataFrame of shape (n, k)

    Returns
    -------
    Series of str, shape (n,)
    """
    thin = ind.thin_data(features).to_numpy()
    out = pd.Series("low", index=score.index, dtype="object")
    values = score.to_numpy(dtype="float64")
    ok = ~thin
    n = int(ok.sum())
    raised = logit(values) - logit(PRIOR) >= np.log(MIN_TIER_ODDS) - 1e-12
    if n:
        ranked = np.sort(values[ok])[::-1]
        n_high = int(np.ceil(HIGH_SHARE * n))
        n_flagged = min(n, n_high + int(np.ceil(MEDIUM_SHARE * n)))
        # The score of the last vessel-year within capacity: every score equal to it is in.
        high_floor, flagged_floor = ranked[n_high - 1], ranked[n_flagged - 1]
        eligible = ok & raised
        out.iloc[np.flatnonzero(eligible & (values >= flagged_floor))] = "medium"
        out.iloc[np.flatnonzero(eligible & (values >= high_floor))] = "high"
    out.iloc[np.flatnonzero(thin)] = "insufficient data"
    return out


def score_percentile(score: pd.Series) -> pd.Series:
    """Share of the table's vessel-years scoring at or below each score, 0..100."""
    if len(score) == 0:
        return score.astype("float64")
    return (score.rank(method="max", pct=True) * 100.0).astype("float64")
