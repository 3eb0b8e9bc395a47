"""Evaluation: metrics by hand, grouped folds, and the confounding check."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from vessel_risk.features.catalogue import candidate_features
from vessel_risk.model.evaluate import (
    calibration_curve,
    confounding_check,
    cv_groups,
    evaluate,
    modified_f1,
    recall_at_specificity,
    threshold_at_share,
)
from vessel_risk.model.factory import make_model

FAST_PU = {"n_bags": 4, "n_estimators": 40, "learning_rate": 0.05, "random_state": 0}


def test_metrics_by_hand() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
    assert threshold_at_share(scores, 0.2) == 0.7  # 0.9 and 0.8 lie above
    assert modified_f1(0.92, 0.2) == pytest.approx(4.232)
    neg = np.arange(100) / 100.0  # 2 % above 0.97
    assert recall_at_specificity(np.array([0.975, 0.99, 0.5, 0.1]), neg) == 0.5
    table, ece = calibration_curve(np.array([1, 0, 1, 0]), np.array([0.95, 0.05, 0.95, 0.05]))
    assert ece == pytest.approx(0.05)
    assert table["n"].sum() == 4


def test_groups_keep_sources_and_vessels_together() -> None:
    f = pd.DataFrame(
        {
            "vessel_id": ["a", "a", "b", "c", "d"],
            "known_offender": [1, 0, 1, 1, 0],
            "source_id": [7, 7, 7, 8, 139],
        }
    )
    g = cv_groups(f, "source")
    assert g[0] == g[1] == g[2]  # a and b share source 7
    assert len({g[0], g[3], g[4]}) == 3
    assert len(set(cv_groups(f, "vessel"))) == 4


def test_confounding_check_warns_on_a_separating_feature(
    caplog: pytest.LogCaptureFixture,
) -> None:
    f = pd.DataFrame(
        {
            "flag": ["GBR"] * 20 + ["CHN"] * 20,
            "x": np.r_[np.arange(20), np.arange(20) + 5],
            "known_offender": [0] * 20 + [1] * 20,
            "known_non_offender": [1] * 20 + [0] * 20,
        }
    )
    with caplog.at_level(logging.WARNING, logger="vessel_risk.model.evaluate"):
        out = confounding_check(f, ["flag", "x"])
    assert out.set_index("feature").loc["flag", "separates"]
    assert not out.set_index("feature").loc["x", "separates"]
    assert "'flag' alone separates" in caplog.text


def test_evaluate_says_when_a_separating_feature_is_a_model_input(fleet: pd.DataFrame) -> None:
    f = fleet.assign(leak=fleet["known_offender"] * 1.0)
    ev = evaluate(
        make_model("pu-lightgbm", **FAST_PU),
        f,
        [*candidate_features(fleet), "leak"],
        group_by="source",
        n_splits=3,
    )
    assert any("'leak'" in n and "IS a model input" in n for n in ev.notes)
