"""One MMSI, several transmitters: split a vessel's positions into physically possible tracks.

Distant-water fleets share MMSIs: two or more transmitters broadcast the same number at
once, and the positions alternate between places no vessel could travel between.
Following Global Fishing Watch's segmenter (``gpsdio-segment``), each position joins the
open segment heard most recently among those it can be reached from at an implied speed
of at most ``max_speed_kn`` (30 kn for fishing vessels); otherwise it opens a new one;
a segment silent for more than 24 h is closed. Segments that never overlap in time are
then joined into transmitter tracks (:func:`transmitter_tracks`). The number
of tracks that overlap in time is an identity indicator (deception, abuse of
vulnerability: DOMAIN.md), never proof: a transmitter moved between hulls looks the same.

On the squid-jigger fleet the flag agrees with GFW's analysts' research files (MMSIs
with implausible implied speeds or overlapping segments) on 40 of the 43 MMSIs with at
least 100 positions: 4 found, 2 missed, 1 not in GFW's files (docs/features.md).

Pure functions of frames; no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from vessel_risk.frames import sorted_by
from vessel_risk.geo.geodesy import WGS84, distance_km
from vessel_risk.geo.tracks import MAX_SILENCE_H, StepDistances, same_vessel_as_previous

MAX_SPEED_KN = 30.0
"""Fastest plausible speed of a fishing vessel between two positions (GFW segmenter)."""
CLOSE_KM = 1.0
"""Positions this close are the same place whatever the time between them (GPS noise)."""
MIN_TRACK_POSITIONS = 10
"""Tracks with fewer positions are noise, not a transmitter."""
KM_PER_NM = 1.852


EARTH_RADIUS_KM = 6371.0088


def _haversine_steps(
    phis: np.ndarray, lmbs: np.ndarray, coss: np.ndarray
) -> npt.NDArray[np.float64]:
    """Haversine km from each position to the one before it (first: NaN), in NumPy.

    The formula and operand order of :func:`_assign`'s scalar one; NumPy's ``sin`` may
    differ from ``math.sin`` in the last bit, so callers decide only where the result
    is clear of a threshold (:func:`_steps_reachable`).
    """
    d = np.full(len(phis), np.nan)
    if len(phis) > 1:
        a = (
            np.sin((phis[1:] - phis[:-1]) / 2) ** 2
            + coss[:-1] * coss[1:] * np.sin((lmbs[1:] - lmbs[:-1]) / 2) ** 2
        )
        d[1:] = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return d


def _steps_reachable(
    times_h: np.ndarray,
    phis: list[float],
    lmbs: list[float],
    max_speed_kn: float,
) -> npt.NDArray[np.bool_]:
    """Whether each position is reachable from the one before it by :func:`_assign`'s
    rule (first: False), exactly as the scalar rule decides it.

    NumPy gives every step; the few whose distance or implied speed lies within a
    relative 1e-9 of ``CLOSE_KM`` or ``max_speed_kn`` are decided again in scalar
    ``math``, so a last-bit difference never changes a decision.
    """
    n = len(times_h)
    ok = np.zeros(n, dtype=bool)
    if n < 2:
        return ok
    phi = np.asarray(phis)
    d = _haversine_steps(phi, np.asarray(lmbs), np.cos(phi))[1:]
    dt = times_h[1:] - times_h[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        v = d / KM_PER_NM / dt
    tol = 1e-9
    sure_yes = (d <= CLOSE_KM * (1 - tol)) | ((dt > 0) & (v <= max_speed_kn * (1 - tol)))
    sure_no = (d > CLOSE_KM * (1 + tol)) & ~((dt > 0) & (v <= max_speed_kn * (1 + tol)))
    ok[1:] = sure_yes
    two_r = 2 * EARTH_RADIUS_KM
    for j in np.flatnonzero(~sure_yes & ~sure_no).tolist():
        i = j + 1
        a = (
            math.sin((phis[i] - phis[j]) / 2) ** 2
            + math.cos(phis[j]) * math.cos(phis[i]) * math.sin((lmbs[i] - lmbs[j]) / 2) ** 2
        )
        dd = two_r * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))
        step = float(times_h[i] - times_h[j])
        ok[i] = dd <= CLOSE_KM or (step > 0 and dd / KM_PER_NM / step <= max_speed_kn)
    return ok


def _assign(
    times_h: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    max_speed_kn: float,
    max_hours: float = MAX_SILENCE_H,
) -> np.ndarray:
    """Segment number of each position of one MMSI, in time order (greedy, GFW-style).

    A position continues the segment heard most recently among those it can be reached
    from (implied speed at most ``max_speed_kn``, or within ``CLOSE_KM``) and that were
    heard within ``max_hours``; otherwise it opens a new segment. Segments silent for
    longer than ``max_hours`` are closed, as in GFW's segmenter: an old segment's
    implied speed is always low, so it would otherwise take fixes from the live one.

    Plain Python floats on purpose: an MMSI has a handful of open segments, and scalar
    ``math`` on them is about 20 times faster than NumPy calls on arrays of two
    (13 s to well under 1 s on the squid-jigger file, same assignment). Times are in
    order, so a segment once silent for more than ``max_hours`` stays closed: it leaves
    the list of open segments for good, and a position is only compared with those
    (not with every segment the MMSI ever had; same assignment, issue 15).

    While one segment is open, it is the segment of the position before, so what
    happens to each next position depends on that step alone: it continues the
    segment (reachable, within ``max_hours``), opens a new one after a silence (the
    old one closes: still one open), or opens a second one. Such runs are assigned
    from NumPy step arrays (:func:`_steps_reachable`, the same decisions), and the
    loop over open segments runs only while two or more are open (issue 15).
    """
    n = len(times_h)
    last_t: list[float] = []
    last_phi: list[float] = []
    last_lmb: list[float] = []
    last_cos: list[float] = []
    open_: list[int] = []  # segments not yet silent for max_hours, in segment order
    out = np.empty(n, dtype="int64")
    two_r = 2 * EARTH_RADIUS_KM
    # Scalar math in the loop (NumPy's vectorised cos may differ in the last bit);
    # np.radians is math.radians (x * (pi / 180)) for every float; cosines are taken
    # with math.cos where the loop needs them.
    phis = np.radians(lat).tolist()
    lmbs = np.radians(lon).tolist()
    ts = times_h.tolist()
    # Per step from the position before: a silence that closes the segment, and a
    # step that opens a second segment (neither silent nor reachable).
    silent = np.zeros(n, dtype=bool)
    silent[1:] = (times_h[1:] - times_h[:-1]) > max_hours
    branch = np.flatnonzero(~silent & ~_steps_reachable(times_h, phis, lmbs, max_speed_kn))
    silences = np.cumsum(silent)
    i = 0
    while i < n:
        if len(open_) == 1 and i > 0:
            # One open segment: run to the next step that opens a second one.
            nb = int(np.searchsorted(branch, i))
            j = int(branch[nb]) if nb < len(branch) else n
            if j > i:
                k = open_[0]
                new = silences[i:j] - silences[i - 1]  # segments opened since i - 1
                opened = int(new[-1])
                out[i:j] = np.where(new == 0, k, len(last_t) + new - 1)
                for _ in range(opened):
                    last_t.append(0.0)
                    last_phi.append(0.0)
                    last_lmb.append(0.0)
                    last_cos.append(0.0)
                k = int(out[j - 1])
                open_ = [k]
                last_t[k], last_phi[k], last_lmb[k], last_cos[k] = (
                    ts[j - 1],
                    phis[j - 1],
                    lmbs[j - 1],
                    math.cos(phis[j - 1]),
                )
                i = j
                continue
        t, phi, lmb = ts[i], phis[i], lmbs[i]
        cos_phi = math.cos(phi)
        best, best_t = -1, -math.inf
        closed = False
        for k in open_:
            dt = t - last_t[k]
            if dt > max_hours:
                closed = True
                continue
            if last_t[k] <= best_t:
                continue
            a = (
                math.sin((phi - last_phi[k]) / 2) ** 2
                + last_cos[k] * cos_phi * math.sin((lmb - last_lmb[k]) / 2) ** 2
            )
            d = two_r * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))
            if d <= CLOSE_KM or (dt > 0 and d / KM_PER_NM / dt <= max_speed_kn):
                best, best_t = k, last_t[k]
        if closed:
            open_ = [k for k in open_ if t - last_t[k] <= max_hours]
        if best < 0:
            last_t.append(t)
            last_phi.append(phi)
            last_lmb.append(lmb)
            last_cos.append(cos_phi)
            open_.append(len(last_t) - 1)
            out[i] = len(last_t) - 1
        else:
            last_t[best], last_phi[best], last_lmb[best], last_cos[best] = t, phi, lmb, cos_phi
            out[i] = best
        i += 1
    return out


def split_transmitters(
    positions: pd.DataFrame,
    *,
    max_speed_kn: float = MAX_SPEED_KN,
    steps: StepDistances | None = None,
) -> pd.Series:
    """Track number of each position within its MMSI (0 for the first transmitter).

    Parameters
    ----------
    positions : DataFrame of shape (n, k)
        With ``mmsi``, ``timestamp``, ``lat``, ``lon``; any order.
    max_speed_kn : float, default 30
        Fastest implied speed (knots) within one track.
    steps : StepDistances, optional
        Where to keep (and find) the steps' distances, by index label of ``positions``.

    Returns
    -------
    Series of shape (n,), dtype Int64, aligned with ``positions``
        NA where the position is missing.
    """
    if max_speed_kn <= 0:
        raise ValueError(
            "The 'max_speed_kn' parameter of split_transmitters must be > 0. "
            f"Got {max_speed_kn} instead."
        )
    track = pd.Series(pd.NA, index=positions.index, dtype="Int64")
    p = positions.loc[
        positions["lat"].notna() & positions["lon"].notna(), ["mmsi", "timestamp", "lat", "lon"]
    ]
    p = sorted_by(p, ["mmsi", "timestamp"])
    if p.empty:
        return track
    t_h = p["timestamp"].astype("datetime64[ns, UTC]").astype("int64").to_numpy() / 3.6e12
    lat, lon = p["lat"].to_numpy(), p["lon"].to_numpy()
    same = same_vessel_as_previous(p["mmsi"])
    if steps is not None:
        d = steps.between(p.index, lat, lon, same)
    else:
        d = distance_km(np.roll(lat, 1), np.roll(lon, 1), lat, lon)
    dt = t_h - np.roll(t_h, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        jump = same & (d > CLOSE_KM) & ~(d / KM_PER_NM / dt <= max_speed_kn)
    result = np.zeros(len(p), dtype="int64")
    # Only MMSIs with at least one impossible step need the track-by-track pass.
    bounds = np.flatnonzero(~same)
    ends = np.append(bounds[1:], len(p))
    for start, end in zip(bounds, ends, strict=True):
        if jump[start:end].any():
            result[start:end] = _assign(
                t_h[start:end], lat[start:end], lon[start:end], max_speed_kn
            )
    track.loc[p.index] = result
    return track


def transmitter_tracks(
    positions: pd.DataFrame,
    *,
    max_speed_kn: float = MAX_SPEED_KN,
    min_positions: int = MIN_TRACK_POSITIONS,
    steps: StepDistances | None = None,
) -> pd.Series:
    """Transmitter track of each position: the segments of one MMSI joined into tracks.

    :func:`split_transmitters` cuts an MMSI's positions into segments, each physically
    possible (no implied speed above ``max_speed_kn``). Segments are then joined into
    transmitter tracks, largest first: a segment joins the first track none of whose
    segments it overlaps in time, or opens a new one. So one transmitter that jumps
    once (a relocation, a long silence) stays one track, and two transmitters sending
    at the same time become two. A segment of fewer than ``min_positions`` positions
    that is not its MMSI's largest never opens a track of its own: it joins a track it
    does not overlap, or, overlapping every track, its positions fit no track (NA) and
    the caller quarantines them. An MMSI whose largest segment has
    fewer than ``min_positions`` positions is one track: too little to tell a second
    transmitter from noise. Tracks are numbered by their first
    position: 0 is the track seen first. A row without a position (NaN ``lat`` or
    ``lon``) takes the track of the MMSI's previous positioned row (or the next, for
    rows before the first).

    Parameters
    ----------
    positions : DataFrame of shape (n, k)
        With ``mmsi``, ``timestamp`` (UTC), ``lat``, ``lon``; any order.
    max_speed_kn : float, default 30
        Fastest implied speed (kn) within a segment (GFW's segmenter).
    min_positions : int, default 10
        Fewest positions of a segment that stands as a transmitter alongside another.
    steps : StepDistances, optional
        Passed to :func:`split_transmitters`.

    Returns
    -------
    Series of shape (n,), dtype Int64, aligned with ``positions``
        The track id (0, 1, ...) within the MMSI, NA where the position fits no track.

    Raises
    ------
    ValueError
        If ``max_speed_kn`` is not positive.
    """
    segment = split_transmitters(positions, max_speed_kn=max_speed_kn, steps=steps)
    frame = pd.DataFrame(
        {
            "mmsi": positions["mmsi"],
            "timestamp": positions["timestamp"],
            "lat": positions["lat"],
            "lon": positions["lon"],
            "segment": segment,
        }
    )
    # Each segment's span and end fixes, and each row's segment, by one sort of the
    # placed rows on (MMSI, segment, time) rather than a groupby on strings (issue 15):
    # a segment's first row is its earliest (the file's first among equal times), as
    # groupby's first() of the rows sorted by time; segments in (MMSI, segment) order.
    code = pd.factorize(frame["mmsi"], sort=True)[0]
    row_seg = frame["segment"].to_numpy(dtype="float64", na_value=np.nan)
    placed = np.flatnonzero(~np.isnan(row_seg) & (code >= 0))
    nat = frame["timestamp"].isna().to_numpy()
    ns = frame["timestamp"].to_numpy(dtype="datetime64[ns]").view("int64")
    # NaT after every time, as sorting puts it.
    t_key = np.where(nat, np.iinfo("int64").max, ns)
    order = placed[np.lexsort((nat[placed], t_key[placed], row_seg[placed], code[placed]))]
    o_code, o_seg = code[order], row_seg[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (o_code[1:] != o_code[:-1]) | (o_seg[1:] != o_seg[:-1])
    first = np.flatnonzero(new)
    size = np.diff(np.append(first, len(order)))
    last = first + size - 1
    # A segment's span: its earliest and latest times (NaT only if it has no time).
    timed = np.add.reduceat((~nat[order]).astype(np.int64), first) if len(order) else size
    t0 = ns[order[first]]
    t1 = np.where(timed > 0, ns[order[first + np.maximum(timed, 1) - 1]], ns[order[first]])
    g_code = o_code[first]
    twin = g_code[1:] == g_code[:-1]
    several = np.r_[twin, False] | np.r_[False, twin]
    lat = frame["lat"].to_numpy(dtype="float64")
    lon = frame["lon"].to_numpy(dtype="float64")
    rows = np.flatnonzero(several)
    # Within each MMSI, largest first, then earliest (no time last); ties in segment order.
    untimed = timed[rows] == 0
    t0_key = np.where(untimed, np.iinfo("int64").max, t0[rows])
    rank = np.lexsort((untimed, t0_key, -size[rows], g_code[rows]))
    rows = rows[rank]
    items = [
        _Span(k, n, a, b, (la0, lo0), (la1, lo1))
        for k, n, a, b, la0, lo0, la1, lo1 in zip(
            rows.tolist(),
            size[rows].tolist(),
            t0[rows].tolist(),
            t1[rows].tolist(),
            lat[order[first[rows]]].tolist(),
            lon[order[first[rows]]].tolist(),
            lat[order[last[rows]]].tolist(),
            lon[order[last[rows]]].tolist(),
            strict=True,
        )
    ]
    track_of: dict[int, int] = {}
    bounds = np.flatnonzero(np.r_[True, g_code[rows][1:] != g_code[rows][:-1]]).tolist()
    for a, b in zip(bounds, [*bounds[1:], len(items)], strict=True):
        if a < len(items):
            track_of.update(_join_segments(items[a:b], min_positions, max_speed_kn))
    # A segment alone in its MMSI is track 0, one that fits no track is NA.
    seg_track = np.where(several, -1, 0)
    for k, track_no in track_of.items():
        seg_track[k] = track_no
    at = np.full(len(frame), -1, dtype="int64")
    at[order] = np.cumsum(new) - 1
    found = np.append(seg_track, -1)[at]  # at -1: no segment, no track
    track = pd.Series(
        pd.array(np.where(found >= 0, found, 0), dtype="Int64"), index=positions.index
    ).mask(found < 0)
    # Rows without a position follow the transmitter heard just before them.
    unplaced = positions["lat"].isna() | positions["lon"].isna()
    if unplaced.any():
        by_time = frame.assign(track=track, unplaced=unplaced).sort_values(
            ["mmsi", "timestamp"], kind="stable"
        )
        heard = by_time["track"].where(~by_time["unplaced"])
        filled = heard.groupby(by_time["mmsi"], sort=False).ffill()
        filled = filled.groupby(by_time["mmsi"], sort=False).bfill()
        filled = filled.fillna(0).astype("Int64")
        track[unplaced] = filled.reindex(track.index)[unplaced]
    return track


@dataclass
class _Span:
    """One segment of an MMSI: its time span (ns) and its first and last fix."""

    segment: int
    n: int
    t0: int
    t1: int
    first: tuple[float, float]
    last: tuple[float, float]


def _reachable(a: _Span, b: _Span, max_speed_kn: float) -> bool:
    """Whether one vessel could go from the end of ``a`` to the start of ``b`` (later)."""
    # One pair: pyproj's scalar call, the same value as distance_km's without its
    # array handling (10,000 calls on the 2M-row run).
    d = WGS84.inv(a.last[1], a.last[0], b.first[1], b.first[0])[2] / 1000.0
    hours = (b.t0 - a.t1) / 3.6e12
    return d <= CLOSE_KM or (hours > 0 and d / KM_PER_NM / hours <= max_speed_kn)


def _fits(track: list[_Span], s: _Span, max_speed_kn: float) -> bool:
    """Whether ``s`` can join ``track``: no overlap in time, and reachable from the
    segment before it and to the segment after it."""
    if any(not (s.t1 < o.t0 or s.t0 > o.t1) for o in track):
        return False
    before = [o for o in track if o.t1 < s.t0]
    after = [o for o in track if o.t0 > s.t1]
    return (not before or _reachable(max(before, key=lambda o: o.t1), s, max_speed_kn)) and (
        not after or _reachable(s, min(after, key=lambda o: o.t0), max_speed_kn)
    )


def _join_segments(items: list[_Span], min_positions: int, max_speed_kn: float) -> dict[int, int]:
    """Track of each segment of one MMSI (keyed by ``_Span.segment``; absent: fits no
    track), given its segments largest first, then earliest; see transmitter_tracks."""
    # Without one segment long enough to be a transmitter, nothing tells a second
    # transmitter from noise: the segments make one track, and the speed filter
    # judges single jumps as before.
    if items[0].n < min_positions:
        return {s.segment: 0 for s in items}
    tracks: list[list[_Span]] = []
    joined: dict[int, int] = {}
    for s in items:
        for k, track in enumerate(tracks):
            if _fits(track, s, max_speed_kn):
                track.append(s)
                joined[s.segment] = k
                break
        else:
            # Only a segment long enough stands as a transmitter of its own; a short
            # one that fits no track is noise.
            if s.n >= min_positions:
                tracks.append([s])
                joined[s.segment] = len(tracks) - 1
    # Number tracks by when each was first heard.
    starts = [min(o.t0 for o in track) for track in tracks]
    rank = {k: r for r, k in enumerate(sorted(range(len(tracks)), key=lambda k: starts[k]))}
    return {seg: rank[k] for seg, k in joined.items()}


def shared_mmsi_indicator(
    positions: pd.DataFrame,
    track: pd.Series,
    *,
    min_positions: int = MIN_TRACK_POSITIONS,
) -> pd.DataFrame:
    """Per MMSI, how many transmitters seem to share it.

    Parameters
    ----------
    positions : DataFrame
        With ``mmsi`` and ``timestamp``.
    track : Series
        From :func:`split_transmitters`, aligned with ``positions``.
    min_positions : int, default 10
        Tracks with fewer positions are ignored.

    Returns
    -------
    DataFrame with one row per MMSI: ``mmsi``, ``tracks`` (tracks of at least
    ``min_positions`` positions), ``concurrent_tracks`` (the most of them active at
    once, judged by their first and last times) and ``shared_mmsi`` (True when
    ``concurrent_tracks`` is 2 or more).
    """
    frame = pd.DataFrame(
        {"mmsi": positions["mmsi"], "timestamp": positions["timestamp"], "track": track}
    )
    frame = frame.dropna(subset=["track"])
    spans = frame.groupby(["mmsi", "track"]).agg(
        first=("timestamp", "min"), last=("timestamp", "max"), n=("timestamp", "size")
    )
    spans = spans[spans["n"] >= min_positions].reset_index()
    rows = [
        {"mmsi": mmsi, "tracks": len(g), "concurrent_tracks": _peak_overlap(g["first"], g["last"])}
        for mmsi, g in spans.groupby("mmsi", sort=True)
    ]
    out = pd.DataFrame(rows, columns=["mmsi", "tracks", "concurrent_tracks"])
    out["shared_mmsi"] = out["concurrent_tracks"] >= 2
    return out


def _peak_overlap(first: pd.Series, last: pd.Series) -> int:
    """Most of the intervals [first, last] that are open at one instant."""
    events = sorted([(t, 1) for t in first] + [(t, -1) for t in last], key=lambda e: (e[0], -e[1]))
    active = peak = 0
    for _, step in events:
        active += step
        peak = max(peak, active)
    return peak


def simultaneous_transmitters(
    positions: pd.DataFrame,
    track: pd.Series,
    *,
    min_positions: int = MIN_TRACK_POSITIONS,
) -> pd.DataFrame:
    """Per vessel-year, the most transmitters seen broadcasting the MMSI at once.

    Parameters
    ----------
    positions : DataFrame of shape (n, k)
        With ``mmsi`` and ``timestamp`` (UTC).
    track : Series of shape (n,)
        From :func:`split_transmitters`, aligned with ``positions``.
    min_positions : int, default 10
        Tracks with fewer positions over the whole input are noise, not a transmitter.

    Returns
    -------
    DataFrame with one row per ``mmsi`` and UTC ``year`` that has a qualifying track:
    ``max_simultaneous_transmitters`` (int, >= 1), the largest number of qualifying
    tracks whose spans overlap, each span running from the track's first to its last
    message *within that year* (per-message year attribution, docs/features.md).
    """
    frame = pd.DataFrame(
        {"mmsi": positions["mmsi"], "timestamp": positions["timestamp"], "track": track}
    ).dropna(subset=["track"])
    size = frame.groupby(["mmsi", "track"])["timestamp"].transform("size")
    frame = frame[size >= min_positions]
    frame = frame.assign(year=frame["timestamp"].dt.year.astype("int64"))
    spans = frame.groupby(["mmsi", "year", "track"])["timestamp"].agg(["min", "max"])
    if spans.empty:
        return pd.DataFrame(columns=["mmsi", "year", "max_simultaneous_transmitters"])
    peak = _peak_overlaps(spans)
    return pd.DataFrame(
        {
            "mmsi": peak.index.get_level_values("mmsi").tolist(),
            "year": peak.index.get_level_values("year").tolist(),
            "max_simultaneous_transmitters": peak.to_numpy().tolist(),
        },
        columns=["mmsi", "year", "max_simultaneous_transmitters"],
    )


def _peak_overlaps(spans: pd.DataFrame) -> pd.Series:
    """:func:`_peak_overlap` of every group of intervals at once.

    Parameters
    ----------
    spans : DataFrame indexed by (``mmsi``, ``year``, ``track``) with ``min`` and
        ``max`` (the first and last time of each interval).

    Returns
    -------
    Series of int64 indexed by (``mmsi``, ``year``), sorted: the most intervals of the
    group open at one instant (an interval ending when another starts overlaps it).
    """
    groups = spans.index.droplevel(2)  # type: ignore[arg-type]  # the track level
    codes, keys = pd.factorize(groups, sort=True)
    t = np.concatenate(
        [
            spans["min"].to_numpy(dtype="datetime64[ns]").astype("int64"),
            spans["max"].to_numpy(dtype="datetime64[ns]").astype("int64"),
        ]
    )
    step = np.concatenate([np.ones(len(spans), "int64"), -np.ones(len(spans), "int64")])
    group = np.concatenate([codes, codes])
    # Per group in time order, starts before ends at one instant; each group's steps sum
    # to zero, so one running sum over all groups restarts at every group.
    order = np.lexsort((-step, t, group))
    active = np.cumsum(step[order])
    peak = np.zeros(len(keys), dtype="int64")
    np.maximum.at(peak, group[order], active)
    return pd.Series(peak, index=pd.MultiIndex.from_tuples(list(keys), names=["mmsi", "year"]))
