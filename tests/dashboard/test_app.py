"""The app over the fixture district: health check, geometry routes, pages and callbacks.

Callbacks are called as plain functions inside a request context (see ``request_context``);
their answers are checked against the fixture's known numbers (tests/dashboard/conftest.py).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from dataclasses import replace

import pytest
from component_tree import find, text_of
from dash import html, no_update
from dash.exceptions import PreventUpdate
from grid_requests import grid_request

from dashboard import ROUTES, create_app
from dashboard.parts import ids
from dashboard.screens import case
from dashboard.screens.overview import page as overview
from dashboard.screens.overview import time_slider
from dashboard.web import shell
from dashboard.web.auth import SESSION_COOKIE, use_identity
from dashboard.web.scope import DEFAULT_SCOPE
from data.access import CaseAccess, IncidentFilter
from data.demo.baoan import STATIONS, jurisdictions
from data.sessions import open_session
from data.users import add_user
from geo.h3cells import cell_to_str, latlng_to_cells, str_to_cell

#: Where the fixture's incidents lie (conftest.py puts them at the stations' centres).
CENTRES = {code: centre for code, _, _, centre in STATIONS}
DEFAULT = ("2026-08-15", "2026-11-12")
NO_FILTER = ([], [], [], [])


def _cell(station: str, res: int) -> str:
    lng, lat = CENTRES[station]
    return cell_to_str(int(latlng_to_cells([lat], [lng], res)[0]))


# -- routes -------------------------------------------------------------------------------------
def test_healthz_answers_with_the_counts(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    answer = response.get_json()
    assert answer == {
        "status": "ok",
        "incidents": 5,
        "stations": 10,
        "worker": os.getpid(),
        "snapshot_incidents": 5,
    }


def test_station_geometry_is_served_with_codes_names_and_cache_headers(client):
    response = client.get("/geo/stations.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert response.cache_control.max_age == 3600 and response.cache_control.public
    doc = response.get_json(force=True)
    assert [f["id"] for f in doc["features"]] == [j.code for j in jurisdictions()]
    assert doc["features"][1]["properties"]["name_zh"] == "西乡派出所"
    assert doc["features"][1]["properties"]["name_en"] == "Xixiang Station"
    again = client.get("/geo/stations.geojson", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_geometry_is_gzipped_for_clients_that_accept_it(client):
    plain = client.get("/geo/cells/9.geojson")
    packed = client.get("/geo/cells/9.geojson", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3
    assert packed.headers["ETag"] != plain.headers["ETag"]
    again = client.get(
        "/geo/cells/9.geojson",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize("res", [7, 8, 9])
def test_cell_geometry_covers_every_station_and_every_located_incident(client, res):
    response = client.get(f"/geo/cells/{res}.geojson")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    features = response.get_json(force=True)["features"]
    ids_ = {f["id"] for f in features}
    assert all(re.fullmatch(r"[0-9a-f]{15}", i) for i in ids_)
    for code in ("BA01", "BA02", "BA10"):
        assert _cell(code, res) in ids_
    stations = {f["properties"].get("station") for f in features}
    assert stations == {j.code for j in jurisdictions()}
    assert {len(f["geometry"]["coordinates"][0]) for f in features} == {7}


def test_cell_geometry_is_built_once_per_process(app, client):
    geometry = app.server.extensions["anning"].geometry
    first = client.get("/geo/cells/8.geojson").get_data()
    doc = geometry.cells_document(None, 8)
    assert client.get("/geo/cells/8.geojson").get_data() == first
    assert geometry.cells_document(None, 8) is doc


@pytest.mark.parametrize("res", ["x", "10", "-1", "5", "8.5"])
def test_a_bad_resolution_is_a_json_400(client, res):
    response = client.get(f"/geo/cells/{res}.geojson")
    assert response.status_code == 400
    assert "resolution" in response.get_json()["error"]


def test_the_index_loads_nothing_from_outside(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "<title>安宁</title>" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assets = client.get("/assets/style.css").get_data(as_text=True)
    assert "Noto Sans CJK SC" in assets and "@import" not in assets and "url(" not in assets


def test_a_failing_callback_shows_the_banner_and_no_stack_trace(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database is on fire")

    monkeypatch.setattr(app.server.extensions["anning"].access, "incidents", broken)
    kpi_ids = [ids.KPI_INCIDENTS, ids.KPI_HIGH_RISK, ids.KPI_OPEN]
    kpi_ids += [ids.KPI_WARNING_LETTERS, ids.KPI_PROTECTION_ORDERS]
    inputs = (
        [
            {"id": ids.DATE_RANGE, "property": "start_date", "value": DEFAULT[0]},
            {"id": ids.DATE_RANGE, "property": "end_date", "value": DEFAULT[1]},
        ]
        + [
            {"id": i, "property": "value", "value": []}
            for i in (ids.CATEGORY, ids.SOURCE, ids.RISK, ids.STATION)
        ]
        + [{"id": ids.DATA_VERSION, "property": "data", "value": None}]
        + [
            {"id": time_slider.SLIDER, "property": "value", "value": None},
            {"id": time_slider.WINDOW, "property": "value", "value": 1},
            {"id": ids.SELECTION, "property": "data", "value": None},
        ]
    )
    outputs = [(i, "children") for i in kpi_ids] + [(f"{i}-link", "href") for i in kpi_ids]
    payload = {
        "output": ".." + "...".join(f"{i}.{prop}" for i, prop in outputs) + "..",
        "outputs": [{"id": i, "property": prop} for i, prop in outputs],
        "inputs": inputs,
        "changedPropIds": [f"{ids.CATEGORY}.value"],
        "state": [{"id": ids.PAGE_LANG, "property": "data", "value": "zh"}],
    }
    response = client.post("/_dash-update-component", json=payload)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert json.loads(body)["sideUpdate"] == {ids.ERROR_BANNER: {"hidden": False}}
    assert "fire" not in body and "Traceback" not in body


# -- pages --------------------------------------------------------------------------------------
def test_the_overview_renders_with_default_filters_in_chinese(request_context):
    page = shell.render(ROUTES, "/", "", "zh")
    text = text_of(page)
    assert "安宁" in text and "事件总数" in text and "案件列表（全部筛选结果）" in text
    dates = find(page, ids.DATE_RANGE)
    assert (str(dates.start_date), str(dates.end_date)) == DEFAULT
    stations = find(page, ids.STATION)
    assert stations.options[1] == {"label": "西乡派出所", "value": "BA02"}


def test_the_overview_renders_in_english_with_the_state_of_the_url(request_context):
    page = shell.render(ROUTES, "/", "?lang=en&cat=elder_abuse&res=9&sel=station:BA02", "en")
    text = text_of(page)
    assert "Anning" in text and "Incidents" in text and "事件总数" not in text
    assert find(page, ids.CATEGORY).value == ["elder_abuse"]
    assert find(page, ids.CATEGORY).options[0]["label"] == "Domestic violence"
    assert find(page, ids.RESOLUTION).value == 9
    assert find(page, ids.SELECTION).data == {"kind": "station", "id": "BA02"}
    assert find(page, ids.CASE_TABLE).columnDefs[0]["headerName"] == "Incident no."


def test_an_unknown_path_says_so(request_context):
    assert "页面不存在" in text_of(shell.render(ROUTES, "/nowhere", "", "zh"))
    assert "does not exist" in text_of(shell.render(ROUTES, "/nowhere", "", "en"))


def test_a_case_shows_its_fields_timeline_and_visits(app, request_context):
    access: CaseAccess = app.server.extensions["anning"].access
    page, _ = access.case_page(DEFAULT_SCOPE, IncidentFilter(), "incident_no", False, 0, 5)
    ids_by_no = dict(zip(page["incident_no"], page["id"], strict=True))
    first = shell.render(ROUTES, f"/case/{ids_by_no['T1']}", "?lang=zh&cat=other", "zh")
    text = text_of(first)
    assert "案件详情 · T1" in text and "西乡派出所" in text and "家庭暴力" in text
    assert "13800138000" not in text and "12栋302" not in text  # masked by the access layer
    timeline = find(first, ids.CASE_TIMELINE)
    assert [text_of(item.children[1]) for item in timeline.children] == [
        "已上报 公安机关",
        "已分拨 公安机关",
        "处置中 妇联",
    ]
    assert find(first, ids.BACK_LINK).href == "/?lang=zh&cat=other"
    third = shell.render(ROUTES, f"/case/{ids_by_no['T3']}", "", "en")
    visits = text_of(find(third, ids.CASE_VISITS))
    assert "Stable" in visits and "Community" in visits and "Situation stable" in visits


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "99999999999999999999999", "1e3", "%20"])
def test_a_bad_case_id_gets_a_calm_message(request_context, raw):
    page = shell.render(ROUTES, f"/case/{raw}", "", "zh")
    notice = find(page, ids.CASE_NOT_FOUND)
    assert notice is not None
    assert "未找到该案件，或您无权查看" in text_of(notice)


def test_a_case_outside_the_scope_is_not_found(app, request_context, monkeypatch):
    limited = replace(DEFAULT_SCOPE, stations=frozenset({"BA01"}))
    monkeypatch.setattr(case, "current_scope", lambda: limited)
    access: CaseAccess = app.server.extensions["anning"].access
    page, _ = access.case_page(DEFAULT_SCOPE, IncidentFilter(), "incident_no", False, 0, 5)
    t1 = dict(zip(page["incident_no"], page["id"], strict=True))["T1"]
    assert find(case.layout("en", "", str(t1)), ids.CASE_NOT_FOUND) is not None


def test_the_case_id_parser():
    assert case.parse_incident_id("42") == 42
    assert case.parse_incident_id(str(2**63 - 1)) == 2**63 - 1
    for bad in (None, "", "abc", "-1", "0", str(2**63), "4 2", "４２"):
        assert case.parse_incident_id(bad) is None


def test_validation_layouts_hold_every_component_id():
    tree = html.Div([overview.validation_layout(), case.validation_layout()])
    for name in (
        overview.MAP.map,
        overview.MAP.paint,
        ids.TREND,
        ids.CASE_TABLE,
        ids.SELECTION_CLEAR,
        ids.CASE_NOT_FOUND,
    ):
        assert find(tree, name) is not None, name


def test_two_apps_in_one_process_keep_their_own_callbacks(fixture_engine):
    first, second = create_app(fixture_engine), create_app(fixture_engine)
    assert set(first.callback_map) == set(second.callback_map)
    assert len(first.callback_map) >= 10


# -- callbacks ----------------------------------------------------------------------------------
def test_kpis_of_the_default_range(request_context):
    assert overview.update_kpis(*DEFAULT, *NO_FILTER)[:5] == ("4", "1", "2", "1", "1")


def test_kpis_follow_the_category_filter(request_context):
    only_dv = overview.update_kpis(*DEFAULT, ["domestic_violence"], [], [], [])[:5]
    assert only_dv == ("1", "1", "1", "1", "0")


def _map(*args, layer="counts", params=(), lang="zh"):
    """The map callback's figure for filters, resolution and selection ``args``."""
    values = [v for _, _, v in params]
    param_ids = [{"type": ids.LAYER_PARAM, "layer": lay, "param": name} for lay, name, _ in params]
    return overview.update_map(*args, layer, values, param_ids, lang)


