"""Two areas drawn on the overview's map, compared in the review: each value is the review's
measure over the incidents inside the area, and opens exactly those cases.

Over the fixture district (tests/dashboard/conftest.py), as the command center, November
2026 against October, judged at 2026-11-30 04:00 UTC. Area A is a 300 m circle on the
centre of station BA02 (where the fixture places T1 and T2), area B one on BA01's (T3).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from component_tree import find, find_all, text_of

from dashboard.screens.overview import page as overview
from dashboard.screens.review import page as review
from dashboard.screens.review.state import from_query, to_query
from data.access import CaseAccess, IncidentFilter, Scope
from geo.areas import haversine_m, parse
from measures import cases
from measures import review as rd
from tests.dashboard.conftest import CENTRES

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
NOVEMBER = rd.Period(date(2026, 11, 1), date(2026, 11, 30))
RADIUS_M = 300.0


def _circle(station: str) -> str:
    lng, lat = CENTRES[station]
    return f"circle:{lng},{lat},{RADIUS_M}"


AREA_A, AREA_B = parse(_circle("BA02")).text(), parse(_circle("BA01")).text()


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr(review, "layer_now", lambda *_a, **_k: NOW)


def test_the_review_url_carries_two_areas_or_none():
    query = f"?period=month&day=2026-11-01&area_a={AREA_A}&area_b={AREA_B}"
    state = from_query(query, None, date(2026, 12, 1))
    assert state.areas == (AREA_A, AREA_B)
    assert from_query(to_query(state, "zh"), None, date(2026, 12, 1)).areas == state.areas
    for bad in (f"?area_a={AREA_A}", f"?area_a={AREA_A}&area_b=circle:999,0,5", "?area_b=x"):
        assert from_query(bad, None, date(2026, 12, 1)).areas == ()
    assert "area_a" not in to_query(from_query("?period=month", None, date(2026, 12, 1)), "en")


def _shown(section) -> dict[tuple[int, str, str], tuple[str, str]]:
    """(area index, period, measure) → (value shown, case-list link) of every linked value."""
    links = find_all(section, lambda c: getattr(c, "className", "") == "review-area-value")
    out = {}
    for link in links:
        params = {k: v[0] for k, v in parse_qs(urlsplit(link.href).query).items()}
        index = (AREA_A, AREA_B).index(params["area"])
        measure = link.children.to_plotly_json()["props"]["data-measure"]
        out[(index, params["start"], measure)] = (link.children.children, link.href)
    return out


def test_each_value_is_the_measure_inside_its_area_and_opens_those_cases(
    request_context, fixed_now, fixture_engine
):
    params = {"period": "month", "day": "2026-11-01", "cmp": "previous"}
    params |= {"area_a": AREA_A, "area_b": AREA_B}
    *_, section, hidden = review.update_review(params, "en")
    assert not hidden
    words = text_of(section)
    assert "Area A" in words and "Area B" in words and "a circle of 300 m radius" in words
    shown = _shown(section)
    assert len(shown) == 2 * 2 * len(rd.MEASURES)  # both areas, both periods, every measure

    access = CaseAccess(fixture_engine)
    incidents = access.incidents(Scope(user="t"), IncidentFilter())
    visits = access.follow_up_visits(Scope(user="t"))
    # planted: the November incidents within 300 m of each centre, counted independently
    local = incidents["reported_at"].dt.replace_time_zone("UTC").dt.convert_time_zone(access.tz)
    in_november = (local.dt.date() >= NOVEMBER.start) & (local.dt.date() <= NOVEMBER.end)
    for index, station in enumerate(("BA02", "BA01")):
        lng, lat = CENTRES[station]
        near = (
            haversine_m(
                incidents["lng"].cast(float).fill_null(np.nan).to_numpy(),
                incidents["lat"].cast(float).fill_null(np.nan).to_numpy(),
                lng,
                lat,
            )
            <= RADIUS_M
        )
        planted = int((near & in_november.to_numpy()).sum())
        value, href = shown[(index, "2026-11-01", "incidents")]
        assert int(value.replace(",", "")) == planted > 0, station
        # every count opens a list of exactly that many cases
        for measure in ("incidents", "warning_letters", "protection_orders", "late_open"):
            value, href = shown[(index, "2026-11-01", measure)]
            query = {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}
            spec = cases.CaseSpec.from_params(query)
            listed = cases.select(incidents, visits, spec, NOW, access.tz).height
            assert listed == int(value.replace(",", "")), (station, measure)
    # T1 (high risk, a warning letter) is in area A, T3 (a protection order) in area B
    assert shown[(0, "2026-11-01", "warning_letters")][0] == "1"
    assert shown[(1, "2026-11-01", "protection_orders")][0] == "1"
    assert shown[(1, "2026-11-01", "warning_letters")][0] == "0"


def test_without_two_areas_the_section_stays_hidden(request_context, fixed_now):
    params = {"period": "month", "day": "2026-11-01", "area_a": AREA_A}
    *_, section, hidden = review.update_review(params, "en")
    assert section == [] and hidden


def test_two_drawn_areas_offer_the_comparison(request_context):
    def circle(station: str) -> dict:
        lng, lat = CENTRES[station]
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lng, lat]},
            "properties": {"type": "circle", "_mRadius": RADIUS_M, "_radius": 12},
        }

    one = {"type": "FeatureCollection", "features": [circle("BA02")]}
    report = overview.area_report(one, "2026-08-15", "2026-11-12", "zh")
    assert find(report, overview.AREA_COMPARE) is None  # one area: nothing to compare
    two = {"type": "FeatureCollection", "features": [circle("BA02"), circle("BA01")]}
    report = overview.area_report(two, "2026-08-15", "2026-11-12", "zh")
    link = find(report, overview.AREA_COMPARE)
    assert link is not None and urlsplit(link.href).path == "/review"
    state = from_query(urlsplit(link.href).query, None, date(2026, 12, 1))
    assert state.areas == (AREA_A, AREA_B)
    # the list's link is the last area's
    last = find(report, overview.AREA_LINK)
    assert parse_qs(urlsplit(last.href).query)["area"] == [AREA_B]
