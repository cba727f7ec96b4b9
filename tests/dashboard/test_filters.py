"""The overview's state in the URL: parsing, defaults, round trips, the drill-down filter."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.parts.filters import (
    DEFAULT_RESOLUTION,
    FilterError,
    Filters,
    LayerChoice,
    OverviewState,
    Selection,
    TimeWindow,
    control_values,
    default_range,
    from_controls,
    from_query,
    language_of,
    parse_filters,
    parse_selection,
    selection_filter,
    to_query,
    with_language,
)
from data.access import IncidentFilter
from geo.h3cells import cell_to_str, latlng_to_cells, str_to_cell

EXTENT = (date(2024, 1, 1), date(2026, 11, 20))
CELL = "88411cac35fffff"


def test_the_default_range_is_the_last_90_days_up_to_the_newest_incident():
    assert default_range(EXTENT) == (date(2026, 8, 23), date(2026, 11, 20))
    assert default_range((date(2026, 11, 1), date(2026, 11, 20))) == (
        date(2026, 11, 1),
        date(2026, 11, 20),
    )
    assert default_range(None) == (None, None)


def test_an_empty_query_gives_the_defaults():
    state = from_query("", EXTENT, ["BA01", "BA02"])
    assert (state.filters.start, state.filters.end) == (date(2026, 8, 23), date(2026, 11, 20))
    assert state.filters.categories == state.filters.stations == ()
    assert (
        state.filters.res == DEFAULT_RESOLUTION and state.every == "1d" and state.selection is None
    )


def test_a_query_round_trips():
    state = OverviewState(
        filters=Filters(
            start=date(2026, 1, 1),
            end=date(2026, 2, 1),
            categories=("domestic_violence", "elder_abuse"),
            sources=("call_110",),
            risk_levels=("high",),
            stations=("BA02",),
            res=9,
        ),
        every="1w",
        selection=Selection("cell", CELL),
        auto_res=False,
        window=TimeWindow(date(2026, 1, 12), 4),
    )
    query = to_query(state, "en")
    assert query.startswith("?lang=en&")
    assert "res=9" in query and "week=2026-01-12&win=4" in query
    assert from_query(query, EXTENT, ["BA01", "BA02"]) == state
    assert language_of(query) == "en"


def test_without_res_the_zoom_chooses_the_resolution():
    state = from_query("?start=2026-01-01", EXTENT, auto_res=9)
    assert state.auto_res and state.filters.res == 9
    assert "res=" not in to_query(state, "zh")
    assert from_query("?res=7", EXTENT, auto_res=9).filters.res == 7  # a hand choice wins
    auto = from_controls(None, None, None, None, None, None, "auto", zoom_res=6)
    assert auto.auto_res and auto.filters.res == 6
    assert from_controls(None, None, None, None, None, None, "auto", zoom_res=12).filters.res == 8
    manual = from_controls(None, None, None, None, None, None, 7, zoom_res=6)
    assert not manual.auto_res and manual.filters.res == 7


def test_the_time_window_narrows_the_dates_of_every_view_but_the_trend():
    query = "?start=2026-01-01&end=2026-02-01&week=2026-01-29&win=4"
    state = from_query(query, EXTENT)
    assert state.window == TimeWindow(date(2026, 1, 26), 4)  # the week's Monday
    flt = state.incident_filter()
    # four weeks from Monday 5 January, the last one clipped to the range's end
    assert (flt.start, flt.end) == (date(2026, 1, 5), date(2026, 2, 1))
    assert state.range_filter().start == date(2026, 1, 1)
    one = from_query("?start=2026-01-01&end=2026-02-01&week=2026-01-12", EXTENT)
    assert (one.incident_filter().start, one.incident_filter().end) == (
        date(2026, 1, 12),
        date(2026, 1, 18),
    )
    for bad in ("week=2026-03-02", "week=nonsense", "week="):
        assert from_query(f"?start=2026-01-01&end=2026-02-01&{bad}", EXTENT).window is None
    assert from_query("?start=2026-01-01&week=2026-01-12&win=3", EXTENT).window.weeks == 1


def test_a_trend_bar_selects_its_period_and_category():
    bar = parse_selection("period:2026-01-14.1w.elder_abuse")
    assert bar == Selection("period", "2026-01-12.1w.elder_abuse")  # weeks start on Monday
    assert parse_selection(bar.to_param()) == bar
    flt = selection_filter(IncidentFilter(start=date(2026, 1, 1), end=date(2026, 1, 31)), bar)
    assert (flt.start, flt.end, flt.categories) == (
        date(2026, 1, 12),
        date(2026, 1, 18),
        ("elder_abuse",),
    )
    day = selection_filter(IncidentFilter(), parse_selection("period:2026-01-14.1d"))
    assert (day.start, day.end, day.categories) == (date(2026, 1, 14), date(2026, 1, 14), ())
    excluded = IncidentFilter(categories=("domestic_violence",))
    assert selection_filter(excluded, bar).categories == ("",)  # nothing, not everything
    for bad in (
        "period:2026-01-14",
        "period:2026-01-14.1m",
        "period:x.1d",
        "period:2026-01-14.1d.arson",
    ):
        assert parse_selection(bad) is None


def test_bad_values_fall_back_instead_of_failing():
    query = (
        "?start=yesterday&end=2026-13-40&cat=arson,elder_abuse&res=12&every=1m&st=XX&sel=cell:zz"
    )
    state = from_query(query, EXTENT, ["BA01"])
    assert (state.filters.start, state.filters.end) == (date(2026, 8, 23), date(2026, 11, 20))
    assert state.filters.categories == ("elder_abuse",)
    assert state.filters.stations == ()
    assert (state.filters.res, state.every, state.selection) == (DEFAULT_RESOLUTION, "1d", None)


def test_reversed_dates_are_swapped():
    state = from_controls("2026-02-01", "2026-01-01T00:00:00", [], [], [], [])
    assert (state.filters.start, state.filters.end) == (date(2026, 1, 1), date(2026, 2, 1))


def test_controls_keep_codes_in_vocabulary_order():
    state = from_controls(None, None, ["elder_abuse", "domestic_violence"], None, ["low"], None)
    assert state.filters.categories == ("domestic_violence", "elder_abuse")
    assert (
        state.filters.risk_levels == ("low",)
        and state.filters.sources == ()
        and state.filters.stations == ()
    )


def test_selections_are_validated():
    assert parse_selection({"kind": "station", "id": "BA02"}) == Selection("station", "BA02")
    assert parse_selection(f"cell:{CELL.upper()}") == Selection("cell", CELL)
    assert parse_selection("cell:not-a-cell") is None
    assert parse_selection({"kind": "person", "id": "x"}) is None
    assert parse_selection(None) is None
    assert parse_selection(["cell", CELL]) is None


def test_the_language_comes_from_the_url_then_the_stored_choice():
    assert language_of("?lang=en", "zh") == "en"
    assert language_of("?start=2026-01-01", "en") == "en"
    assert language_of("", None, "zh") == "zh"
    assert with_language("?lang=zh&cat=other", "en") == "?lang=en&cat=other"


def test_a_selected_cell_narrows_the_filter():
    flt = selection_filter(IncidentFilter(categories=("other",)), Selection("cell", CELL))
    assert flt.cells == (str_to_cell(CELL),) and flt.categories == ("other",)


def test_a_selected_station_outside_the_station_filter_selects_nothing():
    inside = selection_filter(
        IncidentFilter(stations=("BA01", "BA02")), Selection("station", "BA02")
    )
    outside = selection_filter(IncidentFilter(stations=("BA01",)), Selection("station", "BA02"))
    unfiltered = selection_filter(IncidentFilter(), Selection("station", "BA02"))
    assert inside.stations == unfiltered.stations == ("BA02",)
    # Both restrictions hold (a beat inside a filtered district; here: nothing).
    assert (outside.stations, outside.within) == (("BA01",), ("BA02",))
    assert selection_filter(IncidentFilter(), None) == IncidentFilter()


def test_a_cell_selection_of_a_real_incident_cell_parses():
    cell = int(latlng_to_cells([22.59], [113.87], 8)[0])
    assert parse_selection({"kind": "cell", "id": cell_to_str(cell)}).id == cell_to_str(cell)


# -- the layer state ------------------------------------------------------------------------------
def test_the_layer_and_its_parameters_round_trip_through_the_url():
    query = (
        "?lang=zh&layer=hotspot&k=2&fdr=false&tab=layer&table=service_levels&table.state=breached"
    )
    state = from_query(query, EXTENT, ["BA01"])
    assert state.layer == LayerChoice("hotspot", (("k", 2), ("fdr", False)))
    assert state.table == LayerChoice("service_levels", (("state", "breached"),))
    assert state.tab == "layer" and state.table_layer.id == "service_levels"
    again = to_query(state, "zh")
    assert (
        "layer=hotspot&k=2&fdr=false&tab=layer&table=service_levels&table.state=breached" in again
    )
    assert from_query(again, EXTENT, ["BA01"]) == state


def test_defaults_stay_out_of_the_url():
    state = from_query("?layer=hotspot&k=1", EXTENT, [])
    assert state.layer.changed() == {}
    assert to_query(state, "zh").endswith("&layer=hotspot")
    assert "layer" not in to_query(from_query("?layer=counts", EXTENT, []), "zh")


def test_bad_layer_state_falls_back_on_the_page():
    state = from_query(
        "?layer=early_warning&k=9&tab=secret&table=hotspot&table.state=lost", EXTENT, []
    )
    assert state.layer == LayerChoice()  # a table-only layer is not a map layer
    assert state.tab == "cases" and state.table is None
    bad = from_query("?layer=hotspot&k=1;DROP&fdr=maybe", EXTENT, [])
    assert bad.layer.values() == {"k": 1, "fdr": True}


def test_controls_give_the_chosen_layers_parameters():
    values = control_values(
        [
            {"type": "layer-param", "layer": "hotspot", "param": "k"},
            {"type": "layer-param", "layer": "hotspot", "param": "fdr"},
            {"type": "layer-param", "layer": "service_levels", "param": "state"},
            {"type": "layer-param", "layer": "nope", "param": "x"},
        ],
        [3, [], "due_soon", 1],
    )
    assert values == {"hotspot": {"k": 3, "fdr": False}, "service_levels": {"state": "due_soon"}}
    state = from_controls(
        None, None, None, None, None, None, layer="hotspot", layer_params=values,
        table="service_levels",
    )  # fmt: skip
    assert state.layer.values() == {"k": 3, "fdr": False}
    assert state.table.values() == {"state": "due_soon"}
    out_of_range = from_controls(
        None, None, None, None, None, None, layer="hotspot", layer_params={"hotspot": {"k": 50}}
    )
    assert out_of_range.layer.values()["k"] == 1


def test_the_strict_parser_names_the_bad_key():
    with pytest.raises(FilterError, match=r"^start: '2024-13-45'") as err:
        parse_filters({"start": "2024-13-45"}, EXTENT, [], strict=True)
    assert err.value.key == "start"
    with pytest.raises(FilterError, match=r"^res"):
        parse_filters({"res": "99"}, EXTENT, [], strict=True)
    with pytest.raises(FilterError, match=r"^st: unknown station 'BA02'"):
        parse_filters({"st": "BA02"}, EXTENT, ["BA01"], strict=True)
    with pytest.raises(FilterError, match=r"^start: 2026-02-01 is after end"):
        parse_filters({"start": "2026-02-01", "end": "2026-01-01"}, EXTENT, [], strict=True)
    long = parse_filters({"cat": "x" * 500}, EXTENT, [], strict=False)
    assert long.categories == ()
    with pytest.raises(FilterError) as err:
        parse_filters({"cat": "x" * 500}, EXTENT, [], strict=True)
    assert len(str(err.value)) < 300


def test_one_parser_serves_the_page_and_the_api():
    params = {"start": "2026-01-01", "end": "2026-02-01", "cat": "elder_abuse", "res": "9"}
    lenient = parse_filters(params, EXTENT, ["BA01"])
    strict = parse_filters(params, EXTENT, ["BA01"], strict=True)
    assert lenient == strict
    state = from_query("?" + "&".join(f"{k}={v}" for k, v in params.items()), EXTENT, ["BA01"])
    assert state.filters == strict
    assert strict.incident_filter() == state.incident_filter()


def test_a_station_selection_the_user_cannot_see_selects_nothing():
    """``sel=station:ZZ99`` (no such station, or another's) used to be kept: the KPIs and
    list showed 0 cases while the map showed every hexagon."""
    assert from_query("?sel=station:BA02", EXTENT, ["BA01", "BA02"]).selection.id == "BA02"
    assert from_query("?sel=station:ZZ99", EXTENT, ["BA01", "BA02"]).selection is None
    assert from_query("?sel=station:BA02", EXTENT, ["BA01"]).selection is None
