"""Next port calls for every vessel track of a run, and the day-by-day replay that checks them.

Pure, over a run's tables: :func:`vessel_states` (each track's state at its last
position), :func:`predict_arrivals` (:func:`vessel_risk.events.arrivals.predict_next_port`
for each), and :func:`replay_days` / :func:`replay_summary`, which replay a run day by
day, predicting from the data up to each day only and comparing with the port call that
actually followed (issue 18: hit rate of the next port, median absolute arrival error).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from vessel_risk.events.arrivals import (
    METHODS,
    TrackVisits,
    VesselState,
    port_calls,
    port_locations,
    predict_next_port,
    track_visits,
)
from vessel_risk.geo.ports import port_names

ARRIVAL_COLUMNS = [
    "mmsi",
    "track_id",
    "vessel_id",
    "port_label",
    "port_iso3",
    "eta",
    "eta_low",
    "eta_high",
    "method",
    "confidence",
    "insufficient_data",
    "as_of",
    "evidence",
]
"""Columns of :func:`predict_arrivals`' frame."""


def predict_arrivals(
    states: Sequence[VesselState],
    visits: pd.DataFrame,
    ports: pd.DataFrame,
    *,
    methods: Sequence[str] = METHODS,
) -> pd.DataFrame:
    """The next port call of every vessel track in ``states``.

    Parameters
    ----------
    states : sequence of VesselState
        One per track (``mmsi``, ``track_id``); ``as_of`` is also the last position's time.
    visits : DataFrame
        Port visits of the run (``mmsi``, ``track_id``, ``port_label``, ``port_iso3``,
        ``start``, ``end``).
    ports : DataFrame
        The port list.
    methods : sequence of str, default :data:`METHODS`

    Returns
    -------
    DataFrame with :data:`ARRIVAL_COLUMNS`, one row per track with a prediction.
    """
    names, locations = port_names(ports), port_locations(ports)
    key = ["mmsi", "track_id"] if "track_id" in visits.columns else ["mmsi"]
    groups = track_visits(visits, key)
    empty = TrackVisits([], [], [], [])
    rows = []
    for s in states:
        k = (s.mmsi, s.track_id) if len(key) == 2 else (s.mmsi,)
        p = predict_next_port(
            s, groups.get(k, empty), ports, names=names, locations=locations, methods=methods
        )
        if p is not None:
            rows.append({c: getattr(p, c) for c in ARRIVAL_COLUMNS})
    return pd.DataFrame(rows, columns=ARRIVAL_COLUMNS)


def vessel_states(
    features: pd.DataFrame, identity: pd.DataFrame | None = None
) -> list[VesselState]:
    """The state of each vessel track at its last position, from a run's tables.

    Parameters
    ----------
    features : DataFrame
        Vessel-year features (``mmsi``, ``track_id``, ``last_timestamp``, ``last_lat``,
        ``last_lon``; ``vessel_id``, ``last_course`` and ``last_speed_kn`` when present);
        the latest vessel-year of each track is taken.
    identity : DataFrame, optional
        Identity history (``mmsi``, ``field``, ``value``, ``last_seen``): the destination
        last broadcast by each MMSI.

    Returns
    -------
    list of VesselState
        One per (``mmsi``, ``track_id``), ``as_of`` the last position's time.
    """
    if features.empty:
        return []
    f = features.copy()
    if "track_id" not in f.columns:
        f["track_id"] = 0
    f = f.sort_values(["mmsi", "track_id", "last_timestamp"], kind="stable")
    last = f.groupby(["mmsi", "track_id"], sort=True).tail(1)
    dest: dict[str, tuple[str, pd.Timestamp]] = {}
    if identity is not None and len(identity):
        d = identity[identity["field"] == "destination"].sort_values("last_seen", kind="stable")
        for mmsi, value, seen in zip(d["mmsi"], d["value"], d["last_seen"], strict=True):
            dest[str(mmsi)] = (str(value), pd.Timestamp(seen))

    def opt(row: Any, name: str) -> Any:
        value = getattr(row, name, None)
        return None if value is None or pd.isna(value) else value

    out = []
    row: Any
    for row in last.itertuples(index=False):
        mmsi = str(row.mmsi)
        destination, seen = dest.get(mmsi, (None, None))
        out.append(
            VesselState(
                mmsi=mmsi,
                track_id=int(row.track_id),
                as_of=pd.Timestamp(row.last_timestamp),
                lat=opt(row, "last_lat"),
                lon=opt(row, "last_lon"),
                course=opt(row, "last_course"),
                speed_kn=opt(row, "last_speed_kn"),
                destination=destination,
                destination_seen=seen,
                vessel_id=opt(row, "vessel_id"),
            )
        )
    return out


