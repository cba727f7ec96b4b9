"""Two layers at once on the overview's map: each drawn exactly as it is drawn alone.

The second layer is checked against the same layer drawn alone (its points, its cells, its
findings), so an overlay can neither lose nor invent a cell; the opacity of each layer and
the URL that carries both are checked too. Callbacks are called as plain functions inside a
request served as the command center (``request_context``), as in test_layer_page.py.
"""

from __future__ import annotations

import polars as pl
import pytest
from component_tree import text_of
from dash.exceptions import PreventUpdate

from dashboard.parts import ids
from dashboard.parts.filters import (
    DEFAULT_OPACITY,
    OverviewState,
    from_controls,
    from_query,
    parse_opacities,
    to_query,
)
from dashboard.parts.map_paint import OVERLAY_OUTLINE
from dashboard.parts.services import services
from dashboard.screens.overview import page as overview
from dashboard.screens.overview.map import finding_rows
from dashboard.web.scope import DEFAULT_SCOPE

DEFAULT = ("2026-08-15", "2026-11-12")
NO_FILTER = ([], [], [], [])


def _map(layer, overlay=None, res=8, opacity=None, overlay_opacity=None, lang="zh", **params):
    """The map callback's answer for ``layer`` with ``overlay`` (parameters by layer id)."""
    values, control_ids = [], []
    for layer_id, given in params.items():
        for name, value in given.items():
            values.append(value)
            control_ids.append({"type": ids.LAYER_PARAM, "layer": layer_id, "param": name})
    return overview.update_map(
        *DEFAULT, *NO_FILTER, res, None, layer, values, control_ids, lang,
        None, None, None, None, overlay, opacity, overlay_opacity,
    )  # fmt: skip


def _drawn(points: dict) -> list[tuple]:
    return [
        (tuple(f["geometry"]["coordinates"]), f["properties"]["tip"], f["properties"]["r"])
        for f in points["features"]
    ]


def test_repeat_addresses_over_a_cell_layer_are_the_layers_drawn_alone(request_context):
    repeat = {"repeat_addresses": {"min_incidents": 2}}
    alone_cells, url, _, _, _, _ = _map("counts")
    _, _, alone_points, *_ = _map("repeat_addresses", **repeat)
    assert alone_points["features"], "the fixture has a repeat address"
    paint, both_url, points, legend, _, hidden = _map(
        "counts", "repeat_addresses", opacity=60, overlay_opacity=50, **repeat
    )
    assert paint["cells"] == alone_cells["cells"] and both_url == url
    assert _drawn(points) == _drawn(alone_points)
    assert paint["opacity"] == 0.6
    assert {f["properties"]["opacity"] for f in points["features"]} == {0.5}
    assert paint["meta"]["layer"] == "counts" and paint["meta"]["overlay"] == "repeat_addresses"
    words = text_of(legend)
    assert "叠加：重复警情地址" in words and "圆点大小" in words  # both legends
    assert hidden


def test_a_cell_layer_goes_under_the_points_of_a_point_layer(request_context):
    repeat = {"repeat_addresses": {"min_incidents": 2}}
    alone_cells, url, *_ = _map("patrol_plan")
    _, _, alone_points, *_ = _map("repeat_addresses", **repeat)
    paint, both_url, points, *_ = _map(
        "repeat_addresses", "patrol_plan", opacity=100, overlay_opacity=40, **repeat
    )
    assert paint["cells"] == alone_cells["cells"] and both_url == url
    assert paint["opacity"] == 0.4  # the cells are the overlay's
    assert _drawn(points) == _drawn(alone_points)
    assert {f["properties"]["opacity"] for f in points["features"]} == {1.0}
    assert paint["meta"]["layer"] == "repeat_addresses"


def test_a_cell_layer_over_another_outlines_its_cells_at_the_finer_size(request_context):
    """Counts follow the chosen size (8); the patrol plan is always resolution 9: both are
    drawn at 9, the counts as they are drawn alone at 9, the plan's cells outlined."""
    plan, plan_url, *_ = _map("patrol_plan")
    counts9, url9, *_ = _map("counts", res=9)
    assert plan["cells"] and plan_url == url9
    paint, url, points, legend, *_ = _map("counts", "patrol_plan", res=8, overlay_opacity=70)
    assert url == url9 and paint["meta"]["res"] == 9
    assert paint["cells"] == counts9["cells"]
    outlined = paint["overlay"]["cells"]
    assert set(outlined) == set(plan["cells"])
    assert paint["overlay"]["palette"] == [OVERLAY_OUTLINE]
    assert paint["overlay"]["opacity"] == 0.7 and paint["meta"]["overlay_cells"] == len(outlined)
    # each outlined cell's tooltip adds the plan's own value (its rank) under the plan's name
    some, entry = next(iter(plan["cells"].items()))
    rank = entry[2]
    assert outlined[some][1].startswith("<b>叠加：巡逻方案</b>")
    assert f"：{rank}" in outlined[some][1]
    assert points["features"] == []
    assert f"{len(outlined)} 个六边形以蓝色边框标出" in text_of(legend)


