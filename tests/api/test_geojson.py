"""Choosing GeoJSON by the Accept header (vessel_risk.api.geojson)."""

from __future__ import annotations

import pytest

from vessel_risk.api.geojson import point_feature, wants_geojson


@pytest.mark.parametrize(
    ("accept", "geojson"),
    [
        (None, False),
        ("", False),
        ("*/*", False),
        ("application/json", False),
        ("application/geo+json", True),
        ("Application/GEO+JSON", True),
        ("application/geo+json, application/json", True),
        ("application/json, application/geo+json;q=0.5", False),
        ("application/json;q=0.4, application/geo+json;q=0.9", True),
        ("application/geo+json;q=0", False),
        ("application/geo+json;q=nonsense", False),
        ("application/geo+json;q=0.5, */*;q=0.8", False),
        ("text/html, application/geo+json;q=0.9, */*;q=0.8", True),
    ],
)
def test_accept_header_chooses_geojson(accept, geojson):
    assert wants_geojson(accept) is geojson


def test_point_feature_has_a_null_geometry_without_a_position():
    assert point_feature(1.5, -2.0, {"a": 1}) == {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [1.5, -2.0]},
        "properties": {"a": 1},
    }
    assert point_feature(None, -2.0, {})["geometry"] is None
