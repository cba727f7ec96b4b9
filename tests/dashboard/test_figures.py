"""The pure figure functions, checked without a browser."""

from __future__ import annotations

from datetime import date

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
import pytest

from dashboard.parts.figures import (
    CELL_TRACE,
    HALO_TRACE,
    POINT_TRACE,
    SELECTION_TRACE,
    STATION_TRACE,
    LayerColours,
    cell_layer_figure,
    empty_figure,
    fit_view,
    map_figure,
    point_layer_figure,
    point_sizes,
    trend_figure,
)
from data.demo.baoan import jurisdictions
from geo.h3cells import cell_to_str, latlng_to_cells

STATIONS_URL = "/geo/stations.geojson?v=1"
CELLS_URL = "/geo/cells/8.geojson?v=2"


@pytest.fixture(scope="module")
def stations():
    return jurisdictions()


@pytest.fixture(scope="module")
def counts():
    cells = latlng_to_cells([22.59, 22.56, 22.73], [113.87, 113.89, 113.825], 8)
    return pl.DataFrame({"cell": cells, "count": [5, 2, 9]})


def _map(counts, stations, **kwargs):
    return map_figure(counts, 8, "zh", STATIONS_URL, CELLS_URL, stations=stations, **kwargs)


def test_the_map_refers_to_geometry_by_url_and_carries_ids_and_counts(counts, stations):
    fig = _map(counts, stations)
    assert isinstance(fig, go.Figure)
    station_trace, cell_trace = fig.data
    assert [type(tr).__name__ for tr in fig.data] == ["Choroplethmap", "Choroplethmap"]
    assert (station_trace.name, cell_trace.name) == (STATION_TRACE, CELL_TRACE)
    assert cell_trace.geojson == CELLS_URL and isinstance(cell_trace.geojson, str)
    assert station_trace.geojson == STATIONS_URL
    assert list(cell_trace.locations) == [cell_to_str(c) for c in counts["cell"]]
    assert list(cell_trace.z) == [5, 2, 9]
    assert cell_trace.featureidkey == "id"
    assert list(station_trace.locations) == [s.code for s in stations]


def test_the_map_is_drawn_on_the_station_polygons_without_tiles_or_text(counts, stations):
    fig = _map(counts, stations)
    layout = fig.layout.map
    assert layout.style == "white-bg"
    layers = [(layer.type, layer.source, layer.sourcetype) for layer in layout.layers]
    assert ("fill", STATIONS_URL, "geojson") in layers
    assert ("line", STATIONS_URL, "geojson") in layers
    # a symbol layer would make MapLibre fetch glyphs from the internet
    assert all(layer.type != "symbol" for layer in layout.layers)
    assert all(getattr(tr, "mode", None) is None for tr in fig.data)


def test_the_serialised_map_stays_small(counts, stations):
    text = pio.to_json(_map(counts, stations))
    assert "coordinates" not in text  # no geometry inline
    assert len(text) < 20_000


def test_the_view_is_fitted_to_the_stations(counts, stations):
    fig = _map(counts, stations)
    centre = fig.layout.map.center
    west, south, east, north = 113.74, 22.52, 113.98, 22.87
    assert west < centre.lon < east and south < centre.lat < north
    assert 9 <= fig.layout.map.zoom <= 11


def test_fit_view_zooms_in_on_smaller_areas():
    _, wide = fit_view((113.7, 22.5, 114.0, 22.9))
    centre, narrow = fit_view((113.85, 22.58, 113.86, 22.59))
    assert narrow > wide
    assert centre["lat"] == pytest.approx(22.585, abs=1e-3)
    assert centre["lon"] == pytest.approx(113.855)
    assert fit_view(None)[1] == 9.0


def test_hover_names_the_station_in_the_chosen_language(counts, stations):
    owner = {int(c): "BA02" for c in counts["cell"]}
    zh = _map(counts, stations, cell_station=owner)
    en = map_figure(counts, 8, "en", STATIONS_URL, CELLS_URL, stations=stations, cell_station=owner)
    assert [row[2] for row in zh.data[1].customdata] == ["西乡派出所"] * 3
    assert [row[2] for row in en.data[1].customdata] == ["Xixiang Station"] * 3
    assert "事件数" in zh.data[1].hovertemplate and "Incidents" in en.data[1].hovertemplate
    assert zh.data[1].colorbar.title.text == "事件数"
    assert [row[0] for row in zh.data[0].customdata] == ["station"] * 10
    assert zh.data[0].customdata[1][2] == "西乡派出所"


