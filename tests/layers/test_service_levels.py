"""Service levels: hand-built cases with known answers, boundaries exact to the microsecond.

Times are UTC. Every case is reported at ``T0`` unless a test says otherwise; ``now`` moves.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import polars as pl
import pytest

from data.demo.scenario import DemoConfig, generate
from data.vocab import SLA_FOLLOW_UP_WINDOW_DAYS
from layers.service_levels import (
    LAYER_ID,
    OUTPUT_SCHEMA,
    SLAS,
    STATES,
    ServiceLevelParams,
    compliance,
    compute,
)

T0 = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
US = timedelta(microseconds=1)
FOLLOW_UP_DUE = T0 + SLA_FOLLOW_UP_WINDOW_DAYS * D


def case(
    id: int,
    *,
    reported: datetime = T0,
    handled: timedelta | None = 2 * H,
    closed: timedelta | None = 5 * D,
    category: str = "relationship_dispute",
    risk: str = "low",
    station: str = "BA01",
) -> dict:
    """One incident; ``handled``/``closed`` are offsets from the report (None: not yet)."""
    return {
        "id": id,
        "incident_no": f"BA{id:05d}",
        "station_code": station,
        "category": category,
        "risk_level": risk,
        "status": "closed" if closed is not None else "handling",
        "reported_at": reported,
        "handled_at": None if handled is None else reported + handled,
        "closed_at": None if closed is None else reported + closed,
    }


def frame(*cases: dict) -> pl.DataFrame:
    return pl.DataFrame(
        list(cases),
        schema={
            "id": pl.Int64,
            "incident_no": pl.String,
            "station_code": pl.String,
            "category": pl.String,
            "risk_level": pl.String,
            "status": pl.String,
            "reported_at": pl.Datetime("us", "UTC"),
            "handled_at": pl.Datetime("us", "UTC"),
            "closed_at": pl.Datetime("us", "UTC"),
        },
    )


def visits(*pairs: tuple[int, datetime]) -> pl.DataFrame:
    return pl.DataFrame(
        {"incident_id": [p[0] for p in pairs], "visited_at": [p[1] for p in pairs]},
        schema={"incident_id": pl.Int64, "visited_at": pl.Datetime("us", "UTC")},
    )


NO_VISITS = visits()


def states(result: pl.DataFrame) -> dict[tuple[int, str], tuple[str, float]]:
    return {
        (r["incident_id"], r["sla"]): (r["state"], r["overdue_hours"])
        for r in result.iter_rows(named=True)
    }


# ------------------------------------------------------------------------------- the basics


def test_layer_id_schema_and_vocabulary():
    assert LAYER_ID == "service_levels"
    assert SLAS == ("handled_24h", "closed_15d", "follow_up_4_in_2m")
    assert STATES == ("breached", "due_soon")
    result = compute(frame(case(1, handled=None, closed=None)), NO_VISITS, T0 + 2 * D)
    assert result.schema == pl.Schema(OUTPUT_SCHEMA)


def test_a_closed_case_that_met_every_level_yields_nothing():
    dv = case(1, category="domestic_violence", risk="high", handled=H, closed=10 * D)
    seen = visits(*[(1, T0 + d * D) for d in (5, 20, 35, 50)])
    for now in (T0 + 11 * D, T0 + 62 * D, T0 + 400 * D):
        assert compute(frame(dv), seen, now).height == 0
    assert compute(frame(case(2)), None, T0 + 30 * D).height == 0


# ------------------------------------------------------------------------------ handled 24 h


def test_handled_after_exactly_24_hours_is_in_time_and_one_microsecond_later_is_not():
    on_time = case(1, handled=24 * H, closed=None)
    late = case(2, handled=24 * H + US, closed=None)
    result = states(compute(frame(on_time, late), NO_VISITS, T0 + 3 * D))
    assert (1, "handled_24h") not in result
    state, overdue = result[(2, "handled_24h")]
    assert state == "breached"
    assert overdue == pytest.approx(1e-6 / 3600)


def test_unhandled_case_is_due_soon_up_to_the_deadline_then_breached():
    open_case = frame(case(1, handled=None, closed=None))

    def handled_state(now: datetime):
        return states(compute(open_case, NO_VISITS, now)).get((1, "handled_24h"))

    assert handled_state(T0 + 18 * H - US) is None  # more than 6 h left: not yet due soon
    assert handled_state(T0 + 18 * H) == ("due_soon", pytest.approx(-6.0))
    assert handled_state(T0 + 24 * H) == ("due_soon", pytest.approx(0.0))
    assert handled_state(T0 + 24 * H + US) == ("breached", pytest.approx(1e-6 / 3600))
    assert handled_state(T0 + 30 * H) == ("breached", pytest.approx(6.0))


def test_a_case_closed_without_a_handling_time_counts_as_handled_when_closed():
    closed_only = case(1, handled=None, closed=20 * H)
    result = compute(frame(closed_only), NO_VISITS, T0 + 2 * D)
    assert result.height == 0


def test_only_what_happened_by_now_counts():
    # Handled and closed in time, but those times lie after "now": as of now, not yet done.
    later = case(1, handled=23 * H, closed=5 * D)
    result = states(compute(frame(later), NO_VISITS, T0 + 20 * H))
    assert result == {(1, "handled_24h"): ("due_soon", pytest.approx(-4.0))}
    # Incidents reported after now do not exist yet.
    assert compute(frame(case(2, reported=T0 + D, handled=None)), NO_VISITS, T0).height == 0


# ------------------------------------------------------------------------------- closed 15 d


def test_closed_after_exactly_15_days_is_in_time():
    on_time = case(1, closed=15 * D)
    late = case(2, closed=15 * D + H)
    result = states(compute(frame(on_time, late), NO_VISITS, T0 + 16 * D))
    assert result == {(2, "closed_15d"): ("breached", pytest.approx(1.0))}


def test_open_case_closure_due_soon_three_days_ahead_then_breached():
    open_case = frame(case(1, closed=None))

    def closed_state(now: datetime):
        return states(compute(open_case, NO_VISITS, now)).get((1, "closed_15d"))

    assert closed_state(T0 + 12 * D - US) is None
    assert closed_state(T0 + 12 * D) == ("due_soon", pytest.approx(-72.0))
    assert closed_state(T0 + 15 * D) == ("due_soon", pytest.approx(0.0))
    assert closed_state(T0 + 17 * D) == ("breached", pytest.approx(48.0))


def test_late_closure_is_listed_while_recent_then_left_to_compliance():
    late = frame(case(1, closed=20 * D))
    assert states(compute(late, NO_VISITS, T0 + 27 * D)) == {
        (1, "closed_15d"): ("breached", pytest.approx(120.0))
    }
    assert compute(late, NO_VISITS, T0 + 27 * D + US).height == 0  # closed > 7 days ago
    wider = ServiceLevelParams(recent_days=30)
    assert compute(late, NO_VISITS, T0 + 40 * D, wider).height == 1


# ------------------------------------------------------------------------ follow-up visits


def test_three_visits_in_two_months_breach_and_four_meet():
    three = case(1, category="domestic_violence", closed=None)
    four = case(2, category="domestic_violence", closed=None)
    seen = visits(
        *[(1, T0 + d * D) for d in (3, 20, 40)],
        *[(2, T0 + d * D) for d in (3, 20, 40, 60)],
    )
    now = T0 + 70 * D
    result = compute(frame(three, four), seen, now).filter(pl.col("sla") == "follow_up_4_in_2m")
    assert result["incident_id"].to_list() == [1]
    row = result.row(0, named=True)
    assert row["state"] == "breached"
    assert row["due_at"] == FOLLOW_UP_DUE
    assert row["overdue_hours"] == pytest.approx(9 * 24)
    assert row["visits_in_window"] == 3


def test_fourth_visit_exactly_at_the_deadline_is_in_time_and_later_is_late():
    on_time = case(1, risk="medium", closed=None)
    late = case(2, risk="medium", closed=None)
    seen = visits(
        *[(1, T0 + d * D) for d in (3, 20, 40)],
        (1, FOLLOW_UP_DUE),
        *[(2, T0 + d * D) for d in (3, 20, 40)],
        (2, FOLLOW_UP_DUE + 5 * H),
    )
    result = states(compute(frame(on_time, late), seen, T0 + 70 * D))
    assert (1, "follow_up_4_in_2m") not in result
    assert result[(2, "follow_up_4_in_2m")] == ("breached", pytest.approx(5.0))


def test_follow_up_due_soon_counts_visits_so_far():
    dv = frame(case(1, category="child_abuse", closed=None))
    seen = visits((1, T0 + 3 * D), (1, T0 + 30 * D))
    result = compute(dv, seen, FOLLOW_UP_DUE - 2 * D).filter(pl.col("sla") == "follow_up_4_in_2m")
    assert result.select("state", "overdue_hours", "visits_in_window").row(0) == (
        "due_soon",
        pytest.approx(-48.0),
        2,
    )


def test_duplicate_early_and_future_visits_do_not_count():
    dv = frame(case(1, category="elder_abuse", closed=None))
    seen = visits(
        (1, T0 - D),  # before the report: not this case's visit
        (1, T0 + 3 * D),
        (1, T0 + 3 * D),  # the same visit imported twice
        (1, T0 + 10 * D),
        (1, T0 + 20 * D),
        (1, T0 + 80 * D),  # after now
    )
    result = compute(dv, seen, T0 + 70 * D).filter(pl.col("sla") == "follow_up_4_in_2m")
    assert result.select("state", "visits_in_window").row(0) == ("breached", 3)


def test_who_needs_follow_up():
    rows = [
        case(1, category="domestic_violence", risk="low", closed=None),
        case(2, category="child_abuse", risk="low", closed=None),
        case(3, category="elder_abuse", risk="low", closed=None),
        case(4, category="relationship_dispute", risk="high", closed=None),
        case(5, category="family_dispute", risk="medium", closed=None),
        case(6, category="relationship_dispute", risk="low", closed=None),
        case(7, category="family_dispute", risk="low", closed=None),
    ]
    result = compute(frame(*rows), NO_VISITS, T0 + 70 * D).filter(
        pl.col("sla") == "follow_up_4_in_2m"
    )
    assert sorted(result["incident_id"]) == [1, 2, 3, 4, 5]
    high_only = ServiceLevelParams(follow_up_categories=(), follow_up_risk_levels=("high",))
    result = compute(frame(*rows), NO_VISITS, T0 + 70 * D, high_only)
    assert result.filter(pl.col("sla") == "follow_up_4_in_2m")["incident_id"].to_list() == [4]


# ---------------------------------------------------------------------------------- ordering


def test_breached_first_then_most_overdue_then_id_then_level():
    rows = [
        case(1, handled=None, closed=None, reported=T0),  # handled and closure breached
        case(2, handled=None, closed=None, reported=T0 + 14 * D),  # handled due soon
        case(3, handled=None, closed=None, reported=T0 + 13 * D),  # handled breached 0.5 d
    ]
    now = T0 + 14 * D + 20 * H
    result = compute(frame(*rows), NO_VISITS, now)
    assert list(zip(result["incident_id"], result["sla"], result["state"], strict=True)) == [
        (1, "handled_24h", "breached"),  # 13 d 20 h overdue
        (3, "handled_24h", "breached"),  # 20 h overdue
        (1, "closed_15d", "due_soon"),  # 4 h left
        (2, "handled_24h", "due_soon"),  # 4 h left: same overdue, lower id first
    ]


def test_time_zones_of_inputs_and_now_do_not_matter():
    shanghai = timezone(timedelta(hours=8))
    rows = frame(case(1, handled=None, closed=None))
    local = rows.with_columns(pl.col("reported_at").dt.convert_time_zone("Asia/Shanghai"))
    naive = rows.with_columns(pl.col("reported_at").dt.replace_time_zone(None))
    now = T0 + 30 * H
    expected = compute(rows, NO_VISITS, now)
    assert compute(local, NO_VISITS, now.astimezone(shanghai)).equals(expected)
    assert compute(naive, NO_VISITS, now).equals(expected)


# -------------------------------------------------------------------------------- validation


def test_bad_inputs_are_named():
    rows = frame(case(1))
    with pytest.raises(ValueError, match="lacks columns: closed_at"):
        compute(rows.drop("closed_at"), NO_VISITS, T0)
    with pytest.raises(ValueError, match="visits frame lacks columns: visited_at"):
        compute(rows, NO_VISITS.drop("visited_at"), T0)
    with pytest.raises(ValueError, match="'handled_at' should be a Datetime"):
        compute(rows.with_columns(pl.col("handled_at").cast(pl.String)), NO_VISITS, T0)
    with pytest.raises(ValueError, match="naive"):
        compute(rows, NO_VISITS, datetime(2026, 3, 2))
    with pytest.raises(TypeError, match="'incidents' should be a polars DataFrame"):
        compute(rows.to_pandas(), NO_VISITS, T0)
    with pytest.raises(ValueError, match="'recent_days'"):
        ServiceLevelParams(recent_days=-1)
    with pytest.raises(ValueError, match="'by' column"):
        compliance(rows, NO_VISITS, T0, by="district")


# -------------------------------------------------------------------------------- compliance


def test_compliance_judges_only_cases_old_enough():
    now = T0 + 70 * D
    rows = [
        # BA01: handled in time twice, late once; closed in time, late, never.
        case(1, handled=H, closed=3 * D, category="domestic_violence"),
        case(2, handled=23 * H, closed=16 * D),
        case(3, handled=30 * H, closed=None),
        # A case of yesterday: too young to judge closure (and follow-up), not handled.
        case(4, reported=now - D + H, handled=None, closed=None),
        # BA02: one case, everything in time, four visits.
        case(5, station="BA02", handled=H, closed=2 * D, risk="high"),
    ]
    seen = visits(
        *[(5, T0 + d * D) for d in (1, 10, 20, 30)],
        *[(1, T0 + d * D) for d in (1, 10)],
    )
    table = compliance(frame(*rows), seen, now)
    assert table["station_code"].to_list() == ["BA01", "BA02"]
    ba01 = table.row(0, named=True)
    assert ba01["incidents"] == 4
    assert ba01["open_cases"] == 2
    assert (ba01["handled_24h_judged"], ba01["handled_24h_met"]) == (3, 2)
    assert ba01["handled_24h_share"] == pytest.approx(2 / 3)
    assert (ba01["closed_15d_judged"], ba01["closed_15d_met"]) == (3, 1)
    assert (ba01["follow_up_4_in_2m_judged"], ba01["follow_up_4_in_2m_met"]) == (1, 0)
    assert ba01["follow_up_4_in_2m_share"] == 0.0
    assert ba01["median_hours_to_close"] == pytest.approx((3 * 24 + 16 * 24) / 2)
    ba02 = table.row(1, named=True)
    assert ba02["handled_24h_share"] == ba02["closed_15d_share"] == 1.0
    assert ba02["follow_up_4_in_2m_share"] == 1.0
    whole = compliance(frame(*rows), seen, now, by=None)
    assert whole.height == 1
    assert whole["incidents"].item() == 5
    assert whole["handled_24h_share"].item() == pytest.approx(3 / 4)


def test_compliance_share_is_null_when_nothing_can_be_judged():
    young = frame(case(1, reported=T0, handled=None, closed=None))
    table = compliance(young, NO_VISITS, T0 + H)
    assert table["handled_24h_judged"].item() == 0
    assert table["handled_24h_share"].item() is None
    assert table["median_hours_to_close"].item() is None


# ------------------------------------------------------------------------------ demo district

N = 5_000
SEED = 7
END = datetime(2026, 11, 20, 15, 59, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> tuple[pl.DataFrame, pl.DataFrame]:
    batches = list(generate(N, seed=SEED, end=END))
    incidents = pl.concat([b.incidents for b in batches]).with_row_index("id", offset=1)
    incidents = incidents.with_columns(pl.col("id").cast(pl.Int64))
    follow_ups = pl.concat([b.follow_ups for b in batches])
    seen = follow_ups.join(incidents.select("id", "incident_no"), on="incident_no").select(
        pl.col("id").alias("incident_id"), "visited_at"
    )
    return incidents, seen


def test_demo_district_breaches_as_often_as_the_generator_says(demo):
    incidents, seen = demo
    cfg = DemoConfig()
    whole = compliance(incidents, seen, END, by=None).row(0, named=True)
    # About 3 % of cases are handled after 24 h, and a few % of closures come late.
    assert 1 - whole["handled_24h_share"] == pytest.approx(cfg.handled_overdue_share, abs=0.015)
    expected_closed = cfg.closed_share * (1 - cfg.closed_overdue_share)
    assert whole["closed_15d_share"] == pytest.approx(expected_closed, abs=0.03)
    per_station = compliance(incidents, seen, END)
    assert per_station["incidents"].sum() == N
    assert per_station.filter(pl.col("station_code").is_not_null()).height == 10


def test_demo_district_lists_open_and_recent_cases_only(demo):
    incidents, seen = demo
    result = compute(incidents, seen, END)
    assert result.height > 0
    assert set(result["state"]) <= set(STATES)
    assert set(result["sla"]) == set(SLAS)
    listed = result.join(
        incidents.select(pl.col("id").alias("incident_id"), "closed_at"), on="incident_id"
    )
    recent = END - timedelta(days=7)
    old_closed = listed.filter(
        pl.col("closed_at").is_not_null()
        & (pl.col("closed_at") < recent)
        & (pl.col("due_at") < recent)
    )
    assert old_closed.height == 0
    breached = result.filter(pl.col("state") == "breached")
    assert (breached["overdue_hours"] > 0).all()
    assert (result.filter(pl.col("state") == "due_soon")["overdue_hours"] <= 0).all()
    follow_up = result.filter(pl.col("sla") == "follow_up_4_in_2m")
    assert (follow_up["visits_in_window"] < 4).all()
