"""The analytic layers in headless Chromium: switcher, legend, parameters, layer table, API.

Runs against the real server and the 3,000-incident demo of conftest.py, logged in as the
demo command center when the server asks for a login. The ``page`` fixture fails a test if
any request leaves the loopback server.
"""

from __future__ import annotations

import json
import re

import pytest
from browser_helpers import grid_column, grid_headers, wait_for_grid_rows, wait_for_url_part

pytestmark = pytest.mark.browser

_CJK = re.compile(r"[\u3400-\u9fff]")
DEMO_USER = "demo-command"
DEMO_PASSWORD = "anning-demo"

#: True once the map shows layer ``layer``, painted (``assets/leaflet_map.js``).
LAYER_READY = """
(layer) => {
  const info = window.anningMap && window.anningMap.info('map');
  const paint = info && info.painted > 0 && window.anningMap.leaflet('map');
  return !!paint && window.anningMap.layerShown('map') === layer;
}
"""

#: The points of the repeat-address layer: their cells, radii and on-screen positions.
POINTS = "() => window.anningMap.points('map')"
#: The layer table (an AG Grid) and its rows.
TABLE = "layer-table"
TABLE_ROWS = f"#{TABLE} .ag-center-cols-container .ag-row"


def _param_input(layer: str, name: str) -> str:
    """CSS selector of a parameter control (Dash writes pattern ids as sorted JSON)."""
    return f"""[id='{
        json.dumps({"layer": layer, "param": name, "type": "layer-param"}, separators=(",", ":"))
    }']"""


def _open(page, url: str) -> None:
    page.goto(url)
    if "/login" in page.url:
        page.fill("#login-username", DEMO_USER)
        page.fill("#login-password", DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"^(?!.*/login)"))
    page.wait_for_selector("#map.leaflet-container")
    page.wait_for_selector("#map-legend .map-legend")


def _choose(page, dropdown: str, option: str) -> None:
    page.click(f"#{dropdown}")
    page.locator(".dash-dropdown-options [role=option]", has_text=option).first.click()


def test_hot_spots_k_and_the_layer_table(page, server, shoot, traffic):
    _open(page, f"{server}/")
    _choose(page, "map-layer", "热点与冷点（Gi*）")
    page.wait_for_function(LAYER_READY, arg="hotspot")
    page.wait_for_function("() => location.search.includes('layer=hotspot')")
    legend = page.inner_text("#map-legend")
    for words in ("Gi* 热点等级", "热点（99% 置信）", "不显著", "冷点（99% 置信）"):
        assert words in legend
    assert "Getis-Ord" in page.inner_text("#map-layer-hint")
    page.wait_for_timeout(500)  # let Leaflet finish painting before the picture
    shoot(page, "layer_hotspot")

    k = page.locator(_param_input("hotspot", "k"))
    assert k.get_attribute("min") == "0" and k.get_attribute("max") == "5"
    k.fill("2")
    k.press("Enter")
    page.wait_for_function("() => location.search.includes('k=2')")

    page.locator("#list-tabs label", has_text="图层数据").click()
    page.wait_for_selector(f"#layer-panel:not([hidden]) {TABLE_ROWS} [col-id=label]:not(:empty)")
    page.wait_for_function(
        "() => document.querySelector('#layer-table-export').getAttribute('href').includes('k=2')"
    )
    headers = " ".join(grid_headers(page, TABLE))
    assert "热点等级" in headers and "派出所" in headers
    wait_for_grid_rows(page, TABLE, 15)
    assert grid_column(page, TABLE, "label")[0].startswith("热点")  # hottest first
    hottest = float(grid_column(page, TABLE, "z")[0])
    assert "共" in page.inner_text("#layer-table-total")
    export = page.get_attribute("#layer-table-export", "href")
    assert export.startswith("/api/v1/layers/hotspot?") and "format=csv" in export
    wait_for_url_part(page, "tab=layer")
    # the table pages on the server, and a header sorts it: the coldest first
    page.click(f"#{TABLE} .ag-paging-button[data-ref='btNext']")
    page.wait_for_selector(f"{TABLE_ROWS}[row-index='15'] [col-id=label]:not(:empty)")
    assert "第 2 /" in page.inner_text(f"#{TABLE} .ag-paging-description")
    page.click(f"#{TABLE} .ag-header-cell[col-id='z'] .ag-header-cell-label")
    page.wait_for_selector(f"{TABLE_ROWS}[row-index='0'] [col-id=label]:not(:empty)")
    assert "第 1 /" in page.inner_text(f"#{TABLE} .ag-paging-description")
    wait_for_grid_rows(page, TABLE, 15)
    scores = [float(z) for z in grid_column(page, TABLE, "z")]
    assert scores == sorted(scores) and scores[0] < hottest
    # twice more: the highest scores first (halo cells too), then the layer's own order again
    # (core hot spots before halo cells)
    first = f"{TABLE_ROWS}[row-index='0']"
    for order, check in (("descending", ">="), ("none", "===")):
        page.click(f"#{TABLE} .ag-header-cell[col-id='z'] .ag-header-cell-label")
        page.wait_for_function(
            f"""([order, z]) => {{
              const head = document.querySelector('#layer-table .ag-header-cell[col-id=z]');
              const cell = document.querySelector("{first} [col-id=z]");
              const label = document.querySelector("{first} [col-id=label]");
              return head.getAttribute('aria-sort') === order && !!cell && !!label
                && Number(cell.innerText) {check} z
                && (order !== 'none' || !label.innerText.includes('外围'));
            }}""",
            arg=[order, hottest],
        )
    wait_for_grid_rows(page, TABLE, 15)
    assert grid_column(page, TABLE, "label")[0].startswith("热点")
    # a row selects its cell and shows the cases there
    page.click(f"{TABLE_ROWS}[row-index='0'] [col-id=station]")
    page.wait_for_selector("#cases-panel:not([hidden])")
    page.wait_for_function("() => document.querySelector('#selection-chip-wrap')?.hidden === false")
    wait_for_url_part(page, "sel=cell:")
    page.wait_for_function(
        "() => /\\d/.test(document.querySelector('#case-list-total')?.innerText || '')"
    )


