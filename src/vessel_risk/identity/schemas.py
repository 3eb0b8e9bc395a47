"""The frames the identity stages produce, declared once.

:class:`IdentityHistorySchema` is the identity history
(:func:`vessel_risk.identity.history.identity_history`);
:class:`TransmitterCountSchema` the per vessel-year count of transmitters seen at once
(:func:`vessel_risk.identity.transmitters.simultaneous_transmitters`); the vessel
identities, their links, one-hull pairs and identity events
(:mod:`vessel_risk.identity.vessels`, :mod:`vessel_risk.identity.changes`);
:class:`VesselClassSchema` each vessel's class
(:func:`vessel_risk.identity.vessel_class.classify_vessels`). Times are
timezone-aware UTC.
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from vessel_risk.frames import UTC_NS, StrictSchema
from vessel_risk.identity.vessel_class import VESSEL_CLASS_SOURCES, VESSEL_CLASSES


class IdentityHistorySchema(StrictSchema):
    """One identity value an MMSI broadcast: a name, call sign, IMO, type or destination."""

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    field: Series[str] = pa.Field(isin=["shipname", "callsign", "imo", "shiptype", "destination"])
    value: Series[str]
    first_seen: Series[UTC_NS]  # type: ignore[valid-type]
    last_seen: Series[UTC_NS]  # type: ignore[valid-type]
    messages: Series[int] = pa.Field(ge=1)


class TransmitterCountSchema(StrictSchema):
    """Per vessel-year: the most transmitters seen broadcasting the MMSI at once."""

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    year: Series[int]
    max_simultaneous_transmitters: Series[int] = pa.Field(ge=1)


class VesselIdSchema(StrictSchema):
    """One MMSI and the vessel it belongs to (:func:`vessel_risk.identity.vessels.link_vessels`)."""

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9}, unique=True)
    vessel_id: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{16}$")


class VesselLinkSchema(StrictSchema):
    """One identity value that linked MMSIs into a vessel, with the rule that linked it."""

    vessel_id: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{16}$")
    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    field: Series[str] = pa.Field(isin=["shipname", "callsign", "imo", "one_hull"])
    value: Series[str]
    first_seen: Series[UTC_NS]  # type: ignore[valid-type]
    last_seen: Series[UTC_NS]  # type: ignore[valid-type]
    evidence: Series[str]


class OneHullPairSchema(StrictSchema):
    """Two MMSIs that are one hull (:func:`vessel_risk.identity.vessels.one_hull_pairs`)."""

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    other_mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    n_encounters: Series[int] = pa.Field(ge=1)
    max_median_distance_m: Series[float] = pa.Field(ge=0)
    first_start: Series[UTC_NS]  # type: ignore[valid-type]
    last_end: Series[UTC_NS]  # type: ignore[valid-type]
    shared_name: Series[str] = pa.Field(nullable=True)
    evidence: Series[str]


class IdentityEventSchema(StrictSchema):
    """Per MMSI and year: the identity events of its vessel
    (:func:`vessel_risk.identity.changes.identity_events`)."""

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9})
    year: Series[int]
    vessel_id: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{16}$")
    identity_renamings: Series[int] = pa.Field(ge=0)
    identity_reflaggings: Series[int] = pa.Field(ge=0)
    identity_mmsi_changes: Series[int] = pa.Field(ge=0)
    identity_new_names: Series[str]


class VesselClassSchema(StrictSchema):
    """Per MMSI: what kind of vessel it is, what decided it, and the evidence."""

    mmsi: Series[str] = pa.Field(str_length={"min_value": 9, "max_value": 9}, unique=True)
    vessel_class: Series[str] = pa.Field(isin=list(VESSEL_CLASSES))
    vessel_class_source: Series[str] = pa.Field(isin=list(VESSEL_CLASS_SOURCES))
    vessel_class_evidence: Series[str]
