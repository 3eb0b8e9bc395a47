"""Monitoring of the referral mechanism for its coordinating body (issue 18 part 1).

``GET /monitoring`` answers the figures of
:data:`~vessel_risk.referral.monitoring_figures.FIGURES` as JSON (the long tidy frame's
rows), ``GET /monitoring.csv`` the same as CSV, ``GET /monitoring/definitions`` the
registry. The dashboard's ``/ui/monitoring`` shows them in tables and monthly charts,
every figure linked to its definition on ``/ui/monitoring/definitions``.

Only aggregates leave: counts and medians with the number of persons each rests on, never
a person, case, alert or vessel. Permission ``monitoring.read`` (role ``coordinator``,
and the admin). A coordinator scoped to countries sees those states only (its one state
by default; with several it names one), scoped to ports those ports only. Every read is
audited (``monitoring.read``), and so is each person's intake read to break figures
down by nationality, gender and age group
(:func:`~vessel_risk.referral.monitoring_load.monitoring_frames`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from vessel_risk.alerts.export import neutralise_formulas
from vessel_risk.api.access import Principal
from vessel_risk.api.charts import month_chart
from vessel_risk.api.deps import SessionDep, SettingsDep, authorize
from vessel_risk.api.problems import problem_responses
from vessel_risk.db.tables import audit, utcnow
from vessel_risk.referral.disclosure import protect
from vessel_risk.referral.monitoring import (
    AGE_GROUPS,
    COLUMNS,
    DIMENSIONS,
    FIGURES,
    SECTIONS,
    VESSEL_DIMENSIONS,
)
from vessel_risk.referral.monitoring_load import monitoring_figures

router = APIRouter(tags=["monitoring"], responses=problem_responses(401, 403, 422, 429))
ui_router = APIRouter(prefix="/ui/monitoring", include_in_schema=False)

Coordinator = Annotated[Principal, Depends(authorize("monitoring.read"))]
UiCoordinator = Annotated[Principal, Depends(authorize("monitoring.read", ui=True))]

MAX_WINDOW_DAYS = 3660
"""The longest window a request may ask for (about ten years)."""
DEFAULT_MONTHS = 12
"""The default window: the last 12 calendar months, this one included."""

CHARTED = (
    "alerts_raised",
    "alerts_referred",
    "boardings",
    "days_alert_to_boarding",
    "persons_screened",
    "persons_presumed",
    "persons_identified",
    "days_boarding_to_screening",
    "days_screening_to_assistance",
    "reflection_granted",
    "followups_overdue_3m",
    "followups_overdue_6m",
    "followups_overdue_12m",
    "transfers_requested",
)
"""The figures the dashboard plots by month."""

_Code = Annotated[str | None, Query(min_length=1, max_length=128)]


@dataclass(frozen=True)
class Window:
    """What a monitoring request asks: the window (``to`` included) and the filters."""

    start: date
    to: date
    where: dict[str, str]

    @property
    def end(self) -> date:
        """The day after ``to`` (the window's excluded end)."""
        return self.to + timedelta(days=1)


def _window(
    who: Principal,
    start: date | None,
    to: date | None,
    filters: dict[str, str | None],
) -> Window:
    today = utcnow().date()
    to = to or today
    if to >= date.max:  # the window's end is the day after 'to'
        raise HTTPException(422, f"'to' must be before {date.max}.")
    if start is None:
        m = to.month - (DEFAULT_MONTHS - 1)
        if to.year + (m - 1) // 12 < date.min.year:
            raise HTTPException(422, f"'to' ({to}) is too early for the default window.")
        start = date(to.year + (m - 1) // 12, (m - 1) % 12 + 1, 1)
    if start > to:
        raise HTTPException(422, f"'from' ({start}) must not be after 'to' ({to}).")
    if (to - start).days > MAX_WINDOW_DAYS:
        raise HTTPException(422, f"The window is at most {MAX_WINDOW_DAYS} days.")
    where = {k: v.strip() for k, v in filters.items() if v is not None and v.strip()}
    for key in ("state", "nationality", "flag"):
        if key in where:
            where[key] = where[key].upper()
    if "port" in where:
        where["port"] = where["port"].upper()
    if "gender" in where:
        where["gender"] = where["gender"].lower()
    if not who.is_admin:
        for key, scope in (("state", who.countries), ("port", who.ports)):
            if not scope:
                continue
            if key not in where and len(scope) == 1:
                where[key] = next(iter(scope))
            if where.get(key) not in scope:
                raise HTTPException(
                    403,
                    f"This client sees the figures of its {key}s only "
                    f"({', '.join(sorted(scope))}): name one with '{key}'.",
                )
    return Window(start, to, where)


def window_params(
    who: Coordinator,
    start: Annotated[date | None, Query(alias="from", description="First day (UTC).")] = None,
    to: Annotated[date | None, Query(description="Last day, included (UTC).")] = None,
    state: _Code = None,
    port: _Code = None,
    flag: _Code = None,
    nationality: _Code = None,
    gender: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    age_group: Annotated[Literal[AGE_GROUPS] | None, Query()] = None,  # type: ignore[valid-type]
) -> Window:
    """The window and filters of an API request, checked against the caller's scope."""
    filters = {"state": state, "port": port, "flag": flag, "nationality": nationality}
    return _window(who, start, to, {**filters, "gender": gender, "age_group": age_group})


WindowDep = Annotated[Window, Depends(window_params)]


class MonitoringCell(BaseModel):
    """One row of the long tidy frame: a figure's value in one month (or the whole
    window, ``period`` null) and one breakdown (or none: every dimension null)."""

    figure: str
    period: date | None
    state: str | None
    port: str | None
    flag: str | None
    nationality: str | None
    gender: str | None
    age_group: str | None
    value: float | None = Field(description="Null where suppressed.")
    persons: int | None = Field(
        description="Distinct persons the cell rests on (0: vessel-level); null where suppressed."
    )
    suppressed: bool = Field(
        description="Rests on 1 to k-1 persons, or would let one be recovered from the others "
        "(disclosure control: vessel_risk.referral.disclosure; k is VESSEL_RISK_MONITORING_K)."
    )


class MonitoringResult(BaseModel):
    """The monitoring figures of a window."""

    start: date = Field(serialization_alias="from")
    to: date
    asof: datetime
    filters: dict[str, str]
    columns: list[str]
    figures: list[MonitoringCell]


class FigureDefinition(BaseModel):
    """One figure of the registry: what computes it."""

    id: str
    name: str
    definition: str
    unit: str
    level: str
    section: str
    statistic: str
    dimensions: list[str]


class Definitions(BaseModel):
    """The registry of monitoring figures and the frame's columns."""

    columns: list[str]
    dimensions: list[str]
    age_groups: list[str]
    figures: list[FigureDefinition]


def compute(session: Any, who: Principal, w: Window, what: str, k: int) -> pd.DataFrame:
    """The figures of ``w``, the read audited (``what``: ``json``, ``csv``, ``dashboard``),
    disclosure-controlled with ``k`` (:func:`vessel_risk.referral.disclosure.protect`)."""
    audit(
        session,
        actor=who.actor,
        action="monitoring.read",
        entity_type="monitoring",
        entity_id=what,
        after={"from": w.start.isoformat(), "to": w.to.isoformat(), **w.where},
    )
    out = monitoring_figures(session, w.start, w.end, actor=who.actor, where=w.where)
    session.commit()
    # Aggregates only, never a person: cells of 1 to k-1 persons, and the cells that would
    # give them away by subtraction, are suppressed as in the regional exchange.
    if k <= 1:
        return out.assign(suppressed=False)
    return protect(out, k=k)


def _records(out: pd.DataFrame) -> list[dict[str, Any]]:
    clean = out.astype(object).where(out.notna(), None)
    return clean.to_dict("records")  # type: ignore[return-value]


def definitions() -> Definitions:
    """The registry as the API returns it."""
    return Definitions(
        columns=list(COLUMNS),
        dimensions=list(DIMENSIONS),
        age_groups=list(AGE_GROUPS),
        figures=[
            FigureDefinition(
                **f.as_dict(),
                dimensions=list(DIMENSIONS if f.level == "person" else VESSEL_DIMENSIONS),
            )
            for f in FIGURES.values()
        ],
    )


@router.get("/monitoring", response_model=MonitoringResult, response_model_by_alias=True)
def get_monitoring(
    session: SessionDep, who: Coordinator, w: WindowDep, settings: SettingsDep
) -> MonitoringResult:
    """The mechanism's figures over a window (default the last 12 months), as rows of one
    long tidy frame: ``period`` is a month's first day or null (the whole window); a
    dimension is null where the row is not broken down by it; ``unknown`` where not
    recorded. Aggregates only: counts and medians, with how many persons each rests on."""
    out = compute(session, who, w, "json", settings.monitoring_k)
    return MonitoringResult(
        start=w.start,
        to=w.to,
        asof=min(datetime.combine(w.end, datetime.min.time(), tzinfo=UTC), utcnow()),
        filters=w.where,
        columns=list(COLUMNS),
        figures=[MonitoringCell(**r) for r in _records(out)],
    )


def csv_response(out: pd.DataFrame, w: Window) -> Response:
    """The long frame as a CSV attachment named after the window; text a spreadsheet
    would run as a formula (a port label a tip typed) is written as text."""
    buffer = io.StringIO()
    neutralise_formulas(out).to_csv(
        buffer, index=False, columns=[*COLUMNS, "suppressed"], lineterminator="\n"
    )
    name = f"monitoring_{w.start.isoformat()}_{w.to.isoformat()}.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/monitoring.csv", response_class=Response)
def get_monitoring_csv(
    session: SessionDep, who: Coordinator, w: WindowDep, settings: SettingsDep
) -> Response:
    """The same figures as CSV (columns as ``GET /monitoring``'s rows; empty cells null)."""
    return csv_response(compute(session, who, w, "csv", settings.monitoring_k), w)


@router.get("/monitoring/definitions", response_model=Definitions)
def get_definitions(who: Coordinator) -> Definitions:
    """Every figure's id, name, definition, unit and the dimensions it is broken down by."""
    return definitions()


# --- the dashboard ---------------------------------------------------------------------


def _page(request: Request, name: str, who: Principal, **context: Any) -> HTMLResponse:
    from vessel_risk.api.routes.dashboard import templates

    csrf = getattr(request.state, "csrf_token", "")
    return templates.TemplateResponse(request, name, {"who": who, "csrf_token": csrf, **context})


def _months(w: Window) -> list[date]:
    out, m = [], date(w.start.year, w.start.month, 1)
    while m < w.end:
        out.append(m)
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return out


def page_context(out: pd.DataFrame, w: Window, by: str) -> dict[str, Any]:
    """What the monitoring page shows: per section, each figure's total and months; the
    charts; the breakdown of every figure by ``by`` over the window."""
    dims = list(COLUMNS[2:8])
    totals = out[out[[d for d in dims if d not in w.where]].isna().all(axis=1)]
    whole: dict[str, tuple[float | None, int | None]] = {}
    monthly: dict[str, dict[date, float | None]] = {}
    for r in _records(totals):
        value = None if r["value"] is None else float(r["value"])
        if r["period"] is None:
            persons = None if r["persons"] is None else int(r["persons"])
            whole[str(r["figure"])] = (value, persons)
        else:
            monthly.setdefault(str(r["figure"]), {})[r["period"]] = value
    months = _months(w)
    sections = []
    for section in SECTIONS:
        rows = []
        for f in (f for f in FIGURES.values() if f.section == section):
            total = whole.get(f.id)
            rows.append(
                {
                    "f": f,
                    "value": None if total is None else total[0],
                    "persons": None if total is None else total[1],
                    "months": [monthly.get(f.id, {}).get(m) for m in months],
                }
            )
        sections.append((section, rows))
    charts = []
    for fid in CHARTED:
        f = FIGURES[fid]
        values = [monthly.get(fid, {}).get(m) for m in months]
        charts.append((fid, f, month_chart(months, values, title=f.name, unit=f.unit)))
    part = out[out["period"].isna() & out[by].notna()] if by not in w.where else out.iloc[0:0]
    keys = sorted(set(part[by]))
    breakdown = []
    for f in FIGURES.values():
        cells = part[part["figure"] == f.id]
        if cells.empty:
            continue
        values = [None if pd.isna(v) else float(v) for v in cells["value"]]  # suppressed: None
        got = dict(zip(cells[by], values, strict=True))
        breakdown.append((f, [got.get(k) for k in keys]))
    return {
        "window": w,
        "months": months,
        "sections": sections,
        "charts": charts,
        "by": by,
        "by_keys": keys,
        "breakdown": breakdown,
        "dimensions": DIMENSIONS,
        "age_groups": AGE_GROUPS,
    }


@ui_router.get("")
def monitoring_page(
    request: Request,
    session: SessionDep,
    who: UiCoordinator,
    settings: SettingsDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query()] = None,
    state: _Code = None,
    port: _Code = None,
    flag: _Code = None,
    nationality: _Code = None,
    gender: Annotated[str | None, Query(max_length=64)] = None,
    age_group: Annotated[Literal[AGE_GROUPS, ""] | None, Query()] = None,  # type: ignore[valid-type]
    by: Annotated[Literal[DIMENSIONS], Query()] = "state",  # type: ignore[valid-type]
) -> Response:
    """The monitoring dashboard: totals, monthly tables and charts, one breakdown."""
    filters = {"state": state, "port": port, "flag": flag, "nationality": nationality}
    w = _window(who, start, to, {**filters, "gender": gender, "age_group": age_group or None})
    out = compute(session, who, w, "dashboard", settings.monitoring_k)
    return _page(request, "monitoring.html", who, **page_context(out, w, by))


@ui_router.get("/export.csv")
def monitoring_page_csv(
    session: SessionDep,
    who: UiCoordinator,
    settings: SettingsDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query()] = None,
    state: _Code = None,
    port: _Code = None,
    flag: _Code = None,
    nationality: _Code = None,
    gender: Annotated[str | None, Query(max_length=64)] = None,
    age_group: Annotated[Literal[AGE_GROUPS, ""] | None, Query()] = None,  # type: ignore[valid-type]
) -> Response:
    """The page's figures as CSV, for a signed-in coordinator (as ``GET /monitoring.csv``)."""
    filters = {"state": state, "port": port, "flag": flag, "nationality": nationality}
    w = _window(who, start, to, {**filters, "gender": gender, "age_group": age_group or None})
    return csv_response(compute(session, who, w, "dashboard_csv", settings.monitoring_k), w)


@ui_router.get("/definitions")
def definitions_page(request: Request, who: UiCoordinator) -> Response:
    """Every figure's definition, each at its own anchor (``#<figure id>``)."""
    return _page(request, "monitoring_definitions.html", who, registry=definitions())
