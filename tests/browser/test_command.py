"""The command-centre wall in a real browser: it fits, its numbers are right, it goes live.

The wall has its own database and server here: a demo district that ends *now* (so today and
the last 7 days hold incidents), a real command-center user (a push ends demo mode) and a
refresh period of :data:`REFRESH_SECONDS`, so the stale banner can be seen within seconds.
A station chief's refusal is checked on the shared demo server.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from conftest import DEMO_INCIDENTS, DEMO_SEED, Traffic, _page, log_in, running_server, screenshot

from dashboard.parts import ids
from dashboard.screens.command import page as command
from data.access import CaseAccess, IncidentFilter, Scope
from data.demo.baoan import STATIONS
from data.users import DEMO_PASSWORD

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The wall's refresh period on its test server (seconds); stale after three of them.
REFRESH_SECONDS = 5
#: What the issue promises: seconds from a push to the wall showing it.
PROMISED_SECONDS = 10
WALL_USER = "wall-watcher"
WALL_PASSWORD = "watch-the-wall-screen-42"
TZ = "Asia/Shanghai"
#: Centre (lng, lat) of each demo station.
CENTRES = {code: centre for code, _, _, centre in STATIONS}
#: Both wall sizes of the issue.
WALL_SIZES = [(1920, 1080), (3840, 2160)]

TILES_READY = (
    "() => /\\d/.test(document.querySelector('#" + command.tile_id("today") + "')?.innerText || '')"
)
#: True once the wall's map has drawn its hot-spot cells (``assets/leaflet_map.js``).
WALL_MAP_READY = "() => !!window.anningMap && window.anningMap.ready('command-map')"
#: Every station name written on the wall's map, with its box on the screen.
MAP_LABELS = """
() => [...document.querySelectorAll('#command-map .map-label-text')].map(e => {
  const r = e.getBoundingClientRect();
  const s = getComputedStyle(e);
  return {text: e.innerText, x: r.left, y: r.top, w: r.width, h: r.height,
          size: parseFloat(s.fontSize), colour: s.color, shown: s.visibility !== 'hidden'};
})
"""


def _run(args: list[str], url: str, tmp: Path, stdin: str | None = None) -> str:
    env = {**os.environ, "ANNING_DATABASE_URL": url, "ANNING_VAR_DIR": str(tmp)}
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "app.py"), *args],
        cwd=REPO_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def wall_database(tmp_path_factory) -> str:
    """A demo district ending now, with a real command-center user."""
    from data.database import make_engine
    from data.demo.load import rebuild_demo

    tmp = tmp_path_factory.mktemp("wall")
    url = f"sqlite:///{tmp / 'anning.sqlite'}"
    engine = make_engine(url)
    rebuild_demo(engine, DEMO_INCIDENTS, DEMO_SEED, end="now")
    engine.dispose()
    _run(
        ["users", "add", WALL_USER, "--role", "command_center", "--password-stdin"],
        url,
        tmp,
        f"{WALL_PASSWORD}\n",
    )
    return url


@pytest.fixture(scope="module")
def wall_server(wall_database, tmp_path_factory) -> str:
    """The real server on ``wall_database``, refreshing the wall every few seconds."""
    previous = os.environ.get("ANNING_WALL_REFRESH_SECONDS")
    os.environ["ANNING_WALL_REFRESH_SECONDS"] = str(REFRESH_SECONDS)
    try:
        with running_server(wall_database, tmp_path_factory.mktemp("wall-var")) as base:
            yield base
    finally:
        if previous is None:
            os.environ.pop("ANNING_WALL_REFRESH_SECONDS", None)
        else:
            os.environ["ANNING_WALL_REFRESH_SECONDS"] = previous


@pytest.fixture
def wall_page(browser, wall_server):
    """A page of the wall's server, logged in as the real command-center user."""
    pages = _page(browser, Traffic(wall_server), [])
    tab = next(pages)
    log_in(tab, wall_server, WALL_USER, WALL_PASSWORD)
    yield tab
    with contextlib.suppress(StopIteration):  # the page's own checks (loopback, errors)
        next(pages)


def _open_wall(page, server: str, lang: str = "zh") -> None:
    page.goto(f"{server}/command?lang={lang}")
    page.wait_for_function(TILES_READY)


def _tile(page, key: str) -> int:
    return int(page.inner_text(f"#{command.tile_id(key)}").replace(",", "").strip())


