"""The Leaflet map's pure parts: paints, label points, views, and the station map's paint."""

from __future__ import annotations

import numpy as np
import pytest
from component_tree import find
from shapely.geometry import Polygon

from dashboard.parts import palettes
from dashboard.parts.leaflet_map import (
    DARK,
    initial_view,
    label_point,
    leaflet_map,
    map_ids,
    map_label,
    station_bounds,
    station_label_features,
)
from dashboard.parts.map_paint import (
    cell_paint,
    class_paint,
    colour_classes,
    palette_of,
    point_features,
    tooltip,
)
from geo.jurisdictions import Jurisdiction


def test_colour_classes_run_from_the_first_to_the_last_colour():
    classes = colour_classes(np.array([0, 5, 10, 50]), 0.0, 10.0, steps=11)
    assert classes == [0, 5, 10, 10]  # above the top shares the darkest class
    assert colour_classes(np.zeros(0), 0.0, 1.0) == []


def test_a_palette_follows_the_colour_scale_and_keeps_steps():
    ramp = palettes.ramp(palettes.SEQUENTIAL)
    sampled = palette_of(ramp, steps=5)
    assert sampled[0] == palettes.SEQUENTIAL[0].lower() and sampled[-1] == ramp[-1][1].lower()
    stepped = [[0, "#ff0000"], [0.5, "#ff0000"], [0.5, "#0000ff"], [1, "#0000ff"]]
    assert palette_of(stepped, steps=4) == ["#ff0000", "#ff0000", "#0000ff", "#0000ff"]


def test_a_tooltip_escapes_what_comes_from_the_data():
    tip = tooltip("<script>x</script>", [("地址", "a & b")], "zh")
    assert tip == "<b>&lt;script&gt;x&lt;/script&gt;</b><br>地址：a &amp; b"


def test_a_paint_carries_class_tip_and_value_per_cell():
    paint = cell_paint(
        "map",
        ["a", "b"],
        np.array([1, 4]),
        0.0,
        4.0,
        palettes.ramp(palettes.SEQUENTIAL),
        ["ta", "tb"],
        cells_url="/geo/cells/8.geojson?v=1",
        selection={"kind": "cell", "id": "b"},
        empty=None,
        meta={"res": 8},
    )
    assert paint["cells"]["b"][0] == len(paint["palette"]) - 1 and paint["cells"]["a"][2] == 1
    assert paint["selected"] == {"kind": "cell", "id": "b"} and paint["meta"] == {"res": 8}
    hot = class_paint("w", ["c"], [2], ["#1", "#2", "#3"], ["t"], [3], cells_url="u")
    assert hot["cells"] == {"c": [2, "t", 3]} and hot["palette"] == ["#1", "#2", "#3"]


def test_point_features_say_what_a_click_selects():
    points = point_features(
        np.array([22.5]), np.array([113.9]), np.array([6.0]), ["#fff"], ["tip"],
        [{"kind": "cell", "id": "89x"}], {"kind": "cell", "id": "89x"},
    )  # fmt: skip
    props = points["features"][0]["properties"]
    assert points["features"][0]["geometry"]["coordinates"] == [113.9, 22.5]
    assert props == {"r": 6.0, "colour": "#fff", "tip": "tip", "kind": "cell", "id": "89x",
                     "selected": True}  # fmt: skip


def test_a_label_sits_inside_a_concave_polygon():
    # an L shape: its centroid lies outside it, the label point must not
    shape = Polygon([(0, 0), (10, 0), (10, 1), (1, 1), (1, 10), (0, 10)])
    assert not shape.contains(shape.centroid)
    assert shape.contains(label_point(shape))


def test_the_first_view_shows_the_bounds():
    centre, zoom = initial_view([[22.5, 113.7], [22.9, 114.0]], (720, 540))
    assert centre[0] == pytest.approx(22.7, abs=0.01) and centre[1] == pytest.approx(113.85)
    assert 9 <= zoom <= 11 and zoom * 4 == int(zoom * 4)
    assert initial_view(None, (720, 540)) == ([22.6, 113.9], 10.0)
    assert station_bounds([]) is None


def test_the_component_has_every_part_and_its_look():
    part = leaflet_map(
        "wall", stations_url="/s", cells_url="/c", stations=(), names={"BA01": "新安"},
        fit_label="fit", look=DARK,
    )  # fmt: skip
    ids = map_ids("wall")
    for name in (ids.map, ids.cells, ids.stations, ids.points, ids.labels, ids.paint, ids.fit):
        assert find(part, name) is not None, name
    cells = find(part, ids.cells)
    assert cells.url == "/c" and cells.style == {"variable": "anningMap.cellStyle"}
    assert cells.hideout["key"] == "wall" and cells.hideout["stationFill"] == DARK.station_fill
    assert find(part, ids.map).preferCanvas is True  # one canvas, no WebGL, no SVG per shape


def test_the_largest_station_is_named_first():
    # the browser keeps earlier names in place and moves or hides later ones that collide,
    # so a big station's name must never give way to a small neighbour's
    small = Jurisdiction("S", "小", "S", Polygon([(0, 0), (1, 0), (1, 1), (0, 1)]))
    big = Jurisdiction("B", "大", "B", Polygon([(1, 0), (9, 0), (9, 9), (1, 9)]))
    features = station_label_features([small, big], {"S": "小所", "B": "大所"})["features"]
    assert [f["properties"]["name"] for f in features] == ["大所", "小所"]


def test_english_names_on_the_map_drop_the_word_station():
    # on a map of station areas "Station" is redundant and doubles the names' width
    area = Jurisdiction("X", "西乡派出所", "Xixiang Station", Polygon([(0, 0), (1, 0), (1, 1)]))
    en = station_label_features([area], {"X": "Xixiang Station"})["features"]
    zh = station_label_features([area], {"X": "西乡派出所"})["features"]
    assert en[0]["properties"]["name"] == "Xixiang"
    assert zh[0]["properties"]["name"] == "西乡派出所"
    assert map_label("Station") == "Station"  # a name that is only the word stays
