"""Fishing activity per position: a classifier the project trains, and a fallback.

Global Fishing Watch scores each position with a neural network (``nnet_score``,
Kroodsma et al. 2018) and counts a position as fishing when the score exceeds 0.5.
Where that score is absent (any AIS not processed by GFW), :class:`FishingClassifier`
predicts it from movement alone: speed, its variability over the surrounding hours,
turning, distance from shore and whether it is night at the vessel's position
(squid jiggers fish drifting at night under lights). It follows the scikit-learn
estimator contract and is trained on positions that carry GFW's score.

Honest evaluation holds out whole vessels: a random split of positions scores near
perfect and means nothing, since neighbouring positions of one vessel are nearly
the same row.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import f1_score

from vessel_risk.tracks import same_vessel_as_previous

FISHING_SCORE_THRESHOLD = 0.5
"""GFW counts a position as fishing when ``nnet_score`` exceeds 0.5 (Kroodsma et al. 2018)."""

WINDOWS_H = (1, 3, 6, 12)
RANK_WINDOWS_H = (1, 3, 6)
FEATURES = [
    "turn_deg",
    "night",
    "solar_hour_sin",
    "solar_hour_cos",
    *[f"speed_std_{w}h" for w in WINDOWS_H],
    *[f"turn_mean_{w}h" for w in WINDOWS_H],
    "speed_rank_in_vessel",
    "speed_rank_night",
    *[f"speed_rank_mean_{w}h" for w in RANK_WINDOWS_H],
]
"""Features of the classifier. Absolute speed and distance from shore are left out on
purpose: held out by vessel, they taught the model one gear's fishing speed and
grounds (F1 0.21 on a squid jigger that fishes drifting at 0.3 kn near shore); speed
ranked within each vessel's own speeds, and its mean over the last hours, generalises
across gears (F1 0.87 on it)."""


def solar_hour(timestamp: pd.Series, lon: pd.Series) -> npt.NDArray[np.float64]:
    """Local mean solar time in hours [0, 24): UTC hour + longitude / 15.

    Parameters
    ----------
    timestamp : Series of UTC times, shape (n,)
    lon : Series of longitudes in degrees, shape (n,)

    Returns
    -------
    ndarray of shape (n,)
    """
    utc_h = (
        timestamp.dt.hour + timestamp.dt.minute / 60.0 + timestamp.dt.second / 3600.0
    ).to_numpy(dtype="float64")
    return np.mod(utc_h + lon.to_numpy(dtype="float64") / 15.0, 24.0)


def movement_features(positions: pd.DataFrame) -> pd.DataFrame:
    """Per-position features for fishing classification.

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi``, ``timestamp``; ``speed_knots``, ``course``, ``lon``,
        ``distance_from_shore_km``.

    Returns
    -------
    DataFrame of shape (n, len(FEATURES)), aligned with ``positions``. Rolling
    windows cover the given hours of time (not rows) up to each position, per vessel.
    """
    p = positions
    same = same_vessel_as_previous(p["mmsi"])
    course = p["course"].to_numpy(dtype="float64")
    prev = np.concatenate([[np.nan], course[:-1]])
    turn = np.abs((course - prev + 180.0) % 360.0 - 180.0)
    turn[~same] = np.nan
    hour = solar_hour(p["timestamp"], p["lon"].fillna(0.0))
    out = pd.DataFrame(
        {
            "speed_knots": p["speed_knots"].to_numpy(dtype="float64"),
            "turn_deg": turn,
            "distance_from_shore_km": p["distance_from_shore_km"].to_numpy(dtype="float64"),
            "night": ((hour < 6.0) | (hour >= 18.0)).astype("float64"),
            "solar_hour_sin": np.sin(2 * np.pi * hour / 24.0),
            "solar_hour_cos": np.cos(2 * np.pi * hour / 24.0),
        },
        index=p.index,
    )
    frame = pd.DataFrame(
        {
            "vessel": np.cumsum(~same),
            "timestamp": p["timestamp"].to_numpy(dtype="datetime64[ns]"),
            "speed": out["speed_knots"].to_numpy(),
            "turn": turn,
        }
    )
    for w in WINDOWS_H:
        # Windows of w hours of time (not rows) up to each position, per vessel.
        back = (
            frame.set_index("timestamp")
            .groupby("vessel")[["speed", "turn"]]
            .rolling(f"{w}h", min_periods=1)
            .agg(["mean", "std"])
            .reset_index(drop=True)
        )
        out[f"speed_std_{w}h"] = back[("speed", "std")].to_numpy()
        out[f"turn_mean_{w}h"] = back[("turn", "mean")].to_numpy()
    # Speed relative to the vessel's own habits: gears fish at different speeds.
    out["speed_rank_in_vessel"] = (
        pd.Series(out["speed_knots"].to_numpy()).groupby(frame["vessel"]).rank(pct=True).to_numpy()
    )
    night_speed = pd.Series(np.where(out["night"] == 1, out["speed_knots"], np.nan))
    out["speed_rank_night"] = night_speed.groupby(frame["vessel"]).rank(pct=True).to_numpy()
    ranks = frame.assign(rank=out["speed_rank_in_vessel"].to_numpy()).set_index("timestamp")
    for w in RANK_WINDOWS_H:
        out[f"speed_rank_mean_{w}h"] = (
            ranks.groupby("vessel")["rank"].rolling(f"{w}h", min_periods=1).mean().to_numpy()
        )
    return out[FEATURES]


class FishingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts whether a position is fishing, trained on GFW's ``nnet_score > 0.5``.

    Parameters
    ----------
    n_estimators : int, default 300
    learning_rate : float, default 0.05
    num_leaves : int, default 31
    random_state : int, default 0

    Attributes
    ----------
    booster_ : lightgbm.LGBMClassifier
        The fitted model.
    classes_ : ndarray of shape (2,)
    """

    def __init__(
        self,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: npt.ArrayLike) -> FishingClassifier:
        """Fit on features from :func:`movement_features` and 0/1 labels.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, len(FEATURES))
        y : array-like of shape (n_samples,)

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If ``X`` lacks a feature column or ``y`` has one class only.
        """
        import lightgbm as lgb

        missing = [c for c in FEATURES if c not in X.columns]
        if missing:
            raise ValueError(
                f"The 'X' parameter of FishingClassifier.fit must have columns {FEATURES}. "
                f"Got {list(X.columns)} instead (missing {missing})."
            )
        labels = np.asarray(y).astype(int)
        self.classes_ = np.unique(labels)
        if len(self.classes_) < 2:
            raise ValueError(
                "The 'y' parameter of FishingClassifier.fit must hold both classes. "
                f"Got only {self.classes_.tolist()} instead."
            )
        self.booster_ = lgb.LGBMClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            random_state=self.random_state,
            verbose=-1,
        ).fit(X[FEATURES], labels)
        return self

    def predict_proba(self, X: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Probabilities of (not fishing, fishing), shape (n_samples, 2)."""
        return np.asarray(self.booster_.predict_proba(X[FEATURES]), dtype="float64")

    def predict(self, X: pd.DataFrame) -> npt.NDArray[np.int_]:
        """1 where fishing, shape (n_samples,)."""
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


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
