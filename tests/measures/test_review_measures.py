"""The review's numbers on a tiny hand-built frame with answers worked out by hand.

Time zone Asia/Shanghai (UTC+8). The review period is October 2026; ``NOW`` is 2026-12-31.

=====  =======  ===================  ========  =========  ===========  =======  ====  ====
inc    station  reported (local)     category  risk       handled      closed   WL    PO
=====  =======  ===================  ========  =========  ===========  =======  ====  ====
1      A        10-01 00:30 (Thu)    dv        high       +2 h         +2 days  yes
2      A        10-15 12:00          rel       low        —            —
3      B        10-31 23:30 (Sat)    dv        low        +30 h        +10 d         yes
4      B        09-30 23:59          dv        low        +1 h         +1 d      (September)
5      A        2025-10-20           rel       low        +1 h         +1 d      (last year)
=====  =======  ===================  ========  =========  ===========  =======  ====  ====

Incidents 1 and 4 share the address "X" (4 in September, within 365 days of October's end);
incident 5 shares "Y" with incident 2, but more than 365 days before October's end.
Visits: 2 to incident 1 in October, 1 to incident 4 in October, 1 to incident 1 in November.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from measures import review as rd
from measures.review import Period

TZ = "Asia/Shanghai"
NOW = datetime(2026, 12, 31, tzinfo=UTC)
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))


def _utc(y, m, d, hh=0, mm=0) -> datetime:
    """A local (UTC+8) time as UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - timedelta(hours=8)


def _frame() -> pl.DataFrame:
    rows = [
        (1, "A", _utc(2026, 10, 1, 0, 30), "domestic_violence", "high", 2, 48, True, False, "X"),
        (
            2,
            "A",
            _utc(2026, 10, 15, 12),
            "relationship_dispute",
            "low",
            None,
            None,
            False,
            False,
            "Y",
        ),
        (3, "B", _utc(2026, 10, 31, 23, 30), "domestic_violence", "low", 30, 240, False, True, "Z"),
        (4, "B", _utc(2026, 9, 30, 23, 59), "domestic_violence", "low", 1, 24, False, False, "X"),
        (5, "A", _utc(2025, 10, 20, 10), "relationship_dispute", "low", 1, 24, False, False, "Y"),
    ]
    out = []
    for i, st, at, cat, risk, handled_h, closed_h, wl, po, key in rows:
        out.append(
            {
                "id": i,
                "incident_no": f"N{i}",
                "station_code": st,
                "category": cat,
                "source_channel": "call_110" if i != 3 else "court",
                "risk_level": risk,
                "status": "closed" if closed_h else "reported",
                "reported_at": at,
                "handled_at": at + timedelta(hours=handled_h) if handled_h else None,
                "closed_at": at + timedelta(hours=closed_h) if closed_h else None,
                "warning_letter": wl,
                "protection_order": po,
                "address_key": key,
            }
        )
    utc = pl.Datetime("us", "UTC")
    return pl.DataFrame(
        out,
        schema_overrides={"reported_at": utc, "handled_at": utc, "closed_at": utc},
    )


def _visits() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "incident_id": [1, 1, 4, 1],
            "visited_at": [
                _utc(2026, 10, 5, 10),
                _utc(2026, 10, 20, 10),
                _utc(2026, 10, 3, 10),
                _utc(2026, 11, 2, 10),
            ],
        },
        schema={"incident_id": pl.Int64, "visited_at": pl.Datetime("us", "UTC")},
    )


# -- periods ----------------------------------------------------------------------------------
def test_weeks_start_on_monday_and_months_run_to_their_last_day():
    assert rd.period_of("week", date(2026, 11, 19)) == Period(
        date(2026, 11, 16), date(2026, 11, 22)
    )
    assert rd.period_of("week", date(2026, 11, 16)).start == date(2026, 11, 16)
    assert rd.period_of("month", date(2024, 2, 10)) == Period(date(2024, 2, 1), date(2024, 2, 29))
    with pytest.raises(ValueError, match="kind"):
        rd.period_of("year", date(2026, 1, 1))


