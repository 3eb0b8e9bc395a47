"""EEZ look-up from user polygons (vessel_risk.geo.zones)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from tests.builders import make_track, shared_file, write_csv
from vessel_risk.geo.zones import EezIndex, read_eez


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


def test_run_with_eez_polygons_splits_fishing_hours(tmp_path):
    # A Chinese-flagged (412) jigger fishes hourly eastwards at 45 S, 600 km off
    # Argentina: 6 messages inside a zone "ARG" (west of 58 W), 6 outside it.
    from typer.testing import CliRunner

    from vessel_risk.cli import app

    lons = [-59.4 + 0.25 * i for i in range(12)]
    rows = make_track("412000001", "2024-03-01T00:00:00Z", [(-45.0, lo) for lo in lons])
    for r in rows:
        r["nnet_score"] = 0.9
    ais = write_csv(tmp_path, rows)
    zones = tmp_path / "eez.geojson"
    gpd.GeoDataFrame(
        {"ISO_SOV1": ["ARG"]}, geometry=[box(-70, -50, -58, -40)], crs="EPSG:4326"
    ).to_file(zones)
    ports = tmp_path / "ports.csv"
    ports.write_text("label,iso3,latitude,longitude\nPUERTO DESEADO,ARG,-47.75,-65.9\n")

    def features(*extra: str) -> pd.Series:
        out = tmp_path / ("with" if extra else "without")
        args = ["run", "--ais", str(ais), "--ports", str(ports), "--out", str(out), *extra]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        return pd.read_parquet(out / "vessel_features.parquet").iloc[0]

    f = features("--eez", str(zones))
    # Each message carries the hour to the next; the last carries none.
    assert f["fishing_hours"] == 11.0
    assert f["fishing_hours_foreign_eez"] == 6.0
    assert f["fishing_hours_high_seas"] == 5.0
    # Without polygons: every message is beyond 200 nm from shore; foreign EEZ unknown.
    g = features()
    assert g["fishing_hours_high_seas"] == 11.0 and np.isnan(g["fishing_hours_foreign_eez"])
    bad = CliRunner().invoke(
        app,
        [
            "run",
            "--ais",
            str(ais),
            "--out",
            str(tmp_path / "x"),
            "--eez",
            str(tmp_path / "absent.gpkg"),
        ],
    )
    # The terminal wraps the message at its width: compare the words, not the lines.
    assert bad.exit_code == 2 and "does not exist" in " ".join(bad.output.split())


def test_a_pickled_zone_index_finds_the_same_zones():
    import pickle

    index = EezIndex(_zones())
    copy = pickle.loads(pickle.dumps(index))
    lat, lon = [-17.0, -17.0, -40.0, -30.0], [179.5, -179.5, 170.0, 170.0]
    pd.testing.assert_series_equal(copy.iso3(lat, lon), index.iso3(lat, lon))
    assert copy.iso3(lat, lon).iloc[:3].tolist() == ["FJI", "FJI", "NZL"]
