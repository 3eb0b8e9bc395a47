"""Frame schemas, declared once and reused by every stage, test and output.

Each schema is a pandera ``DataFrameModel``; ``validate(frame)`` checks column names,
dtypes and value ranges and raises :class:`pandera.errors.SchemaError` on a mismatch.
Units are in the column names (``_km``, ``_h``); times are timezone-aware UTC.
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from vessel_risk.frames import UTC_NS, StrictSchema


class IngestPositionSchema(StrictSchema):
    """One position report as read, before cleaning (``IngestResult.positions``).

    Every reader (CSV dialects, Parquet, GeoParquet, raw NMEA) yields these columns.
    Values are as sent: "not available" codes (lat 91, SOG 102.3, heading 511) are
    still there, cleaning nulls them. ``timestamp`` is missing only for raw NMEA
    without a receive time; cleaning quarantines those rows.
    """

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    timestamp: Series[UTC_NS] = pa.Field(nullable=True)  # type: ignore[valid-type]
    lat: Series[float] = pa.Field(nullable=True)
    lon: Series[float] = pa.Field(nullable=True)
    speed_knots: Series[float] = pa.Field(nullable=True)
    course: Series[float] = pa.Field(nullable=True)
    heading: Series[float] = pa.Field(nullable=True)
    shipname: Series[str] = pa.Field(nullable=True)
    callsign: Series[str] = pa.Field(nullable=True)
    imo: Series[str] = pa.Field(nullable=True)
    shiptype: Series[str] = pa.Field(nullable=True)
    ais_class: Series[str] = pa.Field(isin=["A", "B"], nullable=True)
    nnet_score: Series[float] = pa.Field(nullable=True)
    line: Series[float] = pa.Field(nullable=True)
    source: Series[str]


class StaticReportSchema(StrictSchema):
    """One static (identity) report without a position (``IngestResult.static``).

    AIS types 5 and 24 (or their rows in decoded exports); a type 24 row carries
    both halves once joined by MMSI (:func:`vessel_risk.ingest.nmea.join_class_b_halves`).
    """

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    timestamp: Series[UTC_NS] = pa.Field(nullable=True)  # type: ignore[valid-type]
    shipname: Series[str] = pa.Field(nullable=True)
    callsign: Series[str] = pa.Field(nullable=True)
    imo: Series[str] = pa.Field(nullable=True)
    shiptype: Series[str] = pa.Field(nullable=True)
    destination: Series[str] = pa.Field(nullable=True)
    ais_class: Series[str] = pa.Field(isin=["A", "B"], nullable=True)
    line: Series[float] = pa.Field(nullable=True)
    source: Series[str]


class QuarantineSchema(StrictSchema):
    """One row that was not kept, with where it came from and why."""

    source: Series[str]
    line: Series[float] = pa.Field(nullable=True)
    mmsi: Series[str] = pa.Field(nullable=True)
    reason: Series[str]
    raw: Series[str] = pa.Field(nullable=True)
