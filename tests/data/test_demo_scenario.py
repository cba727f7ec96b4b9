"""The Bao'an demo generator: deterministic, calibrated, and shaped as the design asks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
import shapely

from data.demo.baoan import district_boundary, jurisdictions
from data.demo.scenario import (
    SOURCE_SYSTEM,
    DemoBatch,
    DemoConfig,
    generate,
)
from data.frames import FOLLOW_UP_SCHEMA, INCIDENT_SCHEMA, STATUS_EVENT_SCHEMA
from data.vocab import SLA_CLOSED_HOURS, SLA_HANDLED_HOURS, STATUSES
from geo.addresses import normalise_addresses
from geo.h3cells import latlng_to_cells

N = 5_000
SEED = 7
END = datetime(2026, 11, 20, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
LOCAL = "Asia/Shanghai"
#: Shares are checked to within this many percentage points at N incidents (about three
#: standard errors for the largest shares).
TOLERANCE = 0.02


def _collect(batches) -> DemoBatch:
    return DemoBatch(*(pl.concat(frames) for frames in zip(*batches, strict=True)))


@pytest.fixture(scope="module")
def demo() -> DemoBatch:
    return _collect(generate(N, seed=SEED, end=END))


@pytest.fixture(scope="module")
def incidents(demo) -> pl.DataFrame:
    return demo.incidents


@pytest.fixture(scope="module")
def chronic(incidents) -> pl.DataFrame:
    """Incidents of households that appear three times or more, one row per household."""
    return (
        incidents.sort("reported_at")
        .group_by("victim_key", maintain_order=True)
        .agg(pl.all())
        .filter(pl.col("incident_no").list.len() >= 3)
    )


# ------------------------------------------------------------------------------ determinism


def test_same_inputs_give_identical_frames_whatever_the_chunk_size(demo):
    again = _collect(generate(N, seed=SEED, end=END, chunk_size=1_234))
    for first, second in zip(demo, again, strict=True):
        assert first.equals(second)


def test_chunks_respect_chunk_size_and_keep_events_with_their_incidents():
    batches = list(generate(2_500, seed=SEED, end=END, chunk_size=1_000))
    assert [b.incidents.height for b in batches] == [1_000, 1_000, 500]
    for batch in batches:
        numbers = set(batch.incidents["incident_no"])
        assert set(batch.status_events["incident_no"]) <= numbers
        assert set(batch.follow_ups["incident_no"]) <= numbers


def test_another_seed_gives_another_district(incidents):
    other = _collect(generate(N, seed=SEED + 1, end=END)).incidents
    assert not other["reported_at"].equals(incidents["reported_at"])
    assert not other["victim_key"].equals(incidents["victim_key"])


def test_end_now_ends_at_the_current_time():
    before = datetime.now(UTC).replace(microsecond=0)
    frame = _collect(generate(300, seed=SEED, end="now")).incidents
    after = datetime.now(UTC)
    latest = frame["reported_at"].max()
    assert before - timedelta(days=30) < latest <= after
    assert frame["reported_at"].min() >= before - timedelta(days=DemoConfig().history_days)


def test_naive_end_is_refused():
    with pytest.raises(ValueError, match="time-zone aware"):
        next(generate(10, end=datetime(2026, 1, 1)))


def test_config_shares_are_checked():
    with pytest.raises(ValueError, match="category_shares"):
        DemoConfig(category_shares={"domestic_violence": 0.5})


# ------------------------------------------------------------------------------ frame contract


def test_frames_follow_the_schemas(demo):
    assert demo.incidents.schema == {k: v for k, v in INCIDENT_SCHEMA.items() if k != "id"}
    assert demo.status_events.schema == STATUS_EVENT_SCHEMA
    assert demo.follow_ups.schema == FOLLOW_UP_SCHEMA


def test_ids_are_unique_and_name_the_local_day(incidents):
    assert incidents.height == N
    assert incidents["incident_no"].n_unique() == N
    assert (incidents["source_system"] == SOURCE_SYSTEM).all()
    day = incidents["reported_at"].dt.convert_time_zone(LOCAL).dt.strftime("%Y%m%d")
    assert (incidents["incident_no"].str.slice(2, 8) == day).all()
    assert incidents["incident_no"].str.contains(r"^BA\d{13}$").all()
    assert incidents["reported_at"].is_sorted()
    assert incidents["reported_at"].max() <= END
    assert incidents["reported_at"].min() >= END - timedelta(days=DemoConfig().history_days)


def test_people_are_pseudonyms_and_summaries_hold_no_numbers(incidents):
    for column in ("victim_key", "offender_key"):
        assert incidents[column].str.contains(r"^[0-9a-f]{32}$").all()
    assert (incidents["summary"].str.len_chars() > 5).all()
    # No phone (11 digits) or resident ID (17 digits + check) in the free text.
    assert not incidents["summary"].str.contains(r"\d{11}|\d{17}[\dX]").any()


# ------------------------------------------------------------------------------ calibration


@pytest.mark.parametrize(
    ("column", "field"),
    [
        ("category", "category_shares"),
        ("source_channel", "source_shares"),
        ("risk_level", "risk_shares"),
    ],
)
def test_mix_matches_the_configured_shares(incidents, column, field):
    wanted = getattr(DemoConfig(), field)
    seen = dict(incidents[column].value_counts(normalize=True).iter_rows())
    for code, share in wanted.items():
        assert seen.get(code, 0.0) == pytest.approx(share, abs=TOLERANCE), code


def test_instruments_and_minors_match_the_configured_shares(incidents):
    cfg = DemoConfig()
    assert incidents["warning_letter"].mean() == pytest.approx(
        cfg.warning_letter_share, abs=TOLERANCE
    )
    assert incidents["protection_order"].mean() == pytest.approx(
        cfg.protection_order_share, abs=0.006
    )
    assert incidents["minor_involved"].mean() == pytest.approx(cfg.minor_share, abs=TOLERANCE)
    # Protection orders go mostly to high-risk domestic violence.
    orders = incidents.filter(pl.col("protection_order"))
    assert (orders["category"] == "domestic_violence").mean() > 0.6
    assert (orders["risk_level"] == "high").mean() > 0.6


def test_child_abuse_and_mandatory_reports_always_involve_a_minor(incidents):
    must = incidents.filter(
        (pl.col("category") == "child_abuse") | (pl.col("source_channel") == "mandatory_report")
    )
    assert must.height > 0
    assert must["minor_involved"].all()


# ------------------------------------------------------------------------------ space


def test_located_incidents_lie_in_the_district_and_in_their_station(incidents):
    located = incidents.filter(pl.col("location_state") == "located")
    lng, lat = located["lng"].to_numpy(), located["lat"].to_numpy()
    assert shapely.contains_xy(district_boundary(), lng, lat).all()
    for station in jurisdictions():
        mine = (located["station_code"] == station.code).to_numpy()
        assert mine.sum() > 0, station.code
        assert shapely.contains_xy(station.boundary, lng[mine], lat[mine]).all(), station.code
    assert located["station_code"].null_count() == 0
    assert (located["h3_cell"].to_numpy() == latlng_to_cells(lat, lng)).all()


def test_unlocated_incidents_are_kept_without_coordinates(incidents):
    unlocated = incidents.filter(pl.col("location_state") == "unlocated")
    assert 0.001 < unlocated.height / N < 0.015
    for column in ("lat", "lng", "h3_cell", "station_code"):
        assert unlocated[column].null_count() == unlocated.height, column
    assert unlocated["address_raw"].null_count() == 0


def test_incidents_cluster_in_urban_villages(incidents):
    located = incidents.filter(pl.col("h3_cell").is_not_null())
    per_cell = located.group_by("h3_cell").len().sort("len", descending=True)
    # Spread evenly, 50 cells (~1.3 % of the district's ~3,900 res-9 cells) would hold
    # about 1.3 % of the incidents.
    assert per_cell["len"].head(50).sum() / located.height > 0.10


# ------------------------------------------------------------------------------ time


def test_evenings_and_weekends_peak(incidents):
    local = incidents["reported_at"].dt.convert_time_zone(LOCAL)
    hour = local.dt.hour().to_numpy()
    per_hour = np.bincount(hour, minlength=24)
    assert per_hour[19:24].mean() > 1.5 * per_hour[8:19].mean()
    day = local.dt.date()
    days = pl.DataFrame({"day": day}).group_by("day").len()
    days = days.with_columns(weekend=pl.col("day").dt.weekday() >= 6)
    rate = dict(days.group_by("weekend").agg(pl.col("len").mean()).iter_rows())
    assert rate[True] > 1.15 * rate[False]


def test_trend_rises_and_spring_festival_bumps(incidents):
    t = incidents["reported_at"]
    first_year = (t < END - timedelta(days=730)).sum()
    last_year = (t >= END - timedelta(days=365)).sum()
    assert last_year > 1.03 * first_year
    local_day = t.dt.convert_time_zone(LOCAL).dt.date()
    festivals = [datetime(2024, 2, 10), datetime(2025, 1, 29), datetime(2026, 2, 17)]
    near = far = 0
    for day in festivals:
        d = day.date()
        near += local_day.is_between(d - timedelta(days=7), d + timedelta(days=10)).sum()
        far += local_day.is_between(d - timedelta(days=45), d - timedelta(days=28)).sum()
    assert near > 1.15 * far  # both windows are 18 days


# ------------------------------------------------------------------------------ households


def test_chronic_households_write_one_address_many_ways(chronic, incidents):
    assert chronic.height > 50
    assert chronic["incident_no"].list.len().sum() / N == pytest.approx(0.15, abs=0.04)
    for row in chronic.iter_rows(named=True):
        raw = pl.Series(row["address_raw"])
        assert raw.n_unique() >= 3, row["address_raw"]
        assert normalise_addresses(raw).n_unique() == 1, row["address_raw"]
        assert len(set(row["address_key"])) == 1
        assert len(set(row["offender_key"])) == 1
        assert len(set(row["station_code"])) == 1
    forms = pl.Series([a for row in chronic["address_raw"] for a in row])
    for marker in ("１", "幢", "号楼", "座", "深圳市", "〇"):
        assert forms.str.contains(marker, literal=True).any(), marker
    assert forms.str.contains(r"\d+-\d+$").any()  # the 12-302 form


def test_escalating_households_come_faster_and_end_in_a_protection_order(chronic):
    dv_only = pl.col("category").list.eval(pl.element() == "domestic_violence").list.all()
    escalating = chronic.filter(
        dv_only
        & (pl.col("incident_no").list.len() >= 4)
        & (pl.col("risk_level").list.first() == "low")
        & (pl.col("risk_level").list.get(-2) == "high")
        & (pl.col("risk_level").list.get(-1) == "high")
        & pl.col("warning_letter").list.get(-2)
        & pl.col("protection_order").list.get(-1)
    )
    assert escalating.height >= 10
    for times in escalating["reported_at"]:
        gaps = times.diff().drop_nulls().dt.total_seconds()
        assert (gaps.diff().drop_nulls() < 0).all(), times.to_list()


# ------------------------------------------------------------------------------ lifecycle


def test_status_history_is_ordered_and_matches_the_incident(demo):
    events = demo.status_events.with_columns(
        step=pl.col("status").replace_strict({s: i for i, s in enumerate(STATUSES)})
    )
    assert events["department"].null_count() == 0
    per_incident = events.group_by("incident_no", maintain_order=True).agg(
        pl.col("step"),
        pl.col("at"),
        last_status=pl.col("status").last(),
        first_at=pl.col("at").first(),
        last_at=pl.col("at").last(),
        handling_at=pl.col("at").filter(pl.col("status") == "handling").first(),
        closed_event_at=pl.col("at").filter(pl.col("status") == "closed").first(),
    )
    assert per_incident.height == N
    steps_ok = per_incident["step"].list.eval(pl.element().diff().drop_nulls() > 0).list.all()
    times_ok = per_incident["at"].list.eval(pl.element().diff().drop_nulls() >= 0).list.all()
    assert steps_ok.all() and times_ok.all()
    assert (per_incident["step"].list.first() == 0).all()
    joined = demo.incidents.join(per_incident, on="incident_no")
    assert (joined["status"] == joined["last_status"]).all()
    assert (joined["reported_at"] == joined["first_at"]).all()
    assert (joined["created_at"] == joined["reported_at"]).all()
    assert (joined["updated_at"] == joined["last_at"]).all()
    assert joined["handled_at"].equals(joined["handling_at"], check_names=False)
    assert joined["closed_at"].equals(joined["closed_event_at"], check_names=False)
    assert demo.status_events["at"].max() <= END


def test_service_levels_are_mostly_met(incidents):
    cfg = DemoConfig()
    settled = incidents.filter(pl.col("reported_at") < END - timedelta(days=60))
    assert (settled["status"] == "closed").mean() == pytest.approx(cfg.closed_share, abs=TOLERANCE)
    handled = incidents.filter(pl.col("handled_at").is_not_null())
    hours = (handled["handled_at"] - handled["reported_at"]).dt.total_seconds() / 3600
    assert (hours > SLA_HANDLED_HOURS).mean() == pytest.approx(cfg.handled_overdue_share, abs=0.015)
    closed = incidents.filter(pl.col("closed_at").is_not_null())
    hours = (closed["closed_at"] - closed["reported_at"]).dt.total_seconds() / 3600
    assert 0.01 < (hours > SLA_CLOSED_HOURS).mean() < 0.08


def test_recent_incidents_are_still_open(incidents):
    recent = incidents.filter(pl.col("reported_at") > END - timedelta(hours=12))
    assert recent.height > 0
    assert not (recent["status"] == "closed").any()


def test_follow_up_visits_fall_in_the_two_month_window(demo):
    visits = demo.follow_ups.join(demo.incidents, on="incident_no")
    assert visits.height > 0
    assert visits["status"].is_in(["following_up", "closed"]).all()
    assert (visits["visited_at"] > visits["handled_at"]).all()
    assert (visits["visited_at"] <= visits["reported_at"] + timedelta(days=61)).all()
    assert visits["visited_at"].max() <= END
    assert visits["department"].is_in(["police", "community", "womens_federation"]).all()
    assert visits["outcome"].is_in(["stable", "improved", "escalated", "no_contact"]).all()
    assert demo.follow_ups.group_by("incident_no").len()["len"].max() <= 4


def test_addresses_look_like_baoan_addresses(incidents):
    pattern = re.compile(r"^(深圳市)?宝安区\w+街道\w+社区\w+\d+栋\d+室$")
    canonical = incidents.filter(pl.col("address_raw").str.contains(r"\d+栋\d+室$"))
    assert canonical.height > 0.5 * N
    assert all(pattern.match(a) for a in canonical["address_raw"].head(200))
    assert incidents["address_key"].null_count() == 0


# -- near-repeats -------------------------------------------------------------------------


def _knox_last_90_days(near_repeat_share: float):
    from layers import near_repeat

    end = datetime(2026, 11, 20, 15, 59, tzinfo=UTC)
    config = DemoConfig(near_repeat_share=near_repeat_share)
    frame = pl.concat([b.incidents for b in generate(30_000, seed=3, end=end, config=config)])
    recent = frame.filter(
        pl.col("lat").is_not_null() & (pl.col("reported_at") >= end - timedelta(days=90))
    )
    knox = near_repeat.knox_test(recent)
    first_week = knox.filter(pl.col("space_index") == 0, pl.col("time_index") == 0).row(
        0, named=True
    )
    return first_week, near_repeat.near_repeat_zones(recent, knox, end)


def test_the_demo_plants_near_repeats_the_layer_finds_in_the_default_90_days():
    # The default demo (30,000 incidents), the near-repeat layer's default 90 days: repeats
    # at the same address within a week are over-represented, and the layer shows zones.
    planted, zones = _knox_last_90_days(DemoConfig().near_repeat_share)
    print(f"\nsame address, 0-7 days: Knox ratio {planted['ratio']:.2f}, p {planted['p_value']}")
    assert planted["significant"] and planted["ratio"] > 1.5
    assert zones.height > 0
    unplanted, _ = _knox_last_90_days(0.0)
    assert not unplanted["significant"]
