"""Bao'an district and its ten station jurisdictions, as the demo scenario uses them.

The district boundary ships in ``data/shipped`` (converted from GCJ-02 to WGS-84 by
``scripts/ship_baoan_boundary.py``). Street (街道) boundaries are not published with it, so
each station's jurisdiction is the Voronoi cell of its street's centre, clipped to the district.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo.jurisdictions import Jurisdiction, partition

BOUNDARY_FILE = Path(__file__).resolve().parent.parent / "shipped" / "baoan_district_wgs84.geojson"

#: (code, Chinese name, English name, centre (lng, lat) in WGS-84) per street's station.
STATIONS: tuple[tuple[str, str, str, tuple[float, float]], ...] = (
    ("BA01", "新安派出所", "Xin'an Station", (113.890, 22.560)),
    ("BA02", "西乡派出所", "Xixiang Station", (113.870, 22.590)),
    ("BA03", "航城派出所", "Hangcheng Station", (113.845, 22.625)),
    ("BA04", "福永派出所", "Fuyong Station", (113.825, 22.668)),
    ("BA05", "福海派出所", "Fuhai Station", (113.805, 22.695)),
    ("BA06", "沙井派出所", "Shajing Station", (113.825, 22.730)),
    ("BA07", "新桥派出所", "Xinqiao Station", (113.848, 22.725)),
    ("BA08", "松岗派出所", "Songgang Station", (113.835, 22.775)),
    ("BA09", "燕罗派出所", "Yanluo Station", (113.860, 22.815)),
    ("BA10", "石岩派出所", "Shiyan Station", (113.935, 22.675)),
)

#: Street name (街道) of each station, as addresses write it.
STREETS: dict[str, str] = {
    "BA01": "新安",
    "BA02": "西乡",
    "BA03": "航城",
    "BA04": "福永",
    "BA05": "福海",
    "BA06": "沙井",
    "BA07": "新桥",
    "BA08": "松岗",
    "BA09": "燕罗",
    "BA10": "石岩",
}


@lru_cache(maxsize=1)
def district_boundary() -> BaseGeometry:
    """The Bao'an district polygon in WGS-84 (lng, lat)."""
    feature = json.loads(BOUNDARY_FILE.read_text(encoding="utf-8"))["features"][0]
    return shape(feature["geometry"])


@lru_cache(maxsize=1)
def jurisdictions() -> tuple[Jurisdiction, ...]:
    """The ten station jurisdictions, in station-code order."""
    parts = partition(district_boundary(), {code: centre for code, _, _, centre in STATIONS})
    return tuple(
        Jurisdiction(code, name_zh, name_en, parts[code]) for code, name_zh, name_en, _ in STATIONS
    )
