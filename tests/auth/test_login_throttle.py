"""Strangers cannot lock accounts: failed logins are throttled by source address.

Known answers: with the defaults, an address may fail 3 times freely, then waits 1 s, 2 s,
4 s … between attempts, and after 20 failures in an hour it is refused for the rest of the
hour, whatever names it tries. An account locks after 5 failures in a row from at least two
addresses; one address alone cannot lock it for someone else.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher, Type
from canary import ORIGIN, PASSWORD, audit_rows

from data import users
from data.login_throttle import delay_after, retry_after
from data.users import add_user, authenticate

T0 = datetime(2026, 11, 25, 8, 0)


@pytest.fixture
def cheap_hasher(monkeypatch):
    """argon2id with tiny costs, so tests of many attempts run fast."""
    monkeypatch.setattr(
        users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
    )


@pytest.fixture
def engine(db_engine, cheap_hasher):
    add_user(db_engine, "colleague", PASSWORD, "analyst", actor="t")
    return db_engine


def test_the_delays_grow_and_are_capped():
    assert [delay_after(n) for n in range(8)] == [0, 0, 0, 1, 2, 4, 8, 16]
    assert delay_after(40) == 300


def test_one_address_cannot_lock_a_colleague_out(engine):
    now = T0
    for _ in range(12):
        result = authenticate(engine, "colleague", "guess", "203.0.113.7", now=now)
        now += timedelta(seconds=result.retry_after or 0.5)
    # The stranger is held back by delays; the colleague logs in from their own desk.
    assert authenticate(engine, "colleague", PASSWORD, "10.20.0.5", now=now).ok
    assert audit_rows(engine, "account_locked") == []
    assert audit_rows(engine, "login_throttled")  # the throttled attempts are recorded too


def test_the_delay_holds_the_address_back_but_not_another(engine):
    for _ in range(3):
        assert authenticate(engine, "colleague", "guess", "203.0.113.7", now=T0).reason == (
            "wrong_password"
        )
    held = authenticate(engine, "colleague", PASSWORD, "203.0.113.7", now=T0)
    assert (held.reason, held.retry_after) == ("throttled", 1.0)  # even the right password
    assert authenticate(engine, "colleague", PASSWORD, "10.20.0.5", now=T0).ok
    assert authenticate(engine, "colleague", "guess", "203.0.113.7", now=T0 + timedelta(seconds=1))
    assert retry_after(engine, "203.0.113.7", T0 + timedelta(seconds=1)) == 2.0


def test_an_address_is_limited_across_names(engine):
    now = T0
    tried = 0
    while tried < 20:
        result = authenticate(engine, f"name{tried}", "Spring2026!", "198.51.100.9", now=now)
        if result.reason == "throttled":
            now += timedelta(seconds=result.retry_after)
            continue
        assert result.reason == "unknown_user"
        tried += 1
    # The 20th failure closes the address for the rest of its hour, not only for a delay.
    later = now + timedelta(seconds=1)
    blocked = authenticate(engine, "colleague", PASSWORD, "198.51.100.9", now=later)
    assert blocked.reason == "throttled"
    assert blocked.retry_after == (T0 + timedelta(hours=1) - later).total_seconds()
    next_hour = T0 + timedelta(hours=1, seconds=1)
    assert authenticate(engine, "colleague", PASSWORD, "198.51.100.9", now=next_hour).ok
    failed = audit_rows(engine, "login_failed")
    assert len(failed) == 20 and {f["remote_addr"] for f in failed} == {"198.51.100.9"}


def test_the_limit_per_address_is_a_setting(engine, monkeypatch):
    monkeypatch.setenv("ANNING_LOGIN_ADDRESS_MAX_FAILURES", "3")
    for n in range(3):
        authenticate(engine, f"n{n}", "x", "198.51.100.10", now=T0)
    later = authenticate(
        engine, "colleague", PASSWORD, "198.51.100.10", now=T0 + timedelta(minutes=30)
    )
    assert later.reason == "throttled"


def test_many_addresses_still_lock_the_account(engine):
    for n in range(5):
        authenticate(engine, "colleague", "guess", f"192.0.2.{n}", now=T0)
    assert authenticate(engine, "colleague", PASSWORD, "10.20.0.5", now=T0).reason == "locked"
    locks = audit_rows(engine, "account_locked")
    assert [(r["user"], r["detail"]) for r in locks] == [("colleague", "locked for 15 min")]


# -- through the login form ----------------------------------------------------------------------
def _post_login(client, username: str, password: str):
    page = client.get("/login?lang=en").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "lang": "en"},
        headers={"Origin": ORIGIN},
    )


def test_six_anonymous_posts_do_not_lock_a_colleague(
    canary_app, canary_engine, cheap_hasher, monkeypatch
):
    # The hourly cap at its lowest, so the answer does not depend on how fast this machine
    # is (the growing delays are checked with a fixed clock above).
    monkeypatch.setenv("ANNING_LOGIN_ADDRESS_MAX_FAILURES", "3")
    stranger = canary_app.server.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    statuses = [_post_login(stranger, "t-analyst", "guess").status_code for _ in range(6)]
    assert statuses == [401, 401, 401, 429, 429, 429]  # the address is held back, not the account
    answer = _post_login(stranger, "t-analyst", "guess")
    assert "Too many failed logins from this address" in answer.get_data(as_text=True)
    assert int(answer.headers["Retry-After"]) >= 1
    desk = canary_app.server.test_client()
    desk.environ_base["REMOTE_ADDR"] = "10.20.0.5"
    assert _post_login(desk, "t-analyst", PASSWORD).status_code == 303
