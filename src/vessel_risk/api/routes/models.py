"""Models: which model scores alerts (the champion, or the indicator baseline), its
metrics and model card; scoring one posted vessel-year of features."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
from fastapi import APIRouter, Request

from vessel_risk.alerts.build import CAVEAT, build_alerts
from vessel_risk.api.deps import Analyst, ModelReader
from vessel_risk.api.models import FeatureRowCreate, IndicatorPublic, ModelInfo, ScorePublic
from vessel_risk.api.problems import problem_responses
from vessel_risk.model import combine
from vessel_risk.model import indicators as ind

router = APIRouter(
    prefix="/models", tags=["models"], responses=problem_responses(401, 403, 422, 429)
)


def baseline_card() -> str:
    """The indicator baseline's model card (Markdown): every indicator, threshold, source."""
    lines = [
        f"# {ind.BASELINE_VERSION}: identity and indicator evidence, combined by a stated rule",
        "",
        "Each indicator's strength ramps linearly from `low` to `high`. Alerts combine "
        "identity facts (fixed log-likelihood ratios), the indicators compared with their "
        "peers and, where a model applies, the model's evidence, in log-odds on a prior of "
        f"{combine.PRIOR:g}, each part capped so no score reaches {combine.MAX_SCORE:.4f} "
        "(docs/model.md, 'The combination rule'). Tiers by inspection capacity: the top "
        f"{combine.HIGH_SHARE:.0%} of vessel-years with enough data are high, the next "
        f"{combine.MEDIUM_SHARE:.0%} medium; fewer than "
        f"{ind.MIN_POSITIONS} positions or {ind.MIN_DAYS_OBSERVED} days read "
        "'insufficient data'. `weight` is the indicator's weight in the evaluation's "
        "noisy-OR baseline (`IndicatorBaseline`).",
        "",
        "| indicator | feature | low | high | weight | ILO indicator | source |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i in ind.INDICATORS:
        lines.append(
            f"| {i.name} | {i.feature} | {i.low:g} | {i.high:g} | {i.weight:g} | "
            f"{i.ilo_indicator} | {i.source} |"
        )
    lines += ["", CAVEAT]
    return "\n".join(lines)


def model_info(request: Request) -> ModelInfo:
    """The scoring model as the route returns it (registry read once per app)."""
    state = request.app.state
    if not hasattr(state, "champion_info"):
        from vessel_risk.model.registry import champion_info

        try:
            state.champion_info = champion_info(state.settings.mlflow_tracking_uri)
        except Exception as exc:  # an unreachable registry falls back, saying so
            state.champion_info = None
            state.registry_error = str(exc)
    info = state.champion_info
    if info is None:
        why = getattr(state, "registry_error", None)
        return ModelInfo(
            scorer="indicator-baseline",
            version=ind.BASELINE_VERSION,
            label=ind.BASELINE_VERSION,
            metrics={},
            features=[i.feature for i in ind.INDICATORS],
            model_card=baseline_card(),
            note=(
                "No champion in the model registry"
                + (f" ({why})" if why else "")
                + ": alerts are scored by the indicator baseline."
            ),
        )
    card = [
        f"# {info.label}",
        "",
        f"Kind: {info.kind}; MLflow run {info.run_id}; data: {info.tags.get('data_source', '?')}.",
        "",
        "## Cross-validated metrics",
        *[f"- {k}: {v:.4f}" for k, v in sorted(info.metrics.items())],
        "",
        "## Features",
        ", ".join(info.features) or "(not recorded)",
        "",
        CAVEAT,
    ]
    return ModelInfo(
        scorer="champion",
        version=info.version,
        label=info.label,
        metrics=info.metrics,
        features=info.features,
        model_card="\n".join(card),
        note="Alerts are scored by the registry's champion (models:/vessel-risk@champion).",
    )


@router.get("/champion", response_model=ModelInfo)
def get_champion(request: Request, caller: ModelReader) -> ModelInfo:
    """The champion's version, metrics and model card, or the baseline's, saying so."""
    return model_info(request)


def _frame(row: FeatureRowCreate) -> pd.DataFrame:
    t = datetime(2000, 1, 1, tzinfo=UTC)
    record: dict[str, Any] = {
        **row.model_dump(),
        "iuu_match": row.iuu_match or "match not given",
        "mmsi": "000000000",
        "year": 2000,
        "shipname": None,
        "flag_iso3": None,
        "first_timestamp": pd.Timestamp(t),
        "last_timestamp": pd.Timestamp(t),
        "last_lat": None,
        "last_lon": None,
    }
    frame = pd.DataFrame([record])
    for i in ind.INDICATORS:
        if i.feature in frame and frame[i.feature].isna().all():
            frame[i.feature] = frame[i.feature].astype("float64")
    return frame


@router.post("/score", response_model=ScorePublic)
def score_row(caller: Analyst, row: FeatureRowCreate) -> ScorePublic:
    """Score one vessel-year of features by the combination rule, with its reasons.

    The same code as ``vessel-risk score`` and the pipeline
    (:func:`vessel_risk.pipeline.scoring.score_table`). The champion needs the full
    pipeline feature set; a posted row carries the indicators' features, so it is scored
    on identity and indicator evidence (the baseline), which the answer names. Alone in
    its table, the row is compared with no peers, and its tier says only whether its
    evidence raises its score (docs/model.md, "Tiers").
    """
    from vessel_risk.pipeline.scoring import score_table

    frame = _frame(row)
    scored = score_table(frame, None, ind.BASELINE_VERSION)
    alert = build_alerts(
        frame,
        scored.combined.score,
        scored.contrib,
        model_version=scored.version,
        context=scored.context,
    )[0]
    return ScorePublic(
        score=alert.score,
        tier=alert.tier,  # type: ignore[arg-type]
        model_version=alert.model_version,
        indicators=[IndicatorPublic.model_validate(i.model_dump()) for i in alert.indicators],
        note=f"{alert.data_note}. {CAVEAT}",
    )
