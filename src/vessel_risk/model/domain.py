"""The training domain of a model: the vessel-years it learned from, and a check of new rows.

A model scores only rows like those it was trained on. GFW's labelled table holds
full-year AIS (at least 116 position messages per vessel-year, no nulls); a run over a
sparse fleet holds vessel-years seen a few times on a day, with most features unknown.
A model applied there extrapolates and saturates (issue 14). :func:`fit_domain` records
what the training rows looked like; :meth:`TrainingDomain.check` says, row by row,
whether the model applies and, when not, why, in plain words.

What is recorded, from the training rows:

* **coverage** (:data:`COVERAGE_COLUMNS` present in the frame): the minimum and the
  :data:`COVERAGE_LOW_QUANTILE` quantile. A row below the training minimum is outside.
* **feature ranges**: the :data:`RANGE_QUANTILES` quantiles of each feature, widened by
  :data:`RANGE_TOLERANCE` of their span on each side. A row with more than
  :data:`MAX_OUT_OF_RANGE` features outside their range is outside (one or two extreme
  values are what a risk model is for; many at once means a different kind of vessel-year).
* **null pattern**: the features never null in training. A row where one of them is null
  (unknown) is outside: the model never learned what "unknown" means for it, and a
  null read as 0 makes a vessel seen three times look like one that never visits port.

A model carries its domain as ``model.training_domain_`` (:meth:`TrainingDomain.to_dict`,
builtins only, so skops saves it); :func:`domain_check` checks rows against a model, and a
model without one (registered before domains existed) applies everywhere, saying so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

COVERAGE_COLUMNS = ("position_messages", "days_observed", "observed_share")
"""Columns that say how much data a vessel-year rests on (``docs/features.md``)."""

COVERAGE_LOW_QUANTILE = 0.01
"""Low quantile of coverage recorded besides the minimum (for reports; the check uses the
minimum: a row below every training row is outside by definition)."""

RANGE_QUANTILES = (0.005, 0.995)
"""Quantiles that bound a feature's training range: the central 99 %, so that a single
extreme training row does not stretch the range."""

RANGE_TOLERANCE = 0.1
"""Share of the quantile span added on each side of a feature's range. On GFW's labelled
table (729 vessel-years) with the pipeline features, every row then has at most two
features out of range (``tests/model/test_domain.py``)."""

MAX_OUT_OF_RANGE = 2
"""A row is outside the domain when more than this many features are out of range."""

DOMAIN_VERSION = 1
"""Layout version of :meth:`TrainingDomain.to_dict`."""

NO_DOMAIN_REASON = "no training domain recorded"
"""Reason given for rows scored by a model without a training domain."""

_LISTED = 4
"""Names listed in a reason before "and N more"."""


def _num(v: float) -> str:
    """A value for a reason: integers without decimals, others to 3 significant digits."""
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{int(v)}"
    return f"{v:.3g}"


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_LISTED])
    return shown + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")


def _finite(x: Any) -> float | None:
    v = float(x)
    return v if math.isfinite(v) else None


@dataclass
class TrainingDomain:
    """What the training rows of a model looked like, and a check of new rows against it.

    Build it with :func:`fit_domain`; store it with :meth:`to_dict` and restore it with
    :meth:`from_dict`.

    Attributes
    ----------
    feature_names : list of str
        The model's features.
    n_rows : int
        Training rows the domain was fitted on.
    coverage : dict of str to dict
        Per coverage column: ``{"min": float, "low_quantile": float, "quantile": float}``.
    ranges : dict of str to list of 2 floats
        Per feature with a non-null training value: ``[low, high]``, the
        :data:`RANGE_QUANTILES` quantiles widened by ``tolerance`` of their span.
    never_null : list of str
        Features (and coverage columns) that are never null in training.
    max_out_of_range : int
        More features than this out of range puts a row outside.
    tolerance : float
        The widening used for ``ranges``.
    """

    feature_names: list[str]
    n_rows: int
    coverage: dict[str, dict[str, float]] = field(default_factory=dict)
    ranges: dict[str, list[float]] = field(default_factory=dict)
    never_null: list[str] = field(default_factory=list)
    max_out_of_range: int = MAX_OUT_OF_RANGE
    tolerance: float = RANGE_TOLERANCE

    def to_dict(self) -> dict[str, Any]:
        """The domain as builtins (str, int, float, list, dict): JSON- and skops-safe."""
        return {
            "version": DOMAIN_VERSION,
            "feature_names": [str(f) for f in self.feature_names],
            "n_rows": int(self.n_rows),
            "coverage": {
                str(c): {str(k): float(v) for k, v in d.items()} for c, d in self.coverage.items()
            },
            "ranges": {str(f): [float(lo), float(hi)] for f, (lo, hi) in self.ranges.items()},
            "never_null": [str(f) for f in self.never_null],
            "max_out_of_range": int(self.max_out_of_range),
            "tolerance": float(self.tolerance),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingDomain:
        """The domain :meth:`to_dict` wrote.

        Raises
        ------
        ValueError
            If ``data`` is not a domain of a known layout version.
        """
        if not isinstance(data, Mapping) or data.get("version") != DOMAIN_VERSION:
            raise ValueError(
                "The 'data' parameter of TrainingDomain.from_dict must be a training domain "
                f"of version {DOMAIN_VERSION}. Got {type(data).__name__} of version "
                f"{data.get('version') if isinstance(data, Mapping) else None!r} instead."
            )
        return cls(
            feature_names=list(data["feature_names"]),
            n_rows=int(data["n_rows"]),
            coverage={c: dict(d) for c, d in data["coverage"].items()},
            ranges={f: [float(v[0]), float(v[1])] for f, v in data["ranges"].items()},
            never_null=list(data["never_null"]),
            max_out_of_range=int(data["max_out_of_range"]),
            tolerance=float(data["tolerance"]),
        )

    def check(self, features: pd.DataFrame) -> pd.DataFrame:
        """Whether each row lies in the training domain, and why not.

        A row is outside when any of these holds (each named in the reason):

        1. a coverage column is below its training minimum
           ("position_messages 11 below the training minimum 116");
        2. a feature or coverage column never null in training is null or absent
           ("6 features unknown that training always had: hours, ...");
        3. more than ``max_out_of_range`` features lie outside their training range
           ("3 features outside the training range (at most 2 allowed): ...").

        Parameters
        ----------
        features : DataFrame of shape (n_samples, k)
            Vessel-year rows; missing columns count as null.

        Returns
        -------
        DataFrame of shape (n_samples, 2), indexed like ``features``:
        ``model_applies`` (bool) and ``model_domain_reason`` (str, "" where the model applies).
        """
        n = len(features)
        index = features.index
        reasons: list[list[str]] = [[] for _ in range(n)]

        def col(name: str) -> np.ndarray:
            if name not in features.columns:
                return np.full(n, np.nan)
            return pd.to_numeric(features[name], errors="coerce").to_numpy(dtype="float64")

        for c, stats in self.coverage.items():
            v = col(c)
            floor = stats["min"]
            for i in np.flatnonzero(v < floor):
                reasons[i].append(f"{c} {_num(v[i])} below the training minimum {_num(floor)}")
        if self.never_null:
            nulls = np.column_stack([np.isnan(col(f)) for f in self.never_null])
            for i in np.flatnonzero(nulls.any(axis=1)):
                names = [self.never_null[j] for j in np.flatnonzero(nulls[i])]
                feats = [f for f in names if f in self.feature_names]
                other = [f for f in names if f not in self.feature_names]
                if feats:
                    word = "feature" if len(feats) == 1 else "features"
                    reasons[i].append(
                        f"{len(feats)} {word} unknown that training always had: {_names(feats)}"
                    )
                if other:
                    reasons[i].append(f"coverage unknown that training always had: {_names(other)}")
        if self.ranges:
            names = list(self.ranges)
            vals = np.column_stack([col(f) for f in names])
            lo = np.array([self.ranges[f][0] for f in names])
            hi = np.array([self.ranges[f][1] for f in names])
            below = vals < lo
            above = vals > hi
            out = below | above
            counts = out.sum(axis=1)
            for i in np.flatnonzero(counts > self.max_out_of_range):
                parts = []
                for j in np.flatnonzero(out[i]):
                    side = "above" if above[i, j] else "below"
                    bound = hi[j] if above[i, j] else lo[j]
                    parts.append(f"{names[j]} {_num(vals[i, j])} {side} {_num(bound)}")
                reasons[i].append(
                    f"{int(counts[i])} features outside the training range (at most "
                    f"{self.max_out_of_range} allowed): {_names(parts)}"
                )
        text = ["; ".join(r) for r in reasons]
        return pd.DataFrame(
            {"model_applies": [not r for r in reasons], "model_domain_reason": text}, index=index
        )


def fit_domain(
    features: pd.DataFrame,
    feature_names: Sequence[str],
    *,
    tolerance: float = RANGE_TOLERANCE,
    max_out_of_range: int = MAX_OUT_OF_RANGE,
) -> TrainingDomain:
    """The training domain of the rows a model was fitted on.

    Parameters
    ----------
    features : DataFrame of shape (n_samples, k)
        The training rows: the model's features, and the :data:`COVERAGE_COLUMNS` where
        present (a coverage column that is all null in training is not recorded).
    feature_names : sequence of str
        The model's features; each must be a column of ``features``.
    tolerance : float, default :data:`RANGE_TOLERANCE`
        Share of each feature's quantile span added on each side of its range (>= 0).
    max_out_of_range : int, default :data:`MAX_OUT_OF_RANGE`
        More features than this out of range puts a row outside (>= 0).

    Returns
    -------
    TrainingDomain

    Raises
    ------
    ValueError
        If ``features`` is empty, lacks a feature, or ``tolerance``/``max_out_of_range``
        is negative.
    """
    names = [str(f) for f in feature_names]
    missing = [f for f in names if f not in features.columns]
    if missing:
        raise ValueError(
            "The 'features' parameter of fit_domain must hold every feature. "
            f"Got a frame without {missing} instead."
        )
    if len(features) == 0:
        raise ValueError("The 'features' parameter of fit_domain must hold rows. Got 0 instead.")
    if tolerance < 0 or max_out_of_range < 0:
        raise ValueError(
            "The 'tolerance' and 'max_out_of_range' parameters of fit_domain must be >= 0. "
            f"Got {tolerance!r} and {max_out_of_range!r} instead."
        )
    coverage: dict[str, dict[str, float]] = {}
    never_null: list[str] = []
    checked = names + [c for c in COVERAGE_COLUMNS if c in features.columns and c not in names]
    for c in checked:
        v = pd.to_numeric(features[c], errors="coerce").astype("float64")
        if v.notna().all():
            never_null.append(c)
        if c in COVERAGE_COLUMNS and v.notna().any():
            lo = _finite(v.min())
            q = _finite(v.quantile(COVERAGE_LOW_QUANTILE))
            if lo is not None and q is not None:
                coverage[c] = {"min": lo, "low_quantile": q, "quantile": COVERAGE_LOW_QUANTILE}
    ranges: dict[str, list[float]] = {}
    for f in names:
        v = pd.to_numeric(features[f], errors="coerce").astype("float64").dropna()
        v = v[np.isfinite(v)]
        if v.empty:
            continue
        q_lo, q_hi = (float(x) for x in v.quantile(list(RANGE_QUANTILES)))
        span = q_hi - q_lo
        ranges[f] = [q_lo - tolerance * span, q_hi + tolerance * span]
    return TrainingDomain(
        feature_names=names,
        n_rows=len(features),
        coverage=coverage,
        ranges=ranges,
        never_null=never_null,
        max_out_of_range=max_out_of_range,
        tolerance=tolerance,
    )


def domain_check(model: Any, features: pd.DataFrame) -> pd.DataFrame:
    """Check rows against a fitted model's ``training_domain_``.

    Parameters
    ----------
    model : estimator
        A fitted model; one without ``training_domain_`` (registered before domains were
        recorded, or the indicator baseline) applies everywhere.
    features : DataFrame of shape (n_samples, k)

    Returns
    -------
    DataFrame as :meth:`TrainingDomain.check`; for a model without a domain every row
    applies and the reason is :data:`NO_DOMAIN_REASON`.
    """
    data = getattr(model, "training_domain_", None)
    if data is None:
        return pd.DataFrame(
            {"model_applies": True, "model_domain_reason": NO_DOMAIN_REASON},
            index=features.index,
        )
    return TrainingDomain.from_dict(data).check(features)
