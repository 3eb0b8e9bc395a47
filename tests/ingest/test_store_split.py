"""The position store's writer: Arrow tables as pyarrow makes them, partitions as slices."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vessel_risk.ingest.store_split import arrow_table, write_split


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mmsi": pd.Series(["235000001", None, "235000002"], dtype="string"),
            "timestamp": pd.to_datetime(
                ["2021-07-01 00:00:00.123", None, "2021-07-02 00:00:00.000"], utc=True
            ).astype("datetime64[ns, UTC]"),
            "local": pd.to_datetime(["2021-07-01", None, "2021-07-03"]).tz_localize("Europe/Paris"),
            "lat": [1.5, np.nan, -2.0],
            "flag": pd.Series([True, None, False], dtype="boolean"),
            "source": pd.Series(["a.csv"] * 3, dtype=pd.StringDtype(na_value=np.nan)),
        }
    )


def test_arrow_table_equals_from_pandas_without_its_warning():
    frame = _frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = pa.Table.from_pandas(frame, preserve_index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas 3.1's Pandas4Warning among them
        got = arrow_table(frame)
    assert got.equals(want, check_metadata=True)
    assert got.schema.metadata == want.schema.metadata
    pd.testing.assert_frame_equal(got.to_pandas(), frame)


def test_write_split_keeps_each_keys_rows_in_order(tmp_path):
    frame = _frame()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_split(frame, np.array([3, 1, 3]), tmp_path, "part", "f.parquet")
    three = pq.read_table(tmp_path / "part=00003" / "f.parquet").to_pandas()
    one = pq.read_table(tmp_path / "part=00001" / "f.parquet").to_pandas()
    pd.testing.assert_frame_equal(three, frame.iloc[[0, 2]].reset_index(drop=True))
    pd.testing.assert_frame_equal(one, frame.iloc[[1]].reset_index(drop=True))
