"""The regional exchange in the database: make this state's export, import another's,
and read the regional view (issue 18; seed report §5.5).

:func:`build_export` gathers the vessel-level tables (alerts of the period's years, the
boardings of the period) and the protected monitoring figures into one signed export;
:func:`import_export` verifies another state's export against the trusted keys and
merges it into the ``exchange_*`` tables, tagged by source state (importing it again
changes nothing); :func:`regional_figures` and :func:`regional_summary` read the
regional view: for each source state, its most recent export. Exports and imports are
audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from vessel_risk.alerts.queue import MODEL
from vessel_risk.db.base import as_utc
from vessel_risk.db.tables import (
    AlertRow,
    ExchangeAlert,
    ExchangeImport,
    ExchangeIndicator,
    ExchangeInspection,
    Inspection,
    audit,
    utcnow,
)
from vessel_risk.referral.disclosure import DEFAULT_K, protect
from vessel_risk.referral.exchange import (
    ALERT_COLUMNS,
    INDICATOR_COLUMNS,
    INSPECTION_COLUMNS,
    ExchangeError,
    cell,
    document,
    export_id,
)
from vessel_risk.referral.exchange_keys import TrustedKeys, sign, verify
from vessel_risk.referral.exchange_periods import (
    DEFAULT_RECIPIENT,
    check_export_period,
    check_resend_figures,
    figures_digest,
)
from vessel_risk.referral.monitoring import FIGURES
from vessel_risk.referral.monitoring_load import monitoring_figures


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=UTC)


def vessel_tables(
    session: Session,
    start: date,
    end: date,
    *,
    tiers: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The alerts and inspections an export of ``start`` to ``end`` shares.

    Parameters
    ----------
    session : Session
    start, end : date
        First and last day (UTC, inclusive).
    tiers : sequence of str, optional
        Only alerts of these tiers (default every tier).

    Returns
    -------
    (DataFrame, DataFrame)
        Alerts of the vessel-years from ``start.year`` to ``end.year`` (columns
        :data:`~vessel_risk.referral.exchange.ALERT_COLUMNS`, ``raised_at`` the alert's
        creation) and the inspections made in the period
        (:data:`~vessel_risk.referral.exchange.INSPECTION_COLUMNS`: the C188 items
        recorded ``missing`` become ``documents_missing``). Vessel facts only.
    """
    q = select(AlertRow).where(
        AlertRow.year >= start.year,
        AlertRow.year <= end.year,
        AlertRow.source == MODEL,  # tips stay home: a source's account is not for export
    )
    if tiers:
        q = q.where(AlertRow.tier.in_(list(tiers)))
    alerts = [
        {c: (a.created_at if c == "raised_at" else getattr(a, c)) for c in ALERT_COLUMNS}
        for a in session.scalars(q.order_by(AlertRow.id))
    ]
    rows = session.scalars(
        select(Inspection)
        .where(
            Inspection.inspected_at >= _day_start(start),
            Inspection.inspected_at < _day_start(end + timedelta(days=1)),
        )
        .order_by(Inspection.id)
    )
    inspections = []
    for r in rows:
        row = {c: getattr(r, c, None) for c in INSPECTION_COLUMNS}
        row["documents_missing"] = sorted(
            k for k, v in (r.documents_seen or {}).items() if v == "missing"
        )
        row["ilo_indicators"] = sorted(r.ilo_indicators or [])
        inspections.append(row)
    return (
        pd.DataFrame(alerts, columns=list(ALERT_COLUMNS)),
        pd.DataFrame(inspections, columns=list(INSPECTION_COLUMNS)),
    )


def _utc_day(t: datetime | None) -> date:
    """The UTC day of ``t`` (naive means UTC), or today's."""
    return (as_utc(t) or utcnow()).date()


