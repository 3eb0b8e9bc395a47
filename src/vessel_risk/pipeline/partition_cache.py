"""The frames an incremental run keeps per vessel partition, and how it splices them.

Helpers of :mod:`vessel_risk.pipeline.incremental`: a partition's frames are saved and
loaded as Parquet files in the output folder's cache; recomputed MMSIs replace their
rows (:func:`splice`); :func:`changed_mmsis` and :func:`gaps_in` find the MMSIs whose
second-pass inputs changed.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vessel_risk.events.gaps import _cell_days
from vessel_risk.geo.tracks import epoch_ns
from vessel_risk.pipeline.stages import concat

PASS1 = ("positions", "transmitters", "identity", "quarantine", "grid")
"""The frames kept of a partition's first pass (``grid``: its 10-minute encounter grid)."""
PASS2 = ("visits", "voyages", "gaps", "loitering", "features", "fishing")
"""The frames kept of its second pass (``fishing``: positions with fishing scores)."""


def is_in(frame: pd.DataFrame, mmsis: Collection[str]) -> pd.Series:
    """Which rows of ``frame`` belong to ``mmsis`` (none, if it has no ``mmsi``)."""
    if "mmsi" not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame["mmsi"].astype(str).isin(set(mmsis))


def splice(old: pd.DataFrame, new: pd.DataFrame, mmsis: Collection[str]) -> pd.DataFrame:
    """``old`` without the rows of ``mmsis``, plus ``new``; each MMSI's rows together."""
    kept = old[~is_in(old, mmsis)]
    if "mmsi" in new.columns and "mmsi" in kept.columns:
        if isinstance(new["mmsi"].dtype, pd.CategoricalDtype):
            new = new.assign(mmsi=new["mmsi"].astype(str))
        kept = kept.assign(mmsi=kept["mmsi"].astype(str))
    out = concat([kept, new])
    if "mmsi" in out.columns:
        out = out.sort_values("mmsi", kind="stable", ignore_index=True)
    return out


def save_frames(folder: Path, frames: dict[str, pd.DataFrame]) -> None:
    """Each frame to ``folder/<name>.parquet``, written under a temporary name and
    renamed (``os.replace``, atomic on one file system): a task killed while writing
    (a lost Dask worker, its task retried elsewhere) leaves the last whole file, never
    a truncated one."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        path = folder / f"{name}.parquet"
        tmp = folder / f".{name}.{uuid.uuid4().hex}.tmp"
        try:
            frame.to_parquet(tmp, index=False)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def save_text(path: Path, text: str) -> None:
    """``text`` to ``path`` (UTF-8) under a temporary name, then renamed, as
    :func:`save_frames`."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_frames(folder: Path, names: Collection[str]) -> dict[str, pd.DataFrame]:
    """The frames :func:`save_frames` wrote, by name."""
    return {n: pd.read_parquet(folder / f"{n}.parquet") for n in names}


def row_hashes(frame: pd.DataFrame, key: str = "mmsi") -> dict[str, tuple[int, ...]]:
    """Per value of ``key``: the sorted hashes of its rows (to see which ones changed)."""
    if frame.empty or key not in frame.columns:
        return {}
    text = frame.reset_index(drop=True).astype(str)
    hashes = pd.util.hash_pandas_object(text, index=False).to_numpy()
    out: dict[str, list[int]] = {}
    for m, h in zip(text[key], hashes, strict=True):
        out.setdefault(m, []).append(int(h))
    return {m: tuple(sorted(v)) for m, v in out.items()}


def changed_mmsis(old: pd.DataFrame, new: pd.DataFrame) -> set[str]:
    """MMSIs (in any ``*mmsi`` column) of rows in one table and not the other."""
    a, b = row_hashes(old), row_hashes(new)
    keys = {m for m in a.keys() | b.keys() if a.get(m) != b.get(m)}
    for frame in (old, new):
        others = [c for c in frame.columns if c.endswith("mmsi") and c != "mmsi"]
        if others and len(frame):
            hit = frame["mmsi"].astype(str).isin(keys)
            for c in others:
                keys |= set(frame.loc[hit, c].dropna().astype(str))
    return keys


def gaps_in(gaps: pd.DataFrame, cell_days: np.ndarray) -> set[str]:
    """MMSIs with a gap whose starting cell-day is in ``cell_days`` (its class may change)."""
    if gaps.empty or len(cell_days) == 0:
        return set()
    wanted = _cell_days(
        epoch_ns(gaps["start"]),
        gaps["start_lat"].fillna(0).to_numpy(dtype="float64"),
        gaps["start_lon"].fillna(0).to_numpy(dtype="float64"),
    )
    return set(gaps.loc[np.isin(wanted, cell_days), "mmsi"].astype(str))


@dataclass
class CleaningBatches:
    """Cleaning counts of a partition, kept per batch of MMSIs computed together."""

    batches: list[tuple[list[str], dict[str, int]]]

    def replace(self, mmsis: set[str], counts: dict[str, int]) -> None:
        # A batch wholly recomputed is dropped; one only partly recomputed is kept (its
        # counts then include the old rows of the recomputed MMSIs: counts only).
        self.batches = [b for b in self.batches if not set(b[0]) <= mmsis]
        self.batches.append((sorted(mmsis), {k: int(v) for k, v in counts.items()}))

    def total(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for _, c in self.batches:
            out.update(c)
        return out
