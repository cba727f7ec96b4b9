"""The review screen in real Chromium, as the district leadership uses it before a meeting.

Logged in as demo-leader over the shared demo database (not changed here): open /review,
switch the period and the comparison (the URL follows; the back button restores the
controls and the numbers), sort the league table, download the PDF meeting pack, the Excel
workbook and a chart's PNG, and open the cases behind a league-table cell.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from browser_helpers import wait_for_url_part
from conftest import _page

from data.users import DEMO_PASSWORD

pytestmark = pytest.mark.browser

KIND = "#review-kind"
COMPARE = "#review-compare"
#: The league table's station rows (AG Grid's centre part) and its pinned district total.
LEAGUE_ROWS = "#review-league .ag-body .ag-center-cols-container .ag-row"
TOTAL_ROW = "#review-league .ag-floating-bottom-container .ag-row"
#: A column's cells in the order shown: the stations, then the district total.
COLUMN_TEXTS = """column => {
  const rows = sel => [...document.querySelectorAll(sel)]
    .sort((a, b) => +a.getAttribute('row-index') - +b.getAttribute('row-index'))
    .map(r => r.querySelector(`.ag-cell[col-id="${column}"]`).innerText);
  return rows('#review-league .ag-body .ag-center-cols-container .ag-row')
    .concat(rows('#review-league .ag-floating-bottom-container .ag-row'));
}"""
FIRST_KPI = ".review-kpi[data-measure='incidents'] .kpi-value"


@pytest.fixture
def leader_page(browser, server, traffic, login):
    """A fresh page logged in as the district leadership."""
    pages = _page(browser, traffic, [])
    tab = next(pages)
    login(tab, server, "demo-leader", DEMO_PASSWORD)
    yield tab
    with contextlib.suppress(StopIteration):
        next(pages)  # the page's own checks: loopback only, no errors, no CSP violation


def _option(page, group: str, text: str):
    return page.locator(f"{group} label").filter(has_text=text)


def _wait_drawn(page) -> None:
    page.wait_for_selector(LEAGUE_ROWS)
    page.wait_for_function(
        "() => !document.querySelector('.review-chart [data-dash-is-loading=\"true\"]')"
    )


def _league_numbers(page, column: str) -> list[int]:
    cells = page.evaluate(COLUMN_TEXTS, column)
    return [int(c.replace(",", "").replace("+", "")) for c in cells]


def test_the_leader_reviews_a_period_and_takes_the_meeting_pack(leader_page, server, shoot):
    page = leader_page
    page.goto(f"{server}/review")
    _wait_drawn(page)
    assert "period=month" in page.url and "cmp=previous" in page.url
    month_total = page.locator(FIRST_KPI).inner_text()
    assert page.locator(".review-kpi").count() == 9
    # ten stations and the district total
    assert page.locator(LEAGUE_ROWS).count() == 10 and page.locator(TOTAL_ROW).count() == 1
    shoot(page, "review_zh")

    # a week, compared with the same week last year: the URL and the numbers follow
    _option(page, KIND, "按周").click()
    wait_for_url_part(page, "period=week")
    _option(page, COMPARE, "去年同期").click()
    wait_for_url_part(page, "cmp=last_year")
    page.wait_for_function(
        't => document.querySelector("' + FIRST_KPI.replace('"', '\\"') + '").innerText !== t',
        arg=month_total,
    )
    assert "去年同期" in page.locator("#review-compare").inner_text()
    week_url = page.url

    # the back button restores the previous comparison, controls included
    page.go_back()
    wait_for_url_part(page, "cmp=previous")
    page.wait_for_function(
        "() => document.querySelector('#review-compare input[value=\"previous\"]').checked"
    )
    assert "period=week" in page.url
    page.go_forward()
    wait_for_url_part(page, "cmp=last_year")
    assert page.url == week_url
    page.wait_for_function(
        "() => document.querySelector('#review-compare input[value=\"last_year\"]').checked"
    )

    # sort the league table by follow-up visits, ascending: the order and the URL follow
    page.locator(
        "#review-league .ag-header-cell[col-id='visits_done'] .ag-header-cell-label"
    ).click()
    wait_for_url_part(page, "sort=visits_done&dir=asc")
    page.wait_for_function(
        "texts => { const v = (" + COLUMN_TEXTS + ")('visits_done')"
        ".map(s => parseInt(s.replace(/,/g, ''))).slice(0, -1);"
        " return v.length === 10 && v.every((x, i) => i === 0 || v[i - 1] <= x); }"
    )
    numbers = _league_numbers(page, "visits_done")
    assert numbers[:-1] == sorted(numbers[:-1])  # the district total stays last
    assert numbers[-1] >= sum(numbers[:-1])  # the district also holds unplaced cases

    # exports: a PDF and an Excel workbook arrive, non-empty and of the right kind
    with page.expect_download() as pdf_info:
        page.click("#review-export-pdf")
    pdf = pdf_info.value
    assert pdf.suggested_filename.endswith(".pdf")
    data = Path(pdf.path()).read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000
    with page.expect_download() as xlsx_info:
        page.click("#review-export-xlsx")
    xlsx = xlsx_info.value
    assert xlsx.suggested_filename.endswith(".xlsx")
    assert Path(xlsx.path()).read_bytes()[:2] == b"PK"  # a zip: Office Open XML

    # a chart as PNG, from its modebar, made in the browser
    chart = page.locator("#review-trend-category")
    chart.hover()
    with page.expect_download() as png_info:
        chart.locator(".modebar-btn[data-title='Download plot as a PNG']").click()
    png = png_info.value
    assert png.suggested_filename == "review-trend-category.png"
    assert Path(png.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    titles = chart.locator(".modebar-btn").evaluate_all("bs => bs.map(b => b.dataset.title)")
    assert not [t for t in titles if "Share" in t or "Chart Studio" in t], titles

    # a league-table cell opens the list of the cases behind its number
    # (the district total's cell: the number that is most surely not 0)
    row = page.locator(TOTAL_ROW)
    cell = row.locator(".ag-cell[col-id='incidents']")
    shown = int(cell.inner_text().replace(",", ""))
    assert shown > 0
    cell.click()
    page.wait_for_function("() => window.location.pathname === '/cases'")
    assert "m=incidents" in page.url and "st=" not in page.url and "start=" in page.url
    page.wait_for_selector("#case-list-count")
    assert int(page.get_attribute("#case-list-count", "data-total")) == shown
    shoot(page, "cases_from_review_zh")


def test_the_review_reads_in_english(leader_page, server, shoot):
    page = leader_page
    page.goto(f"{server}/review?lang=en&period=week&cmp=last_year")
    _wait_drawn(page)
    text = page.locator("main").inner_text()
    for words in ("Leadership review", "Station league table", "Hour × weekday", "Meeting pack"):
        assert words in text, words
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in page.locator(".review-kpis").inner_text())
    shoot(page, "review_en")
    # a KPI opens its cases: the open late ones of the period, as many as it shows
    shown = int(page.inner_text(".review-kpi[data-measure='late_open'] .kpi-value"))
    page.click(".review-kpi[data-measure='late_open']")
    page.wait_for_function("() => window.location.pathname === '/cases'")
    page.wait_for_selector("#case-list-count")
    assert int(page.get_attribute("#case-list-count", "data-total")) == shown
    assert "Open, late" in page.inner_text("main")
    shoot(page, "cases_en")


def test_the_command_center_gets_the_review_too(page, server):
    """The shared ``page`` is the command center, one of the review's roles."""
    page.goto(f"{server}/review")
    page.wait_for_selector(LEAGUE_ROWS)
    assert page.locator(".review-kpi").count() == 9


def test_a_link_that_already_holds_the_whole_view_draws_it(leader_page, server):
    page = leader_page
    page.goto(f"{server}/review")
    _wait_drawn(page)
    _option(page, KIND, "按周").click()
    page.wait_for_function("() => location.search.includes('period=week')")
    _wait_drawn(page)
    link = page.url  # the canonical form the page itself writes
    page.goto(link)  # a colleague opens the same link
    _wait_drawn(page)
    assert page.url == link  # no rewrite, no extra history entry
