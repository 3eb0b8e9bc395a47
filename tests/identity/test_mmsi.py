"""MMSI normalisation, validity and flag state from the MID (vessel_risk.identity.mmsi)."""

from __future__ import annotations

import pandas as pd

from vessel_risk.identity.mmsi import flag_iso3, mmsi_valid, normalize_mmsi


def test_integer_mmsis_get_their_leading_zeros_back():
    mmsi, reason = normalize_mmsi(pd.Series([9123456, 412000203, 15006], dtype="int64"))
    assert list(mmsi) == ["009123456", "412000203", "000015006"]
    assert reason.isna().all()


def test_unusable_mmsis_are_named_not_dropped():
    mmsi, reason = normalize_mmsi(pd.Series(["", "ABC123456", "1234567890", "567000202"]))
    assert list(reason.fillna("ok")) == [
        "missing_mmsi",
        "mmsi_not_numeric_9_digits",
        "mmsi_not_numeric_9_digits",
        "ok",
    ]
    assert mmsi.iloc[3] == "567000202"


def test_validity_and_flag_from_mid():
    s = pd.Series(["567000202", "412000203", "150400999", "000000000", "123456789", "000012345"])
    assert list(mmsi_valid(s)) == [True, True, False, False, False, False]
    assert list(flag_iso3(s).fillna("-")) == ["THA", "CHN", "-", "-", "-", "-"]