def test_the_early_warning_table_shows_reasons_as_chips(page, server, shoot):
    _open(page, f"{server}/?tab=layer")
    _choose(page, "layer-table-source", "预警清单")
    page.wait_for_selector(f"{TABLE_ROWS} [col-id=reasons] code")
    wait_for_url_part(page, "table=early_warning")
    headers = grid_headers(page, TABLE)
    assert headers[:5] == ["排名", "清单", "清单内排名", "类型", "预警原因"]
    chips = page.locator(f"{TABLE_ROWS} [col-id=reasons] code").all_inner_texts()
    assert chips and all(_CJK.search(c) and "_" not in c for c in chips)
    # its parameters are shown, the map layer's are not
    assert page.locator(_param_input("early_warning", "high_risk_days")).is_visible()
    links = page.locator(f"{TABLE_ROWS} [col-id=incident_ids] a")
    assert links.count() > 0
    href = links.first.get_attribute("href")
    assert re.match(r"^/case/\d+\?", href) and "table=early_warning" in href
    assert links.first.get_attribute("target") == "_self"  # the same tab
    colour = links.first.evaluate("a => getComputedStyle(a).color")
    assert colour == "rgb(20, 80, 200)"  # the accent blue, not the data table's pink
    shoot(page, "early_warning_table")

    links.first.click()
    page.wait_for_url(re.compile(r"/case/\d+\?"))
    page.wait_for_selector("#case-fields")


def test_repeat_addresses_are_dots_that_drill_down(page, server, shoot):
    _open(page, f"{server}/?layer=repeat_addresses")
    page.wait_for_function(LAYER_READY, arg="repeat_addresses")
    legend = page.inner_text("#map-legend")
    assert "地址事件数" in legend and "圆点大小表示事件数" in legend
    points = page.evaluate(POINTS)
    assert len(points) > 3
    page.wait_for_timeout(500)
    shoot(page, "layer_repeat_addresses")

    biggest = max(points, key=lambda p: p["size"])
    page.mouse.move(biggest["x"], biggest["y"])
    page.wait_for_timeout(200)
    page.mouse.click(biggest["x"], biggest["y"])
    page.wait_for_function("() => document.querySelector('#selection-chip-wrap')?.hidden === false")
    assert biggest["cell"] in page.inner_text("#selection-chip")
    wait_for_grid_rows(page, "case-table")
    assert grid_column(page, "case-table", "incident_no")


