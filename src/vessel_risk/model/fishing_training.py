"""Training the fishing classifier on positions that carry GFW's fishing score.

The run-time side (movement features, :class:`~vessel_risk.events.fishing.FishingClassifier`,
the heuristic, :func:`~vessel_risk.events.fishing.fishing_scores` and
:func:`~vessel_risk.events.fishing.load_fishing_model`) is :mod:`vessel_risk.events.fishing`;
this module trains and judges the classifier and writes the model files it loads:

* :func:`labelled_positions` and :func:`training_vessels`: the positions and vessels that
  can train it (GFW's ``nnet_score > 0.5`` as the label, Kroodsma et al. 2018);
* :func:`leave_one_vessel_out`: honest evaluation, holding out whole vessels (a random
  split of positions scores near perfect and means nothing, since neighbouring positions of
  one vessel are nearly the same row);
* :func:`train_fishing_model`: evaluation, then the classifier trained on every vessel,
  with its card (version, data fingerprint, held-out F1);
* :func:`save_fishing_model`: ``model.txt`` (LightGBM text model) and ``card.json``
  (``vessel-risk train-fishing``; the shipped model is ``vessel_risk/events/fishing_model``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from vessel_risk.events.fishing import (
    CARD_FILE,
    FEATURES,
    FISHING_SCORE_THRESHOLD,
    MODEL_FILE,
    MODEL_VERSION,
    FishingClassifier,
    FishingModel,
    movement_features,
)

MIN_TRAINING_POSITIONS = 1000
"""A vessel joins training (and is held out once) when it has at least this many
positions with ``nnet_score`` and speed, and both fishing and non-fishing ones."""


def leave_one_vessel_out(
    positions: pd.DataFrame, vessels: list[str], estimator: FishingClassifier | None = None
) -> dict[str, float]:
    """F1 of fishing prediction for each vessel, held out in turn.

    Parameters
    ----------
    positions : DataFrame
        Cleaned positions with ``nnet_score``, sorted by ``mmsi``, ``timestamp``.
    vessels : list of str
        MMSIs that carry GFW's score; each is the test set once, the others train.
    estimator : FishingClassifier, optional

    Returns
    -------
    dict
        ``{mmsi: F1}`` plus ``"mean"``.
    """
    p = positions[positions["nnet_score"].notna() & positions["speed_knots"].notna()]
    X = movement_features(p)
    y = (p["nnet_score"] > FISHING_SCORE_THRESHOLD).astype(int).to_numpy()
    mmsi = p["mmsi"].to_numpy(dtype=object)
    scores: dict[str, float] = {}
    for v in vessels:
        train = (mmsi != v) & np.isin(mmsi, vessels)
        test = mmsi == v
        model = FishingClassifier() if estimator is None else estimator
        model.fit(X[train], y[train])
        scores[v] = float(f1_score(y[test], model.predict(X[test])))
    scores["mean"] = float(np.mean([scores[v] for v in vessels]))
    return scores


def labelled_positions(positions: pd.DataFrame) -> pd.DataFrame:
    """Positions that can train the classifier: ``nnet_score`` and speed present."""
    if "nnet_score" not in positions.columns:
        return positions.iloc[0:0]
    return positions[positions["nnet_score"].notna() & positions["speed_knots"].notna()]


def training_vessels(
    positions: pd.DataFrame, *, min_positions: int = MIN_TRAINING_POSITIONS
) -> list[str]:
    """MMSIs with enough labelled positions of both classes to train and be held out.

    Parameters
    ----------
    positions : DataFrame
        Cleaned positions, possibly with ``nnet_score``.
    min_positions : int, default 1000

    Returns
    -------
    list of str, sorted.
    """
    p = labelled_positions(positions)
    fishing = p["nnet_score"] > FISHING_SCORE_THRESHOLD
    g = fishing.groupby(p["mmsi"])
    ok = (g.size() >= min_positions) & (g.sum() > 0) & (g.sum() < g.size())
    return sorted(str(m) for m in ok[ok].index)


def training_fingerprint(positions: pd.DataFrame, vessels: list[str]) -> str:
    """SHA-256 of the labelled positions of ``vessels``: MMSI, time, speed, course, label.

    Two trainings with the same fingerprint saw the same data.
    """
    p = labelled_positions(positions)
    p = p[p["mmsi"].isin(vessels)].sort_values(["mmsi", "timestamp"], kind="stable")
    h = hashlib.sha256()
    h.update(p["mmsi"].astype(str).str.cat().encode())
    h.update(p["timestamp"].astype("int64").to_numpy().tobytes())
    h.update(p["speed_knots"].to_numpy(dtype="float64").tobytes())
    h.update(p["course"].fillna(-1).to_numpy(dtype="float64").tobytes())
    h.update((p["nnet_score"] > FISHING_SCORE_THRESHOLD).to_numpy().tobytes())
    return "sha256:" + h.hexdigest()


def train_fishing_model(
    positions: pd.DataFrame,
    *,
    vessels: list[str] | None = None,
    estimator: FishingClassifier | None = None,
    data_source: str = "",
) -> FishingModel:
    """Hold out each labelled vessel in turn, then train on all of them.

    Parameters
    ----------
    positions : DataFrame
        Cleaned positions sorted by ``mmsi``, ``timestamp``, with ``nnet_score`` on
        some and ``distance_from_shore_km``.
    vessels : list of str, optional
        MMSIs to train on; default :func:`training_vessels`.
    estimator : FishingClassifier, optional
        Parameters to use (default: the class defaults).
    data_source : str, optional
        Where the positions came from, recorded in the card.

    Returns
    -------
    FishingModel
        The classifier trained on every vessel, and a card with ``lovo_f1`` per
        vessel, ``lovo_f1_mean``, the training data's fingerprint and size.

    Raises
    ------
    ValueError
        If fewer than two vessels qualify (leave-one-vessel-out needs two).
    """
    import lightgbm

    vessels = sorted(vessels) if vessels is not None else training_vessels(positions)
    if len(vessels) < 2:
        raise ValueError(
            "The 'positions' parameter of train_fishing_model must hold at least two vessels "
            f"with {MIN_TRAINING_POSITIONS}+ positions carrying nnet_score and speed, with "
            f"both fishing and non-fishing ones. Got {vessels} instead."
        )
    base = estimator if estimator is not None else FishingClassifier()
    lovo = leave_one_vessel_out(positions, vessels, estimator=base)
    p = labelled_positions(positions)
    p = p[p["mmsi"].isin(vessels)]
    y = (p["nnet_score"] > FISHING_SCORE_THRESHOLD).astype(int)
    model = FishingClassifier(**base.get_params()).fit(movement_features(p), y.to_numpy())
    card: dict[str, Any] = {
        "version": MODEL_VERSION,
        "target": f"GFW nnet_score > {FISHING_SCORE_THRESHOLD} (Kroodsma et al. 2018)",
        "features": FEATURES,
        "params": base.get_params(),
        "lightgbm_version": lightgbm.__version__,
        "data_source": data_source,
        "training_positions": int(len(p)),
        "training_fishing_share": round(float(y.mean()), 4),
        "training_positions_by_vessel": {
            str(k): int(v) for k, v in p.groupby("mmsi").size().items()
        },
        "training_fingerprint": training_fingerprint(positions, vessels),
        "evaluation": "leave one vessel out: each vessel held out once, the others train",
        "lovo_f1": {v: round(lovo[v], 4) for v in vessels},
        "lovo_f1_mean": round(lovo["mean"], 4),
    }
    return FishingModel(model, card)


def save_fishing_model(model: FishingModel, directory: Path) -> Path:
    """Write ``model.txt`` (LightGBM text model) and ``card.json`` into ``directory``.

    Returns
    -------
    Path
        ``directory``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    model.classifier.booster_.save_model(str(directory / MODEL_FILE))
    (directory / CARD_FILE).write_text(json.dumps(model.card, indent=2) + "\n", encoding="utf-8")
    return directory
