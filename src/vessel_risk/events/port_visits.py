"""Port visits from positions near ports or anchorages.

Rule (Global Fishing Watch anchorages pipeline): a vessel enters a port when it comes
within 3 km of an anchorage point and leaves when it is more than 4 km from every
anchorage; the 1 km between the two thresholds is hysteresis so that a vessel
hovering at the boundary makes one visit, not many. GFW also marks stops (below
0.2 kn, resuming above 0.5 kn) within a visit; stops are not needed for the
features here and are left to a later stage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vessel_risk.events.schemas import EnrichedPositionSchema as Enriched
from vessel_risk.events.schemas import PortVisitSchema
from vessel_risk.frames import empty_frame
from vessel_risk.geo.tracks import same_vessel_as_previous

ENTER_KM = 3.0
EXIT_KM = 4.0


def in_port_state(
    mmsi: pd.Series, distance_from_port_km: pd.Series, *, enter_km: float, exit_km: float
) -> np.ndarray:
    """Whether each position is inside a port visit, with enter/exit hysteresis.

    Parameters
    ----------
    mmsi : Series of shape (n,), rows of each vessel contiguous and in time order.
    distance_from_port_km : Series of shape (n,)
        km to the nearest port; NaN (no position) keeps the previous state.
    enter_km, exit_km : float
        Enter at or below ``enter_km``; leave above ``exit_km``.

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    d = distance_from_port_km.to_numpy(dtype="float64")
    state = np.full(len(d), np.nan)
    state[d <= enter_km] = 1.0
    state[d > exit_km] = 0.0
    # Each vessel starts outside unless its first position decides otherwise.
    first = ~same_vessel_as_previous(mmsi)
    state[first & np.isnan(state)] = 0.0
    filled = pd.Series(state).ffill().to_numpy()
    return filled == 1.0


def detect_port_visits(
    positions: pd.DataFrame,
    ports: pd.DataFrame,
    *,
    enter_km: float = ENTER_KM,
    exit_km: float = EXIT_KM,
) -> pd.DataFrame:
    """Port visits of every vessel.

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi``, ``timestamp``, with ``distance_from_port_km`` and
        ``port_index`` (row of ``ports`` nearest to each position, -1 if none): the
        enriched positions (:func:`vessel_risk.events.enrich.enrich_positions`), whose
        ``in_port`` column is read as it is; without it (or with other thresholds) the
        port state is derived here from ``distance_from_port_km``.
    ports : DataFrame
        ``port_label``, ``port_iso3`` as used to build ``port_index``.
    enter_km, exit_km : float, default 3 and 4
        GFW's entry and exit distances.

    Returns
    -------
    DataFrame
        :class:`~vessel_risk.events.schemas.PortVisitSchema` columns plus ``start_row`` and
        ``end_row`` (positions of the first and last rows of the visit in
        ``positions``). The port is the one nearest to the vessel during the visit.
    """
    if positions.empty:
        return empty_frame(PortVisitSchema).assign(start_row=[], end_row=[])
    if Enriched.in_port in positions.columns and (enter_km, exit_km) == (ENTER_KM, EXIT_KM):
        # The enriched positions frame carries the port state (events.enrich).
        inside = positions[Enriched.in_port].to_numpy(dtype=bool)
    else:
        inside = in_port_state(
            positions["mmsi"],
            positions["distance_from_port_km"],
            enter_km=enter_km,
            exit_km=exit_km,
        )
    same = same_vessel_as_previous(positions["mmsi"])
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
