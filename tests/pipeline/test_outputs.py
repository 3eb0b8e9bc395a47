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


def test_the_squid_run_predicts_next_ports_from_history_and_a_rerun_revises_them(
    squid_run, tmp_path
):
    """The squid jiggers broadcast no destination: every prediction comes from the
    vessel's own port calls; recording the same predictions again revises each row."""
    import shutil

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tests.builders import shared_file
    from vessel_risk.alerts.arrival_store import record_arrivals
    from vessel_risk.db.engine import make_engine
    from vessel_risk.db.tables import ExpectedArrival
    from vessel_risk.events.arrival_runs import predict_arrivals, vessel_states
    from vessel_risk.geo.ports import read_ports

    out, _ = squid_run
    shutil.copy(out / "vessel_risk.db", tmp_path / "copy.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    with Session(engine) as s:
        rows = s.scalars(select(ExpectedArrival)).all()
        assert len(rows) == 65
        assert {r.method for r in rows} == {"history"}
        assert {r.status for r in rows} == {"expected"}
        assert sum(r.alert_id is not None for r in rows) == 53
        assert sum(bool(r.detail["insufficient_data"]) for r in rows) == 49
    ports = read_ports(shared_file("data", "ports", "gfw_named_anchorages.csv.gz"))
    features = pd.read_parquet(out / "vessel_features.parquet")
    visits = pd.read_parquet(out / "port_visits.parquet")
    predictions = predict_arrivals(vessel_states(features), visits, ports)
    with Session(engine) as s, s.begin():
        counts = record_arrivals(s, predictions, run_id=None, visits=visits)
    assert (counts["revised"], counts["added"]) == (65, 0)
    engine.dispose()


def test_a_large_event_table_is_written_in_chunks_as_it_is_written_whole(tmp_path, monkeypatch):
    """Gaps checked and written 10 rows at a time give the file written at once: the same
    rows and the whole table's bounding box."""
    import numpy as np

    from tests.builders import make_gaps
    from vessel_risk.events.schemas import GapSchema
    from vessel_risk.geo.geoparquet import write_geoparquet
    from vessel_risk.pipeline import outputs

    gaps = pd.concat([make_gaps()] * 25, ignore_index=True)
    gaps["start_lon"] = np.linspace(-170.0, 170.0, 25)
    gaps["start_lat"] = np.linspace(-60.0, 75.0, 25)
    gaps.loc[24, ["start_lat", "start_lon"]] = np.nan  # the last one unlocated
    whole, chunked = tmp_path / "whole.parquet", tmp_path / "chunked.parquet"
    write_geoparquet(GapSchema.validate(gaps), whole, lon="start_lon", lat="start_lat")
    monkeypatch.setattr(outputs, "EVENT_CHUNK_ROWS", 10)
    outputs._write_events_in_chunks(gaps, GapSchema, chunked, lon="start_lon", lat="start_lat")
    assert pq.ParquetFile(chunked).num_row_groups == 3
    pd.testing.assert_frame_equal(pd.read_parquet(chunked), pd.read_parquet(whole))
    box = geo_metadata(chunked)["columns"]["geometry"]["bbox"]
    assert box == geo_metadata(whole)["columns"]["geometry"]["bbox"]
    assert box == [-170.0, -60.0, gaps.loc[23, "start_lon"], gaps.loc[23, "start_lat"]]


def test_gaps_stacked_in_place_equal_the_stacked_events(tmp_path):
    """stack_events places each partition's gaps into the run's table and drops them:
    the same table as Events.stack, to the bit, with every column type."""
    import copy

    import numpy as np

    from tests.builders import make_gaps, make_visits
    from vessel_risk.pipeline.outputs import stack_events
    from vessel_risk.pipeline.stages import Events

    def part(mmsis: list[str], hours: list[int]) -> Events:
        gaps = pd.concat([make_gaps()] * len(mmsis), ignore_index=True)
        gaps["mmsi"] = pd.Series(mmsis, dtype="str")
        gaps["track_id"] = np.arange(len(mmsis), dtype="int64") % 2
        gaps["start"] += pd.to_timedelta(hours, unit="h")
        gaps.loc[0, "distance_km"] = np.nan
        visits = make_visits().assign(mmsi=mmsis[0])
        empty = pd.DataFrame({"mmsi": pd.Series([], dtype="str")})
        return Events(visits, empty, gaps, empty, empty, empty, empty)

    untyped = Events(*(pd.DataFrame({"mmsi": []}) for _ in range(7)))
    parts = [
        part(["412000003", "412000001", "412000003"], [1, 2, 3]),
        untyped,
        part(["412000002", "412000001"], [4, 5]),
    ]
    want_parts = copy.deepcopy(parts)
    want = Events.stack(copy.deepcopy(parts), pd.DataFrame())
    got = stack_events(parts, pd.DataFrame())
    assert all(p.gaps.empty for p in parts)  # taken
    pd.testing.assert_frame_equal(got.gaps, want.gaps, check_exact=True)
    assert got.gaps["mmsi"].tolist() == ["412000001"] * 2 + ["412000002"] + ["412000003"] * 2
    assert got.gaps["start"].dt.hour.tolist() == [2, 5, 4, 1, 3]  # stable within an MMSI
    pd.testing.assert_frame_equal(got.visits, want.visits)

    # as a run stacks them: each partition task wrote its gaps to a work file
    from vessel_risk.pipeline.tasks import gaps_file, write_atomic

    again = copy.deepcopy(parts)
    files = []
    for n, p in enumerate(copy.deepcopy(want_parts)):
        files.append(gaps_file(tmp_path, n))
        write_atomic(p.gaps, files[-1])
    from_files = stack_events(again, pd.DataFrame(), files)
    pd.testing.assert_frame_equal(from_files.gaps, want.gaps, check_exact=True)
