"""The transparent indicator score: the cold-start baseline any model must beat.

Each indicator reads one vessel-year feature, maps it to a strength in [0, 1] by a
linear ramp between two published or documented thresholds, and carries a weight.
Strengths combine as independent pieces of evidence (a noisy-OR):

    score = 1 - prod_i (1 - weight_i * strength_i)

so one indicator alone can raise the score up to its weight, several together
raise it further, and missing data never lowers it. The contribution of an
indicator, shown in alerts, is ``weight * strength``.

This noisy-OR is the score of :class:`vessel_risk.model.baseline.IndicatorBaseline`, the
estimator the evaluation compares models with. Alerts are scored by the combination rule
(:mod:`vessel_risk.model.combine`), which reads the same indicators, their ramps and their
reasons, compares activity with peers (:func:`peer_groups`, :func:`peer_stats`) and adds
identity and model evidence in log-odds.

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
    0/1, ``iuu_listed`` as 0/1); a column an indicator reads that the table lacks
    (identity events, ``mmsi_valid`` and ``iuu_listed`` in GFW's labelled table) reads
    as NaN: not evaluable, never evidence either way."""
    f = features.copy()
    for i in INDICATORS:
        if i.feature not in f.columns and i.feature not in ("mmsi_invalid", "iuu_listed"):
            f[i.feature] = np.nan  # not computed for this table: not evaluable
    if "mmsi_valid" in f.columns:
        valid = f["mmsi_valid"].astype("boolean")
        f["mmsi_invalid"] = (~valid).astype("Float64").astype("float64")
    else:
        f["mmsi_invalid"] = np.nan
    if "iuu_listed" in f.columns:
        f["iuu_listed"] = f["iuu_listed"].astype("boolean").astype("Float64").astype("float64")
    else:
        f["iuu_listed"] = np.nan
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
    out[thin_data(features).to_numpy()] = "insufficient data"
    return out


def thin_data(features: pd.DataFrame) -> pd.Series:
    """Whether each vessel-year has too little data to call it low risk.

    Fewer than :data:`MIN_POSITIONS` positions or :data:`MIN_DAYS_OBSERVED` days
    observed; a table without ``days_observed`` (GFW's labelled table) is judged on its
    positions, and an unknown count of positions is thin.

    Parameters
    ----------
    features : DataFrame of shape (n, k) with ``position_messages`` (and ``days_observed``)

    Returns
    -------
    Series of bool, shape (n,)
    """
    msgs = numeric(features, "position_messages")
    days = numeric(features, "days_observed")
    thin = msgs.isna() | (msgs < MIN_POSITIONS) | (days < MIN_DAYS_OBSERVED)
    return thin.astype(bool)


def numeric(features: pd.DataFrame, column: str) -> pd.Series:
    """``features[column]`` as float64, all NaN when the table lacks it."""
    if column not in features.columns:
        return pd.Series(np.nan, index=features.index, dtype="float64")
    return pd.to_numeric(features[column], errors="coerce").astype("float64")


# --- Peer-relative values ---------------------------------------------------------------

MIN_PEERS = 20
"""Fewest reference vessel-years a peer group needs; smaller groups fall back to a wider
one (:func:`peer_groups`). 20 keeps a percentile's step at 5 points or finer."""

PEER_FEATURES = (
    "max_voyage_duration_hours",
    "max_distance_from_port_km",
    "gaps_12_hours",
    "number_carrier_encounters",
    "average_daily_fishing_hours",
)
"""Activity features compared with peers (the indicators whose level depends on the
fleet: a squid jigger's normal voyage is a coastal trawler's extreme)."""

PEER_NOUNS = {
    "squid_jigger": "squid jiggers",
    "trawlers": "trawlers",
    "drifting_longlines": "drifting longliners",
    "set_longlines": "set longliners",
    "purse_seines": "purse seiners",
    "tuna_purse_seines": "tuna purse seiners",
    "pole_and_line": "pole-and-line vessels",
    "fishing": "fishing vessels",
    "carrier": "carriers",
    "fishing_support": "fishing-support vessels",
    "other": "other vessels",
    "unknown": "vessels of unknown class",
}
"""How a reason names a peer group (GFW's gear names; vessel classes)."""


