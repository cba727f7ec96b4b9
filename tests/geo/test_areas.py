"""Areas drawn on a map: reading them from a URL and telling which points lie inside."""

from __future__ import annotations

import numpy as np
import pytest

from geo.areas import AreaError, haversine_m, parse


def test_a_circle_holds_the_points_within_its_radius_on_the_ground():
    area = parse("circle:113.9,22.55,500")
    # Points 499 m and 501 m due east, and 499 m due north (metres, measured by haversine).
    east = 113.9 + np.degrees(499 / 6_371_008.8) / np.cos(np.radians(22.55))
    far = 113.9 + np.degrees(501 / 6_371_008.8) / np.cos(np.radians(22.55))
    north = 22.55 + np.degrees(499 / 6_371_008.8)
    inside = area.contains(np.array([east, far, 113.9, np.nan]), np.array([22.55, 22.55, north, 1]))
    assert inside.tolist() == [True, False, True, False]
    assert haversine_m(np.array([east]), np.array([22.55]), 113.9, 22.55)[0] == pytest.approx(499)
    assert area.text() == "circle:113.900000,22.550000,500"


def test_a_polygon_holds_what_is_inside_it_and_reads_back_the_same():
    area = parse("poly:113.8 22.5; 113.9 22.5; 113.9 22.6; 113.8 22.6")
    assert area.contains(np.array([113.85, 113.95]), np.array([22.55, 22.55])).tolist() == [
        True,
        False,
    ]
    assert parse(area.text()) == area


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("circle:113.9,22.55", "circle:LNG,LAT,RADIUS_M"),
        ("circle:113.9,22.55,5", "radius of 10"),
        ("circle:113.9,abc,500", "is not a number"),
        ("circle:213.9,22.55,500", "not a longitude and latitude"),
        ("poly:113.8 22.5;113.9 22.5", "3 to 200 vertices"),
        ("poly:113.8 22.5;113.9 22.5;114.0 22.5", "encloses nothing"),
        ("square:1,2,3", "circle:LNG,LAT"),
        ("circle:nan,22.5,500", "is not a number"),
    ],
)
def test_a_bad_area_says_what_is_wrong(text, words):
    with pytest.raises(AreaError) as err:
        parse(text)
    assert words in str(err.value)
