"""Fishing activity per position: the score the pipeline uses, from the best source at hand.

Global Fishing Watch scores each position with a neural network (``nnet_score``,
Kroodsma et al. 2018) and counts a position as fishing when the score exceeds 0.5.
Where that score is absent (any AIS not processed by GFW), :class:`FishingClassifier`
predicts it from movement alone (:func:`movement_features`): speed, its variability over
the surrounding hours, turning, and whether it is night at the vessel's position (squid
jiggers fish drifting at night under lights). It follows the scikit-learn estimator
contract; without a trained classifier, :func:`heuristic_fishing` guesses from speed.
:func:`fishing_scores` picks the source per position, and :func:`load_fishing_model`
reads a trained model; :func:`packaged_model_dir` is the one shipped inside the package.

Training the classifier on positions that carry GFW's score, its leave-one-vessel-out
evaluation and writing the model files are :mod:`vessel_risk.model.fishing_training`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.indexers import BaseIndexer
from sklearn.base import BaseEstimator, ClassifierMixin

from vessel_risk.events.forest import CompiledForest
from vessel_risk.geo.tracks import same_vessel_as_previous

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


class _TrackWindows(BaseIndexer):
    """Rolling windows of some hours of time up to each row, within its vessel track.

    The bounds pandas' ``groupby(vessel).rolling("<hours>h")`` uses (rows with a time
    in ``(t - hours, t]`` of the same vessel, up to the row itself), found for all rows
    at once by binary search, so one rolling pass over the whole frame gives the same
    values without a pass per vessel (issue 15).

    Parameters
    ----------
    vessel : ndarray of int, shape (n,)
        Track number of each row, non-decreasing.
    t_ns : ndarray of int64, shape (n,)
        Times in ns, non-decreasing within each track.
    """

    def __init__(self, vessel: npt.ArrayLike, t_ns: npt.NDArray[np.int64]) -> None:
        super().__init__()
        self._t = t_ns
        ordered = np.sort(t_ns)
        self._times = ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(t_ns) else ordered
        # Rows keyed by (track, rank of time): increasing over the whole frame.
        self._base = np.asarray(vessel, dtype="int64") * (len(self._times) + 1)
        self._key = self._base + np.searchsorted(self._times, t_ns)
        self._start = self._end = np.arange(1, len(t_ns) + 1, dtype="int64")
        self._starts: dict[float, npt.NDArray[np.int64]] = {}

    def hours(self, hours: float) -> _TrackWindows:
        """These windows set to ``hours`` (h) of time (each size searched once)."""
        start = self._starts.get(hours)
        if start is None:
            ns = int(hours * 3_600_000_000_000)
            first = np.searchsorted(self._times, self._t - ns, "right")
            start = np.searchsorted(self._key, self._base + first, side="left").astype("int64")
            self._starts[hours] = start
        self._start = start
        return self

    def get_window_bounds(
        self,
        num_values: int = 0,
        min_periods: int | None = None,
        center: bool | None = None,
        closed: str | None = None,
        step: int | None = None,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Start and end (exclusive) row of each row's window."""
        return self._start, self._end


_MOVEMENT_COLUMNS = frozenset(
    ("mmsi", "track_id", "timestamp", "speed_knots", "course", "lon", "distance_from_shore_km")
)
"""The columns :func:`movement_features` reads."""


