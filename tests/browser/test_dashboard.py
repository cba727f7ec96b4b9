"""The dashboard in headless Chromium against the real server and a 3,000-incident demo.

Clicks on the map are real mouse clicks: the test asks Leaflet (``assets/leaflet_map.js``)
where a hexagon's centre is on screen and clicks there, so the whole path — canvas drawing,
Leaflet's hit test, dash-leaflet's ``clickData``, the callbacks — is exercised.
"""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
import shapely
from browser_helpers import (
    CELLS_URL,
    GRID_COLUMN,
    HEXAGONS,
    MAP_READY,
    PROJECT,
    grid_column,
    grid_headers,
    wait_for_grid_rows,
    wait_for_url_part,
)
from shapely.geometry import shape

pytestmark = pytest.mark.browser

_CJK = re.compile(r"[\u3400-\u9fff]")


TREND_NAMES = "() => document.querySelector('#trend .js-plotly-plot')._fullData.map(t => t.name)"
#: The case list (an AG Grid) and its rows.
CASES = "case-table"
CASE_ROWS = f"#{CASES} .ag-center-cols-container .ag-row"
#: An element's colour and font weight.
STYLE = "e => getComputedStyle(e).color + ' ' + getComputedStyle(e).fontWeight"


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(MAP_READY)
    page.wait_for_function(
        "() => document.querySelector('#trend .js-plotly-plot .barlayer .point')"
    )
    page.wait_for_function("() => /\\d/.test(document.querySelector('#kpi-incidents')?.innerText)")


def _kpi(page) -> int:
    return int(page.inner_text("#kpi-incidents").replace(",", ""))


def _settled(page, cell_id: str) -> dict:
    """The hexagon ``cell_id`` once its place on screen holds still for 300 ms: the page below
    the header may still be settling (its other parts drawing) after the map is ready."""
    before = None
    for _ in range(40):
        now = next(h for h in page.evaluate(HEXAGONS) if h["id"] == cell_id)
        if before is not None and (now["x"], now["y"]) == (before["x"], before["y"]):
            return now
        before = now
        page.wait_for_timeout(300)
    raise AssertionError(f"hexagon {cell_id} kept moving on screen")


def _click(page, x: float, y: float) -> None:
    page.mouse.move(x, y)
    page.wait_for_timeout(150)
    page.mouse.click(x, y)


def test_the_first_page_shows_the_map_the_trend_and_chinese(page, server, shoot):
    _open(page, f"{server}/")
    assert page.title() == "安宁"
    assert "安宁" in page.inner_text(".header")
    assert page.inner_text(".kpis").count("\n") >= 9 and "事件总数" in page.inner_text(".kpis")
    assert page.locator("#map.leaflet-container canvas").count() >= 1  # Leaflet's canvas
    hexagons = page.evaluate(HEXAGONS)
    assert len(hexagons) > 50
    assert {h["station"] for h in hexagons} == {f"BA{i:02d}" for i in range(1, 11)}
    assert sum(h["z"] for h in hexagons) <= _kpi(page)
    assert set(page.evaluate(TREND_NAMES)) >= {"家庭暴力", "婚恋情感纠纷"}
    assert "共" in page.inner_text("#case-list-total")
    shoot(page, "overview_zh")


def test_a_category_filter_changes_the_numbers_and_the_trend(page, server, shoot):
    _open(page, f"{server}/")
    before = _kpi(page)
    page.click(f"#{'filter-category'}")
    page.locator(".dash-dropdown-options [role=option]", has_text="家庭暴力").click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        f"() => document.querySelector('#kpi-incidents')?.innerText.replace(/,/g, '') != '{before}'"
    )
    after = _kpi(page)
    assert 0 < after < before
    page.wait_for_function(f"() => ({TREND_NAMES})().join() === '家庭暴力'")
    wait_for_url_part(page, "cat=domestic_violence")
    shoot(page, "filtered_domestic_violence")