def test_the_map_callback_counts_per_cell(request_context):
    paint, url, points, legend, _, hidden = _map(*DEFAULT, *NO_FILTER, 8, None)
    cells = paint["cells"]
    assert set(cells) == {_cell("BA02", 8), _cell("BA01", 8)} and hidden
    assert url.startswith("/geo/cells/8.geojson?v=") and paint["cellsUrl"] == url
    # two incidents colour darker than one; the tooltip names the station and the count
    assert cells[_cell("BA02", 8)][0] > cells[_cell("BA01", 8)][0]
    assert cells[_cell("BA02", 8)][1] == "<b>西乡派出所</b><br>事件数：2"
    assert points["features"] == []
    assert "事件数" in text_of(legend) and "≥" not in text_of(legend)


def test_the_map_says_why_it_is_empty(request_context):
    nothing = _map("2020-01-01", "2020-01-31", *NO_FILTER, 8, None, lang="en")[0]
    assert nothing["meta"]["empty"] == "no_match" and nothing["cells"] == {}
    assert nothing["empty"]["title"] == "No incidents match the filters"
    unplaced = _map(*DEFAULT, ["other"], [], [], [], 8, None, lang="en")[0]
    assert unplaced["meta"]["empty"] == "no_located"


def test_the_map_outlines_the_selected_cell(request_context):
    selected = {"kind": "cell", "id": _cell("BA02", 8)}
    assert _map(*DEFAULT, *NO_FILTER, 8, selected)[0]["selected"] == selected
    assert _map(*DEFAULT, *NO_FILTER, 8, None)[0]["selected"] is None


