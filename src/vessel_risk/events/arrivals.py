"""Where each vessel goes next and when: the predicted next port call (issue 18).

Pure: functions of a vessel track's state at a time (:class:`VesselState`), its past port
visits (:func:`vessel_risk.events.port_visits.detect_port_visits`) and a port list
(:func:`vessel_risk.geo.ports.default_ports`). Writing predictions to the database and
ranking a port's queue by risk is :mod:`vessel_risk.alerts.arrivals`.

Three methods, tried in this order (:func:`predict_next_port`):

``destination``
    The AIS destination of the vessel's static reports (free text typed by the crew)
    matched to one port of the list (:func:`vessel_risk.geo.ports.match_destination`);
    arrival at the reported ETA when there is one, else the great-circle distance from the
    last position at the last speed over ground (or :data:`PASSAGE_SPEED_KN`).
``history``
    The vessel's own port calls: the port it most often went to next from its last port
    (ties: the most recent; with no voyage from that port yet, back to it), arriving at
    the departure from that port plus the median time those voyages took (window: their
    shortest and longest). A vessel still in port
    is expected to leave after its usual stay there. A prediction already overdue is
    moved to the time the remaining distance takes. With fewer than
    :data:`MIN_VOYAGES` such voyages the prediction reads "insufficient data".
``heading``
    The nearest port ahead of the vessel's course over ground, within
    :data:`HEADING_CONE_DEG` either side and :data:`HEADING_MAX_H` hours at its speed;
    always "insufficient data" (a course says little about a fishing vessel's plans).

A prediction is evidence for planning a boarding, never proof; nothing in it concerns the
crew, who are presumed victims, never suspects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vessel_risk.frames import sort_order
from vessel_risk.geo.geodesy import M_PER_NM, WGS84
from vessel_risk.geo.ports import destination_text, match_destination

METHODS = ("destination", "history", "heading")
"""The prediction methods, in the order :func:`predict_next_port` tries them."""

PASSAGE_SPEED_KN = 8.0
"""Assumed speed of a passage to port (kn) when the last speed is unknown or below
:data:`MIN_PASSAGE_SPEED_KN`: a stated assumption (distant-water fishing vessels steam at
about 8 to 12 kn), not a published threshold."""
MIN_PASSAGE_SPEED_KN = 3.0
"""Below this speed over ground (kn) a vessel is fishing or drifting, not on passage."""
HEADING_CONE_DEG = 20.0
"""Half-width of the cone ahead of the course where a port counts as ahead (degrees)."""
HEADING_MAX_H = 72.0
"""A port ahead is a candidate only within this many hours at the vessel's speed."""
MIN_VOYAGES = 2
"""Past voyages from the last port to the predicted one below which a history
prediction reads "insufficient data"."""
DESTINATION_MAX_AGE_H = 30 * 24.0
"""A destination last broadcast longer ago than this (h) is stale and not used."""
SAME_CALL_GAP_H = 6.0
"""Two visits of one port less than this apart (h) are one call (a silence in port)."""
ARRIVED_KM = 4.0
"""Within this distance of a port (km) a vessel is there (GFW's port exit distance)."""


@dataclass(frozen=True)
class VesselState:
    """What is known of one vessel track at one time.

    Parameters
    ----------
    mmsi : str
        9 characters.
    track_id : int
        Transmitter track of the MMSI (0 for the first).
    as_of : pd.Timestamp
        UTC; the time of the prediction (the last position's time in a run).
    lat, lon : float or None
        Last position, degrees.
    course : float or None
        Course over ground at the last position, degrees from true north.
    speed_kn : float or None
        Speed over ground at the last position, kn.
    destination : str or None
        Latest AIS destination (static reports), as broadcast.
    destination_seen : pd.Timestamp or None
        UTC time it was last broadcast.
    reported_eta : pd.Timestamp or None
        UTC ETA of the static reports, when the input carries one.
    vessel_id : str or None
        The vessel identity (one hull across MMSIs), carried to the prediction.
    """

    mmsi: str
    track_id: int
    as_of: pd.Timestamp
    lat: float | None = None
    lon: float | None = None
    course: float | None = None
    speed_kn: float | None = None
    destination: str | None = None
    destination_seen: pd.Timestamp | None = None
    reported_eta: pd.Timestamp | None = None
    vessel_id: str | None = None


