"""The position store: AIS files ingested once into Parquet, partitioned by vessel.

Layout of a position store (one folder, written by :func:`write_store`, days added by
:func:`append_store`)::

    positions/part=NNNNN/fileIIIII-KKKKK.parquet   position reports
    static/part=NNNNN/fileIIIII-KKKKK.parquet      static reports
    quarantine/fileIIIII-KKKKK.parquet             rows not kept
    ingest_report.json                             the per-file reports
    store.json                                     partition count; each append's window
    appends/NNNNN.parquet                          the MMSIs each append touched

``part`` is the vessel partition (:func:`~vessel_risk.ingest.store_split.vessel_partition`,
a stable hash of the MMSI): every row of a vessel is in one partition, whatever file it
came from, so later stages process one partition at a time (:func:`read_partition`).
``I`` numbers the input file and ``K`` its chunk (positions and static: a batch of
chunks, :class:`~vessel_risk.ingest.store_split.SplitBatches`), so reading a
partition's files in name order gives each vessel's rows in input order.
:func:`~vessel_risk.ingest.store_split.write_split` writes any frame the same way (Hive
style); it and ``vessel_partition`` live in :mod:`vessel_risk.ingest.store_split`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow.parquet as pq

from vessel_risk.frames import empty_frame
from vessel_risk.ingest.limits import DEFAULT_LIMITS, IngestLimits
from vessel_risk.ingest.nmea_reader import NMEA_BATCH_ROWS
from vessel_risk.ingest.quarantine import _stack_quarantine
from vessel_risk.ingest.readers import iter_ais
from vessel_risk.ingest.result import IngestResult, merge_reports
from vessel_risk.ingest.schemas import IngestPositionSchema, StaticReportSchema
from vessel_risk.ingest.store_split import SplitBatches

if TYPE_CHECKING:
    from pandera.pandas import DataFrameModel


STORE_PARTITION_BYTES = 32 << 20
"""Input bytes (as stored on disk) per vessel partition of a position store: about
700,000 Parquet rows or 150,000 CSV rows, so one partition's stages fit well in memory."""
STORE_CHUNK_ROWS = 250_000
"""Parquet rows read per chunk into the store: a 27-column chunk of 1,000,000 rows set
the peak of a 10M-row run (1.9 GiB), a quarter of it holds ingest under 1 GiB."""


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


def _partition_dir(kind: str, partition: int) -> str:
    return f"{kind}/part={partition:05d}"


