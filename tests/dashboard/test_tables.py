"""KPI numbers, case-list rows and case fields shaped from frames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from dashboard.parts.tables import CASE_COLUMNS, case_columns, case_rows, detail_rows
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
    assert zh["id"] == 7 and set(zh) == {"id", *CASE_COLUMNS}
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
    assert [c["name"] for c in case_columns("en")][:2] == ["Incident no.", "Reported"]


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
