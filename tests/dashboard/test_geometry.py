"""Static map geometry: which cells cover the stations, who owns them, what is served."""

from __future__ import annotations

import json

import numpy as np
import pytest
from shapely.geometry import Point, box

from dashboard.parts.geometry import (
    GeoDocument,
    GeometryCache,
    bounds,
    cell_stations,
    cells_feature_collection,
    covering_cells,
    stations_feature_collection,
)
from geo.h3cells import cell_to_latlng, cell_to_str, latlng_to_cells
from geo.jurisdictions import Jurisdiction

# Two squares side by side (WGS-84), about 5 x 5.5 km each.
WEST = Jurisdiction("W", "西所", "West", box(113.80, 22.60, 113.85, 22.65))
EAST = Jurisdiction("E", "东所", "East", box(113.85, 22.60, 113.90, 22.65))


def _cell(lng: float, lat: float, res: int) -> int:
    return int(latlng_to_cells(np.array([lat]), np.array([lng]), res)[0])


@pytest.mark.parametrize("res", [7, 8, 9])
def test_cells_cover_the_corners_and_the_inside(res):
    cells = set(covering_cells([WEST, EAST], res))
    for lng, lat in [(113.8001, 22.6001), (113.8999, 22.6499), (113.85, 22.625)]:
        assert _cell(lng, lat, res) in cells
    assert _cell(113.95, 22.70, res) not in cells  # far outside


def test_a_station_smaller_than_a_cell_still_gets_one():
    tiny = Jurisdiction("T", "小所", "Tiny", box(113.8500, 22.6000, 113.8502, 22.6002))
    assert len(covering_cells([tiny], 7)) >= 1


def test_each_cell_belongs_to_the_station_holding_its_centre():
    west_cell, east_cell = _cell(113.81, 22.62, 9), _cell(113.89, 22.62, 9)
    owner = cell_stations([west_cell, east_cell], [WEST, EAST])
    assert owner == {west_cell: "W", east_cell: "E"}


def test_a_border_cell_whose_centre_is_outside_goes_to_the_station_it_overlaps():
    border = [
        c
        for c in covering_cells([WEST], 8)
        if not WEST.boundary.contains(Point(cell_to_latlng(c)[::-1]))
    ]
    assert border, "a square station has border cells with outside centres"
    assert cell_stations(border, [WEST]) == dict.fromkeys(border, "W")


def test_documents_carry_ids_names_and_stations():
    stations = stations_feature_collection([WEST, EAST])
    assert [f["id"] for f in stations["features"]] == ["W", "E"]
    assert stations["features"][0]["properties"] == {
        "code": "W",
        "name_zh": "西所",
        "name_en": "West",
        "level": "leaf",
    }
    cell = _cell(113.81, 22.62, 8)
    cells = cells_feature_collection([cell], {cell: "W"})
    feature = cells["features"][0]
    assert feature["id"] == cell_to_str(cell) and feature["properties"] == {"station": "W"}
    ring = feature["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and all(len(str(x).split(".")[1]) <= 6 for x in ring[0])


def test_bounds_surround_every_station():
    assert bounds([WEST, EAST]) == pytest.approx((113.80, 22.60, 113.90, 22.65))
    assert bounds([]) is None


def test_the_cache_builds_each_document_once_per_station_set():
    calls = []

    def load(key):
        calls.append(key)
        return [WEST, EAST] if key is None else [s for s in (WEST, EAST) if s.code in key]

    cache = GeometryCache(load)
    first = cache.cells_document(None, 8)
    assert cache.cells_document(None, 8) is first
    assert cache.stations_document(None) is cache.stations_document(None)
    west_only = cache.stations_document(frozenset({"W"}))
    assert [f["id"] for f in json.loads(west_only.body)["features"]] == ["W"]
    assert calls == [None, frozenset({"W"})]
    assert isinstance(first, GeoDocument) and len(first.etag) == 32
