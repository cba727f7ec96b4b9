"""Datum conversion against published reference values."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from geo.datums import (
    bd09_to_gcj02,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_gcj02,
)

# Reference values published with the widely used coordTransform libraries
# (wandergis/coordTransform README), all for the input point (116.404, 39.915).
BEIJING = (116.404, 39.915)


def test_wgs84_to_gcj02_matches_published_value():
    assert_allclose(wgs84_to_gcj02(*BEIJING), (116.41024449916938, 39.91640428150164), atol=1e-12)


def test_gcj02_bd09_pair_matches_published_values():
    assert_allclose(gcj02_to_bd09(*BEIJING), (116.41036949371029, 39.92133699351021), atol=1e-12)
    assert_allclose(bd09_to_gcj02(*BEIJING), (116.39762729119315, 39.90865673957631), atol=1e-12)


def test_gcj02_inverse_is_closer_than_the_one_step_approximation():
    # The published one-step inverse gives (116.39775550083061, 39.91359571849836);
    # the iterated inverse must round-trip to under a millimetre (1e-8 degrees).
    lng, lat = gcj02_to_wgs84(*BEIJING)
    assert_allclose(wgs84_to_gcj02(lng, lat), BEIJING, atol=1e-9)
    assert abs(lng - 116.39775550083061) < 2e-5  # and stays within ~2 m of the approximation


def test_vectorised_round_trip_in_shenzhen():
    rng = np.random.default_rng(1)
    lng = rng.uniform(113.75, 114.0, 500)
    lat = rng.uniform(22.5, 22.9, 500)
    g_lng, g_lat = wgs84_to_gcj02(lng, lat)
    # GCJ-02 shifts Shenzhen by a few hundred metres
    assert np.all(np.abs(g_lng - lng) > 0.003)
    back = gcj02_to_wgs84(g_lng, g_lat)
    assert_allclose(back, (lng, lat), atol=1e-9)
    b_lng, b_lat = gcj02_to_bd09(g_lng, g_lat)
    assert_allclose(to_wgs84(b_lng, b_lat, "bd09"), (lng, lat), atol=1e-6)


def test_points_outside_china_are_not_shifted():
    assert wgs84_to_gcj02(-87.63, 41.88) == (-87.63, 41.88)


def test_unknown_datum_is_named():
    with pytest.raises(ValueError, match="unknown datum 'utm'"):
        to_wgs84(1.0, 2.0, "utm")
