"""How much data a vessel-year rests on, and which features it leaves unknown.

Missing is missing (issue 14): a feature the data cannot tell stays null, never 0, so a
vessel seen three times never reads like one that never visits port.

* :func:`thin_coverage`: fewer than :data:`MIN_POSITIONS` messages or fewer than
  :data:`MIN_DAYS_OBSERVED` days, the same limits that give the tier
  ``"insufficient data"`` (``vessel_risk.model.indicators``, which must keep the same
  values: ``tests/features/test_coverage.py`` checks it).
* :func:`mark_unknown`: on thin vessel-years, the voyage features
  (:data:`UNKNOWN_WHEN_THIN`) are null, and the event counts and fishing hours
  (:data:`UNKNOWN_WHEN_THIN_AND_ZERO`) are null where none was seen. An observed
  event is a fact whatever the coverage (a lower bound of the year's count).
* :func:`with_observed_share`: ``observed_share``, the days observed over the days of
  the year inside the data's time window (0..1).

``docs/features.md`` ("Missing as missing") gives the rule for every feature.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

MIN_DAYS_OBSERVED = 10
"""Fewer days observed make a vessel-year thin (as ``indicators.MIN_DAYS_OBSERVED``)."""
MIN_POSITIONS = 50
"""Fewer messages make a vessel-year thin (as ``indicators.MIN_POSITIONS``)."""

UNKNOWN_WHEN_THIN = (
    "number_voyages",
    "average_voyage_duration_hours",
    "max_voyage_duration_hours",
)
"""Null on a thin vessel-year whatever their value: a track never seen in port is one
voyage from its first to its last message, so a few messages make a "voyage" of a few
hours that says nothing about how long the crew stay at sea."""

UNKNOWN_WHEN_THIN_AND_ZERO = (
    "number_port_visits",
    "number_foreign_port_visits",
    "number_poc_port_visits",
    "gaps_12_hours",
    "gaps_12_hours_all",
    "gaps_12_hours_offshore",
    "number_encounters",
    "number_carrier_encounters",
    "number_loitering_events",
    "fishing_hours",
    "fishing_hours_high_seas",
    "fishing_hours_foreign_eez",
    "average_daily_fishing_hours",
)
"""Null on a thin vessel-year where none was seen (0): too few messages cannot tell no
event from an event not seen. Where some were seen, the value stays (a lower bound)."""

AVERAGE_OVER = {
    "average_encounter_duration_hours": "number_encounters",
    "average_loitering_duration_hours": "number_loitering_events",
    "average_gap_days": "gaps_12_hours_all",
    "average_gap_km": "gaps_12_hours_all",
    "average_off_distance_from_shore_km": "gaps_12_hours_all",
}
"""Averages over events and the count of those events. Where the count is known to be 0
the average is 0, GFW's convention in its vessel-year table (458 of its 729 vessel-years
have no encounter and ``average_encounter_duration_hours`` 0), so a model trained there
reads the pipeline's rows the same way; where the count is unknown, so is the average."""

DAY = pd.Timedelta(days=1)


def thin_coverage(
    position_messages: npt.ArrayLike, days_observed: npt.ArrayLike
) -> npt.NDArray[np.bool_]:
    """Whether each vessel-year is too thin to tell an absent event from an unseen one.

    Parameters
    ----------
    position_messages, days_observed : array-like of shape (n,)
        Counts per vessel-year.

    Returns
    -------
    ndarray of bool, shape (n,)
        True below :data:`MIN_POSITIONS` messages or :data:`MIN_DAYS_OBSERVED` days.
        An unknown count of messages is thin; unknown days (GFW's labelled table has
        none) are judged on the messages alone, as
        ``vessel_risk.model.indicators.thin_data`` does.
    """
    messages = np.asarray(position_messages, dtype="float64")
    days = np.asarray(days_observed, dtype="float64")
    return np.isnan(messages) | (messages < MIN_POSITIONS) | (days < MIN_DAYS_OBSERVED)


