"""Incremental runs: a day appended to a position store, the alerts revised.

``vessel-risk ingest --append`` adds files to a position store
(:func:`vessel_risk.ingest.append_store`), which keeps what each append touched: the
MMSIs with new rows and their time window (:func:`vessel_risk.ingest.store_appends`).
An output folder remembers which appends of which store its last run took in
(:data:`STATE`, written by :func:`mark_processed` when a ``--store`` run has recorded
its alerts); :func:`plan_run` says what is new since then: the touched MMSIs and
vessel-years (:attr:`IncrementalPlan.vessel_years`).

The result equals a full rerun on every file: the touched MMSIs are recomputed over
their whole history (transmitter tracks renumber when new data changes how a shared
MMSI splits, identity.transmitters), and the alerts of the database are revised, not
duplicated: :func:`vessel_risk.alerts.persistence.record_run` moves the alert of the
same (``mmsi``, ``track_id``, ``year``) to its new score, keeping its status and
history and auditing the change (``alert.rescored``, and ``alert.status`` when late
data withdraws or reopens it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vessel_risk.ingest import read_manifest, store_appends

STATE = "incremental.json"
"""The file of an output folder that names the position store its last run read and how
many of that store's appends it took in."""


@dataclass(frozen=True)
class IncrementalPlan:
    """What a ``--store`` run into an output folder has not taken in yet.

    Attributes
    ----------
    store : Path
        The position store, resolved.
    since : int
        The first append of the store the folder's last run did not take in (0: no
        earlier run of this store here).
    appends : int
        Appends in the store (the initial ingest counts as append 0).
    touched : DataFrame
        ``mmsi`` (str), ``first`` and ``last`` (UTC) of each MMSI the new appends
        touched (:func:`vessel_risk.ingest.store_appends`).
    """

    store: Path
    since: int
    appends: int
    touched: pd.DataFrame

    @property
    def full(self) -> bool:
        """True when the folder holds no earlier run of this store: everything is new."""
        return self.since == 0

    @property
    def vessel_years(self) -> pd.DataFrame:
        """The (``mmsi``, ``year``) pairs the new data falls in, sorted.

        A touched MMSI is recomputed whole (every year), since its transmitter tracks
        and the windows that span the old/new boundary (a voyage, a port visit, a gap)
        may change; these are the vessel-years whose own data changed.
        """
        rows: list[tuple[str, int]] = []
        for mmsi, first, last in self.touched[["mmsi", "first", "last"]].itertuples(index=False):
            if pd.isna(first):
                continue
            rows.extend((mmsi, y) for y in range(first.year, last.year + 1))
        return pd.DataFrame(rows, columns=["mmsi", "year"]).sort_values(
            ["mmsi", "year"], ignore_index=True
        )


def plan_run(store: str | Path, out_dir: str | Path) -> IncrementalPlan:
    """What is new in ``store`` since the last ``--store`` run into ``out_dir``.

    Parameters
    ----------
    store : str or Path
        A position store with a ``store.json`` (:func:`vessel_risk.ingest.read_manifest`).
    out_dir : str or Path
        The run's output folder; its :data:`STATE` file, if any, says what it took in.
        A state naming another store, or more appends than the store has (a store
        written again), counts as no earlier run.

    Returns
    -------
    IncrementalPlan

    Raises
    ------
    ValueError
        If ``store`` has no ``store.json``.
    """
    store = Path(store).resolve()
    appends = len(read_manifest(store)["appends"])
    since = 0
    state_file = Path(out_dir) / STATE
    if state_file.is_file():
        state = json.loads(state_file.read_text(encoding="utf-8"))
        if state.get("store") == str(store) and int(state.get("appends", 0)) <= appends:
            since = int(state["appends"])
    return IncrementalPlan(store, since, appends, store_appends(store, since))


def mark_processed(store: str | Path, out_dir: str | Path) -> None:
    """Record in ``out_dir`` that its run took in every append of ``store`` so far.

    Called by :func:`vessel_risk.pipeline.run` once the alerts are in the database.
    A store without ``store.json`` (an older one, which cannot be appended to) leaves
    no state.

    Parameters
    ----------
    store : str or Path
    out_dir : str or Path
    """
    store = Path(store).resolve()
    try:
        appends = len(read_manifest(store)["appends"])
    except ValueError:
        return
    tmp = Path(out_dir) / f".{STATE}.tmp"
    tmp.write_text(json.dumps({"store": str(store), "appends": appends}, indent=2))
    tmp.replace(Path(out_dir) / STATE)
