"""The overview map's shared behaviour in headless Chromium: the hexagon size follows the
zoom, the time slider moves every view together and plays, the back button restores the
filters, a trend bar drills down to its cases.

Runs against the real server and the 3,000-incident demo of conftest.py (logged in as the
demo command center). The ``page`` fixture fails a test if any request leaves loopback.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from browser_helpers import (
    CELL_RES,
    HEXAGONS,
    MAP_READY,
    PROJECT,
    ZOOM,
    grid_column,
    wait_for_grid_rows,
    wait_for_url_part,
)

from dashboard.screens.overview.zoom_resolution import resolution_for_zoom

pytestmark = pytest.mark.browser

#: How many hexagons the overview map has drawn (before it is ready, too).
HEXAGONS_SHOWN = (
    "() => window.anningMap && window.anningMap.leaflet('map') ? "
    "window.anningMap.hexagons('map').length : 0"
)
#: The overview map's centre and zoom.
VIEW = (
    "() => { const m = window.anningMap.leaflet('map'); const c = m.getCenter();"
    " return [c.lat, c.lng, m.getZoom()]; }"
)

#: The slider's position and bounds (day ordinals of Mondays), from its accessible thumb.
SLIDER = """
() => {
  const thumb = document.querySelector('#map-time-slider [role=slider]');
  return {value: Number(thumb.getAttribute('aria-valuenow')),
          min: Number(thumb.getAttribute('aria-valuemin')),
          max: Number(thumb.getAttribute('aria-valuemax'))};
}
"""
#: Screen positions of the trend's bars with their period and category.
BARS = """
() => {
  const gd = document.querySelector('#trend .js-plotly-plot');
  return [...gd.querySelectorAll('.barlayer .trace')].flatMap((g, i) =>
    [...g.querySelectorAll('.point path')].map((p, j) => {
      const r = p.getBoundingClientRect();
      return {x: r.left + r.width / 2, y: r.top + r.height / 2, h: r.height,
              category: gd._fullData[i].customdata[j][0], period: gd._fullData[i].x[j],
              count: gd._fullData[i].y[j]};
    }));
}
"""


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(MAP_READY)
    page.wait_for_function(
        "() => document.querySelector('#trend .js-plotly-plot .barlayer .point')"
    )
    page.wait_for_function("() => /\\d/.test(document.querySelector('#kpi-incidents')?.innerText)")
    page.wait_for_selector("#map-time-slider [role=slider]")  # drawn by its own callback


def _kpi(page) -> int:
    return int(page.inner_text("#kpi-incidents").replace(",", ""))


def _wait_kpi_not(page, value: int) -> int:
    page.wait_for_function(
        "v => { const t = document.querySelector('#kpi-incidents')?.innerText;"
        " return t && /\\d/.test(t) && Number(t.replace(/,/g, '')) !== v; }",
        arg=value,
    )
    return _kpi(page)


def _monday(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def test_zooming_in_draws_smaller_hexagons_and_keeps_the_view(page, server):
    _open(page, f"{server}/")
    assert page.evaluate(CELL_RES) == 8
    assert "中" in page.inner_text("#map-res-now")
    box = page.locator("#map.leaflet-container").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(8):  # the mouse wheel, as a reader zooms in
        page.mouse.wheel(0, -240)
        page.wait_for_timeout(120)
    page.wait_for_function(f"() => ({CELL_RES})() === 9")
    page.wait_for_function(MAP_READY)
    page.wait_for_timeout(1500)  # the wheel's zoom animation has ended, the redraw is drawn
    zoom = page.evaluate(ZOOM)
    assert zoom > 11.7  # the redraw for the new hexagon size kept the reader's zoom
    page.wait_for_timeout(800)
    assert page.evaluate(ZOOM) == pytest.approx(zoom, abs=0.01)
    assert "小" in page.inner_text("#map-res-now")
    assert "res=" not in page.url  # automatic is the default, not written
    for _ in range(40):  # out again, past the district's fitted view
        page.mouse.wheel(0, 240)
        page.wait_for_timeout(300)  # a loaded machine lags: let each step land
        if page.evaluate(ZOOM) < 10.1:
            break
    page.wait_for_timeout(1500)  # the last step's animation has ended
    zoomed_out = page.evaluate(ZOOM)
    expected = resolution_for_zoom(zoomed_out - 1)  # Leaflet's zoom is MapLibre's + 1
    assert expected < 8, zoomed_out  # larger hexagons than at the fitted view
    page.wait_for_function(f"() => ({CELL_RES})() === {expected}")
    # a hand choice wins over the zoom and is kept in the URL
    page.locator("#map-resolution label", has_text="中（").click()
    page.wait_for_function(f"() => ({CELL_RES})() === 8")
    wait_for_url_part(page, "res=8")


def test_the_map_holds_still_once_it_is_ready(page, server):
    """Dash loads its dropdowns, date pickers and slider after the page: each used to grow
    its field when it came, moving the ready map 36 px down under the reader's pointer."""
    page.goto(f"{server}/?lang=en")
    page.wait_for_function(MAP_READY)
    at_ready = page.locator("#map.leaflet-container").bounding_box()
    loaded = (
        "() => ['map-layer', 'map-overlay', 'map-opacity', 'filter-station', 'filter-category', "
        "'map-time-slider']"
        ".every(id => document.getElementById(id)) && !!document.querySelector('.dash-datepicker')"
    )
    page.wait_for_function(loaded)
    page.wait_for_timeout(500)  # the layout after the last of them
    assert page.locator("#map.leaflet-container").bounding_box() == at_ready
    assert page.evaluate("() => document.querySelectorAll('.field-control:empty').length") == 0


