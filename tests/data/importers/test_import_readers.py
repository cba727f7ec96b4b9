"""Reading files as text: encodings, Excel, Parquet, GeoJSON, blank lines and row numbers."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl
import pytest
from importer_fixtures import CN110_HEADERS, cn110_rows, write_csv

from data.importers.readers import ROW_NUMBER, ReadError, decode, frame_from_records, read_table


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("gb18030", "gb18030"),
        ("gbk", "gb18030"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-8", "utf-8"),
        ("utf-16", "utf-16"),
    ],
)
def test_chinese_headers_and_values_survive_every_encoding(tmp_path, encoding, detected):
    path = write_csv(
        tmp_path / "export.csv",
        cn110_rows({"发案地址": "宝安区西乡街道固戍一路"}),
        encoding=encoding,
    )
    table = read_table(path)
    assert table.encoding == detected
    assert table.columns == list(CN110_HEADERS)
    row = table.frame.row(0, named=True)
    assert row["发案地址"] == "宝安区西乡街道固戍一路"
    assert row["受害人证件号"] == "44030619900101123X"  # text, not a number
    assert row[ROW_NUMBER] == 2  # the header is row 1


def test_gb18030_bytes_really_are_not_utf8(tmp_path):
    path = write_csv(tmp_path / "gbk.csv", cn110_rows({}), encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert read_table(path).frame["警情类别"].to_list() == ["家庭暴力"]


def test_undecodable_bytes_name_the_row(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes("警情编号,接警时间\nJ1,2024-03-01\n".encode() + b"J2,\xff\xff\xff\n")
    with pytest.raises(ReadError, match=r"broken.csv: row 3: byte 0xff is not valid"):
        read_table(path)


def test_a_bom_file_with_invalid_utf8_is_not_read_as_gbk():
    with pytest.raises(ReadError, match="starts with a UTF-8 BOM"):
        decode(b"\xef\xbb\xbfa,b\n\xd6\xd0,1\n")


def test_blank_lines_are_counted_and_rows_keep_their_numbers(tmp_path):
    rows = cn110_rows({"警情编号": "J1"}, {"警情编号": "J2"}, {"警情编号": "J3"})
    path = write_csv(tmp_path / "blanks.csv", rows, blank_after=(0, 1))
    path.write_bytes(path.read_bytes() + b",,,,,,,,,,,,,,,,,\r\n   \r\n")
    table = read_table(path)
    # header 1, J1 2, blank 3, J2 4, blank 5, J3 6, commas-only 7, spaces 8
    assert table.frame[ROW_NUMBER].to_list() == [2, 4, 6]
    assert table.blank_rows == [3, 5, 7, 8]


def test_blank_lines_before_the_header_keep_row_numbers_true(tmp_path):
    path = tmp_path / "lead.csv"
    path.write_text("\n\n警情编号,接警时间\nJ1,2024-03-01 10:00\n", encoding="utf-8")
    table = read_table(path, header_row=3)
    assert table.columns == ["警情编号", "接警时间"]
    assert table.frame[ROW_NUMBER].to_list() == [4]


def test_title_rows_above_the_header_are_skipped(tmp_path):
    path = tmp_path / "titled.csv"
    path.write_text("宝安分局警情导出,\n2024年3月,\n警情编号,接警时间\nJ1,x\n", encoding="utf-8")
    table = read_table(path, header_row=3)
    assert table.columns == ["警情编号", "接警时间"]
    assert table.frame.row(0, named=True)[ROW_NUMBER] == 4


def test_stray_whitespace_is_stripped_from_names_and_cells(tmp_path):
    path = tmp_path / "spaces.csv"
    path.write_text(" 警情编号 ,接警时间\n  J1\u3000, 2024-03-01 10:00 \n", encoding="utf-8")
    row = read_table(path).frame.row(0, named=True)
    assert row["警情编号"] == "J1" and row["接警时间"] == "2024-03-01 10:00"


def test_tab_separated_exports_are_read(tmp_path):
    path = tmp_path / "tabs.txt"
    path.write_text("警情编号\t发案地址\nJ1\t翻身路1号, 2栋\n", encoding="utf-8")
    assert read_table(path).frame.row(0, named=True)["发案地址"] == "翻身路1号, 2栋"


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(ReadError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    other = tmp_path / "x.doc"
    other.write_text("x")
    with pytest.raises(ReadError, match=r"cannot read '\.doc' files"):
        read_table(other)


def test_excel_cells_are_read_as_text_with_row_numbers(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(CN110_HEADERS[:4]))
    sheet.append(["J1", datetime(2024, 3, 1, 10, 0), "家庭暴力", 110])
    sheet.append([None, None, None, None])
    sheet.append(["J2", "2024/03/02 11:30", " 家庭纠纷 ", 1.5])
    path = tmp_path / "export.xlsx"
    book.save(path)
    table = read_table(path)
    assert table.columns == list(CN110_HEADERS[:4])
    assert table.frame.rows() == [
        ("J1", "2024-03-01 10:00:00", "家庭暴力", "110", 2),
        ("J2", "2024/03/02 11:30", "家庭纠纷", "1.5", 4),
    ]
    assert table.blank_rows == [3]


def test_parquet_columns_become_text(tmp_path):
    path = tmp_path / "export.parquet"
    pl.DataFrame(
        {
            "警情编号": ["J1"],
            "接警时间": [datetime(2024, 3, 1, 10)],
            "经度": [113.82],
            "是否涉未成年人": [True],
        }
    ).write_parquet(path)
    row = read_table(path).frame.row(0, named=True)
    assert row["接警时间"] == "2024-03-01 10:00:00"
    assert row["经度"] == "113.82" and row["是否涉未成年人"] == "True"


def test_geojson_points_give_their_coordinates(tmp_path):
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"警情编号": "J1", "编号": 7},
                "geometry": {"type": "Point", "coordinates": [113.82, 22.62]},
            },
            {"type": "Feature", "properties": {"警情编号": "J2"}, "geometry": None},
        ],
    }
    path = tmp_path / "incidents.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    frame = read_table(path).frame
    assert frame["geometry_lng"].to_list() == ["113.82", None]
    assert frame["编号"].to_list() == ["7", None]
    assert frame[ROW_NUMBER].to_list() == [2, 3]


def test_records_from_an_api_become_a_text_table():
    table = frame_from_records([{"警情编号": "J1", "经度": 113.8}, {"警情编号": " J2 ", "x": True}])
    assert table.columns == ["警情编号", "经度", "x"]
    assert table.frame.rows() == [("J1", "113.8", None, 1), ("J2", None, "True", 2)]
