"""Every bad-input class: what is rejected, what is fixed, what is kept and counted."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from importer_fixtures import STATION_A, cn110_rows, write_csv
from numpy.testing import assert_allclose
from shapely.geometry import box
from sqlalchemy import select

from data.importers.readers import frame_from_records
from data.importers.run import import_file, ingest_rows
from data.importers.validate import ValidationError
from data.models import Incident
from data.store import save_stations
from geo.datums import gcj02_to_bd09, to_wgs84, wgs84_to_gcj02
from geo.jurisdictions import Jurisdiction


def _stored(engine) -> pl.DataFrame:
    cols = [
        "incident_no",
        "category",
        "source_channel",
        "risk_level",
        "reported_at",
        "lat",
        "lng",
        "source_lat",
        "source_lng",
        "h3_cell",
        "location_state",
        "station_code",
        "address_key",
        "closed_at",
        "status",
        "warning_letter",
    ]
    with engine.connect() as conn:
        rows = conn.execute(select(*(getattr(Incident, c) for c in cols))).all()
    return pl.DataFrame(rows, schema=cols, orient="row").sort("incident_no")


def _import(engine, tmp_path, rows, name="in.csv", **kwargs):
    path = write_csv(
        tmp_path / name,
        rows,
        **{k: v for k, v in kwargs.items() if k in ("encoding", "blank_after")},
    )
    rest = {k: v for k, v in kwargs.items() if k not in ("encoding", "blank_after")}
    summary = import_file(engine, path, "cn-110", **rest)
    assert summary.balanced
    return summary


def _warning(summary, kind):
    found = [w for w in summary.warnings if w.kind == kind]
    return found[0] if found else None


def test_times_are_read_in_the_profile_zone_and_stored_in_utc(engine_with_stations, tmp_path):
    rows = cn110_rows(
        {"警情编号": "J1", "接警时间": "2024-03-01 10:00:00"},
        {"警情编号": "J2", "接警时间": "2024年3月1日 10:00"},
        {
            "警情编号": "J3",
            "接警时间": "2024/03/01 10:00",
            "处置状态": "已办结",
            "办结时间": "2024-03-02 08:30:00",
        },
    )
    summary = _import(engine_with_stations, tmp_path, rows)
    assert summary.inserted == 3 and summary.rejected == 0
    stored = _stored(engine_with_stations)
    assert stored["reported_at"].to_list() == [datetime(2024, 3, 1, 2, 0)] * 3
    assert stored["closed_at"][2] == datetime(2024, 3, 2, 0, 30)
    assert stored["status"].to_list() == ["reported", "reported", "closed"]


def test_unreadable_and_impossible_times_are_rejected_with_row_column_value(
    engine_with_stations, tmp_path
):
    future = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1).strftime("%Y-%m-%d %H:%M")
    rows = cn110_rows(
        {"警情编号": "J1"},
        {"警情编号": "J2", "接警时间": "2024-13-45 25:61"},
        {"警情编号": "J3", "接警时间": future},
        {"警情编号": "J4", "接警时间": "1989-12-31 23:00"},
        {"警情编号": "J5", "接警时间": ""},
        {"警情编号": "J6", "办结时间": "2024-02-28 09:00", "处置状态": "已办结"},
        {"警情编号": "", "接警时间": "garbage"},
    )
    rejects = tmp_path / "rejects.csv"
    summary = _import(engine_with_stations, tmp_path, rows, rejects_path=rejects)
    assert (summary.rows_read, summary.inserted, summary.rejected) == (7, 1, 6)
    got = {r["row_number"]: r for r in summary.rejects.iter_rows(named=True)}
    assert got[3]["column"] == "接警时间" and got[3]["value"] == "2024-13-45 25:61"
    assert "not a time in Asia/Shanghai" in got[3]["reason"]
    assert "in the future" in got[4]["reason"]
    assert "before 1990-01-01" in got[5]["reason"]
    assert got[6]["reason"] == "time is empty"
    assert got[7]["column"] == "办结时间" and "before the reported time" in got[7]["reason"]
    assert got[8]["column"] == "警情编号; 接警时间"  # every problem of the row is named
    assert "incident number is empty" in got[8]["reason"]
    # The rejects file: the original columns, then row_number, column, value, reason; a BOM.
    raw = rejects.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pl.read_csv(rejects, infer_schema=False)
    assert back.columns[:2] == ["警情编号", "接警时间"]
    assert back.columns[-4:] == ["row_number", "column", "value", "reason"]
    assert back["row_number"].to_list() == ["3", "4", "5", "6", "7", "8"]


def test_a_corrected_rejects_file_imports(engine_with_stations, tmp_path):
    rows = cn110_rows({"警情编号": "J1"}, {"警情编号": "J2", "接警时间": "2024-03-32 10:00"})
    rejects = tmp_path / "rejects.csv"
    _import(engine_with_stations, tmp_path, rows, rejects_path=rejects)
    fixed = tmp_path / "fixed.csv"
    fixed.write_bytes(rejects.read_bytes().replace(b"2024-03-32", b"2024-03-03"))
    summary = import_file(engine_with_stations, fixed, "cn-110")
    assert (summary.inserted, summary.rejected) == (1, 0)
    assert _stored(engine_with_stations)["incident_no"].to_list() == ["J1", "J2"]


def test_swapped_coordinates_beyond_90_degrees_are_fixed(engine_with_stations, tmp_path):
    rows = cn110_rows({"警情编号": "J1", "经度": "22.62", "纬度": "113.82"})
    summary = _import(engine_with_stations, tmp_path, rows)
    row = _stored(engine_with_stations).row(0, named=True)
    assert (row["lng"], row["lat"], row["station_code"]) == (113.82, 22.62, "A")
    assert _warning(summary, "swapped").count == 1


def test_swapped_coordinates_are_found_by_the_jurisdictions(db_engine, tmp_path):
    # In Chicago both orders are valid degrees; only the polygons can tell.
    save_stations(db_engine, [Jurisdiction("8", "8TH", "8TH", box(-87.8, 41.7, -87.6, 41.9))])
    rows = cn110_rows(
        {"警情编号": "J1", "经度": "41.77", "纬度": "-87.68"},
        {"警情编号": "J2", "经度": "-87.68", "纬度": "41.77"},
    )
    summary = _import(db_engine, tmp_path, rows)
    stored = _stored(db_engine)
    assert stored["lat"].to_list() == [41.77, 41.77]
    assert stored["station_code"].to_list() == ["8", "8"]
    assert _warning(summary, "swapped").count == 1


def test_points_outside_every_jurisdiction_are_kept_but_never_counted(
    engine_with_stations, tmp_path
):
    rows = cn110_rows(
        {"警情编号": "J1", "经度": "114.50", "纬度": "22.62"},
        {"警情编号": "J2", "经度": "114.50", "纬度": "22.62", "管辖单位": "甲派出所"},
    )
    summary = _import(engine_with_stations, tmp_path, rows)
    stored = _stored(engine_with_stations)
    assert stored["location_state"].to_list() == ["outside", "outside"]
    assert stored["h3_cell"].to_list() == [None, None]
    assert stored["station_code"].to_list() == [None, "A"]  # a named known station is kept
    assert stored["lng"].to_list() == [None, None]  # no map or layer reads them
    assert stored["source_lng"].to_list() == [114.5, 114.5]  # kept for review
    assert _warning(summary, "outside").count == 2


def test_missing_coordinates_are_placed_from_the_same_address(engine_with_stations, tmp_path):
    first = cn110_rows({"警情编号": "J1", "发案地址": "深圳市宝安区翻身路12栋302室"})
    _import(engine_with_stations, tmp_path, first, name="first.csv")
    rows = cn110_rows(
        # the same flat, written differently, no coordinates: placed from J1 in the database
        {"警情编号": "J2", "发案地址": "翻身路１２号楼３０２", "经度": "", "纬度": ""},
        # placed from J4 later in this file
        {"警情编号": "J3", "发案地址": "新湖路5栋101室", "经度": "", "纬度": ""},
        {"警情编号": "J4", "发案地址": "新湖路5栋101", "经度": "113.87", "纬度": "22.61"},
        # nowhere to take it from
        {"警情编号": "J5", "发案地址": "不知道的地方", "经度": "", "纬度": ""},
        # not a number: unlocated, with a warning naming the value
        {"警情编号": "J6", "发案地址": "", "经度": "东经113", "纬度": "22.6"},
    )
    summary = _import(engine_with_stations, tmp_path, rows, name="second.csv")
    stored = _stored(engine_with_stations).to_dicts()
    by_no = {r["incident_no"]: r for r in stored}
    assert (by_no["J2"]["lat"], by_no["J2"]["lng"]) == (22.62, 113.82)
    assert by_no["J2"]["location_state"] == "located" and by_no["J2"]["station_code"] == "A"
    assert by_no["J2"]["h3_cell"] == by_no["J1"]["h3_cell"]
    assert (by_no["J3"]["lat"], by_no["J3"]["station_code"]) == (22.61, "B")
    assert by_no["J5"]["location_state"] == "unlocated" and by_no["J5"]["h3_cell"] is None
    assert by_no["J6"]["location_state"] == "unlocated"
    assert _warning(summary, "located_from_address").count == 2
    assert _warning(summary, "no_coordinates").count == 2  # J5 and J6 (not a number)
    assert "'东经113,22.6'" in _warning(summary, "bad_coordinate").message


def test_unknown_categories_and_sources_become_other_with_a_warning(engine_with_stations, tmp_path):
    rows = cn110_rows(
        {"警情编号": "J1", "警情类别": "邻里纠纷"},
        {"警情编号": "J2", "警情类别": "邻里纠纷", "来源渠道": "微信"},
        {"警情编号": "J3", "警情类别": " 家庭暴力 ", "风险等级": "很高"},
        {"警情编号": "J4", "警情类别": "domestic_violence", "是否出具告诫书": "是"},
    )
    summary = _import(engine_with_stations, tmp_path, rows)
    stored = _stored(engine_with_stations)
    assert stored["category"].to_list() == [
        "other",
        "other",
        "domestic_violence",
        "domestic_violence",
    ]
    assert stored["source_channel"].to_list() == ["call_110", "other", "call_110", "call_110"]
    assert stored["risk_level"].to_list() == ["high", "high", "medium", "high"]
    assert stored["warning_letter"].to_list() == [False, False, False, True]
    category = _warning(summary, "unknown_category")
    assert category.count == 2 and "'邻里纠纷' ×2" in category.message
    assert "'微信' ×1" in _warning(summary, "unknown_source_channel").message
    assert "'很高' ×1 → medium" in _warning(summary, "unknown_risk_level").message


def test_blank_lines_are_skipped_and_counted(engine_with_stations, tmp_path):
    rows = cn110_rows({"警情编号": "J1"}, {"警情编号": "J2"})
    summary = _import(engine_with_stations, tmp_path, rows, blank_after=(0,), encoding="utf-8-sig")
    assert (summary.rows_read, summary.inserted, summary.blank_lines) == (2, 2, 1)
    assert summary.blank_rows == [3]
    assert any("blank lines skipped: 1 (rows 3)" in line for line in summary.lines())


def test_a_station_that_disagrees_with_the_polygon_is_kept_and_counted(
    engine_with_stations, tmp_path
):
    rows = cn110_rows(
        {"警情编号": "J1", "管辖单位": "乙派出所"},  # point in A, names B
        {"警情编号": "J2", "管辖单位": "A"},  # by code
        {"警情编号": "J3", "管辖单位": "丙派出所"},  # unknown: taken from the point
    )
    summary = _import(engine_with_stations, tmp_path, rows)
    assert _stored(engine_with_stations)["station_code"].to_list() == ["B", "A", "A"]
    assert _warning(summary, "station_disagrees").count == 1
    assert "'丙派出所' ×1" in _warning(summary, "unknown_station").message


def test_per_row_datums_are_converted_to_wgs84(engine_with_stations, tmp_path):
    lng, lat = 113.82, 22.62
    g = wgs84_to_gcj02(lng, lat)
    b = gcj02_to_bd09(*g)
    rows = cn110_rows(
        {"警情编号": "J1", "经度": f"{g[0]:.9f}", "纬度": f"{g[1]:.9f}", "坐标系": "GCJ-02"},
        {"警情编号": "J2", "经度": f"{b[0]:.9f}", "纬度": f"{b[1]:.9f}", "坐标系": "百度"},
        {"警情编号": "J3", "经度": str(lng), "纬度": str(lat), "坐标系": ""},  # profile default
        {
            "警情编号": "J4",
            "经度": str(lng),
            "纬度": str(lat),
            "坐标系": "北京54",
            "发案地址": "新湖路9栋",
        },
    )
    summary = _import(engine_with_stations, tmp_path, rows)
    stored = _stored(engine_with_stations)
    assert_allclose(stored["lng"].to_numpy()[:3], [lng] * 3, atol=1e-7)
    assert_allclose(stored["lat"].to_numpy()[:3], [lat] * 3, atol=1e-7)
    assert stored["location_state"][3] == "unlocated"
    assert "'北京54' ×1" in _warning(summary, "unknown_datum").message
    expected = to_wgs84(float(f"{g[0]:.9f}"), float(f"{g[1]:.9f}"), "gcj02")
    assert_allclose((stored["lng"][0], stored["lat"][0]), expected, atol=1e-12)


def test_a_missing_required_column_is_one_clear_error(engine_with_stations, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("编号,接警时间\nJ1,2024-03-01 10:00\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"column '警情编号' .* is not in the file"):
        import_file(engine_with_stations, path, "cn-110")


def test_without_stations_points_are_located_but_flagged(db_engine, tmp_path):
    summary = _import(db_engine, tmp_path, cn110_rows({"警情编号": "J1"}))
    row = _stored(db_engine).row(0, named=True)
    assert row["location_state"] == "located" and row["h3_cell"] is not None
    assert row["station_code"] is None
    assert _warning(summary, "no_jurisdictions") is not None


def test_the_core_takes_records_and_answers_per_row(engine_with_stations):
    from data.importers.profiles import load_profile

    records = [
        {"警情编号": "P1", "接警时间": "2024-03-01 10:00:00", "经度": 113.82, "纬度": 22.62},
        {"警情编号": "P2", "接警时间": "yesterday"},
        {
            "警情编号": "P1",
            "接警时间": "2024-03-01 10:00:00",
            "经度": 113.82,
            "纬度": 22.62,
            "处置状态": "已办结",
            "办结时间": "2024-03-01 12:00:00",
        },
    ]
    table = frame_from_records(records)
    result = ingest_rows(engine_with_stations, table.frame, load_profile("cn-110"))
    outcomes = result.outcomes.select("row_number", "incident_no", "outcome").rows()
    assert outcomes == [(1, "P1", "inserted"), (2, "P2", "rejected"), (3, "P1", "updated")]
    assert result.counts() == {
        "inserted": 1,
        "updated": 1,
        "unchanged": 0,
        "rejected": 1,
        "filtered": 0,
    }
    assert _stored(engine_with_stations)["status"].to_list() == ["closed"]
    assert STATION_A.code == _stored(engine_with_stations)["station_code"][0]


def test_a_row_longer_than_the_header_is_rejected_not_shifted(engine_with_stations, tmp_path):
    path = write_csv(tmp_path / "ragged.csv", cn110_rows({"警情编号": "J1"}, {"警情编号": "J3"}))
    lines = path.read_bytes().split(b"\r\n")
    # An unquoted comma in the address of J2 pushes every later cell one column right.
    bad = lines[1].replace(b"J1", b"J2").replace("翻身路12栋".encode(), "翻身路12栋,302".encode())
    path.write_bytes(b"\r\n".join([lines[0], lines[1], bad, *lines[2:]]))
    summary = import_file(engine_with_stations, path, "cn-110")
    assert (summary.inserted, summary.rejected) == (2, 1) and summary.balanced
    reject = summary.rejects.row(0, named=True)
    assert reject["row_number"] == 3 and reject["column"].startswith("(row)")
    assert reject["reason"].startswith("19 cells for 18 columns")
    assert _stored(engine_with_stations)["incident_no"].to_list() == ["J1", "J3"]


def test_a_status_that_disagrees_with_the_closing_time_is_counted_and_said(
    engine_with_stations, tmp_path
):
    """Every screen judges "open" by the closing time; rows whose status says otherwise are
    kept, and the summary says how many and how they are counted."""
    rows = cn110_rows(
        {"警情编号": "C1", "处置状态": "已办结", "办结时间": "2024-03-02 08:30:00"},
        {"警情编号": "C2", "处置状态": "已办结"},  # closed, but when?
        {"警情编号": "C3", "处置状态": "已办结"},
        {"警情编号": "C4", "办结时间": "2024-03-02 08:30:00"},  # a closing time, status open
        {"警情编号": "C5"},
    )
    summary = _import(engine_with_stations, tmp_path, rows)
    assert summary.inserted == 5 and summary.rejected == 0
    no_time = _warning(summary, "closed_without_time")
    assert no_time is not None and no_time.count == 2 and "counted as open" in no_time.message
    timed = _warning(summary, "closing_time_not_closed")
    assert timed is not None and timed.count == 1 and "counted as closed" in timed.message
    assert _warning(_import(engine_with_stations, tmp_path, cn110_rows({"警情编号": "C6"}),
                            name="ok.csv"), "closed_without_time") is None  # fmt: skip