def build_export(
    session: Session,
    *,
    state: str,
    start: date,
    end: date,
    figures: pd.DataFrame,
    definitions: Sequence[Mapping[str, Any]],
    key: Ed25519PrivateKey,
    k: int = DEFAULT_K,
    tiers: Sequence[str] | None = None,
    actor: str,
    created_at: datetime | None = None,
    recipient: str = DEFAULT_RECIPIENT,
) -> dict[str, Any]:
    """This state's signed export of ``start`` to ``end``, audited.

    The period is whole calendar months and overlaps no earlier export of this state to
    ``recipient`` unless it is the same period, a re-send
    (:func:`~vessel_risk.referral.exchange_periods.check_export_period`); the audit
    entry records the recipient and whether the export is a re-send.

    Parameters
    ----------
    session : Session
        The caller commits (the audit entry is in its transaction).
    state : str
        This state, ISO3.
    start, end : date
        First and last day (UTC, inclusive).
    figures : DataFrame
        The monitoring figures, true values, as the long tidy frame
        (:data:`vessel_risk.referral.disclosure.CELL_COLUMNS`); protected here with
        :func:`~vessel_risk.referral.disclosure.protect` at ``k``.
    definitions : sequence of mapping
        Each figure's ``id``, ``name``, ``definition``, ``unit``, ``level``,
        ``statistic``.
    key : Ed25519PrivateKey
        This state's signing key.
    k : int, default 5
    tiers : sequence of str, optional
        As :func:`vessel_tables`.
    actor : str
        Who exports, for the audit log.
    created_at : datetime, optional
        Default now.
    recipient : str, default "regional"
        Who the export is for: the regional exchange unless named.

    Returns
    -------
    dict
        The signed JSON form (:mod:`vessel_risk.referral.exchange`).

    Raises
    ------
    ExchangeError
        When a table does not fit the format;
        :class:`~vessel_risk.referral.exchange_periods.ExchangePeriodError` when the
        period is not whole months or overlaps an earlier export to ``recipient``.
    """
    resend = check_export_period(
        session,
        state=state,
        start=start,
        end=end,
        recipient=recipient,
        today=_utc_day(created_at),
    )
    protected = protect(figures.loc[:, [c for c in INDICATOR_COLUMNS if c != "suppressed"]], k=k)
    alerts, inspections = vessel_tables(session, start, end, tiers=tiers)
    doc = document(
        state=state,
        period_start=start,
        period_end=end,
        indicators=protected,
        alerts=alerts,
        inspections=inspections,
        figures=list(definitions),
        k=k,
        created_at=created_at,
    )
    digest = figures_digest(doc["tables"]["indicators"], k)
    if resend:
        check_resend_figures(
            session, state=state, start=start, end=end, digest=digest, recipient=recipient
        )
    signed = sign(doc, key)
    audit(
        session,
        actor=actor,
        action="exchange.export",
        entity_type="exchange",
        entity_id=export_id(signed),
        after={
            "state": signed["state"],
            "period": [signed["period_start"], signed["period_end"]],
            "recipient": recipient,
            "resend": resend,
            "figures_sha256": digest,
            "k": k,
            "rows": {name: len(rows) for name, rows in signed["tables"].items()},
            "suppressed": int(protected["suppressed"].sum()),
        },
    )
    return signed


def export_mechanism(
    session: Session,
    *,
    state: str,
    start: date,
    end: date,
    key: Ed25519PrivateKey,
    k: int = DEFAULT_K,
    tiers: Sequence[str] | None = None,
    actor: str,
    now: datetime | None = None,
    recipient: str = DEFAULT_RECIPIENT,
) -> dict[str, Any]:
    """This state's signed export of its mechanism from ``start`` to ``end``.

    The monitoring figures of the database over the period
    (:func:`vessel_risk.referral.monitoring_load.monitoring_figures`, every figure of
    :data:`~vessel_risk.referral.monitoring.FIGURES`, as of ``now``) are protected and
    exported with the vessel tables (:func:`build_export`).

    Parameters
    ----------
    session : Session
        The caller commits (the intake reads and the export are audited).
    state, key, k, tiers, actor
        As :func:`build_export`.
    start, end : date
        First and last day (UTC, inclusive).
    now : datetime, optional
        When statuses are read (default the current time).
    recipient : str, default "regional"
        As :func:`build_export`; the period is checked before any figure is read.

    Returns
    -------
    dict
        The signed JSON form.

    Raises
    ------
    ExchangePeriodError
        As :func:`build_export`.
    """
    check_export_period(
        session,
        state=state,
        start=start,
        end=end,
        recipient=recipient,
        today=_utc_day(now),
    )
    figures = monitoring_figures(
        session, _day_start(start), _day_start(end + timedelta(days=1)), actor=actor, now=now
    )
    return build_export(
        session,
        state=state,
        start=start,
        end=end,
        figures=figures,
        definitions=[f.as_dict() for f in FIGURES.values()],
        key=key,
        k=k,
        tiers=tiers,
        actor=actor,
        created_at=now,
        recipient=recipient,
    )