def test_the_map_is_not_ready_before_its_stations_are_drawn(page, server, traffic):
    """The stations' document can come after the hexagons' (a busy server): the map said
    "ready" with hexagons alone, and a click on a station in that moment selected nothing,
    then the stations' arrival fitted the map under the pointer (seen in CI). The fit waits
    for the stations: fitting on the hexagons' arrival made the wall's map move after ready
    at 1440x900, its card settling its size later."""
    held = []
    page.route("**/geo/stations.geojson*", lambda route: held.append(route))
    page.goto(f"{server}/?lang=en")
    page.wait_for_function(f"() => ({HEXAGONS_SHOWN})() > 0")  # the hexagons are drawn
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(200)
    seen = [u for u in traffic.seen if "/geo/" in u]
    assert held, f"the page should have asked for the stations' document: {seen}"
    page.wait_for_timeout(500)
    assert not page.evaluate(MAP_READY)
    for route in held:
        route.continue_()
    page.wait_for_function(MAP_READY)
    view = page.evaluate(VIEW)
    page.wait_for_timeout(1000)
    assert page.evaluate(VIEW) == view  # once ready, the map holds still


def test_the_fit_button_brings_the_whole_district_back_into_view(page, server):
    _open(page, f"{server}/")
    fitted = page.evaluate(ZOOM)
    box = page.locator("#map.leaflet-container").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    for _ in range(6):  # the reader zooms in off-centre: part of the district leaves the map
        page.mouse.wheel(0, -240)
        page.wait_for_timeout(150)
    page.wait_for_function(f"() => ({ZOOM})() > {fitted + 1}")
    page.wait_for_function(MAP_READY)

    def outside() -> int:
        # the map's box measured now: the page above it may have settled since (a box measured
        # before the zoom counted 161 edge hexagons out on a loaded machine)
        frame = page.locator("#map.leaflet-container").bounding_box()
        return sum(
            not (frame["x"] <= h["x"] <= frame["x"] + frame["width"])
            or not (frame["y"] <= h["y"] <= frame["y"] + frame["height"])
            for h in page.evaluate(HEXAGONS)
        )

    assert outside() > 0, "zooming in should have taken hexagons out of view"
    page.locator("#map-fit").click()  # 显示全区
    page.wait_for_function(f"() => Math.abs(({ZOOM})() - {fitted}) <= 0.5")
    # The flight zooms out before it settles, so a zoom near the fitted one can come while it
    # still flies: wait, at most 15 s, until every painted hexagon is inside the map, and the
    # map is ready.
    every_inside = f"""() => {{
      const r = document.querySelector('#map.leaflet-container').getBoundingClientRect();
      const hexagons = ({HEXAGONS})();
      return hexagons.length > 0 && hexagons.every(
        h => h.x >= r.left && h.x <= r.right && h.y >= r.top && h.y <= r.bottom);
    }}"""
    page.wait_for_function(every_inside, timeout=15_000)
    page.wait_for_function(MAP_READY)
    assert outside() == 0


def test_the_time_slider_narrows_every_view_and_plays(page, server, shoot):
    _open(page, f"{server}/")
    whole = _kpi(page)
    bounds = page.evaluate(SLIDER)
    assert bounds["value"] == bounds["min"]  # "All" until a week is chosen
    week = bounds["max"] - 21  # four weeks before the last
    _open(page, f"{server}/?layer=hotspot&week={_monday(week)}")
    one_week = _kpi(page)
    assert 0 < one_week < whole
    assert page.evaluate(SLIDER)["value"] == week
    label = page.inner_text("#map-time-label")
    assert re.search(r"第 \d+ 周", label) and "至" in label
    trend = page.evaluate(
        "() => document.querySelector('#trend .js-plotly-plot')._fullLayout.shapes.length"
    )
    assert trend == 1  # the trend keeps the whole range and shades the week
    assert "共" in page.inner_text("#case-list-total")
    shoot(page, "map_slider_hotspot_zh")

    page.click("#map-time-play")
    page.wait_for_function(
        "w => Number(document.querySelector('#map-time-slider [role=slider]')"
        ".getAttribute('aria-valuenow')) > w",
        arg=week,
    )
    assert "week=" + _monday(week) in page.url  # playing leaves the URL (and history) alone
    page.wait_for_function(
        "m => Number(document.querySelector('#map-time-slider [role=slider]')"
        ".getAttribute('aria-valuenow')) === m",
        arg=bounds["max"],
        timeout=20_000,
    )
    page.wait_for_function("() => document.querySelector('#map-time-play').innerText === '▶'")
    wait_for_url_part(page, f"week={_monday(bounds['max'])}")  # stopped at the end: written


