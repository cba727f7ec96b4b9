"""The incident store, the columnar snapshot and the data-access layer on hand-built incidents."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from shapely.geometry import box
from sqlalchemy import select

from data.access import CaseAccess, IncidentFilter, Scope, mask_address
from data.models import AuditEvent, Incident, StatusEvent
from data.snapshot import snapshot_for
from data.store import insert_incidents, save_stations
from geo.h3cells import cell_to_str, latlng_to_cells, str_to_cell
from geo.jurisdictions import Jurisdiction, assign_stations

#: Also run against a Citus cluster (tests/backends.py).
pytestmark = pytest.mark.citus

# Two square stations side by side (WGS-84, lng/lat), west A and east B.
STATION_A = Jurisdiction("A", "甲派出所", "Station A", box(113.80, 22.60, 113.85, 22.65))
STATION_B = Jurisdiction("B", "乙派出所", "Station B", box(113.85, 22.60, 113.90, 22.65))


def _incidents(rows: list[dict]) -> pl.DataFrame:
    base = {
        "source_system": "test",
        "source_channel": "call_110",
        "category": "domestic_violence",
        "risk_level": "low",
        "address_raw": "翻身路12栋302室",
        "address_key": "翻身路12栋302室",
        "location_state": "located",
        "community": None,
        "status": "reported",
        "handled_at": None,
        "closed_at": None,
        "warning_letter": False,
        "protection_order": False,
        "minor_involved": False,
        "victim_key": None,
        "offender_key": None,
        "summary": "电话13800138000报警",
        "created_at": None,
        "updated_at": None,
    }
    frame = pl.DataFrame([{**base, **r} for r in rows], infer_schema_length=None)
    cells = latlng_to_cells(frame["lat"].to_numpy(), frame["lng"].to_numpy())
    stations = assign_stations(
        frame["lng"].to_numpy(), frame["lat"].to_numpy(), [STATION_A, STATION_B]
    )
    return frame.with_columns(
        pl.Series("h3_cell", cells).replace(-1, None),
        pl.Series("station_code", stations, dtype=pl.String),
        pl.col("reported_at").dt.replace_time_zone("UTC"),
    )


@pytest.fixture
def access(db_engine):
    save_stations(db_engine, [STATION_A, STATION_B])
    rows = [
        # 2024-03-01 23:30 UTC is 2024-03-02 07:30 in Shanghai
        {
            "incident_no": "1",
            "reported_at": datetime(2024, 3, 1, 23, 30),
            "lat": 22.62,
            "lng": 113.82,
            "risk_level": "high",
        },
        {
            "incident_no": "2",
            "reported_at": datetime(2024, 3, 2, 10, 0),
            "lat": 22.62,
            "lng": 113.82,
            "category": "relationship_dispute",
        },
        {
            "incident_no": "3",
            "reported_at": datetime(2024, 3, 5, 10, 0),
            "lat": 22.61,
            "lng": 113.88,
            "status": "closed",
        },
        {
            "incident_no": "4",
            "reported_at": datetime(2024, 3, 9, 10, 0),
            "lat": None,
            "lng": None,
            "location_state": "unlocated",
        },
    ]
    events = pl.DataFrame(
        {
            "incident_no": ["1", "1"],
            "status": ["reported", "dispatched"],
            "at": [
                datetime(2024, 3, 1, 23, 30, tzinfo=UTC),
                datetime(2024, 3, 1, 23, 31, tzinfo=UTC),
            ],
            "department": ["police", "police"],
            "note": [None, None],
        }
    )
    assert insert_incidents(db_engine, _incidents(rows), events) == 4
    return CaseAccess(db_engine, tz="Asia/Shanghai")


def test_rows_events_and_stations_are_stored(access):
    with access.engine.connect() as conn:
        incidents = conn.execute(select(Incident.incident_no, Incident.station_code)).all()
        events = conn.execute(select(StatusEvent.status)).scalars().all()
    assert sorted(incidents) == [("1", "A"), ("2", "A"), ("3", "B"), ("4", None)]
    assert sorted(events) == ["dispatched", "reported"]
    assert access.totals() == {"incidents": 4, "stations": 2}


def test_a_batch_is_all_or_nothing(access):
    bad = _incidents(
        [{"incident_no": "5", "reported_at": datetime(2024, 3, 9), "lat": 22.62, "lng": 113.82}]
    )
    orphan_event = pl.DataFrame(
        {
            "incident_no": ["nope"],
            "status": ["reported"],
            "at": [datetime(2024, 3, 9, tzinfo=UTC)],
            "department": [None],
            "note": [None],
        }
    )
    with pytest.raises(ValueError, match="not in this batch"):
        insert_incidents(access.engine, bad, orphan_event)
    assert access.totals()["incidents"] == 4


def test_local_dates_filter_in_the_installation_time_zone(access):
    # Incident 1 happened on 2 March in Shanghai although 1 March in UTC.
    day = access.incidents(Scope(), IncidentFilter(start=date(2024, 3, 2), end=date(2024, 3, 2)))
    assert sorted(day["incident_no"].to_list()) == ["1", "2"]


def test_filters_combine(access):
    flt = IncidentFilter(categories=("domestic_violence",), risk_levels=("high",))
    assert access.incidents(Scope(), flt)["incident_no"].to_list() == ["1"]


def test_scope_limits_stations_everywhere(access):
    scope = Scope(stations=frozenset({"B"}))
    assert access.incidents(scope, IncidentFilter())["incident_no"].to_list() == ["3"]
    assert [s.code for s in access.stations(scope)] == ["B"]
    counts = access.station_counts(scope, IncidentFilter())
    assert counts.to_dicts() == [{"station_code": "B", "count": 1}]
    assert access.case_detail(scope, 1) is None  # station A's case: not visible


def test_cell_counts_at_two_resolutions(access):
    res9 = access.cell_counts(Scope(), IncidentFilter(), 9)
    assert res9["count"].sum() == 3  # the unlocated incident has no cell
    assert sorted(res9["count"].to_list()) == [1, 2]
    res6 = access.cell_counts(Scope(), IncidentFilter(), 6)
    assert res6["count"].sum() == 3
    cell = res9.sort("count")["cell"][-1]
    only = access.incidents(Scope(), IncidentFilter(cells=(cell,)))
    assert sorted(only["incident_no"].to_list()) == ["1", "2"]
    assert str_to_cell(cell_to_str(cell)) == cell


def test_trend_fills_empty_days(access):
    flt = IncidentFilter(start=date(2024, 3, 1), end=date(2024, 3, 10))
    trend = access.trend(Scope(), flt, "1d")
    per_day = trend.group_by("period").agg(pl.col("count").sum()).sort("period")
    assert per_day.height == 10
    assert per_day["count"].to_list() == [0, 2, 0, 0, 1, 0, 0, 0, 1, 0]
    weekly = access.trend(Scope(), flt, "1w")
    assert weekly["count"].sum() == 4


def test_case_page_sorts_pages_and_masks(access):
    page, total = access.case_page(Scope(), IncidentFilter(), "risk_level", False, 0, 2)
    assert total == 4 and page.height == 2
    assert page["risk_level"][0] == "high"
    assert page["address_raw"][0] == "翻身路*栋*室"
    full, _ = access.case_page(
        Scope(personal_details=True), IncidentFilter(), "incident_no", False, 0, 10
    )
    assert full["address_raw"][0] == "翻身路12栋302室"
    with pytest.raises(ValueError, match="cannot sort by"):
        access.case_page(Scope(), IncidentFilter(), "summary; drop table incident")
    with pytest.raises(ValueError, match="page out of range"):
        access.case_page(Scope(), IncidentFilter(), offset=-1)


def test_case_detail_masks_and_is_audited(access):
    detail = access.case_detail(Scope(user="zhang"), 1)
    assert detail.fields["summary"] == "***"
    assert detail.fields["lat"] is None
    assert detail.fields["reported_at"] == "2024-03-02 07:30"
    assert [e["status"] for e in detail.status_events] == ["reported", "dispatched"]
    full = access.case_detail(Scope(user="li", personal_details=True), 1)
    assert full.fields["address_raw"] == "翻身路12栋302室"
    with access.engine.connect() as conn:
        audit = conn.execute(
            select(AuditEvent.user, AuditEvent.action, AuditEvent.target).order_by(AuditEvent.id)
        ).all()
    assert audit == [("zhang", "view_case", "incident:1"), ("li", "view_case", "incident:1")]


def test_snapshot_refreshes_incrementally(access):
    snap = snapshot_for(access.engine)
    snap.refresh()
    first, version = snap.frame, snap.version
    snap.refresh()
    assert snap.frame is first and snap.version == version  # nothing new: no re-read
    insert_incidents(
        access.engine,
        _incidents(
            [
                {
                    "incident_no": "9",
                    "reported_at": datetime(2020, 1, 1),
                    "lat": 22.62,
                    "lng": 113.86,
                },
            ]
        ),
    )
    after = snap.collect()
    assert after.height == 5 and snap.version == version + 1
    assert "9" in after["incident_no"].to_list()  # an old incident written late still arrives


def test_mask_address_hides_every_number():
    assert mask_address("固戍一路１２栋三〇二室") == "固戍*路*栋*室"
    assert mask_address(None) is None


def test_layers_run_through_the_access_layer_within_scope(access):
    counts = access.layer(Scope(), IncidentFilter(), "counts", res=9)
    assert counts["count"].sum() == 3
    only_b = access.layer(Scope(stations=frozenset({"B"})), IncidentFilter(), "counts", res=9)
    assert only_b["count"].sum() == 1
    study_b = access.study_cells(Scope(stations=frozenset({"B"})))
    assert study_b.size > 0 and set(study_b) <= set(access.study_cells(Scope()))
    with pytest.raises(ValueError, match="'k': 'x' is not a whole number"):
        access.layer(Scope(), IncidentFilter(), "hotspot", {"k": "x"})
    with pytest.raises(KeyError, match="no layer 'nope'"):
        access.layer(Scope(), IncidentFilter(), "nope")


def test_layer_rows_are_masked_below_the_pages(access):
    masked = access.layer(Scope(), IncidentFilter(), "repeat_addresses")
    assert masked["address_key"].to_list() == ["翻身路*栋*室"]
    full = access.layer(Scope(personal_details=True), IncidentFilter(), "repeat_addresses")
    assert full["address_key"].to_list() == ["翻身路12栋302室"]
    assert (masked["lat"][0], masked["lng"][0]) != (full["lat"][0], full["lng"][0])
