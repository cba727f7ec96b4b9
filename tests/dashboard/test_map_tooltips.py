"""Map tooltips name the place a hexagon lies in (community, urban village), not only its
station: the overview's counts and layers, and the station's map, over the demo's places."""

from __future__ import annotations

import re

import pytest

from dashboard.parts.filters import from_query
from dashboard.parts.services import Services
from dashboard.screens.overview.map import draw_map
from dashboard.screens.station.map import station_paint
from data.access import CaseAccess, Scope


@pytest.fixture(scope="module")
def svc(demo_engine):
    return Services(CaseAccess(demo_engine))


def _places(paint: dict, word: str) -> list[str]:
    found = [re.search(f"{word}[:：]\\s*([^<]+)", entry[1]) for entry in paint["cells"].values()]
    return [m.group(1) for m in found if m]


@pytest.mark.parametrize(("lang", "word", "suffix"), [("zh", "位置", "社区"), ("en", "Place", "")])
def test_the_overview_counts_name_their_place(svc, lang, word, suffix):
    answer = draw_map(svc, Scope(user="t"), from_query("", None, (), 8), lang)
    named = _places(answer.paint, word)
    assert len(named) >= len(answer.paint["cells"]) // 3, "most busy hexagons lie in a place"
    assert any(name.endswith(suffix) for name in named)
    if lang == "en":
        assert not any(re.search("[\u4e00-\u9fff]", name) for name in named)  # pinyin


def test_a_layer_and_the_station_map_name_their_place(svc):
    state = from_query("?layer=repeat_rate", None, (), 8)
    answer = draw_map(svc, Scope(user="t"), state, "zh")
    assert answer.paint["cells"] and _places(answer.paint, "位置")
    paint, _dots = station_paint(svc, Scope(user="t"), "BA02", "zh")
    assert paint["cells"] and _places(paint, "位置")
