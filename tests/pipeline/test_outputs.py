"""What every run writes (vessel_risk.pipeline.outputs): GeoParquet 1.1 outputs with
positions, on the real squid-jigger run."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.geoparquet_schema import geo_metadata, schema_errors

GEO_OUTPUTS = {
    "positions.parquet": ("lon", "lat"),
    "gaps.parquet": ("start_lon", "start_lat"),
    "loitering.parquet": ("lon", "lat"),
    "encounters.parquet": ("lon", "lat"),
    "alerts.parquet": ("last_lon", "last_lat"),
}


@pytest.mark.parametrize("name", sorted(GEO_OUTPUTS))
def test_outputs_with_positions_are_geoparquet_1_1_in_epsg_4326(squid_run, name):
    out, _ = squid_run
    path = out / name
    frame = gpd.read_parquet(path)
    assert frame.crs is not None and frame.crs.to_epsg() == 4326
    geo = geo_metadata(path)
    assert schema_errors(geo) == []
    column = geo["columns"][geo["primary_column"]]
    assert (column["encoding"], column["geometry_types"]) == ("WKB", ["Point"])
    assert set(column["covering"]["bbox"]) == {"xmin", "ymin", "xmax", "ymax"}
    assert "bbox" in pq.read_schema(path).names  # the covering column is there
    lon, lat = GEO_OUTPUTS[name]
    located = frame[frame[lon].notna() & frame[lat].notna()]
    assert frame.geometry.isna().sum() == len(frame) - len(located)
    if len(located):
        assert (located.geometry.x - located[lon]).abs().max() == 0
        assert (located.geometry.y - located[lat]).abs().max() == 0
        box = column["bbox"]
        assert box == [
            located[lon].min(),
            located[lat].min(),
            located[lon].max(),
            located[lat].max(),
        ]


def test_the_squid_run_has_positions_and_alerts_to_map(squid_run):
    out, _ = squid_run
    counts = json.loads((out / "ingest_report.json").read_text())
    positions = gpd.read_parquet(out / "positions.parquet")
    assert len(positions) == counts["positions_kept"] == 89_572
    assert positions.geometry.notna().sum() == positions["lat"].notna().sum()
    alerts = gpd.read_parquet(out / "alerts.parquet")
    flat = pd.read_csv(out / "alerts.csv", dtype={"mmsi": str})
    assert alerts["mmsi"].tolist() == flat["mmsi"].tolist()
    assert alerts.geometry.notna().all()
