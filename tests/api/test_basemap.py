"""The dashboard's offline base map (vessel_risk.api.basemap)."""

from __future__ import annotations

import json

import shapely

from tests.builders import shared_file
from vessel_risk.api.basemap import LAND_PATH, across_antimeridian, dumps, land_geojson


def _land() -> shapely.MultiPolygon:
    layer = json.loads(LAND_PATH.read_text(encoding="utf-8"))
    return shapely.geometry.shape(layer["features"][0]["geometry"])


def test_the_shipped_land_layer_is_land_and_small():
    land = _land()
    assert LAND_PATH.stat().st_size < 800_000
    # Inland points are land, open sea is not (lat, lon).
    for lat, lon in ((-34.6, -58.4), (-45.0, -69.0), (48.9, 2.3), (-25.0, 135.0), (62.0, 100.0)):
        assert land.contains(shapely.Point(lon, lat)), (lat, lon)
    for lat, lon in ((-40.0, -60.0), (0.0, -140.0), (-30.0, -15.0), (40.0, 160.0)):
        assert not land.contains(shapely.Point(lon, lat)), (lat, lon)
    # No edge jumps across the world (the seams at the antimeridian are cut), but the
    # pole closing Antarctica along the map's lower edge.
    for polygon in land.geoms:
        xy = list(polygon.exterior.coords)
        jumps = [(a, b) for a, b in zip(xy, xy[1:], strict=False) if abs(a[0] - b[0]) > 180]
        assert all(a[1] == b[1] == -90.0 for a, b in jumps)
    assert land.bounds == (-180.0, -90.0, 180.0, 83.6)  # Cape Morris Jesup, Greenland


def test_the_shipped_land_layer_is_made_from_natural_earth_50m():
    made = dumps(land_geojson(shared_file("data", "geo", "ne_land_50m.gpkg")))
    assert made == LAND_PATH.read_text(encoding="utf-8")


def test_a_polygon_across_the_antimeridian_is_cut_in_two():
    # An island from 179° E to 179° W, written as Natural Earth's dissolved land has it.
    island = [[[179.0, 0.0], [180.0, 0.0], [-180.0, 0.0], [-179.0, 0.0], [-179.0, 1.0]]]
    island[0] += [[-180.0, 1.0], [180.0, 1.0], [179.0, 1.0], [179.0, 0.0]]
    parts = across_antimeridian(island)
    boxes = sorted(shapely.Polygon(p[0], p[1:]).bounds for p in parts)
    assert boxes == [(-180.0, 0.0, -179.0, 1.0), (179.0, 0.0, 180.0, 1.0)]
    plain = [[[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 1.0]]]
    assert across_antimeridian(plain) == [plain]
