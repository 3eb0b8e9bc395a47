"""Voyages: the time between leaving one port and arriving at the next (GFW).

Where the data start at sea the first voyage has no ``from_port``; where they end at
sea the last has no ``to_port``. A vessel never seen in port has one voyage spanning
its data, open at both ends. Voyages of a vessel never overlap and time at sea is
never negative, however many port visits fall in a window (case C08).

Voyages are per vessel track (``mmsi``, ``track_id``). Silences are treated by where
they happen:

- **In port.** Port visits end at a silence longer than
  :data:`vessel_risk.geo.tracks.MAX_SILENCE_H` (24 h), so a vessel seen in port before
  and after such a silence makes two visits with no position at sea between them. The
  time between those two visits is not a voyage and not time at sea: nothing says the
  vessel left port, so no voyage is counted for it.
- **At sea.** A silence at sea of more than a day is normal (no satellite or shore
  receiver in range) and the vessel is still at sea, so it stays inside the voyage. Only
  a silence of ``max_silence_h`` (:data:`MAX_SILENCE_H`, 30 days) or more ends the voyage
  (with no ``to_port``) and starts a new one (with no ``from_port``) after it, unlike
  GFW's voyages: across months without a single message nobody knows whether the vessel
  called at a port, so the silence must not count as time at sea.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vessel_risk.events.schemas import VoyageSchema
from vessel_risk.frames import empty_frame
from vessel_risk.geo.tracks import MAX_SILENCE_H as MAX_SILENCE_IN_PORT_H
from vessel_risk.geo.tracks import hours_since_previous, same_vessel_as_previous, track_ids

MAX_SILENCE_H = 30 * 24.0
"""Silence at sea (hours) that ends a voyage: 30 days."""


def detect_voyages(
    positions: pd.DataFrame, visits: pd.DataFrame, *, max_silence_h: float = MAX_SILENCE_H
) -> pd.DataFrame:
    """Voyages of every vessel track between its port visits.

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi``, ``track_id`` (optional), ``timestamp``, with ``segment_km``
        (distance from the previous position of the same vessel track, km).
    visits : DataFrame
        From :func:`vessel_risk.events.port_visits.detect_port_visits` on the same frame.
    max_silence_h : float, default 720
        A silence this long (hours) ends one voyage and starts another.

    Returns
    -------
    DataFrame with :class:`~vessel_risk.events.schemas.VoyageSchema` columns
    (``track_id`` from the positions, 0 where they have none). Two visits separated only
    by a silence longer than :data:`vessel_risk.geo.tracks.MAX_SILENCE_H` (consecutive
    rows) have no voyage between them.
    """
    if positions.empty:
        return empty_frame(VoyageSchema)
    n = len(positions)
    ts = positions["timestamp"]
    # Tracks: a vessel's rows between silences of max_silence_h or more.
    silence_h = hours_since_previous(ts)
    new_track = ~same_vessel_as_previous(positions) | (silence_h >= max_silence_h)
    track = np.cumsum(new_track)
    # Running distance from each track's first row (a voyage lies within one track), so
    # a voyage's distance does not depend on the vessels before it in the frame (the
    # partition it was run in).
    cum = (
        pd.Series(positions["segment_km"].to_numpy(dtype="float64"))
        .groupby(track, sort=False)
        .cumsum()
        .to_numpy()
    )
    change = np.flatnonzero(new_track)
    first_row = change
    last_row = np.concatenate([change[1:] - 1, [n - 1]])
    bounds = pd.DataFrame(
        {
            "track": track[first_row],
            "mmsi": positions["mmsi"].take(first_row).to_numpy(dtype=object),
            "track_id": track_ids(positions)[first_row],
            "first": first_row,
            "last": last_row,
        }
    )

    # Voyage boundaries: (track start or a visit's end) -> (next visit's start or track end).
    v = visits[["port_label", "start_row", "end_row"]].copy()
    v["track"] = track[v["start_row"].to_numpy(dtype=int)] if len(v) else []
    legs = []
    vv = v.merge(bounds, on="track", how="left").sort_values("start_row")
    # Leg before each visit: from the previous visit's end (or the data start).
    prev_end = vv.groupby("track")["end_row"].shift(1)
    prev_port = vv.groupby("track")["port_label"].shift(1)
    before = pd.DataFrame(
        {
            "mmsi": vv["mmsi"],
            "track_id": vv["track_id"],
            "from_port": prev_port,
            "to_port": vv["port_label"],
            "a": prev_end.fillna(vv["first"]).astype(int),
            "b": vv["start_row"].astype(int),
            "open_start": prev_end.isna(),
        }
    )
    # A vessel whose data start in port has no voyage before its first visit.
    before = before[~(before["open_start"] & (before["a"] == before["b"]))]
    # Two visits split only by a silence in port (consecutive rows) have no voyage between.
    b_rows = before["b"].to_numpy(dtype=int)
    in_port_silence = (
        ~before["open_start"].to_numpy(dtype=bool)
        & (b_rows == before["a"].to_numpy(dtype=int) + 1)
        & (silence_h[b_rows] > MAX_SILENCE_IN_PORT_H)
    )
    before = before[~in_port_silence]
    legs.append(before.drop(columns="open_start"))
    # Leg after the last visit, if the data go on after it.
    last_visit = vv.groupby("track").tail(1)
    after = last_visit[last_visit["end_row"] < last_visit["last"]]
    legs.append(
        pd.DataFrame(
            {
                "mmsi": after["mmsi"],
                "track_id": after["track_id"],
                "from_port": after["port_label"],
                "to_port": pd.NA,
                "a": after["end_row"].astype(int),
                "b": after["last"].astype(int),
            }
        )
    )
    # Tracks never in port: one open voyage.
    never = bounds[~bounds["track"].isin(set(v["track"]))]
    legs.append(
        pd.DataFrame(
            {
                "mmsi": never["mmsi"],
                "track_id": never["track_id"],
                "from_port": pd.NA,
                "to_port": pd.NA,
                "a": never["first"],
                "b": never["last"],
            }
        )
    )
    legs = [leg for leg in legs if len(leg)]  # concat of empty frames warns
    if not legs:
        return empty_frame(VoyageSchema)
    out = pd.concat(legs, ignore_index=True).sort_values(["mmsi", "a"]).reset_index(drop=True)
    a = out["a"].to_numpy()
    b = out["b"].to_numpy()
    result = pd.DataFrame(
        {
            "mmsi": out["mmsi"].astype("string"),
            "track_id": out["track_id"].astype("int64"),
            "from_port": out["from_port"].astype("string"),
            "to_port": out["to_port"].astype("string"),
            "start": ts.take(a).reset_index(drop=True),
            "end": ts.take(b).reset_index(drop=True),
        }
    )
    result["duration_h"] = (result["end"] - result["start"]).dt.total_seconds() / 3600.0
    result["distance_km"] = np.maximum(cum[b] - cum[a], 0.0)
    return result