def test_comparison_periods():
    week = rd.period_of("week", date(2026, 11, 19))
    assert rd.comparison_of(week, "week", "previous") == Period(
        date(2026, 11, 9), date(2026, 11, 15)
    )
    # ISO week 47 of 2025 starts on Monday 17 November 2025
    assert rd.comparison_of(week, "week", "last_year") == Period(
        date(2025, 11, 17), date(2025, 11, 23)
    )
    march = rd.period_of("month", date(2026, 3, 5))
    assert rd.comparison_of(march, "month", "previous") == Period(
        date(2026, 2, 1), date(2026, 2, 28)
    )
    assert rd.comparison_of(march, "month", "last_year") == Period(
        date(2025, 3, 1), date(2025, 3, 31)
    )
    custom = Period(date(2026, 10, 10), date(2026, 10, 19))  # 10 days
    assert rd.comparison_of(custom, "custom", "previous") == Period(
        date(2026, 9, 30), date(2026, 10, 9)
    )
    leap = Period(date(2024, 2, 29), date(2024, 3, 2))
    assert rd.comparison_of(leap, "custom", "last_year") == Period(
        date(2023, 2, 28), date(2023, 3, 2)
    )
    # 2026 has an ISO week 53; 2025 has not: week 53 is compared with week 52
    w53 = rd.period_of("week", date(2026, 12, 31))
    assert w53.start.isocalendar()[1] == 53
    assert rd.comparison_of(w53, "week", "last_year").start == date.fromisocalendar(2025, 52, 1)


def test_the_default_period_is_the_last_complete_one_and_coverage_is_told():
    extent = (date(2025, 11, 21), date(2026, 11, 20))
    assert rd.default_period("month", extent, date(2030, 1, 1)) == OCTOBER
    assert rd.default_period("week", extent, date(2030, 1, 1)) == Period(
        date(2026, 11, 9), date(2026, 11, 15)
    )
    assert rd.default_period("custom", extent, date(2030, 1, 1)) == Period(
        date(2026, 10, 24), date(2026, 11, 20)
    )
    # data ending on a month's last day: that month is complete
    assert (
        rd.default_period("month", (date(2026, 1, 1), date(2026, 10, 31)), date(2030, 1, 1))
        == OCTOBER
    )
    assert rd.coverage(OCTOBER, extent) == "full"
    assert rd.coverage(Period(date(2025, 11, 1), date(2025, 11, 30)), extent) == "partial"
    assert rd.coverage(Period(date(2024, 10, 1), date(2024, 10, 31)), extent) == "none"
    assert rd.coverage(OCTOBER, None) == "none"


def test_changes_never_divide_by_zero_or_compare_with_nothing():
    assert rd.change(12, 8) == rd.Change(12, 8, 4, 50.0)
    assert rd.change(3, 0) == rd.Change(3, 0, 3, None)
    assert rd.change(3, 5, comparable=False) == rd.Change(3, None, None, None)
    assert rd.change(None, 5).delta is None


# -- measures ---------------------------------------------------------------------------------
def test_measures_per_station_match_the_hand_computed_values():
    m = rd.measures(_frame(), _visits(), OCTOBER, NOW, TZ).to_dicts()
    a, b = m
    assert a["station_code"] == "A" and b["station_code"] == "B"
    # A: incidents 1 and 2; 1 handled within 24 h of 2; closed: incident 1 after 2 days
    assert a["incidents"] == 2 and a["handled_24h_share"] == pytest.approx(0.5)
    assert a["median_days_to_close"] == pytest.approx(2.0)
    # A's checks: incident 1 (dv, high): handled in 2 h met, closed in 2 d met, visits: 2 < 4
    # -> not met; incident 2 (low relationship dispute): handled not met, closed not met, no
    # follow-up needed. 2 met of 5 judged.
    assert a["sla_compliance"] == pytest.approx(2 / 5)
    # incident 2 is open at NOW and late on handling and closure: one open late case
    assert a["late_open"] == 1
    # visits in October to A's incidents: two to incident 1 (November's one is outside)
    assert a["visits_done"] == 2
    # incident 1 at X (incident 4 in September too): repeat; incident 2 at Y: incident 5 is
    # more than 365 days before October's end, so not a repeat
    assert a["repeat_share"] == pytest.approx(0.5)
    assert (a["warning_letters"], a["protection_orders"]) == (1, 0)
    # B: incident 3 only (incident 4 is September's in local time, though UTC says 09-30 15:59)
    # incident 3 was handled after 30 h: late on the 24-hour level (it is closed, so not open)
    assert b["incidents"] == 1 and b["handled_24h_share"] == 0.0 and b["late_open"] == 0
    assert b["median_days_to_close"] == pytest.approx(10.0)
    # incident 3 (dv, low): handled after 30 h (late), closed in 10 d (met); its 61-day visit
    # deadline (31 December 15:30 UTC) has not passed by NOW, so it is not judged: 1 of 2
    assert b["sla_compliance"] == pytest.approx(1 / 2)
    assert b["visits_done"] == 1  # incident 4 (B's, reported in September) visited 3 October
    assert b["repeat_share"] == 0.0 and b["protection_orders"] == 1


