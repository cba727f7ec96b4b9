"""The hexagon size follows the zoom: the finest resolution still 8 px across."""

from __future__ import annotations

import math

import pytest

from dashboard.screens.overview.zoom_resolution import (
    HEX_WIDTH_KM,
    MIN_CELL_PX,
    metres_per_pixel,
    resolution_for_zoom,
    resolution_of_view,
    view_of,
)

SHENZHEN = 22.7


def test_metres_per_pixel_halve_with_each_zoom_level():
    assert metres_per_pixel(0, 0) == pytest.approx(78_271.5, rel=1e-5)  # 512-px tiles
    assert metres_per_pixel(10, SHENZHEN) == pytest.approx(metres_per_pixel(9, SHENZHEN) / 2)
    assert metres_per_pixel(10, 60) == pytest.approx(metres_per_pixel(10, 0) / 2)


@pytest.mark.parametrize(
    ("zoom", "res"),
    [(6.0, 6), (7.9, 7), (9.2, 7), (9.4, 8), (9.78, 8), (10.6, 8), (10.8, 9), (14.0, 9)],
)
def test_the_resolution_steps_with_the_zoom(zoom, res):
    assert resolution_for_zoom(zoom, SHENZHEN) == res


@pytest.mark.parametrize("zoom", [8.0, 9.5, 10.5, 11.0, 12.0])
def test_the_chosen_hexagons_are_wide_enough_and_the_finer_ones_not(zoom):
    res = resolution_for_zoom(zoom, SHENZHEN)
    px = HEX_WIDTH_KM[res] * 1000 / metres_per_pixel(zoom, SHENZHEN)
    assert px >= MIN_CELL_PX
    if res < 9:
        finer = HEX_WIDTH_KM[res + 1] * 1000 / metres_per_pixel(zoom, SHENZHEN)
        assert finer < MIN_CELL_PX


def test_the_latitude_counts_chicago_shows_finer_cells_at_the_same_zoom():
    assert resolution_for_zoom(10.6, SHENZHEN) == 8
    assert resolution_for_zoom(10.6, 41.8) == 9
    assert resolution_for_zoom(2.0, SHENZHEN) == 6  # the coarsest is the floor
    with pytest.raises(ValueError, match="zoom"):
        resolution_for_zoom(math.nan)


def test_relayout_data_gives_the_view_only_when_the_map_moved():
    moved = {"map.center": {"lon": 113.9, "lat": 22.6}, "map.zoom": 11.2, "map.bearing": 0}
    assert view_of(moved) == (11.2, 22.6)
    assert resolution_of_view(moved) == 9
    assert view_of({"map.zoom": 9.8}) == (9.8, 22.6)  # no centre: Shenzhen's latitude
    for still in (None, {}, {"autosize": True}, {"map.zoom": "9"}, {"map.zoom": True}):
        assert view_of(still) is None and resolution_of_view(still) is None
