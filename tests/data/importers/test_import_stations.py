"""Station jurisdictions from GeoJSON, Shapefile and GeoPackage, in any CRS."""

from __future__ import annotations

import geopandas as gpd
import pytest
from importer_fixtures import CHICAGO, STATION_A, STATION_B
from numpy.testing import assert_allclose
from shapely.geometry import LineString, Polygon, box

from data.access import CaseAccess, Scope
from data.importers.stations import StationImportError, import_stations, read_stations

BEATS = CHICAGO / "police_beats.geojson"


def _layer(geoms, codes, names=None, crs="EPSG:4326") -> gpd.GeoDataFrame:
    names = names or [f"站{c}" for c in codes]
    return gpd.GeoDataFrame({"code": codes, "name": names}, geometry=geoms, crs=crs)


@pytest.mark.parametrize(
    ("suffix", "driver"),
    [(".gpkg", "GPKG"), (".shp", "ESRI Shapefile"), (".geojson", "GeoJSON")],
)
def test_any_crs_is_reprojected_to_wgs84(db_engine, tmp_path, suffix, driver):
    # CGCS2000 3-degree Gauss-Kruger zone 38 (CM 114E), the CRS of Shenzhen's police GIS.
    layer = _layer([STATION_A.boundary, STATION_B.boundary], ["A", "B"]).to_crs("EPSG:4547")
    path = tmp_path / f"stations{suffix}"
    layer.to_file(path, driver=driver)
    summary = import_stations(db_engine, path, "code", "name")
    assert summary.stations == 2 and summary.source_crs == "EPSG:4547"
    stored = CaseAccess(db_engine).stations(Scope())
    assert [(s.code, s.name_zh, s.name_en) for s in stored] == [
        ("A", "站A", "站A"),
        ("B", "站B", "站B"),
    ]
    assert_allclose(stored[0].boundary.bounds, STATION_A.boundary.bounds, atol=1e-6)


def test_an_english_name_field_and_numeric_codes(tmp_path):
    layer = _layer([box(0, 0, 1, 1)], [8.0], names=["第八区"])
    layer["name_en"] = ["8TH"]
    path = tmp_path / "districts.geojson"
    layer.to_file(path, driver="GeoJSON")
    stations, _ = read_stations(path, "code", "name", name_en_field="name_en")
    assert [(s.code, s.name_zh, s.name_en) for s in stations] == [("8", "第八区", "8TH")]


def test_an_invalid_polygon_is_repaired(tmp_path):
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    assert not bowtie.is_valid
    path = tmp_path / "bowtie.geojson"
    _layer([bowtie], ["X"]).to_file(path, driver="GeoJSON")
    stations, summary = read_stations(path, "code", "name")
    assert summary.repaired == ["X"]
    assert stations[0].boundary.is_valid and stations[0].boundary.area == pytest.approx(0.5)


def test_features_without_a_polygon_or_code_are_named_and_nothing_is_written(db_engine, tmp_path):
    layer = _layer(
        [box(0, 0, 1, 1), LineString([(0, 0), (1, 1)]), box(2, 2, 3, 3)], ["A", "B", None]
    )
    path = tmp_path / "bad.gpkg"
    layer.to_file(path, driver="GPKG")
    with pytest.raises(StationImportError) as err:
        import_stations(db_engine, path, "code", "name")
    message = str(err.value)
    assert "bad.gpkg: nothing imported" in message
    assert "feature 2 (code=B): a LineString, not a polygon" in message
    assert "feature 3: code is empty" in message
    assert CaseAccess(db_engine).stations(Scope()) == []


def test_a_missing_field_lists_the_fields(tmp_path):
    path = tmp_path / "s.geojson"
    _layer([box(0, 0, 1, 1)], ["A"]).to_file(path, driver="GeoJSON")
    with pytest.raises(
        StationImportError,
        match=r"--code-field 'DIST_NUM' is not a field; the "
        r"fields are: code, name",
    ):
        read_stations(path, "DIST_NUM", "name")


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_projected_coordinates_without_a_crs_are_refused(tmp_path):
    layer = _layer([box(500000, 2500000, 501000, 2501000)], ["A"], crs=None)
    path = tmp_path / "nocrs.shp"
    layer.to_file(path)
    with pytest.raises(
        StationImportError, match="names no CRS and its coordinates are not degrees"
    ):
        read_stations(path, "code", "name")