def test_back_and_forward_restore_the_filters(page, server):
    _open(page, f"{server}/")
    before = _kpi(page)
    page.click("#filter-category")
    page.locator(".dash-dropdown-options [role=option]", has_text="家庭暴力").click()
    page.keyboard.press("Escape")
    after = _wait_kpi_not(page, before)
    wait_for_url_part(page, "cat=domestic_violence")
    page.locator("#list-tabs label", has_text="图层").click()
    wait_for_url_part(page, "tab=layer")

    page.go_back()
    page.wait_for_function("() => !location.search.includes('tab=layer')")
    page.wait_for_function("() => !document.querySelector('#cases-panel').hidden")
    assert "cat=domestic_violence" in page.url and _kpi(page) == after
    page.go_back()
    page.wait_for_function("() => !location.search.includes('cat=')")
    assert _wait_kpi_not(page, after) == before
    assert "家庭暴力" not in page.inner_text("#filter-category")
    page.go_forward()
    assert _wait_kpi_not(page, before) == after
    assert "家庭暴力" in page.inner_text("#filter-category")
    assert "cat=domestic_violence" in page.url


def test_a_trend_bar_lists_the_cases_of_its_day_and_category(page, server, shoot):
    _open(page, f"{server}/?every=1w")
    bar = max(page.evaluate(BARS), key=lambda b: b["h"])
    page.mouse.move(bar["x"], bar["y"])
    page.wait_for_timeout(150)
    page.mouse.click(bar["x"], bar["y"])
    page.wait_for_function("() => document.querySelector('#selection-chip-wrap')?.hidden === false")
    chip = page.inner_text("#selection-chip")
    assert "起的一周" in chip
    first = date.fromisoformat(bar["period"][:10])
    wait_for_url_part(page, f"sel=period:{first.isoformat()}.1w.{bar['category']}")
    page.wait_for_function(
        f"() => document.querySelector('#case-list-total')?.innerText === '共 {bar['count']} 起'"
    )
    wait_for_grid_rows(page, "case-table", min(bar["count"], 15))
    days = grid_column(page, "case-table", "reported_at")
    assert len(days) == min(bar["count"], 15)
    last = first + timedelta(days=6)
    for text in days:
        day = date.fromisoformat(text[:10])
        assert first <= day <= last, text
    shoot(page, "trend_bar_drilldown")


def test_the_english_overview_with_the_slider_and_a_layer(page, server, shoot):
    _open(page, f"{server}/")
    week = page.evaluate(SLIDER)["max"] - 7
    _open(page, f"{server}/?lang=en&layer=hotspot&week={_monday(week)}&win=4")
    label = page.inner_text("#map-time-label")
    assert label.startswith("4 weeks to week") and re.search(r"\d{4}", label)
    assert page.inner_text("#map-time-play") == "▶"
    assert "Follows the zoom" in page.inner_text("#map-resolution")
    assert "All" in page.inner_text("#map-time-slider")
    assert not re.search(r"[\u3400-\u9fff]", page.inner_text(".time-bar"))
    shoot(page, "map_slider_hotspot_en")


#: The names written on the overview map and in view: text and screen centre.
NAMES_SHOWN = """
() => {
  const box = document.querySelector('#map').getBoundingClientRect();
  return [...document.querySelectorAll('#map .map-label-text')].filter(e => {
    const r = e.getBoundingClientRect();
    return e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden'
      && r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom;
  }).map(e => e.innerText);
}
"""


def test_place_names_come_in_as_the_reader_zooms_in(page, server, shoot):
    from data.demo.scenario import village_centres

    _open(page, f"{server}/")
    fitted = page.evaluate(NAMES_SHOWN)
    assert "西乡派出所" in fitted and not any(n.endswith("社区") for n in fitted), fitted
    ((_, lng, lat),) = [c for c in village_centres() if c[0].name == "固戍"]
    for _ in range(12):  # the mouse wheel over 固戍, as a reader zooms in on it
        x, y = page.evaluate(PROJECT, [lng, lat])
        page.mouse.move(x, y)
        page.mouse.wheel(0, -240)
        page.wait_for_timeout(250)
        if page.evaluate(ZOOM) >= 13:
            break
    page.wait_for_timeout(1500)  # the last step's animation has ended, the names are placed
    shown = page.evaluate(NAMES_SHOWN)
    assert "固戍社区" in shown, (page.evaluate(ZOOM), shown)
    shoot(page, "overview_place_names_zoomed")
