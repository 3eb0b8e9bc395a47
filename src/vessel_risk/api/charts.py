"""Charts drawn as SVG by the dashboard's templates: distances over time, monthly figures.

:func:`time_chart` does the arithmetic (scales, ticks, where the line breaks) and
:func:`month_chart` that of a monthly bar chart (the monitoring page); the
template ``_chart.html`` writes the SVG elements, autoescaped like every page, so a
chart needs no script and no library and passes the Content-Security-Policy. A line
breaks where AIS was silent longer than :data:`BREAK_AFTER_H`: a gap is shown as a gap,
never bridged by a straight line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

BREAK_AFTER_H = 12.0
"""Hours of silence after which the line breaks (GFW's AIS-gap threshold, as the
``gaps_12_hours`` feature)."""
MAX_BUCKETS = 400
"""Time buckets a line is reduced to; each keeps its lowest and highest value, so a
spike survives the reduction (at most 2 points per bucket)."""


@dataclass(frozen=True)
class TimeChart:
    """An SVG line chart of one quantity over time, in pixel units of its ``viewBox``.

    Attributes
    ----------
    title, unit : str
        What is plotted and its unit (``"km"``).
    width, height : int
        The ``viewBox``, px; the plot area is inside :attr:`left`, :attr:`top`,
        :attr:`right`, :attr:`bottom`.
    lines : list of str
        One ``points`` attribute per unbroken stretch (``"x,y x,y ..."``).
    dots : list of tuple of float
        Lone positions (a stretch of one point), ``(x, y)``.
    y_ticks, x_ticks : list of tuple of (float, str)
        Pixel position and label of each tick.
    summary : str
        The chart in words (its text alternative).
    """

    title: str
    unit: str
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    lines: list[str]
    dots: list[tuple[float, float]]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    summary: str


def nice_step(span: float, target: int = 5) -> float:
    """A tick step of 1, 2 or 5 times a power of ten giving about ``target`` ticks.

    Parameters
    ----------
    span : float
        Range to cover (> 0 for a meaningful step; otherwise 1).
    target : int, default 5
    """
    if not span > 0 or not math.isfinite(span):
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return float(m * power)
    return float(10 * power)


def _reduce(t: npt.NDArray[np.float64], v: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Indices to keep: all if few, else the lowest and highest of each time bucket."""
    if len(t) <= 2 * MAX_BUCKETS:
        return np.arange(len(t))
    span = t[-1] - t[0] or 1.0
    bucket = np.minimum(((t - t[0]) / span * MAX_BUCKETS).astype(np.int64), MAX_BUCKETS - 1)
    frame = pd.DataFrame({"b": bucket, "v": v, "i": np.arange(len(t))})
    keep = np.union1d(
        frame.loc[frame.groupby("b")["v"].idxmin(), "i"].to_numpy(),
        frame.loc[frame.groupby("b")["v"].idxmax(), "i"].to_numpy(),
    )
    return keep.astype(np.int64)


def _time_ticks(t0: pd.Timestamp, t1: pd.Timestamp) -> list[tuple[pd.Timestamp, str]]:
    """Tick times and labels (UTC): days, months or years, whichever gives 2-8 ticks."""
    days = (t1 - t0).total_seconds() / 86400
    if days <= 10:
        ticks = pd.date_range(t0.ceil("D"), t1, freq="D")
        fmt = "%d %b"
    elif days <= 300:
        ticks = pd.date_range(t0.normalize() + pd.offsets.MonthBegin(1), t1, freq="MS")
        fmt = "%b %Y"
    else:
        ticks = pd.date_range(t0.normalize() + pd.offsets.YearBegin(1), t1, freq="YS")
        fmt = "%Y"
    step = max(1, math.ceil(len(ticks) / 8))
    return [(t, t.strftime(fmt)) for t in ticks[::step]]