def test_a_selection_is_outlined_on_the_right_geometry(counts, stations):
    hex_id = cell_to_str(counts["cell"][0])
    cell_fig = _map(counts, stations, selection={"kind": "cell", "id": hex_id})
    station_fig = _map(counts, stations, selection={"kind": "station", "id": "BA02"})
    assert cell_fig.data[-1].name == SELECTION_TRACE
    assert cell_fig.data[-1].geojson == CELLS_URL and list(cell_fig.data[-1].locations) == [hex_id]
    assert station_fig.data[-1].geojson == STATIONS_URL
    assert list(station_fig.data[-1].locations) == ["BA02"]
    assert cell_fig.data[-1].hoverinfo == "skip"


def test_an_empty_map_keeps_the_stations_and_says_why(stations):
    empty = pl.DataFrame(schema={"cell": pl.Int64, "count": pl.Int64})
    fig = _map(empty, stations, empty_reason="no_match")
    assert len(fig.data[1].locations) == 0
    assert fig.layout.map.layers  # the district is still drawn
    assert "所选条件下没有事件" in fig.layout.annotations[0].text
    with pytest.raises(ValueError, match="empty_reason"):
        _map(empty, stations, empty_reason="bored")


def test_a_single_incident_is_not_drawn_as_a_hotspot(stations):
    cells = latlng_to_cells([22.59], [113.87], 8)
    fig = _map(pl.DataFrame({"cell": cells, "count": [1]}), stations)
    assert fig.data[1].zmax >= 5
    assert fig.data[1].colorbar.dtick == 1


def _trend():
    return pl.DataFrame(
        {
            "period": [date(2026, 11, 1), date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 2)],
            "category": ["relationship_dispute", "domestic_violence"] * 2,
            "count": [3, 1, 0, 2],
        }
    )


def test_the_trend_is_stacked_by_category_with_translated_legend():
    fig = trend_figure(_trend(), "1d", "zh")
    assert fig.layout.barmode == "stack"
    assert all(isinstance(tr, go.Bar) for tr in fig.data)
    # categories in vocabulary order, named in the interface language
    assert [tr.name for tr in fig.data] == ["家庭暴力", "婚恋情感纠纷"]
    assert [list(tr.y) for tr in fig.data] == [[1, 2], [3, 0]]
    assert fig.layout.xaxis.title.text == "日期" and fig.layout.yaxis.title.text == "事件数"
    formats = [stop.value for stop in fig.layout.xaxis.tickformatstops]
    assert formats == ["%-m月%-d日", "%Y年%-m月", "%Y年"]
    assert fig.layout.showlegend is True


def test_the_trend_in_english_and_by_week():
    fig = trend_figure(_trend(), "1w", "en")
    assert [tr.name for tr in fig.data] == ["Domestic violence", "Relationship dispute"]
    assert fig.layout.xaxis.title.text == "Week (from Monday)"
    assert fig.layout.yaxis.title.text == "Incidents"


def test_small_counts_tick_on_whole_numbers():
    assert trend_figure(_trend(), "1d", "zh").layout.yaxis.dtick == 1


def test_an_empty_trend_says_why():
    empty = pl.DataFrame(schema={"period": pl.Date, "category": pl.String, "count": pl.Int64})
    fig = trend_figure(empty, "1d", "en", empty_reason="no_data")
    assert len(fig.data) == 0
    assert "The database holds no incidents yet" in fig.layout.annotations[0].text
    zeros = _trend().with_columns(pl.lit(0).alias("count"))
    assert "所选条件下没有事件" in trend_figure(zeros, "1d", "zh").layout.annotations[0].text


@pytest.mark.parametrize("reason", ["no_match", "no_data", "no_located"])
def test_empty_figures_explain_themselves_in_both_languages(reason):
    zh, en = empty_figure(reason, "zh"), empty_figure(reason, "en")
    assert zh.layout.annotations[0].text != en.layout.annotations[0].text
    assert zh.layout.xaxis.visible is False


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="every"):
        trend_figure(_trend(), "1m", "zh")
    with pytest.raises(ValueError, match="reason"):
        empty_figure("why", "zh")


