"""KPI numbers, case-list rows and case fields shaped from frames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from dashboard.parts.tables import (
    CASE_COLUMNS,
    GridRequest,
    case_columns,
    case_rows,
    detail_rows,
    grid_request,
    header_width,
    reload_model,
)
from data.access import SORTABLE_COLUMNS
from measures.overview import Kpis, kpis

NAMES = {"BA02": "西乡派出所"}
NOW = datetime(2026, 11, 12, 4, 0, tzinfo=UTC)


def test_kpis_count_high_risk_open_cases_and_instruments():
    frame = pl.DataFrame(
        {
            "risk_level": ["high", "low", "high", "medium"],
            # the closing time decides, not the status: the last row closes after ``now``
            "status": ["closed", "handling", "closed", "closed"],
            "closed_at": [NOW - timedelta(days=1), None, None, NOW + timedelta(hours=1)],
            "warning_letter": [True, False, None, True],
            "protection_order": [False, False, True, None],
        }
    )
    assert kpis(frame, NOW) == Kpis(
        incidents=4, high_risk=2, open_cases=3, warning_letters=2, protection_orders=1
    )
    assert kpis(frame.clear(), NOW) == Kpis(0, 0, 0, 0, 0)


def test_case_rows_are_translated_and_keep_the_id():
    page = pl.DataFrame(
        {
            "id": [7],
            "incident_no": ["BA1"],
            "reported_at": ["2026-11-10 10:00"],
            "category": ["domestic_violence"],
            "source_channel": ["call_110"],
            "risk_level": ["high"],
            "status": ["following_up"],
            "station_code": ["BA02"],
            "address_raw": ["宝安区西乡街道**栋"],
            "warning_letter": [True],
            "protection_order": [False],
        }
    )
    (zh,) = case_rows(page, "zh", NAMES)
    (en,) = case_rows(page, "en", {"BA02": "Xixiang Station"})
    assert zh["id"] == 7 and set(zh) == {"id", "risk_code", *CASE_COLUMNS}
    assert zh["risk_code"] == "high"  # the red of a high risk follows the code
    assert (zh["category"], zh["risk_level"], zh["status"]) == ("家庭暴力", "高", "回访中")
    assert (zh["station_code"], zh["warning_letter"], zh["protection_order"]) == (
        "西乡派出所",
        "是",
        "否",
    )
    assert (en["source_channel"], en["status"], en["station_code"]) == (
        "110 call",
        "Following up",
        "Xixiang Station",
    )
    assert [c["headerName"] for c in case_columns("en")][:2] == ["Incident no.", "Reported"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_case_list_columns_sort_on_the_server_and_keep_their_headers_whole(lang):
    columns = case_columns(lang)
    assert [c["colId"] for c in columns] == list(CASE_COLUMNS)
    assert {c["colId"] for c in columns if c["sortable"]} == set(SORTABLE_COLUMNS) & {*CASE_COLUMNS}
    assert [c["colId"] for c in columns if c.get("sort")] == ["reported_at"]  # newest first
    assert columns[0]["cellClass"] == "grid-case-no"  # drawn in the link blue
    risk = next(c for c in columns if c["colId"] == "risk_level")
    assert "risk_code == 'high'" in risk["cellClassRules"]["grid-risk-high"]
    for column in columns:  # a header's words are never cut (the address column stretches)
        width = column.get("width") or column["minWidth"]
        assert width >= header_width(column["headerName"]), column["colId"]
    # the list fits a 1440-pixel screen's card (1,070 pixels) without scrolling sideways
    assert sum(c.get("width") or c["minWidth"] for c in columns) <= 1070


def test_header_widths_hold_the_longest_word():
    assert header_width("Protection order") == header_width("Protection")
    assert header_width("Protection") > header_width("order") > 20
    assert header_width("风险等级") == 4 * 13 + 20
    assert header_width("检验区域（平方公里）") == header_width("风险等级")  # wraps after four


def test_grid_requests_are_read_safely():
    request = {
        "startRow": 30,
        "endRow": 45,
        "sortModel": [{"colId": "incident_no", "sort": "asc"}],
        "filterModel": {},
    }
    assert grid_request(request, 15, SORTABLE_COLUMNS) == GridRequest(30, 15, "incident_no", False)
    unsortable = {**request, "sortModel": [{"colId": "address_raw", "sort": "asc"}]}
    assert grid_request(unsortable, 15, SORTABLE_COLUMNS) == GridRequest(30, 15, None, True)
    assert grid_request(unsortable, 15).sort == "address_raw"  # any column, for a layer table
    assert grid_request({"startRow": -5}, 15) == GridRequest(0, 15, None, True)
    assert grid_request({"startRow": 0, "endRow": 10**9}, 15).count == 500
    assert grid_request({"startRow": float("nan"), "endRow": True}, 15) == GridRequest(0, 15)
    for nothing in (None, {}, [], "x"):
        assert grid_request(nothing, 15) is None


def test_a_reload_model_changes_with_the_filters_only():
    first = reload_model("2026-08-15", ["BA01"], {"kind": "station", "id": "BA01"})
    assert first == reload_model("2026-08-15", ["BA01"], {"id": "BA01", "kind": "station"})
    assert first != reload_model("2026-08-15", ["BA02"], {"kind": "station", "id": "BA01"})
    assert set(first) == {"_reload"} and first["_reload"]["filterType"] == "text"


def test_case_rows_name_a_missing_station():
    page = pl.DataFrame(
        {"id": [1], "station_code": [None]}, schema_overrides={"station_code": pl.String}
    )
    (row,) = case_rows(page, "zh", NAMES)
    assert row["station_code"] == "未归属辖区"


def test_detail_rows_translate_and_leave_out_withheld_coordinates():
    fields = {
        "incident_no": "BA1",
        "category": "elder_abuse",
        "station_code": "BA02",
        "lat": None,
        "lng": None,
        "minor_involved": True,
        "closed_at": None,
        "summary": "***",
    }
    rows = detail_rows(fields, "zh", NAMES)
    names = [name for name, _, _ in rows]
    assert "lat" not in names and "lng" not in names
    shown = {name: value for name, _, value in rows}
    assert shown == {
        "incident_no": "BA1",
        "category": "虐待老人",
        "station_code": "西乡派出所",
        "minor_involved": "是",
        "closed_at": "—",
        "summary": "***",
    }
    labels = {name: caption for name, caption, _ in detail_rows(fields, "en", NAMES)}
    assert labels["minor_involved"] == "Minor involved"
    with_coordinates = detail_rows({**fields, "lat": 22.5912345}, "en", NAMES)
    assert ("lat", "Latitude", "22.59123") in with_coordinates
