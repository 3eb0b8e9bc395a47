"""Missing as missing: coverage on every vessel-year, and what thin data leave unknown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.builders import SEA, make_track, run_pipeline
from vessel_risk.features.coverage import (
    MIN_DAYS_OBSERVED,
    MIN_POSITIONS,
    UNKNOWN_WHEN_THIN,
    UNKNOWN_WHEN_THIN_AND_ZERO,
    days_in_window,
    mark_unknown,
    thin_coverage,
    with_observed_share,
)
from vessel_risk.model import indicators


def test_thin_means_what_the_insufficient_data_tier_means():
    # One notion of "too thin": the features' nulls and the tier agree.
    assert (MIN_POSITIONS, MIN_DAYS_OBSERVED) == (
        indicators.MIN_POSITIONS,
        indicators.MIN_DAYS_OBSERVED,
    )
    frame = pd.DataFrame(
        {"position_messages": [3, 49, 50, 5000, 50], "days_observed": [1, 30, 9, 200, 10]}
    )
    thin = thin_coverage(frame["position_messages"], frame["days_observed"])
    assert thin.tolist() == [True, True, True, False, False]
    tiers = indicators.tier(pd.Series(0.0, index=frame.index), frame)
    assert (tiers == "insufficient data").tolist() == thin.tolist()
    # Unknown messages are thin; unknown days (the labelled table) are judged on messages.
    unknown = pd.DataFrame({"position_messages": [np.nan, 116, 49], "days_observed": np.nan})
    thin = thin_coverage(unknown["position_messages"], unknown["days_observed"])
    assert thin.tolist() == [True, False, True]
    assert indicators.thin_data(unknown).tolist() == thin.tolist()


def test_a_vessel_year_seen_three_times_has_unknown_voyages_not_zero(tmp_path, port_table):
    # Three messages an hour apart: the old table said 1 voyage of 2 h and 0 port
    # visits, 0 gaps, 0 encounters; a vessel heard for 13 days keeps its values.
    seen_thrice = make_track("567000050", "2024-03-01T00:00:00Z", [SEA] * 3)
    heard = make_track("567000051", "2024-03-01T00:00:00Z", [SEA] * 50, step_min=360.0)
    f = run_pipeline(tmp_path, seen_thrice + heard, port_table).features.set_index("mmsi")
    thin, full = f.loc["567000050"], f.loc["567000051"]
    assert (thin["position_messages"], thin["days_observed"]) == (3, 1)
    for col in (*UNKNOWN_WHEN_THIN, "number_port_visits", "gaps_12_hours", "number_encounters"):
        assert np.isnan(thin[col]), col
    assert (full["position_messages"], full["days_observed"]) == (50, 13)
    assert full["number_voyages"] == 1 and full["max_voyage_duration_hours"] == 294.0
    assert (full["number_port_visits"], full["gaps_12_hours"], full["number_encounters"]) == (
        0,
        0,
        0,
    )
    # Both ran in one window, 1 to 13 March 2024 (13 days).
    assert thin["observed_share"] == pytest.approx(1 / 13)
    assert full["observed_share"] == 1.0


def test_mark_unknown_nulls_zeros_of_thin_rows_and_keeps_what_was_seen():
    frame = pd.DataFrame(
        {
            "position_messages": [3, 3, 500],
            "days_observed": [1, 1, 40],
            "number_voyages": [1, 0, 0],
            "max_voyage_duration_hours": [2.0, np.nan, np.nan],
            "gaps_12_hours": [0, 2, 0],
            "fishing_hours": [0.0, 5.0, 0.0],
            "n_shipnames": [0, 1, 0],
        }
    )
    out = mark_unknown(frame)
    assert out["number_voyages"].isna().tolist() == [True, True, False]
    assert out["number_voyages"][2] == 0
    assert out["max_voyage_duration_hours"].isna().all()
    assert out["gaps_12_hours"].isna().tolist() == [True, False, False]
    assert out["gaps_12_hours"].tolist()[1:] == [2.0, 0.0]
    assert out["fishing_hours"].isna().tolist() == [True, False, False]
    assert out["n_shipnames"].tolist() == [0, 1, 0]  # not a coverage matter
    assert frame["gaps_12_hours"].tolist() == [0, 2, 0]  # the input is left alone
    raw = mark_unknown(frame, thin_as_unknown=False)
    assert raw["gaps_12_hours"].tolist() == [0.0, 2.0, 0.0]
    assert raw["gaps_12_hours"].dtype == "float64"


def test_days_in_window_cut_the_year_to_the_data():
    start = pd.Timestamp("2020-01-01T14:43:26Z")
    end = pd.Timestamp("2023-03-31T23:27:00Z")
    # 2020 is a leap year; 2023 ends on 31 March; 2019 and 2024 are outside.
    assert days_in_window([2019, 2020, 2021, 2023, 2024], start, end).tolist() == [
        0,
        366,
        365,
        90,
        0,
    ]
    one_day = pd.Timestamp("2024-06-01T10:00Z"), pd.Timestamp("2024-06-01T11:00Z")
    assert days_in_window([2024], *one_day).tolist() == [1]


def test_observed_share_uses_the_whole_frames_window_or_the_one_given():
    t = pd.to_datetime
    frame = pd.DataFrame(
        {
            "year": [2023, 2024],
            "days_observed": [1, 61],
            "first_timestamp": t(["2023-12-31T20:00Z", "2024-01-01T00:00Z"], utc=True),
            "last_timestamp": t(["2023-12-31T23:00Z", "2024-12-31T12:00Z"], utc=True),
        }
    )
    assert with_observed_share(frame)["observed_share"].tolist() == [1.0, 61 / 366]
    window = (pd.Timestamp("2023-07-01", tz="UTC"), pd.Timestamp("2024-03-01", tz="UTC"))
    share = with_observed_share(frame, window)["observed_share"]
    assert share.tolist() == [1 / 184, 1.0]  # 61 of 61 days: clipped at 1 where more
    assert with_observed_share(frame.iloc[0:0])["observed_share"].dtype == "float64"


def test_the_squid_runs_coverage_on_every_row_and_its_unknowns(squid_run):
    out, _ = squid_run
    f = pd.read_parquet(out / "vessel_features.parquet")
    assert len(f) == 354
    coverage = f[["position_messages", "days_observed", "observed_share"]]
    assert coverage.notna().all().all()
    assert f["observed_share"].between(0, 1).all()
    share = f["observed_share"]
    assert (int((share < 0.1).sum()), int(share.between(0.1, 0.5, inclusive="left").sum())) == (
        340,
        9,
    )
    assert int((share >= 0.5).sum()) == 5
    assert (f["position_messages"].median(), f["days_observed"].median()) == (11.0, 1.0)
    thin = thin_coverage(f["position_messages"], f["days_observed"])
    assert int(thin.sum()) == 313
    # Thin vessel-years: voyages always unknown; no count of "none seen" reads 0.
    assert f.loc[thin, list(UNKNOWN_WHEN_THIN)].isna().all().all()
    for col in UNKNOWN_WHEN_THIN_AND_ZERO:
        assert not f.loc[thin, col].eq(0).any(), col
    assert int(f["number_port_visits"].isna().sum()) == 171
    assert int(f["gaps_12_hours"].isna().sum()) == 311
    assert not f.loc[~thin, "number_voyages"].isna().any()


def test_averages_over_no_event_are_0_where_the_count_is_known_else_unknown():
    from vessel_risk.features.coverage import mark_unknown

    f = pd.DataFrame(
        {
            "position_messages": [5000, 5000, 3],
            "days_observed": [200, 200, 1],
            "number_encounters": [0, 2, 0],
            "average_encounter_duration_hours": [np.nan, 7.5, np.nan],
        }
    )
    out = mark_unknown(f)
    # Known none: 0 (GFW's convention); two seen: their mean; thin and none seen: unknown.
    assert out["average_encounter_duration_hours"].tolist()[:2] == [0.0, 7.5]
    assert np.isnan(out.loc[2, "average_encounter_duration_hours"])
    assert np.isnan(out.loc[2, "number_encounters"])
