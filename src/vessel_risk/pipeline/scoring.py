"""Scoring a run's vessel-years: the registry's champion or the indicator baseline.

:func:`choose_scorer` decides, once per run, what scores the alerts and says why in a
sentence the entrypoint shows; :func:`score_frame` scores any vessel-year table by the
combination rule (:mod:`vessel_risk.model.combine`), the one code the pipeline
(:func:`score_alerts`), ``vessel-risk score`` and the API's ``/models/score`` share.
A score is evidence to check, never proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vessel_risk.alerts.build import (
    Alert,
    ScoreContext,
    build_alerts,
    explain,
)
from vessel_risk.alerts.reasons import longest_voyage_ends
from vessel_risk.events.fishing import FishingModel
from vessel_risk.features.schemas import VesselFeatureSchema
from vessel_risk.frames import columns
from vessel_risk.identity.vessel_class import scored
from vessel_risk.model import combine, evidence_shares, model_input
from vessel_risk.model import indicators as ind
from vessel_risk.model.registry import load_champion

MEET_AT_SEA = frozenset({"carrier", "fishing_support"})
"""Classes scored only when they met another vessel at sea (an encounter) in the year."""


def alert_queue(features: pd.DataFrame, *, all_classes: bool = False) -> pd.Series:
    """Which vessel-years go to the alert queue, by vessel class.

    Fishing vessels and vessels of unknown class are scored; carriers and
    fishing-support vessels when they met another vessel at sea that year (an
    encounter: the transshipment that keeps a fishing crew at sea); other classes
    (cargo, tanker, passenger, fishing gear...) are not, unless ``all_classes``.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        Vessel-year features, with ``vessel_class`` (a run's table); without it every
        row is scored.
    all_classes : bool, default False
        Score every class.

    Returns
    -------
    Series of bool, shape (n,), aligned with ``features``.
    """
    if all_classes or "vessel_class" not in features.columns:
        return pd.Series(True, index=features.index)
    cls = features["vessel_class"].astype("string").fillna("unknown")
    met = features["number_encounters"].gt(0)
    return (scored(cls) & (~cls.isin(MEET_AT_SEA) | met)).astype(bool)


NO_DOMAIN = "no training domain recorded"
"""The reason of a model without a training domain (registered before it was recorded):
it applies everywhere."""


def model_domain(model: Any | None, features: pd.DataFrame) -> pd.DataFrame:
    """Where the model applies: ``model_applies`` (bool) and ``model_domain_reason`` (str).

    Uses the training domain the model carries (``model.training_domain_``, a dict of
    :class:`vessel_risk.model.domain.TrainingDomain`); a model without one, or where that
    module is not installed, applies everywhere with the reason :data:`NO_DOMAIN`. No
    model (the indicator baseline): applies nowhere, reason "no model: indicator baseline".

    Parameters
    ----------
    model : fitted estimator or None
    features : DataFrame of shape (n, k)

    Returns
    -------
    DataFrame of shape (n, 2) indexed like ``features``.
    """
    idx = features.index
    if model is None:
        return pd.DataFrame(
            {"model_applies": False, "model_domain_reason": "no model: indicator baseline"},
            index=idx,
        )
    domain = getattr(model, "training_domain_", None)
    if domain:
        try:
            from vessel_risk.model.domain import TrainingDomain
        except ImportError:
            domain = None
        else:
            checked = TrainingDomain.from_dict(domain).check(features)
            return pd.DataFrame(
                {
                    "model_applies": checked["model_applies"].astype(bool).to_numpy(),
                    "model_domain_reason": checked["model_domain_reason"].astype(str).to_numpy(),
                },
                index=idx,
            )
    return pd.DataFrame({"model_applies": True, "model_domain_reason": NO_DOMAIN}, index=idx)


def bag_probabilities(model: Any, X: pd.DataFrame) -> pd.DataFrame | None:
    """Each bag's calibrated probability, shape (n, n_bags), or None.

    For the PU-bagging estimators of :mod:`vessel_risk.model.pu` (``estimators_``, each
    bag's score calibrated as the ensemble's); other models have no bags (None).
    """
    bags = getattr(model, "estimators_", None)
    to_p = getattr(model, "_to_probability", None)
    if not bags or to_p is None or not hasattr(model, "_check_fitted_X"):
        return None
    Xa = model._check_fitted_X(X)
    Xa = model._prepare(Xa) if hasattr(model, "_prepare") else Xa
    return pd.DataFrame(
        {b: to_p(m.predict_proba(Xa)[:, 1]) for b, m in enumerate(bags)}, index=X.index
    )


@dataclass(frozen=True)
class Scored:
    """Everything the combination rule gives a table (:func:`score_table`).

    Attributes
    ----------
    frame : DataFrame
        :func:`score_frame`'s table (identifying columns, scores, tier, rank, reasons).
    combined : vessel_risk.model.combine.Combined
    contrib : DataFrame
        Signed log-odds of each piece of evidence as it counts (coverage-weighted).
    context : vessel_risk.alerts.build.ScoreContext
    tie_break : Series or None
    version : str
    """

    frame: pd.DataFrame
    combined: Any
    contrib: pd.DataFrame
    context: ScoreContext
    tie_break: pd.Series | None
    version: str


ID_COLUMNS = ("vessel_id", "mmsi", "track_id", "year")
"""Identifying columns :func:`score_frame` keeps when the input has them."""


def _model_sentence(
    version: str, p: float, applies: bool, reason: str, evidence: float, top: str
) -> str:
    if version == ind.BASELINE_VERSION:
        return "no model: scored by identity and indicator evidence alone (indicator baseline)"
    if not applies:
        return f"model does not apply: {reason}" if reason else "model does not apply"
    if pd.isna(p):
        return f"model {version}: no probability"
    way = "raises" if evidence >= 0 else "lowers"
    text = (
        f"model {version}: probability {p:.2f} against a prior of {combine.PRIOR:.2f}, "
        f"{way} the score (odds x{np.exp(evidence):.2g} after the data's coverage)"
    )
    if top:
        text += f"; strongest model features: {top}"
    if reason == NO_DOMAIN:
        text += f" ({NO_DOMAIN}: applied everywhere)"
    return text


def score_table(
    features: pd.DataFrame, model: Any | None, model_version: str | None, *, reasons: bool = True
) -> Scored:
    """Score a vessel-year table by the combination rule (:mod:`vessel_risk.model.combine`).

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        A run's ``vessel_features.parquet`` rows or GFW's labelled table.
    model : fitted estimator or None
        The risk model (its evidence counts where it applies); None: indicator baseline.
    model_version : str or None
        How outputs name the scorer (default: the class name, or the baseline's name).
    reasons : bool, default True
        Explain every row in ``frame["reasons"]``; False leaves None (alerts explain themselves).

    Returns
    -------
    Scored
    """
    idx = features.index
    version = ind.BASELINE_VERSION if model is None else (model_version or type(model).__name__)
    domain = model_domain(model, features)
    p = tie_break = None
    shares = pd.DataFrame(index=idx)
    bags = None
    if model is not None and len(features):
        names = [str(f) for f in model.feature_names_in_]
        X = model_input(features, names)
        p = pd.Series(model.predict_proba(X)[:, 1], index=idx)
        if hasattr(model, "decision_function"):
            tie_break = pd.Series(model.decision_function(X), index=idx)
        if hasattr(model, "explain"):
            shares = evidence_shares(model.explain(X))
        bags = bag_probabilities(model, X)
    applies = domain["model_applies"]
    c = combine.combine(features, p, applies)
    w = c.coverage
    contrib = c.evidence.copy()
    for name in combine.INDICATOR_LLR:
        contrib[name] = contrib[name] * w
    contrib["model"] = (contrib["model"] * w).where(applies, 0.0)
    low = high = pd.Series(np.nan, index=idx)
    if bags is not None:
        base = combine.logit(combine.PRIOR) + c.identity + c.indicators
        spread = pd.DataFrame(
            {
                b: combine.sigmoid(
                    base
                    + combine.soft_cap(
                        (w * (combine.logit(bags[b]) - combine.logit(combine.PRIOR))).where(
                            applies, 0.0
                        ),
                        combine.MODEL_CAP,
                    )
                )
                for b in bags.columns
            },
            index=idx,
        )
        low = spread.min(axis=1).where(applies)
        high = spread.max(axis=1).where(applies)
    tiers = combine.tiers(c.score, features)
    order = combine.rank_order(c.score, tie_break, ind.numeric(features, "position_messages"))
    ranks = np.zeros(len(idx), dtype="int64")
    ranks[order] = np.arange(1, len(order) + 1)
    rank = pd.Series(ranks, index=idx)
    pct = combine.score_percentile(c.score)
    top_features = (
        [
            ", ".join(
                f"{n} {v:.0%}" for n, v in row.sort_values(ascending=False).head(3).items() if v > 0
            )
            for _, row in shares.iterrows()
        ]
        if len(shares.columns)
        else [""] * len(idx)
    )
    model_reason = pd.Series(
        [
            _model_sentence(version, pk, ap, rs, ev, tf)
            for pk, ap, rs, ev, tf in zip(
                c.model_probability,
                applies,
                domain["model_domain_reason"],
                c.model,
                top_features,
                strict=True,
            )
        ],
        index=idx,
        dtype="object",
    )
    columns_ = pd.DataFrame(
        {
            "model_applies": applies.astype(bool) if model is not None else False,
            "model_domain_reason": domain["model_domain_reason"].where(~applies, ""),
            "score_percentile": pct.round(1),
            "score_low": low.round(4),
            "score_high": high.round(4),
        },
        index=idx,
    )
    context = ScoreContext(
        tiers=tiers,
        peer_percentile=c.peer_percentile,
        peer_label=c.peer_label,
        model_reason=model_reason,
        columns=columns_,
    )
    frame = features[[col for col in ID_COLUMNS if col in features.columns]].copy()
    frame["score"] = c.score.round(4)
    frame = frame.join(columns_)
    frame["tier"] = tiers
    frame["rank"] = rank
    frame["reasons"] = _reasons(features, contrib, context) if reasons else None
    return Scored(frame, c, contrib, context, tie_break, version)


def _reasons(features: pd.DataFrame, contrib: pd.DataFrame, context: ScoreContext) -> pd.Series:
    """Every alert reason of each row as one string ("; " between reasons)."""
    evidence = explain(_alert_frame(features), contrib, context)
    return pd.Series(
        ["; ".join(e.reason for e in row) for row in evidence], index=features.index, dtype="object"
    )


def _alert_frame(features: pd.DataFrame) -> pd.DataFrame:
    """``features`` with the columns an alert needs, filled where a table lacks them
    (GFW's labelled table has no MMSI, positions' times or identity flags)."""
    f = features.copy()
    defaults: dict[str, Any] = {
        "mmsi": "000000000",
        "year": 2000,
        "shipname": None,
        "flag_iso3": None,
        "mmsi_valid": True,
        "iuu_listed": False,
        "position_messages": 0,
        "days_observed": 0,
        "first_timestamp": pd.Timestamp("2000-01-01", tz="UTC"),
        "last_timestamp": pd.Timestamp("2000-01-01", tz="UTC"),
        "last_lat": None,
        "last_lon": None,
    }
    for col, value in defaults.items():
        if col not in f.columns:
            f[col] = value
    f["mmsi"] = f["mmsi"].astype(str).str.zfill(9).str[:9]
    f["position_messages"] = ind.numeric(f, "position_messages").fillna(0)
    f["mmsi_valid"] = f["mmsi_valid"].astype("boolean").fillna(True).astype(bool)
    f["iuu_listed"] = f["iuu_listed"].astype("boolean").fillna(False).astype(bool)
    for col in ("first_timestamp", "last_timestamp"):
        f[col] = pd.to_datetime(f[col], utc=True).fillna(pd.Timestamp("2000-01-01", tz="UTC"))
    return f


FEATURE_UPPER_BOUNDS: dict[str, float] = {
    "position_messages": 10**9,
    "days_observed": 366,
    "max_voyage_duration_hours": 1e6,
    "max_distance_from_port_km": 25000,
    "gaps_12_hours": 100000,
    "number_carrier_encounters": 100000,
    "n_shipnames": 100000,
}
"""Upper bounds of features beyond :class:`VesselFeatureSchema`'s, the one definition
``vessel-risk score`` and the API's ``/models/score``
(:class:`vessel_risk.api.models.FeatureRowCreate`) both enforce."""


def feature_bounds() -> dict[str, tuple[float | None, float | None]]:
    """The lowest and highest possible value of each numeric vessel-year feature.

    From :class:`~vessel_risk.features.schemas.VesselFeatureSchema`'s checks (counts,
    hours and distances are at least 0, ``average_daily_fishing_hours`` at most 24...)
    and :data:`FEATURE_UPPER_BOUNDS`.

    Returns
    -------
    dict of str to (low or None, high or None)
    """
    bounds: dict[str, tuple[float | None, float | None]] = {}
    for name, column in VesselFeatureSchema.to_schema().columns.items():
        low = high = None
        for check in column.checks:
            stats = check.statistics or {}
            if check.name in ("greater_than_or_equal_to", "in_range"):
                low = stats.get("min_value", low)
            if check.name in ("less_than_or_equal_to", "in_range"):
                high = stats.get("max_value", high)
        if name in FEATURE_UPPER_BOUNDS:
            high = FEATURE_UPPER_BOUNDS[name]
        if low is not None or high is not None:
            bounds[name] = (low, high)
    return bounds


def check_feature_table(features: pd.DataFrame) -> None:
    """Refuse a vessel-year table holding impossible values, before anything is scored.

    An infinite value (``inf``, ``-inf``, ``1e999`` in a CSV) in any numeric column, or a
    value outside :func:`feature_bounds` (a negative count or number of hours, more than
    24 fishing hours a day, more than 366 days observed...), would rank a vessel on a
    number that cannot be. Missing values (NaN) are allowed: not evaluable.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        As :func:`score_frame`.

    Raises
    ------
    ValueError
        Naming each offending column with its number of rows and the bound broken, and
        how many of the table's rows hold any of them.
    """
    bounds = feature_bounds()
    problems: list[str] = []
    bad_rows = np.zeros(len(features), dtype=bool)
    for name in features.columns:
        col = features[name]
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            continue
        values = col.to_numpy(dtype="float64", na_value=np.nan)
        infinite = np.isinf(values)
        low, high = bounds.get(str(name), (None, None))
        with np.errstate(invalid="ignore"):
            below = ~infinite & (values < low) if low is not None else np.zeros_like(infinite)
            above = ~infinite & (values > high) if high is not None else np.zeros_like(infinite)
        what = [
            f"{int(mask.sum())} {label}"
            for mask, label in (
                (infinite, "infinite"),
                (below, f"below {low:g}" if low is not None else ""),
                (above, f"above {high:g}" if high is not None else ""),
            )
            if mask.any()
        ]
        if what:
            problems.append(f"{name} ({', '.join(what)})")
            bad_rows |= infinite | below | above
    if problems:
        raise ValueError(
            f"{int(bad_rows.sum())} of {len(features)} rows hold impossible values: "
            f"{'; '.join(problems)}. Correct or remove those rows; nothing was scored."
        )


def score_frame(
    features: pd.DataFrame, model: Any | None, model_version: str | None
) -> pd.DataFrame:
    """Score any vessel-year table: what ``vessel-risk score``, the API's ``/models/score``
    and the pipeline's alerts share.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        A run's vessel-year features or GFW's labelled table (absent columns are unknown).
    model : fitted estimator or None
        None scores with identity and indicator evidence only (the baseline).
    model_version : str or None

    Returns
    -------
    DataFrame of shape (n, ...)
        The input's identifying columns (``vessel_id``, ``mmsi``, ``track_id``, ``year``
        where present), then ``score``, ``model_applies``, ``model_domain_reason`` ("" where
        the model applies), ``score_percentile`` (0..100 within the table), ``score_low``,
        ``score_high`` (spread over the model's bags where it applies, else NaN), ``tier``,
        ``rank`` (1 = highest) and ``reasons`` (one string), indexed like ``features``.
    """
    return score_table(features, model, model_version).frame


def score_alerts(
    features: pd.DataFrame,
    model: Any | None,
    model_version: str | None,
    *,
    voyages: pd.DataFrame | None = None,
) -> tuple[list[Alert], str]:
    """Ranked alerts of vessel-year features and the name of what scored them.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        Vessel-year features (:class:`~vessel_risk.features.schemas.VesselFeatureSchema`).
    model : fitted estimator or None
        A trained risk model; None scores with identity and indicator evidence only.
    model_version : str or None
        How alerts name the model (default: the class name).
    voyages : DataFrame, optional
        The run's voyages: reasons then say what bounds the longest voyage
        (:func:`vessel_risk.alerts.build.longest_voyage_ends`).

    Returns
    -------
    alerts : list of Alert, length n, ranked by score
    version : str
        The scorer's name, as every alert carries it.
    """
    scored = score_table(features, model, model_version, reasons=False)
    f = features
    if voyages is not None and len(features):
        ends = longest_voyage_ends(voyages)
        f = features.copy()
        key = f[["mmsi", "year"]].assign(track_id=f["track_id"] if "track_id" in f else 0)
        merged = key.merge(ends, on=["mmsi", "track_id", "year"], how="left")
        f["longest_voyage_from"] = merged["longest_voyage_from"].to_numpy()
        f["longest_voyage_to"] = merged["longest_voyage_to"].to_numpy()
    alerts = build_alerts(
        f,
        scored.combined.score,
        scored.contrib,
        model_version=scored.version,
        tie_break=scored.tie_break,
        context=scored.context,
    )
    return alerts, scored.version


def score_with_model(model: Any, features: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Scores and per-feature evidence of a trained model on vessel-year features.

    Parameters
    ----------
    model : fitted estimator
        With ``feature_names_in_`` and ``predict_proba``; with ``explain`` (LightGBM
        ``pred_contrib``) the evidence is each feature's share of what raised the score,
        otherwise there is none.
    features : DataFrame of shape (n, k)

    Returns
    -------
    scores : Series of shape (n,) in [0, 1]
        The model's own probability (unknown features stay NaN), before the combination.
    contrib : DataFrame of shape (n, n_model_features)
    """
    names = [str(f) for f in model.feature_names_in_]
    X = model_input(features, names)
    if len(X) == 0:
        return pd.Series(dtype=float, index=features.index), pd.DataFrame(index=features.index)
    scores = pd.Series(model.predict_proba(X)[:, 1], index=features.index)
    explained = hasattr(model, "explain")
    contrib = evidence_shares(model.explain(X)) if explained else pd.DataFrame(index=features.index)
    return scores, contrib


@dataclass(frozen=True)
class Scorer:
    """What scores a run's alerts, and why (:func:`choose_scorer`).

    Attributes
    ----------
    model : fitted estimator or None
        The champion; None for the indicator baseline.
    version : str
        How alerts name it.
    note : str
        One sentence for the person running the job: which scorer and why.
    """

    model: Any | None
    version: str
    note: str


def choose_scorer(scorer: str, mlflow_tracking_uri: str) -> Scorer:
    """The model registry's champion where it can score a run, else the indicator baseline.

    Parameters
    ----------
    scorer : {"champion", "baseline"}
        As :attr:`vessel_risk.pipeline.config.RunConfig.scorer`.
    mlflow_tracking_uri : str
        The model registry.

    Returns
    -------
    Scorer
        The baseline when asked for, when there is no champion, or when the champion
        needs features the pipeline does not produce (it was trained with
        ``--features all``); the note says which case.
    """
    baseline = ind.BASELINE_VERSION
    if scorer == "baseline":
        return Scorer(
            None, baseline, f"Scoring with the indicator baseline ({baseline}): --baseline."
        )
    champion = load_champion(mlflow_tracking_uri)
    if champion is None:
        return Scorer(
            None,
            baseline,
            f"No champion model in {mlflow_tracking_uri!r}: scoring with the indicator "
            f"baseline ({baseline}). Train and promote one with `vessel-risk train` and "
            "`vessel-risk promote`.",
        )
    missing = sorted(set(champion.features) - set(columns(VesselFeatureSchema)))
    if missing:
        return Scorer(
            None,
            baseline,
            f"[yellow]note:[/yellow] the champion {champion.label} needs features the "
            f"pipeline does not produce ({', '.join(missing)}): scoring with the indicator "
            f"baseline ({baseline}). Train with `--features pipeline` to score AIS runs.",
        )
    return Scorer(
        champion.model, champion.label, f"Scoring with the champion model {champion.label}."
    )


def fishing_note(fishing_model: FishingModel | None, directory: Path | None) -> str:
    """One sentence on how fishing is scored where GFW's ``nnet_score`` is absent."""
    if fishing_model is None:
        return (
            f"No fishing model in {str(directory)!r}: fishing hours without GFW's nnet_score "
            "are estimated by the speed heuristic. Train one with `vessel-risk train-fishing`."
        )
    return (
        f"Fishing hours without GFW's nnet_score are estimated by the classifier "
        f"{fishing_model.label} from {str(directory)!r}."
    )
