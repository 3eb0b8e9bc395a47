"""The regional exchange (issue 18 part 2; seed report §5.5): export, import, regional view.

``GET /exchange/export?from=...&to=...`` makes this state's signed export of a period
(the monitoring figures with small cells suppressed, and vessel facts: alerts and
boardings) in its JSON form (:mod:`vessel_risk.referral.exchange`); the coordinator's
request is the person's approval of what leaves the system, and it is audited.
``POST /exchange/import`` checks another state's export against the trusted keys and
merges it into the regional view (idempotent); ``GET /exchange/regional`` reads that
view by source state. The CSV and Parquet forms, and exports larger than the API's
body limit, go through ``vessel-risk exchange``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query
from pydantic import BaseModel

from vessel_risk.api.access import Principal
from vessel_risk.api.deps import ReadSessionDep, SessionDep, SettingsDep, authorize
from vessel_risk.api.problems import problem_responses
from vessel_risk.referral.exchange import INDICATOR_COLUMNS, ExchangeError, table_records
from vessel_risk.referral.exchange_keys import TrustedKeys, load_private_key
from vessel_risk.referral.exchange_periods import (
    DEFAULT_RECIPIENT,
    ExchangePeriodError,
    check_whole_months,
)
from vessel_risk.referral.exchange_store import (
    export_mechanism,
    import_export,
    record_refusal,
    regional_figures,
    regional_summary,
)

router = APIRouter(
    prefix="/exchange",
    tags=["exchange"],
    responses=problem_responses(401, 403, 409, 422, 429),
)

Exporter = Annotated[Principal, Depends(authorize("exchange.export"))]
Importer = Annotated[Principal, Depends(authorize("exchange.import"))]
RegionalReader = Annotated[Principal, Depends(authorize("exchange.read"))]


class ImportPublic(BaseModel):
    """What an import did: ``imported`` is False when the export was already imported."""

    export_id: str
    state: str
    imported: bool
    rows: dict[str, int]


@router.get("/export", summary="This state's signed export of a period")
def export(
    who: Exporter,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[date, Query(alias="from", description="First day (UTC).")],
    end: Annotated[date, Query(alias="to", description="Last day (UTC), included.")],
    tier: Annotated[list[str] | None, Query(description="Only alerts of these tiers.")] = None,
    recipient: Annotated[
        str,
        Query(
            min_length=1,
            max_length=64,
            pattern=r"^[A-Za-z0-9_.:-]+$",
            description="Who the export is for (default: the regional exchange).",
        ),
    ] = DEFAULT_RECIPIENT,
) -> dict[str, Any]:
    """The signed JSON form (``exchange-1.0``): figures with cells of fewer than k
    persons suppressed (and the cells that would reveal them), vessel facts only.

    The period is whole calendar months (422 otherwise); a period overlapping an
    earlier export to the same recipient is refused with 409 unless it is the same
    period (a re-send)."""
    if end < start:
        raise HTTPException(422, f"to ({end}) is before from ({start}).")
    if end >= date.max:  # the period's end is the day after 'to'
        raise HTTPException(422, f"to must be before {date.max}.")
    if (end - start).days > 366 * 5:
        raise HTTPException(422, "An export covers at most five years.")
    try:
        check_whole_months(start, end)
    except ExchangePeriodError as exc:
        raise HTTPException(422, str(exc)) from exc
    state, key_path = settings.exchange_state, settings.exchange_signing_key
    if not state or key_path is None:
        raise HTTPException(
            409,
            "This server has no exchange identity: set VESSEL_RISK_EXCHANGE_STATE and "
            "VESSEL_RISK_EXCHANGE_SIGNING_KEY (vessel-risk exchange keygen).",
        )
    if who.countries and state.upper() not in who.countries:
        raise HTTPException(403, f"{state.upper()} is outside this client's countries.")
    try:
        key = load_private_key(key_path)
        doc = export_mechanism(
            session,
            state=state,
            start=start,
            end=end,
            key=key,
            k=settings.exchange_k,
            tiers=tier or None,
            actor=who.actor,
            recipient=recipient,
        )
    except ExchangeError as exc:
        raise HTTPException(409, str(exc)) from exc
    session.commit()
    return doc


@router.post("/import", summary="Merge another state's signed export")
def import_(
    who: Importer,
    session: SessionDep,
    settings: SettingsDep,
    doc: Annotated[dict[str, Any], Body(description="An export in its JSON form.")],
) -> ImportPublic:
    """Verify the export's signature against the trusted keys, then merge it into the
    regional view tagged by its state; importing it again changes nothing."""
    if settings.exchange_trusted_keys is None:
        raise HTTPException(
            409, "This server trusts no state yet: set VESSEL_RISK_EXCHANGE_TRUSTED_KEYS."
        )
    try:
        trusted = TrustedKeys.load(settings.exchange_trusted_keys)
        result = import_export(
            session, doc, trusted, actor=who.actor, own_state=settings.exchange_state
        )
    except ExchangeError as exc:  # not the format, tampered, or an untrusted signer
        session.rollback()
        record_refusal(session, doc, str(exc), actor=who.actor)
        session.commit()
        raise HTTPException(422, str(exc)) from exc
    session.commit()
    return ImportPublic(
        export_id=result.export_id, state=result.state, imported=result.imported, rows=result.rows
    )


@router.get("/regional", summary="The regional view by source state")
def regional(
    who: RegionalReader,
    session: ReadSessionDep,
    figure: Annotated[
        str | None, Query(max_length=64, description="Also every cell of this figure.")
    ] = None,
) -> dict[str, Any]:
    """Each source state's latest export: sources, each figure's whole-period total by
    source (null: suppressed), alerts by tier and inspections by outcome by source; with
    ``figure``, that figure's cells (``cells``)."""
    out = regional_summary(session)
    if figure is not None:
        cells = regional_figures(session, figure=figure)
        records = table_records(cells, INDICATOR_COLUMNS)
        out["cells"] = [
            {"source_state": s, **r} for s, r in zip(cells["source_state"], records, strict=True)
        ]
    return out
