"""Alerts: one per vessel-year, ranked by score, each saying why and on how much data.

An alert is a risk to check, not a finding. It names the indicators behind the
score (with their values, a one-line reason and the ILO indicator each stands in
for), the data it rests on, and the last known position. Crew are never named:
alerts hold vessel data only.

Also :func:`evidence_events`: the events behind alerts (port visits, AIS gaps,
encounters, loitering) as one table. Exports (CSV, GeoJSON) are in
:mod:`vessel_risk.alerts.export`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from vessel_risk.alerts.display import flag_label, vessel_label
from vessel_risk.features.catalogue import feature_meaning
from vessel_risk.model import indicators as ind

TOP_INDICATORS = 3


CAVEAT = (
    "A risk score is evidence to check, never proof of forced labour. The crew are "
    "presumed victims, never suspects."
)


class IndicatorEvidence(BaseModel):
    """One indicator behind an alert."""

    name: str
    feature: str
    value: float | str | None
    contribution: float = Field(ge=0, le=1)
    reason: str
    ilo_indicator: str
    source: str


VesselClass = Literal["fishing", "carrier", "fishing_support", "other", "unknown"]


class Alert(BaseModel):
    """A ranked vessel-year alert of one transmitter track.

    ``track_id`` is the transmitter track within the MMSI (0 = the first seen);
    ``vessel_id`` the vessel identity (GFW's term) across MMSIs, IMO numbers, call signs
    and names; ``flag_iso3`` the declared flag (from a valid MID) and ``flag_inferred_*``
    the flag inferred without the MID, its source (or, when none, why) and confidence
    in 0..1. Routing by an inferred flag needs a person's confirmation
    (:mod:`vessel_risk.referral.routing`).

    ``observed_share`` is the share (0..1) of the year's days inside the data window on
    which the vessel was heard; ``model_applies`` whether the model's training domain
    covers the vessel-year (None: unknown, e.g. the indicator baseline scored it) and
    ``model_domain_reason`` why not; ``score_percentile`` the score's percentile within
    the run (0-100); ``score_low``/``score_high`` its spread across bags where a model
    applies (issue 14).
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
    position_messages: int
    days_observed: int
    observed_share: float | None = Field(default=None, ge=0, le=1)
    model_applies: bool | None = None
    model_domain_reason: str | None = None
    score_percentile: float | None = None
    score_low: float | None = None
    score_high: float | None = None
    first_seen: datetime
    last_seen: datetime
    last_lat: float | None
    last_lon: float | None
    data_note: str
    indicators: list[IndicatorEvidence]
    caveat: str = CAVEAT

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


def _share(v: object) -> float | None:
    """A share in [0, 1] rounded to 4 places, None when unknown."""
    v = _clean(v)
    return None if v is None else round(float(v), 4)  # type: ignore[arg-type]


def _indicator_evidence(
    i: ind.Indicator, row: Mapping[str, Any], contribution: float
) -> IndicatorEvidence:
    """Evidence for one indicator of the baseline score."""
    return IndicatorEvidence(
        name=i.name,
        feature=i.feature,
        value=_clean(row.get(i.feature)),  # type: ignore[arg-type]
        contribution=round(float(contribution), 4),
        reason=ind.describe(i, row),
        ilo_indicator=i.ilo_indicator,
        source=i.source,
    )


def _feature_evidence(feature: str, row: Mapping[str, Any], share: float) -> IndicatorEvidence:
    """Evidence for one model feature: its value, share of the evidence, ILO indicator."""
    meaning = feature_meaning(feature)
    raw = _clean(row.get(feature))
    value = float(raw) if isinstance(raw, (int, float, bool, np.number, np.bool_)) else None
    reason = meaning.reason.format(value=value) if value is not None else f"{feature} missing"
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


def build_alerts(
    features: pd.DataFrame,
    scores: pd.Series,
    contrib: pd.DataFrame,
    *,
    model_version: str,
    tie_break: pd.Series | None = None,
) -> list[Alert]:
    """Rank vessel-years by score and explain each.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        Vessel-year features, one row per (``mmsi``, ``track_id``, ``year``); the
        columns of :data:`IDENTITY_COLUMNS` (``track_id``, ``vessel_id``,
        ``vessel_class``, ``flag_inferred_iso3``, ``flag_inferred_source``,
        ``flag_inferred_confidence``) are copied to each alert where present (a frame
        without ``track_id`` is track 0).
    scores : Series of shape (n,)
        Score in [0, 1] of each row of ``features``.
    contrib : DataFrame of shape (n, m)
        Contribution in [0, 1] of each indicator (columns named as in
        :data:`vessel_risk.model.indicators.INDICATORS`) or, for a trained model, each
        model feature's share of the evidence raising the score
        (:func:`vessel_risk.model.evidence_shares`), explained through
        :data:`vessel_risk.model.FEATURE_MEANINGS`.
    model_version : str
    tie_break : Series of shape (n,), optional
        Orders rows with equal scores (higher first) before the amount of data: a
        model's uncalibrated ranking score, since calibrated probabilities can tie at 1.

    Returns
    -------
    list of Alert, ordered by rank (score descending; ties by ``tie_break``, then more
    data first).
    """
    tiers = ind.tier(scores, features).to_numpy()
    score = scores.to_numpy(dtype="float64")
    tie = (
        np.zeros(len(score))
        if tie_break is None
        else tie_break.reindex(scores.index).to_numpy(dtype="float64")
    )
    order = np.lexsort((-features["position_messages"].to_numpy(), -tie, -score))
    records = ind.feature_frame(features).to_dict("records")
    contrib_values = contrib.to_numpy(dtype="float64")
    names = list(contrib.columns)
    by_name = {i.name: i for i in ind.INDICATORS}
    alerts = []
    for rank, k in enumerate(order, start=1):
        row = records[k]
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
        days = int(row["days_observed"])
        n = int(row["position_messages"])
        note = f"{n} positions on {days} days"
        if tiers[k] == "insufficient data":
            note += (
                f": insufficient data (needs {ind.MIN_POSITIONS} positions on "
                f"{ind.MIN_DAYS_OBSERVED} days); not a low-risk finding"
            )
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
                observed_share=_share(row.get("observed_share")),
                first_seen=row["first_timestamp"].to_pydatetime(),
                last_seen=row["last_timestamp"].to_pydatetime(),
                last_lat=_clean(row["last_lat"]),  # type: ignore[arg-type]
                last_lon=_clean(row["last_lon"]),  # type: ignore[arg-type]
                data_note=note,
                indicators=evidence,
            )
        )
    return alerts


