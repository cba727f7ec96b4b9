"""The station workspace in headless Chromium against the real server and the demo district.

The main path of a station chief (demo-chief, Xin'an BA01): open the station, search an
address, sort, page, open a case (linked incidents shown), come back, export (the download
arrives and is audited), print the patrol sheet (one A4 page); another station's code shows
the forbidden page.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from browser_helpers import wait_for_url_part

pytestmark = pytest.mark.browser

CHIEF = "demo-chief"
OWN, OTHER = "BA01", "BA02"
SCREEN = {"width": 1440, "height": 900}
ROWS = "#station-grid .ag-center-cols-container .ag-row"


def _total(page) -> int:
    text = page.inner_text("#station-total")
    return int(re.sub(r"[^0-9]", "", text) or 0)


def _wait_rows(page) -> None:
    page.wait_for_selector(f"{ROWS}[row-index='0'] [col-id='incident_no']:not(:empty)")


def _column(page, col_id: str) -> list[str]:
    return page.eval_on_selector_all(
        f"{ROWS} [col-id='{col_id}']", "cells => cells.map(c => c.innerText.trim())"
    )


@pytest.fixture
def chief_page(anonymous_page, server, login):
    """A page logged in as Xin'an's station chief, at the size of a desk screen."""
    from data.users import DEMO_PASSWORD

    anonymous_page.set_viewport_size(SCREEN)
    login(anonymous_page, server, CHIEF, DEMO_PASSWORD)
    return anonymous_page


def test_the_chief_searches_sorts_pages_opens_a_case_and_comes_back(chief_page, server, shoot):
    page = chief_page
    page.goto(f"{server}/station/{OWN}")
    _wait_rows(page)
    page.wait_for_selector("#station-due")
    all_cases = _total(page)
    assert all_cases > 40
    shoot(page, "station-zh")

    page.fill("#station-search", "洪浪")
    page.press("#station-search", "Enter")
    wait_for_url_part(page, "q=%E6%B4%AA%E6%B5%AA")
    page.wait_for_function(
        f"() => !document.querySelector('#station-total').innerText.includes('{all_cases:,}')"
    )
    _wait_rows(page)
    found = _total(page)
    assert 0 < found < all_cases
    assert all("洪浪" in a for a in _column(page, "address_raw"))

    page.click("#station-grid .ag-header-cell[col-id='risk_level'] .ag-header-cell-label")
    wait_for_url_part(page, "sort=risk_level")
    page.wait_for_function(
        f"() => document.querySelector(\"{ROWS}[row-index='0'] [col-id='risk_level']\")"
        ".innerText.trim() === '高'"
    )

    page.click("#station-grid .ag-paging-button[data-ref='btNext']")
    wait_for_url_part(page, "page=2")
    page.wait_for_selector(f"{ROWS}[row-index='20']")
    linked_url = page.url

    # the link reproduces the view: same search, sort and page
    page.goto(linked_url)
    page.wait_for_selector(f"{ROWS}[row-index='20']")
    assert page.input_value("#station-search") == "洪浪"
    assert "2" in page.inner_text("#station-grid .ag-paging-description")

    number = _column(page, "incident_no")[0]
    page.click(f"{ROWS}[row-index='20'] [col-id='incident_no']")
    page.wait_for_url(re.compile(r"/case/\d+"))
    page.wait_for_selector("#station-linked")
    assert number in page.inner_text("h1")

    page.click("#back-link")
    page.wait_for_url(re.compile(rf"/station/{OWN}\?"))
    page.wait_for_selector(f"{ROWS}[row-index='20']")
    assert page.input_value("#station-search") == "洪浪"

    # a repeat address: its cases link to each other
    page.goto(f"{server}/station/{OWN}?q=%E7%BF%BB%E8%BA%AB%E4%B8%80%E8%B7%AF40")
    _wait_rows(page)
    page.click(f"{ROWS}[row-index='0'] [col-id='incident_no']")
    page.wait_for_selector("#station-linked-table tbody tr")
    assert page.locator("#station-linked-table tbody tr").count() >= 2
    shoot(page, "station-case-linked")


def test_the_back_button_returns_to_the_previous_page_of_the_list(chief_page, server):
    page = chief_page
    page.goto(f"{server}/station/{OWN}")
    _wait_rows(page)
    first = _column(page, "incident_no")[0]
    page.click("#station-grid .ag-paging-button[data-ref='btNext']")
    wait_for_url_part(page, "page=2")
    page.wait_for_selector(f"{ROWS}[row-index='20']")
    page.go_back()
    page.wait_for_function("() => !location.search.includes('page=2')")
    _wait_rows(page)
    page.wait_for_selector(f"{ROWS}[row-index='0'] [col-id='incident_no']:not(:empty)")
    assert page.locator(f"{ROWS}[row-index='20']").count() == 0
    assert _column(page, "incident_no")[0] == first
    page.go_forward()
    page.wait_for_selector(f"{ROWS}[row-index='20']")
    assert "page=2" in page.url


def test_the_export_downloads_the_filtered_list_and_is_audited(chief_page, server, demo_database):
    from data.audit import AuditQuery, events
    from data.database import make_engine

    page = chief_page
    page.goto(f"{server}/station/{OWN}?status=closed&risk=high")
    _wait_rows(page)
    expected = _total(page)
    wait_for_url_part(page, "status=closed")
    with page.expect_download() as info:
        page.click("#station-export-csv")
    download = info.value
    assert download.suggested_filename == f"cases-{OWN}.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        text = handle.read()
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) - 1 == expected
    assert {r[3] for r in rows[1:]} == {"高"} and {r[4] for r in rows[1:]} == {"已办结"}
    engine = make_engine(demo_database)
    try:
        logged, _ = events(engine, AuditQuery(user=CHIEF, action="export"), "Asia/Shanghai")
    finally:
        engine.dispose()
    assert logged and logged[0]["target"] == f"cases:{OWN}"
    assert f"rows={expected}" in logged[0]["detail"]


def test_the_patrol_sheet_prints_on_one_a4_page(chief_page, server, shoot, tmp_path):
    from pypdf import PdfReader

    page = chief_page
    page.goto(f"{server}/station/{OWN}")
    page.wait_for_selector("#station-sheet-link")
    with page.expect_popup() as popup:
        page.click("#station-sheet-link")
    sheet = popup.value
    sheet.wait_for_selector("#patrol-sheet svg .sheet-cell")
    shoot(sheet, "station-patrol-sheet")
    assert sheet.locator(".sheet-table tbody tr").count() >= 5
    sheet.emulate_media(media="print")
    pdf = tmp_path / "sheet.pdf"
    sheet.pdf(path=str(pdf), format="A4", print_background=True)
    assert len(PdfReader(str(pdf)).pages) == 1


def test_the_largest_plan_fits_one_page_and_is_masked_for_the_command_center(
    anonymous_page, server, tmp_path, shoot, login
):
    from pypdf import PdfReader

    from data.users import DEMO_PASSWORD

    page = anonymous_page
    login(page, server, "demo-command", DEMO_PASSWORD)
    page.goto(f"{server}/station/BA10/patrol-sheet?lang=en")
    page.wait_for_selector("#patrol-sheet svg .sheet-cell")
    rows = page.locator(".sheet-table tbody tr").count()
    assert rows >= 25
    addresses = " ".join(page.eval_on_selector_all(".sheet-addr", "c => c.map(x => x.innerText)"))
    addresses = re.sub(r"and \d+ more", "", addresses)  # how many more: a count, not a number
    assert not re.search(r"\d", addresses), "house numbers must be masked for the command center"
    shoot(page, "station-patrol-sheet-en")
    pdf = tmp_path / "sheet.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert len(PdfReader(str(pdf)).pages) == 1


def test_another_station_is_forbidden_and_english_is_complete(chief_page, server, shoot):
    page = chief_page
    page.goto(f"{server}/station/{OTHER}")
    page.wait_for_selector(".page-forbidden")
    assert page.locator("#station-grid").count() == 0
    page.goto(f"{server}/station/NOPE")
    page.wait_for_selector("text=没有这个派出所")

    page.goto(f"{server}/station/{OWN}?lang=en")
    _wait_rows(page)
    page.wait_for_selector("#station-plan")
    shoot(page, "station-en")
    written = page.locator("main .free-text").all_inner_texts()  # people's own words
    assert _chinese_not_data(page.inner_text("main"), written) == []


def _chinese_not_data(body: str, written: list[str]) -> list[str]:
    """Lines of the English page holding Chinese that is not data (addresses, place names, or
    text people wrote, ``written``)."""
    for text in written:
        body = body.replace(text, "")
    return [
        line
        for line in body.splitlines()
        if re.search(r"[\u3400-\u9fff]", line)
        and not re.search(r"(区|街道|社区|路|街|村|栋|号|室|楼|座|大道)", line)
    ]
