"""Monitoring of the referral mechanism for a coordinating body: the figures, pure.

The seed report asks a coordinating body to monitor the mechanism with standard
indicators (§5.6) and to exchange them between states (§5.5). This module computes every
figure of :data:`~vessel_risk.referral.monitoring_figures.FIGURES` from plain frames
(:class:`MonitoringFrames`) into **one long tidy frame** (columns
:data:`~vessel_risk.referral.monitoring_figures.COLUMNS`): for each figure, each month of
the window and the whole window (``period`` null), a total row (every dimension null)
and one-way breakdowns by state, port, flag and, for figures about persons, nationality,
gender and age group. No row names a person: cells are counts or medians, with how many
distinct persons each rests on (``persons``), so that an exchange can suppress small
cells (k-anonymity). The database side is :mod:`vessel_risk.referral.monitoring_load`.

Months are calendar months in UTC; a figure's month is the month of its defining event
(an alert's creation, an inspection, a person's screening, a reflection period's start,
a follow-up's due date, a transfer's request), so that every figure about a cohort sits
in one month ("of the alerts raised in March, how many were referred").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pandas as pd

from vessel_risk.referral.follow_ups import FOLLOW_UP_MONTHS
from vessel_risk.referral.monitoring_figures import (
    AGE_GROUPS,
    COLUMNS,
    DIMENSIONS,
    FIGURES,
    SECTIONS,
    UNKNOWN,
    VESSEL_DIMENSIONS,
    Figure,
    age_group,
)
from vessel_risk.referral.standards import IACAT_INDICATORS

__all__ = [
    "AGE_GROUPS",
    "COLUMNS",
    "DIMENSIONS",
    "FIGURES",
    "FRAME_COLUMNS",
    "SECTIONS",
    "UNKNOWN",
    "VESSEL_DIMENSIONS",
    "Figure",
    "MonitoringFrames",
    "age_group",
    "compute_figures",
    "month_start",
]

FRAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "alerts": ("alert_id", "raised_at", "state", "port", "flag"),
    "alert_statuses": ("alert_id", "at", "status"),
    "inspections": ("inspection_id", "alert_id", "inspected_at", "outcome", "state", "port"),
    "cases": (
        "case_id",
        "screened_at",
        "presumed_victim",
        "child",
        "inspection_id",
        "alert_id",
        "reflection_started_at",
        "reflection_ends_at",
        "assistance_started_at",
        "state",
        "nationality",
        "gender",
        "age_group",
    ),
    "transitions": ("case_id", "to_state", "at"),
    "follow_ups": ("case_id", "months", "due_at", "done_at", "indicators"),
    "transfers": ("case_id", "purpose", "status", "requested_at"),
}
"""The columns each input frame of :class:`MonitoringFrames` needs (more are ignored)."""


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FRAME_COLUMNS[name]})


@dataclass(frozen=True)
class MonitoringFrames:
    """The mechanism's records as plain frames, one row per record.

    Times are UTC (aware or naive read as UTC). Dimension values missing are None or
    ``"unknown"`` alike.

    Attributes
    ----------
    alerts : DataFrame
        ``alert_id``, ``raised_at`` (creation), ``state`` (ISO3 of the last port),
        ``port`` (its label), ``flag`` (declared flag ISO3).
    alert_statuses : DataFrame
        The status history: ``alert_id``, ``at``, ``status`` (the status moved to).
    inspections : DataFrame
        ``inspection_id``, ``alert_id`` (or None), ``inspected_at``, ``outcome``
        (``confirmed``, ``none_found``, ``not_boarded``), ``state`` (port ISO3),
        ``port`` (port label). The flag is the alert's.
    cases : DataFrame
        One row per person: ``case_id``, ``screened_at`` (the case's opening),
        ``presumed_victim``, ``child``, ``inspection_id``, ``alert_id``,
        ``reflection_started_at``, ``reflection_ends_at``, ``assistance_started_at``,
        ``state`` (ISO3 where the person is), and as recorded at screening
        ``nationality`` (ISO3), ``gender`` (as stated), ``age_group``
        (:func:`~vessel_risk.referral.monitoring_figures.age_group`). Port and flag are
        the inspection's and the alert's.
    transitions : DataFrame
        ``case_id``, ``to_state``, ``at``.
    follow_ups : DataFrame
        ``case_id``, ``months`` (3, 6, 12), ``due_at``, ``done_at`` (or None),
        ``indicators`` (IACAT key -> status, or None).
    transfers : DataFrame
        ``case_id``, ``purpose``, ``status``, ``requested_at``.
    """

    alerts: pd.DataFrame = field(default_factory=lambda: _empty("alerts"))
    alert_statuses: pd.DataFrame = field(default_factory=lambda: _empty("alert_statuses"))
    inspections: pd.DataFrame = field(default_factory=lambda: _empty("inspections"))
    cases: pd.DataFrame = field(default_factory=lambda: _empty("cases"))
    transitions: pd.DataFrame = field(default_factory=lambda: _empty("transitions"))
    follow_ups: pd.DataFrame = field(default_factory=lambda: _empty("follow_ups"))
    transfers: pd.DataFrame = field(default_factory=lambda: _empty("transfers"))

    def __post_init__(self) -> None:
        for name, cols in FRAME_COLUMNS.items():
            missing = [c for c in cols if c not in getattr(self, name).columns]
            if missing:
                raise ValueError(
                    f"The '{name}' frame of MonitoringFrames must have columns {list(cols)}. "
                    f"Missing {missing}."
                )


def _utc(values: pd.Series) -> pd.Series:
    out = pd.to_datetime(values, utc=True, errors="coerce")
    return out if isinstance(out, pd.Series) else pd.Series(out, index=values.index)


def _as_utc(t: datetime | date) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    return ts.tz_localize(UTC) if ts.tzinfo is None else ts.tz_convert(UTC)


def month_start(t: datetime | date | pd.Timestamp) -> date:
    """The first day of ``t``'s calendar month in UTC (naive read as UTC)."""
    ts = _as_utc(t)
    return date(ts.year, ts.month, 1)


def _month_key(t: pd.Series) -> pd.Series:
    """Each time's calendar month as one integer (year * 12 + month - 1), for grouping."""
    return (t.dt.year * 12 + t.dt.month - 1).astype("int64")


def _month_of_key(key: int) -> date:
    return date(key // 12, key % 12 + 1, 1)


def _dim(values: pd.Series) -> pd.Series:
    return values.map(lambda v: UNKNOWN if v is None or pd.isna(v) or str(v) == "" else str(v))


def _events(
    frame: pd.DataFrame,
    when: pd.Series,
    dims: Mapping[str, pd.Series],
    *,
    person: pd.Series | None = None,
    value: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per counted event: ``at``, the dimensions, ``person`` and ``value``."""
    out = pd.DataFrame({"at": _utc(when)}, index=frame.index)
    for d, s in dims.items():
        out[d] = _dim(s)
    out["person"] = person if person is not None else None
    out["value"] = value if value is not None else 1.0
    return out


def _in_window(ev: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    ok = ev["at"].notna() & (ev["at"] >= start) & (ev["at"] < end)
    out = ev.loc[ok].copy()
    out["period"] = _month_key(out["at"])
    return out


def _grouped(ev: pd.DataFrame, keys: list[str], median: bool) -> pd.DataFrame:
    """``ev`` (events of many figures) grouped by ``keys``: ``value`` (the count, or the
    median of ``value``) and ``persons`` (distinct persons) per group; a group whose key
    is missing (a dimension the figure does not apply to) is left out."""
    grouped = ev.groupby(keys, sort=False, dropna=True)
    value = grouped["value"].median().round(2) if median else grouped.size().astype(float)
    out = value.rename("value").to_frame()
    out["persons"] = grouped["person"].nunique()
    return out.reset_index()


def _cells(
    ev: pd.DataFrame,
    counted: list[str],
    months: list[int],
    dims: list[str],
    median: bool,
) -> list[pd.DataFrame]:
    """The rows of the figures whose events are ``ev``: totals and one-way breakdowns by
    ``dims``, per month and over the window; ``counted`` (the count figures) get a total
    for the window and every month, 0 where nothing happened."""
    parts: list[pd.DataFrame] = []
    for by_month in (False, True):
        for d in [None, *dims]:
            keys = ["figure"] + (["period"] if by_month else []) + ([d] if d else [])
            agg = _grouped(ev, keys, median)
            if d is None and counted:
                full = (
                    pd.MultiIndex.from_product([counted, months], names=["figure", "period"])
                    if by_month
                    else pd.Index(counted, name="figure")
                )
                agg = (
                    agg.set_index(keys)
                    .reindex(full)
                    .fillna({"value": 0.0, "persons": 0})
                    .reset_index()
                )
            parts.append(agg)
    return parts


def _flag_of(alert_ids: pd.Series, alerts: pd.DataFrame) -> pd.Series:
    flags = dict(zip(alerts["alert_id"], alerts["flag"], strict=False))
    return alert_ids.map(lambda a: None if a is None or pd.isna(a) else flags.get(a))


def _alert_events(f: MonitoringFrames) -> dict[str, pd.DataFrame]:
    a = f.alerts
    dims = {"state": a["state"], "port": a["port"], "flag": a["flag"]}
    history = f.alert_statuses.groupby("alert_id")["status"].agg(list).to_dict()
    latest = (
        f.alert_statuses.assign(_at=_utc(f.alert_statuses["at"]))
        .sort_values("_at", kind="stable")
        .groupby("alert_id")["status"]
        .last()
        .to_dict()
    )
    seen = a["alert_id"].map(lambda i: set(history.get(i, [])))
    reviewed = seen.map(lambda s: bool(s & {"under_review", "referred", "dismissed"}))
    referred = seen.map(lambda s: "referred" in s)
    dismissed = a["alert_id"].map(lambda i: latest.get(i) == "dismissed")
    base = _events(a, a["raised_at"], dims)
    return {
        "alerts_raised": base,
        "alerts_reviewed": base[reviewed.to_numpy(dtype=bool)],
        "alerts_referred": base[referred.to_numpy(dtype=bool)],
        "alerts_dismissed": base[dismissed.to_numpy(dtype=bool)],
    }


def _inspection_events(f: MonitoringFrames) -> dict[str, pd.DataFrame]:
    i = f.inspections
    dims = {"state": i["state"], "port": i["port"], "flag": _flag_of(i["alert_id"], f.alerts)}
    base = _events(i, i["inspected_at"], dims)
    boarded = i["outcome"].isin(["confirmed", "none_found"]).to_numpy(dtype=bool)
    raised = dict(zip(f.alerts["alert_id"], _utc(f.alerts["raised_at"]), strict=False))
    at = _utc(i["inspected_at"])
    first = (
        pd.DataFrame({"alert_id": i["alert_id"], "at": at})[boarded]
        .dropna(subset=["alert_id"])
        .sort_values("at", kind="stable")
        .drop_duplicates("alert_id")
    )
    days = (_utc(first["at"]) - _utc(first["alert_id"].map(raised))).dt.total_seconds() / 86400.0
    timely = base.loc[first.index].assign(value=days).dropna(subset=["value"])
    return {
        "inspections_recorded": base,
        "boardings": base[boarded],
        "boardings_confirmed": base[(i["outcome"] == "confirmed").to_numpy(dtype=bool)],
        "boardings_none_found": base[(i["outcome"] == "none_found").to_numpy(dtype=bool)],
        "not_boarded": base[(i["outcome"] == "not_boarded").to_numpy(dtype=bool)],
        "days_alert_to_boarding": timely,
    }


def _case_dims(f: MonitoringFrames, case_ids: pd.Series) -> dict[str, pd.Series]:
    """The six dimensions of each case in ``case_ids`` (index kept)."""
    c = f.cases.set_index("case_id")
    insp = f.inspections.set_index("inspection_id")
    insp_of = case_ids.map(c["inspection_id"])
    port = insp_of.map(lambda x: None if x is None or pd.isna(x) else insp["port"].get(x))
    insp_alert = insp_of.map(lambda x: None if x is None or pd.isna(x) else insp["alert_id"].get(x))
    alert = case_ids.map(c["alert_id"]).where(lambda s: s.notna(), insp_alert)
    return {
        "state": case_ids.map(c["state"]),
        "port": port,
        "flag": _flag_of(alert, f.alerts),
        "nationality": case_ids.map(c["nationality"]),
        "gender": case_ids.map(c["gender"]).map(
            lambda g: g.strip().lower() if isinstance(g, str) else g
        ),
        "age_group": case_ids.map(c["age_group"]),
    }


def _moved(f: MonitoringFrames, to_states: Iterable[str], asof: pd.Timestamp) -> pd.DataFrame:
    t = f.transitions.assign(at=_utc(f.transitions["at"]))
    t = t[t["to_state"].isin(list(to_states)) & (t["at"] <= asof)]
    return t.sort_values("at", kind="stable")


def _case_events(f: MonitoringFrames, asof: pd.Timestamp) -> dict[str, pd.DataFrame]:
    c = f.cases
    ids = c["case_id"]
    dims = _case_dims(f, ids)
    base = _events(c, c["screened_at"], dims, person=ids)
    identified = set(_moved(f, ["identified"], asof)["case_id"])
    presumed = set(_moved(f, ["presumed_victim"], asof)["case_id"])
    out = {
        "persons_screened": base,
        "persons_presumed": base[(c["presumed_victim"].astype(bool) | ids.isin(presumed)).values],
        "persons_identified": base[ids.isin(identified).to_numpy(dtype=bool)],
        "persons_children": base[c["child"].astype(bool).to_numpy(dtype=bool)],
    }
    insp_at = dict(
        zip(f.inspections["inspection_id"], _utc(f.inspections["inspected_at"]), strict=False)
    )
    screened = _utc(c["screened_at"])
    boarded = c["inspection_id"].map(insp_at)
    out["days_boarding_to_screening"] = base.assign(
        value=(screened - _utc(boarded)).dt.total_seconds() / 86400.0
    ).dropna(subset=["value"])
    assisted = _utc(c["assistance_started_at"])
    assisted = assisted.where(assisted <= asof, pd.NaT)
    out["days_screening_to_assistance"] = base.assign(
        value=(assisted - screened).dt.total_seconds() / 86400.0
    ).dropna(subset=["value"])
    # Reflection periods: month of their start.
    ends = _utc(c["reflection_ends_at"])
    refl = _events(c, c["reflection_started_at"], dims, person=ids)
    started = refl["at"].notna().to_numpy(dtype=bool)
    ended = started & (ends <= asof).to_numpy(dtype=bool)
    breaks = _moved(f, ["not_identified", "return", "closed"], asof)[["case_id", "at"]]
    tr = f.transfers.assign(at=_utc(f.transfers["requested_at"]))
    tr = tr[(tr["purpose"] == "repatriation") & (tr["at"] <= asof)][["case_id", "at"]]
    first_break = pd.concat([breaks, tr]).groupby("case_id")["at"].min()
    firsts = first_break.to_dict()
    broken = (_utc(ids.map(lambda i: firsts.get(i))) < ends).to_numpy(dtype=bool)
    out["reflection_granted"] = refl[started]
    out["reflection_ended"] = refl[ended]
    out["reflection_respected"] = refl[ended & ~broken]
    return out


def _follow_up_events(f: MonitoringFrames, asof: pd.Timestamp) -> dict[str, pd.DataFrame]:
    fu = f.follow_ups.reset_index(drop=True)
    dims = _case_dims(f, fu["case_id"])
    due = _utc(fu["due_at"])
    done_at = _utc(fu["done_at"])
    ev = _events(fu, due, dims, person=fu["case_id"])
    is_due = (due <= asof).to_numpy(dtype=bool)
    done = (done_at.notna() & (done_at <= asof)).to_numpy(dtype=bool)
    out: dict[str, pd.DataFrame] = {}
    for m in FOLLOW_UP_MONTHS:
        mine = (fu["months"].astype(int) == m).to_numpy(dtype=bool)
        out[f"followups_due_{m}m"] = ev[mine & is_due]
        out[f"followups_done_{m}m"] = ev[mine & is_due & done]
        out[f"followups_overdue_{m}m"] = ev[mine & is_due & ~done]
    statuses = fu["indicators"].map(lambda d: d if isinstance(d, Mapping) else {})
    for key in IACAT_INDICATORS:
        status = statuses.map(lambda d, k=key: d.get(k))
        assessed = status.isin(["not_started", "in_progress", "achieved"]).to_numpy(dtype=bool)
        achieved = (status == "achieved").to_numpy(dtype=bool)
        out[f"iacat_{key}_assessed"] = ev[done & assessed]
        out[f"iacat_{key}_achieved"] = ev[done & achieved]
    return out


def _transfer_events(f: MonitoringFrames) -> dict[str, pd.DataFrame]:
    t = f.transfers.reset_index(drop=True)
    ev = _events(t, t["requested_at"], _case_dims(f, t["case_id"]), person=t["case_id"])
    completed = (t["status"] == "completed").to_numpy(dtype=bool)
    repat = (t["purpose"] == "repatriation").to_numpy(dtype=bool)
    return {
        "transfers_requested": ev,
        "transfers_completed": ev[completed],
        "repatriations_requested": ev[repat],
        "repatriations_completed": ev[repat & completed],
    }


def _window_months(start: pd.Timestamp, end: pd.Timestamp) -> list[date]:
    out = []
    m = month_start(start)
    while _as_utc(m) < end:
        out.append(m)
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return out


def compute_figures(
    frames: MonitoringFrames,
    start: datetime | date,
    end: datetime | date,
    *,
    asof: datetime | None = None,
    where: Mapping[str, str] | None = None,
    figures: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Every monitoring figure over ``[start, end)``, as one long tidy frame.

    Parameters
    ----------
    frames : MonitoringFrames
    start, end : datetime or date
        The window, UTC (naive read as UTC), end excluded. A figure counts the events
        of its definition (:data:`FIGURES`) whose time falls in the window.
    asof : datetime, optional
        When statuses are read (a follow-up is due, done or overdue; a reflection period
        ended; a person identified): default ``end``.
    where : mapping, optional
        Dimension -> value: keep only events with that value (e.g. ``{"state": "THA"}``);
        the rows then carry the value in that column and are not broken down by it.
        Vessel-level figures are left out when ``where`` names nationality, gender or age
        group (they carry none).
    figures : iterable of str, optional
        Ids of :data:`FIGURES` to compute (default all).

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`. Per figure: for the whole window (``period`` null) and
        each month of the window, a total row (every dimension null) and one row per
        value of each dimension the figure applies to (one-way breakdowns; ``"unknown"``
        where not recorded). Count figures have a total row for every month (0 where
        nothing happened); medians only where there is something to take the median of.
        ``persons`` is the number of distinct persons in the cell (0 for vessel-level
        figures).

    Raises
    ------
    ValueError
        An unknown dimension in ``where`` or an unknown figure id, or ``end`` not after
        ``start``.
    """
    lo, hi = _as_utc(start), _as_utc(end)
    if hi <= lo:
        raise ValueError(f"The 'end' parameter must be after 'start'. Got {start} to {end}.")
    cut = _as_utc(asof) if asof is not None else hi
    where = {k: v for k, v in (where or {}).items() if v is not None and v != ""}
    bad = sorted(set(where) - set(DIMENSIONS))
    if bad:
        raise ValueError(f"The 'where' parameter must name dimensions of {DIMENSIONS}. Got {bad}.")
    wanted = list(FIGURES) if figures is None else list(figures)
    unknown = sorted(set(wanted) - set(FIGURES))
    if unknown:
        raise ValueError(f"Unknown figures {unknown}; known: see FIGURES.")
    events: dict[str, pd.DataFrame] = {}
    events.update(_alert_events(frames))
    events.update(_inspection_events(frames))
    events.update(_case_events(frames, cut))
    events.update(_follow_up_events(frames, cut))
    events.update(_transfer_events(frames))
    months = [m.year * 12 + m.month - 1 for m in _window_months(lo, hi)]
    chosen = []
    for fid in wanted:
        fig = FIGURES[fid]
        dims = DIMENSIONS if fig.level == "person" else VESSEL_DIMENSIONS
        if set(where) - set(dims):
            continue
        ev = _in_window(events[fid], lo, hi)
        for d, v in where.items():
            ev = ev[ev[d] == str(v)]
        chosen.append(fig)
        cols = ["period", "person", "value", *dims]
        ev = ev[cols].assign(figure=fid)
        if fig.level == "vessel":
            ev["person"] = None
        events[fid] = ev
    free = [d for d in DIMENSIONS if d not in where]
    parts: list[pd.DataFrame] = []
    for median in (False, True):
        figs = [f for f in chosen if (f.statistic == "median") == median]
        if not figs:
            continue
        ev = pd.concat([events[f.id] for f in figs], ignore_index=True)
        ev = ev.reindex(columns=["figure", "period", "person", "value", *DIMENSIONS])
        for d in DIMENSIONS:
            ev[d] = ev[d].astype(object)
        if median:
            ev["value"] = pd.to_numeric(ev["value"], errors="coerce")
            ev = ev.dropna(subset=["value"])
        counted = [] if median else [f.id for f in figs]
        parts += _cells(ev, counted, months, free, median)
    parts = [p for p in parts if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(COLUMNS))
    for d, v in where.items():
        out[d] = str(v)
    rank = {fid: i for i, fid in enumerate(FIGURES)}
    out = out.reindex(columns=list(COLUMNS)).astype(object)
    out = out.where(out.notna(), None)
    out["_rank"] = out["figure"].map(rank)
    out = out.sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)
    out["period"] = out["period"].map(lambda k: None if k is None else _month_of_key(int(k)))
    out["value"] = out["value"].astype(float)
    out["persons"] = out["persons"].astype("int64")
    return out
