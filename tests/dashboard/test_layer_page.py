"""The overview's layer switcher, legend and layer table over the fixture district.

Controls are pure builders; callbacks are called as plain functions inside a request served
as the command center (``request_context``), as in test_app.py.
"""

from __future__ import annotations

import pytest
from component_tree import find, text_of
from dash import dcc, html, no_update
from dash.exceptions import PreventUpdate
from grid_requests import grid_request

from dashboard.parts import ids
from dashboard.parts.filters import MAP_LAYERS, TABLE_LAYERS
from dashboard.parts.layer_controls import (
    FOLLOW_MAP,
    hidden_groups,
    layer_options,
    param_control,
    param_group,
    param_groups,
    table_source_options,
)
from dashboard.parts.services import LAYER_CACHE_SIZE, layer_now, services
from dashboard.screens.overview import page as overview
from dashboard.web.scope import DEFAULT_SCOPE
from data.access import IncidentFilter
from layers.registry import REGISTRY, Param

DEFAULT = ("2026-08-15", "2026-11-12")
NO_FILTER = ([], [], [], [])


def _params(**by_layer: dict) -> tuple[list, list]:
    """Control values and ids as the callbacks receive them: ``_params(hotspot={"k": 2})``."""
    values, control_ids = [], []
    for layer_id, params in by_layer.items():
        for name, value in params.items():
            values.append(value)
            control_ids.append({"type": ids.LAYER_PARAM, "layer": layer_id, "param": name})
    return values, control_ids


def _map(layer: str, lang: str = "zh", selection=None, res: int = 8, **params):
    values, control_ids = _params(**{layer: params}) if params else ([], [])
    return overview.update_map(
        *DEFAULT, *NO_FILTER, res, selection, layer, values, control_ids, lang
    )


def _controls(layer: str, table: str = FOLLOW_MAP, lang: str = "zh", **params) -> tuple:
    """The layer table's controls as its callbacks receive them, in their order."""
    values, control_ids = _params(**params)
    return (*DEFAULT, *NO_FILTER, 8, layer, table, values, control_ids, lang)


def _table(layer: str, table: str = FOLLOW_MAP, start: int = 0, sort=None, lang="zh", **params):
    """The layer table's columns, the rows the grid asks for (from row ``start``, in the order
    ``sort``), the row count, the total line and the export link."""
    controls = _controls(layer, table, lang, **params)
    columns, _, href = overview.setup_layer_table(*controls)
    response, total = overview.get_layer_rows(grid_request(start, 15, sort), *controls)
    return columns, response["rowData"], response["rowCount"], total, href


# -- controls (pure) -------------------------------------------------------------------------------
def test_the_switcher_lists_the_map_layers_in_words():
    assert MAP_LAYERS[0] == "counts"
    assert set(MAP_LAYERS) == {i for i, s in REGISTRY.items() if s.geometry in ("cells", "points")}
    assert set(TABLE_LAYERS) == {
        "early_warning",
        "patrol_accuracy",
        "repeat_people",
        "service_levels",
    }
    options = layer_options(MAP_LAYERS, "zh")
    assert options[1] == {"label": "热点与冷点（Gi*）", "value": "hotspot"}
    table = table_source_options("hotspot", TABLE_LAYERS, "en")
    assert table[0] == {"label": "Map layer: Hot and cold spots (Gi*)", "value": FOLLOW_MAP}
    assert [o["value"] for o in table[1:]] == list(TABLE_LAYERS)


