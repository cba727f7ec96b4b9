"""Stations nest: the ``parent_code`` column, its migration, and placing points in leaves."""

from __future__ import annotations

import numpy as np
from shapely.geometry import box
from sqlalchemy import inspect

from data.importers.locate import place_points
from data.models import Station
from geo.jurisdictions import Jurisdiction


def test_the_migration_adds_a_nullable_parent_that_refers_to_a_station(db_engine):
    columns = {c["name"]: c for c in inspect(db_engine).get_columns("station")}
    assert columns["parent_code"]["nullable"]
    fks = inspect(db_engine).get_foreign_keys("station")
    assert [(f["constrained_columns"], f["referred_table"]) for f in fks] == [
        (["parent_code"], "station")
    ]
    assert Station.__table__.c.parent_code.nullable


AREA = Jurisdiction("8", "8", "8", box(0, 0, 2, 1))
WEST = Jurisdiction("0811", "0811", "0811", box(0, 0, 1, 1), parent_code="8")
EAST = Jurisdiction("0812", "0812", "0812", box(1, 0, 2, 1), parent_code="8")
OTHER = Jurisdiction("9", "9", "9", box(0, 1, 2, 2))


def _place(named, jurisdictions):
    lng = np.array([0.5, 1.5, 0.5, 0.5, 1.5, 5.0])
    lat = np.array([0.5, 0.5, 0.5, 1.5, 0.5, 5.0])
    return place_points(lng, lat, np.array(["wgs84"] * 6, dtype=object), named, jurisdictions)


def test_points_go_to_leaves_and_a_named_area_above_agrees():
    named = np.array(["8", None, "9", "9", "0811", "8"], dtype=object)
    placed = _place(named, [AREA, WEST, EAST, OTHER])
    assert placed.frame["station_code"].to_list() == ["0811", "0812", "9", "9", "0811", "8"]
    # row 3: district 9 named, point in beat 0811 of district 8; row 5: beat 0811 named, point
    # in 0812: both disagree and keep the name; row 6 is outside every polygon.
    assert placed.disagrees.tolist() == [False, False, True, False, True, False]
    assert placed.frame["location_state"].to_list()[-1] == "outside"


def test_flat_stations_place_as_before():
    named = np.array(["0811", None, "0812", None, None, "9"], dtype=object)
    placed = _place(named, [WEST, EAST, OTHER])
    assert placed.frame["station_code"].to_list() == ["0811", "0812", "0812", "9", "0812", "9"]
    assert placed.disagrees.tolist() == [False, False, True, False, False, False]
