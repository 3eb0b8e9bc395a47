"""Scoring a run's vessel-years: the registry's champion or the indicator baseline.

:func:`choose_scorer` decides, once per run, what scores the alerts and says why in a
sentence the entrypoint shows; :func:`score_alerts` scores and ranks the vessel-years.
A score is evidence to check, never proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from vessel_risk.alerts.build import Alert, build_alerts
from vessel_risk.events.fishing import FishingModel
from vessel_risk.features.schemas import VesselFeatureSchema
from vessel_risk.frames import columns
from vessel_risk.identity.vessel_class import scored
from vessel_risk.model import evidence_shares, model_input
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


def score_alerts(
    features: pd.DataFrame, model: Any | None, model_version: str | None
) -> tuple[list[Alert], str]:
    """Ranked alerts of vessel-year features and the name of what scored them.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        Vessel-year features (:class:`~vessel_risk.features.schemas.VesselFeatureSchema`).
    model : fitted estimator or None
        A trained risk model (:func:`score_with_model`); None scores with the
        indicator baseline (:mod:`vessel_risk.model.indicators`).
    model_version : str or None
        How alerts name the model (default: the class name).

    Returns
    -------
    alerts : list of Alert, length n, ranked by score
    version : str
        The scorer's name, as every alert carries it.
    """
    version = ind.BASELINE_VERSION
    tie_break = None
    if model is None:
        scores = ind.indicator_score(features)
        contrib = ind.contributions(features)
    else:
        version = model_version or type(model).__name__
        scores, contrib = score_with_model(model, features)
    if model is not None and hasattr(model, "decision_function") and len(features):
        X = model_input(features, [str(f) for f in model.feature_names_in_])
        tie_break = pd.Series(model.decision_function(X), index=features.index)
    alerts = build_alerts(features, scores, contrib, model_version=version, tie_break=tie_break)
    return alerts, version


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
    contrib : DataFrame of shape (n, n_model_features)
    """
    names = [str(f) for f in model.feature_names_in_]
    X = model_input(features, names)
    if len(X) == 0:
        return pd.Series(dtype=float, index=features.index), pd.DataFrame(index=features.index)
    scores = pd.Series(model.predict_proba(X)[:, 1], index=features.index)
    if hasattr(model, "explain"):
        contrib = evidence_shares(model.explain(X))
    else:
        contrib = pd.DataFrame(index=features.index)
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
