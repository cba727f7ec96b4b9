"""Places from vector files (any CRS) and from tables with coordinates (any encoding, datum)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import LineString, Point, box

from data.importers.places import PlaceImportError, import_places, read_places
from data.places import load_places
from geo.datums import wgs84_to_gcj02

REPO_ROOT = Path(__file__).resolve().parents[3]
GUSHU = box(113.82, 22.52, 113.84, 22.54)


def test_a_geopackage_in_gauss_krueger_is_stored_in_wgs84_and_names_points(db_engine, tmp_path):
    layer = gpd.GeoDataFrame(
        {"名称": ["固戍社区", "宝安大道"], "类型": ["社区", "道路"], "英文": [None, "Bao'an Ave"]},
        geometry=[GUSHU, LineString([(113.80, 22.541), (113.90, 22.541)])],
        crs="EPSG:4326",
    ).to_crs("EPSG:4547")  # CGCS2000 Gauss-Krueger zone 38, as Shenzhen's GIS keeps them
    path = tmp_path / "places.gpkg"
    layer.to_file(path, driver="GPKG")
    summary = import_places(
        db_engine, path, name_field="名称", kind_field="类型", name_en_field="英文"
    )
    assert (summary.stored, summary.source_crs, summary.problems) == (2, "EPSG:4547", [])
    index = load_places(db_engine)
    community = next(p for p in index.places if p.kind == "community")
    assert_allclose(community.geometry.bounds, GUSHU.bounds, atol=1e-6)
    assert index.name_point(113.83, 22.539).text("en") == "Gushu Community · near Bao'an Ave"


def test_a_gb18030_csv_in_gcj02_is_converted_and_bad_rows_are_listed(db_engine, tmp_path):
    lng, lat = wgs84_to_gcj02(113.895, 22.575)  # as Amap writes the WGS-84 point
    text = (
        "名称,类别,经度,纬度\n"
        f"翻身社区,城中村,{lng:.6f},{lat:.6f}\n"
        ",社区,113.9,22.5\n"  # no name
        "海滨小区,湖泊,113.9,22.5\n"  # no such kind
        "机场,地标,,\n"  # no coordinates
        "远方,地标,500,22.5\n"  # out of range
    )
    path = tmp_path / "places.csv"
    path.write_bytes(text.encode("gb18030"))
    summary = import_places(db_engine, path, name_field="名称", kind_field="类别", datum="gcj02")
    assert summary.stored == 1 and summary.features == 5
    problems = "\n".join(summary.problems)
    for where, why in [
        ("feature 2", "名称 is empty"),
        ("feature 3 (海滨小区)", "kind '湖泊'"),
        ("feature 4 (机场)", "no geometry"),
        ("feature 5 (远方)", "out of range"),
    ]:
        assert where in problems and why in problems
    (place,) = load_places(db_engine).places
    assert place.kind == "urban_village"
    assert_allclose((place.geometry.x, place.geometry.y), (113.895, 22.575), atol=2e-5)


def test_loading_the_same_file_again_replaces_its_places_only(db_engine, tmp_path):
    first, other = tmp_path / "a.geojson", tmp_path / "b.geojson"
    gpd.GeoDataFrame({"n": ["甲社区"]}, geometry=[Point(113.8, 22.5)], crs=4326).to_file(first)
    gpd.GeoDataFrame({"n": ["乙社区"]}, geometry=[Point(113.9, 22.6)], crs=4326).to_file(other)
    import_places(db_engine, first, name_field="n", kind="community")
    import_places(db_engine, other, name_field="n", kind="community")
    gpd.GeoDataFrame({"n": ["丙社区"]}, geometry=[Point(113.8, 22.5)], crs=4326).to_file(first)
    import_places(db_engine, first, name_field="n", kind="社区")
    assert sorted(p.name_zh for p in load_places(db_engine).places) == ["丙社区", "乙社区"]


def test_what_cannot_be_imported_at_all_says_why(db_engine, tmp_path):
    path = tmp_path / "p.geojson"
    gpd.GeoDataFrame({"n": ["甲"]}, geometry=[Point(113.8, 22.5)], crs=4326).to_file(path)
    with pytest.raises(PlaceImportError, match="--kind-field or --kind"):
        read_places(path, name_field="n")
    with pytest.raises(PlaceImportError, match="'名字' is not a field; the fields are: n"):
        read_places(path, name_field="名字", kind="community")
    with pytest.raises(PlaceImportError, match="--kind 'river'"):
        read_places(path, name_field="n", kind="river")
    with pytest.raises(PlaceImportError, match="no such file"):
        read_places(tmp_path / "missing.geojson", name_field="n", kind="road")


def test_the_command_reports_skipped_rows_with_exit_code_3(created_db_url, tmp_path):
    path = tmp_path / "places.csv"
    path.write_text("name,kind,lng,lat\n固戍社区,community,113.83,22.53\n,community,1,1\n")
    env = {"ANNING_DATABASE_URL": created_db_url, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "app.py"), "places", str(path), "--name-field", "name",
         "--kind-field", "kind"],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "1 places from 2 features" in done.stdout and "feature 2: name is empty" in done.stdout
