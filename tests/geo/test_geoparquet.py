"""GeoParquet 1.1 point files written and read (vessel_risk.geo.geoparquet)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely

from tests.geoparquet_schema import geo_metadata, schema_errors
from vessel_risk.geo.geoparquet import (
    GeoColumn,
    GeoParquetWriter,
    point_bbox,
    point_lonlat,
    point_wkb,
    write_geoparquet,
    write_geoparquet_files,
)


def positions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mmsi": pd.array(["412000001", "412000001", "412000002"], dtype="string"),
            "timestamp": pd.to_datetime(
                ["2024-03-01T00:00Z", "2024-03-01T01:00Z", "2024-03-01T02:00Z"]
            ),
            "lat": [-45.5, np.nan, 10.25],
            "lon": [-60.5, 120.0, 179.75],
        }
    )


def test_a_written_file_reads_with_geopandas_in_epsg_4326_and_validates(tmp_path):
    path = tmp_path / "p.parquet"
    write_geoparquet(positions(), path)
    frame = gpd.read_parquet(path)
    assert frame.crs is not None and frame.crs.to_epsg() == 4326
    assert frame.geometry.name == "geometry"
    assert frame.geometry.iloc[0].equals(shapely.Point(-60.5, -45.5))
    assert frame.geometry.iloc[1] is None  # no latitude: no point, not POINT(120 NaN)
    assert frame.geometry.iloc[2].equals(shapely.Point(179.75, 10.25))
    geo = geo_metadata(path)
    assert schema_errors(geo) == []
    column = geo["columns"]["geometry"]
    assert (geo["version"], geo["primary_column"]) == ("1.1.0", "geometry")
    assert (column["encoding"], column["geometry_types"]) == ("WKB", ["Point"])
    assert column["crs"]["id"] == {"authority": "EPSG", "code": 4326}
    assert column["bbox"] == [-60.5, -45.5, 179.75, 10.25]
    assert column["covering"]["bbox"] == {
        "xmin": ["bbox", "xmin"],
        "ymin": ["bbox", "ymin"],
        "xmax": ["bbox", "xmax"],
        "ymax": ["bbox", "ymax"],
    }


def test_columns_stay_as_they_were_with_geometry_and_bbox_after_them(tmp_path):
    path = tmp_path / "p.parquet"
    write_geoparquet(positions(), path)
    plain = pd.read_parquet(path)
    assert list(plain.columns) == ["mmsi", "timestamp", "lat", "lon", "geometry", "bbox"]
    pd.testing.assert_frame_equal(plain[["mmsi", "timestamp", "lat", "lon"]], positions())
    assert plain["bbox"].iloc[0] == {"xmin": -60.5, "ymin": -45.5, "xmax": -60.5, "ymax": -45.5}
    assert plain["bbox"].iloc[1] is None
    # The covering lets a reader skip rows by box.
    inside = gpd.read_parquet(path, bbox=(170, 0, 180, 20))
    assert inside["mmsi"].tolist() == ["412000002"]


def test_wkb_is_what_shapely_writes():
    lon = np.array([-60.5, 0.0, 179.999999, -180.0])
    lat = np.array([-45.5, 0.0, 89.5, -90.0])
    ours = point_wkb(lon, lat).to_pylist()
    assert ours == list(shapely.to_wkb(shapely.points(lon, lat), byte_order=1))


def test_a_streamed_file_and_an_empty_one_validate(tmp_path):
    frame = positions()
    writer = GeoParquetWriter(tmp_path / "s.parquet", frame.iloc[:0])
    writer.write(frame.iloc[:2])
    writer.write(frame.iloc[2:])
    writer.close()
    streamed = gpd.read_parquet(tmp_path / "s.parquet")
    assert len(streamed) == 3 and streamed.crs.to_epsg() == 4326
    geo = geo_metadata(tmp_path / "s.parquet")
    assert schema_errors(geo) == [] and "bbox" not in geo["columns"]["geometry"]
    empty = GeoParquetWriter(tmp_path / "e.parquet", frame.iloc[:0])
    empty.close()
    assert len(gpd.read_parquet(tmp_path / "e.parquet")) == 0
    assert schema_errors(geo_metadata(tmp_path / "e.parquet")) == []


def test_files_joined_take_the_bounding_box_of_all(tmp_path):
    frame = positions()
    parts = []
    for i in range(3):
        part = tmp_path / f"part{i}.parquet"
        frame.iloc[i : i + 1].to_parquet(part, index=False)
        parts.append(part)
    write_geoparquet_files(parts, tmp_path / "all.parquet", frame.iloc[:0])
    geo = geo_metadata(tmp_path / "all.parquet")
    assert geo["columns"]["geometry"]["bbox"] == [-60.5, -45.5, 179.75, 10.25]
    assert gpd.read_parquet(tmp_path / "all.parquet")["lon"].tolist() == [-60.5, 120.0, 179.75]


def test_wkb_points_empty_null_and_other_shapes_are_told_apart():
    wkb = pa.array(
        shapely.to_wkb(
            np.array(
                [shapely.Point(1, 2), shapely.Point(), None, shapely.LineString([(0, 0), (1, 1)])]
            )
        )
    )
    got = point_lonlat(wkb, GeoColumn("geometry"))
    assert got.lon[0] == 1.0 and got.lat[0] == 2.0
    assert np.isnan(got.lon[1:]).all() and np.isnan(got.lat[1:]).all()
    assert got.empty.tolist() == [False, True, False, False]
    assert got.not_point.tolist() == [False, False, False, True]


def test_native_points_with_nan_are_empty_and_null_is_missing():
    native = pa.array(
        [{"x": 1.0, "y": 2.0}, {"x": float("nan"), "y": float("nan")}, None],
        pa.struct([("x", pa.float64()), ("y", pa.float64())]),
    )
    got = point_lonlat(native, GeoColumn("geometry", encoding="point"))
    assert got.lon[0] == 1.0 and got.lat[0] == 2.0
    assert got.empty.tolist() == [False, True, False]


def test_web_mercator_is_reprojected_to_longitude_latitude():
    # 10°E 20°S in EPSG:3857 metres (pyproj); read back as degrees.
    x, y = 1113194.9079327357, -2273030.926987689
    wkb = pa.array(shapely.to_wkb(np.array([shapely.Point(x, y)])))
    crs = json.loads(gpd.GeoSeries([], crs="EPSG:3857").crs.to_json())
    got = point_lonlat(wkb, GeoColumn("geometry", crs=crs))
    assert got.lon[0] == pytest.approx(10.0, abs=1e-9)
    assert got.lat[0] == pytest.approx(-20.0, abs=1e-9)
    by_code = point_lonlat(wkb, GeoColumn("geometry", crs="EPSG:3857"))
    assert by_code.lat[0] == pytest.approx(-20.0, abs=1e-9)


def test_unknown_or_unreadable_crs_is_a_clear_error():
    wkb = pa.array(shapely.to_wkb(np.array([shapely.Point(1, 2)])))
    with pytest.raises(ValueError, match="unknown CRS"):
        point_lonlat(wkb, GeoColumn("geometry", crs=None))
    with pytest.raises(ValueError, match="CRS pyproj cannot read"):
        point_lonlat(wkb, GeoColumn("geometry", crs={"type": "nonsense"}))
    with pytest.raises(ValueError, match="native encoding 'polygon'"):
        point_lonlat(wkb, GeoColumn("geometry", encoding="polygon"))


def test_a_missing_crs_is_crs84_and_read_as_it_is():
    wkb = pa.array(shapely.to_wkb(np.array([shapely.Point(-70.9, -53.2)])))
    got = point_lonlat(wkb, GeoColumn("geometry"))
    assert (got.lon[0], got.lat[0]) == (-70.9, -53.2)


def test_a_table_with_a_geometry_column_already_is_refused(tmp_path):
    frame = positions().assign(geometry="x")
    with pytest.raises(ValueError, match="already has a 'geometry' column"):
        write_geoparquet(frame, tmp_path / "x.parquet")


def test_the_float32_box_still_holds_each_float64_point():
    rng = np.random.default_rng(7)
    lon = rng.uniform(-180, 180, 10_000)
    lat = rng.uniform(-90, 90, 10_000)
    box = point_bbox(lon, lat)
    xmin, xmax = (box.field(k).to_numpy().astype("float64") for k in ("xmin", "xmax"))
    ymin, ymax = (box.field(k).to_numpy().astype("float64") for k in ("ymin", "ymax"))
    assert box.type.field("xmin").type == pa.float32()
    assert (xmin <= lon).all() and (lon <= xmax).all()
    assert (ymin <= lat).all() and (lat <= ymax).all()
    assert (xmax - xmin).max() < 2e-5  # one float32 step at 180°: 1.5e-5
    assert (xmin < lon).mean() > 0.9  # float64 values are rarely exact in float32
