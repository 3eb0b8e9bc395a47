"""Frame schemas, declared once and reused by every stage, test and output.

Each schema is a pandera ``DataFrameModel``; ``validate(frame)`` checks column names,
dtypes and value ranges and raises :class:`pandera.errors.SchemaError` on a mismatch.
Units are in the column names (``_km``, ``_h``); times are timezone-aware UTC.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

UTC_NS = pd.DatetimeTZDtype("ns", "UTC")


class _Strict(pa.DataFrameModel):
    class Config:
        strict = True
        coerce = True


class PositionSchema(_Strict):
    """One cleaned AIS position report (``positions.parquet``).

    A row whose position was sent as "not available" (lat 91 / lon 181, or 0, 0) keeps
    its time with NaN ``lat``/``lon``: its time still counts for gaps and last-seen.
    """

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    timestamp: Series[UTC_NS]  # type: ignore[valid-type]
    lat: Series[float] = pa.Field(ge=-90, le=90, nullable=True)
    lon: Series[float] = pa.Field(ge=-180, le=180, nullable=True)
    speed_knots: Series[float] = pa.Field(ge=0, lt=102.3, nullable=True)
    course: Series[float] = pa.Field(ge=0, lt=360, nullable=True)
    heading: Series[float] = pa.Field(ge=0, lt=360, nullable=True)
    distance_from_shore_km: Series[float] = pa.Field(ge=0, nullable=True)
    distance_from_port_km: Series[float] = pa.Field(ge=0, nullable=True)


class IngestPositionSchema(_Strict):
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


class StaticReportSchema(_Strict):
    """One static (identity) report without a position (``IngestResult.static``).

    AIS types 5 and 24 (or their rows in decoded exports); a type 24 row carries
    both halves once joined by MMSI (:func:`vessel_risk.nmea.join_class_b_halves`).
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


class PortVisitSchema(_Strict):
    """One port visit (``port_visits.parquet``)."""

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    port_label: Series[str]
    port_iso3: Series[str] = pa.Field(nullable=True)
    start: Series[UTC_NS]  # type: ignore[valid-type]
    end: Series[UTC_NS]  # type: ignore[valid-type]
    duration_h: Series[float] = pa.Field(ge=0)


class VoyageSchema(_Strict):
    """One voyage between port visits (``voyages.parquet``).

    ``from_port`` is null where the data starts at sea, ``to_port`` where it ends at sea.
    """

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    from_port: Series[str] = pa.Field(nullable=True)
    to_port: Series[str] = pa.Field(nullable=True)
    start: Series[UTC_NS]  # type: ignore[valid-type]
    end: Series[UTC_NS]  # type: ignore[valid-type]
    duration_h: Series[float] = pa.Field(ge=0)
    distance_km: Series[float] = pa.Field(ge=0)


class GapSchema(_Strict):
    """One AIS gap of at least the threshold length (``gaps.parquet``)."""

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    start: Series[UTC_NS]  # type: ignore[valid-type]
    end: Series[UTC_NS]  # type: ignore[valid-type]
    duration_h: Series[float] = pa.Field(gt=0)
    start_lat: Series[float] = pa.Field(nullable=True)
    start_lon: Series[float] = pa.Field(nullable=True)
    end_lat: Series[float] = pa.Field(nullable=True)
    end_lon: Series[float] = pa.Field(nullable=True)
    distance_km: Series[float] = pa.Field(ge=0, nullable=True)
    distance_from_shore_km: Series[float] = pa.Field(nullable=True)
    positions_12h_before: Series[int] = pa.Field(ge=1)
    area_messages_per_day: Series[int] = pa.Field(ge=0)
    gap_class: Series[str] = pa.Field(isin=["likely_disabling", "coverage", "other"])


class LoiteringSchema(_Strict):
    """One loitering event (``loitering.parquet``)."""

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    start: Series[UTC_NS]  # type: ignore[valid-type]
    end: Series[UTC_NS]  # type: ignore[valid-type]
    duration_h: Series[float] = pa.Field(ge=0)
    lat: Series[float]
    lon: Series[float]
    distance_from_shore_km: Series[float]
    median_speed_knots: Series[float] = pa.Field(ge=0)
    carrier: Series[bool]


class EncounterSchema(_Strict):
    """One side of an encounter (``encounters.parquet``: two rows per encounter)."""

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    other_mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    start: Series[UTC_NS]  # type: ignore[valid-type]
    end: Series[UTC_NS]  # type: ignore[valid-type]
    duration_h: Series[float] = pa.Field(ge=0)
    lat: Series[float]
    lon: Series[float]
    median_distance_m: Series[float] = pa.Field(ge=0)
    median_speed_knots: Series[float] = pa.Field(ge=0)
    other_is_carrier: Series[bool]


