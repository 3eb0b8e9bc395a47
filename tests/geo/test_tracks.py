"""Track arithmetic (vessel_risk.geo.tracks): splitting at the antimeridian, steps within
vessel tracks, silences over the limit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vessel_risk.geo.geodesy import distance_km
from vessel_risk.geo.tracks import (
    MAX_SILENCE_H,
    StepDistances,
    after_silence,
    segment_km,
    split_at_antimeridian,
    track_ids,
    track_length_km,
)


def test_split_at_antimeridian_both_ways():
    assert split_at_antimeridian([-179.0, 179.0], [0.0, 2.0]) == [
        [(-179.0, 0.0), (-180.0, 1.0)],
        [(180.0, 1.0), (179.0, 2.0)],
    ]
    assert split_at_antimeridian([10.0, 20.0], [0.0, 0.0]) == [[(10.0, 0.0), (20.0, 0.0)]]
    assert split_at_antimeridian([], []) == []


def test_segment_km_never_joins_two_tracks_of_one_mmsi_and_spans_silences():
    pos = pd.DataFrame(
        {
            "mmsi": ["412000001"] * 4,
            "track_id": [0, 0, 1, 1],
            "timestamp": pd.to_datetime(
                ["2024-03-01T00:00Z", "2024-03-03T00:00Z", "2024-03-01T00:00Z", "2024-03-01T01:00Z"]
            ),
            "lat": [0.0, 0.1, 2.7, 2.7],
            "lon": [0.0, 0.0, 0.0, 0.1],
        }
    )
    # The 48 h silence of track 0 keeps its step (11.06 km); track 1 starts at 0.
    assert segment_km(pos).to_numpy() == pytest.approx([0.0, 11.06, 0.0, 11.12], abs=0.01)
    assert track_length_km(pos).to_dict() == pytest.approx({"412000001": 22.18}, abs=0.02)
    # As one track per MMSI, the 287.5 km jump between the transmitters would count.
    assert segment_km(pos.drop(columns="track_id"))[2] == pytest.approx(287.5, abs=0.1)


def test_after_silence_is_strictly_longer_than_the_limit():
    t = pd.Series(pd.to_datetime(["2024-03-01T00:00Z", "2024-03-02T00:00Z", "2024-03-03T00:01Z"]))
    assert MAX_SILENCE_H == 24.0
    assert list(after_silence(t)) == [False, False, True]


def test_track_ids_default_to_zero_without_the_column():
    assert list(track_ids(pd.DataFrame({"mmsi": ["1", "1"]}))) == [0, 0]
    assert list(track_ids(pd.DataFrame({"mmsi": ["1", "1"], "track_id": [0, 2]}))) == [0, 2]


def test_step_distances_reuse_a_step_only_between_the_same_two_rows():
    lat = np.array([10.0, 10.1, 10.3, 10.2, 11.0])
    lon = np.array([120.0, 120.1, 120.0, 120.4, 121.0])
    steps = StepDistances(5)
    every = np.array([False, True, True, True, True])
    first = steps.between(np.arange(5), lat, lon, every)
    want = np.r_[np.nan, distance_km(lat[:-1], lon[:-1], lat[1:], lon[1:])]
    np.testing.assert_array_equal(first, want)
    # Row 2 dropped: the step into row 3 now starts at row 1 and is measured afresh;
    # the others are the same pairs of rows. Row 4's step is not wanted.
    kept = np.array([0, 1, 3, 4])
    again = steps.between(kept, lat[kept], lon[kept], np.array([False, True, True, False]))
    np.testing.assert_array_equal(
        again, [np.nan, want[1], distance_km(lat[1], lon[1], lat[3], lon[3]), np.nan]
    )
    assert again[2] != want[3]
