"""Parquet and GeoParquet files, read in chunks of rows and judged in Arrow.

Only the columns ingest keeps are read, renamed to the standard ones of their dialect
(:mod:`vessel_risk.ingest.dialects`). GeoParquet files (a ``geo`` metadata key) take
``lon``/``lat`` from their point geometry, WKB or GeoArrow's native ``point`` encoding,
reprojected to EPSG:4326 from the file's CRS
(:func:`vessel_risk.geo.geoparquet.point_lonlat`), and are then read as the dialect
their other columns name; a row whose geometry is empty is quarantined
(``empty_geometry``). Batches are gathered into chunks of :data:`CHUNK_ROWS` rows.

Each chunk is judged by :func:`_parse_table`, the Arrow path: the verdicts of
:mod:`vessel_risk.ingest.verdicts`, as the CSV reader's pandas path
(:func:`vessel_risk.ingest.csv._parse`) gives them, but text columns (MMSI, identity,
``msg_type``) are read dictionary-encoded and judged once per distinct value, numbers
and times stay in Arrow and NumPy, and pandas frames are built once, for the rows
kept. Line numbers are row numbers in the file, from 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from vessel_risk.geo.geoparquet import GeoColumn, geo_column, point_lonlat
from vessel_risk.ingest.dialects import _renames, detect_dialect
from vessel_risk.ingest.limits import DEFAULT_LIMITS, RAW_KEPT_CHARS, IngestLimits
from vessel_risk.ingest.quarantine import raw_text
from vessel_risk.ingest.result import IngestResult, _chunk_result, _with_marker
from vessel_risk.ingest.schemas import (
    EXTRA_TEXT,
    IDENTITY_FIELDS,
    NUMERIC,
    OPTIONAL_BOOLEAN,
    OPTIONAL_NUMERIC,
    POSITION_COLUMNS,
    STANDARD_COLUMNS,
    STATIC_COLUMNS,
)
from vessel_risk.ingest.timestamps import _compact_time, _parse_timestamps
from vessel_risk.ingest.verdicts import (
    _ais_class,
    _ais_shiptype,
    _booleans,
    _clean_text,
    _normalize_mmsi,
    _not_vessel_report,
    _numbers,
)

CHUNK_ROWS = 1_000_000
"""Parquet rows read at a time."""
_CODED = frozenset({"mmsi", *IDENTITY_FIELDS, *EXTRA_TEXT, *OPTIONAL_BOOLEAN, "msg_type"})
"""Text columns judged once per distinct value: read dictionary-encoded."""
GEOMETRY_ISSUE = "geometry_issue"
"""Column a geometry's fault travels in, from :func:`_from_geo` to the verdicts:
``empty_geometry`` (a quarantine reason) or null."""


def _column_types(path: Path, schema: pa.Schema, read: list[str], geo: str | None) -> None:
    """A ValueError naming the file and column unless every column read has a type ingest reads.

    Ingest reads text, numbers, booleans, times and dates (and text stored as binary,
    decoded as UTF-8); a GeoParquet geometry column is WKB (binary) or GeoArrow's native
    point (a struct). Other nested columns (struct, list, map, union) hold no AIS value.
    """
    for name in read:
        kind = schema.field(name).type
        value = kind.value_type if pa.types.is_dictionary(kind) else kind
        if name == geo:
            wkb = pa.types.is_binary(value) or pa.types.is_large_binary(value)
            if not (wkb or pa.types.is_struct(value)):
                raise ValueError(
                    f"The AIS file {str(path)!r} has a geometry column {name!r} of type "
                    f"{kind}: ingest reads GeoParquet points as WKB (binary) or GeoArrow "
                    "points (a struct of x, y)."
                )
            continue
        nested = pa.types.is_nested(value) or pa.types.is_union(value)
        if nested or pa.types.is_fixed_size_binary(value):
            raise ValueError(
                f"The AIS file {str(path)!r} has a column {name!r} of type {kind}: ingest "
                "reads text, numbers, booleans, times and dates there, not nested or "
                "fixed-size binary values."
            )


def _text_from_binary(path: Path, table: pa.Table, geo: str | None) -> pa.Table:
    """Binary columns (text written without its UTF-8 annotation) as text; not ``geo`` (WKB).

    Raises ValueError, naming the file and column, where they are not UTF-8.
    """
    for i, field in enumerate(table.schema):
        kind = field.type
        if field.name != geo and (pa.types.is_binary(kind) or pa.types.is_large_binary(kind)):
            try:
                col = pc.cast(table.column(i), pa.large_string())
            except pa.ArrowInvalid as exc:
                raise ValueError(
                    f"The AIS file {str(path)!r} has a binary column {field.name!r} that is "
                    f"not UTF-8 text: {exc}"
                ) from exc
            table = table.set_column(i, field.name, col)
    return table


def _read_columns(names: list[str], geo: str | None) -> tuple[str, dict[str, str], list[str]]:
    """Dialect, renames, columns read of ``names``; ``geo`` (or None) stands for lon/lat."""
    plain = [n for n in names if n != geo]
    if geo is not None and "lon" not in plain and "lat" not in plain:
        plain += ["lon", "lat"]
    dialect = detect_dialect(plain)
    renames = _renames(plain, dialect)
    extra = {"Time", "Millisecond"} if dialect == "decoded139" else set()
    read = [n for n in names if n == geo or n in extra or renames.get(n, n) in STANDARD_COLUMNS]
    return dialect, renames, read


def _parquet_batches(
    path: Path,
    chunk_rows: int,
    limits: IngestLimits = DEFAULT_LIMITS,
    stop: list[int] | None = None,
) -> Iterator[tuple[pa.Table, str]]:
    """A Parquet or GeoParquet file as standard tables of ``chunk_rows`` rows, and its dialect.

    Row groups are read while the uncompressed size of the columns read (as the file's
    metadata gives it) stays within ``limits.max_decompressed_bytes``; if a row group
    would pass it, reading stops there and the number of rows read is appended to
    ``stop``. Columns of a type ingest does not read raise ValueError
    (:func:`_column_types`).

    Only the columns ingest keeps are read, renamed and ordered as
    :func:`~vessel_risk.ingest.dialects._standardize` does. Text columns that ingest
    judges value by value (MMSI, identity, ``msg_type``) are read as Parquet stores
    them, dictionary-encoded, so each distinct value is decoded once. Point geometry
    becomes ``lon``/``lat``. A file with no rows yields one empty table.
    """

    def unreadable(exc: Exception) -> ValueError:
        return ValueError(f"The AIS file {str(path)!r} is not a readable Parquet file: {exc}")

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(exc) from exc
    try:
        geometry = geo_column(schema.metadata)
    except ValueError as exc:
        raise ValueError(f"The AIS file {str(path)!r} is not readable GeoParquet: {exc}") from exc
    geo = geometry.name if geometry is not None and geometry.name in schema.names else None
    dialect, renames, read = _read_columns(list(schema.names), geo)
    _column_types(path, schema, read, geo)
    coded = [
        f.name
        for f in schema
        if f.name in read
        and renames.get(f.name, f.name) in _CODED
        and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
    ]

    def standard(table: pa.Table) -> tuple[pa.Table, str]:
        table = _text_from_binary(path, table, geo)
        return _standard_table(table, dialect, geometry if geo else None, path), dialect

    try:
        pf = pq.ParquetFile(path, read_dictionary=coded)
        groups = _groups_within(pf.metadata, read, limits.max_decompressed_bytes)
        if groups < pf.metadata.num_row_groups and stop is not None:
            stop.append(sum(pf.metadata.row_group(i).num_rows for i in range(groups)))
        batches = pf.iter_batches(
            batch_size=chunk_rows, columns=read, row_groups=list(range(groups))
        )
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


def _groups_within(meta: pq.FileMetaData, read: list[str], limit: int) -> int:
    """How many row groups, from the first, hold at most ``limit`` bytes of ``read``, unpacked."""
    wanted = set(read)
    total = 0
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        for j in range(group.num_columns):
            column = group.column(j)
            if column.path_in_schema.split(".")[0] in wanted:
                total += column.total_uncompressed_size
        if total > limit:
            return i
    return meta.num_row_groups


def _too_long(col: pa.ChunkedArray, limit: int) -> np.ndarray | None:
    """Whether each value of a text column is over ``limit`` characters (None: not text)."""
    kind = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return None
    if pa.types.is_dictionary(col.type):
        d = _distinct(col)
        over = pc.fill_null(pc.greater(pc.utf8_length(d.values), limit), False)
        return over.to_numpy(zero_copy_only=False)[d.codes]
    return pc.fill_null(pc.greater(pc.utf8_length(col), limit), False).to_numpy(
        zero_copy_only=False
    )


def _standard_table(
    table: pa.Table, dialect: str, geo: GeoColumn | None, path: Path | None = None
) -> pa.Table:
    """:func:`~vessel_risk.ingest.dialects._standardize` for an Arrow table.

    Point geometry in column ``geo`` (if any) becomes ``lon``/``lat`` first
    (:func:`_from_geo`), and its faults :data:`GEOMETRY_ISSUE`. A geometry that cannot
    be read as EPSG:4326 points (unknown CRS, another native encoding) is a ValueError
    naming ``path``.
    """
    if geo is not None:
        try:
            table = _from_geo(table, geo)
        except ValueError as exc:
            raise ValueError(f"The AIS file {str(path)!r}: {exc}.") from exc
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
    keep = [*STANDARD_COLUMNS, GEOMETRY_ISSUE]
    return table.select([c for c in keep if c in table.column_names])


def _from_geo(table: pa.Table, geo: GeoColumn) -> pa.Table:
    """Point geometry (WKB or native) as EPSG:4326 ``lon``/``lat``, and its faults.

    Other shapes and null geometries give NaN (no position); an empty geometry gives
    NaN and ``empty_geometry`` in :data:`GEOMETRY_ISSUE`. A file with ``lon``/``lat``
    columns of its own keeps them, and its geometry is not read.
    """
    column = table.column(geo.name)
    table = table.drop_columns([geo.name])
    if "lon" in table.column_names or "lat" in table.column_names:
        return table
    points = point_lonlat(column, geo)
    table = table.append_column("lon", pa.array(points.lon))
    table = table.append_column("lat", pa.array(points.lat))
    empty = pa.array(points.empty, pa.bool_())
    issue = pc.if_else(empty, pa.scalar("empty_geometry"), pa.scalar(None, pa.string()))
    return table.append_column(GEOMETRY_ISSUE, issue)


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
    """A text column as a ``large_string`` Arrow array."""
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
    """:func:`~vessel_risk.ingest.timestamps._parse_timestamps` of a column.

    Arrow timestamps are converted without pandas; other types take the pandas path.
    """
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
    max_field: int = DEFAULT_LIMITS.max_field_chars,
) -> IngestResult:
    """Judge the rows of a standard Arrow table (:func:`_parquet_batches`), in Arrow.

    What :func:`~vessel_risk.ingest.csv._parse` gives for the same rows.

    The same verdicts from the same functions, but text columns are judged once per
    distinct value and spread back by code, numbers and times stay in Arrow and NumPy,
    and pandas frames are built once, for the rows kept. Columns of types Parquet does
    not type as numbers or times take the pandas path's functions. A text value over
    ``max_field`` characters quarantines its row as ``field_too_long`` before any
    other verdict.
    """
    n = table.num_rows
    present = set(table.column_names)
    labels = [""]
    code = np.zeros(n, dtype=np.int8)  # 0: kept; else the reason, labels[code]

    def mark(where: np.ndarray, label: str) -> None:
        if label not in labels:
            labels.append(label)
        code[(code == 0) & where] = labels.index(label)

    for name in table.column_names:
        over = _too_long(table.column(name), max_field)
        if over is not None:
            mark(over, "field_too_long")
    if GEOMETRY_ISSUE in present:
        mark(
            table.column(GEOMETRY_ISSUE).is_valid().to_numpy(zero_copy_only=False), "empty_geometry"
        )
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
    flags: dict[str, pd.arrays.BooleanArray] = {}
    for col in OPTIONAL_BOOLEAN:
        if col not in present:
            flags[col] = pd.array(np.full(n, pd.NA), dtype="boolean")
            continue
        raw = table.column(col)
        if pa.types.is_boolean(raw.type):
            flags[col] = pd.array(raw.to_pandas(), dtype="boolean")
            continue
        d = _distinct(raw)
        flag, junk = _booleans(d.pandas())
        mark(d.rows(junk), f"non_boolean_{col}")
        flags[col] = flag.array.take(d.codes)
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
        elif col == "shiptype":
            clean = _ais_shiptype(clean)
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
                    "raw": raw_text(q).str.slice(0, RAW_KEPT_CHARS),
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
            elif col in flags:
                out[col] = flags[col] if rows is None else flags[col].take(rows)
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


def iter_parquet(
    path: Path, *, chunk_rows: int = CHUNK_ROWS, limits: IngestLimits = DEFAULT_LIMITS
) -> Iterator[IngestResult]:
    """Read a Parquet or GeoParquet file in chunks of rows, judged in Arrow.

    What :func:`~vessel_risk.ingest.iter_ais` yields for a Parquet file. Line numbers
    are row numbers in the file, from 1.

    Parameters
    ----------
    path : Path
        An existing file that :func:`~vessel_risk.ingest.dialects.sniff` calls
        ``"parquet"``.
    chunk_rows : int, default 1,000,000
        Rows per chunk (at least 1).
    limits : IngestLimits, optional
        Text values over ``max_field_chars`` quarantine their row (``field_too_long``);
        reading stops after ``max_rows`` rows, or before the row group that would take
        the uncompressed size of the columns read past ``max_decompressed_bytes``, with
        one quarantined row (``row_limit_reached``, ``decompressed_size_limit``) and
        ``limit_reached`` in the report.

    Yields
    ------
    IngestResult
        One per chunk, at least one.

    Raises
    ------
    ValueError
        If the file is not a readable Parquet file, before its first chunk or at the
        chunk where it is corrupt; or if a column read is nested (struct, list, map),
        fixed-size binary, binary that is not UTF-8, or a geometry column that is not
        WKB or GeoArrow points, or whose CRS is unknown (``null``) or unreadable: the
        message names the file and the column.
    UnknownDialectError
        If its columns match no dialect.
    """
    stop: list[int] = []
    return iter_tables(_parquet_batches(path, chunk_rows, limits, stop), path, limits, stop)


def iter_tables(
    tables: Iterator[tuple[pa.Table, str]],
    path: Path,
    limits: IngestLimits = DEFAULT_LIMITS,
    stop: list[int] | None = None,
) -> Iterator[IngestResult]:
    """Standard Arrow tables of one file (and their dialect) judged chunk by chunk.

    The loop :func:`iter_parquet` and :func:`vessel_risk.ingest.geopackage.iter_geopackage`
    share: rows past ``limits.max_rows`` end the file with one ``row_limit_reached`` row;
    a non-empty ``stop`` (the reader stopped before a size limit) ends it with one
    ``decompressed_size_limit`` row. Line numbers are row numbers from 1.
    """
    source = path.name
    first = 1
    constants = (_Constant(source), _Constant(None))
    empty: tuple[pd.DataFrame, pd.DataFrame, str] | None = None
    for table, dialect in tables:
        over = first + table.num_rows - 1 - limits.max_rows
        if over > 0:
            raw = raw_text(_rows_as_pandas(table, np.array([table.num_rows - over])))
            table = table.slice(0, table.num_rows - over)
        result = _parse_table(
            table,
            source=source,
            dialect=dialect,
            first_line=first,
            constants=constants,
            max_field=limits.max_field_chars,
        )
        first += table.num_rows
        if over > 0:
            yield _with_marker(
                result, first, str(raw.iloc[0])[:RAW_KEPT_CHARS], "row_limit_reached", "max_rows"
            )
            return
        empty = (result.positions.iloc[:0], result.static.iloc[:0], dialect)
        yield result
    if stop and empty is not None:  # the row groups past the limit: one row says so
        positions, static, dialect = empty
        nothing = _chunk_result(positions, static, [], source, dialect, 0, 0, None)
        yield _with_marker(nothing, first, "", "decompressed_size_limit", "max_decompressed_bytes")