def test_parameters_are_rendered_after_their_type():
    number = param_control("hotspot", Param("k", int, 1, 0, 5), 2, "zh")
    control = number.children[1].children  # in the box that keeps its place while it loads
    assert number.children[1].className == "field-control"
    assert isinstance(control, dcc.Input) and control.type == "number"
    assert (control.min, control.max, control.step, control.value) == (0, 5, 1, 2)
    assert control.id == {"type": ids.LAYER_PARAM, "layer": "hotspot", "param": "k"}
    assert number.children[0].children == "邻域环数 k"
    share = param_control("patrol_plan", REGISTRY["patrol_plan"].params[1], 0.05, "en")
    assert share.children[1].children.step == "any"
    choice = param_control("patrol_plan", REGISTRY["patrol_plan"].params[0], "kde", "en")
    assert isinstance(choice.children[1].children, dcc.Dropdown)
    assert {"label": "Kernel density", "value": "kde"} in choice.children[1].children.options
    flag = param_control("hotspot", Param("fdr", bool, True), False, "en")
    assert isinstance(flag.children, dcc.Checklist) and flag.children.value == []
    assert flag.children.options[0]["label"] == "FDR correction"


def test_only_the_chosen_layers_group_shows():
    groups = param_groups(MAP_LAYERS, {"hotspot": {"k": 3}}, "zh")
    shown = [g for g in groups if not g.hidden]
    assert [g.id["layer"] for g in shown] == ["hotspot"]
    assert shown[0].children[1].children[1].children.value == 3
    assert "counts" not in {g.id["layer"] for g in groups}  # no parameters, no group
    group = param_group(REGISTRY["service_levels"], {}, "en", hidden=False)
    assert group.children[1].children[1].children.value == "all"
    # with an overlay both groups show, the overlay's marked and named
    groups = param_groups(
        MAP_LAYERS, {"hotspot": {"k": 3}, "near_repeat": {}}, "en", overlay="near_repeat"
    )
    shown = {g.id["layer"]: g for g in groups if not g.hidden}
    assert set(shown) == {"hotspot", "near_repeat"}
    assert "param-group-overlay" in shown["near_repeat"].className
    assert "param-group-overlay" not in shown["hotspot"].className
    assert "Near-repeat" in shown["near_repeat"].children[0].children
    ids_ = [{"layer": "hotspot"}, {"layer": "early_warning"}, {"layer": "patrol_plan"}]
    assert hidden_groups(ids_, ["hotspot", "early_warning"]) == [False, False, True]


def test_the_page_renders_the_layer_state_of_its_url(request_context):
    page = overview.layout("zh", "?layer=hotspot&k=2&tab=layer&table=early_warning")
    switch = find(page, ids.LAYER)
    assert switch.value == "hotspot"
    assert find(page, {"type": ids.LAYER_PARAM, "layer": "hotspot", "param": "k"}).value == 2
    assert find(page, ids.LAYER_TABLE_SOURCE).value == "early_warning"
    assert find(page, ids.CASES_PANEL).hidden is True
    assert find(page, ids.LAYER_PANEL).hidden is False
    assert "Getis-Ord" in text_of(find(page, ids.LAYER_HINT))


# -- the map ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer_id", [i for i in MAP_LAYERS if i != "counts"])
def test_every_map_layer_draws_with_a_legend(request_context, layer_id):
    paint, url, points, legend, _, _ = _map(layer_id, "en")
    assert paint["meta"]["layer"] == layer_id
    assert text_of(legend).startswith(text_of(legend.children[0]))
    assert url.startswith("/geo/cells/")
    spec = REGISTRY[layer_id]
    if spec.geometry == "points":
        assert points["features"] and paint["cells"] == {}
    else:
        assert (paint["cells"] or paint["meta"]["empty"]) and points["features"] == []
        assert all(0 <= k < len(paint["palette"]) for k, _, _ in paint["cells"].values())


def test_the_hot_spot_map_colours_classes_and_names_them(request_context):
    paint, _, _, legend, _, _ = _map("hotspot", "zh", k=1)
    cells = paint["cells"]
    assert len(cells) > 100  # every cell of the study area, zeros included
    tip = next(iter(cells.values()))[1]
    assert "热点等级" in tip and "Z 值" in tip and tip.startswith("<b>")
    assert len({k for k, _, _ in cells.values()}) > 1  # classes get different colours
    text = text_of(legend)
    assert "热点（99% 置信）" in text and "冷点（99% 置信）" in text and "不显著" in text


