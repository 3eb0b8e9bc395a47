"""Read AIS files into one frame of position reports and one of static reports.

The kind of file is sniffed from its content, not its name: Parquet (and GeoParquet)
by its magic bytes, raw NMEA 0183 by its sentences (:mod:`vessel_risk.nmea`), and
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
* ``nmea``: raw ``!AIVDM`` sentences, see :mod:`vessel_risk.nmea`.

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
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from vessel_risk.identity import normalize_mmsi
from vessel_risk.nmea import VESSEL_REPORT_TYPES, looks_like_nmea
from vessel_risk.schemas import QuarantineSchema, empty_frame

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
        Rows not kept, as :class:`~vessel_risk.schemas.QuarantineSchema`.
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


def _open_text(path: Path, encoding: str) -> IO[str]:
    if _is_gzip(path):
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return path.open("r", encoding=encoding, newline="")


def _valid_utf8(path: Path, chunk: int = 1 << 24) -> bool:
    """Whether the whole (decompressed) file is UTF-8, read in bounded chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    opener = gzip.open if _is_gzip(path) else open
    try:
        with opener(path, "rb") as fh:
            while block := fh.read(chunk):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _read_csv_python(
    path: Path, names: list[str], encoding: str
) -> tuple[pd.DataFrame, list[tuple[int, str]], list[int]]:
    """Line-by-line fallback for files pyarrow will not parse: never raises on content."""
    rows: list[list[str | None]] = []
    good: list[int] = []
    bad: list[tuple[int, str]] = []
    with _open_text(path, encoding) as fh:
        for number, line in enumerate(fh, start=1):
            if number == 1:
                continue
            text = line.rstrip("\r\n")
            try:
                fields = next(csv.reader([text]), [])
            except csv.Error:
                fields = []
            if len(fields) == len(names) or (not text and len(names) > 0):
                values: list[str | None] = [f if f != "" else None for f in fields] or [None] * len(
                    names
                )
                rows.append(values)
                good.append(number)
            else:
                bad.append((number, text))
    frame = pd.DataFrame(rows, columns=names, dtype="object")
    return frame, bad, good