class VesselFeatureSchema(_Strict):
    """One vessel-year of features (``vessel_features.parquet``).

    Names follow Global Fishing Watch's forced-labour feature table where one exists
    (``position_messages`` ... ``number_voyages``); the identity and coverage columns
    are ours. ``docs/features.md`` defines every column and gives its source.
    """

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    year: Series[int] = pa.Field(ge=1990, le=2100)
    position_messages: Series[int] = pa.Field(ge=0)
    hours: Series[float] = pa.Field(ge=0)
    fishing_hours: Series[float] = pa.Field(ge=0, nullable=True)
    fishing_hours_high_seas: Series[float] = pa.Field(ge=0, nullable=True)
    fishing_hours_foreign_eez: Series[float] = pa.Field(ge=0, nullable=True)
    average_daily_fishing_hours: Series[float] = pa.Field(ge=0, le=24, nullable=True)
    distance_traveled_km: Series[float] = pa.Field(ge=0)
    max_distance_from_shore_km: Series[float] = pa.Field(nullable=True)
    max_distance_from_port_km: Series[float] = pa.Field(ge=0, nullable=True)
    number_voyages: Series[int] = pa.Field(ge=0)
    average_voyage_duration_hours: Series[float] = pa.Field(ge=0, nullable=True)
    max_voyage_duration_hours: Series[float] = pa.Field(ge=0, nullable=True)
    number_port_visits: Series[int] = pa.Field(ge=0)
    number_foreign_port_visits: Series[float] = pa.Field(ge=0, nullable=True)
    number_poc_port_visits: Series[float] = pa.Field(ge=0, nullable=True)
    gaps_12_hours: Series[int] = pa.Field(ge=0)
    gaps_12_hours_all: Series[int] = pa.Field(ge=0)
    gaps_12_hours_offshore: Series[int] = pa.Field(ge=0)
    average_gap_days: Series[float] = pa.Field(ge=0, nullable=True)
    average_gap_km: Series[float] = pa.Field(ge=0, nullable=True)
    average_off_distance_from_shore_km: Series[float] = pa.Field(nullable=True)
    number_encounters: Series[int] = pa.Field(ge=0)
    number_carrier_encounters: Series[int] = pa.Field(ge=0)
    average_encounter_duration_hours: Series[float] = pa.Field(ge=0, nullable=True)
    number_loitering_events: Series[int] = pa.Field(ge=0)
    average_loitering_duration_hours: Series[float] = pa.Field(ge=0, nullable=True)
    mmsi_valid: Series[bool]
    flag_iso3: Series[str] = pa.Field(nullable=True)
    shipname: Series[str] = pa.Field(nullable=True)
    n_shipnames: Series[int] = pa.Field(ge=0)
    n_callsigns: Series[int] = pa.Field(ge=0)
    iuu_listed: Series[bool]
    iuu_match: Series[str] = pa.Field(nullable=True)
    days_observed: Series[int] = pa.Field(ge=0)
    positions_per_day: Series[float] = pa.Field(ge=0)
    first_timestamp: Series[UTC_NS]  # type: ignore[valid-type]
    last_timestamp: Series[UTC_NS]  # type: ignore[valid-type]
    last_lat: Series[float] = pa.Field(nullable=True)
    last_lon: Series[float] = pa.Field(nullable=True)
    fishing_source: Series[str] = pa.Field(
        isin=["nnet_score", "classifier", "heuristic"], nullable=True
    )
    max_simultaneous_transmitters: Series[int] = pa.Field(ge=1)


class QuarantineSchema(_Strict):
    """One row that was not kept, with where it came from and why."""

    source: Series[str]
    line: Series[float] = pa.Field(nullable=True)
    mmsi: Series[str] = pa.Field(nullable=True)
    reason: Series[str]
    raw: Series[str] = pa.Field(nullable=True)


def empty_frame(schema: type[pa.DataFrameModel]) -> pd.DataFrame:
    """An empty frame with the columns and dtypes of ``schema``.

    Parameters
    ----------
    schema : pandera DataFrameModel subclass

    Returns
    -------
    DataFrame of shape (0, n_columns)
    """
    cols = schema.to_schema().columns
    return pd.DataFrame(
        {
            name: pd.Series(dtype=str(col.dtype) if col.dtype else "object")
            for name, col in cols.items()
        }
    )


def columns(schema: type[pa.DataFrameModel]) -> list[str]:
    """The ordered column names of ``schema``."""
    return list(schema.to_schema().columns)
