"""Invariants of cleaning, checked on generated tracks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from vessel_risk.events.clean import clean_positions
from vessel_risk.geo.tracks import segment_km

row = st.fixed_dictionaries(
    {
        "mmsi": st.sampled_from(["567000001", "412000002"]),
        "timestamp": st.integers(0, 48 * 3600).map(
            lambda s: pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(seconds=s)
        ),
        "lat": st.one_of(st.floats(-60, 60), st.just(91.0), st.just(0.0)),
        "lon": st.one_of(st.floats(-179, 179), st.just(181.0), st.just(0.0)),
        "speed_knots": st.one_of(st.floats(0, 30), st.just(102.3)),
        "course": st.one_of(st.floats(0, 359.9), st.just(360.0)),
        "heading": st.one_of(st.integers(0, 359).map(float), st.just(511.0)),
    }
)


def _frame(rows):
    f = pd.DataFrame(rows)
    f["timestamp"] = pd.to_datetime(f["timestamp"], utc=True).astype("datetime64[ns, UTC]")
    f["source"] = "gen"
    f["line"] = range(2, len(f) + 2)
    return f


@settings(max_examples=100, deadline=None)
@given(st.lists(row, min_size=1, max_size=40))
def test_cleaning_is_idempotent_and_loses_nothing(rows):
    frame = _frame(rows)
    once = clean_positions(frame)
    assert len(once.positions) + len(once.quarantine) == len(frame)
    twice = clean_positions(once.positions)
    assert len(twice.quarantine) == 0
    pd.testing.assert_frame_equal(twice.positions, once.positions)
    p = once.positions
    assert not p.duplicated(["mmsi", "timestamp"]).any()
    assert (p["speed_knots"].dropna() < 102.3).all()
    assert (p["heading"].dropna() < 360).all()
    # Step lengths measured while cleaning (each step once) equal measuring them afresh.
    np.testing.assert_array_equal(once.segment_km, segment_km(p).to_numpy())
