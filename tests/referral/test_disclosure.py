"""Disclosure control of the figures: no published cell rests on 1 to k-1 persons, and no
suppressed cell can be recovered from the published cells, by subtraction along a
margin or by linear programming with every relation at once."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.exchangekit import (
    additive_table,
    assert_no_cell_recoverable,
    mechanism_frames,
    subtraction_attack,
)
from vessel_risk.referral.disclosure import (
    DIMENSIONS,
    exposed,
    protect,
    relations,
    suppression,
)
from vessel_risk.referral.monitoring import compute_figures

MONTHS = (date(2026, 1, 1), date(2026, 2, 1))


def check_protected(truth: pd.DataFrame, k: int) -> pd.DataFrame:
    published = protect(truth, k=k)
    shown = published[~published["suppressed"]]
    small = shown[(shown["persons"] > 0) & (shown["persons"] < k)]
    assert small.empty, small
    assert_no_cell_recoverable(published, truth)  # subtraction, rank, linear programming
    return published


def test_a_state_by_nationality_by_month_table_hides_its_small_cells_from_subtraction():
    counts = {
        ("THA", "MMR", MONTHS[0]): 12,
        ("THA", "MMR", MONTHS[1]): 9,
        ("THA", "KHM", MONTHS[0]): 3,  # primary
        ("THA", "KHM", MONTHS[1]): 7,
        ("IDN", "MMR", MONTHS[0]): 6,
        ("IDN", "MMR", MONTHS[1]): 1,  # primary
        ("IDN", "KHM", MONTHS[0]): 8,
        ("IDN", "KHM", MONTHS[1]): 10,
    }
    truth = additive_table(counts, ("state", "nationality", "period"), "persons_screened")
    assert len(truth) == 27  # 8 + 3 x 4 + 3 x 2 + 1
    published = check_protected(truth, 5)
    hidden = published[published["suppressed"]]
    assert set(hidden[hidden["nationality"].notna() & hidden["period"].notna()].index) >= {
        i for i in truth.index if 0 < truth["persons"][i] < 5
    }
    # the grand total and the state totals stay published
    total = published[published[list(DIMENSIONS)].isna().all(axis=1)]
    assert total["value"].tolist() == [56.0]
    # a primary cell alone in every relation would be recoverable: the pattern is larger
    assert int(published["suppressed"].sum()) > 2


def test_without_complementary_suppression_the_attacker_recovers_the_cell():
    counts = {("THA", "MMR"): 12, ("THA", "KHM"): 3, ("IDN", "MMR"): 9, ("IDN", "KHM"): 8}
    truth = additive_table(counts, ("state", "nationality"), "persons_screened")
    naive = truth.copy()
    naive["suppressed"] = (naive["persons"] > 0) & (naive["persons"] < 5)
    naive.loc[naive["suppressed"], ["value", "persons"]] = None
    (cell,) = naive.index[naive["suppressed"]]
    assert subtraction_attack(naive) == {cell: 3.0}
    assert exposed(len(naive), relations(naive), naive["suppressed"].to_numpy()) == [cell]
    check_protected(truth, 5)


def test_vessel_level_figures_and_zero_cells_are_never_suppressed():
    truth = additive_table({("THA",): 2, ("IDN",): 0}, ("state",), "boardings")
    truth["persons"] = 0  # a count of boardings rests on no person
    assert not suppression(truth).any()
    people = additive_table({("THA",): 7, ("IDN",): 0}, ("state",), "persons_screened")
    assert not suppression(people).any()


def test_bad_input_is_refused_with_a_reason():
    truth = additive_table({("THA",): 7}, ("state",), "persons_screened")
    with pytest.raises(ValueError, match="'k' parameter of suppression must be at least 2"):
        suppression(truth, k=1)
    with pytest.raises(ValueError, match="same cell"):
        suppression(pd.concat([truth, truth], ignore_index=True))
    with pytest.raises(ValueError, match="columns"):
        suppression(truth.drop(columns=["gender"]))


cell_counts = st.integers(min_value=0, max_value=14)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(cell_counts, min_size=12, max_size=12),
    st.sampled_from([3, 5]),
    st.sampled_from(
        [("state", "nationality", "period"), ("port", "gender", "period"), ("flag", "age_group")]
    ),
)
def test_random_tables_publish_no_small_cell_and_no_recoverable_one(values, k, dims):
    levels = {
        "state": ("THA", "IDN"),
        "port": ("SONGKHLA", "BITUNG", "RANONG"),
        "nationality": ("MMR", "KHM"),
        "gender": ("female", "male"),
        "flag": ("THA", "TWN", "CHN"),
        "age_group": ("child", "18-24", "25+", "unknown"),
        "period": MONTHS,
    }
    grid = list(itertools.product(*(levels[d] for d in dims)))
    counts = {key: values[i % len(values)] for i, key in enumerate(grid)}
    check_protected(additive_table(counts, dims, "persons_screened"), k)


def test_the_figures_of_a_busier_mechanism_need_complementary_cells_and_keep_them_safe():
    truth = compute_figures(
        mechanism_frames(vessels=24),
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    published = protect(truth)
    primary = (truth["persons"] > 0) & (truth["persons"] < 5)
    assert published.loc[primary, "suppressed"].all()
    complementary = published["suppressed"] & ~primary
    assert complementary.sum() > 0  # subtraction would have found the primary cells
    shown = published[~published["suppressed"]]
    assert ((shown["persons"] == 0) | (shown["persons"] >= 5)).all()
    assert (shown["persons"] >= 5).sum() > 100  # protection left figures to read
    assert_no_cell_recoverable(published, truth, intervals=("persons",))