def movement_features(positions: pd.DataFrame) -> pd.DataFrame:
    """Per-position features for fishing classification.

    Parameters
    ----------
    positions : DataFrame
        Sorted by ``mmsi``, ``track_id`` (optional), ``timestamp``; ``speed_knots``,
        ``course``, ``lon``, ``distance_from_shore_km``.

    Returns
    -------
    DataFrame of shape (n, len(FEATURES)), aligned with ``positions``. Rolling
    windows cover the given hours of time (not rows) up to each position, per vessel
    track (two tracks of one MMSI are two vessels here).
    """
    p = positions
    same = same_vessel_as_previous(p)
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
    vessel = np.cumsum(~same)
    t_ns = p["timestamp"].to_numpy(dtype="datetime64[ns]").view("int64")
    speed = pd.Series(out["speed_knots"].to_numpy())
    turns = pd.Series(turn)
    windows = _TrackWindows(vessel, t_ns)
    for w in WINDOWS_H:
        # Windows of w hours of time (not rows) up to each position, per vessel.
        window = windows.hours(w)
        out[f"speed_std_{w}h"] = speed.rolling(window, min_periods=1).std().to_numpy()
        out[f"turn_mean_{w}h"] = turns.rolling(window, min_periods=1).mean().to_numpy()
    # Speed relative to the vessel's own habits: gears fish at different speeds.
    out["speed_rank_in_vessel"] = speed.groupby(vessel).rank(pct=True).to_numpy()
    night_speed = pd.Series(np.where(out["night"] == 1, out["speed_knots"], np.nan))
    out["speed_rank_night"] = night_speed.groupby(vessel).rank(pct=True).to_numpy()
    rank = pd.Series(out["speed_rank_in_vessel"].to_numpy())
    for w in RANK_WINDOWS_H:
        out[f"speed_rank_mean_{w}h"] = (
            rank.rolling(windows.hours(w), min_periods=1).mean().to_numpy()
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
    booster_ : lightgbm.Booster
        The fitted trees (saved and loaded as LightGBM's text model by
        :func:`vessel_risk.model.fishing_training.save_fishing_model` and
        :func:`load_fishing_model`).
    classes_ : ndarray of shape (2,)
    compiled_ : CompiledForest, optional
        The same trees compiled to machine code (:mod:`vessel_risk.events.forest`), set
        by :func:`load_fishing_model`; :meth:`predict_proba` uses it where it is set.
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
        self.booster_ = (
            lgb.LGBMClassifier(
                n_estimators=self.n_estimators,
                learning_rate=self.learning_rate,
                num_leaves=self.num_leaves,
                random_state=self.random_state,
                verbose=-1,
            )
            .fit(X[FEATURES], labels)
            .booster_
        )
        return self

    @classmethod
    def from_booster(cls, booster: Any) -> FishingClassifier:
        """A fitted classifier around trees loaded from a LightGBM text model.

        Parameters
        ----------
        booster : lightgbm.Booster
            Trained on :data:`FEATURES`, in that order.

        Returns
        -------
        FishingClassifier

        Raises
        ------
        ValueError
            If the booster's features are not :data:`FEATURES`.
        """
        names = list(booster.feature_name())
        if names != FEATURES:
            raise ValueError(
                "The 'booster' parameter of FishingClassifier.from_booster must be trained on "
                f"{FEATURES}. Got {names} instead."
            )
        model = cls()
        model.booster_ = booster
        model.classes_ = np.array([0, 1])
        return model

    def predict_proba(self, X: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Probabilities of (not fishing, fishing), shape (n_samples, 2).

        With ``compiled_`` (a :class:`~vessel_risk.events.forest.CompiledForest` of the
        same trees, set by :func:`load_fishing_model`) the compiled trees predict;
        otherwise, or where they cannot be compiled, LightGBM (equal within 1e-15).
        """
        values = X[FEATURES].to_numpy(dtype="float64")
        compiled = getattr(self, "compiled_", None)
        p = compiled.predict(values) if compiled is not None else None
        if p is None:
            p = np.asarray(self.booster_.predict(values), dtype="float64")
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> npt.NDArray[np.int_]:
        """1 where fishing, shape (n_samples,)."""
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


# --- Where a position's fishing score comes from -------------------------------------

SOURCE_NNET = "nnet_score"
SOURCE_CLASSIFIER = "classifier"
SOURCE_HEURISTIC = "heuristic"
FISHING_SOURCES = (SOURCE_NNET, SOURCE_CLASSIFIER, SOURCE_HEURISTIC)
"""Sources of a fishing score, most to least certain: GFW's own per-position neural
network (Kroodsma et al. 2018), our classifier trained on it (leave-one-vessel-out F1
in the model card), then the speed heuristic."""

HEURISTIC_SPEED_RANGES_KN: dict[str, tuple[float, float]] = {"squid_jigger": (0.0, 5.0)}
"""Speed range (knots, low inclusive, high exclusive) in which a gear is taken to be
fishing. Squid jiggers fish drifting or slowly steaming under lights at night (FAO gear
type "vertical lines: mechanised squid jigging"; GFW's first, heuristic fishing model:
the chance of fishing falls with mean speed). The range was measured on GFW's own
``nnet_score > 0.5`` labels in the squid-jigger file (Kroodsma et al. 2018): 95 % of the
three labelled vessels' fishing positions are below 4.9 kn, their median transit speed
is 8-9 kn. On those same vessels (in-sample, so optimistic) the rule scores F1 0.84,
0.69 and 0.98 (150402951, 150402944, 412334074). No other gear has a range: a
gear's range must come with its source before it is added."""
HEURISTIC_MIN_SHORE_KM = 5.0
"""The heuristic never counts positions within 5 km of shore (ports, anchorages, where
vessels are slow but do not fish); GFW's fishing query likewise drops slow positions
near shore (< 1 km, < 1 kn)."""


def heuristic_fishing(
    positions: pd.DataFrame, *, gear: str = "squid_jigger"
) -> npt.NDArray[np.float64]:
    """Fishing (1.0) or not (0.0) from speed alone, the documented fallback.

    Parameters
    ----------
    positions : DataFrame of shape (n, k)
        With ``speed_knots`` and ``distance_from_shore_km``.
    gear : str, default "squid_jigger"
        A key of :data:`HEURISTIC_SPEED_RANGES_KN`.

    Returns
    -------
    ndarray of shape (n,)
        1.0 where speed is in the gear's range and the position is more than
        :data:`HEURISTIC_MIN_SHORE_KM` from shore, 0.0 elsewhere, NaN without speed.

    Raises
    ------
    ValueError
        If ``gear`` has no documented range.
    """
    if gear not in HEURISTIC_SPEED_RANGES_KN:
        raise ValueError(
            "The 'gear' parameter of heuristic_fishing must be one of "
            f"{sorted(HEURISTIC_SPEED_RANGES_KN)}. Got {gear!r} instead."
        )
    low, high = HEURISTIC_SPEED_RANGES_KN[gear]
    speed = positions["speed_knots"].to_numpy(dtype="float64")
    shore = positions["distance_from_shore_km"].to_numpy(dtype="float64")
    fishing = (speed >= low) & (speed < high) & (shore > HEURISTIC_MIN_SHORE_KM)
    return np.where(np.isnan(speed), np.nan, fishing.astype("float64"))


def fishing_scores(
    positions: pd.DataFrame, classifier: FishingClassifier | None = None
) -> pd.DataFrame:
    """A fishing score per position from the best source available.

    GFW's ``nnet_score`` where the position carries one; otherwise the classifier's
    probability when a classifier is given; otherwise :func:`heuristic_fishing` (0 or
    1). A position is fishing when its score exceeds :data:`FISHING_SCORE_THRESHOLD`.

    Parameters
    ----------
    positions : DataFrame of shape (n, k)
        Sorted by ``mmsi``, ``timestamp`` (the classifier's windows run per vessel);
        ``speed_knots``, ``course``, ``lon``, ``distance_from_shore_km`` and
        optionally ``nnet_score``.
    classifier : FishingClassifier, optional
        A fitted classifier (:func:`load_fishing_model`).

    Returns
    -------
    DataFrame of shape (n, 2), aligned with ``positions``
        ``fishing_score`` (float in [0, 1], NaN where no source can score the
        position: no ``nnet_score`` and no speed) and ``fishing_source`` (one of
        :data:`FISHING_SOURCES`, null where the score is NaN).
    """
    n = len(positions)
    nnet = (
        positions["nnet_score"].to_numpy(dtype="float64")
        if "nnet_score" in positions.columns
        else np.full(n, np.nan)
    )
    has_nnet = ~np.isnan(nnet)
    has_speed = positions["speed_knots"].notna().to_numpy()
    score = nnet.copy()
    # Index of each position's source in FISHING_SOURCES, -1 for none.
    source = np.full(n, -1)
    source[has_nnet] = FISHING_SOURCES.index(SOURCE_NNET)
    rest = ~has_nnet & has_speed
    if rest.any():
        if classifier is not None:
            # Windows and ranks are computed on every position of the vessel, so a
            # vessel's few unscored positions see their neighbours.
            # The trees score only the positions that need it (a row's probability
            # does not depend on the other rows predicted with it).
            need = positions["mmsi"].isin(positions.loc[rest, "mmsi"].unique()).to_numpy()
            # Only the columns the features read are copied (not names and the like).
            cols = [c for c in positions.columns if c in _MOVEMENT_COLUMNS]
            features = movement_features(positions.loc[need, cols])
            score[rest] = classifier.predict_proba(features[rest[need]])[:, 1]
            source[rest] = FISHING_SOURCES.index(SOURCE_CLASSIFIER)
        else:
            score[rest] = heuristic_fishing(positions)[rest]
            source[rest] = FISHING_SOURCES.index(SOURCE_HEURISTIC)
    return pd.DataFrame(
        {
            "fishing_score": score,
            "fishing_source": pd.array(FISHING_SOURCES, dtype="string").take(
                source, allow_fill=True
            ),
        },
        index=positions.index,
    )


# --- The saved model: files, card, loading -------------------------------------------

MODEL_VERSION = "fishing-lgbm-1"
MODEL_FILE = "model.txt"
CARD_FILE = "card.json"


@dataclass
class FishingModel:
    """A trained fishing classifier and its card (version, data, held-out F1)."""

    classifier: FishingClassifier
    card: dict[str, Any] = field(default_factory=dict)

    def compile(self, *, background: bool = False) -> None:
        """Load or compile the classifier's trees to machine code now
        (:class:`~vessel_risk.events.forest.CompiledForest`; cached, so once per machine),
        or with ``background`` on a thread while the caller goes on. A no-op for a
        classifier without compiled trees."""
        compiled = getattr(self.classifier, "compiled_", None)
        if compiled is None:
            return
        if background:
            compiled.compile_in_background()
        else:
            compiled.ready()

    @property
    def label(self) -> str:
        """How reports name the model, e.g. ``fishing-lgbm-1 (LOVO F1 0.76)``."""
        f1 = self.card.get("lovo_f1_mean")
        tail = f" (LOVO F1 {f1:.2f})" if isinstance(f1, float) else ""
        return f"{self.card.get('version', MODEL_VERSION)}{tail}"


PACKAGED_MODEL = "fishing_model"
"""The folder of ``vessel_risk.events`` holding the shipped classifier (package data)."""


def packaged_model_dir() -> Path:
    """The folder of the fishing classifier shipped inside the package.

    Read with :mod:`importlib.resources`, so it is found wherever the package is
    installed and whatever the working folder (a wheel carries it as package data).

    Returns
    -------
    Path
        ``vessel_risk/events/fishing_model`` (``model.txt``, ``card.json``).

    Raises
    ------
    RuntimeError
        If the package is installed in a form without real files (a zip archive).
    """
    from importlib import resources

    folder = resources.files("vessel_risk.events") / PACKAGED_MODEL
    if not isinstance(folder, Path):
        raise RuntimeError(
            f"vessel_risk is installed without real files ({folder!r}); install it from "
            "a wheel or source, or set VESSEL_RISK_FISHING_MODEL_DIR."
        )
    return folder


def load_fishing_model(directory: Path) -> FishingModel | None:
    """The fishing model in ``directory``, or None if there is none.

    Reads ``model.txt`` and ``card.json`` as
    :func:`vessel_risk.model.fishing_training.save_fishing_model` writes them.

    Raises
    ------
    ValueError
        If the files exist but are not a fishing model of :data:`FEATURES`.
    """
    import lightgbm

    path = directory / MODEL_FILE
    if not path.exists():
        return None
    card_path = directory / CARD_FILE
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
    try:
        booster = lightgbm.Booster(model_file=str(path))
    except lightgbm.basic.LightGBMError as exc:
        raise ValueError(f"{str(path)!r} is not a LightGBM model: {exc}") from exc
    classifier = FishingClassifier.from_booster(booster)
    classifier.compiled_ = CompiledForest(path.read_text(encoding="utf-8"))
    return FishingModel(classifier, card)