def test_repeat_addresses_are_points_that_select_their_cell(request_context):
    _, _, points, legend, _, _ = _map("repeat_addresses", "zh", min_incidents=2)
    features = points["features"]
    assert len(features) == 1  # T1 and T2 share an address
    props = features[0]["properties"]
    assert props["kind"] == "cell" and props["id"].startswith("89")
    assert "*" in props["tip"]  # the address, masked
    assert overview.feature_selection(None, features[0]) == {"kind": "cell", "id": props["id"]}
    assert "圆点大小" in text_of(legend)


def test_a_selected_point_is_outlined_on_a_layer_at_any_resolution(request_context):
    _, _, points, *_ = _map("repeat_addresses")
    first = points["features"][0]["properties"]
    assert first["kind"] == "cell" and not first["selected"]
    chosen = {"kind": "cell", "id": first["id"]}
    paint, _, again, *_ = _map("repeat_addresses", selection=chosen)
    assert paint["selected"] == chosen
    assert again["features"][0]["properties"]["selected"]
    clicked = overview.feature_selection(None, again["features"][0])
    assert clicked == chosen


def test_an_empty_layer_says_why(request_context):
    paint, *_, note, hidden = overview.update_map(
        "2020-01-01", "2020-01-31", *NO_FILTER, 8, None, "hotspot", [], [], "en"
    )
    assert paint["meta"]["empty"] == "no_match" and not hidden
    assert "No incidents match" in text_of(html.Div(note))
    paint, *_ = _map("repeat_addresses", min_incidents=5)
    assert paint["meta"]["empty"] == "no_layer_rows"


def test_a_bad_parameter_falls_back_to_its_default(request_context):
    paint, *_ = _map("hotspot", k=99)
    assert paint["meta"]["layer"] == "hotspot"


def test_the_controls_callback_shows_the_hint_and_names_the_map_layer(request_context):
    hidden, classes, hint, options, overlays = overview.show_layer_controls(
        "patrol_plan", FOLLOW_MAP, "en"
    )
    assert "area budget" in hint
    assert options[0]["label"] == "Map layer: Patrol plan"
    assert hidden == [] and classes == []  # outside Dash there are no groups to report on
    # the map layer cannot be its own overlay
    assert {o["value"]: o.get("disabled") for o in overlays}["patrol_plan"] is True
    assert overlays[0]["value"] == "none"


# -- the layer table -------------------------------------------------------------------------------
def test_the_table_follows_the_map_layer(request_context):
    columns, rows, count, total, href = _table("hotspot")
    assert [c["colId"] for c in columns][:4] == ["place", "cell", "station", "label"]
    assert columns[-1]["colId"] == "_reload" and columns[-1]["hide"]  # carries the filters
    assert total == f"共 {count:,} 行" and count > 15
    assert len(rows) == 15
    assert rows[0]["label"].startswith("热点")  # hottest first
    assert rows[0]["_target"].startswith("cell:")
    assert href.startswith("/api/v1/layers/hotspot?start=2026-08-15&end=2026-11-12&res=8")
    assert href.endswith("&format=csv")


def test_the_table_pages_and_sorts(request_context):
    _, first, count, _, _ = _table("hotspot")
    _, ascending, _, _, _ = _table("hotspot", sort=("z", "asc"))
    assert first[0]["z"] != ascending[0]["z"]
    assert count > 15
    _, second, again, _, _ = _table("hotspot", start=15)
    assert again == count and len(second) == min(15, count - 15)
    assert {r["_key"] for r in first}.isdisjoint(r["_key"] for r in second)
    assert second[0]["_key"].startswith("15|cell:")  # the grid's id: place and target


