"""GeoPackage inputs (vessel_risk.ingest.geopackage), through the readers."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from vessel_risk.ingest import iter_ais, read_ais
from vessel_risk.ingest.dialects import sniff


def _layer(n: int = 3) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(
        {
            "mmsi": ["412000001"] * n,
            "timestamp": pd.date_range("2024-03-01", periods=n, freq="10min", tz="UTC"),
            "speed_knots": [5.0] * n,
        }
    )
    points = [Point(100.5 + i / 100, 7.25) for i in range(n)]
    return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")


def test_a_geopackage_reads_as_positions_with_empty_points_quarantined(tmp_path):
    layer = _layer()
    layer.loc[1, "geometry"] = Point()
    path = tmp_path / "track.gpkg"
    layer.to_file(path, driver="GPKG")
    assert sniff(path) == "geopackage"
    r = read_ais(path)
    assert r.balanced and r.rows_in == 3
    assert r.positions["lon"].tolist() == [100.5, 100.52]
    assert r.positions["lat"].tolist() == [7.25, 7.25]
    assert r.positions["speed_knots"].tolist() == [5.0, 5.0]
    assert str(r.positions["timestamp"].iloc[1]) == "2024-03-01 00:20:00+00:00"
    assert r.quarantine[["source", "line", "reason"]].values.tolist() == [
        ["track.gpkg", 2.0, "empty_geometry"]
    ]


def test_a_geopackage_in_another_crs_is_reprojected_and_read_in_chunks(tmp_path):
    path = tmp_path / "utm.gpkg"
    _layer(5).to_crs("EPSG:32647").to_file(path, driver="GPKG")  # UTM 47N
    chunks = list(iter_ais(path, chunk_rows=2))
    assert [c.rows_in for c in chunks] == [2, 2, 1]
    lon = pd.concat([c.positions["lon"] for c in chunks]).tolist()
    assert lon == pytest.approx([100.5, 100.51, 100.52, 100.53, 100.54], abs=1e-9)
    assert [c.positions["line"].iloc[0] for c in chunks] == [1.0, 3.0, 5.0]


def test_a_file_that_is_sqlite_but_not_a_geopackage_is_not_read_as_one(tmp_path):
    import sqlite3

    path = tmp_path / "plain.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("create table t (x)")
    assert sniff(path) != "geopackage"