def _expected_tiles(database: str) -> dict[str, int]:
    """Today, the last 7 days and the open high-risk cases, counted here from CaseAccess."""
    from data.database import make_engine

    engine = make_engine(database)
    access = CaseAccess(engine)
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(TZ)).date()
    scope = Scope(user="test")
    everything = access.incidents(scope, IncidentFilter())
    expected = {
        "today": access.incidents(scope, IncidentFilter(start=today, end=today)).height,
        "week": everything.filter(pl.col("reported_at") >= now - timedelta(days=7)).height,
        "high_risk_open": everything.filter(
            (pl.col("risk_level") == "high") & (pl.col("status") != "closed")
        ).height,
    }
    engine.dispose()
    return expected


def _assert_every_station_named(page) -> None:
    """Every station's name is shown on the wall's map, ≥ 20 px, apart from the others."""
    labels = page.evaluate(MAP_LABELS)
    assert sorted(label["text"] for label in labels) == sorted(name for _, name, _, _ in STATIONS)
    for label in labels:
        assert label["shown"], label
        assert label["size"] >= 20, label
        assert label["w"] > 0
    for i, one in enumerate(labels):
        for other in labels[i + 1 :]:
            apart = (
                one["x"] + one["w"] <= other["x"] or other["x"] + other["w"] <= one["x"]
                or one["y"] + one["h"] <= other["y"] or other["y"] + other["h"] <= one["y"]
            )  # fmt: skip
            assert apart, (one["text"], other["text"])


@pytest.mark.parametrize(("width", "height"), WALL_SIZES)
def test_the_wall_fits_the_screen_and_shows_the_numbers_of_its_scope(
    wall_page, wall_server, wall_database, width, height
):
    page = wall_page
    page.set_viewport_size({"width": width, "height": height})
    _open_wall(page, wall_server)
    page.wait_for_function(WALL_MAP_READY)
    expected = _expected_tiles(wall_database)
    assert expected["week"] > 0, "the demo should end now: the test would pass vacuously"
    for key, value in expected.items():
        assert _tile(page, key) == value, key
    sizes = page.evaluate(
        "() => [document.documentElement.scrollHeight, innerHeight,"
        " document.documentElement.scrollWidth, innerWidth]"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], f"the wall scrolls: {sizes}"
    # the map fills its card, and the tiles sit side by side in one row (measured at once:
    # a refresh replaces the tiles)
    box, tops = page.evaluate(
        """() => {
          const r = document.getElementById('command-map').getBoundingClientRect();
          const tops = [...document.querySelectorAll('.wall-tile-value')]
            .map(e => Math.round(e.getBoundingClientRect().top));
          return [{width: r.width, height: r.height}, tops];
        }"""
    )
    assert box["width"] > width * 0.6 and box["height"] > height * 0.45, box
    assert len(tops) == 6 and len(set(tops)) == 1, tops
    # every station is named on the map, in type large enough to read across a room
    # (≥ 20 px at 1080p), inside the map and apart from the other names
    _assert_every_station_named(page)
    assert page.inner_text(f"#{command.UPDATED}").startswith("最后更新 ")
    assert page.locator(f"#{command.STALE}").is_hidden()
    screenshot(page, f"command-wall-{width}x{height}-zh")


def test_every_station_is_named_on_a_small_wall(wall_page, wall_server):
    """A small display leaves the names little room: they move apart, sideways too, and none
    is dropped (at 1366 × 768 two of ten were hidden when names could only move up or down)."""
    page = wall_page
    page.set_viewport_size({"width": 1366, "height": 768})
    _open_wall(page, wall_server)
    page.wait_for_function(WALL_MAP_READY)
    _assert_every_station_named(page)
    screenshot(page, "command-wall-1366x768-zh")


def test_the_wall_in_english(wall_page, wall_server):
    page = wall_page
    page.set_viewport_size({"width": 1920, "height": 1080})
    _open_wall(page, wall_server, "en")
    page.wait_for_function(WALL_MAP_READY)
    text = page.inner_text(".wall")
    for words in ("Incidents today", "Cases past service level", "Newest incidents", "Alerts"):
        assert words in text
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in page.inner_text(".wall-tiles"))
    screenshot(page, "command-wall-1920x1080-en")


