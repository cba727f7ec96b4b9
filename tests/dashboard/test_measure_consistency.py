"""One measure, one value: each measure is computed once from :mod:`measures` and found with
the same value on the review page, in the Excel workbook, in the PDF meeting pack, in the JSON
API, on the wall and in the station workspace, for the same scope, period and ``now``.

Over the fixture district (tests/dashboard/conftest.py), as the command center, November
2026, judged at 2026-11-30 04:00 UTC. The wall's "open cases past a service level" tile and the
review's "open, late" figure are the same count (every report date on the wall, the period's in
the review), and the share "service levels met" is met ÷ (met + late) of the same checks.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import polars as pl
import pytest
from component_tree import find
from openpyxl import load_workbook
from pypdf import PdfReader

from dashboard.parts.i18n import t
from dashboard.screens.command import page as command
from dashboard.screens.review import export as review_export
from dashboard.screens.review import page as review
from dashboard.screens.review.report import fmt_value
from dashboard.screens.station.panels import panel_data
from data.access import CaseAccess, IncidentFilter, Scope
from measures import review as rd
from measures import service
from measures import station as station_measures
from measures import wall as wall_measures

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
NOVEMBER = rd.Period(date(2026, 11, 1), date(2026, 11, 30))
QUERY = "period=month&day=2026-11-01&cmp=previous"


@pytest.fixture
def fixed_now(monkeypatch):
    """The review page and its exports judge at :data:`NOW`, as the test does."""
    monkeypatch.setattr(review, "layer_now", lambda *_a, **_k: NOW)
    monkeypatch.setattr(review_export, "layer_now", lambda *_a, **_k: NOW)


@pytest.fixture
def computed(fixture_engine):
    """Each measure computed once, straight from :mod:`measures`."""
    access = CaseAccess(fixture_engine)
    scope = Scope(user="t")
    incidents = access.incidents(scope, IncidentFilter())
    visits = access.follow_up_visits(scope)
    totals = rd.measures(incidents, visits, NOVEMBER, NOW, access.tz, by=None).row(0, named=True)
    per_station = {
        r["station_code"]: r
        for r in rd.measures(incidents, visits, NOVEMBER, NOW, access.tz).to_dicts()
        if r["station_code"] is not None  # T5, placed nowhere, is in the totals only
    }
    extent = access.date_extent(scope)
    everything = rd.measures(incidents, visits, rd.Period(*extent), NOW, access.tz, by=None)
    checks = service.checks(incidents, visits, NOW)
    return {
        "totals": totals,
        "stations": per_station,
        "all_dates": everything.row(0, named=True),
        "checks": checks,
        "incidents": incidents,
        "tz": access.tz,
    }


def test_the_fixture_gives_every_measure_something_to_agree_on(computed):
    totals = computed["totals"]
    assert totals["incidents"] == 4 and totals["late_open"] >= 1
    assert totals["sla_compliance"] is not None and totals["handled_24h_share"] is not None
    assert len(computed["stations"]) >= 2


def test_the_review_page_shows_the_computed_values(request_context, fixed_now, computed):
    params = dict(pair.split("=") for pair in QUERY.split("&"))
    _caption, _notes, kpis, *_rest, rows, _total, _pdf, _xlsx, _areas, _no_areas = (
        review.update_review(params, "en")
    )
    shown = {
        card.children.to_plotly_json()["props"]["data-measure"]: card.children.children[1].children
        for card in kpis
    }
    assert set(shown) == set(rd.MEASURES)
    for measure in rd.MEASURES:
        assert shown[measure] == fmt_value(measure, computed["totals"][measure]), measure
    by_station = {r["id"]: r for r in rows}
    for code, values in computed["stations"].items():
        for measure in rd.MEASURES:
            shown = by_station[code][f"{measure}__text"]  # the text the grid shows
            assert shown == fmt_value(measure, values[measure]), (code, measure)


def test_the_workbook_holds_the_computed_values(client, fixed_now, computed):
    response = client.get(f"/review/export.xlsx?lang=en&{QUERY}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))[t("review.xlsx.league", "en")]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    total = dict(zip(header, rows[-1], strict=True))
    assert total[header[0]] == t("review.total_row", "en")
    for measure in rd.MEASURES:
        assert total[t(f"review.m.{measure}", "en")] == pytest.approx(computed["totals"][measure])


def test_the_meeting_pack_prints_the_computed_totals(client, fixed_now, computed):
    response = client.get(f"/review/export.pdf?lang=en&{QUERY}")
    assert response.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    text = re.sub(r"[\s\x00]+", "", text)
    totals = computed["totals"]
    # the league table's total row: every measure, in the table's order
    row = "".join(fmt_value(m, totals[m]) for m in rd.MEASURES[1:])
    assert row.replace(" ", "") in text


def test_the_api_answers_the_computed_values(client, computed):
    now = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    response = client.get(f"/api/v1/measures?start=2026-11-01&end=2026-11-30&now={now}")
    assert response.status_code == 200, response.json
    body = response.json
    for measure in rd.MEASURES:
        assert body["totals"][measure] == pytest.approx(computed["totals"][measure]), measure
    stations = {r["station_code"]: r for r in body["stations"]}
    for code, values in computed["stations"].items():
        for measure in rd.MEASURES:
            assert stations[code][measure] == pytest.approx(values[measure]), (code, measure)
    # the wall's late-case tile over every date is the review's late_open over every date
    assert body["wall"]["sla_breached"] == computed["all_dates"]["late_open"]
    bad = client.get("/api/v1/measures?start=2026-13-01")
    assert bad.status_code == 400 and "start" in bad.json["error"]


def test_the_wall_tile_and_the_review_count_the_same_late_cases(request_context, computed):
    tiles, *_ = command.refresh(0, None, {"w": 1200, "h": 700}, "en", None, now=NOW)
    shown = find(tiles, command.tile_id("sla_breached")).children
    late = computed["all_dates"]["late_open"]
    assert shown == f"{late:,}" and late == service.late_open(computed["checks"])
    # and the wall's other tiles are the measures module's
    direct = wall_measures.compute_tiles(
        computed["incidents"], computed["checks"], NOW, computed["tz"]
    )
    for tile in direct:
        assert find(tiles, command.tile_id(tile.key)).children == f"{tile.value:,}"
    # the share "met" and the late count rest on the same checks: every judged check is one
    judged = computed["checks"].filter(pl.col("state") != "pending")
    met = judged.filter(pl.col("state") == "met").height
    assert service.sla_compliance(computed["checks"]) == pytest.approx(met / judged.height)


def test_the_station_workspace_counts_the_same_overdue_follow_ups(request_context, computed):
    from dashboard.parts.services import services
    from dashboard.web.scope import current_scope

    for code in computed["stations"]:
        data = panel_data(services(), current_scope(), code, NOW)
        station_checks = computed["checks"].filter(pl.col("station_code") == code)
        overdue = station_measures.follow_ups_overdue(station_checks).height
        assert data.overdue == overdue
        assert overdue == service.late_open_by_level(station_checks)["follow_up_4_in_2m"]
        assert data.due.height == station_measures.follow_ups_due(station_checks, NOW).height
