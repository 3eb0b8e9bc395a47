"""Distance to shore (vessel_risk.geo.shore): the grid ships to Dask workers by pickle."""

from __future__ import annotations

import pickle

import numpy as np

from vessel_risk.geo.shore import ShoreDistance

# Open sea off Malaysia, the South China Sea coast, the Atlantic, a point inland, unknown.
LAT = [5.5, 5.35, 40.5, 48.0, np.nan]
LON = [104.0, 103.2, -30.0, 10.0, 0.0]


def test_a_pickled_shore_grid_gives_the_same_distances():
    shore = ShoreDistance()
    data = pickle.dumps(shore)
    copy = pickle.loads(data)
    assert len(data) < 1_000  # the grid itself is not shipped: it is reopened from the wheel
    np.testing.assert_array_equal(copy(LAT, LON), shore(LAT, LON))
    got = shore(LAT, LON)
    assert got[0] > 50 and got[3] < 0 and np.isnan(got[4])  # sea, land (negative), unknown
