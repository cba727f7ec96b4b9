"""The command-centre wall: its numbers on hand-built frames, its page and its callbacks.

Tile numbers are checked against frames whose answers are worked out by hand below; the page's
callbacks run as plain functions over the fixture district (tests/dashboard/conftest.py) at a
fixed "now": 2026-11-12 12:00 in Shanghai (04:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from component_tree import find, text_of
from dash import no_update

from dashboard import ROUTES
from dashboard.parts.i18n import label
from dashboard.screens.command import map as wall_map
from dashboard.screens.command import page as command
from dashboard.screens.command import parts as wall_parts
from dashboard.web import shell
from dashboard.web.auth import use_identity
from data.access import CaseAccess, IncidentFilter, Scope
from data.settings import wall_refresh_seconds
from data.users import UserInfo
from geo.h3cells import cell_to_latlng, latlng_to_cells
from measures import wall as wall_data

TZ = "Asia/Shanghai"


def _utc(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    """The UTC time of a Shanghai local time."""
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(TZ)).astimezone(UTC)


def _frame(rows: list[dict]) -> pl.DataFrame:
    base = {
        "id": 0,
        "reported_at": None,
        "risk_level": "low",
        "status": "reported",
        "closed_at": None,
        "warning_letter": False,
        "protection_order": False,
        "lat": 22.6,
        "lng": 113.9,
    }
    return pl.DataFrame(
        [{**base, "id": i + 1, **row} for i, row in enumerate(rows)],
        schema={
            "id": pl.Int64,
            "reported_at": pl.Datetime("us", "UTC"),
            "risk_level": pl.String,
            "status": pl.String,
            "closed_at": pl.Datetime("us", "UTC"),
            "warning_letter": pl.Boolean,
            "protection_order": pl.Boolean,
            "lat": pl.Float64,
            "lng": pl.Float64,
        },
    )


_CHECK_SCHEMA = {
    "incident_id": pl.Int64,
    "open": pl.Boolean,
    "sla": pl.String,
    "state": pl.String,
    "due_at": pl.Datetime("us", "UTC"),
    "met_at": pl.Datetime("us", "UTC"),
}
NO_LEVELS = pl.DataFrame(schema=_CHECK_SCHEMA)


def _checks(rows: list[tuple]) -> pl.DataFrame:
    """Service-level checks: (incident_id, open, sla, state, due_at)."""
    return pl.DataFrame(
        [dict(zip(list(_CHECK_SCHEMA)[:5], row, strict=True)) | {"met_at": None} for row in rows],
        schema=_CHECK_SCHEMA,
    )


# -- the tiles ------------------------------------------------------------------------------
def test_local_times_helper():
    assert _utc(2026, 11, 12, 10) == datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
    assert _utc(2026, 11, 12, 0, 30) == datetime(2026, 11, 11, 16, 30, tzinfo=UTC)


def test_tiles_compare_each_period_with_the_one_they_name():
    now = _utc(2026, 11, 12, 10)  # Thursday 12 November, 10:00 in Shanghai
    frame = _frame(
        [
            # today: two incidents, one high risk and open, one with a protection order
            {"reported_at": _utc(2026, 11, 12, 0, 30), "risk_level": "high"},
            {"reported_at": _utc(2026, 11, 12, 9), "protection_order": True},
            # yesterday before 10:00 counts for the comparison, after 10:00 does not
            {"reported_at": _utc(2026, 11, 11, 8)},
            {
                "reported_at": _utc(2026, 11, 11, 20),
                "risk_level": "high",
                "status": "closed",
                "closed_at": _utc(2026, 11, 11, 23),
            },
            # inside the last 7 × 24 h, with a warning letter
            {"reported_at": _utc(2026, 11, 6, 12), "warning_letter": True},
            # the 7 × 24 h before (5 Nov 10:00 back to 29 Oct 10:00)
            {"reported_at": _utc(2026, 11, 1, 12), "risk_level": "high"},
            {"reported_at": _utc(2026, 10, 29, 11)},
            # last month: 5 October counts for "same days", 20 October does not
            {"reported_at": _utc(2026, 10, 5, 12), "warning_letter": True},
            {"reported_at": _utc(2026, 10, 20, 12), "warning_letter": True},
        ]
    )
    soon, past = now + timedelta(hours=2), now - timedelta(hours=2)
    levels = _checks(
        [
            (1, True, "handled_24h", "late", past),
            (1, True, "closed_15d", "pending", soon),
            (2, True, "handled_24h", "pending", soon),
            (3, True, "closed_15d", "pending", now + timedelta(days=10)),  # not due soon
            (4, False, "handled_24h", "late", past),
        ]
    )
    tiles = {tile.key: tile for tile in wall_data.compute_tiles(frame, levels, now, TZ)}
    assert list(tiles) == list(wall_data.TILE_KEYS)
    assert tiles["today"] == wall_data.Tile("today", 2, 1)
    assert tiles["week"] == wall_data.Tile("week", 5, 2)
    # open high-risk: incidents 1 and 6 (4 is closed); one of them reported today
    assert tiles["high_risk_open"] == wall_data.Tile("high_risk_open", 2, None, 1)
    # past a service level: open case 1 (closed case 4 left out); due soon: case 2 only
    assert tiles["sla_breached"].value == 1 and tiles["sla_breached"].note == 1
    assert tiles["sla_breached"].parts == {
        "handled_24h": 1,
        "closed_15d": 0,
        "follow_up_4_in_2m": 0,
    }
    assert tiles["warning_letters"] == wall_data.Tile("warning_letters", 1, 1)
    assert tiles["protection_orders"] == wall_data.Tile("protection_orders", 1, 0)


def test_an_empty_scope_has_zero_tiles():
    now = _utc(2026, 11, 12, 10)
    tiles = wall_data.compute_tiles(_frame([]).clear(), NO_LEVELS, now, TZ)
    assert [t.value for t in tiles] == [0] * 6
    with pytest.raises(ValueError, match="naive"):
        wall_data.compute_tiles(_frame([]), NO_LEVELS, datetime(2026, 11, 12), TZ)


def test_the_same_days_of_a_shorter_last_month_end_with_it():
    (start, end), (last_start, last_end) = wall_data.month_windows(_utc(2026, 3, 31, 18), TZ)
    assert (start.date(), end.date()) == (date(2026, 3, 1), date(2026, 4, 1))
    assert last_start.date() == date(2026, 2, 1)
    assert last_end.date() == date(2026, 3, 1) and last_end.hour == 0
    (_, _), (last_start, last_end) = wall_data.month_windows(_utc(2026, 11, 12, 10), TZ)
    assert (last_start.isoformat(), last_end.isoformat()) == (
        "2026-10-01T00:00:00+08:00",
        "2026-10-12T10:00:00+08:00",
    )


@pytest.mark.parametrize(
    ("value", "previous", "expected"),
    [
        (5, 4, wall_data.Change("up", "+1", "+25%")),
        (1, 3, wall_data.Change("down", "−2", "−67%")),
        (7, 7, wall_data.Change("same", "0", "0%")),
        (3, 0, wall_data.Change("up", "+3", "")),
        (12_345, 10_000, wall_data.Change("up", "+2,345", "+23%")),
    ],
)
def test_a_change_has_its_sign_and_percentage(value, previous, expected):
    assert wall_data.change(value, previous) == expected


def test_newest_and_pulsing_incidents():
    now = _utc(2026, 11, 12, 10)
    frame = _frame(
        [
            {"reported_at": _utc(2026, 11, 12, 9)},
            {"reported_at": _utc(2026, 11, 11, 11)},  # 23 h ago: pulses
            {"reported_at": _utc(2026, 11, 11, 9)},  # 25 h ago: does not
            {"reported_at": _utc(2026, 11, 12, 8), "lat": None, "lng": None},  # unplaced
        ]
    )
    assert wall_data.newest(frame, 3)["id"].to_list() == [1, 4, 2]
    assert wall_data.pulsing(frame, now)["id"].to_list() == [1, 2]
    assert wall_data.pulsing(frame, now, limit=1)["id"].to_list() == [1]


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (-3, ("minutes", 0)),
        (59, ("minutes", 59)),
        (60, ("hours", 1)),
        (47 * 60, ("hours", 47)),
        (48 * 60, ("days", 2)),
    ],
)
def test_ages(minutes, expected):
    now = _utc(2026, 11, 12, 10)
    then = datetime.fromtimestamp(now.timestamp() - minutes * 60, UTC)
    assert wall_data.age_parts(then, now) == expected


def test_alerts_keep_the_priority_order_and_know_their_case():
    frame = pl.DataFrame(
        {
            "rank": [2, 1, 3],
            "entry_id": ["case:17", "address:x", "incident:9"],
            "kind": ["case", "household", "address"],
            "reasons": [["sla_breached_closed_15d"], ["escalating", "high_risk_recent"], []],
            "station_code": ["BA01", "BA02", None],
            "cell": [None, 613634974223958015, None],
            "incident_ids": [["BA17"], ["BA1", "BA2", "BA3"], ["BA9"]],
        }
    )
    entries = wall_data.alerts(frame, limit=2)
    assert [e["rank"] for e in entries] == [1, 2]
    assert entries[0]["incidents"] == 3 and entries[0]["reasons"] == [
        "escalating",
        "high_risk_recent",
    ]
    assert [wall_data.case_target(e) for e in wall_data.alerts(frame)] == [None, 17, 9]
    assert wall_data.alerts(frame.clear()) == []


# -- the setting ------------------------------------------------------------------------------
def test_the_refresh_period_defaults_to_30_seconds_and_refuses_nonsense(monkeypatch):
    monkeypatch.delenv("ANNING_WALL_REFRESH_SECONDS", raising=False)
    assert wall_refresh_seconds() == 30
    monkeypatch.setenv("ANNING_WALL_REFRESH_SECONDS", " 12 ")
    assert wall_refresh_seconds() == 12
    monkeypatch.setenv("ANNING_WALL_REFRESH_SECONDS", "half a minute")
    with pytest.raises(ValueError, match=r"ANNING_WALL_REFRESH_SECONDS.*'half a minute'"):
        wall_refresh_seconds()
    monkeypatch.setenv("ANNING_WALL_REFRESH_SECONDS", "2")
    with pytest.raises(ValueError, match="5 to 3600, got 2"):
        wall_refresh_seconds()


# -- the page -----------------------------------------------------------------------------------
NOW = datetime(2026, 11, 12, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.mark.parametrize(
    ("role", "station", "allowed"),
    [
        ("command_center", None, True),
        ("leadership", None, True),
        ("analyst", None, True),
        ("station_chief", "BA01", False),
        ("station_officer", "BA02", False),
        ("administrator", None, False),
    ],
)
def test_only_roles_that_see_every_station_open_the_wall(app, role, station, allowed):
    with app.server.test_request_context("/"):
        use_identity(UserInfo(0, "u", "u", role, station))
        page = shell.render(ROUTES, "/command", "", "zh")
    assert ("page-command" in str(page)) is allowed
    assert ("page-forbidden" in str(page)) is not allowed


def test_the_wall_renders_in_both_languages_with_its_refresh_period(app, monkeypatch):
    monkeypatch.setenv("ANNING_WALL_REFRESH_SECONDS", "45")
    with app.server.test_request_context("/"):
        use_identity(UserInfo(0, "u", "u", "command_center", None))
        zh = command.layout("zh", "")
        en = command.layout("en", "")
    assert "指挥中心实时态势" in text_of(zh) and "每 45 秒自动刷新" in text_of(zh)
    assert "Command centre: live situation" in text_of(en) and "every 45 s" in text_of(en)
    assert find(zh, command.REFRESH).interval == 45_000
    assert find(zh, command.POLL).interval == command.POLL_SECONDS * 1000
    assert find(zh, command.CONFIG).data["staleMs"] == 3 * 45_000
    for key in wall_data.TILE_KEYS:
        assert find(en, command.tile_id(key)) is not None, key


def _refresh(lang: str = "zh", digest: str | None = None):
    return command.refresh(0, None, {"w": 1200, "h": 700}, lang, digest, now=NOW)


def test_a_refresh_fills_the_tiles_with_the_scope_s_numbers(request_context, fixture_engine):
    tiles, _, _, _, legend, _, _, updated, stamp = _refresh()
    values = {key: find(tiles, command.tile_id(key)).children for key in wall_data.TILE_KEYS}
    # The fixture's own answer, counted independently: today (12 Nov, local, before noon)
    # holds T3 (09:00) and T5 (11:00); yesterday until noon holds nothing (T2 was at 20:00).
    access = CaseAccess(fixture_engine)
    today = access.incidents(Scope(user="t"), IncidentFilter(start=date(2026, 11, 12)))
    assert today["incident_no"].sort().to_list() == ["T3", "T5"]
    assert values["today"] == "2"
    assert "对比昨日同时段 0" in text_of(tiles) and "▲" in text_of(tiles)
    assert values["week"] == "4"  # T1, T2, T3, T5 (T4 is from June)
    assert values["high_risk_open"] == "1"  # T1
    assert values["warning_letters"] == "1" and values["protection_orders"] == "1"
    assert updated == "最后更新 2026-11-12 12:00:00"
    assert stamp == int(NOW.timestamp() * 1000)
    assert "近 24 小时新事件（闪烁）2 起" in text_of(legend)


def test_the_newest_incidents_link_to_their_cases_newest_first(request_context):
    _, _, _, _, _, newest, _, _, _ = _refresh("en")
    links = [item.children.href for item in newest]
    assert links[:3] == ["/case/5?lang=en", "/case/3?lang=en", "/case/2?lang=en"]
    assert "11:00" in text_of(newest[0]) and "1 h ago" in text_of(newest[0])


def test_the_map_pulses_the_newest_incidents_at_masked_places(request_context):
    _, _, points, *_ = _refresh()
    features = points["features"]
    halos = [f for f in features if f["properties"].get("halo")]
    dots = [f for f in features if not f["properties"].get("halo")]
    # T3 (located) and T2 (16 h before now); T5 could not be placed
    assert [f["properties"]["id"] for f in dots] == [3, 2]
    assert all(f["properties"]["kind"] == "case" for f in dots)
    assert [h["geometry"] for h in halos] == [d["geometry"] for d in dots]  # a halo under each
    # the command center sees no exact places: each point is its resolution-9 cell's centre
    for dot in dots:
        lng, lat = dot["geometry"]["coordinates"]
        cell = int(latlng_to_cells([lat], [lng], 9)[0])
        assert cell_to_latlng(cell) == pytest.approx((lat, lng))


def test_hot_spots_are_clickable_cells_and_a_map_without_them_says_why(request_context):
    _, paint, *_ = _refresh()
    cells = paint["cells"]
    # against the empty cells around them, the fixture's incidents are significant hot spots
    assert paint["meta"]["hot"] == len(cells) > 0 and paint["empty"] is None
    assert {value for _, _, value in cells.values()} <= {1, 2, 3}
    assert all(paint["palette"][k] in wall_map.HOT_COLOURS.values() for k, _, _ in cells.values())
    assert all("点击查看案件" in tip for _, tip, _ in cells.values())
    # half a year later the last 30 days hold no incident: no hot spot, and the map says so
    later = datetime(2027, 5, 12, 4, 0, tzinfo=UTC)
    _, quiet, *_ = command.refresh(0, None, None, "en", None, now=later)
    assert quiet["meta"]["hot"] == 0 and quiet["note"]
    assert quiet["empty"]["title"] == "No significant hot spot in the last 30 days"


def test_an_unchanged_map_is_not_sent_again(request_context):
    _, _, _, digest, *_ = _refresh()
    again = _refresh(digest=digest)
    assert again[1] is no_update and again[2] is no_update and again[3] == digest


def test_the_ticker_says_why_it_is_empty_or_scrolls_its_alerts(request_context):
    empty = wall_parts.ticker_content([], "en", {}, date(2026, 11, 12))
    assert "No alerts" in text_of(empty)
    entries = [
        {
            "rank": 1,
            "entry_id": "case:3",
            "kind": "case",
            "reasons": ["sla_breached_closed_15d"],
            "station_code": "BA01",
            "cell": None,
            "incidents": 1,
        },
        {
            "rank": 2,
            "entry_id": "address:x",
            "kind": "address",
            "reasons": ["repeat_new_incident"],
            "station_code": "BA02",
            "cell": 613634974223958015,
            "incidents": 3,
        },
    ]
    entries[0] |= {"incident_nos": ["T3"], "address": None, "community": "新安社区"}
    entries[1] |= {
        "incident_nos": ["T1", "T2", "T5"],
        "address": "固戍一路**栋***室",
        "community": None,
    }
    # a third entry that would read like the second: numbered apart
    entries.append({**entries[1], "rank": 3, "incident_nos": ["T7", "T8", "T9"]})
    track = wall_parts.ticker_content(entries, "zh", {"BA01": "新安派出所"}, NOW)
    first, second = track.children
    assert text_of(first) == text_of(second)  # twice, for a seamless loop
    words = [" ".join(text_of(item).split()) for item in first.children]
    assert words[0].startswith("1. " + label("ew_kind", "case", "zh")) and "新安派出所" in words[0]
    assert "新安社区" in words[0] and "1 起" in words[0]
    assert label("reason", "sla_breached_closed_15d", "zh") in words[0]
    assert "固戍一路**栋***室" in words[1] and "3 起" in words[1]  # the household, masked
    assert len({w.split(". ", 1)[1] for w in words}) == 3  # no two read the same
    links = [item.children.href for item in first.children]
    assert links[0] == "/cases?lang=zh&m=warning&nos=T3&now=2026-11-12T04:00:00Z"
    assert "m=warning&nos=T1,T2,T5&" in links[1] and "nos=T7,T8,T9" in links[2]


def test_clicks_drill_down_to_cases(request_context):
    # what dash-leaflet sends as clickData: the clicked feature
    case = {"type": "Feature", "properties": {"kind": "case", "id": 3}}
    assert command.drill_down(None, None, case, "en", now=NOW) == ("/case/3", "?lang=en")
    cell = {"type": "Feature", "id": "88411c8d43fffff", "properties": {"station": "BA01"}}
    path, search = command.drill_down(cell, None, None, "zh", now=NOW)
    params = parse_qs(search[1:])
    assert path == "/"
    assert params == {
        "lang": ["zh"],
        "start": ["2026-10-14"],
        "end": ["2026-11-12"],
        "res": ["8"],
        "sel": ["cell:88411c8d43fffff"],
        "layer": ["hotspot"],
    }
    station = {"type": "Feature", "id": "BA01", "properties": {}}
    search = command.drill_down(None, station, None, "zh", now=NOW)[1]
    assert parse_qs(search[1:])["sel"] == ["station:BA01"]
    assert command.drill_down(None, None, {"properties": {}}, "zh") == (no_update, no_update)
    assert command.drill_down(None, None, None, "zh") == (no_update, no_update)
