"""Read AIS files into one frame of position reports and one of static reports.

The kind of file is sniffed from its content, not its name: Parquet (and GeoParquet)
by its magic bytes, raw NMEA 0183 by its sentences (:mod:`vessel_risk.ingest.nmea`), and
otherwise CSV (gzipped or not), whose dialect is detected from the header:

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
  (``MMSI, Message_ID, ..., Time`` as ``20210701_185151`` plus ``Millisecond``);
* ``nmea``: raw ``!AIVDM`` sentences, see :mod:`vessel_risk.ingest.nmea`.

GeoParquet files (a ``geo`` metadata key) take ``lon``/``lat`` from their point
geometry and are then read as the dialect their other columns name.

Nothing is lost silently: for every file, ``rows_in = positions + static_reports +
quarantined``, and each quarantined row keeps its source, line number, raw text and
reason. Naive timestamps are read as UTC and counted. Slash dates (``dd/mm/yyyy``)
are read day-first unless a day field above 12 proves them month-first; the report
says which (``slash_dates``).

Errors: :func:`read_ais` raises :class:`ValueError` (or its subclass
:class:`UnknownDialectError`) only when a file as a whole is not AIS this module can
read: empty, no recognisable header, a corrupt Parquet file. Anything wrong inside a
readable file becomes a quarantined row with a reason, never an exception.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from vessel_risk.frames import empty_frame
from vessel_risk.identity.mmsi import normalize_mmsi
from vessel_risk.ingest.nmea import VESSEL_REPORT_TYPES, looks_like_nmea
from vessel_risk.ingest.schemas import IngestPositionSchema, QuarantineSchema, StaticReportSchema

if TYPE_CHECKING:
    from pandera.pandas import DataFrameModel

CANONICAL = ["mmsi", "timestamp", "lat", "lon", "speed_knots", "course", "heading"]
IDENTITY_FIELDS = ["shipname", "callsign", "imo", "shiptype"]
NUMERIC = ["lat", "lon", "speed_knots", "course", "heading"]
OPTIONAL_NUMERIC = ["nnet_score"]
EXTRA_TEXT = ["ais_class", "destination"]
POSITION_COLUMNS = [
    *CANONICAL,
    *IDENTITY_FIELDS,
    "ais_class",
    "nnet_score",
    "line",
    "source",
]
"""Columns of :attr:`IngestResult.positions` (see ``schemas.IngestPositionSchema``)."""
STATIC_COLUMNS = [
    "mmsi",
    "timestamp",
    *IDENTITY_FIELDS,
    "destination",
    "ais_class",
    "line",
    "source",
]
"""Columns of :attr:`IngestResult.static` (see ``schemas.StaticReportSchema``)."""
STANDARD_COLUMNS = [*CANONICAL, *IDENTITY_FIELDS, *OPTIONAL_NUMERIC, *EXTRA_TEXT, "msg_type"]
"""The columns a file is read into, under these names, before its rows are judged."""
_CODED = frozenset({"mmsi", *IDENTITY_FIELDS, *EXTRA_TEXT, "msg_type"})

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
DAY_FIRST_DIALECTS = frozenset({"gfw_raw", "dma", "gfw"})
GFW_MARKERS = {"msg_type", "seg_id", "distance_from_shore_m", "nnet_score", "msgid"}
# Patterns as strings with inline flags so pandas runs them in pyarrow (RE2), not Python.
_ZONE = r"(?i)(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)\s*$"
_SLASH_DATE = r"^\s*(?P<first>\d{1,2})/(?P<second>\d{1,2})/\d{4}"
_CLASS = {"class a": "A", "class b": "B", "a": "A", "b": "B"}
SNIFF_BYTES = 65536
ARROW_STRING = pd.StringDtype("pyarrow")


class UnknownDialectError(ValueError):
    """The columns of an AIS file match none of the dialects this module reads."""


@dataclass
class IngestResult:
    """What one or more AIS files yielded.

    Attributes
    ----------
    positions : DataFrame
        One row per position report, columns :data:`POSITION_COLUMNS`: ``mmsi``
        (9-character str), ``timestamp`` (UTC; NaT only for raw NMEA without a receive
        time), ``lat``, ``lon`` (degrees, NaN where not sent), ``speed_knots``,
        ``course``, ``heading`` (as sent: "not available" codes are nulled by
        cleaning), the identity fields, ``ais_class`` ("A", "B" or NA),
        ``nnet_score`` (NaN where absent), ``line`` and ``source``.
    static : DataFrame
        One row per static report (no position), columns :data:`STATIC_COLUMNS`:
        ``mmsi``, ``timestamp``, ``shipname``, ``callsign``, ``imo``, ``shiptype``,
        ``destination``, ``ais_class``, ``line``, ``source``.
    quarantine : DataFrame
        Rows not kept, as :class:`~vessel_risk.ingest.schemas.QuarantineSchema`.
    files : list of dict
        Per file: ``source``, ``dialect``, ``rows_in``, ``positions``,
        ``static_reports``, ``quarantined``, ``naive_timestamps`` and, where they
        apply, ``encoding``, ``slash_dates`` and the NMEA counts.
    """

    positions: pd.DataFrame
    static: pd.DataFrame
    quarantine: pd.DataFrame
    files: list[dict[str, object]] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        """Rows read from all files."""
        return int(sum(int(f["rows_in"]) for f in self.files))  # type: ignore[call-overload]

    @property
    def balanced(self) -> bool:
        """Whether every row read is a position, a static report or quarantined."""
        return self.rows_in == len(self.positions) + len(self.static) + len(self.quarantine)


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
        ``"parquet"``, ``"nmea"`` or ``"csv"`` (gzip is looked through).

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
    lines = head.decode("latin-1").splitlines()[:200]
    return "nmea" if looks_like_nmea(lines) else "csv"


def _header_names(first: str) -> list[str]:
    try:
        fields = next(csv.reader([first]), [])
    except csv.Error:  # stray carriage returns or NULs: not a header of ours anyway
        fields = first.split(",")
    names = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(fields):
        name = raw.strip().strip('"').lstrip("\ufeff")
        if i == 0:
            name = name.lstrip("#").strip()  # the Danish Maritime Authority's "# Timestamp"
        if name in seen:  # pandas would return a frame for a repeated name
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _scan(path: Path, chunk: int = 1 << 24) -> tuple[bool, bool]:
    """Whether the whole (decompressed) file is UTF-8, and whether it holds a ``/``.

    Read in bounded chunks. A file without any slash cannot hold ``dd/mm/yyyy`` dates.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    opener = gzip.open if _is_gzip(path) else open
    valid, slash = True, False
    with opener(path, "rb") as fh:
        while block := fh.read(chunk):
            slash = slash or b"/" in block
            if valid:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    valid = False
        if valid:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                valid = False
    return valid, slash


def _read_lines_python(
    text: str, names: list[str]
) -> tuple[pd.DataFrame, list[tuple[int, str]], list[int]]:
    """Line-by-line fallback for blocks pyarrow will not parse: never raises on content.

    Line numbers are 1-based within ``text``.
    """
    rows: list[list[str | None]] = []
    good: list[int] = []
    bad: list[tuple[int, str]] = []
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        text_line = line.rstrip("\r\n")
        try:
            fields = next(csv.reader([text_line]), [])
        except csv.Error:
            fields = []
        if len(fields) == len(names) or (not text_line and len(names) > 0):
            values: list[str | None] = [f if f != "" else None for f in fields] or [None] * len(
                names
            )
            rows.append(values)
            good.append(number)
        else:
            bad.append((number, text_line))
    frame = pd.DataFrame(rows, columns=names, dtype="object")
    return frame, bad, good


def _line_count(data: bytes, encoding: str) -> int:
    """Lines in a block of whole lines, ending at ``\n``, ``\r\n`` or ``\r`` as in pyarrow."""
    text = data.decode(encoding, "replace")
    ends = text.count("\n") + text.count("\r") - text.count("\r\n")
    return ends + (0 if not text or text.endswith(("\n", "\r")) else 1)


