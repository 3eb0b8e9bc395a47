"""Which AIS file this is: its kind from its content, its dialect from its columns.

:func:`sniff` tells the kind of a file from its first bytes, never its name: Parquet
(and GeoParquet) by its magic bytes, raw NMEA 0183 by its sentences
(:mod:`vessel_risk.ingest.nmea`), and otherwise CSV; gzip is looked through.
:func:`detect_dialect` names the dialect of a table from its column names, and
:data:`DIALECT_COLUMNS` renames its columns to the standard ones
(:data:`~vessel_risk.ingest.schemas.STANDARD_COLUMNS`):

* ``gfw``: Global Fishing Watch pipeline exports (parquet or CSV), e.g. the
  squid-jigger file: ``mmsi, timestamp, lat, lon, speed_knots, ..., msg_type``;
* ``gfw_raw``: GFW's raw ``ssvid`` exports (``type,ssvid,timestamp,shipname,
  callsign,lat,lon,speed`` and the wider BigQuery exports with ``msgid, seg_id,
  speed_knots, ...``), whose timestamps may be day-first (``20/12/2020 08:49``);
* ``canonical``: ``mmsi,timestamp,lat,lon,speed_knots,course,heading`` with optional
  ``shipname,callsign,imo,shiptype`` (GFW's names; the cases in ``shared/cases``);
* ``noaa``: NOAA MarineCadastre CSV (``MMSI, BaseDateTime, LAT, LON, SOG, COG,
  Heading, VesselName, IMO, CallSign, VesselType, ...``);
* ``dma``: the Danish Maritime Authority's daily CSV (``# Timestamp,Type of mobile,
  MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,
  Name,Ship type,...``), day-first timestamps;
* ``decoded139``: a satellite provider's fully decoded 139-column dialect
  (``MMSI, Message_ID, ..., Time`` as ``20210701_185151`` plus ``Millisecond``).

Raw NMEA has no columns: its sentences are decoded by :mod:`vessel_risk.ingest.nmea`.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from vessel_risk.ingest.nmea import looks_like_nmea
from vessel_risk.ingest.schemas import STANDARD_COLUMNS
from vessel_risk.ingest.timestamps import _compact_time, _compact_utc

NOAA_COLUMNS = {
    "MMSI": "mmsi",
    "BaseDateTime": "timestamp",
    "LAT": "lat",
    "LON": "lon",
    "SOG": "speed_knots",
    "COG": "course",
    "Heading": "heading",
    "VesselName": "shipname",
    "CallSign": "callsign",
    "IMO": "imo",
    "VesselType": "shiptype",
    "TransceiverClass": "ais_class",
}
GFW_RAW_COLUMNS = {
    "ssvid": "mmsi",
    "speed": "speed_knots",
    "type": "msg_type",
    "AIS_class": "ais_class",
}
GFW_COLUMNS = {"type": "msg_type", "AIS_class": "ais_class"}
DMA_COLUMNS = {
    "Timestamp": "timestamp",
    "Type of mobile": "ais_class",
    "MMSI": "mmsi",
    "Latitude": "lat",
    "Longitude": "lon",
    "SOG": "speed_knots",
    "COG": "course",
    "Heading": "heading",
    "IMO": "imo",
    "Callsign": "callsign",
    "Name": "shipname",
    "Ship type": "shiptype",
    "Destination": "destination",
}
DECODED139_COLUMNS = {
    "MMSI": "mmsi",
    "Message_ID": "msg_type",
    "Latitude": "lat",
    "Longitude": "lon",
    "SOG": "speed_knots",
    "COG": "course",
    "Heading": "heading",
    "Vessel_Name": "shipname",
    "Call_sign": "callsign",
    "IMO": "imo",
    "Ship_Type": "shiptype",
    "Destination": "destination",
}
DIALECT_COLUMNS = {
    "noaa": NOAA_COLUMNS,
    "gfw_raw": GFW_RAW_COLUMNS,
    "gfw": GFW_COLUMNS,
    "dma": DMA_COLUMNS,
    "decoded139": DECODED139_COLUMNS,
    "canonical": {},
}
"""Per dialect, its column names to the standard ones (``STANDARD_COLUMNS``)."""
DAY_FIRST_DIALECTS = frozenset({"gfw_raw", "dma", "gfw"})
GFW_MARKERS = {"msg_type", "seg_id", "distance_from_shore_m", "nnet_score", "msgid"}
SNIFF_BYTES = 65536
"""Bytes (decompressed) read from the head of a file to tell its kind."""


class UnknownDialectError(ValueError):
    """The columns of an AIS file match none of the dialects ingest reads."""


def detect_dialect(columns: list[str]) -> str:
    """Name the dialect of an AIS table from its column names.

    Parameters
    ----------
    columns : list of str

    Returns
    -------
    str
        ``"gfw"``, ``"gfw_raw"``, ``"canonical"``, ``"noaa"``, ``"dma"`` or
        ``"decoded139"``.

    Raises
    ------
    UnknownDialectError
        If the columns match no dialect; the message lists what each expects.
    """
    cols = {str(c).strip() for c in columns}
    if {"MMSI", "BaseDateTime", "LAT", "LON"} <= cols:
        return "noaa"
    if {"Timestamp", "MMSI", "Latitude", "Longitude", "Type of mobile"} <= cols:
        return "dma"
    if {"MMSI", "Message_ID", "Time", "Latitude", "Longitude"} <= cols:
        return "decoded139"
    if {"ssvid", "timestamp", "lat", "lon"} <= cols:
        return "gfw_raw"
    if {"mmsi", "timestamp", "lat", "lon"} <= cols:
        return "gfw" if cols & GFW_MARKERS else "canonical"
    raise UnknownDialectError(
        "The AIS file's columns must include mmsi,timestamp,lat,lon (canonical or "
        "Global Fishing Watch), ssvid,timestamp,lat,lon (GFW raw), MMSI,BaseDateTime,"
        "LAT,LON (NOAA MarineCadastre), # Timestamp,Type of mobile,MMSI,Latitude,"
        "Longitude (Danish Maritime Authority) or MMSI,Message_ID,Time,Latitude,Longitude "
        "(decoded 139-column); raw NMEA needs !AIVDM sentences. Got "
        f"{[c[:40] for c in sorted(cols)[:20]]} instead."
    )


def _head_bytes(path: Path, n: int = SNIFF_BYTES) -> bytes:
    with path.open("rb") as fh:
        head = fh.read(n)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as gz:
                return gz.read(n)
        except (OSError, EOFError) as exc:
            raise ValueError(f"The AIS file {str(path)!r} is a corrupt gzip file: {exc}") from exc
    return head


def sniff(path: str | Path) -> str:
    """What kind of AIS file ``path`` is, from its content.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str
        ``"parquet"``, ``"geopackage"``, ``"nmea"`` or ``"csv"`` (gzip is looked
        through).

    Raises
    ------
    ValueError
        If the file is empty or a corrupt gzip file.
    """
    path = Path(path)
    head = _head_bytes(path)
    if not head.strip():
        raise ValueError(f"The AIS file {str(path)!r} is empty: it has no header line.")
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:16] == b"SQLite format 3\x00" and head[68:72] == b"GPKG":
        return "geopackage"  # OGC GeoPackage: SQLite with application id GPKG
    lines = head.decode("latin-1").splitlines()[:200]
    return "nmea" if looks_like_nmea(lines) else "csv"


def _is_gzip(path: Path) -> bool:
    """Whether ``path`` starts with gzip's magic bytes."""
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _standardize(frame: pd.DataFrame, dialect: str) -> pd.DataFrame:
    """A frame of ``dialect`` renamed to the standard columns it has, in their order."""
    if dialect == "decoded139":
        # UTC times straight from the digits when every value is a clean compact time
        # (the ISO text and its parse cost 1.7 CPU s per 1.8M rows); else the ISO text.
        ms = frame.get("Millisecond")
        ts = _compact_utc(frame["Time"], ms)
        frame = frame.assign(timestamp=ts if ts is not None else _compact_time(frame["Time"], ms))
    frame = frame.rename(columns=_renames(list(frame.columns), dialect))
    return frame[[c for c in STANDARD_COLUMNS if c in frame.columns]].copy()


def _renames(names: list[str], dialect: str) -> dict[str, str]:
    """The dialect's column names to canonical ones, where the canonical one is absent."""
    return {k: v for k, v in DIALECT_COLUMNS[dialect].items() if v not in names}