@pytest.mark.skipif(not BEATS.is_file(), reason="shared Chicago data not present")
def test_chicago_beats_import(db_engine):
    source = gpd.read_file(BEATS)
    summary = import_stations(db_engine, BEATS, "BEAT_NUM", "BEAT_NUM")
    assert summary.features == 277
    assert summary.stations == source["BEAT_NUM"].nunique()
    counts = source["BEAT_NUM"].value_counts()
    assert summary.merged == sorted(counts[counts > 1].index)  # beat 3100 (O'Hare) has 3 parts
    stored = CaseAccess(db_engine).stations(Scope())
    assert all(s.boundary.is_valid and not s.boundary.is_empty for s in stored)
    assert {s.code for s in stored} == set(source["BEAT_NUM"])


DISTRICTS = CHICAGO / "police_districts.geojson"


@pytest.mark.skipif(not BEATS.is_file(), reason="shared Chicago data not present")
def test_beats_are_put_under_their_districts(db_engine):
    import_stations(db_engine, DISTRICTS, "DIST_NUM", "DIST_NUM")
    summary = import_stations(db_engine, BEATS, "BEAT_NUM", "BEAT_NUM", parent_field="DISTRICT")
    assert summary.features == 277 and summary.stations == 275  # two beats in two parts
    stored = CaseAccess(db_engine).stations(Scope())
    districts = [s for s in stored if s.parent_code is None]
    beats = [s for s in stored if s.parent_code is not None]
    assert len(districts) == 23 and len(beats) == 275
    assert {s.level for s in districts} == {"area"} and {s.level for s in beats} == {"leaf"}
    # DISTRICT '08' names district '8': numeric codes match whatever their leading zeros.
    assert {s.parent_code for s in beats} == {s.code for s in districts}
    assert next(s for s in beats if s.code == "0811").parent_code == "8"
    assert len(summary.parents) == 23 and "under 23 areas" in summary.lines()[1]


def test_a_parent_that_is_not_stored_is_named_and_nothing_is_written(db_engine, tmp_path):
    import_stations(db_engine, _write(tmp_path, "areas", [box(0, 0, 2, 1)], ["8"]), "code", "name")
    layer = _layer([box(0, 0, 1, 1), box(1, 0, 2, 1)], ["0811", "0999"])
    layer["district"] = ["008", "9"]
    path = tmp_path / "beats.geojson"
    layer.to_file(path, driver="GeoJSON")
    with pytest.raises(StationImportError) as err:
        import_stations(db_engine, path, "code", "name", parent_field="district")
    assert "feature 2 (code=0999): district='9' is not a stored station" in str(err.value)
    assert [s.code for s in CaseAccess(db_engine).stations(Scope())] == ["8"]
    with pytest.raises(StationImportError, match="--parent-field 'nope' is not a field"):
        import_stations(db_engine, path, "code", "name", parent_field="nope")


def test_an_area_in_a_scope_or_filter_stands_for_its_stations(db_engine, tmp_path):
    import_stations(db_engine, _write(tmp_path, "areas", [box(0, 0, 2, 1)], ["8"]), "code", "name")
    layer = _layer([box(0, 0, 1, 1), box(1, 0, 2, 1)], ["0811", "0812"])
    layer["district"] = ["8", "8"]
    path = tmp_path / "beats.geojson"
    layer.to_file(path, driver="GeoJSON")
    import_stations(db_engine, path, "code", "name", parent_field="district")
    access = CaseAccess(db_engine)
    assert access.expand_stations(["8"]) == {"8", "0811", "0812"}
    assert access.expand_stations(["0811"]) == {"0811"}
    assert [s.code for s in access.stations(Scope(stations=frozenset({"8"})))] == [
        "0811",
        "0812",
        "8",
    ]


def _write(tmp_path, name, geoms, codes):
    path = tmp_path / f"{name}.geojson"
    _layer(geoms, codes).to_file(path, driver="GeoJSON")
    return path
