"""Shaping layer results for the table, the hover text and the API: pure, hand-built frames."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from dashboard.parts.layer_views import (
    HOVER_COLUMNS,
    MARKDOWN_COLUMNS,
    TABLE_COLUMNS,
    case_links,
    export_frame,
    format_column,
    hover_text,
    json_rows,
    reason_chips,
    row_target,
    sort_frame,
    table_columns,
    table_rows,
    with_station,
)
from dashboard.parts.tables import header_width
from data.access import redact_layer as redact
from geo.h3cells import cell_to_latlng, cell_to_str, latlng_to_cells
from layers.registry import REGISTRY

TZ = "Asia/Shanghai"
NAMES = {"BA02": "西乡派出所"}
CELL = int(latlng_to_cells([22.5828], [113.8639], 8)[0])
POINT = (22.58281234, 113.86391234)


def _addresses() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "address_id": ["固戍一路12栋302室#1"],
            "address_key": ["固戍一路12栋302室"],
            "address_raw": ["宝安区西乡街道固戍一路12栋302室"],
            "lat": [POINT[0]],
            "lng": [POINT[1]],
            "count": [3],
            "first_at": [datetime(2026, 1, 1, 16, 30, tzinfo=UTC)],
            "last_at": [datetime(2026, 3, 1, 2, 0, tzinfo=UTC)],
            "gaps_days": [[40.0, 19.5]],
            "median_gap_days": [29.75],
            "escalating": [True],
            "marac_flag": [False],
            "categories": [[{"category": "domestic_violence", "count": 3}]],
            "incident_ids": [["T1", "T2", "T3"]],
        },
        schema_overrides={"count": pl.UInt32},
    )


def _warnings() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "rank": [1, 2],
            "entry_id": ["address:固戍一路12栋302室#1", "case:7"],
            "kind": ["household", "case"],
            "reasons": [["high_risk_recent", "escalating"], ["sla_breached_closed_15d"]],
            "score": [5201.0, 3050.0],
            "station_code": ["BA02", "BA02"],
            "address_key": ["固戍一路12栋302室", None],
            "community": ["固戍社区", None],
            "cell": [None, None],
            "lat": [POINT[0], None],
            "lng": [POINT[1], None],
            "last_at": [datetime(2026, 3, 1, tzinfo=UTC), None],
            "incident_ids": [["BA11", "BA12"], ["BA7"]],
        },
        schema_overrides={"cell": pl.Int64, "lat": pl.Float64, "lng": pl.Float64},
    )


def test_every_layer_has_table_columns_a_default_order_and_map_layers_hover_lines():
    for layer_id, spec in REGISTRY.items():
        assert layer_id in TABLE_COLUMNS
        if spec.geometry != "table":
            assert layer_id in HOVER_COLUMNS


def test_redaction_masks_addresses_and_generalises_positions():
    shown = redact(_addresses(), personal_details=False)
    row = shown.row(0, named=True)
    assert row["address_raw"] == "宝安区西乡街道固戍*路*栋*室"
    assert row["address_key"] == "固戍*路*栋*室" and row["address_id"] == "固戍*路*栋*室#*"
    centre = cell_to_latlng(int(latlng_to_cells([POINT[0]], [POINT[1]], 9)[0]))
    assert (row["lat"], row["lng"]) == pytest.approx(centre)
    assert (row["lat"], row["lng"]) != pytest.approx(POINT, abs=1e-6)
    assert redact(_addresses(), personal_details=True).equals(_addresses())


def test_redaction_masks_address_entries_but_keeps_case_entries():
    shown = redact(_warnings(), personal_details=False)
    assert shown["entry_id"].to_list() == ["address:固戍*路*栋*室#*", "case:7"]
    assert shown["lat"][1] is None


def test_words_for_codes_times_numbers_and_flags():
    frame = _addresses()
    assert format_column(frame, "repeat_addresses", "first_at", "zh", NAMES, TZ) == [
        "2026-01-02 00:30"
    ]
    assert format_column(frame, "repeat_addresses", "median_gap_days", "en", NAMES, TZ) == ["29.8"]
    assert format_column(frame, "repeat_addresses", "escalating", "zh", NAMES, TZ) == ["是"]
    assert format_column(frame, "repeat_addresses", "categories", "zh", NAMES, TZ) == ["家庭暴力 3"]
    warnings = _warnings()
    assert format_column(warnings, "early_warning", "kind", "en", NAMES, TZ) == [
        "Household",
        "Case",
    ]
    assert format_column(warnings, "early_warning", "station_code", "zh", NAMES, TZ) == [
        "西乡派出所",
        "西乡派出所",
    ]
    assert format_column(warnings, "early_warning", "last_at", "zh", NAMES, TZ)[1] == "—"


def test_hot_spot_values_in_words():
    frame = pl.DataFrame(
        {"cell": [CELL], "gi_class": [-2], "label": ["cold_95"], "p": [0.0004], "z": [-2.345]},
        schema_overrides={"gi_class": pl.Int8},
    )
    assert format_column(frame, "hotspot", "label", "en", NAMES, TZ) == [
        "Cold spot, 95% confidence"
    ]
    assert format_column(frame, "hotspot", "gi_class", "zh", NAMES, TZ) == ["冷点（95% 置信）"]
    assert format_column(frame, "hotspot", "p", "zh", NAMES, TZ) == ["<0.001"]
    assert format_column(frame, "hotspot", "z", "zh", NAMES, TZ) == ["-2.35"]
    assert format_column(frame, "hotspot", "cell", "zh", NAMES, TZ) == [cell_to_str(CELL)]


def test_emerging_categories_are_patterns_not_incident_categories():
    frame = pl.DataFrame({"category": ["oscillating_coldspot"]})
    assert format_column(frame, "emerging_hotspot", "category", "zh", NAMES, TZ) == ["振荡冷点"]
    incidents = pl.DataFrame({"category": ["elder_abuse"]})
    assert format_column(incidents, "service_levels", "category", "en", NAMES, TZ) == [
        "Elder abuse"
    ]


def test_reasons_are_chips_and_unknown_codes_cannot_break_out():
    assert reason_chips(["high_risk_recent", "count_jump"], "zh") == "`近期高风险` `片区警情突增`"
    assert reason_chips(["new`code"], "en") == "`newcode`"
    assert reason_chips([], "en") == "—"


def test_case_links_escape_their_text_and_stop_after_four():
    refs = [(1, "BA1"), (None, "[x](javascript:alert(1))"), (3, "BA3"), (4, "BA4"), (5, "BA5")]
    links = case_links(refs, "en", "?lang=en")
    assert links.startswith("[BA1](/case/1?lang=en) ")
    assert "\\[x\\]\\(javascript:alert\\(1\\)\\)" in links and "](javascript" not in links
    assert links.endswith("+1 more")


def test_sorting_by_a_column_by_list_length_and_by_default():
    frame = _warnings()
    assert sort_frame(frame, "early_warning", None)["rank"].to_list() == [1, 2]
    by_reasons = sort_frame(frame, "early_warning", "reasons", descending=False)
    assert by_reasons["rank"].to_list() == [2, 1]
    unknown = sort_frame(frame, "early_warning", "score;drop", descending=False)
    assert unknown["rank"].to_list() == [1, 2]
    by_time = sort_frame(frame, "early_warning", "last_at", descending=False)
    assert by_time["rank"].to_list() == [1, 2]  # nulls last


def test_table_rows_carry_chips_links_and_a_click_target():
    rows = table_rows(
        redact(_warnings(), False),
        "early_warning",
        "zh",
        NAMES,
        TZ,
        numbers={"BA11": 11, "BA12": 12, "BA7": 7},
        search="?tab=layer",
        first=30,
    )
    assert rows[0]["reasons"] == "`近期高风险` `地址警情升级`"
    assert rows[0]["incident_ids"] == "[BA11](/case/11?tab=layer) [BA12](/case/12?tab=layer)"
    assert rows[0]["_target"].startswith("cell:89")  # the household's resolution-9 cell
    assert rows[1]["_target"] == "case:7"
    # the grid's id of a row: its place in the table and what a click on it selects
    assert rows[0]["_key"] == f"30|{rows[0]['_target']}" and rows[1]["_key"] == "31|case:7"
    assert rows[0]["address_key"] == "固戍*路*栋*室"
    columns = table_columns("early_warning", "zh")
    assert [c["headerName"] for c in columns][:5] == [
        "排名",
        "清单",
        "清单内排名",
        "类型",
        "预警原因",
    ]
    assert [c["colId"] for c in columns] == list(TABLE_COLUMNS["early_warning"])
    assert all(c["sortable"] for c in columns)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("layer_id", list(TABLE_COLUMNS))
def test_layer_table_columns_draw_links_same_tab_and_keep_their_headers_whole(layer_id, lang):
    columns = table_columns(layer_id, lang)
    for column in columns:
        if column["colId"] in MARKDOWN_COLUMNS:  # links and chips: markdown, never HTML
            assert column["cellRenderer"] == "markdown" and column["linkTarget"] == "_self"
        assert column["minWidth"] >= header_width(column["headerName"]), column["colId"]
    # every table fits a 1440-pixel screen's list (1,070 pixels) without scrolling sideways
    assert sum(c["minWidth"] for c in columns) <= 1070


def test_repeat_address_rows_link_their_incident_numbers():
    rows = table_rows(
        _addresses(), "repeat_addresses", "en", NAMES, TZ, numbers={"T1": 101, "T2": 102}
    )
    assert rows[0]["incident_ids"] == "[T1](/case/101) [T2](/case/102) T3"
    assert rows[0]["escalating"] == "Yes" and rows[0]["marac_flag"] == "No"


def test_row_targets():
    assert row_target("hotspot", {"cell": CELL}, None) == f"cell:{cell_to_str(CELL)}"
    assert row_target("service_levels", {"incident_id": 5}, None) == "case:5"
    assert row_target("repeat_people", {"incident_ids": ["T1"]}, None) is None


def test_cells_are_named_by_their_station_and_hover_lines_follow_the_layer():
    frame = with_station(
        pl.DataFrame(
            {"cell": [CELL], "label": ["hot_99"], "count": [4], "z": [3.2], "p_fdr": [0.01]}
        ),
        {CELL: "BA02"},
    )
    assert frame["station"].to_list() == ["BA02"]
    labels, values = hover_text(frame, "hotspot", "en", NAMES, TZ)
    assert labels == ["Class", "Incidents", "z-score", "p-value (FDR)"]
    assert values == [["Hot spot, 99% confidence", "4", "3.20", "0.010"]]


def test_the_api_form_of_a_cell_layer():
    frame = pl.DataFrame(
        {
            "cell": [CELL],
            "until": [datetime(2026, 3, 1, 8, 0, tzinfo=UTC)],
            "source_incidents": [2],
            "radius_m": [float("nan")],
        }
    )
    out = export_frame(frame, "near_repeat")
    assert out.columns == ["cell", "lat", "lng", "until", "source_incidents", "radius_m"]
    row = json_rows(out)[0]
    assert row[0] == cell_to_str(CELL)
    assert (row[1], row[2]) == pytest.approx(cell_to_latlng(CELL), abs=1e-6)
    assert row[3] == "2026-03-01T08:00:00.000000Z"
    assert row[5] is None  # NaN is not JSON


def test_the_hot_spot_table_lists_halo_cells_after_the_core_cells():
    frame = pl.DataFrame({"cell": [1, 2, 3], "z": [5.0, 4.0, 3.0], "halo": [True, False, False]})
    assert sort_frame(frame, "hotspot", None)["cell"].to_list() == [2, 3, 1]
    by_z = sort_frame(frame, "hotspot", "z", descending=True)
    unknown = pl.DataFrame({"cell": [1, 2, 3], "z": [1.0, float("nan"), 2.0], "halo": [False] * 3})
    for descending, cells in ((True, [3, 1, 2]), (False, [1, 3, 2])):  # NaN last both ways
        ordered = sort_frame(unknown, "hotspot", "z", descending=descending)
        assert ordered["cell"].to_list() == cells
    assert by_z["cell"].to_list() == [1, 2, 3]  # the user's own order is kept


def test_patrol_accuracy_shares_read_as_percentages():
    """A hit rate of 0.42 read "0" when every number without decimals was a whole number."""
    frame = pl.DataFrame(
        {"hit_rate": [0.4237, None], "area_share": [0.05, 0.0], "pai": [8.47, 1.0]}
    )
    shown = {
        column: format_column(frame, "patrol_accuracy", column, "en", {}, "UTC")
        for column in frame.columns
    }
    assert shown["hit_rate"] == ["42.4%", "—"]
    assert shown["area_share"] == ["5.0%", "0.0%"]
    assert shown["pai"] == ["8.47", "1.00"]