EVIDENCE_COLUMNS = [
    "mmsi",
    "track_id",
    "year",
    "kind",
    "start",
    "end",
    "duration_h",
    "lat",
    "lon",
    "detail",
]


def _events(frame: pd.DataFrame, kind: str, lat: str, lon: str, keep: list[str]) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    out = pd.DataFrame(
        {
            "mmsi": frame["mmsi"].astype(str),
            "track_id": frame["track_id"].fillna(0).astype("int64") if "track_id" in frame else 0,
            "year": frame["start"].dt.year.astype("int64"),
            "kind": kind,
            "start": frame["start"],
            "end": frame["end"],
            "duration_h": frame["duration_h"].astype("float64"),
            "lat": frame[lat].astype("float64") if lat in frame else np.nan,
            "lon": frame[lon].astype("float64") if lon in frame else np.nan,
        }
    )
    details = frame[keep].astype(object).where(frame[keep].notna(), None)
    out["detail"] = pd.Series(details.to_dict("records"), index=out.index, dtype=object)
    return out


def evidence_events(
    visits: pd.DataFrame,
    gaps: pd.DataFrame,
    encounters: pd.DataFrame,
    loitering: pd.DataFrame,
) -> pd.DataFrame:
    """The events behind alerts, one table for every kind.

    Parameters
    ----------
    visits, gaps, encounters, loitering : DataFrame
        As :mod:`vessel_risk.events.schemas` declares them (``PortVisitSchema``,
        ``GapSchema``, ``EncounterSchema``, ``LoiteringSchema``).

    Returns
    -------
    DataFrame with columns ``mmsi``, ``track_id`` (0 where the table has none), ``year``
    (of the event's start, UTC), ``kind``
    (``port_visit``, ``ais_gap``, ``encounter``, ``loitering``), ``start``, ``end``
    (UTC), ``duration_h``, ``lat``, ``lon`` (where the event happened: a gap's start,
    NaN for port visits) and ``detail`` (a dict of the event's other columns, JSON-safe
    after ``json.dumps(default=str)``), ordered by ``mmsi``, ``track_id``, ``start``.
    """
    parts = [
        _events(visits, "port_visit", "lat", "lon", ["port_label", "port_iso3"]),
        _events(
            gaps,
            "ais_gap",
            "start_lat",
            "start_lon",
            ["gap_class", "distance_km", "distance_from_shore_km", "end_lat", "end_lon"],
        ),
        _events(
            encounters,
            "encounter",
            "lat",
            "lon",
            ["other_mmsi", "other_is_carrier", "median_distance_m", "median_speed_knots"],
        ),
        _events(
            loitering,
            "loitering",
            "lat",
            "lon",
            ["distance_from_shore_km", "median_speed_knots", "carrier"],
        ),
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    return pd.concat(parts, ignore_index=True).sort_values(
        ["mmsi", "track_id", "start"], ignore_index=True
    )