def test_a_new_view_reloads_the_table_from_its_first_page(request_context):
    columns, model, href = overview.setup_layer_table(*_controls("hotspot", hotspot={"k": 1}))
    assert set(model) == {"_reload"}
    shown = [*_controls("hotspot", hotspot={"k": 1}), None, None, None, columns, model]
    # the same view: the grid keeps its columns and its page
    assert overview.setup_layer_table(*shown)[:2] == (no_update, no_update)
    # another parameter: the same columns, a new filterModel (the grid asks again from row 0)
    other = [*_controls("hotspot", hotspot={"k": 2}), None, None, None, columns, model]
    same_columns, new_model, new_href = overview.setup_layer_table(*other)
    assert same_columns is no_update and new_model not in (no_update, model)
    assert "k=2" in new_href and "k=2" not in href
    # another layer: its own columns
    table = [*_controls("counts", "early_warning"), None, None, None, columns, new_model]
    new_columns, _, table_href = overview.setup_layer_table(*table)
    assert [c["colId"] for c in new_columns][:2] == ["rank", "list"]
    assert table_href.startswith("/api/v1/layers/early_warning?")
    with pytest.raises(PreventUpdate):  # the grid asks for nothing yet
        overview.get_layer_rows(None, *_controls("hotspot"))


def test_a_layer_that_refuses_the_range_says_why_in_the_table(request_context):
    _, rows, count, total, _ = _table("emerging_hotspot", lang="en")
    assert (rows, count) == ([], 0)
    assert "history is too short" in total


@pytest.mark.parametrize("table", TABLE_LAYERS)
def test_table_only_layers_answer(request_context, table):
    columns, _, _, total, href = _table("counts", table, lang="en")
    assert columns[0]["headerName"]
    assert f"/api/v1/layers/{table}?" in href
    assert total.endswith("rows") or total == "No results for these filters."


def test_service_levels_link_their_cases_and_take_the_state_parameter(request_context):
    _, rows, *_ = _table("counts", "service_levels", service_levels={"state": "breached"})
    assert rows and all(r["state"] == "已超时" for r in rows)
    assert rows[0]["incident_no"].startswith("[T")
    assert "/case/" in rows[0]["incident_no"] and "tab=layer" in rows[0]["incident_no"]
    assert rows[0]["_target"].startswith("case:")


def test_early_warning_rows_carry_translated_reason_chips(request_context):
    _, rows, *_ = _table("counts", "early_warning")
    assert rows
    chips = " ".join(r["reasons"] for r in rows)
    assert "`" in chips and "sla_breached" not in chips


def _click(row_id: str | None, column: str) -> dict:
    """The grid's ``cellClicked``: the clicked cell's column and its row's id (``_key``)."""
    return {"value": "x", "colId": column, "rowIndex": 0, "rowId": row_id, "timestamp": 1}


def test_a_row_click_selects_its_cell_or_opens_its_case():
    path, selection = overview.open_layer_row(_click("0|cell:89411cac35bffff", "z"))
    assert (path, selection) == (no_update, {"kind": "cell", "id": "89411cac35bffff"})
    assert overview.show_cases_of_selection(selection) == "cases"
    assert overview.show_cases_of_selection(None) is no_update
    assert overview.open_layer_row(_click("1|case:12", "sla")) == ("/case/12", no_update)
    # the reasons' chips select too; a click on a link column is left to the link
    assert overview.open_layer_row(_click("0|cell:89411cac35bffff", "reasons"))[1] == selection
    for clicked in (
        _click("2|", "x"),  # a row that selects nothing
        _click("0|cell:89411cac35bffff", "incident_ids"),
        _click("0|case:12", "incident_no"),
        _click("0|cell:garbage", "z"),
        _click("0|case:12; DROP", "z"),
        _click(None, "z"),
        _click("12", "z"),
        None,
        [],
    ):
        with pytest.raises(PreventUpdate):
            overview.open_layer_row(clicked)


def test_the_list_switch_and_the_url():
    assert overview.switch_list("layer") == (True, False)
    assert overview.switch_list("cases") == (False, True)
    values, control_ids = _params(hotspot={"k": 2, "fdr": ["on"]}, service_levels={"state": "all"})
    query = overview.sync_url(
        *DEFAULT, *NO_FILTER, 8, "1d", None, "hotspot", values, "layer", "service_levels",
        control_ids, "zh", "",
    )  # fmt: skip
    assert query.endswith("&layer=hotspot&k=2&tab=layer&table=service_levels")


