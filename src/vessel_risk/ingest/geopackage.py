"""GeoPackage files of AIS points, read in chunks through pyogrio (GDAL's Arrow stream).

A GeoPackage (OGC 12-128r18) is an SQLite file whose application id is ``GPKG``
(:func:`vessel_risk.ingest.dialects.sniff` calls it ``"geopackage"``). Its first layer
is read as an Arrow stream of ``chunk_rows`` rows: the point geometry (WKB, in the
layer's CRS) becomes EPSG:4326 ``lon``/``lat`` as for GeoParquet
(:func:`vessel_risk.geo.geoparquet.point_lonlat`); empty points are quarantined
(``empty_geometry``); the other columns are read as the dialect they name and judged
as Parquet rows are (:func:`vessel_risk.ingest.parquet.iter_tables`). Line numbers
are feature numbers in the layer, from 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from vessel_risk.geo.geoparquet import GeoColumn
from vessel_risk.ingest.limits import DEFAULT_LIMITS, IngestLimits
from vessel_risk.ingest.parquet import CHUNK_ROWS, _read_columns, _standard_table, iter_tables
from vessel_risk.ingest.result import IngestResult


def _batches(path: Path, chunk_rows: int, limits: IngestLimits) -> Iterator[tuple[pa.Table, str]]:
    """The first layer of ``path`` as standard Arrow tables of ``chunk_rows`` rows."""
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        layers = pyogrio.list_layers(path)
        if not len(layers):
            raise ValueError("it has no layer")
        stream = pyogrio.open_arrow(
            path, layer=str(layers[0][0]), batch_size=chunk_rows, use_pyarrow=True
        )
        meta, reader = stream.__enter__()
    except (DataSourceError, DataLayerError, ValueError, OSError) as exc:
        raise ValueError(f"The AIS file {str(path)!r} is not a readable GeoPackage: {exc}") from exc
    try:
        geo_name = meta.get("geometry_name") or "geometry"
        names = [str(n) for n in meta["fields"]]
        geometry = GeoColumn(name=geo_name, encoding="WKB", crs=meta.get("crs"))
        dialect, _, read = _read_columns([*names, geo_name], geo_name)
        rows = 0
        for batch in reader:
            table = pa.Table.from_batches([batch]).select(read)
            rows += table.num_rows
            yield _standard_table(table, dialect, geometry, path), dialect
            if rows > limits.max_rows:
                break
        if rows == 0:
            empty = reader.schema.empty_table().select(read)
            yield _standard_table(empty, dialect, geometry, path), dialect
    finally:
        stream.__exit__(None, None, None)


def iter_geopackage(
    path: Path, *, chunk_rows: int = CHUNK_ROWS, limits: IngestLimits = DEFAULT_LIMITS
) -> Iterator[IngestResult]:
    """Read the AIS points of a GeoPackage's first layer in chunks of rows.

    What :func:`~vessel_risk.ingest.iter_ais` yields for a GeoPackage.

    Parameters
    ----------
    path : Path
        A GeoPackage whose first layer holds points.
    chunk_rows : int, default 1,000,000
        Features per chunk.
    limits : IngestLimits, optional
        As :func:`~vessel_risk.ingest.parquet.iter_parquet` (rows and field lengths).

    Yields
    ------
    IngestResult
        One per chunk, at least one.

    Raises
    ------
    ValueError
        If GDAL cannot open the file or it has no layer, or its layer's CRS is unknown
        or not one pyproj reads (the message names the file).
    UnknownDialectError
        If its columns match no dialect.
    """
    return iter_tables(_batches(path, chunk_rows, limits), path, limits)
