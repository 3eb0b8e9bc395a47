"""The decoded dialect's compact times read from their digits, against the text path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vessel_risk.ingest.timestamps import _compact_time, _compact_utc, _iso_text, _parse_timestamps


def _text_path(time: pd.Series, ms: pd.Series | None) -> pd.Series:
    return _parse_timestamps(_compact_time(time, ms))[0]


def test_clean_compact_times_equal_the_iso_text_path():
    time = pd.Series(
        [
            "20210701_185151",
            " 20210701_000000 ",
            None,
            "20240229_235959",
            "20000229_000000",
            "21000228_235959",
            "19900101_000000",
        ],
        dtype="string",
    )
    ms = pd.Series(["5", "NaN", "1", "999.9", None, "junk", "-3"], dtype="string")
    got = _compact_utc(time, ms)
    assert got is not None
    pd.testing.assert_series_equal(got, _text_path(time, ms))
    assert got.iloc[0] == pd.Timestamp("2021-07-01T18:51:51.005Z")
    assert got.iloc[3] == pd.Timestamp("2024-02-29T23:59:59.999Z")  # 999.9 ms held to 999
    assert pd.isna(got.iloc[2])
    assert _iso_text(got).tolist() == _compact_time(time, ms).tolist()


def test_every_day_from_1990_to_2100_equals_the_text_path():
    days = np.arange(np.datetime64("1990-01-01"), np.datetime64("2101-01-01"))
    rng = np.random.default_rng(7)
    clock = rng.integers(0, 86_400, len(days))
    text = [
        f"{str(d).replace('-', '')}_{c // 3600:02d}{c // 60 % 60:02d}{c % 60:02d}"
        for d, c in zip(days, clock, strict=True)
    ]
    time = pd.Series(text, dtype="string")
    got = _compact_utc(time, None)
    assert got is not None and len(got) == 40_542
    pd.testing.assert_series_equal(got, _text_path(time, None))


@pytest.mark.parametrize(
    "odd",
    [
        "20210230_000000",  # 30 February
        "20210229_000000",  # not a leap year
        "21000229_000000",  # nor is 2100
        "20210701_240000",
        "20210701_236000",
        "20210701_235960",
        "19891231_235959",  # before AIS
        "21010101_000000",
        "20211301_000000",
        "20210001_000000",
        "20210700_000000",
        "2021070a_000000",
        "20210701-000000",
        "20210701_185151Z",
        "２0210701_000000",  # a full-width digit
        "",
        "x",
    ],
)
def test_any_other_value_leaves_the_block_to_the_text_path(odd):
    time = pd.Series(["20210701_185151", odd], dtype="string")
    assert _compact_utc(time, None) is None
    ts = _text_path(time, None)  # which still reads the clean one
    assert ts.iloc[0] == pd.Timestamp("2021-07-01T18:51:51Z")


def test_all_null_and_empty_columns():
    assert _compact_utc(pd.Series([], dtype="string"), None) is None
    got = _compact_utc(pd.Series([None, None], dtype="string"), None)
    assert got is not None and got.isna().all()
    assert str(got.dtype) == "datetime64[ns, UTC]"


def test_iso_utc_times_keep_their_rows_on_any_index():
    """Review (s7, latent since 687558c): the all-"Z" pyarrow cast is put back with
    ``pd.Series(Series, index=raw.index)``, which realigns by label, so a column not on a
    0..n-1 index gets other rows' times or NaT (and would be quarantined)."""
    raw = pd.Series(
        ["2021-07-01T00:00:00Z", "2021-07-02T00:00:00Z", "2021-07-03T00:00:00Z"],
        index=[5, 6, 7],
        dtype="string",
    )
    ts, _, _ = _parse_timestamps(raw)
    assert ts.tolist() == pd.to_datetime(raw.tolist(), utc=True).tolist()
