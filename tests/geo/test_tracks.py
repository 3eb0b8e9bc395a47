"""Splitting a track where it crosses the antimeridian (vessel_risk.geo.tracks)."""

from __future__ import annotations

from vessel_risk.geo.tracks import split_at_antimeridian


def test_split_at_antimeridian_both_ways():
    assert split_at_antimeridian([-179.0, 179.0], [0.0, 2.0]) == [
        [(-179.0, 0.0), (-180.0, 1.0)],
        [(180.0, 1.0), (179.0, 2.0)],
    ]
    assert split_at_antimeridian([10.0, 20.0], [0.0, 0.0]) == [[(10.0, 0.0), (20.0, 0.0)]]
    assert split_at_antimeridian([], []) == []