def write_store(
    paths: list[str | Path],
    store: str | Path,
    *,
    partitions: int | None = None,
    on_file: Callable[[int, str], None] | None = None,
    limits: IngestLimits = DEFAULT_LIMITS,
) -> list[dict[str, object]]:
    """Ingest AIS files one at a time into a position store (Parquet, partitioned by vessel).

    Layout: ``positions/part=NNNNN/`` and ``static/part=NNNNN/`` (Hive partitions by
    :func:`~vessel_risk.ingest.store_split.vessel_partition` of the MMSI: every row of a
    vessel is in one partition),
    ``quarantine/`` and ``ingest_report.json`` (the per-file counts). Within a
    partition, files are named ``fileIIIII-KKKKK.parquet`` (input file, batch of chunks), so
    reading them in name order gives each vessel's rows in input order. Files are read
    chunk by chunk (:func:`~vessel_risk.ingest.readers.iter_ais`) and each chunk is
    written before the next is read, so memory stays bounded by the chunk size, not by
    the file (1.3 GB peak for a 10 M-row CSV, benchmarks/README.md). An existing folder
    that is not empty is refused, since new files would silently replace old ones: add
    files to a store with :func:`append_store`.

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
    limits : IngestLimits, optional
        Per-file limits on decompressed size, line and field length and rows
        (:mod:`vessel_risk.ingest.limits`): what exceeds them is quarantined and
        counted, so memory stays bounded whatever the file.

    Returns
    -------
    list of dict
        The per-file reports, as in :attr:`~vessel_risk.ingest.result.IngestResult.files`.

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`~vessel_risk.ingest.readers.read_ais` (nothing of any file is left
        written); ValueError also if ``partitions`` is below 1, if ``store`` is a file
        or a folder that is not empty, or if two of ``paths`` have the same contents.
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
            "write each store to a new folder, or add files to an existing store with "
            "`vessel-risk ingest PATH... --store DIR --append`."
        )
    if len(paths) != 1:  # refused before anything is written
        hashes = _refuse_duplicates(paths, {})
    store.mkdir(parents=True, exist_ok=True)
    if len(paths) == 1:  # nothing to be a duplicate of: hashed while it is ingested
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as pool:
            digest = pool.submit(file_sha256, paths[0])
            reports, touched = _ingest(paths, store, partitions, 0, on_file, limits)
            try:
                hashes = [digest.result()]
            except BaseException:
                _remove_files(store, [0])
                raise
    else:
        reports, touched = _ingest(paths, store, partitions, 0, on_file, limits)
    (store / "ingest_report.json").write_text(json.dumps(reports, indent=2, default=str))
    _write_manifest(store, {"partitions": partitions, "appends": []})
    _record_append(store, touched, list(range(len(paths))), hashes)
    return reports


def append_store(
    paths: list[str | Path],
    store: str | Path,
    *,
    on_file: Callable[[int, str], None] | None = None,
    limits: IngestLimits = DEFAULT_LIMITS,
) -> list[dict[str, object]]:
    """Add AIS files (a day's, say) to an existing position store.

    The files are ingested as :func:`write_store` does, into the store's partitions
    (the same MMSI hash and count, read from ``store.json``), numbered after the files
    already there, so each vessel's rows stay in input order. What the append touched
    is kept (:func:`store_appends`): the MMSIs with new positions or static reports
    and their first and last time, which ``vessel-risk run --store`` recomputes
    (:mod:`vessel_risk.pipeline.incremental`).

    Parameters
    ----------
    paths : list of str or Path
        AIS files in any supported dialect.
    store : str or Path
        Written by :func:`write_store` (with a ``store.json``).
    on_file : callable, optional
        ``f(index, name)`` called before each file.
    limits : IngestLimits, optional
        As :func:`write_store`.

    Returns
    -------
    list of dict
        The per-file reports of the appended files.

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`write_store`; ValueError also if ``store`` is not a position store or
        was written before stores recorded their partition count (ingest it again), or
        if a file has the same contents (SHA-256) as one already in the store or another
        of ``paths``. The append is all or nothing: on any error, every file it wrote is
        removed and ``store.json`` and ``ingest_report.json`` are unchanged.
    """
    for path in paths:
        if not Path(path).exists():
            raise FileNotFoundError(f"The AIS file {str(path)!r} does not exist.")
    store = Path(store)
    store_partitions(store)  # a position store, or a clear error
    manifest = read_manifest(store)
    previous = json.loads((store / "ingest_report.json").read_text(encoding="utf-8"))
    known = {
        h: str(previous[i]["source"]) if i < len(previous) else f"file {i}"
        for a in manifest["appends"]
        for i, h in zip(a["files"], a.get("sha256", []), strict=False)
    }
    hashes = _refuse_duplicates(paths, known)
    first = len(previous)
    report_text = (store / "ingest_report.json").read_text(encoding="utf-8")
    number = len(manifest["appends"])
    reports, touched = _ingest(paths, store, int(manifest["partitions"]), first, on_file, limits)
    try:
        (store / "ingest_report.json").write_text(
            json.dumps([*previous, *reports], indent=2, default=str)
        )
        _record_append(store, touched, list(range(first, first + len(paths))), hashes)
    except BaseException:
        # the store as it was: no partition file, report or append record of these files
        _remove_files(store, range(first, first + len(paths)))
        (store / "ingest_report.json").write_text(report_text, encoding="utf-8")
        if len(read_manifest(store)["appends"]) == number:
            (store / "appends" / f"{number:05d}.parquet").unlink(missing_ok=True)
        raise
    return reports


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in blocks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _refuse_duplicates(paths: list[str | Path], known: dict[str, str]) -> list[str]:
    """The SHA-256 of each of ``paths``; ValueError if one has the contents of a file
    already in the store (``known``: hash to its source) or of another of ``paths``."""
    hashes: list[str] = []
    seen = dict(known)
    for path in paths:
        h = file_sha256(path)
        if h in seen:
            where = "already in the store" if h in known else "also given in this ingest"
            raise ValueError(
                f"The AIS file {str(path)!r} has the same contents as {seen[h]!r}, "
                f"{where}: ingesting it again would count its positions twice. "
                "Nothing was written."
            )
        seen[h] = str(path)
        hashes.append(h)
    return hashes


MANIFEST = "store.json"
"""The file of a position store that says how it is partitioned and what each append added."""


def read_manifest(store: str | Path) -> dict[str, Any]:
    """A position store's ``store.json``: ``partitions`` and ``appends``.

    ``appends`` lists each ingest in order (the first is :func:`write_store`'s): its
    ``files`` (indexes into ``ingest_report.json``), ``vessels`` touched, ``start`` and
    ``end`` (ISO 8601 UTC, null without a timed row) and ``at`` (when).

    Raises
    ------
    ValueError
        If there is none (a store written by a vessel-risk before appends existed).
    """
    path = Path(store) / MANIFEST
    if not path.is_file():
        raise ValueError(
            f"The store {str(store)!r} has no {MANIFEST} (written by an older vessel-risk): "
            "files cannot be appended to it; ingest all its files again into a new store."
        )
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def _write_manifest(store: Path, manifest: dict[str, object]) -> None:
    tmp = store / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2))
    tmp.replace(store / MANIFEST)


def _record_append(store: Path, touched: pd.DataFrame, files: list[int], hashes: list[str]) -> None:
    """Add one append to the manifest (with the SHA-256 of each file, in the order of
    ``files``); its touched MMSIs to ``appends/NNNNN.parquet``."""
    manifest = read_manifest(store)
    appends = list(manifest["appends"])
    number = len(appends)
    (store / "appends").mkdir(exist_ok=True)
    touched.to_parquet(store / "appends" / f"{number:05d}.parquet", index=False)

    def iso(t: Any) -> str | None:
        return None if pd.isna(t) else pd.Timestamp(t).isoformat()

    appends.append(
        {
            "files": files,
            "sha256": hashes,
            "vessels": len(touched),
            "start": iso(touched["first"].min()) if len(touched) else None,
            "end": iso(touched["last"].max()) if len(touched) else None,
            "at": pd.Timestamp.now(tz="UTC").isoformat(),
        }
    )
    _write_manifest(store, {**manifest, "appends": appends})


def store_appends(store: str | Path, since: int = 0) -> pd.DataFrame:
    """The MMSIs touched by the appends numbered ``since`` and after, with their window.

    Parameters
    ----------
    store : str or Path
        With a ``store.json`` (:func:`read_manifest`).
    since : int, default 0
        The first append to include (0: the initial :func:`write_store`).

    Returns
    -------
    DataFrame
        ``mmsi`` (str), ``first`` and ``last`` (UTC time of the earliest and latest new
        row of that MMSI; NaT for static reports without a time), one row per MMSI.
    """
    store = Path(store)
    files = sorted((store / "appends").glob("*.parquet"))
    frames = [pd.read_parquet(f) for f in files if int(f.stem) >= since]
    if not frames:
        return _touched([])
    return _touched(frames)


def _touched(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stacked ``mmsi``/``first``/``last`` rows reduced to one per MMSI."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(
            {
                "mmsi": pd.Series(dtype="string"),
                "first": pd.Series(dtype="datetime64[ns, UTC]"),
                "last": pd.Series(dtype="datetime64[ns, UTC]"),
            }
        )
    stacked = pd.concat(frames, ignore_index=True)
    stacked["mmsi"] = stacked["mmsi"].astype("string")
    out = stacked.groupby("mmsi", sort=True).agg(first=("first", "min"), last=("last", "max"))
    return out.reset_index()


def _ingest(
    paths: list[str | Path],
    store: Path,
    partitions: int,
    first: int,
    on_file: Callable[[int, str], None] | None,
    limits: IngestLimits,
) -> tuple[list[dict[str, object]], pd.DataFrame]:
    """Ingest ``paths`` as files ``first``, ``first + 1``... of ``store``, all or nothing.

    Returns the per-file reports and the touched MMSIs (:func:`_touched`). On any
    exception (a corrupt file, a full disk, an interrupt) every file written for any of
    ``paths`` is removed before it propagates, so no partition file is left that
    ``store.json`` does not record.
    """
    try:
        return _ingest_files(paths, store, partitions, first, on_file, limits)
    except BaseException:
        _remove_files(store, range(first, first + len(paths)))
        raise


def _remove_files(store: Path, files: Iterable[int]) -> None:
    """Remove what input files ``files`` wrote to ``store``, and partition folders left
    empty by it."""
    for i in files:
        for written in store.glob(f"*/**/file{i:05d}-*.parquet"):
            written.unlink()
    for kind in ("positions", "static", "quarantine"):
        folder = store / kind
        for d in sorted(folder.glob("*=*")) if folder.is_dir() else []:
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
        if folder.is_dir() and not any(folder.iterdir()):
            shutil.rmtree(folder)


def _ingest_files(
    paths: list[str | Path],
    store: Path,
    partitions: int,
    first: int,
    on_file: Callable[[int, str], None] | None,
    limits: IngestLimits,
) -> tuple[list[dict[str, object]], pd.DataFrame]:
    """:func:`_ingest` without the clean-up."""
    reports: list[dict[str, object]] = []
    touched: list[pd.DataFrame] = []
    for i, path in enumerate(paths, start=first):
        if on_file is not None:
            on_file(i - first, Path(path).name)
        parts: list[dict[str, object]] = []
        batches = {
            kind: SplitBatches(store / kind, "part", partitions, f"file{i:05d}")
            for kind in ("positions", "static")
        }
        try:
            for k, r in enumerate(iter_ais(path, limits=limits, chunk_rows=STORE_CHUNK_ROWS)):
                if r.files[0].get("dialect") == "nmea":  # small chunks: fewer files to read
                    batches["positions"].rows = NMEA_BATCH_ROWS
                for kind, frame in (("positions", r.positions), ("static", r.static)):
                    if frame.empty:
                        continue
                    batches[kind].add(frame)  # written a few chunks at a time
                    times = pd.to_datetime(frame["timestamp"], utc=True)
                    seen = pd.DataFrame({"mmsi": frame["mmsi"].astype("string"), "t": times})
                    touched.append(
                        seen.groupby("mmsi", sort=False)["t"]
                        .agg(["min", "max"])
                        .rename(columns={"min": "first", "max": "last"})
                        .reset_index()
                    )
                if not r.quarantine.empty:
                    (store / "quarantine").mkdir(exist_ok=True)
                    r.quarantine.to_parquet(
                        store / "quarantine" / f"file{i:05d}-{k:05d}.parquet", index=False
                    )
                parts.extend(r.files)
            for batch in batches.values():
                batch.flush()
        except ValueError as exc:
            if str(path) in str(exc):
                raise
            raise type(exc)(f"{str(path)!r}: {exc}") from exc  # which of several files
        reports.append(merge_reports(parts))
    return reports, _touched(touched)


def store_partitions(store: str | Path) -> list[int]:
    """The vessel partitions of a position store that hold positions or static reports.

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
        If ``store`` is not a position store: no ``ingest_report.json``, or one that is not
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


def partition_rows(store: str | Path, partition: int) -> int:
    """Rows of one partition of the position store, from its Parquet footers (no data read).

    What a partition's first pass will cost, roughly: the run starts the largest first
    on a cluster (:meth:`~vessel_risk.pipeline.engine.Engine.map`'s ``sizes``).

    Parameters
    ----------
    store : str or Path
        Written by :func:`write_store`.
    partition : int
        One of :func:`store_partitions`.

    Returns
    -------
    int
        Position rows (0 for a partition of static reports only).
    """
    folder = Path(store) / _partition_dir("positions", partition)
    return sum(pq.ParquetFile(f).metadata.num_rows for f in sorted(folder.glob("*.parquet")))


def _read_frames(folders: Iterable[Path], schema: type[DataFrameModel]) -> pd.DataFrame:
    """The files of ``folders`` in name order, stacked; typed empty if there are none."""
    files = [f for folder in folders for f in sorted(folder.glob("*.parquet"))]
    if not files:
        return empty_frame(schema)
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def read_partition(
    store: str | Path, partition: int, *, positions: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The positions and static reports of one vessel partition of a position store.

    Parameters
    ----------
    store : str or Path
        Written by :func:`write_store`.
    partition : int
        One of :func:`store_partitions`.
    positions : bool, default True
        False reads the static reports alone (positions come back empty, typed).

    Returns
    -------
    positions : DataFrame
        As :attr:`~vessel_risk.ingest.result.IngestResult.positions`, each vessel's rows
        in input order.
    static : DataFrame
        As :attr:`~vessel_risk.ingest.result.IngestResult.static`.
    """
    store = Path(store)
    pos = [store / _partition_dir("positions", partition)] if positions else []
    return (
        _read_frames(pos, IngestPositionSchema),
        _read_frames([store / _partition_dir("static", partition)], StaticReportSchema),
    )


def read_store(store: str | Path) -> IngestResult:
    """Read back a whole position store written by :func:`write_store` (all partitions).

    Parameters
    ----------
    store : str or Path

    Returns
    -------
    IngestResult
        The frames of every file in the position store, with the per-file reports.

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
    """The rows a position store's files (``store``, :func:`write_store`) quarantined at
    ingest, one written chunk at a time.

    Yields
    ------
    DataFrame
        As :class:`~vessel_risk.ingest.schemas.QuarantineSchema`, in input order.
    """
    for f in sorted((Path(store) / "quarantine").glob("*.parquet")):
        yield pd.read_parquet(f)
