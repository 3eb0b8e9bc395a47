"""The run's counts (vessel_risk.pipeline.counts): the model's domain and coverage."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.builders import make_alert
from vessel_risk.pipeline.counts import model_domain_counts, model_domain_line, observed_share_bins


def test_the_domain_line_counts_inside_outside_and_unknown():
    alerts = [make_alert(model_applies=True)] * 3 + [make_alert(model_applies=False)]
    alerts += [make_alert()]
    counts = {"alerts_by_model_domain": model_domain_counts(alerts)}
    assert counts["alerts_by_model_domain"] == {"inside": 3, "outside": 1, "unknown": 1}
    assert model_domain_line(counts) == (
        "Model domain: 3 of 5 vessel-years inside (75.0%), 1 outside (25.0%), 1 unknown."
    )
    nothing = {"alerts_by_model_domain": model_domain_counts([make_alert()] * 2)}
    assert model_domain_line(nothing) == (
        "Model domain: unknown for all 2 vessel-years (no trained model scored them)."
    )


def test_observed_share_bins_count_every_row_once():
    f = pd.DataFrame({"observed_share": [0.0027, 0.0999, 0.1, 0.49, 0.5, 1.0, np.nan]})
    assert observed_share_bins(f) == {"<0.1": 2, "0.1-0.5": 2, ">=0.5": 2, "unknown": 1}
    assert observed_share_bins(f.drop(columns="observed_share")) == {
        "<0.1": 0,
        "0.1-0.5": 0,
        ">=0.5": 0,
        "unknown": 7,
    }


def test_the_squid_run_reports_its_domain_and_coverage(squid_run):
    out, output = squid_run
    counts = json.loads((out / "ingest_report.json").read_text())
    # Scored by the indicator baseline (no champion in the tests' registry): no model
    # applies (s14score's scoring says so: "no model: indicator baseline").
    assert counts["alerts_by_model_domain"] == {"inside": 0, "outside": 243, "unknown": 0}
    # The baseline has no domain: the run prints none (the scorer's note says baseline).
    assert "Model domain" not in output and "indicator baseline" in output
    assert counts["vessel_years_by_observed_share"] == {
        "<0.1": 340,
        "0.1-0.5": 9,
        ">=0.5": 5,
        "unknown": 0,
    }
    alerts = pd.read_csv(out / "alerts.csv", dtype={"mmsi": str})
    assert len(alerts) == 243 and not alerts["model_applies"].any()
    assert set(alerts["model_domain_reason"]) == {"no model: indicator baseline"}
    assert alerts["observed_share"].notna().all()
    # The median alert: 1 day heard of the 90 days of 2023 in the data (to 31 March).
    assert alerts["observed_share"].median() == pytest.approx(1 / 90)
    assert int(alerts["observed_share"].lt(0.1).sum()) == 229
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Model domain: 0 of 243 vessel-years inside (0.0%), 243 outside (100.0%)" in page
    assert "&lt;0.1: 340, 0.1-0.5: 9, &gt;=0.5: 5, unknown: 0" in page
