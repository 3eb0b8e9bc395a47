"""Inspection outcomes become labels for the next training run."""

from __future__ import annotations

import pandas as pd
import pytest

from vessel_risk.model.outcomes import labels_from_outcomes


def _features() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mmsi": ["412000001", "412000001", "567000002", "567000003"],
            "year": [2023, 2024, 2024, 2024],
        }
    )


def test_confirmed_not_found_and_not_inspected() -> None:
    feats = _features()
    outcomes = pd.DataFrame(
        {
            "mmsi": ["412000001", "567000002", "567000003", "567000003"],
            "date": ["2024-05-02", "2024-06-01T10:00:00Z", "2024-07-01", "2024-08-01"],
            "outcome": ["confirmed", "not_found", "not_inspected", "not_found"],
            "source": ["NRM-TH-17", "PSC-ID", "PSC-ID", "PSC-ID"],
        }
    )
    out = labels_from_outcomes(feats, outcomes)
    assert list(out["known_offender"]) == [0, 1, 0, 0]
    assert list(out["known_non_offender"]) == [0, 0, 1, 1]
    assert out.loc[1, "source_id"] == "NRM-TH-17"
    assert "known_offender" not in feats.columns  # input untouched


def test_confirmed_wins_over_not_found_in_the_same_year() -> None:
    outcomes = pd.DataFrame(
        {
            "mmsi": ["567000002", "567000002"],
            "date": ["2024-01-10", "2024-09-10"],
            "outcome": ["not_found", "confirmed"],
            "source": ["PSC", "NGO"],
        }
    )
    out = labels_from_outcomes(_features(), outcomes)
    row = out.loc[out["mmsi"] == "567000002"].iloc[0]
    assert (row["known_offender"], row["known_non_offender"]) == (1, 0)


def test_unknown_outcome_is_a_clear_error() -> None:
    outcomes = pd.DataFrame(
        {"mmsi": ["1"], "date": ["2024-01-01"], "outcome": ["guilty"], "source": ["x"]}
    )
    with pytest.raises(ValueError, match="must hold only confirmed"):
        labels_from_outcomes(_features(), outcomes)


def test_train_with_a_missing_outcome_file_is_a_clear_error(tmp_path) -> None:
    from typer.testing import CliRunner

    from vessel_risk.cli import app

    feats = tmp_path / "features.csv"
    _features().to_csv(feats, index=False)
    result = CliRunner().invoke(
        app, ["train", "--labels", str(feats), "--outcomes", str(tmp_path / "nope.csv")]
    )
    assert result.exit_code == 2
    assert "not exist" in " ".join(result.output.split())
