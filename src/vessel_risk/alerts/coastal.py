"""The coastal states of an alert: the states in whose waters its vessel worked.

One rule, used twice: a referral notice's ``coastal_states_iso3`` and the routing rule
``coastal_state`` (:mod:`vessel_risk.referral.payload`, :mod:`vessel_risk.referral.routing`),
and the ``alert_coastal_states`` a run records with its alerts, which the client scopes
read (:meth:`vessel_risk.api.access.Principal.may_see`, :func:`vessel_risk.api.crud.scope_clause`).

The rule (:func:`coastal_states`) is an approximation: EEZ polygons are not available
offline, so a located event (an AIS gap, an encounter, a loitering event: not a port
visit) counts as in a state's waters when the nearest port of the port list is that
state's and within 200 nm (370.4 km, UNCLOS Art. 57) of the event. It over-counts near
borders and misses EEZs far from any listed port (remote islands).

Alerts from tips have no coastal states (no events), and neither has an alert last
recorded before migration ``0011_alert_states``: nothing is backfilled, because the
states depend on the port list of the run that recorded the alert. A later run that
rescores the alert records them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vessel_risk.db.engine import bulk_insert, select_in
from vessel_risk.db.tables import AlertCoastalState, AlertRow, EvidenceEvent
from vessel_risk.geo.ports import PortIndex

COASTAL_STATE_KM = 370.4
"""200 nm (UNCLOS Art. 57, the EEZ's outer limit): an event this close to a state's
nearest port counts as in its waters."""

READ_CHUNK_ROWS = 50_000
"""Located events read and matched to ports at once when a run records coastal states."""


def state_of_positions(
    lat: npt.ArrayLike, lon: npt.ArrayLike, ports: PortIndex
) -> npt.NDArray[np.object_]:
    """The coastal state of each position: its nearest port's state when within 200 nm.

    Parameters
    ----------
    lat, lon : array-like of shape (n,)
        Degrees (WGS 84); NaN gives no state.
    ports : PortIndex
        The port list (``port_iso3`` may be missing for a port: no state).

    Returns
    -------
    ndarray of object, shape (n,)
        ISO3 code (str) or None for each position.
    """
    nearest = ports.nearest(lat, lon)
    codes = ports.ports["port_iso3"].to_numpy(dtype=object)
    out = np.full(nearest.index.shape, None, dtype=object)
    near = (nearest.index >= 0) & (nearest.distance_km <= COASTAL_STATE_KM)
    picked = codes[nearest.index[near]]
    out[near] = [c if isinstance(c, str) and c else None for c in picked]
    return out


def coastal_states(events: Iterable[Any], ports: PortIndex | None) -> list[str]:
    """States in whose waters the vessel worked, approximated from its events.

    Parameters
    ----------
    events : iterable
        Objects with ``kind``, ``lat`` and ``lon`` (degrees), such as
        :class:`~vessel_risk.db.tables.EvidenceEvent` rows; port visits and events
        without a position are left out.
    ports : PortIndex or None
        The port list; None gives no state.

    Returns
    -------
    list of str
        Sorted ISO3 codes (the module's rule).
    """
    located = [e for e in events if e.kind != "port_visit" and e.lat is not None]
    if ports is None or not located:
        return []
    lat = np.array([e.lat for e in located], dtype="float64")
    lon = np.array([np.nan if e.lon is None else e.lon for e in located], dtype="float64")
    return sorted({c for c in state_of_positions(lat, lon, ports) if c is not None})


def record_coastal_states(session: Session, *, run_id: int, ports: PortIndex | None) -> int:
    """Record the coastal states of every alert run ``run_id`` recorded.

    Each alert the run wrote (new or rescored: ``alerts.run_id``) gets the states of its
    current score's located events (:func:`coastal_states`'s rule), replacing what an
    earlier run recorded for it. Events are read back from ``evidence_events`` in
    chunks of :data:`READ_CHUNK_ROWS`, so memory stays bounded whatever the run's size.

    Parameters
    ----------
    session : Session
        In the transaction that recorded the run (committed by the caller).
    run_id : int
        A run recorded by :func:`vessel_risk.alerts.persistence.record_run`.
    ports : PortIndex or None
        The run's port list; None records no state (the alerts' old states are still
        removed: they came from other events).

    Returns
    -------
    int
        Rows written (alert, state pairs).
    """
    of_run = select(AlertRow.id).where(AlertRow.run_id == run_id)
    session.execute(delete(AlertCoastalState).where(AlertCoastalState.alert_id.in_(of_run)))
    if ports is None:
        return 0
    stmt = (
        select(AlertRow.id, EvidenceEvent.lat, EvidenceEvent.lon)
        .join(EvidenceEvent, EvidenceEvent.score_id == AlertRow.score_id)
        .where(
            AlertRow.run_id == run_id,
            EvidenceEvent.kind != "port_visit",
            EvidenceEvent.lat.is_not(None),
        )
        .execution_options(yield_per=READ_CHUNK_ROWS)
    )
    found: set[tuple[int, str]] = set()
    for chunk in session.execute(stmt).partitions():
        ids = np.array([r[0] for r in chunk], dtype="int64")
        lat = np.array([r[1] for r in chunk], dtype="float64")
        lon = np.array([np.nan if r[2] is None else r[2] for r in chunk], dtype="float64")
        states = state_of_positions(lat, lon, ports)
        found.update((int(a), str(c)) for a, c in zip(ids, states, strict=True) if c is not None)
    rows = [{"alert_id": a, "iso3": c} for a, c in sorted(found)]
    bulk_insert(session, AlertCoastalState.__table__, rows)
    return len(rows)


def coastal_of(session: Session, alert_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """The recorded coastal states of each alert in ``alert_ids`` (a query per
    5,000 alerts); an alert with none is absent from the result."""
    found: dict[int, set[str]] = {}
    rows = select_in(
        session,
        [AlertCoastalState.alert_id, AlertCoastalState.iso3],
        AlertCoastalState.alert_id,
        sorted({int(a) for a in alert_ids}),
    )
    for row in rows:
        found.setdefault(int(row.alert_id), set()).add(str(row.iso3))
    return {a: frozenset(s) for a, s in found.items()}