def test_overall_measures_add_up_the_stations():
    total = rd.measures(_frame(), _visits(), OCTOBER, NOW, TZ, by=None).row(0, named=True)
    assert total["incidents"] == 3
    assert total["handled_24h_share"] == pytest.approx(1 / 3)
    assert total["late_open"] == 1
    assert total["median_days_to_close"] == pytest.approx(6.0)  # median of 2 and 10 days
    assert total["sla_compliance"] == pytest.approx(3 / 7)  # A's 2 of 5 and B's 1 of 2
    assert total["visits_done"] == 3
    assert total["repeat_share"] == pytest.approx(1 / 3)
    assert (total["warning_letters"], total["protection_orders"]) == (1, 1)


def test_an_empty_period_gives_an_empty_frame_not_an_error():
    quiet = Period(date(2026, 7, 1), date(2026, 7, 31))
    frame = rd.measures(_frame(), _visits(), quiet, NOW, TZ)
    assert frame.is_empty() and frame.columns == ["station_code", *rd.MEASURES]


def test_the_league_table_lists_every_station_with_its_change():
    cur = rd.measures(_frame(), _visits(), OCTOBER, NOW, TZ)
    before = rd.measures(_frame(), _visits(), Period(date(2026, 9, 1), date(2026, 9, 30)), NOW, TZ)
    table = rd.league_table(cur, before, ["A", "B", "C"])
    assert table.columns == list(rd.LEAGUE_COLUMNS)
    rows = {r["station_code"]: r for r in table.to_dicts()}
    assert (rows["A"]["incidents"], rows["A"]["change"], rows["A"]["change_pct"]) == (2, 2, None)
    assert (rows["B"]["change"], rows["B"]["change_pct"]) == (0, 0.0)  # 1 now, 1 in September
    assert (rows["C"]["incidents"], rows["C"]["change"], rows["C"]["handled_24h_share"]) == (
        0,
        0,
        None,
    )
    unknown = rd.league_table(cur, None, ["A", "B"])
    assert unknown["change"].to_list() == [None, None]
    ordered = rd.sort_league(table, "handled_24h_share", descending=True)
    assert ordered["station_code"].to_list() == ["A", "B", "C"]  # missing values last
    assert rd.sort_league(table, "incidents", descending=False)["station_code"].to_list() == [
        "C",
        "B",
        "A",
    ]
    with pytest.raises(ValueError, match="nope"):
        rd.sort_league(table, "nope", True)


def test_trends_fill_quiet_days_and_the_heatmap_uses_local_time():
    trend = rd.trend(_frame(), OCTOBER, TZ, "category")
    assert trend.height == 31 * 2  # every day of October for both categories present
    assert trend["count"].sum() == 3
    first = trend.filter(pl.col("period") == date(2026, 10, 1))
    assert dict(first.select("code", "count").iter_rows()) == {
        "domestic_violence": 1,
        "relationship_dispute": 0,
    }
    assert rd.trend_every(OCTOBER) == "1d"
    assert rd.trend_every(Period(date(2026, 1, 1), date(2026, 12, 31))) == "1w"
    grid = rd.heatmap(_frame(), OCTOBER, TZ)
    assert grid.shape == (7, 24) and grid.sum() == 3
    assert grid[3, 0] == 1  # Thursday 1 October, 00:30 local
    assert grid[5, 23] == 1  # Saturday 31 October, 23:30 local
    assert grid[3, 12] == 1  # Thursday 15 October, noon
    assert np.count_nonzero(grid) == 3


def test_comparison_lines_put_each_day_of_the_other_period_on_the_same_position():
    frame = _frame()
    september = Period(date(2026, 9, 1), date(2026, 9, 30))
    line = rd.comparison_trend(frame, OCTOBER, september, TZ)
    # September has 30 days, October 31: the 31st of October has no counterpart
    assert line.height == 30
    assert line["period"][0] == date(2026, 10, 1) and line["compared"][0] == date(2026, 9, 1)
    # incident 4 (30 September, local) is drawn on 30 October
    assert line.filter(pl.col("count") > 0).rows() == [(date(2026, 10, 30), date(2026, 9, 30), 1)]
    last_year = rd.comparison_trend(
        frame, OCTOBER, Period(date(2025, 10, 1), date(2025, 10, 31)), TZ
    )
    assert last_year.filter(pl.col("count") > 0).rows() == [
        (date(2026, 10, 20), date(2025, 10, 20), 1)
    ]
    # a long period goes by weeks: the n-th week faces the n-th week
    half = Period(date(2026, 7, 1), date(2026, 10, 31))
    weekly = rd.comparison_trend(frame, half, Period(date(2025, 7, 1), date(2025, 10, 31)), TZ)
    assert weekly["period"][0] == date(2026, 6, 29) and weekly["count"].sum() == 1
