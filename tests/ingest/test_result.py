"""``IngestResult.from_frame``: a notebook's own DataFrame ingested as a file would be."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.builders import ping, squid_slice
from vessel_risk.ingest import IngestResult, UnknownDialectError, read_many


def test_a_frame_is_read_like_the_same_rows_in_a_file(tmp_path):
    path = squid_slice(tmp_path / "slice.parquet")
    frame = pd.read_parquet(path)
    from_frame = IngestResult.from_frame(frame, source="my frame")
    from_file = read_many([path])
    assert from_frame.balanced
    assert from_frame.rows_in == len(frame)
    assert len(from_frame.positions) == len(from_file.positions) > 10_000
    assert len(from_frame.quarantine) == len(from_file.quarantine)
    cols = ["mmsi", "timestamp", "lat", "lon", "speed_knots"]
    pd.testing.assert_frame_equal(from_frame.positions[cols], from_file.positions[cols])
    assert set(from_frame.positions["source"]) == {"my frame"}
    assert from_frame.files[0]["source"] == "my frame"


def test_bad_rows_are_quarantined_with_a_reason_and_counted():
    frame = pd.DataFrame(
        [
            ping("412000001", "2024-01-01T00:00:00Z", 5.5, 104.0, 3.0),
            ping("412000001", "yesterday", 5.6, 104.0, 3.0),
            ping("", "2024-01-01T02:00:00Z", 5.5, 104.0, 3.0),
        ]
    )
    result = IngestResult.from_frame(frame)
    assert len(result.positions) == 1
    assert len(result.quarantine) == 2
    assert result.quarantine["reason"].notna().all()
    assert result.balanced


def test_a_frame_that_is_not_ais_is_a_clear_error():
    with pytest.raises(UnknownDialectError):
        IngestResult.from_frame(pd.DataFrame({"colour": ["red"], "size": [3]}))
    with pytest.raises(ValueError, match="empty"):
        IngestResult.from_frame(pd.DataFrame({"mmsi": [], "lat": []}))
