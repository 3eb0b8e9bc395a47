"""Voyages (vessel_risk.events.voyages) between port visits on hand-built tracks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.builders import PORT_B, SEA, make_track, run_pipeline


def test_data_starting_in_port_has_no_voyage_before_it(tmp_path, port_table):
    points = [PORT_B] * 3 + [SEA] * 3
    voy = run_pipeline(
        tmp_path, make_track("567000004", "2024-03-01T00:00:00Z", points), port_table
    ).voyages
    assert len(voy) == 1
    assert voy.iloc[0]["from_port"] == "PORT B"
    assert voy.iloc[0]["start"] == pd.Timestamp("2024-03-01T02:00Z")


def test_vessel_never_in_port_has_one_open_voyage(tmp_path, port_table):
    voy = run_pipeline(
        tmp_path, make_track("567000005", "2024-03-01T00:00:00Z", [SEA, (5.6, 104.0)]), port_table
    ).voyages
    assert len(voy) == 1
    assert voy.iloc[0]["from_port"] is pd.NA and voy.iloc[0]["to_port"] is pd.NA
    assert voy.iloc[0]["duration_h"] == 1.0
    assert np.isclose(voy.iloc[0]["distance_km"], 11.06, atol=0.05)


def test_month_long_silence_ends_a_voyage_instead_of_counting_as_time_at_sea(tmp_path, port_table):
    rows = make_track("567000006", "2024-03-01T00:00:00Z", [SEA, (5.6, 104.0)])
    rows += make_track("567000006", "2024-04-15T00:00:00Z", [(5.6, 104.0), (5.7, 104.0)])
    result = run_pipeline(tmp_path, rows, port_table)
    voy = result.voyages
    assert len(voy) == 2
    assert list(voy["duration_h"]) == [1.0, 1.0]
    assert voy["from_port"].isna().all() and voy["to_port"].isna().all()
    # 4 messages are too few to tell voyage length (issue 14): unknown, not 1 h.
    assert np.isnan(result.features.iloc[0]["max_voyage_duration_hours"])
    assert len(result.gaps) == 1  # the silence is still an AIS gap
