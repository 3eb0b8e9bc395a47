"""The combination rule: unknown is not 0, nothing saturates, IUU listing ranks first,
tiers follow the inspection-capacity shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vessel_risk.model import combine
from vessel_risk.model import indicators as ind
from vessel_risk.model.scoring import model_input
from vessel_risk.pipeline.scoring import score_frame


def _fleet(n: int = 60, seed: int = 0) -> pd.DataFrame:
    """A built table of ``n`` fishing vessel-years with full coverage and varied activity."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "mmsi": [f"41200{i:04d}" for i in range(n)],
            "year": 2021,
            "vessel_class": "fishing",
            "position_messages": 5000,
            "days_observed": 200,
            "mmsi_valid": True,
            "iuu_listed": False,
            "iuu_match": None,
            "max_voyage_duration_hours": rng.uniform(1, 400, n) * 24,
            "max_distance_from_port_km": rng.uniform(10, 3000, n),
            "gaps_12_hours": rng.integers(0, 8, n),
            "number_carrier_encounters": rng.integers(0, 5, n),
            "average_daily_fishing_hours": rng.uniform(2, 20, n),
            "n_shipnames": 1,
        }
    )


def test_model_input_keeps_unknown_features_unknown():
    f = pd.DataFrame({"a": [np.nan, 0.0], "b": [1.0, np.nan]})
    X = model_input(f, ["b", "a"])
    assert list(X.columns) == ["b", "a"]
    assert np.isnan(X.loc[0, "a"]) and np.isnan(X.loc[1, "b"]) and X.loc[1, "a"] == 0.0


def test_a_vessel_year_of_unknown_features_never_scores_like_one_of_zeros():
    f = _fleet()
    unknown = f.iloc[[0]].assign(
        mmsi="412999990",
        position_messages=3,
        days_observed=1,
        **{c: np.nan for c in ind.PEER_FEATURES},
    )
    zeros = f.iloc[[0]].assign(mmsi="412999991", **{c: 0.0 for c in ind.PEER_FEATURES})
    out = score_frame(pd.concat([f, unknown, zeros], ignore_index=True), None, None)
    s_unknown, s_zero = out["score"].iloc[-2], out["score"].iloc[-1]
    # Unknown: no evidence either way, the prior; zeros: below every peer, evidence that lowers.
    assert s_unknown == pytest.approx(combine.PRIOR, abs=1e-4)
    assert s_zero < 0.02 < s_unknown
    assert out["tier"].iloc[-2] == "insufficient data"


def test_no_evidence_drives_the_score_to_certainty():
    f = _fleet()
    worst = f.iloc[[0]].assign(
        mmsi="412999992",
        iuu_listed=True,
        iuu_match="listed",
        mmsi_valid=False,
        n_shipnames=10,
        identity_renamings=5,
        identity_reflaggings=4,
        identity_mmsi_changes=3,
        max_simultaneous_transmitters=4,
        max_voyage_duration_hours=900 * 24,
        max_distance_from_port_km=9000,
        gaps_12_hours=90,
        number_carrier_encounters=40,
        average_daily_fishing_hours=23,
    )
    c = combine.combine(
        pd.concat([f, worst], ignore_index=True),
        model_probability=pd.Series(1.0, index=range(len(f) + 1)),
    )
    top = c.score.iloc[-1]
    assert 0.99 < top <= combine.MAX_SCORE < 0.999
    assert combine.soft_cap(np.array([1e9, -1e9]), 2.0).tolist() == pytest.approx([2.0, -2.0])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_iuu_listed_vessel_years_rank_within_the_top_decile(seed):
    f = _fleet(100, seed)
    median = f.median(numeric_only=True)
    listed = pd.DataFrame([f.iloc[0]] * 3).assign(
        mmsi=["413000001", "413000002", "413000003"],
        iuu_listed=True,
        iuu_match="listed",
        max_voyage_duration_hours=median["max_voyage_duration_hours"],
        max_distance_from_port_km=median["max_distance_from_port_km"],
        gaps_12_hours=0,
        number_carrier_encounters=0,
        average_daily_fishing_hours=median["average_daily_fishing_hours"],
    )
    table = pd.concat([f, listed], ignore_index=True)
    out = score_frame(table, None, None)
    ranks = out.loc[out["mmsi"].str.startswith("413"), "rank"]
    assert ranks.max() <= len(table) // 10
    assert (
        out.loc[out["mmsi"].str.startswith("413"), "reasons"]
        .str.contains("matches the combined IUU vessel list")
        .all()
    )


def test_tiers_follow_the_inspection_capacity_shares():
    f = _fleet(100)
    out = score_frame(f, None, None)
    counts = out["tier"].value_counts()
    assert counts["high"] == 5 and counts["medium"] == 10 and counts["low"] == 85
    assert out.loc[out["tier"] == "high", "rank"].max() == 5
    assert out["rank"].sort_values().tolist() == list(range(1, 101))
    assert out.loc[out["rank"] == 1, "score_percentile"].iloc[0] == 100.0


def test_no_evidence_flags_nobody_and_equal_scores_share_a_tier():
    f = _fleet(20)
    plain = f[["mmsi", "year", "vessel_class", "position_messages", "days_observed"]]
    out = score_frame(plain.copy(), None, None)
    # No indicator, no identity fact: every score is the prior, and nobody is flagged.
    assert out["score"].round(6).eq(combine.PRIOR).all()
    assert out["tier"].eq("low").all()
    # One row scored alone: capacity would make it "high" whatever its evidence.
    alone = score_frame(plain.head(1).copy(), None, None)
    assert alone["tier"].tolist() == ["low"]
    # 20 rows: capacity is 1 high and 2 medium; 4 tied rows with strong evidence all go in.
    f.loc[0, "max_voyage_duration_hours"] = 600 * 24
    f.loc[0, "max_distance_from_port_km"] = 4000.0
    same = [c for c in f.columns if c != "mmsi"]
    f.loc[1:3, same] = f.loc[[0, 0, 0], same].to_numpy()
    tied = score_frame(f, None, None)
    assert tied.loc[:3, "score"].nunique() == 1
    assert tied.loc[:3, "tier"].eq("high").all()


def test_peer_groups_fall_back_to_the_run_when_too_small():
    f = _fleet(30)
    f["gear"] = ["squid_jigger"] * 25 + ["trawlers"] * 5
    g = ind.peer_groups(f)
    assert g["peer_label"].iloc[0] == "squid jiggers in 2021"
    assert g["peer_label"].iloc[-1] == "vessel-years of 2021"  # 5 trawlers: too few


def test_reasons_follow_the_sign_and_name_the_peers():
    f = _fleet(40)
    f.loc[0, "max_voyage_duration_hours"] = 500 * 24  # longer than every peer
    f.loc[1, "max_voyage_duration_hours"] = 2 * 24
    out = score_frame(f, None, None)
    assert (
        "longer than 9" in out.loc[0, "reasons"]
        and "fishing vessels in 2021" in out.loc[0, "reasons"]
    )
    assert "shorter than" in out.loc[1, "reasons"] and "(lowers the score" in out.loc[1, "reasons"]