def _read_csv_strings(
    path: Path,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, int, str]:
    """Read a CSV with every column as text; malformed lines are kept aside.

    Returns the frame, the malformed lines (``line``, ``raw``), the 1-based line
    number of each good row, the number of data rows read and the text encoding
    used (UTF-8, or Latin-1 for files that are not valid UTF-8).
    """
    encoding = "utf-8"
    opener = gzip.open if _is_gzip(path) else open
    try:
        with opener(path, "rb") as fh:
            first = fh.readline().decode(encoding)
    except UnicodeDecodeError as exc:
        # Every dialect's header is ASCII; bytes that are not even UTF-8 there mean
        # this is not a CSV (later lines may be Latin-1: those are read as such).
        raise ValueError(
            f"The AIS file {str(path)!r} is not a readable CSV: its first line is not text."
        ) from exc
    if not _valid_utf8(path):
        encoding = "latin-1"  # every byte is a character: nothing is lost
    names = _header_names(first.rstrip("\r\n"))
    if not any(names):
        raise ValueError(f"The AIS file {str(path)!r} is empty: it has no header line.")
    detect_dialect(names)  # fail fast, before reading a large file that is not AIS
    bad: list[tuple[int | None, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.text))
        return "skip"

    try:
        # Compression from the content, not the name: pyarrow would guess from ".gz".
        stream = pa.input_stream(str(path), compression="gzip" if _is_gzip(path) else None)
        table = pacsv.read_csv(
            stream,
            read_options=pacsv.ReadOptions(
                use_threads=False,
                column_names=names,
                skip_rows=1,
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
    except (pa.ArrowInvalid, UnicodeDecodeError):
        # Rows pyarrow refuses outright (overlong rows, stray quotes): read line by
        # line so one bad line costs only itself.
        frame, bad_rows, good = _read_csv_python(path, names, encoding)
        malformed = pd.DataFrame(
            {"line": [float(n) for n, _ in bad_rows], "raw": [t for _, t in bad_rows]}
        )
        return (
            frame,
            malformed,
            np.array(good, dtype="int64"),
            len(frame) + len(bad_rows),
            (encoding),
        )
    frame = table.to_pandas()
    frame.columns = names
    bad_lines = np.array([n for n, _ in bad if n is not None], dtype="int64")
    total = len(frame) + len(bad)
    all_lines = np.arange(2, total + 2)
    good_lines = np.setdiff1d(all_lines, bad_lines, assume_unique=True)[: len(frame)]
    malformed = pd.DataFrame(
        {
            "line": [float(n) if n is not None else np.nan for n, _ in bad],
            "raw": [t for _, t in bad],
        }
    )
    return frame, malformed, good_lines, total, encoding


def _slash_day_first(text: pd.Series) -> bool | None:
    """Whether ``dd/mm/yyyy`` dates are day-first, from the values; None if not slash dates."""
    arr = pa.array(text.astype("string"), type=pa.string(), from_pandas=True)
    if not pc.any(pc.match_substring_regex(arr, _SLASH_DATE)).as_py():
        return None
    parts = pc.extract_regex(arr, _SLASH_DATE)
    first = pc.cast(parts.field("first"), pa.int64())
    second = pc.cast(parts.field("second"), pa.int64())
    if pc.any(pc.greater(second, 12)).as_py() and not pc.any(pc.greater(first, 12)).as_py():
        return False
    return True


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


def _parse_timestamps(raw: pd.Series) -> tuple[pd.Series, int, str | None]:
    """Parse timestamps to UTC.

    Returns them (NaT where impossible), the number of naive values read as UTC and,
    for slash dates, ``"day-first"`` or ``"month-first"`` (else None).
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
    day_first = _slash_day_first(cleaned)
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
    keep = CANONICAL + IDENTITY_FIELDS + OPTIONAL_NUMERIC + EXTRA_TEXT + ["msg_type"]
    return frame[[c for c in keep if c in frame.columns]].copy()


def raw_text(frame: pd.DataFrame) -> pd.Series:
    """The fields of each row joined by commas, as a stand-in for its raw line.

    Parameters
    ----------
    frame : DataFrame of shape (n, k)

    Returns
    -------
    Series of shape (n,), dtype string
    """
    text = frame.astype("string").fillna("")
    if text.shape[1] == 0:
        return pd.Series("", index=frame.index, dtype="string")
    first, rest = text.iloc[:, 0], [text.iloc[:, i] for i in range(1, text.shape[1])]
    return first.str.cat(rest, sep=",").astype("string")  # type: ignore[arg-type]


def _read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet or GeoParquet file as a frame; point geometry becomes ``lon``/``lat``."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(
            f"The AIS file {str(path)!r} is not a readable Parquet file: {exc}"
        ) from exc
    meta = table.schema.metadata or {}
    frame = table.to_pandas()
    if b"geo" in meta:
        import json

        import shapely

        geo = json.loads(meta[b"geo"])
        col = geo.get("primary_column", "geometry")
        if col in frame.columns:
            geom = shapely.from_wkb(frame[col].to_numpy(), on_invalid="ignore")
            points = shapely.get_type_id(geom) == 0
            x = np.where(points, shapely.get_x(geom), np.nan)
            y = np.where(points, shapely.get_y(geom), np.nan)
            frame = frame.drop(columns=[col])
            if "lon" not in frame.columns and "lat" not in frame.columns:
                frame["lon"], frame["lat"] = x, y
    return frame


def read_ais(path: str | Path) -> IngestResult:
    """Read one AIS file (parquet, GeoParquet, CSV, gzipped CSV or raw NMEA).

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
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"The AIS file {str(path)!r} does not exist.")
    source = path.name
    kind = sniff(path)
    if kind == "nmea":
        return read_nmea(path)
    encoding = None
    if kind == "parquet":
        frame = _read_parquet(path)
        malformed = pd.DataFrame({"line": pd.Series(dtype=float), "raw": pd.Series(dtype=str)})
        lines = np.arange(1, len(frame) + 1)
        total = len(frame)
    else:
        try:
            frame, malformed, lines, total, encoding = _read_csv_strings(path)
        except (pa.ArrowInvalid, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
            raise ValueError(f"The AIS file {str(path)!r} is not a readable CSV: {exc}") from exc
    dialect = detect_dialect(list(frame.columns))
    frame = _standardize(frame, dialect)
    frame.index = pd.RangeIndex(len(frame))
    frame["line"] = lines.astype("float64")
    result = _parse(frame, source=source, dialect=dialect, malformed=malformed, rows_in=total)
    if encoding is not None:
        result.files[0]["encoding"] = encoding
    return result


def _parse(
    frame: pd.DataFrame, *, source: str, dialect: str, malformed: pd.DataFrame, rows_in: int
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
    mmsi, why = normalize_mmsi(frame["mmsi"])
    ts, naive, slash = _parse_timestamps(frame["timestamp"])
    reason = why.copy()
    reason[(reason.isna() & ts.isna()).to_numpy()] = "invalid_timestamp"
    if "msg_type" in frame.columns:
        # "AIS.21", "21": base stations, aids to navigation and binary messages are
        # not vessel reports (as in raw NMEA, see vessel_risk.nmea).
        # A handful of distinct values: decide each once, then map.
        text = frame["msg_type"].astype(ARROW_STRING)
        verdict = {}
        for value in text.dropna().unique():
            m = re.search(r"(\d+)\s*$", str(value))
            verdict[value] = m is not None and int(m.group(1)) not in VESSEL_REPORT_TYPES
        other = text.map(verdict).fillna(False).astype(bool)
        reason[(reason.isna() & other).to_numpy()] = "not_a_vessel_report"
    numeric = {}
    for col in NUMERIC + OPTIONAL_NUMERIC:
        if col not in frame.columns:
            numeric[col] = pd.Series(np.nan, index=frame.index)
            continue
        raw = frame[col]
        num = _to_float(raw)
        if not pd.api.types.is_numeric_dtype(raw):
            text = raw.astype("string").str.strip()
            junk = (
                text.notna()
                & (text != "")
                & num.isna()
                & ~text.str.fullmatch(r"(?i)nan|na|null|none|unknown|undefined").fillna(False)
            )
            reason[(reason.isna() & junk).to_numpy()] = f"non_numeric_{col}"
        numeric[col] = num
    no_position = numeric["lat"].isna() & numeric["lon"].isna()
    ident = {}
    for col in IDENTITY_FIELDS + EXTRA_TEXT:
        if col in frame.columns:
            v = frame[col].astype("string").str.strip()
            ident[col] = v.where(
                (v != "") & ~v.str.fullmatch(r"(?i)unknown|undefined|none").fillna(False)
            )
        else:
            ident[col] = pd.Series(pd.NA, index=frame.index, dtype="string")
    ident["ais_class"] = ident["ais_class"].str.lower().map(_CLASS).astype("string")
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
    positions = typed.loc[good & ~no_position, POSITION_COLUMNS].reset_index(drop=True)
    static = typed.loc[is_static, STATIC_COLUMNS].reset_index(drop=True)
    q_all = _stack_quarantine(quarantine)
    report: dict[str, object] = {
        "source": source,
        "dialect": dialect,
        "rows_in": int(rows_in),
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
    """Raw NMEA lines as an :class:`IngestResult` (no I/O; see :mod:`vessel_risk.nmea`).

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
    from vessel_risk.nmea import decode_lines, join_class_b_halves

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
    """Read a raw NMEA 0183 AIS log (plain or gzipped), see :mod:`vessel_risk.nmea`.

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


def write_store(
    paths: list[str | Path],
    store: str | Path,
    *,
    on_file: Callable[[int, str], None] | None = None,
) -> list[dict[str, object]]:
    """Ingest AIS files one at a time into a partitioned Parquet store.

    Layout: ``positions/year=YYYY/``, ``static/year=YYYY/`` (Hive partitions; NMEA
    rows without a receive time fall in ``year=__HIVE_DEFAULT_PARTITION__``),
    ``quarantine/`` and ``ingest_report.json`` (the per-file counts). Only one input
    file is in memory at a time. Rerunning into the same store adds files beside the
    old ones: use a fresh directory per run.

    Parameters
    ----------
    paths : list of str or Path
        AIS files in any supported dialect.
    store : str or Path
        Directory to write (created if absent).
    on_file : callable, optional
        ``f(index, name)`` called before each file (for a progress bar).

    Returns
    -------
    list of dict
        The per-file reports, as in :attr:`IngestResult.files`.

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`read_ais`, before anything of that file is written.
    """
    import json

    import pyarrow.dataset as ds

    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    reports: list[dict[str, object]] = []
    for i, path in enumerate(paths):
        if on_file is not None:
            on_file(i, Path(path).name)
        r = read_ais(path)
        for name, frame in (("positions", r.positions), ("static", r.static)):
            if frame.empty:
                continue
            table = pa.Table.from_pandas(
                frame.assign(year=frame["timestamp"].dt.year.astype("Int32")), preserve_index=False
            )
            ds.write_dataset(
                table,
                store / name,
                format="parquet",
                partitioning=["year"],
                partitioning_flavor="hive",
                basename_template=f"file{i:05d}-{{i}}.parquet",
                existing_data_behavior="overwrite_or_ignore",
            )
        if not r.quarantine.empty:
            (store / "quarantine").mkdir(exist_ok=True)
            r.quarantine.to_parquet(store / "quarantine" / f"file{i:05d}.parquet", index=False)
        reports.extend(r.files)
    (store / "ingest_report.json").write_text(json.dumps(reports, indent=2, default=str))
    return reports


def read_store(store: str | Path) -> IngestResult:
    """Read back a store written by :func:`write_store`.

    Parameters
    ----------
    store : str or Path

    Returns
    -------
    IngestResult
        The frames of every file in the store, with the per-file reports.
    """
    import json

    import pyarrow.dataset as ds

    store = Path(store)

    def load(name: str, columns: list[str], empty: pd.DataFrame) -> pd.DataFrame:
        if not (store / name).exists():
            return empty
        dataset = ds.dataset(store / name, format="parquet", partitioning="hive")
        frame = dataset.to_table(columns=columns).to_pandas()
        frame["timestamp"] = frame["timestamp"].astype("datetime64[ns, UTC]")
        return frame.reset_index(drop=True)

    positions = load("positions", POSITION_COLUMNS, pd.DataFrame(columns=POSITION_COLUMNS))
    static = load("static", STATIC_COLUMNS, pd.DataFrame(columns=STATIC_COLUMNS))
    qdir = store / "quarantine"
    quarantine = (
        pd.read_parquet(qdir) if qdir.exists() else empty_frame(QuarantineSchema)
    ).reset_index(drop=True)
    files = json.loads((store / "ingest_report.json").read_text())
    return IngestResult(positions, static, quarantine, files)
