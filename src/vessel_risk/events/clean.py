"""Clean AIS position reports: not-available codes, time order, duplicates, land, jumps.

Every change is counted by reason, and every dropped row goes to the quarantine with
its source and line: a silent drop would look like the vessel switching its AIS off.

Sources: ITU-R M.1371-5 for the "not available" codes (latitude 91, longitude 181,
SOG 102.3 kn, COG 360, true heading 511); Global Fishing Watch's segmenter
(``gpsdio-segment``) for the 30 kn ceiling on speeds implied between positions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from vessel_risk.frames import sort_order, sorted_by
from vessel_risk.geo.geodesy import distance_km, implied_speed_knots
from vessel_risk.geo.tracks import StepDistances, same_vessel_as_previous, segment_km
from vessel_risk.identity.transmitters import transmitter_tracks
from vessel_risk.ingest import raw_text

LAT_NOT_AVAILABLE = 91.0
LON_NOT_AVAILABLE = 181.0
SOG_NOT_AVAILABLE_KN = 102.3
COG_NOT_AVAILABLE = 360.0
HEADING_NOT_AVAILABLE = 511.0
MAX_IMPLIED_SPEED_KN = 30.0
"""Fastest plausible speed between two positions of a fishing vessel (GFW segmenter)."""
ON_LAND_MARGIN_KM = 10.0
"""How far inland (km) a position must be to count as on land: one cell (about
11 km) of the 0.1° distance-to-shore grid, so ports up rivers and coastal cells
are not mistaken for land."""


@dataclass
class CleanResult:
    """Cleaned positions, the rows dropped, and counts by reason.

    Attributes
    ----------
    positions : DataFrame
        Kept rows with ``track_id`` (the transmitter track within the MMSI,
        :func:`vessel_risk.identity.transmitters.transmitter_tracks`), sorted by
        ``mmsi``, ``track_id``, ``timestamp``.
    quarantine : DataFrame
        Dropped rows: ``source``, ``line``, ``mmsi``, ``reason``, ``raw``.
    counts : dict of str to int
        Values nulled (``*_not_available``), rows reordered (``out_of_order``) and
        rows dropped, by reason.
    segment_km : ndarray of shape (n,), optional
        :func:`~vessel_risk.geo.tracks.segment_km` of ``positions`` (km), measured
        with the steps cleaning measured already (None: not measured).
    """

    positions: pd.DataFrame
    quarantine: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    segment_km: npt.NDArray[np.float64] | None = None


def null_not_available(positions: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Replace AIS "not available" codes by NaN; rows stay (case C01).

    A position of (91, 181), (0, 0) or out of range becomes NaN latitude and
    longitude; SOG 102.3 kn and above, COG 360 and above, and heading 511 (or any
    heading outside 0-359) become NaN.

    Parameters
    ----------
    positions : DataFrame
        With ``lat``, ``lon``, ``speed_knots``, ``course``, ``heading``.

    Returns
    -------
    DataFrame
        A copy with the codes replaced.
    dict
        Counts: ``position_not_available``, ``speed_not_available``,
        ``course_not_available``, ``heading_not_available``.
    """
    out = positions.copy()
    lat, lon = out["lat"], out["lon"]
    bad_pos = (
        (lat >= LAT_NOT_AVAILABLE)
        | (lon >= LON_NOT_AVAILABLE)
        | (lat < -90)
        | (lon < -180)
        | ((lat == 0) & (lon == 0))
    ) & (lat.notna() | lon.notna())
    out.loc[bad_pos, ["lat", "lon"]] = np.nan
    # A position with only one coordinate is no position.
    half = out["lat"].isna() ^ out["lon"].isna()
    out.loc[half, ["lat", "lon"]] = np.nan
    counts = {"position_not_available": int(bad_pos.sum() + half.sum())}
    for col, code, hi, name in (
        ("speed_knots", SOG_NOT_AVAILABLE_KN, None, "speed_not_available"),
        ("course", COG_NOT_AVAILABLE, None, "course_not_available"),
        ("heading", HEADING_NOT_AVAILABLE, 360.0, "heading_not_available"),
    ):
        v = out[col]
        bad = (v >= (hi if hi is not None else code)) | (v < 0)
        out.loc[bad, col] = np.nan
        counts[name] = int(bad.sum())
    return out, counts


def _without(frame: pd.DataFrame, drop: pd.Series | npt.NDArray[np.bool_]) -> pd.DataFrame:
    """``frame[~drop]``; ``frame`` itself when nothing is dropped (no copy)."""
    mask = np.asarray(drop, dtype=bool)
    return frame[~mask] if mask.any() else frame


