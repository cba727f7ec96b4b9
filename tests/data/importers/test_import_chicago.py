"""The Chicago round trip on real data: districts as stations, then the crimes sample.

Also districts and their beats in one database: incidents go to beats, districts expand.
"""

from __future__ import annotations

import polars as pl
import pytest
from importer_fixtures import CHICAGO
from sqlalchemy import select

from data.access import CaseAccess, IncidentFilter, Scope
from data.importers.run import import_file
from data.importers.stations import import_stations
from data.models import Incident
from geo.jurisdictions import assign_stations

CRIMES = CHICAGO / "crimes_2017_2019_sample.csv"
DISTRICTS = CHICAGO / "police_districts.geojson"
BEATS = CHICAGO / "police_beats.geojson"
DOMESTIC_ROWS = 4_107
ALL_ROWS = 25_000
MIN_POLYGON_AGREEMENT = 0.98

pytestmark = pytest.mark.skipif(not CRIMES.is_file(), reason="shared Chicago data not present")


def _incidents(engine) -> pl.DataFrame:
    cols = [
        "incident_no",
        "category",
        "station_code",
        "location_state",
        "lat",
        "lng",
        "h3_cell",
        "address_key",
        "summary",
    ]
    with engine.connect() as conn:
        rows = conn.execute(select(*(getattr(Incident, c) for c in cols))).all()
    return pl.DataFrame(rows, schema=cols, orient="row")


@pytest.fixture
def chicago(db_engine):
    summary = import_stations(db_engine, DISTRICTS, "DIST_NUM", "DIST_LABEL")
    assert summary.stations == 23 and summary.merged == ["31"]  # district 31 has 3 parts
    return db_engine


def test_domestic_incidents_per_district_match_the_file(chicago):
    summary = import_file(chicago, CRIMES, "chicago")
    assert summary.rows_read == ALL_ROWS and summary.balanced
    assert (summary.inserted, summary.rejected, summary.filtered) == (
        DOMESTIC_ROWS,
        0,
        ALL_ROWS - DOMESTIC_ROWS,
    )
    stored = _incidents(chicago)
    assert stored.height == DOMESTIC_ROWS
    assert set(stored["category"]) == {"domestic_violence"}
    source = pl.read_csv(CRIMES, infer_schema=False).filter(pl.col("domestic") == "True")
    expected = source.group_by("district").len().sort("district")
    got = stored.group_by("station_code").len().sort("station_code")
    assert got.rows() == expected.rows()
    assert stored["summary"][0].count(" / ") == 2  # primary type / description / location
    assert stored["address_key"].null_count() == 0


def test_district_polygons_agree_with_the_named_district(chicago):
    import_file(chicago, CRIMES, "chicago")
    stored = _incidents(chicago).filter(pl.col("lat").is_not_null())
    polygons = assign_stations(
        stored["lng"].to_numpy(), stored["lat"].to_numpy(), CaseAccess(chicago).stations(Scope())
    )
    agree = (pl.Series(polygons, dtype=pl.String) == stored["station_code"]).fill_null(False)
    assert agree.mean() >= MIN_POLYGON_AGREEMENT
    # Points in no polygon are kept with their named district but off the map.
    outside = _incidents(chicago).filter(pl.col("location_state") == "outside")
    assert outside.height > 0
    assert outside["h3_cell"].null_count() == outside["lat"].null_count() == outside.height
    assert outside["station_code"].null_count() == 0


def test_all_keeps_the_other_crimes_as_a_non_dv_category(chicago):
    import_file(chicago, CRIMES, "chicago")
    summary = import_file(chicago, CRIMES, "chicago", keep_all=True)
    assert (summary.inserted, summary.unchanged, summary.filtered) == (
        ALL_ROWS - DOMESTIC_ROWS,
        DOMESTIC_ROWS,
        0,
    )
    counts = dict(_incidents(chicago).group_by("category").len().iter_rows())
    assert counts == {"domestic_violence": DOMESTIC_ROWS, "other": ALL_ROWS - DOMESTIC_ROWS}
    outside = [w for w in summary.warnings if w.kind == "outside"]
    assert outside[0].count == 55  # PROVENANCE.md: 55 points fall in no polygon


@pytest.fixture
def chicago_beats(chicago):
    """Districts, then the beats under them, in one database."""
    summary = import_stations(chicago, BEATS, "BEAT_NUM", "BEAT_NUM", parent_field="DISTRICT")
    assert summary.stations == 275 and len(summary.parents) == 23
    return chicago


def test_with_beats_incidents_go_to_beats_and_districts_still_add_up(chicago_beats):
    summary = import_file(chicago_beats, CRIMES, "chicago")
    assert summary.inserted == DOMESTIC_ROWS and summary.balanced
    access = CaseAccess(chicago_beats)
    stations = access.stations(Scope())
    beats = {s.code for s in stations if s.level == "leaf"}
    districts = sorted(s.code for s in stations if s.level == "area")
    assert len(beats) == 275 and len(districts) == 23
    stored = _incidents(chicago_beats)
    disagree = next(w.count for w in summary.warnings if w.kind == "station_disagrees")
    located = stored.filter(pl.col("location_state") == "located")
    # Every located incident whose named district agrees with its point gets a beat; the few
    # that disagree keep the district the file names.
    in_beats = located.filter(pl.col("station_code").is_in(sorted(beats)))
    assert in_beats.height == located.height - disagree
    assert disagree <= (1 - MIN_POLYGON_AGREEMENT) * located.height
    # Each district, expanded to its beats, counts what the file says.
    source = pl.read_csv(CRIMES, infer_schema=False).filter(pl.col("domestic") == "True")
    expected = dict(source.group_by("district").len().iter_rows())
    got = {
        d: stored.filter(pl.col("station_code").is_in(sorted(access.expand_stations([d])))).height
        for d in districts
    }
    assert {d: n for d, n in got.items() if n} == expected


def test_filter_and_scope_by_district_select_its_beats(chicago_beats):
    import_file(chicago_beats, CRIMES, "chicago")
    access = CaseAccess(chicago_beats)
    beats_of_8 = {s.code for s in access.stations(Scope()) if s.parent_code == "8"}
    stored = _incidents(chicago_beats)
    expected = set(
        stored.filter(pl.col("station_code").is_in(sorted(beats_of_8 | {"8"})))["incident_no"]
    )
    in_beats = set(stored.filter(pl.col("station_code").is_in(sorted(beats_of_8)))["incident_no"])
    assert len(in_beats) > 0.9 * len(expected)
    by_filter = access.incidents(Scope(), IncidentFilter(stations=("8",)))
    assert set(by_filter["incident_no"]) == expected
    chief = Scope(user="chief", stations=frozenset({"8"}))
    assert set(access.incidents(chief, IncidentFilter())["incident_no"]) == expected
    assert {s.code for s in access.stations(chief)} == beats_of_8 | {"8"}
    one_beat = sorted(beats_of_8)[0]
    only = access.incidents(chief, IncidentFilter(stations=(one_beat,)))
    assert set(only["station_code"]) <= {one_beat}
    other = access.incidents(Scope(stations=frozenset({"9"})), IncidentFilter(stations=("8",)))
    assert other.is_empty()
    first = stored.filter(pl.col("station_code").is_in(sorted(beats_of_8)))["incident_no"][0]
    with chicago_beats.connect() as conn:
        case_id = conn.execute(select(Incident.id).where(Incident.incident_no == first)).scalar()
    assert access.case_detail(chief, case_id) is not None
    assert access.case_detail(Scope(user="x", stations=frozenset({"9"})), case_id) is None
