"""Inspection outcomes become labels for the next training run."""

from __future__ import annotations

import pandas as pd
import pytest

from vessel_risk.model.outcomes import labels_from_outcomes, outcome_key, unmatched_outcomes


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


def test_outcomes_keyed_by_vessel_id_label_gfw_s_table() -> None:
    from tests.builders import shared_file

    table = pd.read_csv(shared_file("data", "labels", "vessel_year_features_labelled.csv"))
    feats = table.drop(
        columns=["known_offender", "known_non_offender", "possible_offender", "source_id"]
    )
    assert "mmsi" not in feats.columns  # the table that gave KeyError: 'mmsi'
    outcomes = pd.DataFrame(
        {
            "vessel_id": ["V0063", "V0063", "V9999"],
            "date": ["2017-03-01", "2016-12-31T23:00:00Z", "2017-01-01"],
            "outcome": ["confirmed", "not_found", "confirmed"],
            "source": ["NRM-TH-17", "PSC-ID", "PSC-ID"],
        }
    )
    out = labels_from_outcomes(feats, outcomes)
    v = out.loc[out["vessel_id"] == "V0063"].set_index("year")
    assert v.loc[2017, "known_offender"] == 1
    assert v.loc[2017, "source_id"] == "NRM-TH-17"
    assert (v.loc[2016, "known_offender"], v.loc[2016, "known_non_offender"]) == (0, 1)
    assert int(out["known_offender"].sum()) == 1
    assert int(out["known_non_offender"].sum()) == 1
    # The vessel the table lacks is reported, never silently dropped.
    assert list(unmatched_outcomes(feats, outcomes)["vessel_id"]) == ["V9999"]


def test_vessel_id_is_preferred_and_mmsi_is_padded() -> None:
    feats = _features().assign(vessel_id=["A", "A", "B", "C"])
    outcomes = pd.DataFrame(
        {
            "mmsi": ["12000001", "999999999"],
            "vessel_id": ["B", "C"],
            "date": ["2024-05-02", "2024-05-02"],
            "outcome": ["confirmed", "not_found"],
            "source": ["x", "y"],
        }
    )
    assert outcome_key(feats, outcomes) == "vessel_id"
    out = labels_from_outcomes(feats, outcomes)
    assert list(out["known_offender"]) == [0, 0, 1, 0]
    assert list(out["known_non_offender"]) == [0, 0, 0, 1]
    # By mmsi alone, a short MMSI is padded to 9 characters as in the features.
    by_mmsi = outcomes.drop(columns="vessel_id").assign(mmsi=["412000001", "567000002"])
    out = labels_from_outcomes(_features(), by_mmsi)
    assert list(out["known_offender"]) == [0, 1, 0, 0]
    assert list(out["known_non_offender"]) == [0, 0, 1, 0]


def test_outcomes_by_a_key_the_features_lack_is_a_clear_error() -> None:
    feats = pd.DataFrame({"vessel_id": ["V0063"], "year": [2017]})
    outcomes = pd.DataFrame(
        {"mmsi": ["412000001"], "date": ["2017-01-01"], "outcome": ["confirmed"], "source": ["x"]}
    )
    with pytest.raises(ValueError, match="name vessels by mmsi, which the vessel-year features"):
        labels_from_outcomes(feats, outcomes)
    with pytest.raises(ValueError, match="'vessel_id' or an 'mmsi' column"):
        labels_from_outcomes(feats, outcomes.drop(columns="mmsi"))


def test_train_with_outcomes_by_mmsi_on_gfw_s_table_is_a_clear_error(tmp_path) -> None:
    from typer.testing import CliRunner

    from tests.builders import shared_file
    from vessel_risk.cli import app

    labels = shared_file("data", "labels", "vessel_year_features_labelled.csv")
    path = tmp_path / "outcomes.csv"
    pd.DataFrame(
        {"mmsi": ["412000001"], "date": ["2017-05-01"], "outcome": ["confirmed"], "source": ["x"]}
    ).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["train", "--labels", str(labels), "--outcomes", str(path)])
    assert result.exit_code == 2, result.output
    assert "name vessels by mmsi, which the vessel-year features lack" in " ".join(
        result.output.split()
    )
