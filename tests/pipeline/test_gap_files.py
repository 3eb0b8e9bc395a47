"""The run's gaps read from the partitions' work files equal the stacked table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from tests.builders import make_gaps, make_visits
from vessel_risk.alerts.evidence import evidence_events, evidence_row_chunks
from vessel_risk.pipeline import gap_files, outputs
from vessel_risk.pipeline.gap_files import GapFiles
from vessel_risk.pipeline.stages import Events
from vessel_risk.pipeline.tasks import gaps_file, write_atomic


def _part_gaps(mmsis: list[str], hours: list[int], seed: int) -> pd.DataFrame:
    gaps = pd.concat([make_gaps()] * len(mmsis), ignore_index=True)
    gaps["mmsi"] = pd.Series(mmsis, dtype="str")
    gaps["track_id"] = np.arange(len(mmsis), dtype="int64") % 2
    gaps["start"] += pd.to_timedelta(hours, unit="h")
    gaps["end"] += pd.to_timedelta(hours, unit="h")
    rng = np.random.default_rng(seed)
    gaps["start_lon"] = rng.uniform(-170, 170, len(mmsis))
    gaps["start_lat"] = rng.uniform(-60, 70, len(mmsis))
    gaps["gap_class"] = rng.choice(["likely_disabling", "coverage", "other"], len(mmsis))
    gaps.loc[0, "distance_km"] = np.nan
    return gaps


def _files(tmp_path):
    """Three partitions' gap files (one empty, untyped) and the table Events.stack makes."""
    parts = [
        _part_gaps(["412000003", "412000001", "412000003", "412000005"], [1, 2, 3, 9], 1),
        pd.DataFrame({"mmsi": []}),
        _part_gaps(
            ["412000002", "412000001", "412000004", "412000004", "412000006"], [4, 5, 6, 7, 8], 2
        ),
    ]  # fmt: skip
    empty = pd.DataFrame({"mmsi": pd.Series([], dtype="str")})
    want = Events.stack([Events(empty, empty, g, empty, empty, empty, empty) for g in parts], empty)
    files = []
    for n, g in enumerate(parts):
        files.append(gaps_file(tmp_path, n))
        write_atomic(g, files[-1])
    return files, want.gaps


def test_gap_files_read_in_windows_equal_the_stacked_gaps(tmp_path, monkeypatch):
    """Windows, whole columns and rows taken in any order equal Events.stack's gaps, to
    the bit, whatever the window size (2 rows: every read crosses windows)."""
    files, want = _files(tmp_path)
    monkeypatch.setattr(gap_files, "GAP_WINDOW_ROWS", 2)
    gaps = GapFiles.open(files)
    assert gaps is not None and len(gaps) == 9
    assert list(gaps.columns) == list(want.columns)
    pd.testing.assert_frame_equal(gaps.window(0, 9), want, check_exact=True)
    got = pd.concat(list(gaps.windows(4)), ignore_index=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    pd.testing.assert_frame_equal(gaps.key_frame(), want[["mmsi", "track_id", "start"]])
    at = np.array([8, 0, 3, 3, 7, 1, 5], dtype="int64")
    pd.testing.assert_frame_equal(
        gaps.take(at), want.iloc[at].reset_index(drop=True), check_exact=True
    )
    pd.testing.assert_frame_equal(
        gaps.take(at, ["gap_class", "end_lat"]),
        want.iloc[at][["gap_class", "end_lat"]].reset_index(drop=True),
    )
    assert gaps.key_frame()["mmsi"].tolist() == [
        "412000001", "412000001", "412000002", "412000003", "412000003",
        "412000004", "412000004", "412000005", "412000006",
    ]  # fmt: skip


def test_gap_files_differing_or_empty_are_left_to_the_frames(tmp_path):
    """Files of other columns or types, or none with a row, give None (stacked as frames)."""
    a, b = tmp_path / "a.arrow", tmp_path / "b.arrow"
    write_atomic(make_gaps(), a)
    write_atomic(make_gaps().assign(positions_12h_before=1.5), b)
    assert GapFiles.open([a, b]) is None
    write_atomic(make_gaps().iloc[:0], b)
    assert GapFiles.open([b]) is None
    assert len(GapFiles.open([a, b]) or []) == 1


def test_gaps_parquet_written_from_the_files_equals_the_stacked_write(tmp_path, monkeypatch):
    """gaps.parquet written window by window from the work files is the file written from
    the stacked table: the same rows, row groups and bounding box (chunked and whole)."""
    files, want = _files(tmp_path)
    gaps = GapFiles.open(files)
    assert gaps is not None
    for rows, groups in ((4, 3), (200_000, 1)):
        monkeypatch.setattr(outputs, "EVENT_CHUNK_ROWS", rows)
        stacked, from_files = tmp_path / f"s{rows}.parquet", tmp_path / f"f{rows}.parquet"
        outputs._write_events_in_chunks(
            want, outputs.GapSchema, stacked, lon="start_lon", lat="start_lat"
        )
        outputs._write_gap_files(gaps, from_files)
        assert pq.ParquetFile(from_files).num_row_groups == groups
        pd.testing.assert_frame_equal(
            pd.read_parquet(from_files), pd.read_parquet(stacked), check_exact=True
        )
        geo = pq.read_schema(from_files).metadata[b"geo"]
        assert geo == pq.read_schema(stacked).metadata[b"geo"]


def test_evidence_read_from_gap_files_equals_evidence_from_the_frame(tmp_path, monkeypatch):
    """The evidence of alerts built from the gap files (a RowSource) equals the evidence
    built from the stacked frame: order, columns, details and chunks."""
    files, want = _files(tmp_path)
    monkeypatch.setattr(gap_files, "GAP_WINDOW_ROWS", 3)
    gaps = GapFiles.open(files)
    assert gaps is not None
    visits = make_visits().assign(mmsi="412000004")
    none = pd.DataFrame()
    from_frame = evidence_events(visits, want, none, none)
    from_files = evidence_events(visits, gaps, none, none)
    np.testing.assert_array_equal(from_files.rows, from_frame.rows)
    np.testing.assert_array_equal(from_files.kinds, from_frame.kinds)
    pd.testing.assert_frame_equal(from_files.frame(), from_frame.frame())
    scores = {("412000001", 1, 2022): 7, ("412000004", 0, 2022): 9, ("412000004", 1, 2022): 10}
    got = list(evidence_row_chunks(from_files, scores, 2))
    expected = list(evidence_row_chunks(from_frame, scores, 2))
    assert len(got) == len(expected) == 3
    for (a, da), (b, db) in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(a, b)
        assert da == db
    # 2 gaps of 412000001 (track 1); of 412000004, 2 visits and a gap (track 0), a gap (1)
    assert sum(len(c) for c, _ in got) == 6
