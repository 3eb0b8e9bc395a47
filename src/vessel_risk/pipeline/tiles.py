"""Space-time tiles of the encounter grid: how the pair search is split into tasks.

Close pairs only join grid points of one 10-minute slot within 500 m, so the grid can be
searched one piece at a time. A tile is a time window of :data:`ENCOUNTER_WINDOW_SLOTS`
slots by a latitude band of :data:`ENCOUNTER_TILE_DEG`; a point within
:data:`TILE_MARGIN_DEG` of a band edge is also put in the neighbouring band, and a pair
is kept only by the lower of its two points' home bands (which holds them both), so
over all tiles every close pair of the whole grid comes back exactly once.

On disk (:func:`write_grid`) each partition writes one Parquet file per time window,
``work/grid/window=W/part=P.parquet``, with one row group per band: a tile costs no
file of its own. The driver (:func:`plan_tiles`) reads the row-group sizes and packs
the tiles of each window into tasks of at most :data:`TILE_TASK_POINTS` grid points
(a window of a small fleet stays one task; a busy one is split by band); each task
(:func:`encounter_tile_task`) reads only its bands' row groups.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vessel_risk.events.encounters import (
    MAX_DISTANCE_M,
    MIN_MERIDIAN_RADIUS_M,
    close_pairs,
    pair_samples,
)

__all__ = [
    "ENCOUNTER_TILE_DEG",
    "ENCOUNTER_WINDOW_SLOTS",
    "GRID_DICTIONARY_COLUMNS",
    "TILE_MARGIN_DEG",
    "TILE_TASK_POINTS",
    "encounter_tile_task",
    "grid_tiles",
    "plan_tiles",
    "string_mmsi",
    "write_grid",
]

ENCOUNTER_WINDOW_SLOTS = 4096
"""Slots of the 10-minute encounter grid in one time window (about 28 days)."""

ENCOUNTER_TILE_DEG = 10.0
"""Latitude band of one tile, degrees (with :data:`ENCOUNTER_WINDOW_SLOTS`: a tile)."""

TILE_MARGIN_DEG = float(np.degrees((MAX_DISTANCE_M + 1.0) / MIN_MERIDIAN_RADIUS_M))
"""A grid point this close to a band edge (degrees of latitude, 0.00453°: 501 m on the
sphere of :data:`~vessel_risk.events.encounters.MIN_MERIDIAN_RADIUS_M`, more than two
points within 500 m on WGS 84 ever differ by) is also put in the neighbouring band."""

TILE_TASK_POINTS = 2_000_000
"""Most grid points one encounter task reads (a single larger tile is a task alone)."""

Task = tuple[str, list[int]]
"""One encounter task: a ``work/grid/window=W`` folder and the bands it searches."""


GRID_DICTIONARY_COLUMNS = ["mmsi", "track_id", "speed_knots", "tile", "home"]
"""Grid columns written with Parquet dictionary encoding. The others (``slot`` and the
interpolated ``lat``, ``lon``, ``distance_from_port_km``) are nearly all distinct, so a
dictionary costs more time to try than it saves: written plain, a grid file takes about
a quarter less CPU to write and ~7 % more disk (a work file, read once)."""


def string_mmsi(mmsi: pd.Series) -> pd.Series:
    """``mmsi.astype("string")``, from a categorical's codes and categories.

    The grid's MMSI is categorical (:func:`~vessel_risk.events.encounters.resample_tracks`);
    its files hold strings, so that partitions with other categories stack. Taking the
    categories by code gives the same values and dtype as ``astype("string")`` (NA
    where the code is -1) at a tenth of its cost or less; any other dtype goes through
    ``astype``.

    Parameters
    ----------
    mmsi : Series

    Returns
    -------
    Series
        Of dtype ``"string"``, same index and name.
    """
    if not isinstance(mmsi.dtype, pd.CategoricalDtype):
        return mmsi.astype("string")
    names = mmsi.cat.categories.astype("string").array
    values = names.take(mmsi.cat.codes.to_numpy(), allow_fill=True)
    return pd.Series(values, index=mmsi.index, name=mmsi.name)


def grid_tiles(grid: pd.DataFrame) -> pd.DataFrame:
    """The located points of an encounter grid, each in its tile and, near a band edge,
    also in the neighbouring one.

    Parameters
    ----------
    grid : DataFrame from :func:`~vessel_risk.events.encounters.resample_tracks`.

    Returns
    -------
    DataFrame
        The located rows of ``grid`` (points without a position never pair) with
        ``window`` (``slot // ENCOUNTER_WINDOW_SLOTS``), ``tile`` (the band the row is
        put in) and ``home`` (the band the point lies in); a point within
        :data:`TILE_MARGIN_DEG` of a band edge appears twice, once in each band.
    """
    located = grid[grid["lat"].notna() & grid["lon"].notna()]
    lat = located["lat"].to_numpy(dtype="float64")
    home = np.floor(lat / ENCOUNTER_TILE_DEG).astype("int64")
    low = lat - home * ENCOUNTER_TILE_DEG < TILE_MARGIN_DEG
    high = (home + 1) * ENCOUNTER_TILE_DEG - lat < TILE_MARGIN_DEG
    rows = np.concatenate([np.arange(len(lat)), np.flatnonzero(low), np.flatnonzero(high)])
    out = located.iloc[rows].reset_index(drop=True)
    out["window"] = out["slot"].to_numpy(dtype="int64") // ENCOUNTER_WINDOW_SLOTS
    out["tile"] = np.concatenate([home, home[low] - 1, home[high] + 1])
    out["home"] = home[rows]
    return out


def write_grid(grid: pd.DataFrame, work: str | Path, partition: int) -> None:
    """The partition's encounter grid: one file per time window it touches, one row
    group per band, each written whole under a temporary name and then renamed (a
    retried task leaves the same files).

    Parameters
    ----------
    grid : DataFrame from :func:`~vessel_risk.events.encounters.resample_tracks`.
    work : str or Path
        The run's work folder; files go to ``work/grid/window=W/part=P.parquet``.
    partition : int
    """
    tiles = grid_tiles(grid)
    if tiles.empty:
        return
    order = np.lexsort((tiles["tile"].to_numpy(), tiles["window"].to_numpy()))
    tiles = tiles.iloc[order].reset_index(drop=True)
    keys = tiles["window"].to_numpy() * 1000 + tiles["tile"].to_numpy()
    starts = [*np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]), len(keys)]
    windows = tiles.pop("window").to_numpy()
    table = pa.Table.from_pandas(tiles, preserve_index=False)
    writer: pq.ParquetWriter | None = None
    path = tmp = Path()
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        if writer is None or windows[a] != windows[a - 1]:
            if writer is not None:
                writer.close()
                os.replace(tmp, path)
            path = (
                Path(work)
                / "grid"
                / f"window={int(windows[a]):05d}"
                / f"part={partition:05d}.parquet"
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
            writer = pq.ParquetWriter(tmp, table.schema, use_dictionary=GRID_DICTIONARY_COLUMNS)
        writer.write_table(table.slice(a, b - a))  # one row group per band
    assert writer is not None
    writer.close()
    os.replace(tmp, path)


def _row_groups(file: pq.ParquetFile) -> list[tuple[int, int]]:
    """``(band, rows)`` of each row group of a grid file (one band per row group)."""
    meta = file.metadata
    column = file.schema_arrow.get_field_index("tile")
    return [
        (int(meta.row_group(g).column(column).statistics.min), meta.row_group(g).num_rows)
        for g in range(meta.num_row_groups)
    ]


def plan_tiles(work: str | Path, *, max_points: int = TILE_TASK_POINTS) -> list[Task]:
    """The encounter tasks of a run: each window's bands packed, in band order, into
    tasks of at most ``max_points`` grid points (from the files' row-group sizes).

    Parameters
    ----------
    work : str or Path
        The run's work folder, after every first-pass task wrote its grid.
    max_points : int, default :data:`TILE_TASK_POINTS`

    Returns
    -------
    list of (str, list of int)
        ``(window folder, bands)``, in window order.
    """
    tasks: list[Task] = []
    for window in sorted((Path(work) / "grid").glob("window=*")):
        rows: dict[int, int] = {}
        for f in sorted(window.glob("*.parquet")):
            for band, n in _row_groups(pq.ParquetFile(f)):
                rows[band] = rows.get(band, 0) + n
        bands: list[int] = []
        total = 0
        for band in sorted(rows):
            if bands and total + rows[band] > max_points:
                tasks.append((str(window), bands))
                bands, total = [], 0
            bands.append(band)
            total += rows[band]
        if bands:
            tasks.append((str(window), bands))
    return tasks


def encounter_tile_task(task: Task) -> pd.DataFrame:
    """Close-pair samples of some bands of one time window (every partition's points).

    Parameters
    ----------
    task : (str, list of int)
        From :func:`plan_tiles`: a ``work/grid/window=W`` folder and its bands.

    Returns
    -------
    DataFrame
        :func:`~vessel_risk.events.encounters.pair_samples` of the close pairs owned by
        these tiles (a pair belongs to the lower of its two points' home bands).
    """
    window, bands = task
    wanted = set(bands)
    frames = []
    for f in sorted(Path(window).glob("*.parquet")):
        file = pq.ParquetFile(f)
        groups = [g for g, (band, _) in enumerate(_row_groups(file)) if band in wanted]
        if groups:
            frames.append(file.read_row_groups(groups).to_pandas())
    if not frames:
        return pd.DataFrame()
    grid = pd.concat(frames, ignore_index=True)
    tile, home = grid["tile"].to_numpy(), grid["home"].to_numpy()
    slot = grid["slot"].to_numpy(dtype="int64")
    # One search for all the task's bands: each band's slots are moved apart by two
    # windows, so points of two bands never pair (close_pairs pairs one slot only).
    index = np.searchsorted(np.array(sorted(wanted)), tile)
    apart = grid.assign(slot=slot + index * 2 * ENCOUNTER_WINDOW_SLOTS)
    pairs = close_pairs(apart)
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    pairs = pairs.assign(slot=slot[i])[np.minimum(home[i], home[j]) == tile[i]]
    return pair_samples(grid, pairs)
