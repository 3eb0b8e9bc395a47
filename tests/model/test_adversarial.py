"""Adversarial validation (vessel_risk.model.adversarial) on real vessel-years."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.builders import shared_file
from vessel_risk.features.catalogue import PIPELINE_FEATURES
from vessel_risk.model.adversarial import ADVERSARIAL_AUC_LIMIT, adversarial_validation
from vessel_risk.model.domain import fit_domain

FEATS = list(PIPELINE_FEATURES)


@pytest.fixture(scope="module")
def labelled() -> pd.DataFrame:
    return pd.read_csv(shared_file("data", "labels", "vessel_year_features_labelled.csv"))


@pytest.fixture(scope="module")
def squid_features(squid_run) -> pd.DataFrame:
    out, _ = squid_run
    return pd.read_parquet(out / "vessel_features.parquet")


def test_the_labelled_table_against_the_squid_run_is_not_comparable(labelled, squid_features):
    """Issue 14: full-year labelled AIS against a sparse fleet's run: separable."""
    res = adversarial_validation(labelled, squid_features, FEATS)
    assert res.n_labelled == 729
    assert res.n_unlabelled == len(squid_features)
    assert res.auc >= 0.99
    assert res.auc_ci[0] >= ADVERSARIAL_AUC_LIMIT
    assert not res.comparable
    names = [n for n, _ in res.top_features]
    assert len(names) == 5
    # Coverage and nulls give the source away: the squid run's median vessel-year has 11
    # messages; foreign port visits are unknown without a declared flag.
    assert "position_messages" in names
    assert "number_foreign_port_visits" in names
    assert min(a for _, a in res.top_features) >= 0.9
    assert sum(v for _, v in res.importances) == pytest.approx(1.0)
    assert "not comparable" in res.summary()
    assert "position_messages (AUC 0.9" in res.summary()


def test_two_squid_vessel_years_lie_in_the_labelled_tables_domain(labelled, squid_features):
    checked = fit_domain(labelled, FEATS).check(squid_features)
    assert len(checked) == len(squid_features)
    applies = checked["model_applies"].to_numpy()
    assert applies.sum() == 2  # well observed, with a declared flag and every feature known
    reasons = checked["model_domain_reason"]
    thin = squid_features["position_messages"].to_numpy() < 116
    assert thin.mean() > 0.8  # 303 of 354 vessel-years when written
    assert not thin[applies].any()
    assert reasons.str.contains("below the training minimum 116").to_numpy().tolist() == list(thin)
    # Every other row lacks a feature the labelled table always has or is too thin.
    assert reasons[~applies].str.contains("unknown that training always had|below").all()
    assert (reasons[applies] == "").all()


def test_two_halves_of_the_labelled_table_are_comparable(labelled):
    vessels = labelled["vessel_id"].unique()
    half = set(np.random.default_rng(1).choice(vessels, len(vessels) // 2, replace=False))
    a = labelled.loc[labelled["vessel_id"].isin(half)]
    b = labelled.loc[~labelled["vessel_id"].isin(half)]
    res = adversarial_validation(a, b, FEATS)
    assert res.comparable
    assert 0.4 < res.auc < 0.6
    assert res.auc_ci[0] < 0.5 < res.auc_ci[1]
    assert max(s for _, s in res.top_features) < 0.65
    assert res.to_dict()["comparable"] is True


def test_adversarial_validation_rejects_bad_input(labelled):
    with pytest.raises(ValueError, match="'unlabelled' parameter .* without \\['hours'\\]"):
        adversarial_validation(labelled, labelled.drop(columns="hours"), FEATS)
    one = labelled.loc[labelled["vessel_id"] == labelled["vessel_id"].iloc[0]]
    with pytest.raises(ValueError, match="at least 2 vessels"):
        adversarial_validation(labelled, one, FEATS)
