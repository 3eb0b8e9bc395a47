"""Stand-ins, bootstrap intervals and the label statement, by hand and on GFW's table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.builders import shared_file
from vessel_risk.features.catalogue import PIPELINE_FEATURES
from vessel_risk.model.evaluate import evaluate
from vessel_risk.model.evaluation_checks import (
    auc,
    bootstrap_ci,
    known_vs_possible_auc,
    label_support,
    stand_in_analysis,
)
from vessel_risk.model.evaluation_report import report_html
from vessel_risk.model.factory import make_model

FAST_PU = {"n_bags": 3, "n_estimators": 30, "random_state": 0}


def test_auc_and_known_against_possible_by_hand() -> None:
    # 2 of the 4 (class, other) pairs ordered, one tie (half): (2 + 0.5) / 4.
    assert auc(np.array([0.9, 0.5, 0.5, 0.1]), np.array([1, 1, 0, 0])) == pytest.approx(0.875)
    assert auc(np.array([0.9, 0.1, 0.5, np.nan]), np.array([1, 0, 1, 0])) == 1.0
    assert np.isnan(auc(np.array([0.1, 0.2]), np.array([1, 1])))
    cls = np.array([1, 1, 3, 3, 2])
    assert known_vs_possible_auc(np.array([0.2, 0.3, 0.8, 0.9, 0.0]), cls) == 0.0


def test_bootstrap_resamples_whole_vessels() -> None:
    # Two vessels: each resample holds 0, 1 or 2 copies of vessel "a" (value 1) out of 2
    # draws, so the mean is 0, 0.5 or 1 and the 95 % interval spans [0, 1].
    values = np.array([1.0, 1.0, 0.0, 0.0])
    groups = np.array(["a", "a", "b", "b"])
    lo, hi = bootstrap_ci(lambda rows: float(values[rows].mean()), groups, n_boot=200)
    assert (lo, hi) == (0.0, 1.0)
    one = bootstrap_ci(lambda rows: float(len(set(groups[rows]))), np.array(["a", "a"]))
    assert one == (1.0, 1.0)


def test_stand_ins_on_a_hand_made_fleet() -> None:
    n = 40
    frame = pd.DataFrame(
        {
            "flag": ["GBR"] * n + ["CHN"] * n,
            # Every other CHN vessel-year a squid jigger, starting with the lowest score.
            "gear": ["trawlers"] * n + ["squid_jigger", "trawlers"] * (n // 2),
        }
    )
    cls = np.array([2] * n + [1] * n)
    score = np.r_[np.linspace(0, 0.4, n), np.linspace(0.6, 1, n)]  # flag decides the score
    si = stand_in_analysis(frame, score, cls).set_index(["attribute", "category"])
    fleet = si.xs("non-offenders' fleet", level="attribute").iloc[0]
    assert fleet.name == f"not GBR trawlers ({n} of {n} known non-offenders are GBR trawlers)"
    assert fleet["auc"] == 1.0 and fleet["warning"]
    assert si.loc[("flag", "GBR"), "auc"] == 0.0
    assert si.loc[("flag", "CHN"), "auc"] == 1.0
    # Squid jiggers beat all 40 GBR rows and 190 of 400 pairs with CHN trawlers:
    # (20 * 40 + 190) / (20 * 60).
    assert si.loc[("gear", "squid_jigger"), "auc"] == pytest.approx(990 / 1200)
    assert si.loc[("gear", "squid_jigger"), "warning"]  # 0.825 >= 0.8
    text = " ".join(label_support(frame.assign(vessel_id=np.arange(2 * n)), cls))
    assert "100% of the known non-offender vessel-years are GBR trawlers" in text
    assert "no unlabelled vessel-years" in text


def folds_n(ev) -> np.ndarray:
    """Rows with a known class per fold (the rows ECE is measured on)."""
    known = ev.scores.loc[ev.scores["label_class"].isin([1, 2])]
    return known.groupby("fold").size().sort_index().to_numpy()


@pytest.fixture(scope="module")
def labelled_evaluation():
    table = pd.read_csv(shared_file("data", "labels", "vessel_year_features_labelled.csv"))
    feats = [f for f in PIPELINE_FEATURES if f in table.columns]
    return evaluate(make_model("pu-lightgbm", **FAST_PU), table, feats, name="pu-lightgbm")


def test_gfw_table_report_shows_stand_ins_and_their_warnings(labelled_evaluation) -> None:
    ev = labelled_evaluation
    m = ev.metrics
    # The score tells "not a UK trawler" from the rest: a fleet detector.
    assert m["non_offender_fleet_auc"] > 0.95
    si = ev.stand_ins.set_index(["attribute", "category"])
    assert si.loc[("flag", "GBR"), "auc"] < 0.05
    assert si.loc[("flag", "GBR"), "warning"]
    # Known against possible offenders: possible offenders score higher.
    assert m["known_vs_possible_auc"] < 0.5
    # Held-out ECE per fold, and in sample for contrast.
    assert len(ev.folds) == 5 and ev.folds["ece"].notna().all()
    # Pooled ECE is at most the folds' mean (same bins, triangle inequality).
    assert m["ece_fold_max"] >= float(np.average(ev.folds["ece"], weights=folds_n(ev))) >= m["ece"]
    assert 0 <= m["ece_in_sample"] < 0.1
    lo, hi = m["recall_at_98_specificity_ci_low"], m["recall_at_98_specificity_ci_high"]
    assert lo < m["recall_at_98_specificity"] < hi
    # Single features warned at 0.8, not only 0.99.
    conf = ev.confounders.set_index("feature")
    assert conf.loc["max_distance_from_port_km", "warning"]
    assert not conf.loc["max_distance_from_port_km", "separates"]
    assert any("'max_distance_from_port_km' alone largely tells" in n for n in ev.notes)
    assert any(n.startswith("Stand-in analysis: the score predicts the fleet") for n in ev.notes)
    by = ev.breakdown.set_index(["by", "level"])
    assert by.loc[("gear", "trawlers"), "n_non_offender"] == 250
    assert by.loc[("gear", "trawlers"), "non_offenders_flagged"] <= 0.02
    page = report_html([ev], title="t")
    assert "What the labels can and cannot support" in page
    assert "100% of the known non-offender vessel-years are GBR trawlers" in page
    assert "Stand-in analysis: does the score predict the fleet?" in page
    assert "<p class='warn'>Warning: the score predicts non-offenders&#x27; fleet not GBR" in page
    assert "Known against possible offenders" in page
    assert "Adversarial validation" not in page


def test_report_has_an_adversarial_section_when_given_one(labelled_evaluation) -> None:
    adversarial = {
        "auc": 1.0,
        "auc_ci": (0.998, 1.0),
        "top_features": [("position_messages", 0.97), ("number_voyages", 0.91)],
        "comparable": False,
    }
    page = report_html([labelled_evaluation], title="t", adversarial=adversarial)
    assert "reaches AUC 1.000 (95 % interval 0.998–1.000)" in page
    assert "The sources are separable" in page
    assert "position_messages" in page
