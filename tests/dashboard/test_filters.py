"""The overview's state in the URL: parsing, defaults, round trips, the drill-down filter."""

from __future__ import annotations

from datetime import date

from dashboard.filters import (
    DEFAULT_RESOLUTION,
    OverviewState,
    Selection,
    default_range,
    from_controls,
    from_query,
    language_of,
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
    assert (state.start, state.end) == (date(2026, 8, 23), date(2026, 11, 20))
    assert state.categories == state.stations == ()
    assert state.res == DEFAULT_RESOLUTION and state.every == "1d" and state.selection is None


def test_a_query_round_trips():
    state = OverviewState(
        start=date(2026, 1, 1),
        end=date(2026, 2, 1),
        categories=("domestic_violence", "elder_abuse"),
        sources=("call_110",),
        risk_levels=("high",),
        stations=("BA02",),
        res=9,
        every="1w",
        selection=Selection("cell", CELL),
    )
    query = to_query(state, "en")
    assert query.startswith("?lang=en&")
    assert from_query(query, EXTENT, ["BA01", "BA02"]) == state
    assert language_of(query) == "en"


def test_bad_values_fall_back_instead_of_failing():
    query = (
        "?start=yesterday&end=2026-13-40&cat=arson,elder_abuse&res=12&every=1m&st=XX&sel=cell:zz"
    )
    state = from_query(query, EXTENT, ["BA01"])
    assert (state.start, state.end) == (date(2026, 8, 23), date(2026, 11, 20))
    assert state.categories == ("elder_abuse",)
    assert state.stations == ()
    assert (state.res, state.every, state.selection) == (DEFAULT_RESOLUTION, "1d", None)


def test_reversed_dates_are_swapped():
    state = from_controls("2026-02-01", "2026-01-01T00:00:00", [], [], [], [])
    assert (state.start, state.end) == (date(2026, 1, 1), date(2026, 2, 1))


def test_controls_keep_codes_in_vocabulary_order():
    state = from_controls(None, None, ["elder_abuse", "domestic_violence"], None, ["low"], None)
    assert state.categories == ("domestic_violence", "elder_abuse")
    assert state.risk_levels == ("low",) and state.sources == () and state.stations == ()


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
    assert outside.stations == ("",)  # no station has an empty code
    assert selection_filter(IncidentFilter(), None) == IncidentFilter()


def test_a_cell_selection_of_a_real_incident_cell_parses():
    cell = int(latlng_to_cells([22.59], [113.87], 8)[0])
    assert parse_selection({"kind": "cell", "id": cell_to_str(cell)}).id == cell_to_str(cell)