@dataclass(frozen=True)
class ArrivalPrediction:
    """One vessel track's predicted next port call.

    ``eta``, ``eta_low`` and ``eta_high`` are UTC; ``confidence`` is 0..1;
    ``evidence`` holds what the method used (counts, durations in h, distances in km,
    speeds in kn); ``insufficient_data`` says the data it rests on are thin: read it as
    "insufficient data", never as a firm arrival.
    """

    mmsi: str
    track_id: int
    port_label: str
    port_iso3: str | None
    eta: pd.Timestamp
    eta_low: pd.Timestamp | None
    eta_high: pd.Timestamp | None
    method: str
    confidence: float
    insufficient_data: bool
    as_of: pd.Timestamp
    vessel_id: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


def _hours(h: float) -> pd.Timedelta:
    return pd.Timedelta(hours=float(h))


def _iso3(ports: pd.DataFrame, row: int) -> str | None:
    value = ports["port_iso3"].iloc[row]
    return str(value) if isinstance(value, str) and value else None


def _located(state: VesselState) -> bool:
    return (
        state.lat is not None
        and state.lon is not None
        and not (np.isnan(state.lat) or np.isnan(state.lon))
    )


def _passage_speed(state: VesselState) -> float:
    s = state.speed_kn
    if s is None or np.isnan(s) or s < MIN_PASSAGE_SPEED_KN:
        return PASSAGE_SPEED_KN
    return float(s)


def _distance_km(state: VesselState, lat: float, lon: float) -> float | None:
    if not _located(state):
        return None
    _, _, d_m = WGS84.inv(state.lon, state.lat, lon, lat)
    return float(d_m) / 1000.0


def passage_hours(distance_km: float, speed_kn: float) -> float:
    """Hours to cover ``distance_km`` (km, great circle) at ``speed_kn`` (kn)."""
    return distance_km * 1000.0 / M_PER_NM / speed_kn


def predict_by_destination(
    state: VesselState,
    ports: pd.DataFrame,
    names: Mapping[str, list[int]] | None = None,
) -> ArrivalPrediction | None:
    """The port the AIS destination names, at the reported ETA or by distance and speed.

    Parameters
    ----------
    state : VesselState
    ports : DataFrame
        ``port_label``, ``port_iso3``, ``lat``, ``lon``.
    names : mapping, optional
        :func:`vessel_risk.geo.ports.port_names` of ``ports`` (built once for many).

    Returns
    -------
    ArrivalPrediction or None
        None when there is no destination, it is older than
        :data:`DESTINATION_MAX_AGE_H`, names no single port, or the vessel is already
        within :data:`ARRIVED_KM` of that port. Confidence 0.8 with a reported ETA in
        the future, 0.6 by distance and speed, 0.4 when neither is known (ETA then the
        time of the prediction).
    """
    if not state.destination:
        return None
    if state.destination_seen is not None and state.as_of - state.destination_seen > _hours(
        DESTINATION_MAX_AGE_H
    ):
        return None
    row = match_destination(state.destination, ports, names)
    if row is None:
        return None
    plat, plon = float(ports["lat"].iloc[row]), float(ports["lon"].iloc[row])
    dist = _distance_km(state, plat, plon)
    if dist is not None and dist <= ARRIVED_KM:
        return None
    evidence: dict[str, Any] = {
        "destination": state.destination,
        "destination_next_port": destination_text(state.destination),
        "destination_seen": None if state.destination_seen is None else str(state.destination_seen),
        "distance_km": None if dist is None else round(dist, 1),
    }
    low = high = None
    if state.reported_eta is not None and state.reported_eta >= state.as_of:
        eta, confidence = state.reported_eta, 0.8
        evidence["eta_source"] = "reported"
    elif dist is not None:
        speed = _passage_speed(state)
        hours = passage_hours(dist, speed)
        eta, confidence = state.as_of + _hours(hours), 0.6
        low = state.as_of + _hours(passage_hours(dist, speed * 1.25))
        high = state.as_of + _hours(passage_hours(dist, speed * 0.75))
        evidence.update(eta_source="distance_speed", speed_kn=round(speed, 1))
    else:
        eta, confidence = state.as_of, 0.4
        evidence["eta_source"] = "unknown"
    return ArrivalPrediction(
        mmsi=state.mmsi,
        track_id=state.track_id,
        port_label=str(ports["port_label"].iloc[row]),
        port_iso3=_iso3(ports, row),
        eta=eta,
        eta_low=low,
        eta_high=high,
        method="destination",
        confidence=confidence,
        insufficient_data=evidence["eta_source"] == "unknown",
        as_of=state.as_of,
        vessel_id=state.vessel_id,
        evidence=evidence,
    )