def test_a_hexagon_click_lists_its_cases_and_a_case_opens_its_detail(page, server, shoot):
    _open(page, f"{server}/")
    hottest = max(page.evaluate(HEXAGONS), key=lambda h: h["z"])
    hottest = _settled(page, hottest["id"])
    _click(page, hottest["x"], hottest["y"])
    page.wait_for_function("() => document.querySelector('#selection-chip-wrap')?.hidden === false")
    assert hottest["id"] in page.inner_text("#selection-chip")
    page.wait_for_function(
        f"() => document.querySelector('#case-list-total')?.innerText === '共 {hottest['z']} 起'"
    )
    # the list below the map came into view, its head and first rows, and the map stayed
    page.wait_for_function(
        "() => document.getElementById('cases-card').getBoundingClientRect().top + 250"
        " <= window.innerHeight"
    )
    assert page.evaluate("() => window.scrollY") > 0
    map_box = page.evaluate("() => document.getElementById('map').getBoundingClientRect().bottom")
    assert map_box > page.viewport_size["height"] / 3
    wait_for_url_part(page, f"sel=cell:{hottest['id']}")
    wait_for_grid_rows(page, CASES, min(hottest["z"], 15))
    assert len(grid_column(page, CASES, "incident_no")) == min(hottest["z"], 15)
    shoot(page, "drilldown_cell")

    number = grid_column(page, CASES, "incident_no")[0]
    page.click(f"{CASE_ROWS}[row-index='0'] [col-id='category']")
    page.wait_for_url(re.compile(r"/case/\d+\?"))
    page.wait_for_selector("#case-timeline li")
    assert number in page.inner_text(".page-title")
    assert page.locator("#case-timeline li").count() >= 1
    assert "处置过程" in page.inner_text(".case-timeline")
    assert "已上报" in page.inner_text("#case-timeline")
    assert "***" in page.inner_text("#case-fields")  # the summary stays masked
    shoot(page, "case_detail_zh")

    page.click("#back-link")
    page.wait_for_function(MAP_READY)
    page.wait_for_function(
        "id => (document.querySelector('#selection-chip')?.innerText || '').includes(id)",
        arg=hottest["id"],
    )

    # the headline numbers follow the selection, and each opens the cases it counts
    page.wait_for_function(
        f"() => document.querySelector('#kpi-incidents')?.innerText === '{hottest['z']}'"
    )
    page.click("#kpi-open-link")
    page.wait_for_function("() => location.pathname === '/cases'")
    assert "m=open" in page.url and f"cell={hottest['id']}" in page.url
    page.wait_for_selector("#case-list-count, .case-list p.muted")
    found = page.locator("#case-list-count")
    listed = found.get_attribute("data-total") if found.count() else "0"  # or "No cases"
    page.go_back()
    page.wait_for_function(MAP_READY)
    page.wait_for_function("() => /\\d/.test(document.querySelector('#kpi-open')?.innerText)")
    assert int(listed) == int(page.inner_text("#kpi-open").replace(",", ""))


def test_a_station_click_lists_the_station_cases(page, server):
    _open(page, f"{server}/?cat=elder_abuse")
    hexagons = page.evaluate(HEXAGONS)
    with urllib.request.urlopen(f"{server}/geo/stations.geojson") as response:
        stations = {f["id"]: shape(f["geometry"]) for f in json.load(response)["features"]}
    cells_url = server + page.evaluate(CELLS_URL)
    with urllib.request.urlopen(cells_url) as response:
        cells = {f["id"]: shape(f["geometry"]) for f in json.load(response)["features"]}
    drawn = shapely.union_all([cells[h["id"]] for h in hexagons])
    # a point of Xixiang's area that no hexagon covers, well inside the polygon
    free = stations["BA02"].buffer(-0.005).difference(drawn.buffer(0.002))
    point = free.representative_point()
    _click(page, *page.evaluate(PROJECT, [point.x, point.y]))
    page.wait_for_function("() => document.querySelector('#selection-chip-wrap')?.hidden === false")
    assert page.inner_text("#selection-chip") == "西乡派出所"
    page.wait_for_function(
        f"args => {{ const cells = ({GRID_COLUMN})(args);"
        " return cells.length > 0 && cells.every(c => c === '西乡派出所'); }",
        arg=[CASES, "station_code"],
    )
    wait_for_url_part(page, "sel=station:BA02")


def test_the_english_switch_translates_the_page(page, server, shoot):
    _open(page, f"{server}/")
    page.locator("#lang-switch label", has_text="English").click()
    page.wait_for_function("() => document.querySelector('.brand-name')?.innerText === 'Anning'")
    page.wait_for_function(MAP_READY)
    page.wait_for_function(f"() => ({TREND_NAMES})().includes('Domestic violence')")
    wait_for_url_part(page, "lang=en")
    chrome = "\n".join(
        page.inner_text(selector)
        for selector in (".header .brand", ".filters", ".kpis", ".card-head", "#trend")
    )
    # everything the interface itself says is English (the switch offers 中文 by name)
    assert not _CJK.search(chrome.replace("中文", "")), chrome
    wait_for_grid_rows(page, CASES)
    headers = " ".join(grid_headers(page, CASES))
    assert "Incident no." in headers and not _CJK.search(headers)
    assert "Page 1 of" in page.inner_text(f"#{CASES} .ag-paging-panel")  # the pager in English
    assert grid_column(page, CASES, "station_code")[0].endswith("Station")
    shoot(page, "overview_en")
    page.reload()  # the choice is kept in the URL …
    page.wait_for_function("() => document.querySelector('.brand-name')?.innerText === 'Anning'")
    page.goto(f"{server}/")  # … and in the browser's local storage
    page.wait_for_function("() => document.querySelector('.brand-name')?.innerText === 'Anning'")
    assert page.inner_text(".kpis").startswith("Incidents")


