"""EEZ look-up from user polygons (vessel_risk.zones)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from vessel_risk.zones import EezIndex, read_eez

from .conftest import shared_file


def _zones() -> gpd.GeoDataFrame:
    # Two zones either side of 180°, split there as Marine Regions splits Fiji's.
    return gpd.GeoDataFrame(
        {"ISO_SOV1": ["fji", "FJI", "NZL"]},
        geometry=[box(177, -20, 180, -15), box(-180, -20, -178, -15), box(165, -48, 179, -34)],
        crs="EPSG:4326",
    )


def test_points_take_their_zone_and_the_high_seas_is_na():
    index = EezIndex(_zones())
    lat = [-17.0, -17.0, -40.0, -30.0, np.nan]
    lon = [179.5, -179.5, 170.0, 170.0, 170.0]
    got = index.iso3(lat, lon)
    assert got.iloc[:3].tolist() == ["FJI", "FJI", "NZL"]
    assert got.iloc[3:].isna().all()  # between the zones: high seas; NaN: unknown


def test_a_point_on_a_shared_edge_takes_the_first_zone():
    zones = gpd.GeoDataFrame(
        {"iso3": ["AAA", "BBB"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326"
    )
    assert EezIndex(zones).iso3([0.5, 0.5], [1.0, 1.5]).tolist() == ["AAA", "BBB"]


def test_projected_zones_are_reprojected():
    index = EezIndex(_zones().to_crs("EPSG:3832"))  # PDC Mercator, metres
    assert index.iso3([-40.0], [170.0]).tolist() == ["NZL"]


def test_a_file_without_a_state_column_is_a_clear_error(tmp_path):
    path = tmp_path / "zones.geojson"
    _zones().rename(columns={"ISO_SOV1": "owner"}).to_file(path)
    with pytest.raises(ValueError, match="no state column"):
        read_eez(path)
    (tmp_path / "bad.geojson").write_text("not json")
    with pytest.raises(ValueError, match="not a readable vector file"):
        read_eez(tmp_path / "bad.geojson")
    with pytest.raises(FileNotFoundError):
        read_eez(tmp_path / "absent.gpkg")


def test_osm_territorial_seas_as_zones():
    # The shared 12 nm territorial seas (not EEZs) exercise a real file: Punta Arenas
    # is Chilean, the squid grounds at 45.5 S 60.4 W are beyond every 12 nm limit.
    index = read_eez(shared_file("data", "geo", "territorial_seas_osm.gpkg"))
    assert index.column == "isoA3"
    got = index.iso3([-53.16, -45.5, -34.95], [-70.9, -60.4, -54.95])
    assert got.iloc[0] == "CHL" and got.iloc[2] == "URY" and got.isna().iloc[1]