@dataclass(frozen=True)
class _Call:
    port: str
    iso3: str | None
    start: pd.Timestamp
    end: pd.Timestamp


@dataclass(frozen=True)
class TrackVisits:
    """One track's port visits in start order, as plain lists (what :func:`port_calls`
    reads): built once for all tracks by :func:`track_visits`, not a frame filtered and
    sorted per track (issue 15)."""

    port_label: list[Any]
    port_iso3: list[Any]
    start: list[pd.Timestamp]
    end: list[pd.Timestamp]

    @classmethod
    def of(cls, visits: pd.DataFrame) -> TrackVisits:
        """The visits of one track (``port_label``, ``port_iso3``, ``start``, ``end``)."""
        v = visits.sort_values("start", kind="stable")
        return cls(
            v["port_label"].tolist(),
            v["port_iso3"].tolist(),
            v["start"].tolist(),
            v["end"].tolist(),
        )


def track_visits(visits: pd.DataFrame, key: list[str]) -> dict[tuple[Any, ...], TrackVisits]:
    """:class:`TrackVisits` of every track, by its ``key`` values (a tuple).

    Parameters
    ----------
    visits : DataFrame
        Port visits (``port_label``, ``port_iso3``, ``start``, ``end`` and the ``key``
        columns).
    key : list of str
        The columns naming a track, e.g. ``["mmsi", "track_id"]``.

    Returns
    -------
    dict of tuple to TrackVisits
        Each track's visits in start order (ties in their order in ``visits``).
    """
    v = visits.take(sort_order(visits, [*key, "start"]))
    keys = list(zip(*(v[k].tolist() for k in key), strict=True))
    columns = [v[c].tolist() for c in ("port_label", "port_iso3", "start", "end")]
    out: dict[tuple[Any, ...], TrackVisits] = {}
    a = 0
    for b in range(1, len(keys) + 1):
        if b == len(keys) or keys[b] != keys[a]:
            out[keys[a]] = TrackVisits(*(c[a:b] for c in columns))
            a = b
    return out


def port_calls(visits: pd.DataFrame | TrackVisits, as_of: pd.Timestamp) -> list[_Call]:
    """The port calls of one vessel track known at ``as_of``, in time order.

    Visits that started after ``as_of`` are unknown then; a visit going on at ``as_of``
    ends there. Visits of one port less than :data:`SAME_CALL_GAP_H` apart are one call.

    Parameters
    ----------
    visits : DataFrame or TrackVisits
        One track's port visits (``port_label``, ``port_iso3``, ``start``, ``end``, UTC).
    as_of : pd.Timestamp
        UTC.
    """
    if isinstance(visits, pd.DataFrame):
        visits = TrackVisits.of(visits)
    calls: list[_Call] = []
    for port, iso3, start, end in zip(
        visits.port_label, visits.port_iso3, visits.start, visits.end, strict=True
    ):
        if not start <= as_of:
            continue
        end = min(end, as_of)
        iso = str(iso3) if isinstance(iso3, str) and iso3 else None
        if calls and calls[-1].port == port and start - calls[-1].end < _hours(SAME_CALL_GAP_H):
            calls[-1] = _Call(port, iso, calls[-1].start, max(end, calls[-1].end))
        else:
            calls.append(_Call(str(port), iso, start, end))
    return calls


