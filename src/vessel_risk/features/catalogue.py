"""The feature catalogue: which columns of a vessel-year table a model may read, and what
each stands in for.

* :data:`LABEL_COLUMNS` and :data:`ID_COLUMNS`: label bookkeeping and identities, never
  features; :func:`candidate_features` picks the usable columns of any table.
* :data:`GFW_FEATURES`: the numeric features of Global Fishing Watch's forced-labour
  vessel-year table (McDonald et al. 2021); :data:`PIPELINE_FEATURES` those that
  ``vessel-risk run`` also computes, under the same names.
* :data:`COVERAGE_COLUMNS`: how much data a row rests on, on every row of a run's table.
* :data:`FEATURE_MEANINGS` and :func:`feature_meaning`: the ILO indicator of forced labour
  each feature is a proxy for, a reason template for explanations, and its source.

The indicator baseline's own thresholds and weights are model definitions and live in
:mod:`vessel_risk.model.indicators`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from vessel_risk.features.schemas import VesselFeatureSchema
from vessel_risk.frames import columns

LABEL_COLUMNS = (
    "known_offender",
    "known_non_offender",
    "possible_offender",
    "source_id",
    "year_focus",
    "num_years",
    "past_ais_year",
    "event_ais_year",
    "planted_risk",
    "n_behaviours",
)
"""Label bookkeeping in GFW's labelled table and the simulator's truth: never a feature."""

ID_COLUMNS = ("vessel_id", "mmsi", "year", "shipname", "iuu_match", "flag_iso3")
"""Identity columns: never a feature."""

GFW_FEATURES = (
    "position_messages",
    "hours",
    "fishing_hours",
    "average_daily_fishing_hours",
    "fishing_hours_foreign_eez",
    "fishing_hours_high_seas",
    "distance_traveled_km",
    "max_distance_from_shore_km",
    "max_distance_from_port_km",
    "number_encounters",
    "number_forced_labor_encounters",
    "average_encounter_duration_hours",
    "gaps_12_hours",
    "average_off_distance_from_port_km",
    "average_off_distance_from_shore_km",
    "average_gap_days",
    "average_gap_km",
    "number_foreign_port_visits",
    "number_poc_port_visits",
    "number_loitering_events",
    "average_loitering_duration_hours",
    "average_voyage_duration_hours",
    "number_voyages",
    "engine_power_kw",
    "tonnage_gt",
    "length_m",
    "foc",
)
"""Numeric feature columns of GFW's forced-labour vessel-year table (McDonald et al. 2021)."""

NEEDS_OPTIONAL_INPUT = ("fishing_hours_foreign_eez", "number_poc_port_visits")
"""Features ``vessel-risk run`` computes only from an optional input (``--eez`` polygons,
``--psma-parties``): null on every row by default, which tells a model nothing, so they are
left out of :data:`PIPELINE_FEATURES`."""

COVERAGE_COLUMNS = ("position_messages", "days_observed", "observed_share")
"""How much data a vessel-year rests on: on every row of a run's table, never null there
(:mod:`vessel_risk.features.coverage`). The labelled table has ``position_messages`` only;
the others read as null there. A model's training domain is checked on them."""

PIPELINE_FEATURES = tuple(
    f for f in GFW_FEATURES if f in columns(VesselFeatureSchema) and f not in NEEDS_OPTIONAL_INPUT
)
"""GFW features that ``vessel_features.parquet`` also carries, under the same names: a model
trained on these can score the output of ``vessel-risk run``."""


@dataclass(frozen=True)
class FeatureMeaning:
    """What a model feature stands in for, for explanations."""

    ilo_indicator: str
    reason: str
    source: str


