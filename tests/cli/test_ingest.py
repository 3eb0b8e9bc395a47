"""`vessel-risk ingest` and `run` on GeoParquet and GeoPackage inputs: native point
encoding, an empty point counted in quarantine, another CRS."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point
from typer.testing import CliRunner

from tests.builders import make_track
from tests.geoparquet_schema import geo_metadata, schema_errors
from vessel_risk.cli import app


def _track(n: int = 48) -> gpd.GeoDataFrame:
    """A squid jigger's day at sea off Patagonia, hourly, its 6th point empty."""
    rows = make_track("412000001", "2024-03-01T00:00Z", [(-45.5, -60.5 + i / 50) for i in range(n)])
    frame = pd.DataFrame(rows)
    points = [Point(lo, la) for la, lo in zip(frame.pop("lat"), frame.pop("lon"), strict=True)]
    points[5] = Point()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")


@pytest.mark.parametrize("kind", ["native", "mercator", "geopackage"])
def test_ingest_and_run_count_the_empty_point_in_quarantine(tmp_path, kind):
    track = _track()
    if kind == "geopackage":
        path = tmp_path / "track.gpkg"
        track.to_file(path, driver="GPKG")
    else:
        path = tmp_path / "track.parquet"
        (track if kind == "native" else track.to_crs("EPSG:3857")).to_parquet(
            path, geometry_encoding="geoarrow"
        )
    runner = CliRunner()
    store = tmp_path / "store"
    ingested = runner.invoke(app, ["ingest", str(path), "--store", str(store)])
    assert ingested.exit_code == 0, ingested.output
    ran = runner.invoke(app, ["run", "--store", str(store), "--out", str(tmp_path / "o")])
    assert ran.exit_code == 0, ran.output
    counts = json.loads((tmp_path / "o" / "ingest_report.json").read_text())
    assert counts["rows_in"] == 48
    assert counts["quarantined_by_reason"].get("empty_geometry") == 1
    quarantine = pd.read_parquet(tmp_path / "o" / "quarantine.parquet")
    empty = quarantine[quarantine["reason"] == "empty_geometry"]
    assert empty[["source", "line", "mmsi"]].values.tolist() == [[path.name, 6.0, "412000001"]]
    positions = gpd.read_parquet(tmp_path / "o" / "positions.parquet")
    assert positions.crs.to_epsg() == 4326
    assert positions["lon"].min() == pytest.approx(-60.5, abs=1e-9)
    assert (positions.geometry.x - positions["lon"]).abs().max() < 1e-12
    assert schema_errors(geo_metadata(tmp_path / "o" / "positions.parquet")) == []
    # The same file straight into a run gives the same count.
    direct = runner.invoke(app, ["run", "--ais", str(path), "--out", str(tmp_path / "d")])
    assert direct.exit_code == 0, direct.output
    again = json.loads((tmp_path / "d" / "ingest_report.json").read_text())
    assert again["quarantined_by_reason"] == counts["quarantined_by_reason"]
