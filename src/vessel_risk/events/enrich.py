"""The enriched positions frame: cleaned positions with what every event stage reads.

One function, :func:`enrich_positions`, adds the nearest port and the distance to it,
the step length, ``in_port`` (GFW's anchorage rule) and, where the user gives EEZ
polygons, the zone. Port visits, fishing hours and the vessel-year features read these
columns (:class:`~vessel_risk.events.schemas.EnrichedPositionSchema`) instead of
recomputing them, so every stage sees the same port state with the same thresholds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from vessel_risk.events.port_visits import ENTER_KM, EXIT_KM, in_port_state
from vessel_risk.events.schemas import EnrichedPositionSchema as Enriched
from vessel_risk.geo.ports import PortIndex
from vessel_risk.geo.tracks import segment_km
from vessel_risk.geo.zones import EezIndex


def enrich_positions(
    positions: pd.DataFrame,
    ports: pd.DataFrame,
    eez: EezIndex | None = None,
    *,
    enter_km: float = ENTER_KM,
    exit_km: float = EXIT_KM,
    step_km: npt.NDArray[np.float64] | None = None,
) -> pd.DataFrame:
    """Cleaned positions with distance to port, nearest port, step length and ``in_port``.

    Parameters
    ----------
    positions : DataFrame of shape (n, k)
        From :func:`~vessel_risk.events.clean.clean_positions`, sorted by ``mmsi``,
        ``track_id`` (where present) then ``timestamp``, with ``distance_from_shore_km``.
    ports : DataFrame
        Port or anchorage list (``lat``, ``lon``, ``port_label``, ``port_iso3``).
    eez : EezIndex, optional
        The user's EEZ polygons (:func:`vessel_risk.geo.zones.read_eez`); when given,
        ``eez_iso3`` is added too (NA on the high seas).
    enter_km, exit_km : float, default 3 and 4
        GFW's anchorage rule for ``in_port``: a vessel enters a port visit within
        ``enter_km`` of an anchorage and leaves beyond ``exit_km``.
    step_km : ndarray of shape (n,), optional
        ``segment_km`` already measured (:attr:`~vessel_risk.events.clean.CleanResult.segment_km`);
        default: measured here (:func:`~vessel_risk.geo.tracks.segment_km`).

    Raises
    ------
    ValueError
        If ``step_km`` is not one value per position.

    Returns
    -------
    DataFrame of shape (n, k + 4) or (n, k + 5)
        A copy with ``distance_from_port_km`` (km), ``port_index`` (row of ``ports``,
        -1 where there is no position), ``segment_km`` (km, within each vessel track),
        ``in_port`` (bool; afresh after a silence of more than
        :data:`vessel_risk.geo.tracks.MAX_SILENCE_H`) and,
        with ``eez``, ``eez_iso3``: the columns of
        :class:`~vessel_risk.events.schemas.EnrichedPositionSchema`.
    """
    pos = positions.copy()
    nearest = PortIndex(ports).nearest(pos["lat"].to_numpy(), pos["lon"].to_numpy())
    pos[Enriched.distance_from_port_km] = nearest.distance_km
    pos[Enriched.port_index] = nearest.index
    if step_km is not None and len(step_km) != len(pos):
        raise ValueError(
            f"The 'step_km' parameter of enrich_positions must have one value per position "
            f"({len(pos)}). Got {len(step_km)} instead."
        )
    pos[Enriched.segment_km] = step_km if step_km is not None else segment_km(pos).to_numpy()
    pos[Enriched.in_port] = in_port_state(
        pos,
        pos[Enriched.distance_from_port_km],
        enter_km=enter_km,
        exit_km=exit_km,
        timestamps=pos["timestamp"],
    )
    if eez is not None:
        pos[Enriched.eez_iso3] = eez.iso3(pos["lat"], pos["lon"]).array
    return pos
