"""Place names on the maps: which are written, from which zoom, in which language."""

from __future__ import annotations

import shapely

from dashboard.parts.place_labels import MIN_ZOOM, place_label_features
from data.demo.baoan import jurisdictions
from data.demo.places import demo_places


def _by_name(doc: dict) -> dict[str, dict]:
    return {f["properties"]["name"]: f for f in doc["features"]}


def test_the_district_map_names_communities_landmarks_and_roads_not_streets():
    stations = jurisdictions()
    doc = _by_name(place_label_features(demo_places(), "zh", stations))
    assert {"固戍社区", "深圳宝安国际机场", "宝安大道"} <= set(doc)
    assert not any(name.endswith("街道") for name in doc)  # the station areas say it
    assert doc["深圳宝安国际机场"]["properties"]["minZoom"] == MIN_ZOOM["landmark"]
    assert doc["固戍社区"]["properties"]["minZoom"] > MIN_ZOOM["landmark"]
    # landmarks first: where names collide the browser keeps the earlier one
    kinds = [
        f["properties"]["kind"]
        for f in place_label_features(demo_places(), "zh", stations)["features"]
    ]
    assert kinds == sorted(kinds, key=list(MIN_ZOOM).index)


def test_a_station_map_names_only_its_own_places_each_inside_it():
    (xinan,) = [s for s in jurisdictions() if s.code == "BA01"]
    doc = place_label_features(demo_places(), "en", [xinan])
    names = {f["properties"]["name"] for f in doc["features"]}
    assert "Fanshen Community" in names and "Gushu Community" not in names  # 固戍 is 西乡's
    for feature in doc["features"]:
        point = shapely.Point(feature["geometry"]["coordinates"])
        assert xinan.boundary.contains(point), feature["properties"]["name"]
    # a road crossing the boundary is named at the middle of its part inside
    assert "Bao'an Avenue" in names


def test_no_places_no_labels():
    assert place_label_features([], "zh", jurisdictions())["features"] == []
