"""The champion model's card and scoring one row (vessel_risk.api.routes.models)."""

from __future__ import annotations

from tests.apikit import auth


def test_models_fall_back_to_the_baseline_and_score_a_row(api):
    m = api.get("/models/champion", headers=auth("cl-analyst")).json()
    assert m["scorer"] == "indicator-baseline" and "No champion" in m["note"]
    assert "long_voyages" in m["model_card"]
    row = {"position_messages": 5000, "days_observed": 200, "max_voyage_duration_hours": 365 * 24}
    s = api.post("/models/score", json=row, headers=auth("cl-analyst")).json()
    # Alone in its table the row has no peers: the voyage's ramp alone, half its LLR of 1.2
    # (docs/model.md): logit(0.05) + 0.6 -> 0.0861. Its odds are 1.8 times the prior's,
    # under the 2 a tier needs (combine.MIN_TIER_ODDS): "low", not "high" of a table of one.
    assert s["score"] == 0.0861 and s["tier"] == "low"
    assert [i["name"] for i in s["indicators"]] == ["model", "long_voyages"]
    assert s["indicators"][0]["reason"].startswith("no model: scored by identity")
    thin = api.post(
        "/models/score",
        json={"position_messages": 10, "days_observed": 2},
        headers=auth("cl-analyst"),
    ).json()
    assert thin["tier"] == "insufficient data" and thin["score"] == 0.05  # the prior