_RAW = ["mmsi", "timestamp", "lat", "lon", "speed_knots", "course", "heading"]


def _quarantine_rows(
    frame: pd.DataFrame, drop: pd.Series | npt.NDArray[np.bool_], reason: str
) -> pd.DataFrame:
    """Quarantine rows of the rows of ``frame`` where ``drop`` (only the columns the
    quarantine keeps are copied)."""
    rows = frame.loc[np.asarray(drop, dtype=bool), [*_RAW, "source", "line"]]
    raw = raw_text(rows[_RAW])
    return pd.DataFrame(
        {
            "source": rows["source"].astype("string"),
            "line": rows["line"].astype("float64"),
            "mmsi": rows["mmsi"].astype("string"),
            "reason": reason,
            "raw": raw.astype("string"),
        }
    )


def implied_speed_outliers(
    positions: pd.DataFrame, max_speed_kn: float, steps: StepDistances | None = None
) -> pd.Series:
    """Positions that jump away and back: implied speed above ``max_speed_kn`` both
    from the previous and to the next position of the same vessel.

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi`` (then ``track_id`` if present: each transmitter track is a
        vessel here), ``timestamp``, with ``lat``, ``lon``; rows without a position
        are ignored (never flagged).
    max_speed_kn : float
        Speed ceiling in knots.
    steps : StepDistances, optional
        Steps already measured between rows of ``positions`` (by index label).

    Returns
    -------
    Series of bool, aligned with ``positions``.
    """
    has = positions["lat"].notna()
    p = positions.loc[
        has, [c for c in ("mmsi", "track_id", "timestamp", "lat", "lon") if c in positions]
    ]
    same_prev = same_vessel_as_previous(p)
    if steps is not None:
        d = steps.between(p.index, p["lat"], p["lon"], same_prev)
    else:
        d = distance_km(p["lat"].shift(1), p["lon"].shift(1), p["lat"], p["lon"])
    h = (p["timestamp"] - p["timestamp"].shift(1)).dt.total_seconds().to_numpy() / 3600.0
    v_in = np.where(same_prev, implied_speed_knots(d, h), np.nan)
    # Same-second jumps have no finite speed but are still jumps.
    jump_in = same_prev & ((v_in > max_speed_kn) | ((h <= 0) & (d > 0)))
    jump_out = np.append(jump_in[1:], False)
    flag = pd.Series(False, index=positions.index)
    flag.loc[p.index] = jump_in & jump_out
    return flag


