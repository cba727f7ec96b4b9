"""The overview map's search: a community found by name, and the map flies to it."""

from __future__ import annotations

from browser_helpers import MAP_READY, PROJECT, ZOOM

from data.demo.scenario import village_centres


def test_a_search_finds_a_community_and_the_map_zooms_to_it(page, server, shoot):
    page.goto(f"{server}/?lang=en")
    page.wait_for_function(MAP_READY)
    fitted = page.evaluate(ZOOM)
    page.fill("#map-search", "Gushu")
    page.press("#map-search", "Enter")
    hit = page.locator(".map-search-hit").first
    hit.wait_for()
    assert "Gushu Community" in hit.inner_text() and "Urban village" in hit.inner_text()
    shoot(page, "map-search-en")
    hit.click()
    page.wait_for_function(f"() => ({ZOOM})() > {fitted + 2}")  # flown in
    page.wait_for_timeout(600)  # the flight ends
    ((_, lng, lat),) = [c for c in village_centres() if c[0].name == "固戍"]
    x, y = page.evaluate(PROJECT, [lng, lat])
    box = page.locator("#map").bounding_box()
    # the community's centre is on the map, near its middle
    assert abs(x - (box["x"] + box["width"] / 2)) < box["width"] / 4
    assert abs(y - (box["y"] + box["height"] / 2)) < box["height"] / 4
    page.fill("#map-search", "no-such-place-xyz")
    page.press("#map-search", "Enter")
    page.wait_for_selector(".map-search-results >> text=Nothing found.")