@dataclass(frozen=True)
class ImportResult:
    """What an import did.

    Attributes
    ----------
    export_id : str
    state : str
        The source state.
    imported : bool
        False when the export was already imported (nothing changed).
    rows : dict of str to int
        Rows of each table in the export.
    """

    export_id: str
    state: str
    imported: bool
    rows: dict[str, int]


def import_export(
    session: Session,
    doc: Mapping[str, Any],
    trusted: TrustedKeys,
    *,
    actor: str,
    own_state: str | None = None,
) -> ImportResult:
    """Verify another state's export and merge it into the regional view.

    Parameters
    ----------
    session : Session
        The caller commits.
    doc : mapping
        The JSON form (:func:`vessel_risk.referral.exchange.read_export`).
    trusted : TrustedKeys
    actor : str
        Who imports, for the audit log.
    own_state : str, optional
        This state: its own exports are not imported into the regional view.

    Returns
    -------
    ImportResult

    Raises
    ------
    ExchangeError
        When the export does not fit the format or is this state's own.
    UnknownSigner, SignatureError
        When its signer is not trusted or its content was changed
        (:func:`vessel_risk.referral.exchange_keys.verify`); nothing is written.
    """
    parsed = verify(doc, trusted)
    eid = export_id(doc)
    rows = {
        "indicators": len(parsed.tables.indicators),
        "alerts": len(parsed.tables.alerts),
        "inspections": len(parsed.tables.inspections),
    }
    if own_state and parsed.state == own_state.upper():
        raise ExchangeError(f"This export is {parsed.state}'s own; it is not imported.")
    if session.get(ExchangeImport, eid) is not None:
        return ImportResult(eid, parsed.state, False, rows)
    assert parsed.signature is not None  # verify() refuses an unsigned export
    session.add(
        ExchangeImport(
            id=eid,
            source_state=parsed.state,
            key_id=parsed.signature.key_id,
            version=parsed.version,
            created_at=parsed.created_at,
            period_start=parsed.period_start,
            period_end=parsed.period_end,
            k=parsed.disclosure.k,
            figures=[f.model_dump(mode="json") for f in parsed.figures],
            rows=rows,
            imported_at=utcnow(),
            imported_by=actor,
        )
    )
    session.flush()
    tag = {"import_id": eid, "source_state": parsed.state}
    for model, entries in (
        (ExchangeIndicator, parsed.tables.indicators),
        (ExchangeAlert, parsed.tables.alerts),
        (ExchangeInspection, parsed.tables.inspections),
    ):
        if entries:
            session.execute(insert(model), [{**tag, **e.model_dump()} for e in entries])
    audit(
        session,
        actor=actor,
        action="exchange.import",
        entity_type="exchange",
        entity_id=eid,
        after={"state": parsed.state, "key_id": parsed.signature.key_id, "rows": rows},
    )
    return ImportResult(eid, parsed.state, True, rows)


def record_refusal(session: Session, doc: Any, reason: str, *, actor: str) -> None:
    """Audit an import refused (``exchange.refused``): who tried, which export, why.

    The caller commits, in a transaction of its own (the refused import wrote nothing).
    """
    state = doc.get("state") if isinstance(doc, Mapping) else None
    try:
        eid = export_id(doc) if isinstance(doc, Mapping) else "unreadable"
    except (TypeError, ValueError):
        eid = "unreadable"
    audit(
        session,
        actor=actor,
        action="exchange.refused",
        entity_type="exchange",
        entity_id=eid,
        reason=reason[:2000],
        after={"state": str(state)[:16] if state is not None else None},
    )


