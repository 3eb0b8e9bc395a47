"""The vessel-year features frame (``vessel_features.parquet``), declared once.

:class:`VesselFeatureSchema` names GFW's forced-labour features with their units
(``_km``, ``_h``) and ranges; ``validate(frame)`` raises
:class:`pandera.errors.SchemaError` on a mismatch. Meanings and sources are in
:mod:`vessel_risk.features.catalogue` and ``docs/features.md``.
"""

from __future__ import annotations

from typing import Optional

import pandera.pandas as pa
from pandera.typing import Series

from vessel_risk.frames import UTC_NS, StrictSchema
from vessel_risk.identity.vessel_class import VESSEL_CLASS_SOURCES, VESSEL_CLASSES


class VesselFeatureSchema(StrictSchema):
    """One vessel-year of features (``vessel_features.parquet``).

    Names follow Global Fishing Watch's forced-labour feature table where one exists
    (``position_messages`` ... ``number_voyages``); the identity and coverage columns
    are ours. ``docs/features.md`` defines every column and gives its source.

    Null means unknown: event counts are float so that a thin vessel-year can leave
    them null (:mod:`vessel_risk.features.coverage`); ``position_messages``,
    ``days_observed`` and ``observed_share`` give every row's coverage.
    """

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    track_id: Series[int] = pa.Field(ge=0)
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
    number_voyages: Series[float] = pa.Field(ge=0, nullable=True)
    average_voyage_duration_hours: Series[float] = pa.Field(ge=0, nullable=True)
    max_voyage_duration_hours: Series[float] = pa.Field(ge=0, nullable=True)
    number_port_visits: Series[float] = pa.Field(ge=0, nullable=True)
    number_foreign_port_visits: Series[float] = pa.Field(ge=0, nullable=True)
    number_poc_port_visits: Series[float] = pa.Field(ge=0, nullable=True)
    gaps_12_hours: Series[float] = pa.Field(ge=0, nullable=True)
    gaps_12_hours_all: Series[float] = pa.Field(ge=0, nullable=True)
    gaps_12_hours_offshore: Series[float] = pa.Field(ge=0, nullable=True)
    average_gap_days: Series[float] = pa.Field(ge=0, nullable=True)
    average_gap_km: Series[float] = pa.Field(ge=0, nullable=True)
    average_off_distance_from_shore_km: Series[float] = pa.Field(nullable=True)
    number_encounters: Series[float] = pa.Field(ge=0, nullable=True)
    number_carrier_encounters: Series[float] = pa.Field(ge=0, nullable=True)
    average_encounter_duration_hours: Series[float] = pa.Field(ge=0, nullable=True)
    number_loitering_events: Series[float] = pa.Field(ge=0, nullable=True)
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
    observed_share: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    first_timestamp: Series[UTC_NS]  # type: ignore[valid-type]
    last_timestamp: Series[UTC_NS]  # type: ignore[valid-type]
    last_lat: Series[float] = pa.Field(nullable=True)
    last_lon: Series[float] = pa.Field(nullable=True)
    fishing_source: Series[str] = pa.Field(
        isin=["nnet_score", "classifier", "heuristic"], nullable=True
    )
    max_simultaneous_transmitters: Series[int] = pa.Field(ge=1)
    # Which vessel it is (vessel_risk.identity.identify): present in a run's table;
    # vessel_year_features alone leaves them out.
    vessel_id: Optional[Series[str]] = pa.Field(str_matches=r"^[0-9a-f]{16}$")  # noqa: UP045
    flag_inferred_iso3: Optional[Series[str]] = pa.Field(nullable=True)  # noqa: UP045
    flag_inferred_source: Optional[Series[str]]  # noqa: UP045
    flag_inferred_confidence: Optional[Series[float]] = pa.Field(  # noqa: UP045
        ge=0, le=1, nullable=True
    )
    identity_renamings: Optional[Series[int]] = pa.Field(ge=0)  # noqa: UP045
    identity_reflaggings: Optional[Series[int]] = pa.Field(ge=0)  # noqa: UP045
    identity_mmsi_changes: Optional[Series[int]] = pa.Field(ge=0)  # noqa: UP045
    identity_new_names: Optional[Series[str]] = pa.Field(nullable=True)  # noqa: UP045
    vessel_class: Optional[Series[str]] = pa.Field(isin=list(VESSEL_CLASSES))  # noqa: UP045
    vessel_class_source: Optional[Series[str]] = pa.Field(  # noqa: UP045
        isin=list(VESSEL_CLASS_SOURCES)
    )
    vessel_class_evidence: Optional[Series[str]]  # noqa: UP045