def _total(page) -> int:
    return int(re.sub(r"[^0-9]", "", page.inner_text("#case-list-total")) or 0)


def test_the_case_list_sorts_pages_and_a_filter_brings_it_back_to_page_one(page, server, shoot):
    _open(page, f"{server}/?lang=en")
    wait_for_grid_rows(page, CASES, 15)
    everything = _total(page)
    assert everything > 30
    newest = grid_column(page, CASES, "reported_at")
    assert newest == sorted(newest, reverse=True)  # newest first to begin with
    # a high risk is red and bold, and nothing else is
    high = page.locator(f"{CASE_ROWS} [col-id=risk_level].grid-risk-high")
    assert high.count() == grid_column(page, CASES, "risk_level").count("High")
    if high.count():
        style = high.first.evaluate(STYLE)
        assert style == "rgb(177, 0, 38) 700"
    number = page.locator(f"{CASE_ROWS}[row-index='0'] [col-id=incident_no]")
    assert number.evaluate("c => getComputedStyle(c).color") == "rgb(20, 80, 200)"  # link blue

    # a click on a header sorts the whole list on the server, by that column (the first row
    # is read before the click: the sorted rows may already be there when the header says so)
    first = grid_column(page, CASES, "incident_no")[0]
    page.click(f"#{CASES} .ag-header-cell[col-id='incident_no'] .ag-header-cell-label")
    page.wait_for_function(
        "() => document.querySelector('#case-table .ag-header-cell[col-id=incident_no]')"
        ".getAttribute('aria-sort') === 'ascending'"
    )
    page.wait_for_function(
        f"([args, first]) => ({GRID_COLUMN})(args)[0] !== first",
        arg=[[CASES, "incident_no"], first],
    )
    wait_for_grid_rows(page, CASES, 15)
    first_page = grid_column(page, CASES, "incident_no")
    assert first_page == sorted(first_page) and len(set(first_page)) == 15

    # the next page goes on in the same order
    page.click(f"#{CASES} .ag-paging-button[data-ref='btNext']")
    page.wait_for_selector(f"{CASE_ROWS}[row-index='15'] [col-id='incident_no']:not(:empty)")
    assert "Page 2 of" in page.inner_text(f"#{CASES} .ag-paging-description")
    second_page = grid_column(page, CASES, "incident_no")
    assert second_page == sorted(second_page) and second_page[0] > first_page[-1]
    shoot(page, "case_list_sorted_page_2_en")

    # a filter: the list starts again from page 1, still in the reader's order
    page.click("#filter-category")
    page.locator(".dash-dropdown-options [role=option]", has_text="Domestic violence").click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        f"() => !document.querySelector('#case-list-total').innerText.includes('{everything:,}')"
    )
    page.wait_for_selector(f"{CASE_ROWS}[row-index='0'] [col-id='incident_no']:not(:empty)")
    assert "Page 1 of" in page.inner_text(f"#{CASES} .ag-paging-description")
    assert page.locator(f"{CASE_ROWS}[row-index='15']").count() == 0
    filtered = _total(page)
    assert 0 < filtered < everything
    wait_for_grid_rows(page, CASES, min(filtered, 15))
    assert set(grid_column(page, CASES, "category")) == {"Domestic violence"}
    numbers = grid_column(page, CASES, "incident_no")
    assert numbers == sorted(numbers)
    wait_for_url_part(page, "cat=domestic_violence")


@pytest.mark.parametrize("raw", ["abc", "-1", "999999999999999999999999"])
def test_a_bad_case_id_says_not_found(page, server, raw):
    page.goto(f"{server}/case/{raw}")
    page.wait_for_selector("#case-not-found")
    text = page.inner_text("body")
    assert "未找到该案件，或您无权查看" in text
    assert "Traceback" not in text and "Error" not in text


def test_a_full_session_stays_on_loopback(page, server, traffic):
    _open(page, f"{server}/?lang=en")
    page.goto(f"{server}/case/1?lang=en")
    page.wait_for_selector("#case-fields")
    assert traffic.seen and all(traffic.allowed(url) for url in traffic.seen)
    assert any("/geo/cells/" in url for url in traffic.local)
    assert any("/_dash-update-component" in url for url in traffic.local)
    # the page fixture fails the test if any request was addressed elsewhere
