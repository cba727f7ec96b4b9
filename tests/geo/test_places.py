"""Naming points by places: street, the smallest area holding the point, the nearest road."""

from __future__ import annotations

from shapely.geometry import LineString, Point, box

from geo.places import Place, PlaceIndex, english_name, kind_of

# A street area with a community in it, a compound inside the community, a road along the
# community's north edge, and a landmark to the east. ~0.01° ≈ 1 km here.
STREET = Place("西乡街道", "street", box(113.80, 22.50, 113.90, 22.60))
COMMUNITY = Place("固戍社区", "community", box(113.82, 22.52, 113.84, 22.54))
COMPOUND = Place("海滨小区", "compound", box(113.825, 22.525, 113.828, 22.528))
ROAD = Place("宝安大道", "road", LineString([(113.80, 22.541), (113.90, 22.541)]), "Bao'an Ave")
LANDMARK = Place("宝安体育馆", "landmark", Point(113.87, 22.52))
INDEX = PlaceIndex([STREET, COMMUNITY, COMPOUND, ROAD, LANDMARK])


def test_a_point_is_named_by_street_smallest_area_and_nearest_road():
    name = INDEX.name_point(113.83, 22.539)  # in the community, ~220 m south of the road
    assert name.text("zh") == "西乡街道 · 固戍社区 · 近宝安大道"
    assert name.text("en") == "Xixiang Subdistrict · Gushu Community · near Bao'an Ave"
    assert name.text("zh", street=False) == "固戍社区 · 近宝安大道"  # on one station's screen
    inner = INDEX.name_point(113.826, 22.526)  # in the compound, inside the community
    assert inner.area == COMPOUND


def test_far_from_roads_a_landmark_names_the_spot_and_far_from_all_nothing_does():
    name = INDEX.name_point(113.868, 22.521)  # ~250 m from the landmark, 2 km from the road
    assert name.area is None and name.near == LANDMARK
    assert name.text("zh") == "西乡街道 · 近宝安体育馆"
    assert INDEX.name_point(114.5, 23.5).text("zh") == ""  # 100 km away: no name
    assert PlaceIndex([]).name_point(113.83, 22.53).text("en") == ""


def test_a_community_given_as_a_point_names_within_its_radius_only():
    index = PlaceIndex([Place("翻身社区", "urban_village", Point(113.89, 22.57))])
    assert index.name_point(113.895, 22.57).text("zh") == "翻身社区"  # ~510 m away
    assert index.name_point(113.91, 22.57).text("zh") == ""  # ~2 km away


def test_english_names_in_pinyin_with_the_kind_word_translated():
    assert english_name("固戍社区") == "Gushu Community"
    assert english_name("西乡街道") == "Xixiang Subdistrict"
    assert english_name("宝安大道") == "Baoan Avenue"
    assert english_name("Airport") == "Airport"


def test_kinds_are_read_in_either_language():
    assert kind_of("社区") == "community"
    assert kind_of("Urban Village") == "urban_village"
    assert kind_of("城中村") == "urban_village"
    assert kind_of("river") is None


def test_search_finds_places_in_either_language_shortest_first():
    assert [p.name_zh for p in INDEX.search("固戍", "zh")] == ["固戍社区"]
    assert [p.name_zh for p in INDEX.search("gushu", "en")] == ["固戍社区"]
    assert INDEX.search("  ", "zh") == []
