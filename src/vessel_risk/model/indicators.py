"""The transparent indicator score: the cold-start baseline any model must beat.

Each indicator reads one vessel-year feature, maps it to a strength in [0, 1] by a
linear ramp between two published or documented thresholds, and carries a weight.
Strengths combine as independent pieces of evidence (a noisy-OR):

    score = 1 - prod_i (1 - weight_i * strength_i)

so one indicator alone can raise the score up to its weight, several together
raise it further, and missing data never lowers it. The contribution of an
indicator, shown in alerts, is ``weight * strength``.

A score is evidence, never proof. Vessel-years with thin data get the tier
"insufficient data", whatever their score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vessel_risk.events.gaps import OFFSHORE_NM

BASELINE_VERSION = "indicator-baseline-2"


@dataclass(frozen=True)
class Indicator:
    """One AIS proxy for an ILO forced-labour indicator.

    Attributes
    ----------
    name : str
        Short identifier used in alerts.
    feature : str
        The vessel-year feature it reads.
    ilo_indicator : str
        The ILO indicator of forced labour it stands in for (ILO, *Indicators of
        Forced Labour*, 2012).
    low, high : float
        Strength is 0 at or below ``low`` and 1 at or above ``high`` (linear between).
    weight : float
        Largest contribution to the score, in (0, 1].
    reason : str
        One-line template; ``{value}`` is the feature value.
    source : str
        Where the threshold or the indicator's relevance comes from.
    """

    name: str
    feature: str
    ilo_indicator: str
    low: float
    high: float
    weight: float
    reason: str
    source: str

    def strength(self, values: pd.Series) -> pd.Series:
        """Strength in [0, 1] for each value; NaN stays NaN (not evaluable)."""
        v = values.astype("float64")
        s = (v - self.low) / (self.high - self.low)
        return s.clip(0.0, 1.0)


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "long_voyages",
        "max_voyage_duration_hours",
        "isolation; restriction of movement",
        low=90 * 24,
        high=365 * 24,
        weight=0.45,
        reason="longest time at sea between port visits: {value:.0f} h ({days:.0f} days)",
        source=(
            "McDonald et al. 2021 (PNAS): voyage length and few voyages separate known "
            "offenders; MLC 2006 Std A2.5.1: service at sea under 12 months before "
            "repatriation. Ramp from 90 to 365 days."
        ),
    ),
    Indicator(
        "far_from_port",
        "max_distance_from_port_km",
        "isolation",
        low=370.4,
        high=1852.0,
        weight=0.35,
        reason="worked up to {value:.0f} km from the nearest port",
        source=(
            "McDonald et al. 2021: maximum distance from port is the strongest single "
            "predictor. Ramp from 200 nm (370 km, the edge of an EEZ) to 1,000 nm."
        ),
    ),
    Indicator(
        "ais_disabling",
        "gaps_12_hours",
        "concealment (context)",
        low=0.0,
        high=5.0,
        weight=0.35,
        reason=(
            "{value:.0f} AIS gaps that look like AIS switched off (12 h or more, starting "
            f"{OFFSHORE_NM:.0f} nm or more from shore, with reception before)"
        ),
        source=(
            "GFW pipe-gaps and Welch et al. 2022 (Science Advances): likely intentional "
            "disabling is a gap of 12 h or more starting 50 nm or more from shore with "
            "adequate reception before it; coverage gaps are not counted. Ramp 0 to 5 a year."
        ),
    ),
    Indicator(
        "carrier_encounters",
        "number_carrier_encounters",
        "isolation via transshipment",
        low=0.0,
        high=3.0,
        weight=0.35,
        reason="{value:.0f} encounters at sea with carriers (possible transshipment)",
        source=(
            "GFW encounters (500 m, 2 h, median speed under 2 kn, 10 km from an anchorage); "
            "DOMAIN.md: transshipment to carriers lets a vessel stay at sea for months. "
            "Ramp 0 to 3 a year."
        ),
    ),
    Indicator(
        "long_fishing_days",
        "average_daily_fishing_hours",
        "excessive overtime",
        low=10.0,
        high=14.0,
        weight=0.35,
        reason="fished {value:.1f} h a day on average on days it fished",
        source=(
            "ILO C188 Art. 14: at least 10 h rest in any 24 h for vessels at sea more "
            "than 3 days, so more than 14 h of work a day breaches it; McDonald et al. "
            "2021: average daily fishing hours is a top predictor."
        ),
    ),
    Indicator(
        "invalid_mmsi",
        "mmsi_invalid",
        "deception; abuse of vulnerability (context)",
        low=0.0,
        high=1.0,
        weight=0.20,
        reason="broadcasts an MMSI that is not a valid ship identity (no flag state)",
        source="ITU-R M.585 MMSI structure; DOMAIN.md: invalid or shared MMSIs as context.",
    ),
    Indicator(
        "many_identities",
        "n_shipnames",
        "deception (context)",
        low=2.0,
        high=6.0,
        weight=0.25,
        reason="broadcast {value:.0f} different ship names this year",
        source=(
            "GFW identity analyses of the squid-jigger fleet: many names per MMSI mark "
            "shared or spoofed identities."
        ),
    ),
    Indicator(
        "renamed",
        "identity_renamings",
        "deception",
        low=0.0,
        high=3.0,
        weight=0.20,
        reason="renamed {value:.0f} times in {year}",
        source=(
            "ILO 2012: deception; GFW identity-change tables and the squid-jigger analyses "
            "(JAC_150_vessels 2023): renaming hides a vessel's record. New names of the "
            "vessel_id in the year (vessel_risk.identity.changes). Ramp 0 to 3 a year."
        ),
    ),
    Indicator(
        "reflagged",
        "identity_reflaggings",
        "deception; abuse of vulnerability (context)",
        low=0.0,
        high=2.0,
        weight=0.25,
        reason="flag changes in {year}: {value:.0f}",
        source=(
            "ILO 2012: deception; GFW reflagging tables; flag hopping moves a vessel away "
            "from the flag state that inspects it (TMT, EJF). Ramp 0 to 2 a year."
        ),
    ),
    Indicator(
        "new_mmsi",
        "identity_mmsi_changes",
        "deception (context)",
        low=0.0,
        high=2.0,
        weight=0.15,
        reason="new MMSIs in {year}: {value:.0f}",
        source=(
            "GFW identity-change tables: a vessel moving to a new MMSI; "
            "vessel_risk.identity.vessels links the MMSIs. Ramp 0 to 2 a year."
        ),
    ),
    Indicator(
        "iuu_listed",
        "iuu_listed",
        "context: illegal, unreported and unregulated fishing",
        low=0.0,
        high=1.0,
        weight=0.60,
        reason="matches the combined IUU vessel list: {match}",
        source="McDonald et al. 2021 used IUU listing as a predictor; RFMO IUU vessel lists.",
    ),
)

IDENTITY_EVENT_FEATURES = ("identity_renamings", "identity_reflaggings", "identity_mmsi_changes")
"""Vessel-year counts of :func:`vessel_risk.identity.changes.identity_events`; optional
in a feature table."""

MIN_DAYS_OBSERVED = 10
MIN_POSITIONS = 50
"""Below either, a vessel-year reads "insufficient data": too thin to call low risk."""

TIERS = ((0.6, "high"), (0.3, "medium"), (0.0, "low"))
"""Score cut-offs of the tiers, as Paris MoU-style risk profiles: high, medium, low."""
TIER_LEVEL = {"high": 3, "medium": 2, "low": 1, "insufficient data": 0}
"""Order of the tiers, strongest first; "insufficient data" never outranks a real tier."""


def feature_frame(features: pd.DataFrame) -> pd.DataFrame:
    """``features`` with the derived columns indicators read (``mmsi_invalid`` as
    0/1, ``iuu_listed`` as 0/1); identity events (:data:`IDENTITY_EVENT_FEATURES`) a
    table lacks read as NaN (not evaluable)."""
    f = features.copy()
    for col in IDENTITY_EVENT_FEATURES:
        if col not in f.columns:
            f[col] = np.nan  # not computed for this table: not evaluable, never lowers a score
    f["mmsi_invalid"] = (~f["mmsi_valid"].astype(bool)).astype(float)
    f["iuu_listed"] = f["iuu_listed"].astype(float)
    return f


def contributions(features: pd.DataFrame) -> pd.DataFrame:
    """Contribution ``weight * strength`` of every indicator for every vessel-year.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        Vessel-year features (:class:`~vessel_risk.features.schemas.VesselFeatureSchema`).

    Returns
    -------
    DataFrame of shape (n, len(INDICATORS)), columns named by indicator, NaN where
    the feature is missing.
    """
    f = feature_frame(features)
    return pd.DataFrame(
        {ind.name: ind.weight * ind.strength(f[ind.feature]) for ind in INDICATORS},
        index=features.index,
    )


def indicator_score(features: pd.DataFrame) -> pd.Series:
    """The baseline risk score in [0, 1] of each vessel-year.

    Parameters
    ----------
    features : DataFrame of shape (n, k)

    Returns
    -------
    Series of shape (n,)
    """
    c = contributions(features).fillna(0.0)
    return pd.Series(1.0 - np.prod(1.0 - c.to_numpy(), axis=1), index=features.index)


def tier(score: pd.Series, features: pd.DataFrame) -> pd.Series:
    """Risk tier: "high", "medium", "low", or "insufficient data" for thin data.

    Parameters
    ----------
    score : Series of shape (n,)
    features : DataFrame of shape (n, k) with ``days_observed`` and ``position_messages``.

    Returns
    -------
    Series of shape (n,) of str
    """
    out = pd.Series("low", index=score.index, dtype="object")
    for cut, name in reversed(TIERS):
        out[score.to_numpy() >= cut] = name
    thin = (features["days_observed"] < MIN_DAYS_OBSERVED) | (
        features["position_messages"] < MIN_POSITIONS
    )
    out[thin.to_numpy()] = "insufficient data"
    return out


FISHING_FEATURES = frozenset(
    {"fishing_hours", "fishing_hours_high_seas", "average_daily_fishing_hours"}
)
FISHING_SOURCE_NOTES = {
    "classifier": "fishing hours estimated by classifier, not GFW's fishing score",
    "heuristic": "fishing hours estimated from speed alone (heuristic), a rough guess",
}
"""How a reason that reads fishing hours names an estimate, so an alert never implies
more certainty than its source (``fishing_source``, docs/features.md)."""


def fishing_note(feature: str, row: Mapping[str, Any]) -> str:
    """`` (fishing hours estimated by ...)`` for a fishing feature that was estimated.

    Parameters
    ----------
    feature : str
        The feature a reason reads.
    row : mapping
        The vessel-year's features, with ``fishing_source``.

    Returns
    -------
    str
        Empty for other features and for GFW's own ``nnet_score``.
    """
    if feature not in FISHING_FEATURES:
        return ""
    note = FISHING_SOURCE_NOTES.get(str(row.get("fishing_source")))
    return f" ({note})" if note else ""


def describe(ind: Indicator, row: Mapping[str, Any]) -> str:
    """The one-line reason of ``ind`` for one vessel-year ``row`` of features."""
    value = row.get(ind.feature)
    if ind.name == "iuu_listed":
        return ind.reason.format(match=row.get("iuu_match"))
    v = float(value) if value is not None and not pd.isna(value) else float("nan")
    year = row.get("year", "the year")
    text = ind.reason.format(value=v, days=v / 24.0, year=year)
    return text + fishing_note(ind.feature, row)