def port_locations(ports: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Port label -> (lat, lon) of its first row in ``ports`` (degrees)."""
    first = ports.drop_duplicates("port_label")
    return {
        str(label): (float(la), float(lo))
        for label, la, lo in zip(first["port_label"], first["lat"], first["lon"], strict=True)
    }


def predict_by_history(
    state: VesselState,
    visits: pd.DataFrame | TrackVisits,
    locations: Mapping[str, tuple[float, float]] | None = None,
    last_seen: pd.Timestamp | None = None,
) -> ArrivalPrediction | None:
    """The port this vessel most often went to next from its last port, and when.

    Parameters
    ----------
    state : VesselState
    visits : DataFrame or TrackVisits
        The track's port visits (``port_label``, ``port_iso3``, ``start``, ``end``); those
        after ``state.as_of`` are ignored (:func:`port_calls`).
    locations : mapping, optional
        :func:`port_locations` of the port list: the distance from the last position to
        the predicted port, used when no voyage duration is known or the typical
        arrival has passed.
    last_seen : pd.Timestamp, optional
        UTC time of the last position; default ``state.as_of``. The vessel is in port
        when its last call lasts to it.

    Returns
    -------
    ArrivalPrediction or None
        None when the track has no port call before ``as_of``. Without a past voyage
        from its last port, the vessel is expected back at that port (fishing trips
        mostly end where they began) after the median duration of all its voyages (at
        sea without any: by distance and speed; in port without any: None), confidence
        0.1, "insufficient data".
    """
    calls = port_calls(visits, state.as_of)
    if not calls:
        return None
    seen = last_seen if last_seen is not None else state.as_of
    last = calls[-1]
    in_port = last.end >= seen
    legs = [
        (a.port, b.port, (b.start - a.end).total_seconds() / 3600.0, i)
        for i, (a, b) in enumerate(zip(calls, calls[1:], strict=False))
    ]
    stays = [(c.end - c.start).total_seconds() / 3600.0 for c in calls[:-1] if c.port == last.port]
    if in_port:
        stay = float(np.median(stays)) if stays else 0.0
        departure = max(state.as_of, last.start + _hours(stay))
    else:
        departure = last.end
    from_last = [leg for leg in legs if leg[0] == last.port]
    evidence: dict[str, Any] = {
        "last_port": last.port,
        "in_port": bool(in_port),
        "departure": str(departure),
        "calls": len(calls),
    }
    if from_last:
        counts = Counter(leg[1] for leg in from_last)
        latest = {leg[1]: leg[3] for leg in from_last}
        port = max(counts, key=lambda p: (counts[p], latest[p]))
        durations = sorted(leg[2] for leg in from_last if leg[1] == port)
        n = len(from_last)
        confidence = counts[port] / n * n / (n + 1)
        thin = counts[port] < MIN_VOYAGES
        evidence.update(
            voyages_from_last_port=n,
            voyages_to_port=counts[port],
            next_ports={p: counts[p] for p in sorted(counts)},
        )
    else:
        # No voyage from the last port yet: the vessel is expected back there (fishing
        # trips mostly end where they began), after its voyages' median duration.
        port = last.port
        durations = sorted(leg[2] for leg in legs)
        if in_port and not durations:
            return None  # nothing says how long it stays away
        confidence, thin = 0.1, True
        evidence.update(voyages_from_last_port=0, fallback="return")
    iso3 = next((c.iso3 for c in reversed(calls) if c.port == port), None)
    evidence["voyage_hours"] = [round(d, 1) for d in durations]
    dist = None
    if locations is not None and port in locations:
        dist = _distance_km(state, *locations[port])
    low = high = None
    if durations:
        eta = departure + _hours(float(np.median(durations)))
        low, high = departure + _hours(durations[0]), departure + _hours(durations[-1])
        evidence["eta_source"] = "typical_voyage"
    elif dist is not None:
        eta = departure + _hours(passage_hours(dist, _passage_speed(state)))
        evidence["eta_source"] = "distance_speed"
    else:
        return None
    if eta < state.as_of and not in_port:
        if dist is not None:  # overdue: the rest of the way at passage speed
            eta = state.as_of + _hours(passage_hours(dist, _passage_speed(state)))
        else:
            eta = state.as_of
        evidence["overdue"] = True
        low, high = None, None
        thin = True
    if dist is not None:
        evidence["distance_km"] = round(dist, 1)
    return ArrivalPrediction(
        mmsi=state.mmsi,
        track_id=state.track_id,
        port_label=port,
        port_iso3=iso3,
        eta=eta,
        eta_low=low,
        eta_high=high,
        method="history",
        confidence=round(float(confidence), 4),
        insufficient_data=bool(thin),
        as_of=state.as_of,
        vessel_id=state.vessel_id,
        evidence=evidence,
    )


def predict_by_heading(
    state: VesselState,
    ports: pd.DataFrame,
    *,
    cone_deg: float = HEADING_CONE_DEG,
    max_h: float = HEADING_MAX_H,
) -> ArrivalPrediction | None:
    """The nearest port ahead of the course within a cone, at the current speed.

    Parameters
    ----------
    state : VesselState
        Needs a position, a course and a speed of at least
        :data:`MIN_PASSAGE_SPEED_KN`.
    ports : DataFrame
        ``port_label``, ``port_iso3``, ``lat``, ``lon``.
    cone_deg : float, default 20
        Half-width of the cone (degrees) around the course.
    max_h : float, default 72
        Ports further than this many hours at the speed are not candidates.

    Returns
    -------
    ArrivalPrediction or None
        Always "insufficient data", confidence 0.2.
    """
    if not _located(state) or state.course is None or state.speed_kn is None:
        return None
    if np.isnan(state.course) or np.isnan(state.speed_kn):
        return None
    if state.speed_kn < MIN_PASSAGE_SPEED_KN or ports.empty:
        return None
    n = len(ports)
    lat = ports["lat"].to_numpy(dtype="float64")
    lon = ports["lon"].to_numpy(dtype="float64")
    azimuth, _, d_m = WGS84.inv(np.full(n, state.lon), np.full(n, state.lat), lon, lat)
    off = np.abs((np.asarray(azimuth) - state.course + 180.0) % 360.0 - 180.0)
    dist_km = np.asarray(d_m) / 1000.0
    reach_km = state.speed_kn * max_h * M_PER_NM / 1000.0
    ok = (off <= cone_deg) & (dist_km > ARRIVED_KM) & (dist_km <= reach_km)
    if not ok.any():
        return None
    row = int(np.flatnonzero(ok)[np.argmin(dist_km[ok])])
    hours = passage_hours(float(dist_km[row]), float(state.speed_kn))
    return ArrivalPrediction(
        mmsi=state.mmsi,
        track_id=state.track_id,
        port_label=str(ports["port_label"].iloc[row]),
        port_iso3=_iso3(ports, row),
        eta=state.as_of + _hours(hours),
        eta_low=None,
        eta_high=None,
        method="heading",
        confidence=0.2,
        insufficient_data=True,
        as_of=state.as_of,
        vessel_id=state.vessel_id,
        evidence={
            "course_deg": round(float(state.course), 1),
            "speed_kn": round(float(state.speed_kn), 1),
            "off_course_deg": round(float(off[row]), 1),
            "distance_km": round(float(dist_km[row]), 1),
            "cone_deg": cone_deg,
        },
    )


def predict_next_port(
    state: VesselState,
    visits: pd.DataFrame | TrackVisits,
    ports: pd.DataFrame,
    *,
    names: Mapping[str, list[int]] | None = None,
    locations: Mapping[str, tuple[float, float]] | None = None,
    last_seen: pd.Timestamp | None = None,
    methods: Sequence[str] = METHODS,
) -> ArrivalPrediction | None:
    """The next port call of one vessel track: the first of ``methods`` that predicts one.

    Parameters
    ----------
    state : VesselState
    visits : DataFrame or TrackVisits
        The track's port visits (:data:`vessel_risk.events.schemas.PortVisitSchema`).
    ports : DataFrame
        The port list the visits were found with.
    names : mapping, optional
        :func:`vessel_risk.geo.ports.port_names` of ``ports``.
    locations : mapping, optional
        :func:`port_locations` of ``ports`` (built here when not given).
    last_seen : pd.Timestamp, optional
        UTC time of the last position (default ``state.as_of``).
    methods : sequence of str, default :data:`METHODS`

    Returns
    -------
    ArrivalPrediction or None
        None when no method predicts a port; ``evidence["methods_tried"]`` lists the
        methods tried before the one that answered.

    Raises
    ------
    ValueError
        If ``methods`` names a method not in :data:`METHODS`.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"Unknown arrival methods {unknown}; use some of {list(METHODS)}.")
    tried: list[str] = []
    for method in methods:
        if method == "destination":
            p = predict_by_destination(state, ports, names)
        elif method == "history":
            if locations is None:
                locations = port_locations(ports)
            p = predict_by_history(state, visits, locations, last_seen)
        else:
            p = predict_by_heading(state, ports)
        if p is not None:
            p.evidence["methods_tried"] = tried
            return p
        tried.append(method)
    return None
