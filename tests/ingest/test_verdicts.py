"""Fast paths of the verdicts against the general ones they stand in for."""

from __future__ import annotations

import pandas as pd
import pytest

from vessel_risk.identity.mmsi import normalize_mmsi
from vessel_risk.ingest.verdicts import _not_vessel_report, _text_mmsi


@pytest.mark.parametrize(
    "values",
    [
        ["123456789", "235000001"],  # the usual column: 9 digits
        ["123456789", "12", None],  # padded, missing
        ["1234567890"],  # 10 digits
        ["12.0", "x", "", " 7 "],  # the pattern path
        [None, None],
        ["0"],
        [],
    ],
)
def test_text_mmsi_equals_normalize_mmsi(values):
    s = pd.Series(values, dtype="string")
    mmsi, reason = _text_mmsi(s)
    want_mmsi, want_reason = normalize_mmsi(s)
    pd.testing.assert_series_equal(mmsi, want_mmsi)
    pd.testing.assert_series_equal(reason, want_reason)


def test_message_types_that_are_not_vessel_reports():
    s = pd.Series(["AIS.1", "AIS.21", None, "4", " 24 ", "x", "1", "27"], dtype="string")
    got = _not_vessel_report(s)
    assert got.tolist() == [False, True, False, True, False, False, False, False]
    assert got.dtype == bool
