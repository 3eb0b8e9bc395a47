"""The events behind alerts (port visits, AIS gaps, encounters, loitering) as one table.

:func:`evidence_events` stacks the event tables of a run; each event's ``detail`` (its
kind's other columns: a gap's class and distances, an encounter's other vessel) stays in
the event table it came from, as columns, until the evidence rows are written
(:func:`evidence_row_chunks`): a Python dict per event, for the million or more AIS gaps
of a large run, would be most of the run's memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd

from vessel_risk.frames import sort_order

EVIDENCE_COLUMNS = [
    "mmsi",
    "track_id",
    "year",
    "kind",
    "start",
    "end",
    "duration_h",
    "lat",
    "lon",
    "detail",
]
"""Columns of :meth:`EvidenceTable.frame` (``detail``: a dict per event)."""

EVENT_COLUMNS = [*EVIDENCE_COLUMNS[:-1], "detail_row"]
"""Columns of :attr:`EvidenceTable.events`."""

DETAIL_COLUMNS: dict[str, tuple[str, ...]] = {
    "port_visit": ("port_label", "port_iso3"),
    "ais_gap": ("gap_class", "distance_km", "distance_from_shore_km", "end_lat", "end_lon"),
    "encounter": ("other_mmsi", "other_is_carrier", "median_distance_m", "median_speed_knots"),
    "loitering": ("distance_from_shore_km", "median_speed_knots", "carrier"),
}
"""The columns of each kind's event table that make up an event's ``detail``, in order."""


class RowSource(Protocol):
    """An event table read in parts, not held whole (a run's 1.5 million AIS gaps left in
    work files: :class:`vessel_risk.pipeline.gap_files.GapFiles`)."""

    columns: pd.Index

    def __len__(self) -> int: ...

    def key_frame(self) -> pd.DataFrame:
        """``mmsi``, ``track_id`` (where the table has it) and ``start`` of every row."""
        ...

    def take(self, at: np.ndarray, columns: list[str] | None = None) -> pd.DataFrame:
        """Rows ``at`` (positions, any order), on a range index; ``columns`` only."""
        ...


Source = pd.DataFrame | RowSource
"""An event table: a frame, or a :class:`RowSource` read in parts."""


def _take(source: Source, at: np.ndarray, columns: list[str] | None = None) -> pd.DataFrame:
    """Rows ``at`` of ``source``, only ``columns`` (default: all)."""
    if isinstance(source, pd.DataFrame):
        if columns is None:
            return source.iloc[at]
        return source.iloc[at, source.columns.get_indexer(pd.Index(columns))]
    return source.take(at, columns)


def _key_source(source: Source) -> pd.DataFrame:
    """The columns of ``source`` :func:`_keys` reads (a frame is taken as it is)."""
    return source if isinstance(source, pd.DataFrame) else source.key_frame()


KINDS = ("port_visit", "ais_gap", "encounter", "loitering")
"""The kinds of evidence, in the order their tables are stacked."""

VESSEL_YEAR = ("mmsi", "track_id", "year")
"""The key of a vessel-year: the MMSI, its transmitter track (0 = the first) and the year."""


@dataclass(frozen=True)
class EvidenceTable:
    """Events of every kind, ordered by ``mmsi``, ``track_id``, ``start``.

    Only the order is held (two integers per event): the events' columns stay in the
    event tables they came from until :meth:`events` builds some rows of them.

    Attributes
    ----------
    sources : mapping of str to (DataFrame or RowSource, str, str)
        Each kind's event table as given (not copied) and the names of its latitude
        and longitude columns; its :data:`DETAIL_COLUMNS` are the events' details.
    kinds : ndarray of int8, shape (n,)
        Each event's kind, as its place in ``sources``.
    rows : ndarray of int64, shape (n,)
        Each event's row (position) in its kind's table.
    """

    sources: Mapping[str, tuple[Source, str, str]]
    kinds: np.ndarray
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def empty(self) -> bool:
        """True when there is no event."""
        return len(self.rows) == 0

    def events(self, at: np.ndarray | None = None) -> pd.DataFrame:
        """The events at places ``at`` of the order (default: all), in that order.

        Returns
        -------
        DataFrame of shape (len(at), 10)
            :data:`EVENT_COLUMNS`: ``mmsi`` (str), ``track_id`` (int, 0 where the event
            table has none), ``year`` (of the event's start, UTC), ``kind``
            (``port_visit``, ``ais_gap``, ``encounter``, ``loitering``), ``start``,
            ``end`` (UTC), ``duration_h`` (h), ``lat``, ``lon`` (where the event
            happened: a gap's start, NaN for port visits) and ``detail_row`` (the
            event's row in its kind's table).
        """
        kinds = self.kinds if at is None else self.kinds[at]
        rows = self.rows if at is None else self.rows[at]
        parts, where = [], []
        for code, (kind, (frame, lat, lon)) in enumerate(self.sources.items()):
            mine = np.flatnonzero(kinds == code)
            if len(mine):
                parts.append(_events(_take(frame, rows[mine]), kind, lat, lon, rows[mine]))
                where.append(mine)
        if not parts:
            return pd.DataFrame(columns=EVENT_COLUMNS)
        out = pd.concat(parts, ignore_index=True)
        return out.take(np.argsort(np.concatenate(where), kind="stable")).reset_index(drop=True)

    def details(self, rows: pd.DataFrame) -> list[dict[str, Any]]:
        """The ``detail`` dict of each row of ``rows`` (from :meth:`events`), in order.

        A detail holds its kind's :data:`DETAIL_COLUMNS` as Python values, missing
        values as None: JSON-safe after ``json.dumps(default=str)``.
        """
        out: list[dict[str, Any]] = [{} for _ in range(len(rows))]
        kinds = rows["kind"].to_numpy()
        at = rows["detail_row"].to_numpy(dtype="int64")
        for kind, (source, _, _) in self.sources.items():
            where = np.flatnonzero(kinds == kind)
            if not len(where):
                continue
            # only these rows and columns are copied
            part = _take(source, at[where], list(DETAIL_COLUMNS[kind]))
            values = part.astype(object).where(part.notna(), None).to_dict("records")
            for i, value in zip(where.tolist(), values, strict=True):
                out[i] = cast(dict[str, Any], value)
        return out

    def frame(self) -> pd.DataFrame:
        """The events with their ``detail`` dicts (:data:`EVIDENCE_COLUMNS`): small runs."""
        events = self.events()
        out = events.drop(columns="detail_row")
        out["detail"] = pd.Series(self.details(events), index=out.index, dtype=object)
        return out

    def alerted(self, score_ids: Mapping[tuple[str, int, int], int]) -> np.ndarray:
        """Places in the order of the events of the vessel-years in ``score_ids``."""
        keyed = pd.DataFrame(list(score_ids), columns=list(VESSEL_YEAR)).astype(
            {"track_id": "int64", "year": "int64"}
        )
        wanted = pd.MultiIndex.from_frame(keyed)
        keep = np.zeros(len(self.rows), dtype=bool)
        for code, (frame, _, _) in enumerate(self.sources.values()):
            keys = _keys(_key_source(frame))
            # membership by the key's codes (a hash join of 1.5 million rows costs more)
            hit = pd.MultiIndex.from_frame(keys).isin(wanted)
            del keys
            mine = self.kinds == code
            keep[mine] = hit[self.rows[mine]]
        return np.flatnonzero(keep)


def _keys(frame: pd.DataFrame, *, year: bool = True) -> pd.DataFrame:
    """``mmsi``, ``track_id`` and (with ``year``) ``year`` of each row of an event table,
    on a range index."""
    return pd.DataFrame(
        {
            "mmsi": frame["mmsi"].astype(str).array,  # Arrow strings stay so: no objects
            "track_id": (
                frame["track_id"].fillna(0).astype("int64").to_numpy()
                if "track_id" in frame
                else np.zeros(len(frame), dtype="int64")
            ),
            **({"year": frame["start"].dt.year.astype("int64").to_numpy()} if year else {}),
        }
    )


def _events(frame: pd.DataFrame, kind: str, lat: str, lon: str, rows: np.ndarray) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)  # no copy (copy-on-write)
    return pd.DataFrame(
        {
            "mmsi": frame["mmsi"].astype(str),
            "track_id": frame["track_id"].fillna(0).astype("int64") if "track_id" in frame else 0,
            "year": frame["start"].dt.year.astype("int64"),
            "kind": kind,
            "start": frame["start"],
            "end": frame["end"],
            "duration_h": frame["duration_h"].astype("float64"),
            "lat": frame[lat].astype("float64") if lat in frame else np.nan,
            "lon": frame[lon].astype("float64") if lon in frame else np.nan,
            "detail_row": rows,
        }
    )


def evidence_events(
    visits: pd.DataFrame,
    gaps: Source,
    encounters: pd.DataFrame,
    loitering: pd.DataFrame,
) -> EvidenceTable:
    """The events behind alerts, one table for every kind.

    Parameters
    ----------
    visits, gaps, encounters, loitering : DataFrame
        As :mod:`vessel_risk.events.schemas` declares them (``PortVisitSchema``,
        ``GapSchema``, ``EncounterSchema``, ``LoiteringSchema``); kept by reference, so
        they must not change while the table is in use. ``gaps`` may be a
        :class:`RowSource`, read in parts (its keys once here, its rows as evidence
        chunks are built).

    Returns
    -------
    EvidenceTable
        Ordered by ``mmsi``, ``track_id``, ``start`` (ties in the order of the
        parameters); a gap is located at its start.

    Raises
    ------
    KeyError
        If a non-empty table lacks a column of :data:`DETAIL_COLUMNS`.
    """
    given = dict(
        zip(
            KINDS,
            [
                (visits, "lat", "lon"),
                (gaps, "start_lat", "start_lon"),
                (encounters, "lat", "lon"),
                (loitering, "lat", "lon"),
            ],
            strict=True,
        )
    )
    sources = {k: v for k, v in given.items() if len(v[0])}
    for kind, (frame, _, _) in sources.items():
        missing = [c for c in DETAIL_COLUMNS[kind] if c not in frame.columns]
        if missing:
            raise KeyError(f"The {kind} events lack the column(s) {missing}.")
    if not sources:
        return EvidenceTable({}, np.zeros(0, dtype="int8"), np.zeros(0, dtype="int64"))
    keys = pd.concat(
        [
            _keys(key, year=False).assign(
                start=key["start"].array,
                kind=np.int8(code),
                row=np.arange(len(key), dtype="int64"),
            )
            for code, key in enumerate(_key_source(f) for f, _, _ in sources.values())
        ],
        ignore_index=True,
    )
    # sort_values' stable order, without a sorted copy of the keys (1.5 million gaps)
    order = sort_order(keys, ["mmsi", "track_id", "start"])
    kinds = keys["kind"].to_numpy(dtype="int8")[order]
    rows = keys["row"].to_numpy(dtype="int64")[order]
    del keys
    return EvidenceTable(sources, kinds, rows)


def evidence_row_chunks(
    evidence: EvidenceTable, score_ids: Mapping[tuple[str, int, int], int], rows: int
) -> Iterator[tuple[pd.DataFrame, list[dict[str, Any]]]]:
    """The events of the alerted vessel-years, ``rows`` at a time, with their details.

    Parameters
    ----------
    evidence : EvidenceTable
    score_ids : mapping of (mmsi, track_id, year) to int
        The score each alerted vessel-year's evidence belongs to.
    rows : int
        Events per chunk (at least 1).

    Yields
    ------
    chunk : DataFrame
        Rows of :meth:`EvidenceTable.events` (in its order) with ``score_id``.
    details : list of dict
        Each row's ``detail`` (:meth:`EvidenceTable.details`).
    """
    if evidence.empty or not score_ids:
        return
    keyed = pd.DataFrame(
        [(*k, s) for k, s in score_ids.items()], columns=[*VESSEL_YEAR, "score_id"]
    ).astype({"track_id": "int64", "year": "int64"})
    at = evidence.alerted(score_ids)
    for start in range(0, len(at), rows):
        chunk = evidence.events(at[start : start + rows])
        chunk = chunk.merge(keyed, on=list(VESSEL_YEAR), how="left", sort=False)
        yield chunk, evidence.details(chunk)