def test_a_shared_link_reproduces_the_view_in_english(page, server):
    _open(page, f"{server}/?lang=en&layer=patrol_plan&method=counts&tab=layer")
    page.wait_for_function(LAYER_READY, arg="patrol_plan")
    method = page.locator(_param_input("patrol_plan", "method"))
    assert "Incident counts" in method.inner_text()
    assert "Patrol priority" in page.inner_text("#map-legend")
    chrome = "\n".join(
        page.inner_text(s)
        for s in (".map-card .layer-bar", ".map-card .param-bar", "#map-legend", "#layer-panel")
    )
    assert not _CJK.search(chrome), chrome


#: The hexagons drawn with the second layer's outline, and the points with their opacity.
OUTLINED = "() => window.anningMap.outlinedCells('map')"
POINT_OPACITY = """() => window.anningMap.leaflet('map') && [...Object.values(
  window.anningMap.leaflet('map')._layers)].filter(l => l.feature && l.getRadius
  && !(l.feature.properties || {}).halo).map(l => l.options.fillOpacity)"""


def test_two_layers_at_once_each_with_its_opacity(page, server, shoot):
    """Patrol cells outlined over the hot spots, then repeat addresses over them: the number
    the legend gives is the number drawn, each layer's opacity follows its slider, and the
    link carries both layers."""
    _open(page, f"{server}/?layer=hotspot")
    page.wait_for_function(LAYER_READY, arg="hotspot")
    _choose(page, "map-overlay", "巡逻方案")
    page.wait_for_function("() => location.search.includes('over=patrol_plan')")
    page.wait_for_function(f"() => {OUTLINED[6:]}.length > 0")
    page.wait_for_function("() => document.querySelector('.overlay-legend') !== null")
    legend = page.inner_text("#map-legend")
    assert "Gi* 热点等级" in legend  # the first layer's legend stays
    drawn = re.search(r"叠加：巡逻方案，(\d+) 个六边形以蓝色边框标出", legend)
    assert drawn, legend
    outlined = page.evaluate(OUTLINED)
    assert len(outlined) == int(drawn.group(1))
    assert {o["colour"] for o in outlined} == {"#1450c8"} and outlined[0]["opacity"] == 0.9
    # the plan's parameters show, named as the second layer's
    caption = page.locator(".param-group-overlay .param-group-caption")
    assert caption.is_visible() and "巡逻方案" in caption.inner_text()
    page.wait_for_timeout(500)
    shoot(page, "layer_overlay_patrol_on_hotspots")

    # the second layer's opacity: one step down with the keyboard
    page.locator("#map-overlay-opacity [role=slider]").focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => location.search.includes('op=80,80')")
    page.wait_for_function(f"() => {OUTLINED[6:]}.every(o => o.opacity === 0.8)")

    # repeat addresses over the hot spots: dots, at the second layer's opacity
    _choose(page, "map-overlay", "重复警情地址")
    page.wait_for_function("() => location.search.includes('over=repeat_addresses')")
    page.wait_for_function(f"() => ({POINT_OPACITY[6:]} || []).length > 3")
    assert set(page.evaluate(POINT_OPACITY)) == {0.8}
    assert page.evaluate(OUTLINED) == []
    assert "叠加：重复警情地址" in page.inner_text("#map-legend")

    # the map layer becomes the overlay's layer: the overlay goes
    _choose(page, "map-layer", "重复警情地址")
    page.wait_for_function("() => !location.search.includes('over=')")
    page.wait_for_function(LAYER_READY, arg="repeat_addresses")
    assert "无" in page.inner_text("#map-overlay")


def test_the_api_answers_in_the_logged_in_browser(page, server):
    _open(page, f"{server}/")
    body = page.evaluate("async () => (await fetch('/api/v1/layers/hotspot?k=2&res=9')).json()")
    assert body["layer"] == "hotspot" and body["params"]["k"] == 2 and body["count"] > 0
    refused = page.evaluate(
        "async () => { const r = await fetch('/api/v1/layers/hotspot?k=1;DROP'); "
        "return [r.status, await r.json()]; }"
    )
    assert refused[0] == 400 and "'k'" in refused[1]["error"]