def latest_imports(session: Session) -> list[ExchangeImport]:
    """For each source state, its most recently made export imported (by state)."""
    newest = (
        select(ExchangeImport.source_state, func.max(ExchangeImport.created_at).label("at"))
        .group_by(ExchangeImport.source_state)
        .subquery()
    )
    q = (
        select(ExchangeImport)
        .join(
            newest,
            (ExchangeImport.source_state == newest.c.source_state)
            & (ExchangeImport.created_at == newest.c.at),
        )
        .order_by(ExchangeImport.source_state, ExchangeImport.id)
    )
    seen: dict[str, ExchangeImport] = {}
    for row in session.scalars(q):
        seen.setdefault(row.source_state, row)
    return list(seen.values())


def regional_figures(session: Session, *, figure: str | None = None) -> pd.DataFrame:
    """The indicators of the regional view: each source state's latest export.

    Returns
    -------
    DataFrame
        ``source_state`` and the columns of
        :data:`~vessel_risk.referral.exchange.INDICATOR_COLUMNS`, in the order
        imported; ``value`` and ``persons`` null where the source suppressed them.
    """
    ids = [i.id for i in latest_imports(session)]
    cols = ["source_state", *INDICATOR_COLUMNS]
    q = select(ExchangeIndicator).where(ExchangeIndicator.import_id.in_(ids))
    if figure is not None:
        q = q.where(ExchangeIndicator.figure == figure)
    rows = [
        {c: getattr(r, c) for c in cols} for r in session.scalars(q.order_by(ExchangeIndicator.id))
    ]
    return pd.DataFrame(rows, columns=cols, dtype=object)


def regional_summary(session: Session) -> dict[str, Any]:
    """The regional view in brief: sources, each figure's whole-period total by source,
    and the vessels each source shared.

    Returns
    -------
    dict
        ``sources``: one entry per source state (export id, when made, period, k,
        rows); ``figures``: ``{figure: {state: value or None}}``, the row with no
        month and no breakdown (None: suppressed or absent); ``alerts``:
        ``{state: {tier: count}}``; ``inspections``: ``{state: {outcome: count}}``.
    """
    imports = latest_imports(session)
    ids = [i.id for i in imports]
    figures: dict[str, dict[str, float | None]] = {}
    totals = select(ExchangeIndicator).where(
        ExchangeIndicator.import_id.in_(ids),
        *(
            getattr(ExchangeIndicator, c).is_(None)
            for c in INDICATOR_COLUMNS
            if c not in ("figure", "value", "persons", "suppressed")
        ),
    )
    for r in session.scalars(totals.order_by(ExchangeIndicator.figure)):
        figures.setdefault(r.figure, {})[r.source_state] = r.value
    alerts: dict[str, dict[str, int]] = {}
    for state, tier, n in session.execute(
        select(ExchangeAlert.source_state, ExchangeAlert.tier, func.count())
        .where(ExchangeAlert.import_id.in_(ids))
        .group_by(ExchangeAlert.source_state, ExchangeAlert.tier)
    ):
        alerts.setdefault(state, {})[tier] = int(n)
    inspections: dict[str, dict[str, int]] = {}
    for state, outcome, n in session.execute(
        select(ExchangeInspection.source_state, ExchangeInspection.outcome, func.count())
        .where(ExchangeInspection.import_id.in_(ids))
        .group_by(ExchangeInspection.source_state, ExchangeInspection.outcome)
    ):
        inspections.setdefault(state, {})[outcome] = int(n)
    return {
        "sources": [
            {
                "state": i.source_state,
                "export_id": i.id,
                "created_at": cell(i.created_at, "datetime"),
                "period_start": i.period_start.isoformat(),
                "period_end": i.period_end.isoformat(),
                "k": i.k,
                "rows": i.rows,
            }
            for i in imports
        ],
        "figures": figures,
        "alerts": alerts,
        "inspections": inspections,
    }