def peer_groups(features: pd.DataFrame, *, min_peers: int = MIN_PEERS) -> pd.DataFrame:
    """The peer group of each vessel-year, widened until it has ``min_peers`` references.

    Peers are, in order of preference: the same gear where known (GFW's ``gear``), else
    the same ``vessel_class``; the same ``region`` when the table has one; the same
    ``year``. A group with fewer than ``min_peers`` reference rows (vessel-years with
    enough data, :func:`thin_data`) drops the region, then the gear or class, then the
    year, ending with every vessel-year of the table ("this run").

    Parameters
    ----------
    features : DataFrame of shape (n, k)
    min_peers : int, default :data:`MIN_PEERS`

    Returns
    -------
    DataFrame of shape (n, 2): ``peer_key`` (str, equal for peers) and ``peer_label``
    (str, how a reason names them: "squid jiggers in 2021", "vessel-years in this run").
    """
    n = len(features)
    kind = pd.Series(pd.NA, index=features.index, dtype="string")
    for col in ("vessel_class", "gear"):  # gear wins where known
        if col in features.columns:
            kind = (
                features[col]
                .astype("string")
                .where(features[col].notna() & (features[col].astype("string") != ""), kind)
            )
    year = (
        features["year"].astype("string")
        if "year" in features.columns
        else pd.Series(pd.NA, index=features.index, dtype="string")
    )
    region = (
        features["region"].astype("string")
        if "region" in features.columns
        else pd.Series(pd.NA, index=features.index, dtype="string")
    )
    reference = ~thin_data(features)
    if reference.sum() < min_peers:
        reference = pd.Series(True, index=features.index)
    levels = [(kind, region, year), (kind, None, year), (None, None, year), (None, None, None)]
    key = pd.Series("run", index=features.index, dtype="object")
    label = pd.Series("vessel-years in this run", index=features.index, dtype="object")
    done = np.zeros(n, dtype=bool)
    for k, r, y in levels:
        parts = [p for p in (k, r, y) if p is not None]
        if not parts:
            break
        if any(p.isna().all() for p in parts):
            continue
        level_key = parts[0].fillna("?")
        for p in parts[1:]:
            level_key = level_key + "|" + p.fillna("?")
        usable = ~pd.concat([p.isna() for p in parts], axis=1).any(axis=1).to_numpy()
        counts = level_key[reference.to_numpy()].value_counts()
        size = level_key.map(counts).fillna(0).to_numpy()
        take = ~done & usable & (size >= min_peers)
        key[take] = level_key[take].astype(str)
        noun = (
            k.map(lambda v: PEER_NOUNS.get(str(v), f"{v} vessels")).astype("string")
            if k is not None
            else pd.Series("vessel-years", index=features.index, dtype="string")
        )
        text = noun.fillna("vessels")
        if r is not None:
            text = text + " in " + r.fillna("?")
        if y is not None:
            text = text + (" in " if k is not None else " of ") + y.fillna("?")
        label[take] = text[take].astype(str)
        done |= take
    return pd.DataFrame({"peer_key": key, "peer_label": label}, index=features.index)


def peer_stats(
    features: pd.DataFrame, groups: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Percentile and robust z-score of each :data:`PEER_FEATURES` value within its peers.

    The percentile is the mid-rank share of the peer group's reference vessel-years (those
    with enough data, :func:`thin_data`, when the group has :data:`MIN_PEERS` of them,
    else all its rows with a value) below the value: 0..100, ties counted half. The
    robust z-score is ``(x - median) / (1.4826 * MAD)`` of the same references (NaN when
    the MAD is 0). Unknown values (NaN) stay NaN: they are never compared.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
    groups : DataFrame of shape (n, 2), optional
        From :func:`peer_groups` (computed when absent).

    Returns
    -------
    percentile, robust_z : DataFrame of shape (n, len(PEER_FEATURES)), float64
    """
    groups = peer_groups(features) if groups is None else groups
    reference = ~thin_data(features).to_numpy()
    pct = pd.DataFrame(np.nan, index=features.index, columns=list(PEER_FEATURES))
    rz = pct.copy()
    keys = groups["peer_key"].to_numpy()
    for name in PEER_FEATURES:
        values = numeric(features, name).to_numpy()
        out_p = np.full(len(values), np.nan)
        out_z = np.full(len(values), np.nan)
        for key in pd.unique(keys):
            rows = np.flatnonzero(keys == key)
            v = values[rows]
            known = ~np.isnan(v)
            ref = v[known & reference[rows]]
            if len(ref) < MIN_PEERS:
                ref = v[known]
            if len(ref) < 2:
                continue
            ref = np.sort(ref)
            below = np.searchsorted(ref, v, side="left")
            upto = np.searchsorted(ref, v, side="right")
            p = 100.0 * (below + 0.5 * (upto - below)) / len(ref)
            out_p[rows] = np.where(known, p, np.nan)
            med = float(np.median(ref))
            mad = 1.4826 * float(np.median(np.abs(ref - med)))
            if mad > 0:
                out_z[rows] = np.where(known, (v - med) / mad, np.nan)
        pct[name] = out_p
        rz[name] = out_z
    return pct, rz


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