def test_the_trend_callback(request_context):
    fig = overview.update_trend(*DEFAULT, *NO_FILTER, "1w", "en")
    assert {tr.name for tr in fig.data} == {
        "Domestic violence",
        "Relationship dispute",
        "Family dispute",
        "Other",
    }
    assert sum(int(v) for tr in fig.data for v in tr.y) == 4
    empty = overview.update_trend("2020-01-01", "2020-01-31", *NO_FILTER, "1d", "zh")
    assert empty.layout.meta["empty"] == "no_match"


def _cases(request: dict, *controls, lang: str = "zh") -> tuple[list[dict], int, str]:
    """The case list's rows, row count and total line for a grid request and the controls
    (dates, category, source, risk, station, selection)."""
    response, total = overview.get_cases(request, *controls, lang)
    return response["rowData"], response["rowCount"], total


def test_the_case_list_pages_sorts_and_drills_down(request_context):
    by_number = grid_request(sort=("incident_no", "asc"))
    rows, count, total = _cases(by_number, *DEFAULT, *NO_FILTER, None)
    assert [r["incident_no"] for r in rows] == ["T1", "T2", "T3", "T5"]
    assert (count, total) == (4, "共 4 起")
    # a later page: the rows the grid asks for, in the same order
    rows, count, _ = _cases(grid_request(2, 2, ("incident_no", "asc")), *DEFAULT, *NO_FILTER, None)
    assert [r["incident_no"] for r in rows] == ["T3", "T5"] and count == 4
    descending = grid_request(sort=("incident_no", "desc"))
    assert [r["incident_no"] for r in _cases(descending, *DEFAULT, *NO_FILTER, None)[0]] == [
        "T5",
        "T3",
        "T2",
        "T1",
    ]
    station = {"kind": "station", "id": "BA02"}
    rows, count, total = _cases(grid_request(), *DEFAULT, *NO_FILTER, station, lang="en")
    assert [r["incident_no"] for r in rows] == ["T2", "T1"]  # newest first by default
    assert total == "2 cases" and count == 2 and rows[0]["station_code"] == "Xixiang Station"
    cell = {"kind": "cell", "id": _cell("BA01", 8)}
    rows, *_ = _cases(grid_request(), *DEFAULT, *NO_FILTER, cell)
    assert [r["incident_no"] for r in rows] == ["T3"]
    outside = _cases(grid_request(), *DEFAULT, [], [], [], ["BA01"], station)
    assert outside == ([], 0, "没有符合条件的案件。")


