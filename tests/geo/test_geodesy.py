import numpy as np
import pytest

from vessel_risk.geo.geodesy import distance_km, implied_speed_knots


def test_one_degree_across_the_antimeridian_is_111_32_km():
    assert distance_km(0.0, 179.5, 0.0, -179.5)[()] == pytest.approx(111.32, abs=0.01)


def test_one_degree_of_longitude_at_60_north_is_55_80_km():
    assert distance_km(60.0, 10.0, 60.0, 11.0)[()] == pytest.approx(55.80, abs=0.01)


def test_nan_position_gives_nan_distance():
    d = distance_km([0.0, np.nan], [0.0, 0.0], [0.0, 1.0], [1.0, 1.0])
    assert d[0] == pytest.approx(111.32, abs=0.01)
    assert np.isnan(d[1])


def test_zero_duration_gives_nan_speed_never_infinity():
    v = implied_speed_knots([1.852, 1.852, 0.0], [1.0, 0.0, 0.0])
    assert v[0] == pytest.approx(1.0)
    assert np.isnan(v[1]) and np.isnan(v[2])
    assert not np.isinf(v).any()