def test_the_newest_incidents_pulse_on_the_map(wall_page, wall_server):
    page = wall_page
    _open_wall(page, wall_server)
    page.wait_for_function(WALL_MAP_READY)
    radius_js = "() => window.anningMap.haloRadii('command-map')"
    seen = set()
    for _ in range(5):
        radii = page.evaluate(radius_js)
        seen.update(radii)
        page.wait_for_timeout(600)
    assert radii, "no incident of the last 24 h: the demo should end now"
    assert len(seen) == 2, f"the halo did not pulse: radii {seen}"


def test_a_pushed_incident_shows_on_the_wall_within_10_seconds(
    wall_page, wall_server, wall_database, tmp_path
):
    page = wall_page
    _open_wall(page, wall_server)
    before = _tile(page, "today")
    first_newest = page.inner_text(".wall-newest-item")
    token = _run(["tokens", "add", "wall-push-test"], wall_database, tmp_path).strip()
    token = token.splitlines()[-1]
    local = datetime.now(ZoneInfo(TZ))
    pushed = {
        "警情编号": "WALL-PUSH-0001",
        "接警时间": local.strftime("%Y-%m-%d %H:%M:%S"),
        "警情类别": "家庭暴力",
        "风险等级": "高",
        "发案地址": "宝安区新安街道推送测试路1号",
        "经度": CENTRES["BA01"][0],
        "纬度": CENTRES["BA01"][1],
        "管辖单位": "BA01",
        "处置状态": "已派警",
    }
    page.evaluate("window.__sameDocument = true")
    request = urllib.request.Request(
        f"{wall_server}/api/v1/incidents",
        data=json.dumps(pushed, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    pushed_at = time.monotonic()
    assert answer["results"][0]["outcome"] == "inserted", answer
    page.wait_for_function(
        f"() => document.querySelector('#{command.tile_id('today')}')?.innerText.trim() === "
        f"{json.dumps(f'{before + 1:,}')}",
        timeout=PROMISED_SECONDS * 1000,
    )
    assert time.monotonic() - pushed_at <= PROMISED_SECONDS
    newest = page.inner_text(".wall-newest-item")
    assert newest != first_newest and local.strftime("%H:%M") in newest
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    page.wait_for_function(WALL_MAP_READY)
    # a click on the newest incident opens its case
    page.click(".wall-newest-link >> nth=0")
    page.wait_for_url("**/case/*")
    page.wait_for_selector("text=WALL-PUSH-0001")


def test_the_wall_says_its_data_are_stale_when_updates_stop(wall_page, wall_server):
    page = wall_page
    _open_wall(page, wall_server)
    # From now on the server cannot be reached: every callback request fails.
    page.route("**/_dash-update-component*", lambda route: route.abort())
    started = time.monotonic()
    page.wait_for_timeout(1500)  # a request already under way may still land
    updated = page.inner_text(f"#{command.UPDATED}")
    page.wait_for_selector(f"#{command.STALE}:not([hidden])", timeout=40_000)
    waited = time.monotonic() - started
    assert 2 * REFRESH_SECONDS <= waited <= 3 * REFRESH_SECONDS + 8, waited
    banner = page.inner_text(f"#{command.STALE}")
    assert banner.startswith("数据已停止更新") and "秒未收到新数据" in banner, banner
    seconds = int(banner.split("：")[1].split(" ")[0])
    assert 3 * REFRESH_SECONDS <= seconds <= 3 * REFRESH_SECONDS + 10, banner
    assert page.get_attribute(f"#{command.WALL}", "class") == "wall is-stale"
    assert page.inner_text(f"#{command.UPDATED}") == updated  # the last good time stays
    screenshot(page, "command-wall-stale")
    page.unroute("**/_dash-update-component*")
    page.wait_for_selector(f"#{command.STALE}[hidden]", state="attached", timeout=20_000)


def test_a_station_chief_gets_the_forbidden_page(browser, server):
    pages = _page(browser, Traffic(server), [])
    page = next(pages)
    log_in(page, server, "demo-chief", DEMO_PASSWORD)
    page.goto(f"{server}/command")
    page.wait_for_selector(".page-forbidden")
    assert page.locator(".wall").count() == 0
    with contextlib.suppress(StopIteration):
        next(pages)


def test_a_click_on_a_hot_spot_lists_its_cases_on_the_overview(wall_page, wall_server):
    from geo.h3cells import cell_to_latlng, str_to_cell

    page = wall_page
    page.set_viewport_size({"width": 1920, "height": 1080})
    _open_wall(page, wall_server)
    page.wait_for_function(WALL_MAP_READY)
    hexes = [h["id"] for h in page.evaluate("() => window.anningMap.hexagons('command-map')")]
    assert hexes, "no hot spot to click"
    lat, lng = cell_to_latlng(str_to_cell(hexes[0]))
    x, y = page.evaluate(
        "([lng, lat]) => window.anningMap.project('command-map', lng, lat)", [lng, lat]
    )
    page.mouse.click(x, y)
    page.wait_for_url(f"**/?*sel=cell:{hexes[0]}*")
    assert "layer=hotspot" in page.url and "res=8" in page.url
    # the overview names the selected cell above its cases
    page.wait_for_selector(f"#{ids.SELECTION_CHIP_WRAP}:not([hidden])")


#: The index of the first ticker item wholly inside the ticker's window (the ticker scrolls).
VISIBLE_ALERT = """
() => {
  const box = document.querySelector('.wall-ticker-window').getBoundingClientRect();
  const links = [...document.querySelectorAll('.wall-ticker-run:first-child .wall-alert a')];
  return links.findIndex(a => {
    const r = a.getBoundingClientRect();
    return r.left >= box.left && r.right <= box.right && r.width > 0;
  });
}
"""


def _list_total(page) -> int:
    page.wait_for_selector("#case-list-count")
    return int(page.get_attribute("#case-list-count", "data-total"))


def test_a_tile_a_ticker_item_and_a_legend_class_open_their_cases(wall_page, wall_server):
    page = wall_page
    page.set_viewport_size({"width": 1920, "height": 1080})
    _open_wall(page, wall_server, "en")
    # the tile: open cases past a service level
    shown = _tile(page, "sla_breached")
    assert shown > 0, "the demo should have late open cases: the test would pass vacuously"
    page.locator(f"a.wall-tile:has(#{command.tile_id('sla_breached')})").click()
    page.wait_for_function("() => location.pathname === '/cases'")
    assert "m=tile.sla_breached" in page.url and "now=" in page.url
    assert _list_total(page) == shown
    assert "Cases past service level" in page.inner_text("main")
    screenshot(page, "cases-from-wall-tile-1440-en")

    # a ticker item: the cases its alert rests on, named in the URL
    _open_wall(page, wall_server, "en")
    page.wait_for_selector(".wall-alert a")
    index = -1
    for _ in range(20):  # the ticker scrolls: stop it until one item is wholly in view
        page.hover(".wall-ticker-window")  # the ticker stops under the pointer
        index = page.evaluate(VISIBLE_ALERT)
        if index >= 0:
            break
        page.mouse.move(0, 0)
        page.wait_for_timeout(400)
    assert index >= 0, "no ticker item in view"
    item = page.locator(".wall-ticker-run").first.locator(".wall-alert a").nth(index)
    nos = item.get_attribute("href").split("nos=")[1].split("&")[0].split(",")
    item.click()
    page.wait_for_function("() => location.pathname === '/cases'")
    assert "m=warning" in page.url
    assert _list_total(page) == len(set(nos))

    # a legend class: the incidents pulsing on the map
    _open_wall(page, wall_server, "en")
    page.wait_for_selector("a.wall-key-pulse")
    legend = page.inner_text("a.wall-key-pulse")
    pulsing = int("".join(ch for ch in legend.split(":")[-1] if ch.isdigit()) or 0)
    page.click("a.wall-key-pulse")
    page.wait_for_function("() => location.pathname === '/cases'")
    assert "m=pulse" in page.url
    assert _list_total(page) == pulsing


@pytest.mark.parametrize(("width", "height"), WALL_SIZES)
def test_the_tile_labels_read_across_a_room(wall_page, wall_server, width, height):
    """Tile labels at least 24 px at 1080p, scaled with the screen at 4K, never cut (they
    wrap instead: no hidden overflow, nothing wider than the tile)."""
    page = wall_page
    page.set_viewport_size({"width": width, "height": height})
    _open_wall(page, wall_server, "en")
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('.wall-tile-label')].map(e => [
             parseFloat(getComputedStyle(e).fontSize),
             e.scrollWidth <= e.clientWidth && getComputedStyle(e).whiteSpace === 'normal'
               && getComputedStyle(e).overflow === 'visible'])"""
    )
    assert len(sizes) == 9  # the six tiles and the three of the support-request strip
    assert all(px >= 24 * width / 1920 - 0.5 for px, _ in sizes), sizes
    assert all(whole for _, whole in sizes), sizes
    screenshot(page, f"command-wall-{width}x{height}-en")
