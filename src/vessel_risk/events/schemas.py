"""Schemas of the frames the event stages produce and read.

:class:`EnrichedPositionSchema` is the positions frame every event stage reads: the
ingested positions once cleaned, with distances, the nearest port, ``in_port`` and (with
EEZ polygons) the zone. Stages read these columns; none recomputes them with defaults of
its own. The other schemas declare the event tables written by a run. Column names are
constants of the schema: ``EnrichedPositionSchema.in_port == "in_port"``.

Every per-vessel event table carries ``track_id`` next to ``mmsi``: the transmitter track
within the MMSI the event belongs to (0 for an MMSI's only or first track, and for every
event of positions without ``track_id``). The detectors always write it; the schemas
declare it optional so that frames of one track per MMSI built without it still validate.
"""

from __future__ import annotations

from typing import Optional

import pandera.pandas as pa
from pandera.typing import Series

from vessel_risk.frames import UTC_NS, StrictSchema
from vessel_risk.ingest.schemas import IngestPositionSchema


class PositionSchema(StrictSchema):
    """One cleaned AIS position report (``positions.parquet``).

    A row whose position was sent as "not available" (lat 91 / lon 181, or 0, 0) keeps
    its time with NaN ``lat``/``lon``: its time still counts for gaps and last-seen.
    ``track_id`` is the transmitter track within the MMSI (0 = the first heard).
    """

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    track_id: Series[int] = pa.Field(ge=0)
    timestamp: Series[UTC_NS]  # type: ignore[valid-type]
    lat: Series[float] = pa.Field(ge=-90, le=90, nullable=True)
    lon: Series[float] = pa.Field(ge=-180, le=180, nullable=True)
    speed_knots: Series[float] = pa.Field(ge=0, lt=102.3, nullable=True)
    course: Series[float] = pa.Field(ge=0, lt=360, nullable=True)
    heading: Series[float] = pa.Field(ge=0, lt=360, nullable=True)
    distance_from_shore_km: Series[float] = pa.Field(ge=0, nullable=True)
    distance_from_port_km: Series[float] = pa.Field(ge=0, nullable=True)


class EnrichedPositionSchema(IngestPositionSchema):
    """One cleaned position with what every event stage reads (the "distances" stage).

    Rows are sorted by ``mmsi``, ``track_id`` (where present) then ``timestamp``. Made by
    :func:`vessel_risk.events.enrich.enrich_positions` from cleaned positions
    (:func:`vessel_risk.events.clean.clean_positions`, which adds
    ``distance_from_shore_km``).

    Attributes
    ----------
    distance_from_shore_km : km to the nearest coast on the 0.1° grid, negative on land.
    distance_from_port_km : km to the nearest port or anchorage of the run's port list.
    port_index : row of that port in the port list (-1 where there is no position).
    segment_km : geodesic km from the vessel track's previous located position (0 at its
        first).
    in_port : inside a port visit, by GFW's anchorage rule (enter within 3 km, leave
        beyond 4 km: :mod:`vessel_risk.events.port_visits`); after a silence longer than
        :data:`vessel_risk.geo.tracks.MAX_SILENCE_H` the state starts afresh.
    eez_iso3 : ISO 3166-1 alpha-3 of the EEZ the position lies in, null on the high
        seas; present only when the run has EEZ polygons.
    track_id : transmitter track within the MMSI (0 = the first); absent means one
        track per MMSI.
    """

    distance_from_shore_km: Series[float] = pa.Field(nullable=True)
    distance_from_port_km: Series[float] = pa.Field(ge=0, nullable=True)
    port_index: Series[int] = pa.Field(ge=-1)
    segment_km: Series[float] = pa.Field(ge=0, nullable=True)
    in_port: Series[bool]
    eez_iso3: Optional[Series[str]] = pa.Field(nullable=True)  # noqa: UP045 (pandera)
    track_id: Optional[Series[int]] = pa.Field(ge=0)  # noqa: UP045 (pandera)


class PortVisitSchema(StrictSchema):
    """One port visit (``port_visits.parquet``) of one vessel track (``mmsi``, ``track_id``).

    A visit never spans a silence longer than
    :data:`vessel_risk.geo.tracks.MAX_SILENCE_H` (24 h).
    """

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    track_id: Optional[Series[int]] = pa.Field(ge=0)  # noqa: UP045 (pandera)
    port_label: Series[str]
    port_iso3: Series[str] = pa.Field(nullable=True)
    start: Series[UTC_NS]  # type: ignore[valid-type]
    end: Series[UTC_NS]  # type: ignore[valid-type]
    duration_h: Series[float] = pa.Field(ge=0)


class VoyageSchema(StrictSchema):
    """One voyage between port visits (``voyages.parquet``).

    ``from_port`` is null where the data starts at sea, ``to_port`` where it ends at sea.
    One vessel track's (``mmsi``, ``track_id``); time in port across a silence is no voyage.
    """

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    track_id: Optional[Series[int]] = pa.Field(ge=0)  # noqa: UP045 (pandera)
    from_port: Series[str] = pa.Field(nullable=True)
    to_port: Series[str] = pa.Field(nullable=True)
    start: Series[UTC_NS]  # type: ignore[valid-type]
    end: Series[UTC_NS]  # type: ignore[valid-type]
    duration_h: Series[float] = pa.Field(ge=0)
    distance_km: Series[float] = pa.Field(ge=0)


class GapSchema(StrictSchema):
    """One AIS gap of at least the threshold length (``gaps.parquet``), within one vessel
    track (``mmsi``, ``track_id``)."""

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    track_id: Optional[Series[int]] = pa.Field(ge=0)  # noqa: UP045 (pandera)
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


class LoiteringSchema(StrictSchema):
    """One loitering event (``loitering.parquet``) of one vessel track; it never spans a
    silence of 12 h or more (within :data:`vessel_risk.geo.tracks.MAX_SILENCE_H`)."""

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    track_id: Optional[Series[int]] = pa.Field(ge=0)  # noqa: UP045 (pandera)
    start: Series[UTC_NS]  # type: ignore[valid-type]
    end: Series[UTC_NS]  # type: ignore[valid-type]
    duration_h: Series[float] = pa.Field(ge=0)
    lat: Series[float]
    lon: Series[float]
    distance_from_shore_km: Series[float]
    median_speed_knots: Series[float] = pa.Field(ge=0)
    carrier: Series[bool]


class EncounterSchema(StrictSchema):
    """One side of an encounter (``encounters.parquet``: two rows per encounter).

    ``track_id`` is this side's transmitter track, ``other_track_id`` the other side's;
    the two sides are always two MMSIs (two tracks of one MMSI are never an encounter).
    """

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    track_id: Optional[Series[int]] = pa.Field(ge=0)  # noqa: UP045 (pandera)
    other_mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    other_track_id: Optional[Series[int]] = pa.Field(ge=0)  # noqa: UP045 (pandera)
    start: Series[UTC_NS]  # type: ignore[valid-type]
    end: Series[UTC_NS]  # type: ignore[valid-type]
    duration_h: Series[float] = pa.Field(ge=0)
    lat: Series[float]
    lon: Series[float]
    median_distance_m: Series[float] = pa.Field(ge=0)
    median_speed_knots: Series[float] = pa.Field(ge=0)
    other_is_carrier: Series[bool]