REPLAY_COLUMNS = [
    "mmsi",
    "track_id",
    "day",
    "method",
    "predicted_port",
    "predicted_eta",
    "actual_port",
    "actual_arrival",
    "hit",
    "error_h",
    "insufficient_data",
    "lead_h",
    "last_port",
]
"""Columns of :func:`replay_days`' frame."""


def replay_days(
    positions: pd.DataFrame,
    visits: pd.DataFrame,
    ports: pd.DataFrame,
    *,
    methods: Sequence[str] = METHODS,
) -> pd.DataFrame:
    """Replay a run day by day: predict from the data up to each day, compare with what came.

    For each vessel track and each UTC day ``D`` on which it sent a position and after
    which it made another port call, the state is its last position up to the end of
    ``D`` (``D + 1 day``, exclusive) and its port calls started by then
    (:func:`vessel_risk.events.arrivals.port_calls`); the prediction is compared with the
    first call that started after that time. The visits found on the whole data serve as
    the visits known at ``D`` (cut at ``D``): the port-visit rule looks only backwards in
    time, so this equals detecting them on the data up to ``D``.

    Parameters
    ----------
    positions : DataFrame
        ``mmsi``, ``track_id`` (optional), ``timestamp`` (UTC), ``lat``, ``lon``;
        ``course`` and ``speed_knots`` when present (the heading method).
    visits : DataFrame
        Port visits of the same tracks (``mmsi``, ``track_id``, ``port_label``,
        ``port_iso3``, ``start``, ``end``).
    ports : DataFrame
        The port list the visits were found with.
    methods : sequence of str, default :data:`vessel_risk.events.arrivals.METHODS`

    Returns
    -------
    DataFrame with :data:`REPLAY_COLUMNS`, one row per track-day: ``hit`` (predicted
    port is the actual one; False without a prediction, ``method`` then null),
    ``error_h`` (absolute arrival error in hours, for hits only, else NaN), ``lead_h``
    (hours from the end of the day to the actual arrival) and ``last_port`` (the last
    call known then, null for none: the naive "back where it was" baseline).
    """
    if positions.empty or visits.empty:
        return pd.DataFrame(columns=REPLAY_COLUMNS)
    pos = positions.copy()
    vis = visits.copy()
    for frame in (pos, vis):
        if "track_id" not in frame.columns:
            frame["track_id"] = 0
    names, locations = port_names(ports), port_locations(ports)
    pos = pos.sort_values(["mmsi", "track_id", "timestamp"], kind="stable")
    pos["day"] = pos["timestamp"].dt.floor("D")
    last_of_day = pos.groupby(["mmsi", "track_id", "day"], sort=True).tail(1)
    by_track = {k: g for k, g in vis.groupby(["mmsi", "track_id"], sort=False)}
    rows: list[dict[str, Any]] = []
    key: Any
    r: Any
    for key, days in last_of_day.groupby(["mmsi", "track_id"], sort=True):
        mmsi, track_id = key
        track_visits = by_track.get((mmsi, track_id))
        if track_visits is None:
            continue
        calls = port_calls(track_visits, track_visits["end"].max())
        starts = pd.DatetimeIndex([c.start for c in calls]).as_unit("ns")
        for r in days.itertuples(index=False):
            cut: pd.Timestamp = pd.Timestamp(r.day) + pd.Timedelta(days=1)
            # The first call that started after the cut (calls started by then are known).
            following = int(np.searchsorted(starts.asi8, cut.value, side="right"))
            if following >= len(calls):
                continue  # no call after this day within the data: nothing to check
            actual = calls[following]

            def opt(name: str, row: Any = r) -> float | None:
                value = getattr(row, name, None)
                return None if value is None or pd.isna(value) else float(value)

            state = VesselState(
                mmsi=str(mmsi),
                track_id=int(track_id),
                as_of=cut,
                lat=opt("lat"),
                lon=opt("lon"),
                course=opt("course"),
                speed_kn=opt("speed_knots"),
            )
            p = predict_next_port(
                state,
                track_visits,
                ports,
                names=names,
                locations=locations,
                last_seen=pd.Timestamp(r.timestamp),
                methods=methods,
            )
            hit = p is not None and p.port_label == actual.port
            rows.append(
                {
                    "mmsi": str(mmsi),
                    "track_id": int(track_id),
                    "day": r.day,
                    "method": None if p is None else p.method,
                    "predicted_port": None if p is None else p.port_label,
                    "predicted_eta": None if p is None else p.eta,
                    "actual_port": actual.port,
                    "actual_arrival": actual.start,
                    "hit": bool(hit),
                    "error_h": abs((p.eta - actual.start).total_seconds()) / 3600.0
                    if p is not None and hit
                    else np.nan,
                    "insufficient_data": None if p is None else p.insufficient_data,
                    "lead_h": (actual.start - cut).total_seconds() / 3600.0,
                    "last_port": calls[following - 1].port if following > 0 else None,
                }
            )
    return pd.DataFrame(rows, columns=REPLAY_COLUMNS)


