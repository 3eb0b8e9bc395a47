"""The feature catalogue: which columns are model features, and what they stand in for."""

from __future__ import annotations

import pandas as pd

from vessel_risk.features.catalogue import (
    COVERAGE_COLUMNS,
    GFW_FEATURES,
    NEEDS_OPTIONAL_INPUT,
    PIPELINE_FEATURES,
    candidate_features,
    feature_meaning,
)
from vessel_risk.features.schemas import VesselFeatureSchema
from vessel_risk.frames import columns


def test_pipeline_features_are_the_gfw_features_the_run_always_computes():
    assert set(PIPELINE_FEATURES) <= set(columns(VesselFeatureSchema))
    assert list(PIPELINE_FEATURES) == [f for f in GFW_FEATURES if f in PIPELINE_FEATURES]
    assert not set(PIPELINE_FEATURES) & set(NEEDS_OPTIONAL_INPUT)
    # GFW's vessel registry fields and two features the run does not compute stay out.
    assert set(GFW_FEATURES) - set(PIPELINE_FEATURES) == {
        "engine_power_kw",
        "tonnage_gt",
        "length_m",
        "foc",
        "number_forced_labor_encounters",
        "average_off_distance_from_port_km",
        "fishing_hours_foreign_eez",
        "number_poc_port_visits",
    }
    assert len(PIPELINE_FEATURES) == 19


def test_candidate_features_skip_labels_identities_times_and_text():
    frame = pd.DataFrame(
        {
            "vessel_id": ["a"],
            "mmsi": ["412000001"],
            "year": [2024],
            "known_offender": [1],
            "source_id": [7],
            "gear": ["squid_jigger"],
            "first_timestamp": [pd.Timestamp("2024-01-01", tz="UTC")],
            "iuu_listed": [False],
            "flag": [1.0],
            "number_voyages": [3],
        }
    )
    assert candidate_features(frame) == ["iuu_listed", "flag", "number_voyages"]
    assert candidate_features(frame, exclude=["flag"]) == ["iuu_listed", "number_voyages"]


def test_feature_meaning_names_the_ilo_indicator_or_says_there_is_none():
    far = feature_meaning("max_distance_from_port_km")
    assert far.ilo_indicator == "isolation"
    assert far.reason.format(value=1852.0) == "worked up to 1852 km from the nearest port"
    other = feature_meaning("hours")
    assert other.ilo_indicator == "other (no ILO proxy)"
    assert other.reason.format(value=1234.5) == "1.23e+03"


def test_coverage_columns_are_in_every_run_row_and_read_as_coverage():
    assert set(COVERAGE_COLUMNS) <= set(columns(VesselFeatureSchema))
    share = feature_meaning("observed_share")
    assert share.ilo_indicator.startswith("coverage")
    assert share.reason.format(value=0.0833) == "heard on 8% of the year's days in the data"
    messages = feature_meaning("position_messages")
    assert messages.reason.format(value=11.0) == "11 position messages this year"