def mark_unknown(features: pd.DataFrame, *, thin_as_unknown: bool = True) -> pd.DataFrame:
    """``features`` with what thin vessel-years cannot tell set to null.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        Vessel-year features with ``position_messages`` and ``days_observed``; columns
        of :data:`UNKNOWN_WHEN_THIN`, :data:`UNKNOWN_WHEN_THIN_AND_ZERO` and
        :data:`AVERAGE_OVER` that are absent are skipped. Averages over no event are 0
        where the count is known (:data:`AVERAGE_OVER`), null where it is not.
    thin_as_unknown : bool, default True
        False nulls nothing (the columns still turn float64): GFW's convention of 0
        where nothing was seen, for comparisons with GFW's table only.

    Returns
    -------
    DataFrame of shape (n, k)
        A copy; the columns touched are float64 (null as NaN).
    """
    out = features.copy()
    thin = thin_coverage(out["position_messages"], out["days_observed"])
    if not thin_as_unknown:
        thin[:] = False
    for col in UNKNOWN_WHEN_THIN:
        if col in out.columns:
            out[col] = out[col].astype("float64").where(~thin)
    for col in UNKNOWN_WHEN_THIN_AND_ZERO:
        if col in out.columns:
            values = out[col].astype("float64")
            out[col] = values.where(~(thin & (values == 0).to_numpy()))
    for col, count in AVERAGE_OVER.items():
        if col in out.columns and count in out.columns:
            n = out[count].astype("float64")
            average = out[col].astype("float64").mask(n.eq(0), 0.0)
            out[col] = average.where(n.notna())
    return out


def days_in_window(
    year: npt.ArrayLike, start: pd.Timestamp, end: pd.Timestamp
) -> npt.NDArray[np.int64]:
    """UTC dates of each ``year`` that fall inside the window from ``start`` to ``end``.

    Parameters
    ----------
    year : array-like of int, shape (n,)
    start, end : Timestamp (timezone-aware)
        The data's first and last time; both dates count in full.

    Returns
    -------
    ndarray of int64, shape (n,)
        0 for a year outside the window, at most 365 or 366.
    """
    years = np.asarray(year, dtype="int64")
    first_day = start.tz_convert("UTC").floor("D").tz_localize(None)
    last_day = end.tz_convert("UTC").floor("D").tz_localize(None)
    jan1 = pd.to_datetime(pd.Series(years).astype(str) + "-01-01")
    dec31 = pd.to_datetime(pd.Series(years).astype(str) + "-12-31")
    lo = jan1.where(jan1 > first_day, first_day)
    hi = dec31.where(dec31 < last_day, last_day)
    days = (hi - lo) // DAY + 1
    return np.asarray(np.clip(days.to_numpy(dtype="int64"), 0, None), dtype=np.int64)


def with_observed_share(
    features: pd.DataFrame, window: tuple[pd.Timestamp, pd.Timestamp] | None = None
) -> pd.DataFrame:
    """``features`` with ``observed_share`` set: days observed over the days of the year
    inside the data's time window.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        With ``year``, ``days_observed``, ``first_timestamp``, ``last_timestamp``.
    window : (Timestamp, Timestamp), optional
        The data's first and last time (UTC); default: the first ``first_timestamp``
        and the last ``last_timestamp`` of ``features``, which is the window of the
        run's cleaned positions when ``features`` holds all of the run's vessel-years.

    Returns
    -------
    DataFrame of shape (n, k)
        A copy, ``observed_share`` in [0, 1] replaced or added at the end. A vessel-year
        with 1 day in a one-day window reads 1.0: a short window is a short window,
        which ``days_observed`` still tells.
    """
    out = features.copy()
    if len(out) == 0:
        out["observed_share"] = pd.Series(dtype="float64")
        return out
    if window is None:
        window = (out["first_timestamp"].min(), out["last_timestamp"].max())
    days = days_in_window(out["year"], *window)
    observed = out["days_observed"].to_numpy(dtype="float64")
    share = np.divide(observed, days, out=np.full(len(out), np.nan), where=days > 0)
    out["observed_share"] = np.clip(share, 0.0, 1.0)
    return out
