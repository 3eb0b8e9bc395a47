"""Fixtures shared by the model tests."""

from __future__ import annotations

import pandas as pd
import pytest

from vessel_risk.model.simulate import simulate_fleet


@pytest.fixture(scope="module")
def fleet() -> pd.DataFrame:
    """A clearly synthetic fleet: 600 vessels x 3 years, 10 % planted, half of them labelled."""
    return simulate_fleet(600, positive_share=0.1, labelled_share=0.5, random_state=3)
