"""frames.sort_order: the order of pandas' stable multi-key sort, by NumPy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vessel_risk.frames import sort_order, sorted_by


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.Series(
        pd.to_datetime(rng.integers(0, 50, n), unit="h", utc=True), dtype="datetime64[ns, UTC]"
    )
    t[rng.random(n) < 0.05] = pd.NaT
    x = rng.choice([0.0, -0.0, 1.5, -2.0, np.nan, np.inf], n)
    mmsi = pd.Series(rng.choice(["412000001", "100000002", "567000003"], n), dtype="string")
    mmsi[rng.random(n) < 0.05] = pd.NA
    track = pd.Series(rng.integers(0, 3, n), dtype="Int64")
    track[rng.random(n) < 0.05] = pd.NA
    return pd.DataFrame(
        {
            "mmsi": mmsi,
            "timestamp": t,
            "x": x,
            "track_id": rng.integers(0, 3, n),
            "track": track,
            "flag": rng.random(n) < 0.5,
        }
    )


@pytest.mark.parametrize(
    "by",
    [
        ["mmsi", "timestamp", "x"],
        ["mmsi", "track_id", "timestamp"],
        ["timestamp"],
        ["x", "flag"],
        ["track", "mmsi"],
        # Later keys after a time break ties only among the rows tied before them.
        ["mmsi", "timestamp", "x", "flag", "track"],
        ["x", "timestamp", "mmsi"],
        ["track", "timestamp", "track_id"],
    ],
)
def test_sort_order_is_pandas_stable_sort(by):
    # Missing values of every kind, -0.0 beside 0.0, infinities and many ties; with
    # sparse times, few ties.
    for seed in range(5):
        frame = _frame(2_000, seed)
        if seed % 2:
            frame["timestamp"] += pd.to_timedelta(np.arange(len(frame)) % 7, unit="s")
        want = frame.sort_values(by, kind="stable").index.to_numpy()
        np.testing.assert_array_equal(sort_order(frame, by), want)


def test_sort_order_of_an_empty_frame_is_empty():
    assert len(sort_order(_frame(0, 0), ["mmsi", "timestamp"])) == 0


def test_sorted_by_returns_a_sorted_frame_itself_and_sorts_others():
    frame = _frame(500, 3)
    by = ["mmsi", "timestamp", "x"]
    want = frame.sort_values(by, kind="stable")
    got = sorted_by(frame, by)
    pd.testing.assert_frame_equal(got, want)
    # Already in order: the same object back, not a copy.
    assert sorted_by(got, by) is got
    assert len(sorted_by(frame.iloc[:0], by)) == 0


def test_building_a_schema_does_not_import_dask_dataframe():
    """pandera imports dask.dataframe (0.58 s, 42 MiB) for annotation types when Dask is
    installed; frames keeps it out, in a fresh process as a run's would be."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from vessel_risk.frames import empty_frame\n"
        "from vessel_risk.events.schemas import PositionSchema\n"
        "frame = empty_frame(PositionSchema)\n"
        "PositionSchema.validate(frame)\n"
        "print(len(frame.columns), 'dask.dataframe' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["10", "False"]