_MCD = "McDonald et al. 2021 (PNAS): a top predictor of known offenders"
FEATURE_MEANINGS: dict[str, FeatureMeaning] = {
    "max_distance_from_port_km": FeatureMeaning(
        "isolation", "worked up to {value:.0f} km from the nearest port", _MCD
    ),
    "max_distance_from_shore_km": FeatureMeaning(
        "isolation", "worked up to {value:.0f} km from shore", _MCD
    ),
    "average_voyage_duration_hours": FeatureMeaning(
        "isolation; restriction of movement",
        "voyages lasted {value:.0f} h on average",
        "McDonald et al. 2021: voyage length separates known offenders",
    ),
    "max_voyage_duration_hours": FeatureMeaning(
        "isolation; restriction of movement",
        "longest voyage {value:.0f} h",
        "McDonald et al. 2021; MLC 2006 Std A2.5.1",
    ),
    "number_voyages": FeatureMeaning(
        "isolation; restriction of movement",
        "voyages this year: {value:.0f} (fewer is worse)",
        "McDonald et al. 2021: fewer voyages is a top predictor",
    ),
    "number_port_visits": FeatureMeaning(
        "isolation; restriction of movement", "port visits this year: {value:.0f}", _MCD
    ),
    "fishing_hours": FeatureMeaning(
        "excessive overtime", "fished {value:.0f} h this year", "ILO C188 Art. 14"
    ),
    "average_daily_fishing_hours": FeatureMeaning(
        "excessive overtime",
        "fished {value:.1f} h a day on days it fished",
        "ILO C188 Art. 14 (at least 10 h rest in any 24 h); McDonald et al. 2021",
    ),
    "fishing_hours_high_seas": FeatureMeaning(
        "isolation", "fished {value:.0f} h on the high seas", _MCD
    ),
    "fishing_hours_foreign_eez": FeatureMeaning(
        "isolation", "fished {value:.0f} h in foreign EEZs", "McDonald et al. 2021"
    ),
    "number_encounters": FeatureMeaning(
        "isolation via transshipment",
        "{value:.0f} encounters with other vessels",
        "GFW encounters; Miller et al. 2018",
    ),
    "number_forced_labor_encounters": FeatureMeaning(
        "isolation via transshipment",
        "{value:.0f} encounters with vessels in GFW's forced-labour database",
        "McDonald et al. 2021",
    ),
    "average_encounter_duration_hours": FeatureMeaning(
        "isolation via transshipment", "encounters lasted {value:.1f} h on average", "GFW"
    ),
    "number_loitering_events": FeatureMeaning(
        "isolation via transshipment", "{value:.0f} loitering events", "GFW loitering"
    ),
    "average_loitering_duration_hours": FeatureMeaning(
        "isolation via transshipment", "loitered {value:.1f} h on average", "GFW loitering"
    ),
    "gaps_12_hours": FeatureMeaning(
        "concealment (context)",
        "{value:.0f} AIS gaps of 12 h or more",
        "GFW pipe-gaps; Welch et al. 2022",
    ),
    "gaps_12_hours_offshore": FeatureMeaning(
        "concealment (context)",
        "{value:.0f} AIS gaps of 12 h or more starting 50 nm or more from shore",
        "GFW pipe-gaps; Welch et al. 2022",
    ),
    "average_gap_days": FeatureMeaning(
        "concealment (context)", "AIS gaps lasted {value:.1f} days on average", "Welch 2022"
    ),
    "average_gap_km": FeatureMeaning(
        "concealment (context)", "AIS gaps spanned {value:.0f} km on average", "Welch 2022"
    ),
    "average_off_distance_from_shore_km": FeatureMeaning(
        "concealment (context)", "AIS gaps began {value:.0f} km from shore on average", "GFW"
    ),
    "average_off_distance_from_port_km": FeatureMeaning(
        "concealment (context)", "AIS gaps began {value:.0f} km from port on average", "GFW"
    ),
    "number_foreign_port_visits": FeatureMeaning(
        "context: port-state control",
        "{value:.0f} visits to foreign ports",
        "McDonald et al. 2021",
    ),
    "number_poc_port_visits": FeatureMeaning(
        "context: port-state control",
        "{value:.0f} visits to ports of states outside the PSMA",
        "McDonald et al. 2021; FAO PSMA 2009",
    ),
    "foc": FeatureMeaning(
        "abuse of vulnerability (context)", "flies a flag of convenience", "ITF list"
    ),
    "identity_renamings": FeatureMeaning(
        "deception",
        "renamed {value:.0f} times this year",
        "ILO 2012 (deception); GFW identity-change tables (flag_changes_name); "
        "vessel_risk.identity.changes: new names under one vessel_id",
    ),
    "identity_reflaggings": FeatureMeaning(
        "deception",
        "{value:.0f} flag changes this year",
        "ILO 2012 (deception); GFW reflagging tables (flag_changes_identity); flag from "
        "the MID of each MMSI of the vessel_id",
    ),
    "identity_mmsi_changes": FeatureMeaning(
        "deception",
        "{value:.0f} new MMSIs this year",
        "ILO 2012 (deception); GFW identity-change tables; vessel_risk.identity.vessels",
    ),
}

_COVERAGE = "coverage: how much data the vessel-year rests on (not a risk indicator)"
FEATURE_MEANINGS.update(
    {
        "position_messages": FeatureMeaning(
            _COVERAGE, "{value:.0f} position messages this year", "AIS input"
        ),
        "days_observed": FeatureMeaning(_COVERAGE, "heard on {value:.0f} days", "AIS input"),
        "observed_share": FeatureMeaning(
            _COVERAGE,
            "heard on {value:.0%} of the year's days in the data",
            "vessel_risk.features.coverage",
        ),
    }
)

_OTHER = FeatureMeaning("other (no ILO proxy)", "{value:.3g}", "model feature")


def feature_meaning(feature: str) -> FeatureMeaning:
    """The ILO indicator, reason template and source of a model feature."""
    return FEATURE_MEANINGS.get(feature, _OTHER)


def candidate_features(frame: pd.DataFrame, *, exclude: Sequence[str] = ()) -> list[str]:
    """Numeric and boolean columns of ``frame`` usable as model features.

    Label bookkeeping (:data:`LABEL_COLUMNS`), identities (:data:`ID_COLUMNS`),
    timestamps, text columns and ``exclude`` are left out.

    Parameters
    ----------
    frame : DataFrame of shape (n_samples, n_columns)
    exclude : sequence of str
        Further columns to leave out (e.g. ``["flag"]``).

    Returns
    -------
    list of str, in the frame's column order.
    """
    skip = {*LABEL_COLUMNS, *ID_COLUMNS, *exclude}
    out = []
    for col in frame.columns:
        if col in skip:
            continue
        dtype = frame[col].dtype
        if pd.api.types.is_bool_dtype(dtype) or (
            pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_datetime64_any_dtype(dtype)
        ):
            out.append(str(col))
    return out
