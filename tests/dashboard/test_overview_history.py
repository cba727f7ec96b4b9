"""Back/forward restore the overview's controls from the URL; the trend's bars and the
time slider reach every view (callbacks called as plain functions on the fixture district)."""

from __future__ import annotations

from datetime import date

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate
from grid_requests import grid_request

from dashboard.parts import ids
from dashboard.parts.filters import OverviewState, from_query
from dashboard.screens.overview import history as overview_history
from dashboard.screens.overview import page as overview
from dashboard.screens.overview import time_slider

DEFAULT = ("2026-08-15", "2026-11-12")
NO_FILTER = ([], [], [], [])
PARAM_IDS = [
    {"type": ids.LAYER_PARAM, "layer": "hotspot", "param": "k"},
    {"type": ids.LAYER_PARAM, "layer": "hotspot", "param": "fdr"},
    {"type": ids.LAYER_PARAM, "layer": "service_levels", "param": "state"},
]
QUERY = "?lang=zh&start=2026-08-15&end=2026-11-12&cat=elder_abuse&res=9&layer=hotspot&k=2&tab=layer"


def test_the_controls_of_a_state_in_restore_order():
    state = from_query(QUERY + "&week=2026-10-07&win=4", (date(2026, 1, 1), date(2026, 11, 12)))
    values = overview_history.control_values(state, PARAM_IDS)
    assert values[:7] == ["2026-08-15", "2026-11-12", ["elder_abuse"], [], [], [], 9]
    assert values[9:12] == ["hotspot", [2, ["on"], "all"], "layer"]
    assert values[13:] == [date(2026, 10, 5).toordinal(), 4, "none", 80, 90]
    auto = overview_history.control_values(OverviewState(), [])
    assert auto[6] == "auto" and auto[12] == "map" and auto[13] < 0 + date.today().toordinal()


def test_only_changed_controls_are_set():
    target = ["2026-08-15", ["a", "b"], [1, ["on"]], None, "x"]
    current = ["2026-08-15T00:00:00", ["b", "a"], [1, []], [], "y"]
    assert overview_history.changes(target, current) == [
        no_update,
        no_update,
        [1, ["on"]],
        no_update,
        "x",
    ]


def test_going_back_sets_the_controls_of_the_older_url(request_context):
    current_state = from_query("?lang=zh&start=2026-08-15&end=2026-11-12", None)
    current = overview_history.control_values(current_state, PARAM_IDS)
    out = overview_history.restore(QUERY, "/", "?lang=zh", PARAM_IDS, current, 8)
    assert out[2] == ["elder_abuse"] and out[6] == 9 and out[9] == "hotspot" and out[11] == "layer"
    assert out[0] is no_update and out[1] is no_update  # the dates did not change
    assert out[10][0] == 2 and out[-1] == QUERY  # the query is now the page's own
    nothing = overview_history.restore("?lang=zh", "/", "?lang=zh&x=1", PARAM_IDS, current, 8)
    assert nothing[10] == [no_update] * 3  # one value per parameter control, even unchanged
    for search, path, written in ((QUERY, "/", QUERY), (QUERY, "/case/3", "?lang=zh")):
        with pytest.raises(PreventUpdate):  # the page's own echo, or another page
            overview_history.restore(search, path, written, PARAM_IDS, current, 8)


def test_the_url_waits_while_the_slider_plays_and_carries_the_week_when_paused():
    week = date(2026, 10, 5).toordinal()
    args = (*DEFAULT, *NO_FILTER, "auto", "1d", None, "counts", [], "cases", "map", [], "zh", "")
    with pytest.raises(PreventUpdate):
        overview.sync_url(*args, week, 1, False)
    query, written = overview.write_url(*args, week, 4, True)
    assert query == written and query.endswith("&week=2026-10-05&win=4")
    assert "res=" not in query


def test_the_time_slider_narrows_the_kpis_cases_and_map_but_not_the_trend(request_context):
    whole = overview.update_kpis(*DEFAULT, *NO_FILTER)
    assert whole[0] == "4"
    empty_week = date(2026, 8, 17).toordinal()
    assert overview.update_kpis(*DEFAULT, *NO_FILTER, None, empty_week, 1)[0] == "0"
    response, total = overview.get_cases(
        grid_request(), *DEFAULT, *NO_FILTER, None, "en", empty_week, 1
    )
    rows = response["rowData"]
    assert rows == [] and total.startswith("No cases match in the weeks shown")
    paint, *_, hidden = overview.update_map(
        *DEFAULT, *NO_FILTER, "auto", None, "counts", [], [], "zh", None, empty_week, 1, 9
    )
    assert paint["meta"]["res"] == 9 and paint["meta"]["empty"] == "no_match" and not hidden
    trend = overview.update_trend(*DEFAULT, *NO_FILTER, "1w", "zh", None, empty_week, 1)
    assert trend.layout.meta["window"] == ["2026-08-17", "2026-08-23"]
    assert len(trend.layout.shapes) == 1 and sum(sum(t.y) for t in trend.data) == 4


def test_a_trend_bar_click_selects_its_week_and_category(request_context):
    trend = overview.update_trend(*DEFAULT, *NO_FILTER, "1w", "en")
    bar = trend.data[0]
    hit = next(i for i, y in enumerate(bar.y) if y)
    day = str(bar.x[hit])[:10]
    click = {"points": [{"x": day, "customdata": list(bar.customdata[hit]), "curveNumber": 0}]}
    chosen = overview.bar_selection(click, "1w")
    category = bar.customdata[hit][0]
    assert chosen == {"kind": "period", "id": f"{day}.1w.{category}"}
    response, total = overview.get_cases(grid_request(), *DEFAULT, *NO_FILTER, chosen, "en")
    rows = response["rowData"]
    assert total == f"{bar.y[hit]} cases" and len(rows) == bar.y[hit]
    chip, hidden, _ = overview.show_selection(chosen, "en")
    assert chip.startswith("Week of ") and not hidden
    outlined = overview.update_trend(*DEFAULT, *NO_FILTER, "1w", "en", None, None, None, chosen)
    widths = outlined.data[0].marker.line.width
    assert widths[hit] > 0 and sum(1 for w in widths if w) == 1
    assert overview.bar_selection({"points": [{"x": "garbage", "customdata": ["x"]}]}, "1w") is (
        no_update
    )


def test_the_zoom_redraws_the_map_only_when_the_hexagon_size_changes():
    # Leaflet's zoom 12.5 is MapLibre's 11.5: small hexagons at Shenzhen's latitude.
    assert overview.follow_zoom(12.5, [22.6, 114], 8) == 9
    assert overview.follow_zoom(12.5, {"lat": 22.6, "lng": 114}, 8) == 9
    for zoom, known in ((11.0, 8), (None, 8), (float("nan"), 8)):
        with pytest.raises(PreventUpdate):
            overview.follow_zoom(zoom, [22.6, 114], known)
    assert overview.resolution_note("auto", 9, "en") == "Now: Small (~0.1 km²)"
    assert overview.resolution_note(7, 9, "en") == ""


def test_the_time_slider_ids_are_the_maps():
    assert time_slider.SLIDER.startswith("map-")
