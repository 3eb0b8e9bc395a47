"""The frames ingest yields, declared once, and the names of their columns.

Each schema is a pandera ``DataFrameModel``; ``validate(frame)`` checks column names,
dtypes and value ranges and raises :class:`pandera.errors.SchemaError` on a mismatch.
Times are timezone-aware UTC. The column lists of the frames
(:data:`POSITION_COLUMNS`, :data:`STATIC_COLUMNS`, :data:`QUARANTINE_COLUMNS`) are read
from the schemas; the groups readers work with (:data:`CANONICAL`,
:data:`IDENTITY_FIELDS`, ...) are declared here beside them, once.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from vessel_risk.frames import UTC_NS, StrictSchema


class IngestPositionSchema(StrictSchema):
    """One position report as read, before cleaning (``IngestResult.positions``).

    Every reader (CSV dialects, Parquet, GeoParquet, raw NMEA) yields these columns.
    Values are as sent: "not available" codes (lat 91, SOG 102.3, heading 511) are
    still there, cleaning nulls them. ``timestamp`` is missing only for raw NMEA
    without a receive time; cleaning quarantines those rows. ``shiptype`` is the AIS
    ship type code as text ("30"), a decoder's category name mapped to its code
    ("Fishing" -> "30", :data:`~vessel_risk.identity.vessel_class.SHIPTYPE_NAMES`);
    ``is_fishing_vessel`` is Global Fishing Watch's per-vessel flag where the file has
    it (NA elsewhere).
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
    is_fishing_vessel: Series[pd.BooleanDtype] = pa.Field(nullable=True)
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


def _fields(schema: type[StrictSchema]) -> list[str]:
    """The columns ``schema`` declares, in order.

    Read from the class's own annotations (these schemas inherit no column): the names
    of ``to_schema().columns`` without building the pandera schema at import.
    ``tests/ingest/test_schemas.py`` checks that both agree.
    """
    return list(schema.__annotations__)


POSITION_COLUMNS = _fields(IngestPositionSchema)
"""Columns of ``IngestResult.positions``, as :class:`IngestPositionSchema` orders them."""
STATIC_COLUMNS = _fields(StaticReportSchema)
"""Columns of ``IngestResult.static``, as :class:`StaticReportSchema` orders them."""
QUARANTINE_COLUMNS = _fields(QuarantineSchema)
"""Columns of ``IngestResult.quarantine``, as :class:`QuarantineSchema` orders them."""

CANONICAL = ["mmsi", "timestamp", "lat", "lon", "speed_knots", "course", "heading"]
"""The canonical dialect's columns: what every position report carries."""
IDENTITY_FIELDS = ["shipname", "callsign", "imo", "shiptype"]
"""Fields that say who a vessel is; a row without a position is kept if it has one."""
NUMERIC = ["lat", "lon", "speed_knots", "course", "heading"]
"""Columns read as numbers; text that is not a number quarantines the row."""
OPTIONAL_NUMERIC = ["nnet_score"]
"""Numeric columns some dialects carry (GFW's fishing score); NaN where absent."""
OPTIONAL_BOOLEAN = ["is_fishing_vessel"]
"""True/false columns some dialects carry (GFW's ``is_fishing_vessel``, its vessel
classification); NA where absent. Text that is not true or false quarantines the row."""
EXTRA_TEXT = ["ais_class", "destination"]
"""Text columns kept besides the identity fields."""
STANDARD_COLUMNS = [
    *CANONICAL,
    *IDENTITY_FIELDS,
    *OPTIONAL_NUMERIC,
    *OPTIONAL_BOOLEAN,
    *EXTRA_TEXT,
    "msg_type",
]
"""The columns a file is read into, under these names, before its rows are judged."""