def test_an_overlay_outlines_only_what_its_layer_finds(request_context):
    """Gi* as a second layer outlines its hot spots (hot 90 % and above), not every cell."""
    frame = pl.DataFrame(
        {
            "cell": [1, 2, 3, 4, 5],
            "label": ["hot_99", "hot_90", "hot_halo", "not_significant", "cold_99"],
        }
    )
    assert finding_rows("hotspot", frame)["cell"].to_list() == [1, 2]
    emerging = pl.DataFrame(
        {"cell": [1, 2, 3], "category": ["new_hotspot", "no_pattern", "persistent_coldspot"]}
    )
    assert finding_rows("emerging_hotspot", emerging)["cell"].to_list() == [1]
    zones = pl.DataFrame({"cell": [7, 8], "source_incidents": [3, 2]})
    assert finding_rows("near_repeat", zones).equals(zones)
    # on the fixture district: exactly the layer's hot cells, whatever there are
    paint, *_ = _map("counts", "hotspot", res=8)
    svc = services()
    state = from_controls(*DEFAULT, *NO_FILTER, 8, layer="hotspot")
    frame = svc.layer(DEFAULT_SCOPE, state.incident_filter(), "hotspot", {}, 8)
    hot = finding_rows("hotspot", frame)["cell"].to_list()
    from geo.h3cells import cell_to_str

    assert sorted(paint["overlay"]["cells"]) == sorted(cell_to_str(c) for c in hot)


def test_the_url_carries_the_second_layer_its_parameters_and_both_opacities():
    state = from_controls(
        *DEFAULT, *NO_FILTER, 8, layer="hotspot",
        layer_params={"hotspot": {"k": 2}, "near_repeat": {"history_days": 200}},
        overlay="near_repeat", opacity=60, overlay_opacity=100,
    )  # fmt: skip
    query = to_query(state, "zh")
    assert "over=near_repeat" in query and "over.history_days=200" in query
    assert "op=60,100" in query
    back = from_query(query, None)
    assert back.overlay == state.overlay and back.opacity == (60, 100)
    assert back.layer == state.layer
    # no overlay of a layer over itself; unknown layers and bad opacities fall back
    assert from_query("?layer=hotspot&over=hotspot", None).overlay is None
    assert from_query("?over=counts", None).overlay is None  # the base is no overlay
    assert from_query("?over=nonsense&op=5,abc", None).opacity == (10, DEFAULT_OPACITY[1])
    assert parse_opacities("250") == (100, DEFAULT_OPACITY[1])
    assert to_query(OverviewState(), "en") == "?lang=en"


def test_the_overlay_is_dropped_when_the_map_layer_becomes_it():
    assert overview.drop_overlay("near_repeat", "near_repeat") == "none"
    for layer, overlay in (("hotspot", "near_repeat"), ("hotspot", None)):
        with pytest.raises(PreventUpdate):
            overview.drop_overlay(layer, overlay)


def test_the_back_button_restores_the_second_layer_and_the_opacities():
    from dashboard.screens.overview import history as overview_history

    state = from_query("?layer=hotspot&k=2&over=near_repeat&over.history_days=200&op=60,100", None)
    param_ids = [
        {"type": ids.LAYER_PARAM, "layer": "hotspot", "param": "k"},
        {"type": ids.LAYER_PARAM, "layer": "near_repeat", "param": "history_days"},
    ]
    values = overview_history.control_values(state, param_ids)
    assert values[9] == "hotspot" and values[10] == [2, 200]
    assert values[-3:] == ["near_repeat", 60, 100]
    plain = overview_history.control_values(from_query("?layer=hotspot", None), param_ids)
    assert plain[-3:] == ["none", *DEFAULT_OPACITY]


def test_a_fixed_size_first_layer_gets_the_overlays_findings_at_its_size(request_context):
    """The patrol plan (resolution 9 only) under Gi*, chosen at size 8: Gi* is computed at 9
    and only its hot cells are outlined (not every cell it tested)."""
    from geo.h3cells import cell_to_str

    paint, url, *_ = _map("patrol_plan", "hotspot", res=8)
    assert paint["meta"]["res"] == 9 and "/cells/9." in url
    state = from_controls(*DEFAULT, *NO_FILTER, 9, layer="hotspot")
    frame = services().layer(DEFAULT_SCOPE, state.incident_filter(), "hotspot", {}, 9)
    hot = {cell_to_str(c) for c in finding_rows("hotspot", frame)["cell"].to_list()}
    assert set(paint["overlay"]["cells"]) == hot and len(hot) < frame.height