def test_one_extreme_cell_does_not_wash_out_the_others(stations):
    cells = latlng_to_cells([22.59 + i * 0.01 for i in range(60)], [113.87] * 60, 9)
    counts = pl.DataFrame({"cell": cells, "count": [3] * 59 + [400]})
    trace = _map(counts, stations).data[1]
    assert trace.zmax < 400
    assert trace.colorbar.ticktext[-1] == f"≥{trace.zmax}"
    assert list(trace.z)[-1] == 400  # the hover still tells the truth


# -- analytic layers ----------------------------------------------------------------------------
def _colours(n: int) -> LayerColours:
    return LayerColours(
        np.arange(n, dtype=float), 0.0, max(n - 1, 1), [[0, "#ffffff"], [1, "#000000"]]
    )


def test_a_cell_layer_carries_ids_names_and_hover_lines(counts, stations):
    hexes = [cell_to_str(c) for c in counts["cell"]]
    fig = cell_layer_figure(
        hexes,
        _colours(3),
        "en",
        STATIONS_URL,
        CELLS_URL,
        layer_id="hotspot",
        res=8,
        cell_names=["Xixiang Station"] * 3,
        hover_labels=["Class", "z-score"],
        hover_values=[["Hot spot", "3.10"], ["Not significant", "0.20"], ["Cold spot", "-2.00"]],
        stations=stations,
        selection=(CELLS_URL, hexes[0]),
    )
    assert [t.name for t in fig.data] == [STATION_TRACE, CELL_TRACE, SELECTION_TRACE]
    cells = fig.data[1]
    assert list(cells.locations) == hexes and cells.geojson == CELLS_URL
    assert list(cells.customdata[2]) == ["cell", hexes[2], "Xixiang Station", "Cold spot", "-2.00"]
    assert "Class: %{customdata[3]}" in cells.hovertemplate
    assert "z-score: %{customdata[4]}" in cells.hovertemplate
    assert cells.showscale is False and fig.layout.meta["layer"] == "hotspot"
    assert fig.layout.map.style == "white-bg"  # no tiles
    assert len(pio.to_json(fig)) < 20_000


def test_an_empty_cell_layer_says_why(stations):
    fig = cell_layer_figure(
        [], _colours(0), "zh", STATIONS_URL, CELLS_URL, layer_id="near_repeat", res=9,
        cell_names=[], stations=stations, empty_reason="no_layer_rows",
    )  # fmt: skip
    assert fig.layout.meta["empty"] == "no_layer_rows"
    assert "该图层在所选条件下没有结果" in fig.layout.annotations[0].text


def test_point_sizes_grow_with_the_count_and_stay_bounded():
    sizes = point_sizes(np.array([1, 2, 10, 10_000]))
    assert list(sizes[:3]) == [9.0, 14.0, 24.0]
    assert sizes[-1] == 34.0


def test_a_point_layer_draws_dots_over_a_halo(stations):
    fig = point_layer_figure(
        np.array([22.58, 22.60]),
        np.array([113.86, 113.88]),
        point_sizes(np.array([5, 2])),
        _colours(2),
        "zh",
        STATIONS_URL,
        layer_id="repeat_addresses",
        cells=["89411cac35bffff", "89411cac3cbffff"],
        names=["固戍*路*栋*室", "宝安*路"],
        hover_labels=["事件数"],
        hover_values=[["5"], ["2"]],
        stations=stations,
    )
    assert [t.name for t in fig.data] == [STATION_TRACE, HALO_TRACE, POINT_TRACE]
    halo, points = fig.data[1], fig.data[2]
    assert list(halo.marker.size) == [s + 3 for s in points.marker.size]
    assert halo.hoverinfo == "skip"
    assert list(points.customdata[0]) == ["cell", "89411cac35bffff", "固戍*路*栋*室", "5"]
    assert "事件数：%{customdata[3]}" in points.hovertemplate
    assert fig.layout.meta["layer"] == "repeat_addresses"