def test_an_unsortable_column_keeps_the_default_order(request_context):
    unsortable = grid_request(sort=("address_raw", "asc"))
    newest_first = [r["incident_no"] for r in _cases(grid_request(), *DEFAULT, *NO_FILTER, None)[0]]
    rows = _cases(unsortable, *DEFAULT, *NO_FILTER, None)[0]
    assert [r["incident_no"] for r in rows] == newest_first and len(rows) == 4


def test_the_case_list_asks_nothing_without_a_request_and_reloads_on_a_new_filter():
    with pytest.raises(PreventUpdate):
        overview.get_cases(None, *DEFAULT, *NO_FILTER, None, "zh")
    model = overview.reload_cases(*DEFAULT, *NO_FILTER, None)
    assert set(model) == {"_reload"}  # the grid's hidden column: it asks again from page 1
    with pytest.raises(PreventUpdate):  # the same filters: nothing to ask again
        overview.reload_cases(*DEFAULT, *NO_FILTER, None, None, None, model)
    for changed in (
        overview.reload_cases(*DEFAULT, ["other"], [], [], [], None),
        overview.reload_cases(*DEFAULT, *NO_FILTER, {"kind": "station", "id": "BA02"}),
        overview.reload_cases(*DEFAULT, *NO_FILTER, None, 739500, 1),
    ):
        assert changed != model


