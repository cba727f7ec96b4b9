"""Draw an area on the overview map, get its report: the count said under the map is the
number of cases the report lists, and the area (in metres) is in the report's link."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from browser_helpers import MAP_READY, settled_point

from data.demo.scenario import village_centres
from geo.areas import parse


def _draw_circle(page, lng: float, lat: float, radius_px: int) -> None:
    """Draw a circle on the overview map around ``(lng, lat)``, dragging ``radius_px``."""
    x, y = settled_point(page, lng, lat)
    page.click(".leaflet-draw-draw-circle")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + radius_px // 2, y, steps=5)
    page.mouse.move(x + radius_px, y, steps=5)
    page.mouse.up()


def test_a_drawn_circle_gives_a_report_of_the_cases_inside_it(page, server, shoot):
    page.goto(f"{server}/?lang=en")
    page.wait_for_function(MAP_READY)
    ((_, lng, lat),) = [c for c in village_centres() if c[0].name == "翻身"]
    _draw_circle(page, lng, lat, 60)
    link = page.locator("#map-area-link")
    link.wait_for()
    said = int(re.search(r"([\d,]+) cases in the drawn area", page.inner_text("#map-area-report"))
               .group(1).replace(",", ""))  # fmt: skip
    shoot(page, "map-area-drawn-en")
    area = parse(parse_qs(urlsplit(link.get_attribute("href")).query)["area"][0])
    assert area.is_circle and 100 < area.radius_m < 10_000  # metres, not screen pixels
    assert abs(area.points[0][0] - lng) < 0.01 and abs(area.points[0][1] - lat) < 0.01
    link.click()
    page.wait_for_selector("#case-list-count")
    listed = int(page.get_attribute("#case-list-count", "data-total"))
    assert listed == said and said > 0
    assert page.locator("#case-list-area").count() == 1
    assert page.locator("#case-list-csv").count() == 1
    shoot(page, "map-area-report-en")


def test_two_drawn_areas_are_compared_in_the_review(page, server, shoot):
    """Draw two circles, open their comparison: the review shows both areas' measures, and a
    value opens a case list of exactly that many cases, inside that area."""
    page.goto(f"{server}/?lang=zh")
    page.wait_for_function(MAP_READY)
    centres = {c[0].name: (c[1], c[2]) for c in village_centres()}
    _draw_circle(page, *centres["翻身"], 40)
    page.locator("#map-area-link").wait_for()
    assert page.locator("#map-area-compare").count() == 0  # one area: nothing to compare
    _draw_circle(page, *centres["固戍"], 40)
    compare = page.locator("#map-area-compare")
    compare.wait_for()
    compare.click()
    page.wait_for_selector("#review-areas:not([hidden]) .review-areas-table")
    table = page.inner_text("#review-areas")
    assert "区域 A" in table and "区域 B" in table and "半径" in table
    shoot(page, "review-areas-zh")
    values = page.locator("#review-areas .review-area-value [data-measure=incidents]")
    assert values.count() == 4  # two areas, this period and the comparison period
    shown = int(values.first.inner_text().replace(",", ""))
    href = page.locator("#review-areas .review-area-value").first.get_attribute("href")
    area = parse(parse_qs(urlsplit(href).query)["area"][0])
    lng, lat = centres["翻身"]
    assert area.is_circle and abs(area.points[0][0] - lng) < 0.01
    assert abs(area.points[0][1] - lat) < 0.01
    values.first.click()
    page.wait_for_selector("#case-list-count")
    assert int(page.get_attribute("#case-list-count", "data-total")) == shown
    assert page.locator("#case-list-area").count() == 1
