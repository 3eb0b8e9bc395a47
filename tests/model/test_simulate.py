"""The synthetic fleet: planted risk, labels, and no label column among the features."""

from __future__ import annotations

import pandas as pd
import pytest

from vessel_risk.features.catalogue import candidate_features


def test_simulator_is_labelled_as_planted(fleet: pd.DataFrame) -> None:
    assert len(fleet) == 600 * 3
    assert fleet["vessel_id"].str.startswith("SIM").all()
    labelled = fleet["known_offender"] == 1
    assert (fleet.loc[labelled, "planted_risk"] == 1).all()
    assert (fleet.loc[fleet["known_non_offender"] == 1, "planted_risk"] == 0).all()
    assert fleet.groupby("vessel_id")["planted_risk"].first().mean() == pytest.approx(0.1)
    assert (fleet.loc[fleet["planted_risk"] == 1, "n_behaviours"] >= 2).all()
    assert "planted_risk" not in candidate_features(fleet)
