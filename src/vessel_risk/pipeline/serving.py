"""What the registered model answers when MLflow serves it (``mlflow models serve``).

:func:`serve_frame` is the scoring function the served pyfunc
(:class:`vessel_risk.model.pyfunc.VesselRiskModel`) applies: the combination rule of
``vessel-risk score`` (:func:`~vessel_risk.pipeline.scoring.score_table`) on a
vessel-year table, plus the model's own probability. A score is evidence to check,
never proof.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vessel_risk.pipeline.scoring import check_feature_table, score_table


def serve_frame(features: pd.DataFrame, model: Any, model_version: str | None) -> pd.DataFrame:
    """Score rows of a run's vessel-year table as the served model answers them.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        Rows of ``vessel_features.parquet`` (or GFW's labelled table); absent columns
        are unknown (a model feature left out is null, so the model's training domain
        decides whether it applies). Peer percentiles and coverage are derived from
        these rows, as ``vessel-risk score`` derives them from its table.
    model : fitted estimator
        The registered estimator.
    model_version : str or None
        How the reasons name the model.

    Returns
    -------
    DataFrame of shape (n, ...)
        :func:`~vessel_risk.pipeline.scoring.score_frame`'s table with ``probability``
        (the model's probability, NaN where the model does not apply) after the
        identifying columns.

    Raises
    ------
    ValueError
        If a row holds an impossible value
        (:func:`~vessel_risk.pipeline.scoring.check_feature_table`).
    """
    check_feature_table(features)
    missing = [str(f) for f in getattr(model, "feature_names_in_", []) if f not in features]
    if missing:  # left out of the request: unknown, as a null in the table
        features = features.assign(**dict.fromkeys(missing, np.nan))
    scored = score_table(features, model, model_version)
    frame = scored.frame.copy()
    p = pd.Series(scored.combined.model_probability, index=frame.index, dtype="float64")
    frame.insert(list(frame.columns).index("score"), "probability", p.round(6))
    return frame