@dataclass
class _CsvBlock:
    """One block of whole lines of a CSV, parsed with every column as text."""

    frame: pd.DataFrame
    malformed: pd.DataFrame  # ``line`` (absolute, 1-based), ``raw``
    lines: np.ndarray  # absolute line number of each row of ``frame``
    rows_in: int  # data rows in the block: rows of ``frame`` plus malformed lines


def _parse_block(data: bytes, names: list[str], encoding: str, first_line: int) -> _CsvBlock:
    """Parse whole CSV lines (no header); ``first_line`` is the file line number of the first."""
    bad: list[tuple[int | None, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                use_threads=False,
                column_names=names,
                encoding=encoding,
                block_size=1 << 24,
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=on_invalid, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True
            ),
        )
        # A stray quote makes pyarrow read the following lines as one quoted field,
        # hiding them in a single record: AIS fields never span lines, so fewer records
        # than lines means exactly that.
        if b'"' in data and len(table) + len(bad) != _line_count(data, encoding):
            raise pa.ArrowInvalid("a quoted field runs over several lines")
    except (pa.ArrowInvalid, UnicodeDecodeError):
        # Rows pyarrow refuses outright (overlong rows, stray quotes): read this block
        # line by line so one bad line costs only itself.
        frame, bad_rows, good = _read_lines_python(data.decode(encoding, "replace"), names)
        shift = first_line - 1
        return _CsvBlock(
            frame,
            pd.DataFrame(
                {"line": [float(n + shift) for n, _ in bad_rows], "raw": [t for _, t in bad_rows]}
            ),
            np.array(good, dtype="int64") + shift,
            len(frame) + len(bad_rows),
        )
    frame = table.to_pandas()
    frame.columns = names
    shift = first_line - 1
    bad_lines = np.array([n for n, _ in bad if n is not None], dtype="int64")
    total = len(frame) + len(bad)
    all_lines = np.arange(1, total + 1)
    good_lines = np.setdiff1d(all_lines, bad_lines, assume_unique=True)[: len(frame)]
    malformed = pd.DataFrame(
        {
            "line": [float(n + shift) if n is not None else np.nan for n, _ in bad],
            "raw": [t for _, t in bad],
        }
    )
    return _CsvBlock(frame, malformed, good_lines + shift, total)


def _csv_header(path: Path) -> tuple[list[str], str, bool]:
    """Column names, text encoding and whether the file holds a ``/``; fails fast on non-AIS.

    The encoding is UTF-8, or Latin-1 for files that are not valid UTF-8 (every byte is a
    character: nothing is lost).
    """
    opener = gzip.open if _is_gzip(path) else open
    try:
        with opener(path, "rb") as fh:
            first = fh.readline().decode("utf-8")
    except UnicodeDecodeError as exc:
        # Every dialect's header is ASCII; bytes that are not even UTF-8 there mean
        # this is not a CSV (later lines may be Latin-1: those are read as such).
        raise ValueError(
            f"The AIS file {str(path)!r} is not a readable CSV: its first line is not text."
        ) from exc
    names = _header_names(first.rstrip("\r\n"))
    if not any(names):
        raise ValueError(f"The AIS file {str(path)!r} is empty: it has no header line.")
    detect_dialect(names)  # fail fast, before reading a large file that is not AIS
    valid, slash = _scan(path)
    return names, "utf-8" if valid else "latin-1", slash


def _byte_blocks(path: Path, chunk_bytes: int) -> Iterator[bytes]:
    """The (decompressed) bytes after the header line, in blocks that end at a newline.

    Only a block's last line may lack its newline (the end of the file). A file with
    no newline at all after its header is one block.
    """
    opener = gzip.open if _is_gzip(path) else open
    with opener(path, "rb") as fh:
        fh.readline()
        rest = b""
        any_block = False
        while data := fh.read(chunk_bytes):
            buf = rest + data
            cut = buf.rfind(b"\n") + 1
            if cut == 0:
                rest = buf
                continue
            rest = buf[cut:]
            any_block = True
            yield buf[:cut]
        if rest or not any_block:
            yield rest


def _csv_blocks(
    path: Path, names: list[str], encoding: str, chunk_bytes: int
) -> Iterator[_CsvBlock]:
    """Parsed blocks of a CSV, with file line numbers (the header is line 1)."""
    next_line = 2
    for data in _byte_blocks(path, chunk_bytes):
        block = _parse_block(data, names, encoding, next_line)
        next_line += block.rows_in
        yield block


def _timestamp_column(names: list[str]) -> str:
    dialect = detect_dialect(names)
    raw = [k for k, v in DIALECT_COLUMNS[dialect].items() if v == "timestamp" and k in names]
    return raw[0] if raw else "timestamp"


def _file_day_first(path: Path, names: list[str], encoding: str, chunk_bytes: int) -> bool | None:
    """The whole file's ``dd/mm/yyyy`` verdict, as :func:`_slash_day_first` gives on one frame."""
    col = _timestamp_column(names)
    if col not in names:
        return None
    seen = first_big = second_big = False
    for block in _csv_blocks(path, names, encoding, chunk_bytes):
        arr = pa.array(block.frame[col].astype(ARROW_STRING), from_pandas=True)
        text = pd.Series(pc.utf8_trim_whitespace(arr))
        s, f, b = _slash_evidence(text)
        seen, first_big, second_big = seen or s, first_big or f, second_big or b
    if not seen:
        return None
    return not (second_big and not first_big)


def _slash_evidence(text: pd.Series) -> tuple[bool, bool, bool]:
    """Whether any value is a ``dd/mm/yyyy`` date, any first field > 12, any second > 12."""
    arr = pa.array(text.astype("string"), type=pa.string(), from_pandas=True)
    matched = pc.fill_null(pc.match_substring_regex(arr, _SLASH_DATE), False)
    if not pc.any(matched).as_py():
        return False, False, False
    # Only the matching values: a null or non-matching value gives a null struct whose
    # fields still hold "" (not a number).
    parts = pc.extract_regex(pc.filter(arr, matched), _SLASH_DATE)
    first = pc.cast(parts.field("first"), pa.int64())
    second = pc.cast(parts.field("second"), pa.int64())
    return (
        True,
        bool(pc.any(pc.greater(first, 12)).as_py()),
        bool(pc.any(pc.greater(second, 12)).as_py()),
    )


def _slash_day_first(text: pd.Series) -> bool | None:
    """Whether ``dd/mm/yyyy`` dates are day-first, from the values; None if not slash dates."""
    seen, first_big, second_big = _slash_evidence(text)
    if not seen:
        return None
    return not (second_big and not first_big)


