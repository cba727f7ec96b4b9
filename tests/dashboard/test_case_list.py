"""The case list (``/cases``): every number opens exactly the cases it counts, page by page.

Over the fixture district (tests/dashboard/conftest.py), as the command center. Each wall tile
and each counted review measure is computed from :mod:`measures`, and the list its link opens
holds that many cases; the list pages through everything with links, and says why when its URL
cannot be read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from component_tree import find, text_of

from dashboard.parts.case_links import href
from dashboard.screens import cases as case_list
from dashboard.screens.command import parts as wall_parts
from data.access import CaseAccess, IncidentFilter, Scope
from measures import cases, service
from measures import review as rd
from measures import wall as wall_measures

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
NOVEMBER = rd.Period(date(2026, 11, 1), date(2026, 11, 30))


def _render(url: str):
    parts = urlsplit(url)
    lang = parse_qs(parts.query).get("lang", ["zh"])[0]
    return case_list.layout(lang, "?" + parts.query)


def _listed(page) -> int:
    return int(find(page, case_list.COUNT_ID).to_plotly_json()["props"]["data-total"])


@pytest.fixture
def frames(fixture_engine):
    access = CaseAccess(fixture_engine)
    scope = Scope(user="t")
    return access.incidents(scope, IncidentFilter()), access.follow_up_visits(scope), access.tz


def test_a_spec_survives_its_url_and_bad_ones_say_why():
    spec = cases.spec_for(
        "late_open", NOVEMBER.start, NOVEMBER.end, ("BA01",), now=NOW, sla="closed_15d"
    )
    query = urlsplit(href(spec, "en")).query
    params = {k: v[-1] for k, v in parse_qs(query).items()}
    assert cases.CaseSpec.from_params(params) == spec
    with pytest.raises(cases.SpecError, match="m: unknown measure"):
        cases.CaseSpec.from_params({"m": "nope"})
    with pytest.raises(cases.SpecError, match="start"):
        cases.CaseSpec.from_params({"start": "2026-13-01"})
    with pytest.raises(cases.SpecError, match="nos"):
        cases.CaseSpec.from_params({"nos": ",".join(["T1"] * 501)})
    assert cases.CaseSpec.from_params({"m": "warning", "nos": "T1,T3"}).nos == ("T1", "T3")


def test_every_wall_tile_opens_as_many_cases_as_it_shows(request_context, frames):
    incidents, visits, tz = frames
    tiles = wall_measures.compute_tiles(incidents, service.checks(incidents, visits, NOW), NOW, tz)
    links = wall_parts.tile_components(tiles, "zh", NOW)
    assert any(tile.value for tile in tiles)
    for tile, link in zip(tiles, links, strict=True):
        assert link.href == href(cases.spec_for(f"tile.{tile.key}", now=NOW), "zh")
        assert _listed(_render(link.href)) == tile.value, tile.key


@pytest.mark.parametrize(
    "measure", ["incidents", "late_open", "warning_letters", "protection_orders"]
)
def test_every_counted_review_measure_opens_its_cases(request_context, frames, measure):
    incidents, visits, tz = frames
    per_station = rd.measures(incidents, visits, NOVEMBER, NOW, tz)
    total = rd.measures(incidents, visits, NOVEMBER, NOW, tz, by=None).row(0, named=True)
    spec = cases.spec_for(measure, NOVEMBER.start, NOVEMBER.end, now=NOW)
    assert _listed(_render(href(spec, "en"))) == total[measure]
    for row in per_station.iter_rows(named=True):
        if row["station_code"] is None:
            continue
        one = cases.spec_for(measure, NOVEMBER.start, NOVEMBER.end, (row["station_code"],), NOW)
        assert _listed(_render(href(one, "en"))) == row[measure], row["station_code"]


def test_the_misses_of_a_share_are_its_late_cases(frames):
    incidents, visits, tz = frames
    spec = cases.spec_for("sla_compliance", NOVEMBER.start, NOVEMBER.end, now=NOW)
    listed = set(cases.select(incidents, visits, spec, NOW, tz)["id"].to_list())
    checks = service.checks(rd.in_period(incidents, NOVEMBER, tz), visits, NOW)
    late = checks.filter(checks["state"] == "late")
    assert listed == set(late["incident_id"].to_list()) and listed


def test_a_long_list_pages_through_everything_with_links(request_context, monkeypatch):
    monkeypatch.setattr(cases, "PAGE_SIZE", 2)
    spec = cases.spec_for("incidents", now=NOW)
    first = _render(href(spec, "en"))
    assert _listed(first) == 5
    rows = find(first, case_list.TABLE_ID).children[1].children
    assert len(rows) == 2
    pager = find(first, case_list.PAGER_ID)
    targets = [c.href for c in pager.children if hasattr(c, "href")]
    assert href(spec.with_page(2), "en") in targets and href(spec.with_page(3), "en") in targets
    last = _render(href(spec.with_page(3), "en"))
    assert len(find(last, case_list.TABLE_ID).children[1].children) == 1
    assert "5 cases; this page: 5–5" in text_of(last)
    one = _render(href(cases.spec_for("incidents", NOVEMBER.start, NOVEMBER.start, now=NOW), "en"))
    assert find(one, case_list.COUNT_ID).children == "0 cases"  # no pager for one page


def test_addresses_are_masked_for_a_role_without_personal_details(request_context):
    page = _render(href(cases.spec_for("incidents", now=NOW), "zh"))
    words = text_of(find(page, case_list.TABLE_ID))
    assert "固戍*路*栋*室" in words and "12栋302室" not in words


def test_a_bad_list_url_says_why(request_context):
    page = _render("/cases?lang=en&m=nope")
    assert "unknown measure" in text_of(page)


def test_every_legend_class_of_the_wall_opens_its_cases(request_context, frames):
    incidents, _visits, tz = frames
    now = datetime(2026, 11, 12, 4, 0, tzinfo=UTC)
    pulsing = wall_measures.pulsing(incidents, now)
    keys = wall_parts.legend("en", pulsing.height, now, tz)
    hrefs = [key.href for key in keys]
    assert len(hrefs) == 4 and all(h.startswith("/cases?") for h in hrefs)
    assert "m=hotspot" in hrefs[0] and "cls=3" in hrefs[0] and "res=8" in hrefs[0]
    assert "m=pulse" in hrefs[3]
    assert pulsing.height == 2  # T2 and T3 (T5 could not be placed)
    assert _listed(_render(hrefs[3])) == pulsing.height
    page = _render(hrefs[0])
    assert "Incidents in hot-spot cells" in text_of(page)
    assert wall_parts.legend("en", 0)[0].__class__.__name__ == "Span"  # before the first refresh


def test_the_station_s_follow_ups_open_their_whole_lists(request_context):
    from dashboard.parts.services import services
    from dashboard.screens.station.panels import due_panel, panel_data
    from dashboard.web.scope import current_scope

    later = datetime(2027, 1, 20, 4, 0, tzinfo=UTC)  # T1 and T3 are past their 61 days
    # T3 (BA01) closed on 13 November: a closed case is no one's overdue visit
    assert panel_data(services(), current_scope(), "BA01", later).overdue == 0
    for code in ("BA02",):
        data = panel_data(services(), current_scope(), code, later)
        assert data.overdue == 1, code
        panel = due_panel(data.due, data.overdue, "en", "Asia/Shanghai", "", "due", code, later)
        link = find(panel, "due-overdue")
        assert "m=follow_ups_overdue" in link.href and f"st={code}" in link.href
        page = _render(link.href)
        assert _listed(page) == data.overdue
        assert "Overdue follow-up visits" in text_of(page)
