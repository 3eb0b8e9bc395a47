"""The column lists of the ingest frames are the schemas', and the groups compose them."""

from __future__ import annotations

from vessel_risk.frames import columns
from vessel_risk.ingest.schemas import (
    CANONICAL,
    IDENTITY_FIELDS,
    NUMERIC,
    OPTIONAL_BOOLEAN,
    OPTIONAL_NUMERIC,
    POSITION_COLUMNS,
    QUARANTINE_COLUMNS,
    STANDARD_COLUMNS,
    STATIC_COLUMNS,
    IngestPositionSchema,
    QuarantineSchema,
    StaticReportSchema,
)


def test_column_lists_are_what_pandera_reads_from_the_schemas():
    # The lists are read from the classes' annotations, without building the schema.
    assert POSITION_COLUMNS == columns(IngestPositionSchema)
    assert STATIC_COLUMNS == columns(StaticReportSchema)
    assert (
        QUARANTINE_COLUMNS
        == columns(QuarantineSchema)
        == [
            "source",
            "line",
            "mmsi",
            "reason",
            "raw",
        ]
    )


def test_column_groups_compose_the_frames():
    assert POSITION_COLUMNS == [
        *CANONICAL,
        *IDENTITY_FIELDS,
        "ais_class",
        "nnet_score",
        "is_fishing_vessel",
        "line",
        "source",
    ]
    assert STATIC_COLUMNS == [
        "mmsi",
        "timestamp",
        *IDENTITY_FIELDS,
        "destination",
        "ais_class",
        "line",
        "source",
    ]
    assert CANONICAL == ["mmsi", "timestamp", *NUMERIC]
    # Every column a file is read into that a frame keeps is in the frame's schema.
    kept = set(POSITION_COLUMNS) | set(STATIC_COLUMNS)
    assert set(STANDARD_COLUMNS) - kept == {"msg_type"}
    assert set(OPTIONAL_NUMERIC) <= set(POSITION_COLUMNS)
    assert set(OPTIONAL_BOOLEAN) <= set(POSITION_COLUMNS)
