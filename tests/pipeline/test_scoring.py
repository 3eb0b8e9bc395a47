"""Scores on the real squid-jigger run hold the issue-14 orders: nothing saturates, thin
data stays near the prior, IUU-listed vessel-years show the listing and rank in the top
decile, with the baseline and with a model trained on GFW's labelled table."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.builders import shared_file
from vessel_risk.model import PIPELINE_FEATURES
from vessel_risk.pipeline.scoring import alert_queue, score_frame


@pytest.fixture(scope="module")
def squid_features(squid_run) -> pd.DataFrame:
    out, _ = squid_run
    f = pd.read_parquet(out / "vessel_features.parquet")
    return f[alert_queue(f)].reset_index(drop=True)


@pytest.fixture(scope="module")
def labelled_model():
    from vessel_risk.model.pu import PULightGBMClassifier

    table = pd.read_csv(shared_file("data", "labels", "vessel_year_features_labelled.csv"))
    table = table[table["possible_offender"].fillna(0) == 0]
    feats = [f for f in PIPELINE_FEATURES if f in table.columns]
    y = table["known_offender"].fillna(0).astype(int)
    return PULightGBMClassifier(n_bags=3, random_state=0).fit(table[feats], y)


def _check_orders(scored: pd.DataFrame, features: pd.DataFrame) -> None:
    n = len(scored)
    assert (scored["score"] >= 0.999).mean() <= 0.01
    thin = scored["tier"] == "insufficient data"
    assert thin.sum() > 100  # the squid run is mostly thin data
    assert (scored.loc[thin, "score"] >= 0.6).mean() <= 0.10
    listed = features["iuu_listed"].astype(bool)
    assert listed.sum() >= 10
    assert scored.loc[listed, "rank"].max() <= math.floor(0.10 * n)
    assert scored.loc[listed, "reasons"].str.contains("matches the combined IUU vessel list").all()


def test_baseline_scores_of_the_squid_run_hold_the_orders(squid_features):
    scored = score_frame(squid_features, None, None)
    _check_orders(scored, squid_features)
    assert not scored["model_applies"].any()
    assert scored["score_low"].isna().all()


def test_a_model_trained_on_the_labelled_table_holds_the_orders(squid_features, labelled_model):
    scored = score_frame(squid_features, labelled_model, "pu-test")
    _check_orders(scored, squid_features)
    applies = scored["model_applies"]
    # Spread across the bags where the model applies, and the score inside it.
    assert (scored.loc[applies, "score_low"] <= scored.loc[applies, "score"] + 1e-4).all()
    assert (scored.loc[applies, "score_high"] >= scored.loc[applies, "score"] - 1e-4).all()
    assert scored["reasons"].str.contains("model ").all()


def test_labelled_table_scores_keep_its_identifying_columns(labelled_model):
    table = pd.read_csv(shared_file("data", "labels", "vessel_year_features_labelled.csv"))
    scored = score_frame(table, labelled_model, "pu-test")
    assert list(scored.columns[:2]) == ["vessel_id", "year"]
    assert scored["rank"].sort_values().tolist() == list(range(1, len(table) + 1))
    assert scored["score"].between(0, 1).all()


def test_a_model_without_a_training_domain_applies_everywhere_and_says_so():
    from vessel_risk.pipeline.scoring import NO_DOMAIN, model_domain

    f = pd.DataFrame({"year": [2021, 2022]})
    everywhere = model_domain(object(), f)
    assert everywhere["model_applies"].tolist() == [True, True]
    assert everywhere["model_domain_reason"].tolist() == [NO_DOMAIN] * 2
    baseline = model_domain(None, f)
    assert not baseline["model_applies"].any()


def test_every_alert_names_each_component_within_its_first_three_reasons(
    squid_run, squid_features, labelled_model
):
    from vessel_risk.alerts.build import IDENTITY_NAMES
    from vessel_risk.pipeline.scoring import score_alerts

    out, _ = squid_run
    voyages = pd.read_parquet(out / "voyages.parquet")
    alerts, _ = score_alerts(squid_features, labelled_model, "pu-test", voyages=voyages)
    assert len(alerts) == len(squid_features)
    for a in alerts:
        first = [e.name for e in a.indicators[:3]]
        assert "model" in first
        if a.iuu_listed:
            assert first[0] == "iuu_listed"
        if any(e.name in IDENTITY_NAMES for e in a.indicators):
            assert first[0] in IDENTITY_NAMES
        # Where the model's training domain (GFW's full-year, null-free rows) does not
        # cover a vessel-year (unknown features stay null since issue 14), it says why.
        assert a.model_applies is True or a.model_domain_reason
        assert a.score_percentile is not None
    reasons = [e.reason for a in alerts for e in a.indicators if e.name == "long_voyages"]
    assert any("AIS silence of 30 days or more" in r for r in reasons)
    assert any("between port visits" in r for r in reasons) or any(
        "to a port visit" in r for r in reasons
    )