def _same_second(positions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows repeating an earlier row of the same vessel track and second, on a frame
    sorted by ``mmsi`` (then ``track_id`` where present) and ``timestamp``: exact copies
    of the first row of that second, and other positions at that second. Sorting puts
    them side by side, so no hashing."""
    ts = positions["timestamp"].to_numpy(dtype="datetime64[ns]").astype("int64")
    same = same_vessel_as_previous(positions[[c for c in ("mmsi", "track_id") if c in positions]])
    same[1:] &= ts[1:] == ts[:-1]
    idx = np.arange(len(positions))
    first = np.maximum.accumulate(np.where(same, 0, idx)) if len(idx) else idx
    equal = np.ones(len(positions), dtype=bool)
    for col in ("lat", "lon", "speed_knots", "course", "heading"):
        v = positions[col].to_numpy(dtype="float64")
        w = v[first]
        equal &= (v == w) | (np.isnan(v) & np.isnan(w))
    return same & equal, same & ~equal


def clean_positions(
    positions: pd.DataFrame,
    *,
    distance_from_shore: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    max_speed_kn: float = MAX_IMPLIED_SPEED_KN,
    on_land_margin_km: float | None = ON_LAND_MARGIN_KM,
) -> CleanResult:
    """Clean position reports of many vessels.

    Steps, each counted: positions without a time (raw NMEA with no receive time)
    go to the quarantine as ``no_receive_time``; not-available codes become NaN
    (:func:`null_not_available`); rows are sorted by vessel and time (case C03;
    ``out_of_order`` counts rows that were behind their predecessor in the file);
    exact duplicate messages are dropped; positions more than ``on_land_margin_km``
    inland are dropped (needs ``distance_from_shore_km``, negative on land; skipped
    if absent), and the distances of the positions kept on land are then set to 0,
    Global Fishing Watch's value on land and inland waters; positions are split into
    transmitter tracks (:func:`~vessel_risk.identity.transmitters.transmitter_tracks`:
    an MMSI sent by two transmitters far apart at once becomes two tracks), and those
    that fit no track go to the quarantine as ``fits_no_transmitter_track``; within a
    track, several positions at the same second collapse to the first in value order
    (case C04: two transmitters may report at the same second, one vessel may not); isolated
    jumps faster than ``max_speed_kn`` within a track are dropped
    (:func:`implied_speed_outliers`).

    Parameters
    ----------
    positions : DataFrame
        From :func:`vessel_risk.ingest.read_ais`, optionally with
        ``distance_from_shore_km``.
    distance_from_shore : callable, optional
        ``f(lat, lon) -> km`` (negative on land), such as
        :class:`vessel_risk.geo.shore.ShoreDistance`; when given,
        ``distance_from_shore_km`` is computed after the not-available codes are
        nulled, so a (0, 0) or (91, 181) position never gets a distance.
    max_speed_kn : float, default 30
        Implied-speed ceiling in knots.
    on_land_margin_km : float or None, default 10
        Depth inland (km) beyond which a position is on land; None keeps positions
        on land.

    Returns
    -------
    CleanResult
    """
    out, counts = null_not_available(positions)
    dropped = []
    # Raw NMEA without a tag block or receiver time: the position is real but has no
    # place in a track (vessel_risk.ingest.nmea).
    undated = out["timestamp"].isna()
    dropped.append(_quarantine_rows(out, undated, "no_receive_time"))
    counts["no_receive_time"] = int(undated.sum())
    out = _without(out, undated)
    if distance_from_shore is not None:
        out["distance_from_shore_km"] = distance_from_shore(
            out["lat"].to_numpy(), out["lon"].to_numpy()
        )
    behind = (
        same_vessel_as_previous(out["mmsi"])
        & (out["timestamp"] < out["timestamp"].shift(1)).to_numpy()
    )
    counts["out_of_order"] = int(behind.sum())
    # Within a second, rows in the order of their values, not of the file: which of
    # several positions of one second is kept must not depend on how input was split.
    order = ["mmsi", "timestamp", "lat", "lon", "speed_knots", "course", "heading"]
    out = out.take(sort_order(out, order)).reset_index(drop=True)
    # The steps between positions, measured once for the three looks below (the
    # transmitter split, the speed outliers, the kept track's segment lengths).
    steps = StepDistances(len(out))

    dup, _ = _same_second(out)
    dropped.append(_quarantine_rows(out, dup, "duplicate_message"))
    counts["duplicate_message"] = int(dup.sum())
    out = _without(out, dup)

    if on_land_margin_km is not None and "distance_from_shore_km" in out.columns:
        land = out["distance_from_shore_km"] < -on_land_margin_km
        dropped.append(_quarantine_rows(out, land, "on_land"))
        counts["on_land"] = int(land.sum())
        out = _without(out, land)
    if "distance_from_shore_km" in out.columns:
        out["distance_from_shore_km"] = out["distance_from_shore_km"].clip(lower=0.0)

    # Transmitter tracks before the speed filter: two transmitters sharing an MMSI
    # would otherwise be read as one vessel jumping back and forth, and lose most of
    # their positions to it.
    track = transmitter_tracks(out, max_speed_kn=max_speed_kn, steps=steps)
    unfit = track.isna().to_numpy()
    dropped.append(_quarantine_rows(out, unfit, "fits_no_transmitter_track"))
    counts["fits_no_transmitter_track"] = int(unfit.sum())
    out = out[~unfit].assign(track_id=track[~unfit].astype("int64"))
    out = sorted_by(out, ["mmsi", "track_id", "timestamp"])
    # Two transmitters may report in the same second; within one track, several
    # positions at one second collapse to the first (case C04).
    _, same_time = _same_second(out)
    dropped.append(_quarantine_rows(out, same_time, "same_second_other_position"))
    counts["same_second_other_position"] = int(same_time.sum())
    out = _without(out, same_time)

    jumps = implied_speed_outliers(out, max_speed_kn, steps)
    dropped.append(_quarantine_rows(out, jumps, "implied_speed_outlier"))
    counts["implied_speed_outlier"] = int(jumps.sum())
    out = _without(out, jumps)
    seg = segment_km(out, steps).to_numpy()
    out = out.reset_index(drop=True)
    quarantine = pd.concat(dropped, ignore_index=True)
    return CleanResult(out, quarantine, counts, seg)
