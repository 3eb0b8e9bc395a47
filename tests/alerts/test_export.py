"""Alerts written to CSV and GeoJSON (vessel_risk.alerts.export)."""

from __future__ import annotations

import pandas as pd

from tests.builders import make_alert
from vessel_risk.alerts.build import ALERT_SCORE_FIELDS
from vessel_risk.alerts.export import write_alerts_csv


def test_a_ship_name_that_is_a_formula_opens_as_text(tmp_path):
    alerts = [
        make_alert(shipname='=HYPERLINK("http://x","click")'),
        make_alert(mmsi="412000002", shipname="-80%"),
        make_alert(mmsi="412000003", shipname="LURONGYUANYU 715"),
    ]
    write_alerts_csv(alerts, tmp_path / "alerts.csv")
    back = pd.read_csv(tmp_path / "alerts.csv", dtype={"mmsi": str})
    assert back["shipname"].tolist() == [
        '\'=HYPERLINK("http://x","click")',
        "'-80%",
        "LURONGYUANYU 715",
    ]
    # Numbers stay numbers, negative or not.
    assert back["score"].dtype == "float64" and back["year"].tolist() == [2022, 2022, 2022]


def _domain_alerts():
    reason = "days_observed 1 below the training minimum 112"
    return [
        make_alert(model_applies=True, score_percentile=99.5, score_low=0.7, score_high=0.9),
        make_alert(
            mmsi="412000002",
            rank=2,
            model_applies=False,
            model_domain_reason=reason,
            score_percentile=50.0,
            observed_share=0.0111,
        ),
        make_alert(mmsi="412000003", rank=3, model_domain_reason="-outside"),
    ]


def test_alerts_csv_says_where_the_model_applies_and_why_not(tmp_path):
    write_alerts_csv(_domain_alerts(), tmp_path / "alerts.csv")
    back = pd.read_csv(tmp_path / "alerts.csv", dtype={"mmsi": str})
    assert {*ALERT_SCORE_FIELDS} <= set(back.columns)
    assert back["model_applies"].tolist()[:2] == [True, False]
    assert pd.isna(back["model_applies"][2])  # unknown stays empty, never False
    assert back["model_domain_reason"].tolist()[1] == (
        "days_observed 1 below the training minimum 112"
    )
    assert back["model_domain_reason"].tolist()[2] == "'-outside"  # still never a formula
    assert back["score_percentile"].tolist()[:2] == [99.5, 50.0]
    assert (back["score_low"][0], back["score_high"][0]) == (0.7, 0.9)
    assert back["observed_share"].tolist()[1] == 0.0111


def test_alerts_geojson_carries_the_same_fields(tmp_path):
    import json

    from vessel_risk.alerts.export import write_alerts_geojson

    write_alerts_geojson(_domain_alerts(), tmp_path / "alerts.geojson")
    props = [
        f["properties"] for f in json.loads((tmp_path / "alerts.geojson").read_text())["features"]
    ]
    assert [p["model_applies"] for p in props] == [True, False, None]
    assert [p["score_percentile"] for p in props] == [99.5, 50.0, None]
    assert props[1]["observed_share"] == 0.0111


def test_alerts_geoparquet_is_the_flat_table_with_the_last_position_as_point(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    from tests.geoparquet_schema import geo_metadata, schema_errors
    from vessel_risk.alerts.export import alerts_frame, write_alerts_geoparquet

    alerts = [make_alert(), make_alert(mmsi="412000002", rank=2, last_lat=None, last_lon=None)]
    write_alerts_geoparquet(alerts, tmp_path / "alerts.parquet")
    frame = gpd.read_parquet(tmp_path / "alerts.parquet")
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.iloc[0].equals(Point(-70.91, -53.16))
    assert frame.geometry.iloc[1] is None
    flat = alerts_frame(alerts)
    assert list(frame.columns) == [*flat.columns, "geometry"]
    assert frame["mmsi"].tolist() == ["412000001", "412000002"]
    assert frame["indicator_1_reason"].tolist() == ["longest voyage 200 days at sea"] * 2
    geo = geo_metadata(tmp_path / "alerts.parquet")
    assert schema_errors(geo) == []
    assert geo["columns"]["geometry"]["bbox"] == [-70.91, -53.16, -70.91, -53.16]
    write_alerts_geoparquet([], tmp_path / "none.parquet")
    assert len(gpd.read_parquet(tmp_path / "none.parquet")) == 0