# -- the cache -------------------------------------------------------------------------------------
def test_layer_results_are_cached_per_view(request_context):
    svc = services()
    flt = IncidentFilter()
    now = layer_now(None, svc.access.tz)
    first = svc.layer(DEFAULT_SCOPE, flt, "hotspot", {"k": 2}, 8, now)
    hits = svc.layer_hits
    again = svc.layer(DEFAULT_SCOPE, flt, "hotspot", {"k": "2"}, 8, now)
    assert again is first and svc.layer_hits == hits + 1
    other = svc.layer(DEFAULT_SCOPE, flt, "hotspot", {"k": 3}, 8, now)
    assert other is not first
    narrow = svc.layer(
        DEFAULT_SCOPE.__class__(user="x", stations=frozenset({"BA01"})),
        flt,
        "hotspot",
        {"k": 2},
        8,
        now,
    )
    assert narrow is not first
    for k in range(LAYER_CACHE_SIZE + 2):
        svc.layer(DEFAULT_SCOPE, flt, "counts", {}, 8, now.replace(year=2000 + k))
    misses = svc.layer_misses
    svc.layer(DEFAULT_SCOPE, flt, "hotspot", {"k": 2}, 8, now)
    assert svc.layer_misses == misses + 1  # dropped, least recently used


def test_now_is_the_end_of_a_past_window_else_the_clock():
    from datetime import UTC, date, datetime

    clock = datetime(2026, 11, 25, 17, 48, 31, tzinfo=UTC)
    assert layer_now(None, "Asia/Shanghai", clock) == datetime(2026, 11, 25, 17, 48, tzinfo=UTC)
    assert layer_now(date(2026, 11, 12), "Asia/Shanghai", clock) == datetime(
        2026, 11, 12, 16, 0, tzinfo=UTC
    )
    assert layer_now(date(2026, 12, 31), "Asia/Shanghai", clock).day == 25


def test_bad_parameters_are_refused_before_any_work(request_context):
    with pytest.raises(ValueError, match="'k'"):
        services().layer(DEFAULT_SCOPE, IncidentFilter(), "hotspot", {"k": -1})
    with pytest.raises(KeyError, match="known layers"):
        services().layer(DEFAULT_SCOPE, IncidentFilter(), "heatmap")


def test_validation_layout_holds_the_layer_components():
    tree = html.Div([overview.validation_layout()])
    for name in (ids.LAYER, ids.MAP_LEGEND, ids.LAYER_TABLE, ids.LIST_TABS, ids.LAYER_PANEL):
        assert find(tree, name) is not None, name
    assert find(tree, {"type": ids.LAYER_PARAMS, "layer": "early_warning"}) is not None


def test_the_patrol_plan_map_shows_its_track_record_beside_the_legend(request_context):
    legend = _map("patrol_plan", lang="en", budget_share=0.1)[3]
    text = text_of(legend)
    assert "Tested prospectively on the past 8 weeks" in text or "No incidents in the past" in text
    hotspot_legend = _map("hotspot", lang="en")[3]
    assert "prospectively" not in text_of(hotspot_legend)


def test_a_layer_that_refuses_the_range_says_why_under_its_legend(request_context):
    # The default range holds 13 weeks; emerging hot spots' default window is 26 weeks.
    paint, _, _, legend, _, _ = _map("emerging_hotspot", "en")
    assert paint["meta"]["layer"] == "emerging_hotspot"
    assert paint["cells"] == {}  # nothing drawn from a refused range
    assert "cannot be computed for this range" in text_of(legend)
    assert "history is too short" in text_of(legend)
    # In Chinese the reason is Chinese too (issue 14, point 2), not the layer's English.
    legend_zh = _map("emerging_hotspot", "zh")[3]
    assert "历史数据太短" in text_of(legend_zh)
    assert "too short" not in text_of(legend_zh)
