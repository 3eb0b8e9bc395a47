"""Read AIS files into one frame of position reports and one of static reports.

The kind of a file is sniffed from its content, not its name, and its dialect from
its columns; it is then read chunk by chunk by its reader, and its rows are judged
one by one. Where each step lives:

* :mod:`~vessel_risk.ingest.schemas`: the frames ingest yields (positions, static
  reports, quarantine) and the names of their columns;
* :mod:`~vessel_risk.ingest.dialects`: :func:`sniff` (Parquet, NMEA or CSV) and
  :func:`detect_dialect` (GFW, GFW raw, canonical, NOAA, DMA, decoded 139-column);
* :mod:`~vessel_risk.ingest.readers`: :func:`read_ais`, :func:`iter_ais`,
  :func:`read_many`;
* :mod:`~vessel_risk.ingest.csv`, :mod:`~vessel_risk.ingest.parquet` (and GeoParquet),
  :mod:`~vessel_risk.ingest.nmea_reader` with its decoder :mod:`~vessel_risk.ingest.nmea`:
  one reader per kind of file;
* :mod:`~vessel_risk.ingest.timestamps` and :mod:`~vessel_risk.ingest.verdicts`: how
  each value is read, and why a row is quarantined;
* :mod:`~vessel_risk.ingest.limits`: :class:`IngestLimits`, the per-file limits on
  decompressed size, line and field length and rows that keep memory bounded;
* :mod:`~vessel_risk.ingest.quarantine` and :mod:`~vessel_risk.ingest.result`: the rows
  not kept, :class:`IngestResult` and the per-file report;
* :mod:`~vessel_risk.ingest.store`: the position store, AIS files ingested once into
  Parquet partitioned by vessel (:func:`write_store`, :func:`read_partition`).

Nothing is lost silently: for every file, ``rows_in = positions + static_reports +
quarantined``, and each quarantined row keeps its source, line number, raw text and
reason. Naive timestamps are read as UTC and counted. Slash dates (``dd/mm/yyyy``)
are read day-first unless a day field above 12 proves them month-first; the report
says which (``slash_dates``).

Errors: :func:`read_ais` raises :class:`ValueError` (or its subclass
:class:`UnknownDialectError`) only when a file as a whole is not AIS ingest can read:
empty, no recognisable header, a corrupt Parquet file. Anything wrong inside a
readable file becomes a quarantined row with a reason, never an exception; so does
what goes past a limit (``line_too_long``, ``field_too_long``, and one row
``row_limit_reached`` or ``decompressed_size_limit`` where reading stopped). A Parquet
column of a type ingest cannot read (struct, list, map, binary that is not UTF-8) is a
ValueError naming the file and the column.
"""

from vessel_risk.ingest.csv import CHUNK_BYTES
from vessel_risk.ingest.dialects import UnknownDialectError, detect_dialect, sniff
from vessel_risk.ingest.limits import DEFAULT_LIMITS, RAW_KEPT_CHARS, IngestLimits
from vessel_risk.ingest.nmea_reader import decoded_frames, iter_nmea, read_nmea
from vessel_risk.ingest.parquet import CHUNK_ROWS
from vessel_risk.ingest.quarantine import raw_text
from vessel_risk.ingest.readers import iter_ais, read_ais, read_many
from vessel_risk.ingest.result import IngestResult, merge_reports
from vessel_risk.ingest.schemas import (
    CANONICAL,
    IDENTITY_FIELDS,
    POSITION_COLUMNS,
    QUARANTINE_COLUMNS,
    STATIC_COLUMNS,
)
from vessel_risk.ingest.store import (
    STORE_PARTITION_BYTES,
    append_store,
    iter_store_quarantine,
    partition_rows,
    read_manifest,
    read_partition,
    read_store,
    store_appends,
    store_partition_count,
    store_partitions,
    write_store,
)
from vessel_risk.ingest.store_split import vessel_partition, write_split

__all__ = [
    "CANONICAL",
    "CHUNK_BYTES",
    "CHUNK_ROWS",
    "DEFAULT_LIMITS",
    "IDENTITY_FIELDS",
    "RAW_KEPT_CHARS",
    "POSITION_COLUMNS",
    "QUARANTINE_COLUMNS",
    "STATIC_COLUMNS",
    "STORE_PARTITION_BYTES",
    "IngestLimits",
    "IngestResult",
    "UnknownDialectError",
    "decoded_frames",
    "detect_dialect",
    "iter_ais",
    "append_store",
    "iter_store_quarantine",
    "merge_reports",
    "read_manifest",
    "store_appends",
    "raw_text",
    "read_ais",
    "read_many",
    "iter_nmea",
    "read_nmea",
    "read_partition",
    "read_store",
    "sniff",
    "store_partition_count",
    "partition_rows",
    "store_partitions",
    "vessel_partition",
    "write_split",
    "write_store",
]
