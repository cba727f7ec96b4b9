"""Logging in, failing to, logging out, the demo banner and the admin page, in Chromium.

Each test starts anonymous (``anonymous_page``) so it never touches the shared session of
the other browser tests. The page fixture fails a test on any Content-Security-Policy
violation, any request leaving loopback and any script error.
"""

from __future__ import annotations

import re

import pytest
from browser_helpers import grid_column, wait_for_grid_rows

from data.users import DEMO_PASSWORD

pytestmark = pytest.mark.browser

DEMO_BANNER = "演示系统：所有数据均为虚构"


def test_the_login_page_shows_the_demo_accounts(anonymous_page, server, shoot):
    page = anonymous_page
    page.goto(f"{server}/case/1")
    page.wait_for_url(re.compile(r"/login\?next=%2Fcase%2F1$"))
    assert page.title() == "登录 · 安宁"
    assert DEMO_BANNER in page.inner_text("#demo-banner")
    assert page.inner_text("#demo-password") == DEMO_PASSWORD
    accounts = page.inner_text("#demo-users")
    for name in ("demo-admin", "demo-command", "demo-chief", "demo-analyst"):
        assert name in accounts
    assert "新安派出所" in accounts and "指挥中心" in accounts
    shoot(page, "login_zh")
    page.click("a.login-lang[lang=en]")
    page.wait_for_selector("text=Demo accounts")
    assert "next=%2Fcase%2F1" in page.url
    shoot(page, "login_en")


def test_a_wrong_password_keeps_you_out(anonymous_page, server, login):
    page = anonymous_page
    login(page, server, "demo-chief", "not-the-password")
    assert "/login" in page.url
    assert "用户名或密码错误" in page.inner_text("#login-message")
    assert page.input_value("#login-username") == "demo-chief"
    assert page.input_value("#login-password") == ""
    page.goto(f"{server}/")
    assert "/login" in page.url


def test_a_chief_logs_in_sees_the_banner_and_logs_out(anonymous_page, server, shoot):
    page = anonymous_page
    page.goto(f"{server}/")
    page.fill("#login-username", "demo-chief")
    page.fill("#login-password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"/station/BA01"))  # a chief lands on their workspace
    page.goto(f"{server}/")
    page.wait_for_function("() => /\\d/.test(document.querySelector('#kpi-incidents')?.innerText)")
    assert DEMO_BANNER in page.inner_text("#demo-banner")
    menu = page.inner_text("#user-menu")
    assert "演示·新安派出所所长" in menu and "派出所所长 · 新安派出所" in menu
    wait_for_grid_rows(page, "case-table", 15)  # the list loaded
    stations = grid_column(page, "case-table", "station_code")
    assert len(stations) == 15 and set(stations) == {"新安派出所"}  # their own station's cases
    addresses = grid_column(page, "case-table", "address_raw")
    assert addresses and all(addresses) and not any("*" in a for a in addresses)  # in full
    assert "*" not in page.inner_text("#case-table")
    shoot(page, "overview_station_chief")
    page.click("#logout-button")
    page.wait_for_url(re.compile(r"/login\?ended=1"))
    assert "您已退出登录" in page.inner_text("#login-message")
    page.goto(f"{server}/")
    assert "/login" in page.url  # the session is gone


def test_the_command_center_reveals_one_case_with_a_reason(anonymous_page, server, login, shoot):
    page = anonymous_page
    login(page, server, "demo-command", DEMO_PASSWORD)
    page.goto(f"{server}/case/1")
    page.wait_for_selector("#reveal-panel")
    masked = page.inner_text("#case-fields")
    assert "***" in masked
    page.fill("#reveal-reason", "核实地址，安排回访")
    page.click("#reveal-button")
    page.wait_for_function(
        "() => document.querySelector('#reveal-message')?.innerText.includes('审计')"
    )
    revealed = page.inner_text("#case-fields")
    assert "***" not in revealed and re.search(r"\d+栋", revealed)
    shoot(page, "case_revealed")


def test_the_admin_page_lists_users_and_the_trail(anonymous_page, server, login, shoot):
    page = anonymous_page
    login(page, server, "demo-admin", DEMO_PASSWORD)
    page.wait_for_url(f"{server}/admin")
    page.wait_for_selector("#admin-users")
    assert "demo-chief" in page.inner_text("#admin-users")
    page.wait_for_function(
        "() => /\\d/.test(document.querySelector('#admin-audit-total')?.innerText)"
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('#admin-audit-table .ag-cell[col-id=action]')]"
        ".some(c => c.innerText.trim())"
    )
    actions = page.locator("#admin-audit-table .ag-cell[col-id=action]").all_inner_texts()
    users = page.locator("#admin-audit-table .ag-cell[col-id=user]").all_inner_texts()
    # the trail reads in words on the page ("登录" is the login action); the CSV keeps codes
    assert "登录" in actions and "demo-admin" in users and "login_failed" not in actions
    # a filter asks the server again: a user nobody is finds nothing
    page.fill("#admin-audit-user", "nobody-at-all")
    page.press("#admin-audit-user", "Enter")
    page.wait_for_function(
        "() => /(^|\\D)0(\\D|$)/.test(document.querySelector('#admin-audit-total')?.innerText)"
    )
    page.wait_for_function(  # the grid drops the rows it showed
        "() => document.querySelectorAll('#admin-audit-table .ag-row').length === 0"
    )
    page.fill("#admin-audit-user", "demo-admin")
    page.press("#admin-audit-user", "Enter")
    page.wait_for_function(  # the rows arrive after the grid's placeholder rows
        "() => [...document.querySelectorAll('#admin-audit-table .ag-cell[col-id=user]')]"
        ".some(c => c.innerText.trim())"
    )
    users = page.locator("#admin-audit-table .ag-cell[col-id=user]").all_inner_texts()
    assert users and set(users) == {"demo-admin"}
    assert DEMO_BANNER in page.inner_text("#demo-banner")
    shoot(page, "admin")
    with page.expect_download() as download:
        page.click("#admin-audit-export")
    body = download.value.path().read_text(encoding="utf-8-sig")
    assert body.startswith("at,user,action,target,detail,remote_addr")
    assert ",login," in body
    page.goto(f"{server}/")
    page.wait_for_selector(".page-forbidden")
    assert "无权查看此页面" in page.inner_text("main")
