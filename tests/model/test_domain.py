"""The training domain (vessel_risk.model.domain): what a model learned from, row checks."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from tests.builders import shared_file
from vessel_risk.features.catalogue import PIPELINE_FEATURES
from vessel_risk.model.domain import (
    NO_DOMAIN_REASON,
    TrainingDomain,
    domain_check,
    fit_domain,
)
from vessel_risk.model.pu import BaggedRandomForestClassifier, PULightGBMClassifier
from vessel_risk.model.registry import TRUSTED_TYPES

FEATS = list(PIPELINE_FEATURES)


@pytest.fixture(scope="module")
def labelled() -> pd.DataFrame:
    return pd.read_csv(shared_file("data", "labels", "vessel_year_features_labelled.csv"))


@pytest.fixture(scope="module")
def domain(labelled: pd.DataFrame) -> TrainingDomain:
    return fit_domain(labelled, FEATS)


def test_the_labelled_table_records_its_coverage_floor_and_no_nulls(domain, labelled):
    assert domain.n_rows == 729
    assert domain.coverage["position_messages"]["min"] == 116.0
    # The table has no days_observed column: no floor recorded for it.
    assert set(domain.coverage) == {"position_messages"}
    assert domain.never_null == FEATS
    lo, hi = domain.ranges["position_messages"]
    q_lo, q_hi = labelled["position_messages"].quantile([0.005, 0.995])
    assert lo == pytest.approx(q_lo - 0.1 * (q_hi - q_lo))
    assert hi == pytest.approx(q_hi + 0.1 * (q_hi - q_lo))


def test_every_labelled_row_applies(domain, labelled):
    checked = domain.check(labelled)
    assert checked.index.equals(labelled.index)
    assert checked["model_applies"].all()
    assert (checked["model_domain_reason"] == "").all()


def test_a_thin_row_with_unknown_features_does_not_apply_and_says_why(domain, labelled):
    row = labelled.iloc[[0]].copy()
    row["position_messages"] = 11
    unknown = [
        "average_encounter_duration_hours",
        "average_off_distance_from_shore_km",
        "average_gap_days",
        "average_gap_km",
        "number_foreign_port_visits",
        "average_loitering_duration_hours",
    ]
    row[unknown] = np.nan
    out = domain.check(row)
    assert not out["model_applies"].iloc[0]
    assert out["model_domain_reason"].iloc[0] == (
        "position_messages 11 below the training minimum 116; 6 features unknown that "
        "training always had: average_encounter_duration_hours, "
        "average_off_distance_from_shore_km, average_gap_days, average_gap_km and 2 more"
    )


def test_a_missing_column_counts_as_unknown(domain, labelled):
    out = domain.check(labelled.drop(columns=["number_voyages"]).head(2))
    assert not out["model_applies"].any()
    assert set(out["model_domain_reason"]) == {
        "1 feature unknown that training always had: number_voyages"
    }


def test_two_features_out_of_range_apply_three_do_not(domain, labelled):
    row = labelled.iloc[[5, 5]].copy().reset_index(drop=True)
    row.loc[:, ["hours", "fishing_hours"]] = 1e7
    row.loc[1, "distance_traveled_km"] = 1e9
    out = domain.check(row)
    assert out["model_applies"].tolist() == [True, False]
    assert out["model_domain_reason"].iloc[0] == ""
    reason = out["model_domain_reason"].iloc[1]
    assert reason.startswith("3 features outside the training range (at most 2 allowed): hours ")
    assert "distance_traveled_km 1000000000 above" in reason


def test_the_domain_round_trips_through_json_and_builtins(domain, labelled):
    data = json.loads(json.dumps(domain.to_dict()))
    back = TrainingDomain.from_dict(data)
    assert back == domain
    thin = labelled.head(3).assign(position_messages=[11, 200, 5])
    assert back.check(thin).equals(domain.check(thin))
    with pytest.raises(ValueError, match="'data' parameter of TrainingDomain.from_dict"):
        TrainingDomain.from_dict({"version": 99})


def test_fit_domain_rejects_bad_input(labelled):
    with pytest.raises(ValueError, match="without \\['nope'\\]"):
        fit_domain(labelled, ["nope"])
    with pytest.raises(ValueError, match="Got 0 instead"):
        fit_domain(labelled.head(0), FEATS)
    with pytest.raises(ValueError, match="must be >= 0"):
        fit_domain(labelled, FEATS, tolerance=-1)


def test_coverage_columns_beyond_the_features_are_recorded():
    frame = pd.DataFrame(
        {
            "fishing_hours": [10.0, 20.0, 30.0],
            "days_observed": [50, 120, 300],
            "observed_share": [0.2, 0.5, np.nan],
        }
    )
    d = fit_domain(frame, ["fishing_hours"])
    assert d.coverage["days_observed"]["min"] == 50.0
    assert d.coverage["observed_share"]["min"] == 0.2
    assert d.never_null == ["fishing_hours", "days_observed"]
    out = d.check(pd.DataFrame({"fishing_hours": [15.0, 15.0], "days_observed": [3, np.nan]}))
    assert out["model_domain_reason"].tolist() == [
        "days_observed 3 below the training minimum 50",
        "coverage unknown that training always had: days_observed",
    ]


@pytest.mark.parametrize("cls", [PULightGBMClassifier, BaggedRandomForestClassifier])
def test_fitted_models_carry_their_domain_through_skops(cls, labelled, tmp_path):
    train = labelled.loc[labelled["possible_offender"] == 0]
    model = cls(n_bags=2, n_estimators=10, random_state=0).fit(
        train[FEATS], train["known_offender"]
    )
    assert model.training_domain_ == fit_domain(train[FEATS], FEATS).to_dict()
    path = tmp_path / "m.skops"
    sio.dump(model, path)
    loaded = sio.load(path, trusted=[*TRUSTED_TYPES, *sio.get_untrusted_types(file=path)])
    assert loaded.training_domain_ == model.training_domain_
    thin = labelled.head(4).assign(position_messages=[11, 500, 500, 500])
    out = domain_check(loaded, thin)
    assert out["model_applies"].tolist() == [False, True, True, True]


@pytest.mark.parametrize("cls", [PULightGBMClassifier, BaggedRandomForestClassifier])
def test_unknown_features_are_not_read_as_zero(cls, labelled):
    """Issue 14: a vessel-year whose features are unknown never scores like one with 0."""
    train = labelled.loc[labelled["possible_offender"] == 0].reset_index(drop=True)
    X = train[FEATS].copy()
    # A third of the rows lose their port-visit and gap features, as a thin run's rows do.
    gone = ["number_foreign_port_visits", "average_gap_days", "average_gap_km"]
    X.loc[X.index % 3 == 0, gone] = np.nan
    model = cls(n_bags=3, n_estimators=30, random_state=0).fit(X, train["known_offender"])
    assert model.training_domain_["never_null"] == [f for f in FEATS if f not in gone]
    rows = train[FEATS].head(60)
    unknown = model.decision_function(rows.assign(**{g: np.nan for g in gone}))
    zero = model.decision_function(rows.assign(**{g: 0.0 for g in gone}))
    assert np.isfinite(unknown).all()
    # Imputing 0 would give equal scores on every row (share 0); measured 0.67 and 0.40.
    assert (np.abs(unknown - zero) > 1e-9).mean() > 0.25


def test_a_model_without_a_domain_applies_everywhere_and_says_so(labelled):
    out = domain_check(object(), labelled.head(3))
    assert out["model_applies"].all()
    assert (out["model_domain_reason"] == NO_DOMAIN_REASON).all()
