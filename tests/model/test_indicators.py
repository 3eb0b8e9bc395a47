"""The indicator score: order, tiers, explanations."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vessel_risk.alerts.build import build_alerts
from vessel_risk.model import indicators as ind


def _features(**over: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "mmsi": "567000001",
        "year": 2021,
        "position_messages": 5000,
        "days_observed": 200,
        "max_voyage_duration_hours": 24.0 * 30,
        "max_distance_from_port_km": 100.0,
        "gaps_12_hours": 0,
        "number_carrier_encounters": 0,
        "average_daily_fishing_hours": 6.0,
        "mmsi_valid": True,
        "n_shipnames": 1,
        "iuu_listed": False,
        "iuu_match": None,
        "shipname": "A",
        "flag_iso3": "THA",
        "first_timestamp": pd.Timestamp("2021-01-01", tz="UTC"),
        "last_timestamp": pd.Timestamp("2021-12-01", tz="UTC"),
        "last_lat": 1.0,
        "last_lon": 2.0,
    }
    base.update(over)
    return pd.DataFrame([base])


def test_quiet_coastal_vessel_scores_zero_and_is_low():
    f = _features()
    score = ind.indicator_score(f)
    assert score.iloc[0] == 0.0
    assert ind.tier(score, f).iloc[0] == "low"


def test_half_ramp_gives_half_the_weight():
    # 227.5 days at sea is halfway between 90 and 365 days: contribution 0.45 / 2.
    f = _features(max_voyage_duration_hours=227.5 * 24)
    assert ind.contributions(f)["long_voyages"].iloc[0] == pytest.approx(0.225)
    assert ind.indicator_score(f).iloc[0] == pytest.approx(0.225)


def test_noisy_or_combines_independent_evidence():
    f = _features(max_voyage_duration_hours=400 * 24, iuu_listed=True, iuu_match="name X")
    # 1 - (1 - 0.45)(1 - 0.60) = 0.78
    assert ind.indicator_score(f).iloc[0] == pytest.approx(0.78)
    assert ind.tier(ind.indicator_score(f), f).iloc[0] == "high"


def test_thin_data_reads_insufficient_data_never_low():
    f = _features(position_messages=12, days_observed=3)
    assert ind.tier(ind.indicator_score(f), f).iloc[0] == "insufficient data"


def test_missing_feature_never_lowers_the_score():
    a = _features(max_voyage_duration_hours=400 * 24)
    b = _features(max_voyage_duration_hours=400 * 24, average_daily_fishing_hours=float("nan"))
    assert ind.indicator_score(b).iloc[0] == ind.indicator_score(a).iloc[0]


def test_alert_names_its_top_indicators_with_ilo_mapping():
    f = _features(max_voyage_duration_hours=400 * 24, max_distance_from_port_km=1111.2)
    alerts = build_alerts(f, ind.indicator_score(f), ind.contributions(f), model_version="t")
    a = alerts[0]
    assert [e.name for e in a.indicators] == ["long_voyages", "far_from_port"]
    assert a.indicators[0].ilo_indicator == "isolation; restriction of movement"
    assert a.indicators[0].reason == (
        "longest voyage 400 days (9600 h), from a port visit, the start of the data or an "
        "AIS silence of 30 days or more to the next of these"
    )
    assert a.indicators[1].contribution == pytest.approx(0.175, abs=1e-4)
    assert "presumed victims" in a.caveat


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 800), min_size=2, max_size=30))
def test_alerts_are_ordered_by_score(days):
    f = pd.concat(
        [
            _features(mmsi=f"5670000{i:02d}", max_voyage_duration_hours=d * 24)
            for i, d in enumerate(days)
        ],
        ignore_index=True,
    )
    alerts = build_alerts(f, ind.indicator_score(f), ind.contributions(f), model_version="t")
    scores = [a.score for a in alerts]
    assert scores == sorted(scores, reverse=True)
    assert [a.rank for a in alerts] == list(range(1, len(days) + 1))


def test_invalid_mmsi_evidence_reads_one_not_the_validity_flag():
    f = _features(mmsi="150400453", mmsi_valid=False)
    a = build_alerts(f, ind.indicator_score(f), ind.contributions(f), model_version="t")[0]
    e = {x.name: x for x in a.indicators}["invalid_mmsi"]
    assert e.value == 1.0 and e.feature == "mmsi_invalid"
    assert a.score == pytest.approx(0.2)


def test_long_fishing_days_reason_names_an_estimated_source():
    i = next(x for x in ind.INDICATORS if x.name == "long_fishing_days")
    row = {"average_daily_fishing_hours": 13.0, "fishing_source": "classifier"}
    assert ind.describe(i, row).endswith(
        "(fishing hours estimated by classifier, not GFW's fishing score)"
    )
    assert "estimated" not in ind.describe(i, {**row, "fishing_source": "nnet_score"})


def test_identity_events_are_alert_reasons_and_absent_ones_change_nothing():
    # Without the identity-event columns the score is what it was.
    plain = _features(max_voyage_duration_hours=400 * 24)
    assert ind.indicator_score(plain).iloc[0] == pytest.approx(0.45)
    f = _features(
        max_voyage_duration_hours=400 * 24,
        identity_renamings=3,
        identity_reflaggings=1,
        identity_mmsi_changes=0,
    )
    c = ind.contributions(f).iloc[0]
    assert c["renamed"] == pytest.approx(0.20)
    assert c["reflagged"] == pytest.approx(0.125)
    assert c["new_mmsi"] == 0.0
    # 1 - (1 - 0.45)(1 - 0.20)(1 - 0.125) = 0.615
    assert ind.indicator_score(f).iloc[0] == pytest.approx(0.615)
    alert = build_alerts(f, ind.indicator_score(f), ind.contributions(f), model_version="t")[0]
    reasons = {e.name: e.reason for e in alert.indicators}
    assert reasons["renamed"] == "renamed 3 times in 2021"
    assert reasons["reflagged"] == "flag changes in 2021: 1"
    assert {e.ilo_indicator for e in alert.indicators if e.name == "renamed"} == {"deception"}