def time_chart(
    times: pd.Series,
    values: npt.ArrayLike,
    *,
    title: str,
    unit: str = "km",
    width: int = 540,
    height: int = 200,
) -> TimeChart | None:
    """A line chart of ``values`` over ``times``.

    Parameters
    ----------
    times : Series of datetime64 (UTC)
        One per value, in any order (sorted here).
    values : array-like of float, shape (n,)
        NaN values are left out.
    title, unit : str
    width, height : int
        The chart's ``viewBox``, px (it scales to its container).

    Returns
    -------
    TimeChart or None
        None when no value is finite. The y axis starts at 0 (distances); a line
        breaks after :data:`BREAK_AFTER_H` hours without a position.
    """
    frame = pd.DataFrame(
        {"t": pd.to_datetime(times, utc=True).to_numpy(), "v": np.asarray(values, dtype=float)}
    )
    frame = frame[np.isfinite(frame["v"])].sort_values("t", kind="stable")
    if frame.empty:
        return None
    t = pd.DatetimeIndex(frame["t"])
    seconds = (t - t[0]).total_seconds().to_numpy(dtype=float)
    v = frame["v"].to_numpy(dtype=float)
    left, right, top, bottom = 56.0, width - 12.0, 12.0, height - 28.0
    step = nice_step(max(float(v.max()), 1e-9))
    y_max = step * max(1, math.ceil(float(v.max()) / step))
    span = seconds[-1] or 1.0

    def x_of(s: float) -> float:
        return left + (right - left) * s / span

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * value / y_max

    keep = _reduce(seconds, v)
    xs = [x_of(s) for s in seconds[keep]]
    ys = [y_of(value) for value in v[keep]]
    breaks = np.flatnonzero(np.diff(seconds[keep]) > BREAK_AFTER_H * 3600) + 1
    lines: list[str] = []
    dots: list[tuple[float, float]] = []
    for run in np.split(np.arange(len(keep)), breaks):
        if len(run) == 1:
            dots.append((round(xs[run[0]], 1), round(ys[run[0]], 1)))
        else:
            lines.append(" ".join(f"{xs[i]:.1f},{ys[i]:.1f}" for i in run))
    y_ticks = [
        (round(y_of(k * step), 1), f"{k * step:g}") for k in range(int(round(y_max / step)) + 1)
    ]
    x_ticks = [
        (round(x_of((when - t[0]).total_seconds()), 1), label)
        for when, label in _time_ticks(t[0], t[-1])
    ]
    summary = (
        f"{title} from {t[0]:%Y-%m-%d} to {t[-1]:%Y-%m-%d} (UTC), {len(v):,} positions: "
        f"median {np.median(v):,.0f} {unit}, highest {v.max():,.0f} {unit}; "
        f"{len(breaks)} break(s) where AIS was silent over {BREAK_AFTER_H:g} h."
    )
    return TimeChart(
        title=title,
        unit=unit,
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        lines=lines,
        dots=dots,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        summary=summary,
    )


@dataclass(frozen=True)
class MonthChart:
    """An SVG bar chart of one figure by calendar month, in pixel units of its ``viewBox``.

    Attributes
    ----------
    title, unit : str
    width, height, left, top, right, bottom : float
        As :class:`TimeChart`.
    bars : list of tuple
        ``(x, y, width, height, month label, value label)`` per month with a value.
    y_ticks, x_ticks : list of tuple of (float, str)
    summary : str
        The chart in words (its text alternative).
    """

    title: str
    unit: str
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    bars: list[tuple[float, float, float, float, str, str]]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    summary: str


def month_chart(
    months: list[Any],
    values: list[float | None],
    *,
    title: str,
    unit: str,
    width: int = 540,
    height: int = 180,
) -> MonthChart | None:
    """A bar chart of a monthly figure (the monitoring dashboard).

    Parameters
    ----------
    months : list of date
        First days of the months, in order (one bar slot each).
    values : list of float or None
        One per month; None (no value: a median of nothing) leaves the slot empty.
    title, unit : str
    width, height : int
        The ``viewBox``, px.

    Returns
    -------
    MonthChart or None
        None when no month has a value. The y axis starts at 0.
    """
    known = [v for v in values if v is not None and math.isfinite(v)]
    if not months or not known:
        return None
    left, right, top, bottom = 44.0, width - 8.0, 10.0, height - 24.0
    step = nice_step(max(max(known), 1e-9), 4)
    y_max = step * max(1, math.ceil(max(known) / step))
    slot = (right - left) / len(months)

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * value / y_max

    bars = []
    for i, (m, v) in enumerate(zip(months, values, strict=True)):
        if v is None or not math.isfinite(v):
            continue
        x = left + i * slot + slot * 0.15
        y = y_of(v)
        bars.append(
            (round(x, 1), round(y, 1), round(slot * 0.7, 1), round(bottom - y, 1),
             f"{m:%b %Y}", f"{v:g}")
        )  # fmt: skip
    every = max(1, math.ceil(len(months) / 6))
    x_ticks = [
        (round(left + (i + 0.5) * slot, 1), f"{m:%b %Y}")
        for i, m in enumerate(months)
        if i % every == 0
    ]
    y_ticks = [
        (round(y_of(k * step), 1), f"{k * step:g}") for k in range(int(round(y_max / step)) + 1)
    ]
    peak = max(known)
    summary = (
        f"{title} by month from {months[0]:%b %Y} to {months[-1]:%b %Y}: "
        f"{sum(v > 0 for v in known)} month(s) above 0, highest {peak:g} {unit}"
        + (f", total {sum(known):g} {unit}." if unit != "days" else ".")
    )
    return MonthChart(
        title=title,
        unit=unit,
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        bars=bars,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        summary=summary,
    )
