"""Helpers for the importer tests: two stations, cn-110 rows and files, the shared data."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from shapely.geometry import box

from geo.jurisdictions import Jurisdiction

#: Real data shared by the project (../shared/data), read by tests only.
SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
CHICAGO = SHARED_DATA / "chicago"

#: Two square stations side by side in Bao'an (WGS-84): west A, east B.
STATION_A = Jurisdiction("A", "甲派出所", "Station A", box(113.80, 22.60, 113.85, 22.65))
STATION_B = Jurisdiction("B", "乙派出所", "Station B", box(113.85, 22.60, 113.90, 22.65))

#: The cn-110 headers, in the order DESIGN.md lists them.
CN110_HEADERS = (
    "警情编号",
    "接警时间",
    "警情类别",
    "来源渠道",
    "风险等级",
    "发案地址",
    "经度",
    "纬度",
    "坐标系",
    "管辖单位",
    "受害人证件号",
    "加害人证件号",
    "处置状态",
    "办结时间",
    "是否出具告诫书",
    "是否申请保护令",
    "是否涉未成年人",
    "简要案情",
)

#: A valid row inside station A; tests override what they need.
CN110_ROW = {
    "警情编号": "J001",
    "接警时间": "2024-03-01 10:00:00",
    "警情类别": "家庭暴力",
    "来源渠道": "110报警",
    "风险等级": "高",
    "发案地址": "宝安区翻身路12栋302室",
    "经度": "113.82",
    "纬度": "22.62",
    "坐标系": "WGS84",
    "管辖单位": "",
    "受害人证件号": "44030619900101123X",
    "加害人证件号": "",
    "处置状态": "已接警",
    "办结时间": "",
    "是否出具告诫书": "否",
    "是否申请保护令": "否",
    "是否涉未成年人": "否",
    "简要案情": "报警人电话13800138000，称被丈夫打伤",
}


def cn110_rows(*overrides: dict, count: int | None = None) -> list[dict]:
    """Rows from :data:`CN110_ROW` with per-row overrides; ``count`` numbered rows J0001…"""
    if count is not None:
        return [dict(CN110_ROW, 警情编号=f"J{i:04d}") for i in range(1, count + 1)]
    return [dict(CN110_ROW, **o) for o in overrides]


def write_csv(
    path: Path,
    rows: list[dict],
    encoding: str = "utf-8",
    headers=CN110_HEADERS,
    blank_after: tuple[int, ...] = (),
) -> Path:
    """Write ``rows`` as CSV in ``encoding`` (``utf-8-sig`` writes a BOM); a blank line is
    written after each 0-based row index in ``blank_after``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(headers), lineterminator="\r\n")
    writer.writeheader()
    for i, row in enumerate(rows):
        writer.writerow({h: row.get(h, "") for h in headers})
        if i in blank_after:
            buffer.write("\r\n")
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path
