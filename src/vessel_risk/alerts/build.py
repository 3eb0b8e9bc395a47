"""Alerts: one per vessel-year, ranked by score, each saying why and on how much data.

An alert is a risk to check, not a finding. It names the indicators behind the
score (with their values, a one-line reason and the ILO indicator each stands in
for), the data it rests on, and the last known position. Crew are never named:
alerts hold vessel data only.

The events behind alerts (port visits, AIS gaps, encounters, loitering) as one table,
:func:`~vessel_risk.alerts.evidence.evidence_events`, are in :mod:`vessel_risk.alerts.evidence`.
Exports (CSV, GeoJSON) are in :mod:`vessel_risk.alerts.export`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from vessel_risk.alerts.display import flag_label, vessel_label
from vessel_risk.alerts.reasons import comparison as _comparison
from vessel_risk.alerts.reasons import describe as _describe
from vessel_risk.features.catalogue import feature_meaning
from vessel_risk.model import indicators as ind
from vessel_risk.model.combine import IDENTITY_INDICATORS, SHARED_TRANSMITTER

TOP_INDICATORS = 3
"""Strongest activity indicators an alert names (identity facts and the model always)."""
IDENTITY_NAMES = frozenset(i.name for i in IDENTITY_INDICATORS)
EXTRA_INDICATORS = (SHARED_TRANSMITTER,)


CAVEAT = (
    "A risk score is evidence to check, never proof of forced labour. The crew are "
    "presumed victims, never suspects."
)


class IndicatorEvidence(BaseModel):
    """One piece of evidence behind an alert: an identity fact, an indicator, or the model.

    ``contribution`` is its share of the alert's evidence, in [0, 1]; ``direction`` says
    whether it raises or lowers the score; ``peer_percentile`` (0..100) places the value
    among the vessel-year's peers where it was compared with them.
    """

    name: str
    feature: str
    value: float | str | None
    contribution: float = Field(ge=0, le=1)
    reason: str
    ilo_indicator: str
    source: str
    direction: Literal["raises", "lowers"] = "raises"
    peer_percentile: float | None = Field(default=None, ge=0, le=100)


VesselClass = Literal["fishing", "carrier", "fishing_support", "other", "unknown"]


class Alert(BaseModel):
    """A ranked vessel-year alert of one transmitter track.

    ``track_id`` is the transmitter track within the MMSI (0 = the first seen);
    ``vessel_id`` the vessel identity (GFW's term) across MMSIs, IMO numbers, call signs
    and names; ``flag_iso3`` the declared flag (from a valid MID) and ``flag_inferred_*``
    the flag inferred without the MID, its source (or, when none, why) and confidence
    in 0..1. Routing by an inferred flag needs a person's confirmation
    (:mod:`vessel_risk.referral.routing`). ``source`` is ``model``: what a run scores
    (tips from the mechanism's other entry points join the queue in the database,
    :mod:`vessel_risk.referral.tips`), written to every export so that a queue item's
    source shows wherever it goes.
    """

    rank: int = Field(ge=1)
    mmsi: str = Field(min_length=9, max_length=9)
    track_id: int = Field(default=0, ge=0)
    year: int
    vessel_id: str | None = Field(default=None, max_length=32)
    vessel_class: VesselClass | None = None
    shipname: str | None
    flag_iso3: str | None
    flag_inferred_iso3: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    flag_inferred_source: str | None = None
    flag_inferred_confidence: float | None = Field(default=None, ge=0, le=1)
    mmsi_valid: bool
    iuu_listed: bool
    score: float = Field(ge=0, le=1)
    tier: str
    model_version: str
    model_applies: bool | None = None
    model_domain_reason: str | None = None
    score_percentile: float | None = Field(default=None, ge=0, le=100)
    score_low: float | None = Field(default=None, ge=0, le=1)
    score_high: float | None = Field(default=None, ge=0, le=1)
    observed_share: float | None = Field(default=None, ge=0, le=1)
    position_messages: int
    days_observed: int
    first_seen: datetime
    last_seen: datetime
    last_lat: float | None
    last_lon: float | None
    data_note: str
    indicators: list[IndicatorEvidence]
    caveat: str = CAVEAT
    source: Literal["model"] = "model"

    @property
    def vessel_label(self) -> str:
        """The MMSI, with the track when it is not track 0 (``150400453 track 1``)."""
        return vessel_label(self.mmsi, self.track_id)

    @property
    def flag_label(self) -> str:
        """Declared flag, inferred flag (source, confidence) or ``flag unknown: <why>``."""
        return flag_label(
            self.flag_iso3,
            self.flag_inferred_iso3,
            self.flag_inferred_source,
            self.flag_inferred_confidence,
        )


ALERT_SCORE_FIELDS = (
    "model_applies",
    "model_domain_reason",
    "score_percentile",
    "score_low",
    "score_high",
    "observed_share",
)
"""Alert fields of issue 14 that the ``alerts`` table, ``alerts.csv``, the GeoJSON and
the API carry as they are."""


IDENTITY_COLUMNS = (
    "track_id",
    "vessel_id",
    "vessel_class",
    "flag_inferred_iso3",
    "flag_inferred_source",
    "flag_inferred_confidence",
)
"""Columns of the vessel-year features an alert copies when present (issue 16)."""


def _identity(row: Mapping[str, Any]) -> dict[str, Any]:
    """The track, identity, class and inferred flag of a features row (absent: defaults)."""
    out: dict[str, Any] = {}
    for col in IDENTITY_COLUMNS:
        value = _clean(row.get(col))
        if value is None:
            continue
        if col == "track_id":
            out[col] = int(value)  # type: ignore[call-overload]
        elif col == "flag_inferred_confidence":
            out[col] = float(value)  # type: ignore[arg-type]
        else:
            out[col] = str(value)
    return out


def _clean(v: object) -> object:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return None
    return v


@dataclass(frozen=True)
class ScoreContext:
    """What the combination rule (:mod:`vessel_risk.model.combine`) adds to alerts.

    Attributes
    ----------
    tiers : Series of str, shape (n,)
    peer_percentile : DataFrame of shape (n, p)
        Percentile (0..100) of each peer-compared feature among the row's peers.
    peer_label : Series of str, shape (n,)
        How reasons name the peers ("fishing vessels in 2021").
    model_reason : Series of str, shape (n,)
        The model's sentence: its evidence, or why it does not apply.
    columns : DataFrame of shape (n, 5)
        ``model_applies``, ``model_domain_reason``, ``score_percentile``, ``score_low``,
        ``score_high``.
    """

    tiers: pd.Series
    peer_percentile: pd.DataFrame
    peer_label: pd.Series
    model_reason: pd.Series
    columns: pd.DataFrame


def _indicator_evidence(
    i: ind.Indicator,
    row: Mapping[str, Any],
    contribution: float,
    *,
    direction: str = "raises",
    pct: float | None = None,
    peers: str = "",
    log_odds: float | None = None,
) -> IndicatorEvidence:
    """Evidence for one identity or activity indicator."""
    reason = _describe(i, row) + _comparison(i.feature, pct, peers)
    if log_odds is not None:
        reason += f" ({direction} the score: odds x{np.exp(log_odds):.2g})"
    return IndicatorEvidence(
        name=i.name,
        feature=i.feature,
        value=_clean(row.get(i.feature)),  # type: ignore[arg-type]
        contribution=round(min(max(float(contribution), 0.0), 1.0), 4),
        reason=reason,
        ilo_indicator=i.ilo_indicator,
        source=i.source,
        direction=direction,  # type: ignore[arg-type]
        peer_percentile=None if pct is None else round(float(pct), 1),
    )


def _feature_evidence(feature: str, row: Mapping[str, Any], share: float) -> IndicatorEvidence:
    """Evidence for one model feature: its value, share of the evidence, ILO indicator."""
    meaning = feature_meaning(feature)
    raw = _clean(row.get(feature))
    value = float(raw) if isinstance(raw, (int, float, bool, np.number, np.bool_)) else None
    reason = meaning.reason.format(value=value) if value is not None else f"{feature} unknown"
    reason += ind.fishing_note(feature, row)
    return IndicatorEvidence(
        name=feature,
        feature=feature,
        value=value,
        contribution=round(min(max(share, 0.0), 1.0), 4),
        reason=f"{reason} ({share:.0%} of the evidence raising the score)",
        ilo_indicator=meaning.ilo_indicator,
        source=meaning.source,
    )


MODEL_SOURCE = (
    "The registered model's calibrated probability as log-odds against the prior "
    "(vessel_risk.model.combine, docs/model.md)"
)


@dataclass(frozen=True)
class _RowContext:
    """One row's part of a :class:`ScoreContext`, taken out of its frames once for all
    rows (a frame's ``.iloc`` per row was most of the cost of explaining 10,000 alerts)."""

    peer_percentile: Mapping[Any, Any]
    peer_label: str
    model_reason: str


def _row_contexts(context: ScoreContext) -> list[_RowContext]:
    """:class:`_RowContext` of each row of ``context``, in its order."""
    return [
        _RowContext(pct, str(label), str(reason))
        for pct, label, reason in zip(
            context.peer_percentile.to_dict("records"),
            context.peer_label.tolist(),
            context.model_reason.tolist(),
            strict=True,
        )
    ]


def _combined_evidence(
    row: Mapping[str, Any],
    values: np.ndarray,
    names: list[str],
    context: _RowContext,
    by_name: Mapping[str, ind.Indicator],
) -> list[IndicatorEvidence]:
    """Identity facts, the model's sentence and the strongest indicators of one row."""
    v = np.nan_to_num(values, nan=0.0)
    total = float(np.abs(v).sum()) or 1.0
    pct_row = context.peer_percentile
    peers = context.peer_label
    identity = sorted(
        (
            (x + (100.0 if n == "iuu_listed" else 0.0), x, n)
            for x, n in zip(v, names, strict=True)
            if n in IDENTITY_NAMES and x > 0
        ),
        reverse=True,
    )
    activity = sorted(
        (
            (abs(x), x, n)
            for x, n in zip(v, names, strict=True)
            if n not in IDENTITY_NAMES and n != "model" and x != 0
        ),
        reverse=True,
    )[:TOP_INDICATORS]
    facts = [_indicator_evidence(by_name[n], row, x / total, log_odds=x) for _, x, n in identity]
    m = float(v[names.index("model")]) if "model" in names else 0.0
    model = IndicatorEvidence(
        name="model",
        feature="model",
        value=None,
        contribution=round(min(abs(m) / total, 1.0), 4),
        reason=context.model_reason,
        ilo_indicator="all indicators the model was trained on",
        source=MODEL_SOURCE,
        direction="lowers" if m < 0 else "raises",
    )
    indicators = []
    for _, x, n in activity:
        i = by_name[n]
        pct = pct_row.get(i.feature)
        pct = None if pct is None or pd.isna(pct) else float(pct)
        indicators.append(
            _indicator_evidence(
                i,
                row,
                abs(x) / total,
                direction="raises" if x > 0 else "lowers",
                pct=pct,
                peers=peers,
                log_odds=x,
            )
        )
    # Each component within the first three (exports show three): the strongest identity
    # fact (the IUU listing first), the model, the strongest indicator; then the rest.
    out = [*facts[:1], model, *indicators[:1], *facts[1:], *indicators[1:]]
    return out


def explain(
    features: pd.DataFrame, contrib: pd.DataFrame, context: ScoreContext
) -> list[list[IndicatorEvidence]]:
    """The evidence of each row, in the rows' order, as :func:`build_alerts` gives it.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
    contrib : DataFrame of shape (n, m)
        Signed log-odds of each piece of evidence (see :func:`build_alerts`).
    context : ScoreContext

    Returns
    -------
    list of length n of lists of IndicatorEvidence
    """
    records = ind.feature_frame(features).to_dict("records")
    values = contrib.to_numpy(dtype="float64")
    names = list(contrib.columns)
    by_name = {i.name: i for i in (*ind.INDICATORS, *EXTRA_INDICATORS)}
    rows = _row_contexts(context)
    return [
        _combined_evidence(row, values[k], names, rows[k], by_name)  # type: ignore[arg-type]
        for k, row in enumerate(records)
    ]


def build_alerts(
    features: pd.DataFrame,
    scores: pd.Series,
    contrib: pd.DataFrame,
    *,
    model_version: str,
    tie_break: pd.Series | None = None,
    context: ScoreContext | None = None,
) -> list[Alert]:
    """Rank vessel-years by score and explain each.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        Vessel-year features, one row per (``mmsi``, ``track_id``, ``year``); the
        columns of :data:`IDENTITY_COLUMNS` (``track_id``, ``vessel_id``,
        ``vessel_class``, ``flag_inferred_iso3``, ``flag_inferred_source``,
        ``flag_inferred_confidence``) are copied to each alert where present (a frame
        without ``track_id`` is track 0); ``longest_voyage_from``/``_to``
        (:func:`longest_voyage_ends`) say what bounds the longest voyage.
    scores : Series of shape (n,)
        Score in [0, 1] of each row of ``features``.
    contrib : DataFrame of shape (n, m)
        With ``context``: signed log-odds of each piece of evidence
        (:attr:`vessel_risk.model.combine.Combined.evidence`, weighted by coverage),
        named as the indicators (and ``model``). Without it: contribution in [0, 1] of
        each indicator (:data:`vessel_risk.model.indicators.INDICATORS`) or each model
        feature's share of the evidence raising the score
        (:func:`vessel_risk.model.evidence_shares`), explained through
        :data:`vessel_risk.model.FEATURE_MEANINGS`.
    model_version : str
    tie_break : Series of shape (n,), optional
        Orders rows with equal scores (higher first) before the amount of data.
    context : ScoreContext, optional
        Tiers, peers and the model's sentence from the combination rule; without it the
        tiers are the indicator baseline's fixed cut-offs.

    Returns
    -------
    list of Alert, ordered by rank (score descending; ties by ``tie_break``, then more
    data first). With ``context`` every alert's evidence holds each identity fact that
    raises its score (the IUU listing first), the model's sentence (its evidence, or why
    it does not apply) and the strongest indicators, each saying whether it raises or
    lowers the score and how the value compares with the peers.
    """
    tiers = (ind.tier(scores, features) if context is None else context.tiers).to_numpy()
    score = scores.to_numpy(dtype="float64")
    tie = (
        np.zeros(len(score))
        if tie_break is None
        else tie_break.reindex(scores.index).to_numpy(dtype="float64")
    )
    positions = ind.numeric(features, "position_messages").fillna(0).to_numpy()
    order = np.lexsort((-positions, -np.nan_to_num(tie, nan=-np.inf), -score))
    records = ind.feature_frame(features).to_dict("records")
    contrib_values = contrib.to_numpy(dtype="float64")
    names = list(contrib.columns)
    by_name = {i.name: i for i in (*ind.INDICATORS, *EXTRA_INDICATORS)}
    extra = context.columns.to_dict("records") if context is not None else [{}] * len(records)
    row_contexts = _row_contexts(context) if context is not None else []
    alerts = []
    for rank, k in enumerate(order, start=1):
        row = records[k]
        if context is not None:
            evidence = _combined_evidence(row, contrib_values[k], names, row_contexts[k], by_name)
        else:
            top = sorted(
                ((v, name) for v, name in zip(contrib_values[k], names, strict=True) if v > 0),
                reverse=True,
            )[:TOP_INDICATORS]
            evidence = [
                _indicator_evidence(by_name[name], row, v)
                if name in by_name
                else _feature_evidence(name, row, v)
                for v, name in top
            ]
        days_raw = _clean(row.get("days_observed"))
        days = int(days_raw) if days_raw is not None else 0  # type: ignore[call-overload]
        n = int(row["position_messages"])
        note = f"{n} positions on {days} days"
        if tiers[k] == "insufficient data":
            note += (
                f": insufficient data (needs {ind.MIN_POSITIONS} positions on "
                f"{ind.MIN_DAYS_OBSERVED} days); not a low-risk finding"
            )
        more: dict[str, Any] = {str(c): _clean(x) for c, x in extra[k].items()}
        share = _clean(row.get("observed_share"))
        alerts.append(
            Alert(
                rank=rank,
                mmsi=str(row["mmsi"]),
                year=int(row["year"]),
                **_identity(row),
                shipname=_clean(row["shipname"]),  # type: ignore[arg-type]
                flag_iso3=_clean(row["flag_iso3"]),  # type: ignore[arg-type]
                mmsi_valid=bool(row["mmsi_valid"]),
                iuu_listed=bool(row["iuu_listed"]),
                score=round(float(score[k]), 4),
                tier=str(tiers[k]),
                model_version=model_version,
                position_messages=n,
                days_observed=days,
                first_seen=row["first_timestamp"].to_pydatetime(),
                last_seen=row["last_timestamp"].to_pydatetime(),
                last_lat=_clean(row["last_lat"]),  # type: ignore[arg-type]
                last_lon=_clean(row["last_lon"]),  # type: ignore[arg-type]
                data_note=note,
                indicators=evidence,
                observed_share=None if share is None else float(share),  # type: ignore[arg-type]
                **more,
            )
        )
    return alerts
