"""The indicator baseline as an estimator."""

from __future__ import annotations

import pandas as pd
import pytest

from vessel_risk.model.baseline import IndicatorBaseline


def test_indicator_baseline_matches_indicator_score() -> None:
    X = pd.DataFrame({"max_voyage_duration_hours": [0.0, 9000.0], "iuu_listed": [False, True]})
    base = IndicatorBaseline().fit(X)
    s = base.decision_function(X)
    assert s[0] == 0.0
    assert s[1] == pytest.approx(1 - (1 - 0.45) * (1 - 0.60))