def _to_float(raw: pd.Series) -> pd.Series:
    """Numbers from any column: pyarrow's cast when every value is a number, else pandas."""
    if pd.api.types.is_numeric_dtype(raw):
        return raw.astype("float64")
    try:
        arr = pa.array(raw.astype("string"), type=pa.string(), from_pandas=True)
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        return pd.Series(values, index=raw.index, dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(raw, errors="coerce").astype("float64")


def _parse_timestamps(
    raw: pd.Series, *, day_first: bool | None = None
) -> tuple[pd.Series, int, str | None]:
    """Parse timestamps to UTC.

    Returns them (NaT where impossible), the number of naive values read as UTC and,
    for slash dates, ``"day-first"`` or ``"month-first"`` (else None). ``day_first``
    imposes the order of slash dates (the verdict on a whole file read in chunks);
    None decides it from ``raw``.
    """
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert("UTC").astype("datetime64[ns, UTC]"), 0, None
    if pd.api.types.is_datetime64_dtype(raw):
        ts = raw.dt.tz_localize("UTC").astype("datetime64[ns, UTC]")
        return ts, int(raw.notna().sum()), None
    arr = pc.utf8_trim_whitespace(pa.array(raw.astype(ARROW_STRING), from_pandas=True))
    zoned = pc.fill_null(pc.match_substring_regex(arr, _ZONE), True)
    naive = int(pc.sum(pc.and_(pc.invert(zoned), pc.not_equal(arr, ""))).as_py() or 0)
    arr = pc.replace_substring_regex(arr, pattern=r"(?i)\s*(UTC|GMT)\s*$", replacement="")
    cleaned = pd.Series(arr.to_pandas(types_mapper=pd.ArrowDtype), index=raw.index).astype(
        ARROW_STRING
    )
    found = _slash_day_first(cleaned)
    day_first = found if day_first is None or found is None else day_first
    slash = None
    if day_first is not None:
        slash = "day-first" if day_first else "month-first"
        ts = pd.Series(pd.NaT, index=cleaned.index, dtype="datetime64[ns, UTC]")
        order = "%d/%m/%Y" if day_first else "%m/%d/%Y"
        for fmt in (f"{order} %H:%M:%S", f"{order} %H:%M", f"{order} %H:%M:%S.%f", order):
            todo = ts.isna() & cleaned.notna()
            if not todo.any():
                break
            ts[todo] = pd.to_datetime(cleaned[todo], format=fmt, utc=True, errors="coerce")
        retry = ts.isna() & cleaned.notna() & ~cleaned.str.match(_SLASH_DATE).fillna(False)
    else:
        ts = pd.to_datetime(cleaned, format="ISO8601", utc=True, errors="coerce")
        retry = ts.isna() & cleaned.notna() & (cleaned != "")
    if retry.any():
        ts[retry] = pd.to_datetime(cleaned[retry], format="mixed", utc=True, errors="coerce")
    ts = ts.astype("datetime64[ns, UTC]")
    # Years outside AIS's lifetime are typos, not data.
    ts = ts.where((ts.dt.year >= 1990) & (ts.dt.year <= 2100))
    return ts, naive, slash


def _compact_time(time: pd.Series, millisecond: pd.Series | None) -> pd.Series:
    """``20210701_185151`` (+ milliseconds) as an ISO 8601 UTC string."""
    t = time.astype("string").str.strip()
    ok = t.str.fullmatch(r"\d{8}_\d{6}").fillna(False).astype(bool)
    ms = (
        pd.to_numeric(millisecond, errors="coerce").fillna(0).clip(0, 999).astype(int)
        if millisecond is not None
        else pd.Series(0, index=t.index)
    )
    iso = (
        t.str[0:4]
        + "-"
        + t.str[4:6]
        + "-"
        + t.str[6:8]
        + "T"
        + t.str[9:11]
        + ":"
        + t.str[11:13]
        + ":"
        + t.str[13:15]
        + "."
        + ms.astype(str).str.zfill(3)
        + "Z"
    )
    return iso.where(ok, t)


def _standardize(frame: pd.DataFrame, dialect: str) -> pd.DataFrame:
    renames = DIALECT_COLUMNS[dialect]
    if dialect == "decoded139":
        frame = frame.assign(timestamp=_compact_time(frame["Time"], frame.get("Millisecond")))
    frame = frame.rename(columns={k: v for k, v in renames.items() if v not in frame.columns})
    return frame[[c for c in STANDARD_COLUMNS if c in frame.columns]].copy()


def raw_text(frame: pd.DataFrame) -> pd.Series:
    """The fields of each row joined by commas, as a stand-in for its raw line.

    Parameters
    ----------
    frame : DataFrame of shape (n, k)

    Returns
    -------
    Series of shape (n,), dtype string
    """
    if frame.shape[1] == 0:
        return pd.Series("", index=frame.index, dtype="string")
    fields = [
        pa.array(_as_text(frame.iloc[:, i]).fillna(""), type=pa.large_string(), from_pandas=True)
        for i in range(frame.shape[1])
    ]
    joined = pc.binary_join_element_wise(*fields, pa.scalar(",", pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(joined), index=frame.index, name=frame.columns[0])


def _as_text(column: pd.Series) -> pd.Series:
    """``column.astype("string")``, the same text at less cost for floats and UTC times."""
    dtype = column.dtype
    if column.empty:
        return column.astype("string")
    if isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC":
        return _utc_text(column)
    if dtype == np.float64:
        # Each distinct bit pattern formatted once (0.0 and -0.0 stay apart).
        codes, bits = pd.factorize(column.to_numpy().view("i8"))
        text = pd.Series(bits.view("float64")).astype("string")
        taken = pa.array(text, type=pa.large_string(), from_pandas=True).take(pa.array(codes))
        return pd.Series(pd.arrays.ArrowStringArray(taken), index=column.index)
    return column.astype("string")


def _utc_text(column: pd.Series) -> pd.Series:
    """``column.astype("string")`` for UTC times, formatted by NumPy in one pass.

    pandas formats a tz-aware time through a Timestamp per value (about 10 us each);
    the text is the same: ``2023-02-05 06:58:12+00:00``, with as many fractional digits
    (3, 6 or 9) as the most precise value of the column needs.
    """
    try:
        values = column.array.as_unit("ns")
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        return column.astype("string")
    ns = np.asarray(values.view("i8"))
    nat = np.asarray(values.isna())
    frac = ns[~nat] % 1_000_000_000
    unit: Literal["ns", "us", "ms", "s"] = "s"
    if (frac % 1_000).any():
        unit = "ns"
    elif (frac % 1_000_000).any():
        unit = "us"
    elif frac.any():
        unit = "ms"
    iso = np.datetime_as_string(ns.view("datetime64[ns]"), unit=unit)
    text = np.strings.add(np.strings.replace(iso, "T", " "), "+00:00")
    return pd.Series(text, index=column.index, dtype="string").mask(nat)


def _parquet_batches(path: Path, chunk_rows: int) -> Iterator[tuple[pa.Table, str]]:
    """A Parquet or GeoParquet file as standard tables of ``chunk_rows`` rows, and its dialect.

    Only the columns ingest keeps are read, renamed and ordered as :func:`_standardize`
    does. Text columns that ingest judges value by value (MMSI, identity, ``msg_type``)
    are read as Parquet stores them, dictionary-encoded, so each distinct value is
    decoded once. Point geometry becomes ``lon``/``lat``. A file with no rows yields
    one empty table.
    """

    def unreadable(exc: Exception) -> ValueError:
        return ValueError(f"The AIS file {str(path)!r} is not a readable Parquet file: {exc}")

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(exc) from exc
    meta = schema.metadata or {}
    geo_col = None
    if b"geo" in meta:
        geo_col = json.loads(meta[b"geo"]).get("primary_column", "geometry")
    names = list(schema.names)
    geo = geo_col if geo_col in names else None
    plain = [n for n in names if n != geo]
    if geo is not None and "lon" not in plain and "lat" not in plain:
        plain += ["lon", "lat"]
    dialect = detect_dialect(plain)
    renames = _renames(plain, dialect)
    extra = {"Time", "Millisecond"} if dialect == "decoded139" else set()
    read = [n for n in names if n == geo or n in extra or renames.get(n, n) in STANDARD_COLUMNS]
    coded = [
        f.name
        for f in schema
        if f.name in read
        and renames.get(f.name, f.name) in _CODED
        and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
    ]

    def standard(table: pa.Table) -> tuple[pa.Table, str]:
        return _standard_table(table, dialect, geo), dialect

    try:
        pf = pq.ParquetFile(path, read_dictionary=coded)
        batches = pf.iter_batches(batch_size=chunk_rows, columns=read)
        batch = next(batches, None)
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(exc) from exc
    if batch is None:
        yield standard(pf.schema_arrow.empty_table().select(read))
        return
    # Batches stop at row groups: gather them into chunks of chunk_rows rows, as the
    # cost of a chunk is mostly per row but partly per chunk.
    pending: list[pa.RecordBatch] = []
    rows = 0
    while batch is not None:
        pending.append(batch)
        rows += batch.num_rows
        while rows >= chunk_rows:
            table = pa.Table.from_batches(pending)
            yield standard(table.slice(0, chunk_rows))
            rest = table.slice(chunk_rows)
            pending, rows = rest.to_batches(), rest.num_rows
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as exc:
            raise unreadable(exc) from exc
    if rows:
        yield standard(pa.Table.from_batches(pending))


def _renames(names: list[str], dialect: str) -> dict[str, str]:
    """The dialect's column names to canonical ones, where the canonical one is absent."""
    return {k: v for k, v in DIALECT_COLUMNS[dialect].items() if v not in names}


def _standard_table(table: pa.Table, dialect: str, geo: str | None) -> pa.Table:
    """:func:`_standardize` for an Arrow table, after :func:`_from_geo`."""
    if geo is not None:
        table = _from_geo(table, geo)
    if dialect == "decoded139":
        ms = (
            table.column("Millisecond").to_pandas() if "Millisecond" in table.column_names else None
        )
        iso = pa.array(_compact_time(table.column("Time").to_pandas(), ms), from_pandas=True)
        if "timestamp" in table.column_names:
            table = table.set_column(table.column_names.index("timestamp"), "timestamp", iso)
        else:
            table = table.append_column("timestamp", iso)
    renames = _renames(table.column_names, dialect)
    table = table.rename_columns([renames.get(n, n) for n in table.column_names])
    return table.select([c for c in STANDARD_COLUMNS if c in table.column_names])


def _from_geo(table: pa.Table, col: str) -> pa.Table:
    """Point geometry in column ``col`` (WKB) as ``lon``/``lat``; other shapes give NaN."""
    import shapely

    geom = shapely.from_wkb(table.column(col).to_numpy(), on_invalid="ignore")
    points = shapely.get_type_id(geom) == 0
    x = np.where(points, shapely.get_x(geom), np.nan)
    y = np.where(points, shapely.get_y(geom), np.nan)
    table = table.drop_columns([col])
    if "lon" not in table.column_names and "lat" not in table.column_names:
        table = table.append_column("lon", pa.array(x)).append_column("lat", pa.array(y))
    return table


@dataclass
class _Distinct:
    """A column as its distinct values and, per row, the position of its value."""

    values: pa.Array  # each value once; a null among them if the column has one
    codes: np.ndarray  # int, one per row

    def pandas(self) -> pd.Series:
        """The distinct values as pandas reads the whole column (same dtype)."""
        return self.values.to_pandas()

    def rows(self, per_value: pd.Series) -> np.ndarray:
        """A boolean per distinct value (NA as False), spread to the rows."""
        return per_value.fillna(False).to_numpy(dtype=bool)[self.codes]


def _distinct(col: pa.ChunkedArray) -> _Distinct:
    """Hash ``col`` once (or take Parquet's dictionary encoding as it is).

    Elementwise work on ``values`` spread back with ``codes`` gives what the same work
    on every row gives, at the cost of the distinct values only.
    """
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col, null_encoding="encode")
    col = col.unify_dictionaries()
    kind = col.type
    values = col.chunk(0).dictionary if col.num_chunks else pa.array([], kind.value_type)
    indices = pa.chunked_array([c.indices for c in col.chunks], type=kind.index_type)
    if indices.null_count:
        indices = pc.fill_null(indices, len(values))
        values = pa.concat_arrays([values, pa.nulls(1, kind.value_type)])
    return _Distinct(values, indices.to_numpy())


def _large_strings(values: pd.Series) -> pa.Array:
    return pa.array(values.astype("string"), type=pa.large_string(), from_pandas=True)


class _Constant:
    """Columns of one value for every chunk of a file: built once, sliced per chunk."""

    def __init__(self, value: str | None) -> None:
        self._value = value
        self._array = pa.nulls(0, pa.large_string())

    def __call__(self, n: int) -> pa.Array:
        """The value ``n`` times, as a ``large_string`` array."""
        if n > len(self._array):
            if self._value is None:
                self._array = pa.nulls(n, pa.large_string())
            else:  # one buffer, no Python object per row
                data = self._value.encode()
                offsets = np.arange(n + 1, dtype=np.int64) * len(data)
                self._array = pa.LargeStringArray.from_buffers(
                    n, pa.py_buffer(offsets), pa.py_buffer(data * n)
                )
        return self._array.slice(0, n)


def _arrow_timestamps(col: pa.ChunkedArray) -> tuple[pd.Series, int, str | None]:
    """:func:`_parse_timestamps` of a column, without pandas for Arrow timestamps."""
    if pa.types.is_timestamp(col.type):
        try:
            utc = col.cast(pa.timestamp("ns", tz="UTC"))
        except pa.ArrowInvalid:  # beyond the nanosecond range: as pandas reads it
            return _parse_timestamps(col.to_pandas())
        naive = 0 if col.type.tz else len(col) - col.null_count
        return utc.to_pandas(), naive, None
    return _parse_timestamps(col.to_pandas())


def _rows_as_pandas(table: pa.Table, rows: np.ndarray) -> pd.DataFrame:
    """Some rows of ``table`` typed as pandas reads the whole table (for raw text)."""
    sub = table.take(pa.array(rows))
    columns = {}
    for name, whole in zip(table.column_names, table.columns, strict=True):
        col = sub.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if pa.types.is_integer(col.type) and whole.null_count:
            col = pc.cast(col, pa.float64(), safe=False)  # pandas reads them as floats
        columns[name] = col
    return pa.table(columns).to_pandas()


def _parse_table(
    table: pa.Table,
    *,
    source: str,
    dialect: str,
    first_line: int,
    constants: tuple[_Constant, _Constant] | None = None,
) -> IngestResult:
    """:func:`_parse` for a standard Arrow table (:func:`_parquet_batches`).

    The same verdicts from the same functions, but text columns are judged once per
    distinct value and spread back by code, numbers and times stay in Arrow and NumPy,
    and pandas frames are built once, for the rows kept. Columns of types Parquet does
    not type as numbers or times take :func:`_parse`'s pandas path.
    """
    n = table.num_rows
    present = set(table.column_names)
    labels = [""]
    code = np.zeros(n, dtype=np.int8)  # 0: kept; else the reason, labels[code]

    def mark(where: np.ndarray, label: str) -> None:
        if label not in labels:
            labels.append(label)
        code[(code == 0) & where] = labels.index(label)

    mmsi = _distinct(table.column("mmsi"))
    mmsi_text, why = _normalize_mmsi(mmsi.pandas())
    for label in why.dropna().unique():
        mark(mmsi.rows(why == label), str(label))
    ts, naive, slash = _arrow_timestamps(table.column("timestamp"))
    mark(ts.isna().to_numpy(), "invalid_timestamp")
    if "msg_type" in present:
        msg = _distinct(table.column("msg_type"))
        mark(msg.rows(_not_vessel_report(msg.pandas())), "not_a_vessel_report")
    numeric: dict[str, np.ndarray] = {}
    for col in NUMERIC + OPTIONAL_NUMERIC:
        if col not in present:
            numeric[col] = np.full(n, np.nan)
            continue
        raw = table.column(col)
        if pa.types.is_integer(raw.type) or raw.type in (pa.float32(), pa.float64()):
            numeric[col] = pc.cast(raw, pa.float64(), safe=False).to_numpy()
            continue
        num, junk = _numbers(raw.to_pandas())
        if junk is not None:
            mark(junk.fillna(False).to_numpy(dtype=bool), f"non_numeric_{col}")
        numeric[col] = num.to_numpy(dtype="float64")
    no_position = np.isnan(numeric["lat"]) & np.isnan(numeric["lon"])
    text: dict[str, tuple[pa.Array, np.ndarray] | None] = {}
    has_identity = np.zeros(n, dtype=bool)
    for col in IDENTITY_FIELDS + EXTRA_TEXT:
        if col not in present:
            text[col] = None
            continue
        d = _distinct(table.column(col))
        clean = _clean_text(d.pandas())
        if col == "ais_class":
            clean = _ais_class(clean)
        text[col] = (_large_strings(clean), d.codes)
        if col in IDENTITY_FIELDS:
            has_identity |= d.rows(clean.notna())
    mark(no_position & ~has_identity, "no_position_no_identity")

    quarantine = []
    bad = np.flatnonzero(code)
    if len(bad):
        q = _rows_as_pandas(table, bad)
        quarantine.append(
            pd.DataFrame(
                {
                    "source": source,
                    "line": (bad + first_line).astype("float64"),
                    "mmsi": q["mmsi"].astype("string"),
                    "reason": np.array(labels, dtype=object)[code[bad]],
                    "raw": raw_text(q),
                }
            )
        )
    mmsi_values = _large_strings(mmsi_text)
    sources, nulls = constants or (_Constant(source), _Constant(None))
    line = np.arange(first_line, first_line + n, dtype="float64")

    def frame(columns: list[str], keep: np.ndarray) -> pd.DataFrame:
        rows = None if keep.all() else np.flatnonzero(keep)
        size = n if rows is None else len(rows)

        def strings(values: pa.Array, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
            taken = values.take(pa.array(codes if rows is None else codes[rows]))
            return pd.arrays.ArrowStringArray(taken)

        out: dict[str, object] = {}
        for col in columns:
            if col == "mmsi":
                out[col] = strings(mmsi_values, mmsi.codes)
            elif col == "timestamp":
                out[col] = ts.array if rows is None else ts.array.take(rows)
            elif col in numeric:
                out[col] = numeric[col] if rows is None else numeric[col][rows]
            elif col == "line":
                out[col] = line if rows is None else line[rows]
            elif col == "source":
                out[col] = pd.array(sources(size), dtype=pd.StringDtype("pyarrow", np.nan))
            elif (coded := text[col]) is not None:
                out[col] = strings(*coded)
            else:
                out[col] = pd.arrays.ArrowStringArray(nulls(size))
        return pd.DataFrame(out, copy=False)

    ok = code == 0
    positions = frame(POSITION_COLUMNS, ok & ~no_position)
    static = frame(STATIC_COLUMNS, ok & no_position)
    return _chunk_result(positions, static, quarantine, source, dialect, n, naive, slash)


CHUNK_BYTES = 64 << 20
"""CSV bytes (decompressed) read at a time: about a million rows of a typical export."""
CHUNK_ROWS = 1_000_000
"""Parquet rows read at a time."""


def read_ais(path: str | Path) -> IngestResult:
    """Read one AIS file (parquet, GeoParquet, CSV, gzipped CSV or raw NMEA).

    The file is read in chunks (:func:`iter_ais`) and the chunks are stacked: what is
    returned is the whole file, so memory grows with it. For files larger than memory,
    use :func:`iter_ais` or :func:`write_store`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    IngestResult

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file as a whole is unreadable: empty, corrupt Parquet or gzip.
    UnknownDialectError
        If the columns match no supported dialect.
    """
    parts = iter_ais(path)
    head = [next(parts)]  # a file unreadable as a whole fails here
    second = next(parts, None)
    if second is None:
        return head[0]
    head.append(second)
    del second
    if sniff(path) == "parquet":
        return _stack_parquet(head, parts, capacity=pq.ParquetFile(path).metadata.num_rows)
    chunks = [*head, *parts]
    return IngestResult(
        positions=pd.concat([c.positions for c in chunks], ignore_index=True),
        static=pd.concat([c.static for c in chunks], ignore_index=True),
        quarantine=_stack_quarantine([c.quarantine for c in chunks]),
        files=[merge_reports([f for c in chunks for f in c.files])],
    )


def _stack_parquet(
    head: list[IngestResult], rest: Iterator[IngestResult], *, capacity: int
) -> IngestResult:
    """The chunks of one Parquet file as one result, each chunk freed once added."""
    positions, static = _Stacked(capacity), _Stacked(capacity)
    quarantine: list[pd.DataFrame] = []
    reports: list[dict[str, object]] = []

    def chunks() -> Iterator[IngestResult]:
        while head:
            yield head.pop(0)
        yield from rest

    for chunk in chunks():
        positions.add(chunk.positions)
        static.add(chunk.static)
        quarantine.append(chunk.quarantine)
        reports.extend(chunk.files)
    return IngestResult(
        positions=positions.frame(),
        static=static.frame(),
        quarantine=_stack_quarantine(quarantine),
        files=[merge_reports(reports)],
    )


class _Stacked:
    """Frames of :func:`_parse_table` stacked as they come: ``pd.concat(ignore_index=True)``.

    NumPy-backed columns (floats, UTC times) are copied into arrays allocated once for
    ``capacity`` rows (pages never written cost no memory), so a chunk's Arrow buffers
    are freed, and reused for the next chunk, as soon as it is added. Arrow string
    columns are chained without a copy.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._rows = 0
        self._dtypes: pd.Series | None = None
        self._numbers: dict[str, np.ndarray] = {}
        self._strings: dict[str, list[pa.Array]] = {}

    def add(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` (same columns and dtypes as the first frame)."""
        if self._dtypes is None:
            self._dtypes = frame.dtypes
        start, end = self._rows, self._rows + len(frame)
        for name, series in frame.items():
            key, values = str(name), series.array
            if isinstance(values, pd.arrays.ArrowStringArray):
                self._strings.setdefault(key, []).append(pa.array(values))
                continue
            data: np.ndarray = (
                np.asarray(values.view("i8"))  # the UTC nanoseconds, not a copy
                if isinstance(values, pd.arrays.DatetimeArray)
                else series.to_numpy()
            )
            if key not in self._numbers:  # rows kept <= rows in the file: never outgrown
                self._numbers[key] = np.empty(self._capacity, dtype=data.dtype)
            self._numbers[key][start:end] = data
        self._rows = end

    def frame(self) -> pd.DataFrame:
        """The stacked frame, with a fresh RangeIndex."""
        assert self._dtypes is not None
        out: dict[str, object] = {}
        for name, dtype in self._dtypes.items():
            if str(name) in self._strings:
                chunks = pa.chunked_array(self._strings[str(name)], type=pa.large_string())
                out[str(name)] = pd.array(chunks, dtype=dtype)  # wraps, no copy
            elif isinstance(dtype, pd.DatetimeTZDtype):
                naive = self._numbers[str(name)][: self._rows].view("datetime64[ns]")
                out[str(name)] = pd.Series(naive, copy=False).dt.tz_localize(dtype.tz).array
            else:
                out[str(name)] = self._numbers[str(name)][: self._rows]
        return pd.DataFrame(out, copy=False)


def merge_reports(parts: list[dict[str, object]]) -> dict[str, object]:
    """One file's report from the reports of its chunks (:func:`iter_ais`).

    Counts are summed, ``quarantined_by_reason`` merged; other keys (source, dialect,
    encoding, slash dates) are the file's and taken from the chunk that has them.

    Parameters
    ----------
    parts : list of dict
        The ``files[0]`` of each chunk of one file, in order.

    Returns
    -------
    dict
    """
    counts = ("rows_in", "positions", "static_reports", "quarantined", "naive_timestamps")
    out: dict[str, object] = {}
    by_reason: dict[str, int] = {}
    for part in parts:
        for key, value in part.items():
            if key in counts:
                out[key] = int(out.get(key, 0)) + int(value)  # type: ignore[call-overload]
            elif key == "quarantined_by_reason":
                for reason, n in value.items():  # type: ignore[attr-defined]
                    by_reason[reason] = by_reason.get(reason, 0) + int(n)
            else:
                out.setdefault(key, value)
    out["quarantined_by_reason"] = dict(sorted(by_reason.items(), key=lambda kv: -kv[1]))
    return out


def iter_ais(
    path: str | Path, *, chunk_bytes: int = CHUNK_BYTES, chunk_rows: int = CHUNK_ROWS
) -> Iterator[IngestResult]:
    """Read one AIS file chunk by chunk, so memory does not grow with the file.

    CSV (gzipped or not) is cut into blocks of whole lines of about ``chunk_bytes``,
    Parquet into batches of ``chunk_rows`` rows; raw NMEA is read whole (multipart
    messages and class B halves are joined across the log). Every chunk is read as
    :func:`read_ais` reads a file and balances on its own; line numbers are the
    file's. Decisions about the whole file are made once: the text encoding and the
    order of ``dd/mm/yyyy`` dates (a pass over the timestamp column, only when the file
    holds a ``/`` and is longer than one chunk). Merge the chunks' ``files[0]`` with
    :func:`merge_reports` for the file's report.

    Parameters
    ----------
    path : str or Path
    chunk_bytes : int, default 64 MiB
        CSV bytes (decompressed) per chunk.
    chunk_rows : int, default 1,000,000
        Parquet rows per chunk.

    Yields
    ------
    IngestResult
        At least one per file. ``files[0]`` counts that chunk only.

    Raises
    ------
    FileNotFoundError, ValueError, UnknownDialectError
        As :func:`read_ais`; a file unreadable as a whole fails before its first chunk,
        a Parquet file corrupt further in fails at that chunk. ValueError also if
        ``chunk_rows`` is not positive.
    """
    if chunk_rows < 1:
        raise ValueError(
            f"The 'chunk_rows' parameter of iter_ais must be a positive int. Got {chunk_rows!r} "
            "instead."
        )
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"The AIS file {str(path)!r} does not exist.")
    source = path.name
    kind = sniff(path)
    if kind == "nmea":
        yield read_nmea(path)
        return
    if kind == "parquet":
        first = 1
        constants = (_Constant(source), _Constant(None))
        for table, dialect in _parquet_batches(path, chunk_rows):
            yield _parse_table(
                table, source=source, dialect=dialect, first_line=first, constants=constants
            )
            first += table.num_rows
        return
    try:
        names, encoding, has_slash = _csv_header(path)
        dialect = detect_dialect(names)
        blocks = _csv_blocks(path, names, encoding, chunk_bytes)
        head = [next(blocks)]
        second = next(blocks, None)
        day_first = None
        if second is not None:
            head.append(second)
            if has_slash:  # dd/mm/yyyy dates may be in several chunks: decide once
                day_first = _file_day_first(path, names, encoding, chunk_bytes)
        for block in itertools.chain(head, blocks):
            frame = _standardize(block.frame, dialect)
            frame.index = pd.RangeIndex(len(frame))
            frame["line"] = block.lines.astype("float64")
            result = _parse(
                frame,
                source=source,
                dialect=dialect,
                malformed=block.malformed,
                rows_in=block.rows_in,
                day_first=day_first,
            )
            result.files[0]["encoding"] = encoding
            yield result
    except (pa.ArrowInvalid, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        raise ValueError(f"The AIS file {str(path)!r} is not a readable CSV: {exc}") from exc


def _parse(
    frame: pd.DataFrame,
    *,
    source: str,
    dialect: str,
    malformed: pd.DataFrame,
    rows_in: int,
    day_first: bool | None = None,
) -> IngestResult:
    quarantine = [
        malformed.assign(
            source=source,
            mmsi=None,
            reason=np.where(
                malformed["raw"].astype(str).str.strip() == "", "empty_line", "malformed_line"
            )
            if len(malformed)
            else "malformed_line",
        )
    ]
    mmsi, why = _normalize_mmsi(frame["mmsi"])
    ts, naive, slash = _parse_timestamps(frame["timestamp"], day_first=day_first)
    reason = why.copy()
    reason[(reason.isna() & ts.isna()).to_numpy()] = "invalid_timestamp"
    if "msg_type" in frame.columns:
        other = _not_vessel_report(frame["msg_type"])
        reason[(reason.isna() & other).to_numpy()] = "not_a_vessel_report"
    numeric = {}
    for col in NUMERIC + OPTIONAL_NUMERIC:
        if col not in frame.columns:
            numeric[col] = pd.Series(np.nan, index=frame.index)
            continue
        num, junk = _numbers(frame[col])
        if junk is not None:
            reason[(reason.isna() & junk).to_numpy()] = f"non_numeric_{col}"
        numeric[col] = num
    no_position = numeric["lat"].isna() & numeric["lon"].isna()
    ident = {}
    for col in IDENTITY_FIELDS + EXTRA_TEXT:
        if col in frame.columns:
            ident[col] = _clean_text(frame[col])
        else:
            ident[col] = _strings(pa.nulls(len(frame), pa.string()), frame.index)
    ident["ais_class"] = _ais_class(ident["ais_class"])
    has_identity = pd.concat({c: ident[c] for c in IDENTITY_FIELDS}, axis=1).notna().any(axis=1)
    reason[(reason.isna() & no_position & ~has_identity).to_numpy()] = "no_position_no_identity"

    bad = reason.notna()
    if bad.any():
        q = frame.loc[bad]
        quarantine.append(
            pd.DataFrame(
                {
                    "source": source,
                    "line": q["line"],
                    "mmsi": frame.loc[bad, "mmsi"].astype("string"),
                    "reason": reason[bad],
                    "raw": raw_text(q.drop(columns=["line"])),
                }
            )
        )
    good = ~bad
    typed = pd.DataFrame({"mmsi": mmsi, "timestamp": ts, **numeric, **ident, "line": frame["line"]})
    typed["source"] = source
    is_static = good & no_position
    is_position = good & ~no_position
    if is_position.all():  # the common case: no row to drop, no copy of every column
        positions = typed[POSITION_COLUMNS]
    else:
        positions = typed.loc[is_position, POSITION_COLUMNS].reset_index(drop=True)
    static = typed.loc[is_static, STATIC_COLUMNS].reset_index(drop=True)
    return _chunk_result(positions, static, quarantine, source, dialect, int(rows_in), naive, slash)


def _not_vessel_report(msg_type: pd.Series) -> pd.Series:
    """Whether each ``msg_type`` names a message that is not a vessel report.

    "AIS.21", "21": base stations, aids to navigation and binary messages are not
    vessel reports (as in raw NMEA, see :mod:`vessel_risk.ingest.nmea`). A handful of distinct
    values: each is decided once, then mapped.
    """
    text = msg_type.astype(ARROW_STRING)
    verdict = {}
    for value in text.dropna().unique():
        m = re.search(r"(\d+)\s*$", str(value))
        verdict[value] = m is not None and int(m.group(1)) not in VESSEL_REPORT_TYPES
    return text.map(verdict).fillna(False).astype(bool)


def _numbers(raw: pd.Series) -> tuple[pd.Series, pd.Series | None]:
    """A column as float64, and which values are text that is not a number.

    The second is None for numeric columns (nothing in them can be junk).
    """
    num = _to_float(raw)
    if pd.api.types.is_numeric_dtype(raw):
        return num, None
    text = raw.astype("string").str.strip()
    junk = (
        text.notna()
        & (text != "")
        & num.isna()
        & ~text.str.fullmatch(r"(?i)nan|na|null|none|unknown|undefined").fillna(False)
    )
    return num, junk


def _clean_text(raw: pd.Series) -> pd.Series:
    """Text stripped, with empty and placeholder values ("Unknown", "none") as NA."""
    v = raw.astype("string").str.strip()
    return v.where((v != "") & ~v.str.fullmatch(r"(?i)unknown|undefined|none").fillna(False))


def _ais_class(text: pd.Series) -> pd.Series:
    """Cleaned ``ais_class`` text ("Class A", "b") as "A", "B" or NA."""
    return _map_few(text.str.lower(), _CLASS)


def _map_few(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """``values.map(mapping)`` as strings, deciding each distinct value once.

    ``Series.map`` with a dict builds an index lookup over every row, which costs about
    a second per million rows; columns such as ``ais_class`` hold a handful of values.
    """
    if values.isna().all():
        return _strings(pa.nulls(len(values), pa.string()), values.index)
    codes, uniques = pd.factorize(values)
    mapped = pa.array([mapping.get(str(u)) for u in uniques] + [None], type=pa.string())
    codes = np.where(codes < 0, len(uniques), codes)  # NA takes the trailing None
    return _strings(mapped.take(pa.array(codes, type=pa.int64())), values.index)


def _strings(arr: pa.Array, index: pd.Index) -> pd.Series:
    """A pyarrow string array as a ``string`` Series without a pass through Python objects."""
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index).astype("string")


def _normalize_mmsi(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """:func:`~vessel_risk.identity.mmsi.normalize_mmsi`, with a fast path for integer columns.

    Integers (Parquet files typed by pyarrow) are valid MMSIs in 0..999,999,999 and are
    zero-padded to 9 characters by pyarrow; anything else takes the general path.
    """
    if not pd.api.types.is_integer_dtype(values) or values.isna().any():
        return normalize_mmsi(values)
    v = values.to_numpy(dtype="int64")
    ok = (v >= 0) & (v <= 999_999_999)
    text = pc.utf8_lpad(pc.cast(pa.array(v), pa.string()), width=9, padding="0")
    mmsi = _strings(text, values.index)
    if not ok.all():
        mmsi = mmsi.where(ok)
    reason = _strings(pa.nulls(len(values), pa.string()), values.index)
    if not ok.all():
        reason[~ok] = "mmsi_not_numeric_9_digits"
    return mmsi, reason


def _chunk_result(
    positions: pd.DataFrame,
    static: pd.DataFrame,
    quarantine: list[pd.DataFrame],
    source: str,
    dialect: str,
    rows_in: int,
    naive: int,
    slash: str | None,
) -> IngestResult:
    """One chunk's :class:`IngestResult` and its report (counts by reason)."""
    q_all = _stack_quarantine(quarantine)
    report: dict[str, object] = {
        "source": source,
        "dialect": dialect,
        "rows_in": rows_in,
        "positions": len(positions),
        "static_reports": len(static),
        "quarantined": len(q_all),
        "naive_timestamps": naive,
        "quarantined_by_reason": {
            str(k): int(v) for k, v in q_all["reason"].value_counts().items()
        },
    }
    if slash is not None:
        report["slash_dates"] = slash
    return IngestResult(positions, static, q_all, [report])


def _stack_quarantine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [q for q in parts if len(q)]
    if not parts:
        return empty_frame(QuarantineSchema)
    q_all = pd.concat(parts, ignore_index=True)
    q_all = q_all.reindex(columns=["source", "line", "mmsi", "reason", "raw"])
    return q_all.astype(
        {
            "source": "string",
            "line": "float64",
            "mmsi": "string",
            "reason": "string",
            "raw": "string",
        }
    )


def _text_lines(path: Path) -> Iterable[str]:
    """Lines of a (possibly gzipped) text file; bytes that are not UTF-8 read as Latin-1."""
    opener = gzip.open if _is_gzip(path) else open
    with opener(path, "rb") as fh:
        for raw in fh:
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                yield raw.decode("latin-1")


def decoded_frames(lines: Iterable[str], *, source: str) -> IngestResult:
    """Raw NMEA lines as an :class:`IngestResult` (no I/O; see :mod:`vessel_risk.ingest.nmea`).

    Parameters
    ----------
    lines : iterable of str
        The lines of one log, in file order.
    source : str
        Name recorded with every row.

    Returns
    -------
    IngestResult
    """
    from vessel_risk.ingest.nmea import decode_lines, join_class_b_halves

    out = decode_lines(lines)

    def frame(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
        f = pd.DataFrame(rows)
        f = f.reindex(columns=sorted(set(columns) | set(f.columns) | {"time_s"}))
        f["timestamp"] = pd.to_datetime(
            pd.to_numeric(f["time_s"], errors="coerce"), unit="s", utc=True
        ).astype("datetime64[ns, UTC]")
        f["source"] = source
        f["line"] = f["line"].astype("float64")
        return f

    pos = frame(out.positions, POSITION_COLUMNS)
    for col in NUMERIC + OPTIONAL_NUMERIC:
        pos[col] = pos[col].astype("float64")
    static = join_class_b_halves(frame(out.static, [*STATIC_COLUMNS, "part"]))
    text_cols = [*IDENTITY_FIELDS, "destination", "ais_class", "mmsi", "source"]
    for f in (pos, static):
        for col in text_cols:
            if col in f.columns:
                f[col] = f[col].astype("string")
    positions = pos[POSITION_COLUMNS].reset_index(drop=True)
    static = static[STATIC_COLUMNS].reset_index(drop=True)
    quarantine = _stack_quarantine(
        [
            pd.DataFrame(out.quarantine, columns=["line", "mmsi", "reason", "raw"]).assign(
                source=source
            )
        ]
    )
    rows_in = len(positions) + len(static) + len(quarantine)
    report: dict[str, object] = {
        "source": source,
        "dialect": "nmea",
        "rows_in": rows_in,
        "positions": len(positions),
        "static_reports": len(static),
        "quarantined": len(quarantine),
        "naive_timestamps": 0,
        **out.counts,
        "vessels": len(out.mmsis),
        "quarantined_by_reason": {
            str(k): int(v) for k, v in quarantine["reason"].value_counts().items()
        },
    }
    return IngestResult(positions, static, quarantine, [report])


def read_nmea(path: str | Path) -> IngestResult:
    """Read a raw NMEA 0183 AIS log (plain or gzipped), see :mod:`vessel_risk.ingest.nmea`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    IngestResult
        ``files[0]`` adds ``messages_decoded``, ``vessels``, ``multipart_messages``,
        ``undated_messages``, ``bad_tag_block_checksum``, ``blank_or_comment_lines``
        and ``quarantined_by_reason``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"The AIS file {str(path)!r} does not exist.")
    return decoded_frames(_text_lines(path), source=path.name)


def read_many(paths: list[str | Path]) -> IngestResult:
    """Read several AIS files and stack what they yield.

    Parameters
    ----------
    paths : list of str or Path

    Returns
    -------
    IngestResult
        Positions, static reports and quarantine of all files, with per-file counts.
    """
    results = [read_ais(p) for p in paths]
    return IngestResult(
        positions=pd.concat([r.positions for r in results], ignore_index=True),
        static=pd.concat([r.static for r in results], ignore_index=True),
        quarantine=pd.concat([r.quarantine for r in results], ignore_index=True),
        files=[f for r in results for f in r.files],
    )


STORE_PARTITION_BYTES = 32 << 20
"""Input bytes (as stored on disk) per vessel partition of a store: about 700,000
Parquet rows or 150,000 CSV rows, so one partition's stages fit well in memory."""


def store_partition_count(paths: list[str | Path]) -> int:
    """How many vessel partitions :func:`write_store` makes for ``paths`` by default.

    One per :data:`STORE_PARTITION_BYTES` of input as stored on disk, at least one.

    Parameters
    ----------
    paths : list of str or Path
        Existing files.

    Returns
    -------
    int
    """
    total = sum(Path(p).stat().st_size for p in paths)
    return max(1, -(-total // STORE_PARTITION_BYTES))


def vessel_partition(mmsi: pd.Series, partitions: int) -> np.ndarray:
    """The vessel partition of each row: a stable hash of its MMSI modulo ``partitions``.

    The hash is pandas' (SipHash with a fixed key), the same on every machine and
    run, so all rows of one vessel land in one partition whatever file they come from.

    Parameters
    ----------
    mmsi : Series of shape (n,)
        9-character MMSIs, no nulls.
    partitions : int
        At least 1.

    Returns
    -------
    ndarray of shape (n,), int64 in ``[0, partitions)``.
    """
    codes, uniques = pd.factorize(mmsi)
    hashed = pd.util.hash_array(np.asarray(uniques, dtype=object)) % np.uint64(partitions)
    return hashed.astype("int64")[codes]


def write_split(
    frame: pd.DataFrame, keys: np.ndarray, folder: Path, key_name: str, file_name: str
) -> None:
    """Write the rows of each key to ``folder/<key_name>=<key>/<file_name>`` (Hive style).

    Rows keep their order in ``frame``. Keys are written with five digits at least.

    Parameters
    ----------
    frame : DataFrame of shape (n, k)
    keys : ndarray of shape (n,), int
    folder : Path
    key_name, file_name : str
    """
    if len(keys) == 0:
        return
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    for a, b in zip(starts, [*starts[1:], len(keys)], strict=True):
        path = folder / f"{key_name}={int(sorted_keys[a]):05d}" / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.iloc[order[a:b]].to_parquet(path, index=False)


def _partition_dir(kind: str, partition: int) -> str:
    return f"{kind}/part={partition:05d}"


def write_store(
    paths: list[str | Path],
    store: str | Path,
    *,
    partitions: int | None = None,
    on_file: Callable[[int, str], None] | None = None,
) -> list[dict[str, object]]:
    """Ingest AIS files one at a time into a Parquet store partitioned by vessel.

    Layout: ``positions/part=NNNNN/`` and ``static/part=NNNNN/`` (Hive partitions by
    :func:`vessel_partition` of the MMSI: every row of a vessel is in one partition),
    ``quarantine/`` and ``ingest_report.json`` (the per-file counts). Within a
    partition, files are named ``fileIIIII-KKKKK.parquet`` (input file, chunk), so
    reading them in name order gives each vessel's rows in input order. Files are read
    chunk by chunk (:func:`iter_ais`) and each chunk is written before the next is read,
    so memory stays bounded by the chunk size, not by the file (1.3 GB peak for a
    10 M-row CSV, benchmarks/README.md). A store is written once: an existing folder
    that is not empty is refused, since new files would silently replace old ones.

    Parameters
    ----------
    paths : list of str or Path
        AIS files in any supported dialect.
    store : str or Path
        Directory to write (created if absent).
    partitions : int, optional
        Number of vessel partitions; default :func:`store_partition_count` (one per
        32 MiB of input). Later stages process one partition at a time
        (:func:`vessel_risk.pipeline.run`).
    on_file : callable, optional
        ``f(index, name)`` called before each file (for a progress bar).

    Returns
    -------
    list of dict
        The per-file reports, as in :attr:`IngestResult.files`.

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`read_ais`, before anything of that file is written; ValueError also
        if ``partitions`` is below 1, or if ``store`` is a file or a folder that is not
        empty.
    """

    for path in paths:
        if not Path(path).exists():
            raise FileNotFoundError(f"The AIS file {str(path)!r} does not exist.")
    if partitions is None:
        partitions = store_partition_count(paths)
    if partitions < 1:
        raise ValueError(
            f"The 'partitions' parameter of write_store must be at least 1. Got {partitions} "
            "instead."
        )
    store = Path(store)
    if store.exists() and (not store.is_dir() or any(store.iterdir())):
        raise ValueError(
            f"The store {str(store)!r} already exists and is "
            f"{'a folder that is not empty' if store.is_dir() else 'not a folder'}: "
            "write each store to a new folder."
        )
    store.mkdir(parents=True, exist_ok=True)
    reports: list[dict[str, object]] = []
    for i, path in enumerate(paths):
        if on_file is not None:
            on_file(i, Path(path).name)
        parts: list[dict[str, object]] = []
        try:
            for k, r in enumerate(iter_ais(path)):
                for kind, frame in (("positions", r.positions), ("static", r.static)):
                    if frame.empty:
                        continue
                    write_split(
                        frame,
                        vessel_partition(frame["mmsi"], partitions),
                        store / kind,
                        "part",
                        f"file{i:05d}-{k:05d}.parquet",
                    )
                if not r.quarantine.empty:
                    (store / "quarantine").mkdir(exist_ok=True)
                    r.quarantine.to_parquet(
                        store / "quarantine" / f"file{i:05d}-{k:05d}.parquet", index=False
                    )
                parts.extend(r.files)
        except ValueError as exc:
            # A Parquet file corrupt past its first chunk: leave nothing of it behind.
            for written in store.glob(f"*/**/file{i:05d}-*.parquet"):
                written.unlink()
            if str(path) in str(exc):
                raise
            raise type(exc)(f"{str(path)!r}: {exc}") from exc  # which of several files
        reports.append(merge_reports(parts))
    (store / "ingest_report.json").write_text(json.dumps(reports, indent=2, default=str))
    return reports


def store_partitions(store: str | Path) -> list[int]:
    """The vessel partitions of a store that hold positions or static reports.

    Parameters
    ----------
    store : str or Path
        Written by :func:`write_store`.

    Returns
    -------
    list of int, ascending.

    Raises
    ------
    ValueError
        If ``store`` is not such a store: no ``ingest_report.json``, or one that is not
        a list of per-file reports (a ``vessel-risk run`` output folder has a different
        one).
    """
    store = Path(store)
    report = store / "ingest_report.json"
    advice = "write one with `vessel-risk ingest PATH... --store DIR`."
    if not report.is_file():
        raise ValueError(f"{str(store)!r} is not a store (no ingest_report.json): {advice}")
    try:
        files = json.loads(report.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        files = None
    if not isinstance(files, list) or not all(isinstance(f, dict) and "source" in f for f in files):
        raise ValueError(
            f"{str(store)!r} is not a store: its ingest_report.json is not a store's "
            f"(is it a `vessel-risk run` output folder?); {advice}"
        )
    folders = [d for kind in ("positions", "static") for d in (store / kind).glob("*=*")]
    if any(not d.name.startswith("part=") for d in folders):
        raise ValueError(
            f"The store {str(store)!r} is partitioned by year (an older vessel-risk): "
            "ingest the files again into a new store."
        )
    return sorted({int(d.name.removeprefix("part=")) for d in folders})


def _read_frames(folders: Iterable[Path], schema: type[DataFrameModel]) -> pd.DataFrame:
    """The files of ``folders`` in name order, stacked; typed empty if there are none."""
    files = [f for folder in folders for f in sorted(folder.glob("*.parquet"))]
    if not files:
        return empty_frame(schema)
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def read_partition(store: str | Path, partition: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The positions and static reports of one vessel partition of a store.

    Parameters
    ----------
    store : str or Path
        Written by :func:`write_store`.
    partition : int
        One of :func:`store_partitions`.

    Returns
    -------
    positions : DataFrame
        As :attr:`IngestResult.positions`, each vessel's rows in input order.
    static : DataFrame
        As :attr:`IngestResult.static`.
    """
    store = Path(store)
    return (
        _read_frames([store / _partition_dir("positions", partition)], IngestPositionSchema),
        _read_frames([store / _partition_dir("static", partition)], StaticReportSchema),
    )


def read_store(store: str | Path) -> IngestResult:
    """Read back a whole store written by :func:`write_store` (all partitions at once).

    Parameters
    ----------
    store : str or Path

    Returns
    -------
    IngestResult
        The frames of every file in the store, with the per-file reports.

    Raises
    ------
    ValueError
        As :func:`store_partitions`.
    """

    store = Path(store)
    parts = store_partitions(store)
    positions = _read_frames(
        [store / _partition_dir("positions", n) for n in parts], IngestPositionSchema
    )
    static = _read_frames([store / _partition_dir("static", n) for n in parts], StaticReportSchema)
    quarantine = _stack_quarantine(list(iter_store_quarantine(store)))
    files = json.loads((store / "ingest_report.json").read_text())
    return IngestResult(positions, static, quarantine, files)


def iter_store_quarantine(store: str | Path) -> Iterator[pd.DataFrame]:
    """The rows a store's files quarantined at ingest, one written chunk at a time.

    Parameters
    ----------
    store : str or Path
        Written by :func:`write_store`.

    Yields
    ------
    DataFrame
        As :class:`~vessel_risk.ingest.schemas.QuarantineSchema`, in input order.
    """
    for f in sorted((Path(store) / "quarantine").glob("*.parquet")):
        yield pd.read_parquet(f)