def replay_summary(days: pd.DataFrame) -> dict[str, Any]:
    """Hit rate and arrival error of a replay (:func:`replay_days`), overall and by method.

    Returns
    -------
    dict
        ``track_days`` (days checked), ``tracks``, ``predicted`` (days with a
        prediction), ``hit_rate`` (hits / days checked), ``hit_rate_predicted`` (hits /
        days with a prediction), ``median_abs_error_h`` (over hits; None without any),
        ``by_method`` (the same per method), ``confident`` (the same for predictions
        not marked "insufficient data"), ``within_7_days`` (days at most 7 days before
        the actual arrival) and ``baseline_last_port_hit_rate`` (share of days whose
        next call was at the last port known).
    """

    def figures(d: pd.DataFrame) -> dict[str, Any]:
        predicted = d["method"].notna()
        hits = d["hit"].astype(bool)
        err = d.loc[hits, "error_h"]
        return {
            "track_days": len(d),
            "tracks": int(d.groupby(["mmsi", "track_id"]).ngroups) if len(d) else 0,
            "predicted": int(predicted.sum()),
            "hits": int(hits.sum()),
            "hit_rate": float(hits.mean()) if len(d) else None,
            "hit_rate_predicted": float(hits[predicted].mean()) if predicted.any() else None,
            "median_abs_error_h": float(err.median()) if len(err) else None,
        }

    out = figures(days)
    out["by_method"] = {
        str(m): figures(g) for m, g in days[days["method"].notna()].groupby("method")
    }
    sure = days["insufficient_data"].eq(False)
    out["confident"] = figures(days[sure])
    out["within_7_days"] = figures(days[days["lead_h"] <= 7 * 24.0])
    same = days["last_port"].eq(days["actual_port"])
    out["baseline_last_port_hit_rate"] = float(same.mean()) if len(days) else None
    return out
