"""Port visits from positions near ports or anchorages.

Rule (Global Fishing Watch anchorages pipeline): a vessel enters a port when it comes
within 3 km of an anchorage point and leaves when it is more than 4 km from every
anchorage; the 1 km between the two thresholds is hysteresis so that a vessel
hovering at the boundary makes one visit, not many. GFW also marks stops (below
0.2 kn, resuming above 0.5 kn) within a visit; stops are not needed for the
features here and are left to a later stage.

Visits are per vessel track (``mmsi``, ``track_id``) and never bridge what was not seen:
a silence longer than :data:`vessel_risk.geo.tracks.MAX_SILENCE_H` (24 h, the
``max_hours`` of GFW's segmenter) between two messages ends a visit, and the state starts
afresh after it (outside, unless the first position after the silence decides
otherwise), as at the start of the data. A vessel seen in port before and after a 3-day
silence makes two visits; nobody knows whether it left in between, so neither the silence
nor a voyage is counted for it (:mod:`vessel_risk.events.voyages`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vessel_risk.events.schemas import EnrichedPositionSchema as Enriched
from vessel_risk.events.schemas import PortVisitSchema
from vessel_risk.frames import empty_frame
from vessel_risk.geo.tracks import (
    MAX_SILENCE_H,
    after_silence,
    same_vessel_as_previous,
    track_ids,
)

ENTER_KM = 3.0
EXIT_KM = 4.0


def in_port_state(
    vessels: pd.Series | pd.DataFrame,
    distance_from_port_km: pd.Series,
    *,
    enter_km: float,
    exit_km: float,
    timestamps: pd.Series | None = None,
    max_silence_h: float = MAX_SILENCE_H,
) -> np.ndarray:
    """Whether each position is inside a port visit, with enter/exit hysteresis.

    Parameters
    ----------
    vessels : Series of MMSIs or DataFrame with ``mmsi`` and optionally ``track_id``, shape (n,)
        Rows of each vessel track contiguous and in time order
        (:func:`vessel_risk.geo.tracks.same_vessel_as_previous`).
    distance_from_port_km : Series of shape (n,)
        km to the nearest port; NaN (no position) keeps the previous state.
    enter_km, exit_km : float
        Enter at or below ``enter_km``; leave above ``exit_km``.
    timestamps : Series of shape (n,), optional
        UTC times of the rows; when given, the state starts afresh after a silence longer
        than ``max_silence_h``, as at a track's first row.
    max_silence_h : float, default 24
        :data:`vessel_risk.geo.tracks.MAX_SILENCE_H`.

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    d = distance_from_port_km.to_numpy(dtype="float64")
    state = np.full(len(d), np.nan)
    state[d <= enter_km] = 1.0
    state[d > exit_km] = 0.0
    # Each track starts outside unless its first position decides otherwise, and so does
    # each piece of it after a silence.
    first = ~same_vessel_as_previous(vessels)
    if timestamps is not None:
        first |= after_silence(timestamps, max_silence_h)
    state[first & np.isnan(state)] = 0.0
    filled = pd.Series(state).ffill().to_numpy()
    return filled == 1.0


def detect_port_visits(
    positions: pd.DataFrame,
    ports: pd.DataFrame,
    *,
    enter_km: float = ENTER_KM,
    exit_km: float = EXIT_KM,
    max_silence_h: float = MAX_SILENCE_H,
) -> pd.DataFrame:
    """Port visits of every vessel track.

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi``, ``track_id`` (optional), ``timestamp``, with
        ``distance_from_port_km`` and
        ``port_index`` (row of ``ports`` nearest to each position, -1 if none): the
        enriched positions (:func:`vessel_risk.events.enrich.enrich_positions`), whose
        ``in_port`` column is read as it is; without it (or with other thresholds) the
        port state is derived here from ``distance_from_port_km``.
    ports : DataFrame
        ``port_label``, ``port_iso3`` as used to build ``port_index``.
    enter_km, exit_km : float, default 3 and 4
        GFW's entry and exit distances.
    max_silence_h : float, default 24
        A silence longer than this (hours between two messages of the track) ends a
        visit: :data:`vessel_risk.geo.tracks.MAX_SILENCE_H`.

    Returns
    -------
    DataFrame
        :class:`~vessel_risk.events.schemas.PortVisitSchema` columns (``track_id`` from
        the positions, 0 where they have none) plus ``start_row`` and ``end_row``
        (positions of the first and last rows of the visit in ``positions``). The port
        is the one nearest to the vessel during the visit.
    """
    if positions.empty:
        return empty_frame(PortVisitSchema).assign(start_row=[], end_row=[])
    defaults = (enter_km, exit_km, max_silence_h) == (ENTER_KM, EXIT_KM, MAX_SILENCE_H)
    if Enriched.in_port in positions.columns and defaults:
        # The enriched positions frame carries the port state (events.enrich).
        inside = positions[Enriched.in_port].to_numpy(dtype=bool)
    else:
        inside = in_port_state(
            positions,
            positions["distance_from_port_km"],
            enter_km=enter_km,
            exit_km=exit_km,
            timestamps=positions["timestamp"],
            max_silence_h=max_silence_h,
        )
    # A visit goes on from the row before only within one track and across no silence.
    same = same_vessel_as_previous(positions) & ~after_silence(
        positions["timestamp"], max_silence_h
    )
    starts = inside & ~(np.concatenate([[False], inside[:-1]]) & same)
    visit_id = np.cumsum(starts)
    rows = np.flatnonzero(inside)
    if len(rows) == 0:
        return empty_frame(PortVisitSchema).assign(start_row=[], end_row=[])
    v = pd.DataFrame(
        {
            "visit": visit_id[rows],
            "row": rows,
            "d": positions["distance_from_port_km"].to_numpy()[rows],
            "port": positions["port_index"].to_numpy()[rows],
        }
    )
    grouped = v.groupby("visit", sort=True)
    start_row = grouped["row"].min().to_numpy()
    end_row = grouped["row"].max().to_numpy()
    closest = v.loc[grouped["d"].idxmin().dropna().astype(int)]
    closest = closest.set_index("visit").reindex(grouped["row"].min().index)
    port_idx = closest["port"].fillna(-1).astype(int).to_numpy()
    ts = positions["timestamp"]
    out = pd.DataFrame(
        {
            "mmsi": positions["mmsi"].take(start_row).to_numpy(),
            "track_id": track_ids(positions)[start_row],
            "port_label": ports["port_label"].take(port_idx).to_numpy(),
            "port_iso3": ports["port_iso3"].take(port_idx).to_numpy(),
            "start": ts.take(start_row).reset_index(drop=True),
            "end": ts.take(end_row).reset_index(drop=True),
        }
    )
    out["duration_h"] = (out["end"] - out["start"]).dt.total_seconds() / 3600.0
    out["start_row"] = start_row
    out["end_row"] = end_row
    return out
