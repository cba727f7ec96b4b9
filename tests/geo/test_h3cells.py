"""H3 binning: golden cells and agreement between the vectorised and scalar paths."""

import h3
import numpy as np
import polars as pl
import pytest

from geo.h3cells import (
    cell_to_str,
    cells_geojson,
    cells_to_parent,
    grid_disk,
    latlng_to_cells,
    str_to_cell,
)


def test_golden_cell_from_h3_documentation():
    # h3's documentation: latlng_to_cell(37.3615593, -122.0553238, 5) == '85283473fffffff'
    cells = latlng_to_cells(np.array([37.3615593]), np.array([-122.0553238]), res=5)
    assert cell_to_str(cells[0]) == "85283473fffffff"


def test_golden_cell_in_baoan():
    # Bao'an district government, WGS-84 (22.5550 N, 113.8830 E), resolution 9
    cells = latlng_to_cells(np.array([22.5550]), np.array([113.8830]))
    assert cells.dtype == np.int64
    assert cell_to_str(cells[0]) == h3.latlng_to_cell(22.5550, 113.8830, 9)


def test_vectorised_equals_scalar_and_missing_is_minus_one():
    rng = np.random.default_rng(3)
    lat = rng.uniform(22.5, 22.9, 2000)
    lng = rng.uniform(113.7, 114.0, 2000)
    lat[5] = np.nan
    cells = latlng_to_cells(lat, lng)
    assert cells[5] == -1
    for i in (0, 17, 999, 1999):
        assert cell_to_str(cells[i]) == h3.latlng_to_cell(lat[i], lng[i], 9)


def test_parents_derive_from_base_cells():
    cells = latlng_to_cells(np.array([22.6, 22.7]), np.array([113.85, 113.9]))
    parents = pl.DataFrame({"c": cells}).select(cells_to_parent("c", 7)).to_series().to_list()
    assert [cell_to_str(p) for p in parents] == [
        h3.cell_to_parent(cell_to_str(c), 7) for c in cells
    ]


def test_string_round_trip_and_bad_input():
    cell = str_to_cell("89411cac4abffff")
    assert cell_to_str(cell) == "89411cac4abffff"
    with pytest.raises(ValueError, match="not an H3 cell"):
        str_to_cell("hello")


def test_geojson_ids_and_rings():
    cell = str_to_cell("89411cac4abffff")
    disk = grid_disk(cell, 1)
    assert len(disk) == 7 and cell in disk
    fc = cells_geojson(disk)
    assert {f["id"] for f in fc["features"]} == {cell_to_str(c) for c in disk}
    ring = fc["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7
    lng, lat = ring[0]
    assert 113 < lng < 115 and 22 < lat < 23  # GeoJSON order is (lng, lat)