def test_clicks_select_stations_and_cells_and_the_chip_names_them(request_context):
    hex_id = _cell("BA02", 8)
    # what dash-leaflet sends as a GeoJSON layer's clickData: the clicked feature
    cell_click = {"type": "Feature", "id": hex_id, "properties": {"station": "BA02"}}
    station_click = {"type": "Feature", "id": "BA10", "properties": {"name_zh": "石岩派出所"}}
    assert overview.select(cell_click, None, None, 0) == {"kind": "cell", "id": hex_id}
    assert overview.select(None, station_click, None, 0) == {"kind": "station", "id": "BA10"}
    garbage = {"type": "Feature", "id": "garbage"}
    assert overview.select(garbage, None, None, 0) is no_update
    assert overview.select(None, None, None, 0) is no_update
    chip, hidden, title = overview.show_selection({"kind": "cell", "id": hex_id}, "zh")
    assert (chip, hidden, title) == (f"网格 {hex_id}（西乡派出所）", False, "案件列表")
    assert overview.show_selection({"kind": "station", "id": "BA10"}, "en")[0] == "Shiyan Station"
    assert overview.show_selection(None, "en") == ("", True, "Cases (all that match the filters)")


def test_the_url_carries_the_state_and_a_row_opens_its_case(request_context):
    station = {"kind": "station", "id": "BA02"}
    query = overview.sync_url(
        *DEFAULT, ["elder_abuse"], [], [], [], 9, "1w", station, "counts", [], "cases", "map",
        [], "en", "",
    )  # fmt: skip
    assert query == (
        "?lang=en&start=2026-08-15&end=2026-11-12&cat=elder_abuse&res=9&every=1w&sel=station:BA02"
    )
    assert overview.open_case([{"id": 12, "incident_no": "T1"}]) == "/case/12"
    for nothing in (None, [], [{"incident_no": "T1"}], [{"id": "12; DROP"}], [{"id": True}]):
        with pytest.raises(PreventUpdate):
            overview.open_case(nothing)
    assert str_to_cell(_cell("BA02", 8))  # the fixture cell is a valid cell


def test_reset_restores_the_default_range_and_clears_the_other_filters():
    defaults = {"start": "2026-08-15", "end": "2026-11-12"}
    assert overview.reset_filters(1, defaults) == ("2026-08-15", "2026-11-12", [], [], [], [])


def test_an_empty_database_says_so_everywhere(db_engine):
    empty = create_app(db_engine)
    assert empty.server.test_client().get("/healthz").get_json() == {
        "status": "ok",
        "incidents": 0,
        "stations": 0,
        "worker": os.getpid(),
        "snapshot_incidents": 0,
    }
    user = add_user(db_engine, "empty-cc", "test-password-123", "command_center", actor="t")
    signed_in = empty.server.test_client()
    signed_in.set_cookie(SESSION_COOKIE, open_session(db_engine, user.id).token)
    cells = signed_in.get("/geo/cells/8.geojson").get_json(force=True)
    assert cells == {"type": "FeatureCollection", "features": []}
    with empty.server.test_request_context("/"):
        use_identity(user)
        page = shell.render(ROUTES, "/", "", "en")
        assert find(page, ids.DATE_RANGE).start_date is None
        assert _map(None, None, *NO_FILTER, 8, None, lang="en")[0]["meta"]["empty"] == "no_data"
        trend = overview.update_trend(None, None, *NO_FILTER, "1d", "zh")
        assert trend.layout.meta["empty"] == "no_data"
        assert overview.update_kpis(None, None, *NO_FILTER)[:5] == ("0",) * 5
        assert _cases(grid_request(), None, None, *NO_FILTER, None, lang="en") == (
            [],
            0,
            "No cases match.",
        )
