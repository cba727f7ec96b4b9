"""The loop (issue 13) walked in a real browser on a server of its own:

* a station chief asks 治安管理大队 for support on a repeat household → the support unit sees
  the request with its clock and answers it (accept, start, feedback) → the chief sees the
  feedback → the review's unit table counts the request;
* a warning letter is recorded on a case → the household is due for a visit in the station
  workspace → the visit is recorded → the review's compliance table counts it.

Screenshots (zh and en, 1440 wide) of each screen go to tests/browser/screenshots/.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime, timedelta

import pytest
from conftest import SCREENSHOTS, Traffic, _page, log_in, screenshot

from data.users import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@contextlib.contextmanager
def signed_in(browser, server, user: str):
    """A fresh page of ``server`` logged in as the demo user ``user``."""
    pages = _page(browser, Traffic(server), [])
    tab = next(pages)
    log_in(tab, server, user, DEMO_PASSWORD)
    try:
        yield tab
    finally:
        with contextlib.suppress(StopIteration):  # the page's own checks (loopback, errors)
            next(pages)


def _review_url(server: str, lang: str = "zh") -> str:
    today = date.today()
    start, end = (today - timedelta(days=2)).isoformat(), (today + timedelta(days=1)).isoformat()
    return f"{server}/review?period=custom&start={start}&end={end}&lang={lang}"


def _unit_requests(page, unit: str) -> int:
    row = page.locator("#review-loop-unit-table tbody tr", has_text=unit)
    row.wait_for()
    return int(row.locator("td").nth(1).inner_text())


def _compliance(page, station: str) -> tuple[int, int]:
    row = page.locator("#review-loop-compliance-table tbody tr", has_text=station)
    row.wait_for()
    cells = row.locator("td")
    return int(cells.nth(1).inner_text()), int(cells.nth(4).inner_text())


def test_support_request_loop(browser, own_server):
    server = own_server
    with signed_in(browser, server, "demo-leader") as page:
        page.goto(_review_url(server))
        before = _unit_requests(page, "治安管理大队")

    # 1. The chief of 新安 asks 治安管理大队 for support on a repeat household.
    with signed_in(browser, server, "demo-chief") as page:
        page.goto(f"{server}/station/BA01")
        page.click("#station-req-entry")
        page.locator(".dash-dropdown-options [role=option]").first.click()
        page.locator("#station-req-urgency label", has_text="紧急").click()
        page.fill("#station-req-text", "该户三次报警，调解无果，请求治安管理大队协调支援。")
        page.click("#station-req-submit")
        filed = page.locator("#station-req-filed")
        filed.wait_for()
        request_id = re.search(r"#(\d+)", filed.inner_text()).group(1)
        page.locator("#station-requests", has_text=f"#{request_id}").wait_for()
        row = page.locator("#station-requests tbody tr", has_text=f"#{request_id}")
        assert "待响应" in row.inner_text() and "剩余" in row.inner_text()
        screenshot(page, "loop-station-zh")

    # 2. The support unit sees it with its clock and answers it.
    with signed_in(browser, server, "demo-support") as page:
        assert page.url.endswith("/support")
        row = page.locator("#support-table tbody tr", has_text=f"#{request_id}")
        row.wait_for()
        assert "紧急" in row.inner_text() and "剩余" in row.inner_text()
        row.locator("button").click()
        page.locator("#support-history", has_text="提出请求").wait_for()
        assert page.locator("#support-linked tbody tr").count() >= 3  # the household's calls
        page.locator("button.action-accept").click()
        page.locator(".notice-ok", has_text="已接收").wait_for()
        page.locator("button.action-start").wait_for()
        page.locator("button.action-start").click()
        page.locator(".notice-ok", has_text="支援中").wait_for()
        page.locator("#support-history", has_text="开始支援").wait_for()  # panel reloaded
        page.fill("#support-note", "已会同社区、妇联联合调处，列入重点回访。")
        page.locator("button.action-feedback").click()
        page.locator(".notice-ok", has_text="已反馈").wait_for()
        page.locator("#support-history", has_text="联合调处").wait_for()
        screenshot(page, "loop-support-zh")
        page.goto(f"{server}/support?lang=en")
        page.locator("#support-table tbody tr").first.wait_for()
        page.locator("#support-table tbody tr").first.locator("button").click()
        page.locator("#support-history").wait_for()
        screenshot(page, "loop-support-en")

    # 3. The chief sees the feedback.
    with signed_in(browser, server, "demo-chief") as page:
        page.goto(f"{server}/station/BA01")
        row = page.locator("#station-requests tbody tr", has_text=f"#{request_id}")
        row.wait_for()
        assert "已反馈" in row.inner_text() and "联合调处" in row.inner_text()
        page.goto(f"{server}/station/BA01?lang=en")
        page.locator("#station-requests tbody tr", has_text=f"#{request_id}").wait_for()
        screenshot(page, "loop-station-en")

    # 4. The review's unit table counts it.
    with signed_in(browser, server, "demo-leader") as page:
        page.goto(_review_url(server))
        assert _unit_requests(page, "治安管理大队") == before + 1
        page.locator(".review-loop").screenshot(path=str(_shot("loop-review-zh")))
        page.goto(_review_url(server, "en"))
        page.locator("#review-loop-unit-table").wait_for()
        page.locator(".review-loop").screenshot(path=str(_shot("loop-review-en")))


def _shot(name: str):
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def _unwarned_case(database_url: str) -> tuple[int, str]:
    """The newest case of BA01 without a warning letter (id, number)."""
    from sqlalchemy import select

    from data.database import make_engine
    from data.models import Incident

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                select(Incident.id, Incident.incident_no)
                .where(Incident.station_code == "BA01", Incident.warning_letter.is_(False))
                .order_by(Incident.reported_at.desc())
                .limit(1)
            ).one()
    finally:
        engine.dispose()
    return row.id, row.incident_no


def test_warning_letter_visit_loop(browser, own_server, own_database):
    server = own_server
    case_id, case_no = _unwarned_case(own_database)
    with signed_in(browser, server, "demo-leader") as page:
        page.goto(_review_url(server))
        warned_before, kept_before = _compliance(page, "新安派出所")

    with signed_in(browser, server, "demo-chief") as page:
        page.goto(f"{server}/case/{case_id}")
        issue = page.locator("#case-warning-issue")
        assert issue.is_enabled()
        screenshot(page, "loop-case-zh")
        issue.click()
        page.locator("#case-warning-message .notice-ok").wait_for()
        # Visit due in the station workspace.
        page.goto(f"{server}/station/BA01")
        row = page.locator("#station-warned tbody tr", has_text=case_no)
        row.wait_for()
        assert "待访" in row.inner_text()
        screenshot(page, "loop-warning-due-zh")
        row.locator("button").click()
        page.locator("#station-warn-message .notice-ok").wait_for()
        page.locator("#station-warned tbody tr", has_text=case_no).wait_for(state="detached")

    with signed_in(browser, server, "demo-leader") as page:
        page.goto(_review_url(server))
        warned_after, kept_after = _compliance(page, "新安派出所")
    assert (warned_after, kept_after) == (warned_before + 1, kept_before + 1)


def _case_without_tasks(database_url: str) -> int:
    """The newest case of BA01 that no department has a task on."""
    from sqlalchemy import select

    from data.database import make_engine
    from data.models import DepartmentTask, Incident

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                select(Incident.id)
                .where(
                    Incident.station_code == "BA01",
                    Incident.id.not_in(select(DepartmentTask.incident_id)),
                )
                .order_by(Incident.reported_at.desc())
                .limit(1)
            ).scalar_one()
    finally:
        engine.dispose()


def test_dispatch_from_the_case_page(browser, own_server, own_database):
    """任务分拨 from the case page: the chief dispatches a case to 法院; the task is listed at
    once with its clock (assigned, due, 在办); dispatching it again is refused and explained."""
    server = own_server
    case_id = _case_without_tasks(own_database)
    with signed_in(browser, server, "demo-chief") as page:
        page.goto(f"{server}/case/{case_id}")
        page.locator("#case-tasks", has_text="本案暂无分拨任务").wait_for()
        page.click("#case-dispatch-department")
        page.locator(".dash-dropdown-options [role=option]", has_text="法院").click()
        page.click("#case-dispatch-submit")
        page.locator("#case-dispatch-message .notice-ok", has_text="法院").wait_for()
        row = page.locator("#case-tasks tbody tr", has_text="法院")
        row.wait_for()
        cells = [c.strip() for c in row.locator("td").all_inner_texts()]
        assert cells[3] == "在办"
        assigned = datetime.strptime(f"2000-{cells[1]}", "%Y-%m-%d %H:%M")  # shown as 月-日
        due = assigned + timedelta(hours=240)  # the court's service level
        assert cells[2] == due.strftime("%m-%d %H:%M")
        screenshot(page, "loop-case-dispatch-zh")
        page.click("#case-dispatch-submit")
        page.locator(
            "#case-dispatch-message .notice-warning", has_text="已有本案的在办任务"
        ).wait_for()
        assert page.locator("#case-tasks tbody tr").count() == 1
        page.goto(f"{server}/case/{case_id}?lang=en")
        page.locator("#case-tasks tbody tr", has_text="Court").wait_for()
        page.get_by_text("Dispatch to a department").wait_for()
        screenshot(page, "loop-case-dispatch-en")
