"""Users: argon2id hashing and rehashing, the lockout, the role → scope table, demo users."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher, Type
from canary import audit_rows
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from data import users
from data.access import Scope
from data.models import User
from data.users import (
    NO_ACCESS,
    ROLES,
    UserError,
    UserInfo,
    add_user,
    authenticate,
    scope_for,
)

PASSWORD = "a-long-enough-password"


@pytest.fixture
def cheap_hasher(monkeypatch):
    """argon2id with tiny costs, so tests of many attempts run fast."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
    monkeypatch.setattr(users, "_HASHER", hasher)
    return hasher


@pytest.fixture
def engine(db_engine):
    """An empty migrated store with the ten stations."""
    from data.demo.baoan import jurisdictions
    from data.store import save_stations

    save_stations(db_engine, jurisdictions())
    return db_engine


def _hash_of(engine, username: str) -> str:
    with engine.connect() as conn:
        return conn.execute(select(User.password_hash).where(User.username == username)).scalar()


# -- hashing -------------------------------------------------------------------------------------
def test_passwords_are_stored_as_argon2id_hashes_only(engine):
    add_user(engine, "li", PASSWORD, "analyst", actor="t")
    stored = _hash_of(engine, "li")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in stored
    with engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.execute(text("SELECT * FROM app_user")))
    assert PASSWORD not in dump
    assert authenticate(engine, "li", PASSWORD).ok
    assert not authenticate(engine, "li", PASSWORD + "x").ok


def test_a_hash_with_old_parameters_is_replaced_at_the_next_login(engine, monkeypatch):
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
    monkeypatch.setattr(users, "_HASHER", old)
    add_user(engine, "wang", PASSWORD, "leadership", actor="t")
    weak = _hash_of(engine, "wang")
    assert "m=8,t=1,p=1" in weak
    monkeypatch.setattr(users, "_HASHER", PasswordHasher())  # the parameters changed
    assert authenticate(engine, "wang", PASSWORD).ok
    rehashed = _hash_of(engine, "wang")
    assert rehashed != weak and "m=65536,t=3,p=4" in rehashed
    assert authenticate(engine, "wang", PASSWORD).ok
    assert _hash_of(engine, "wang") == rehashed  # current parameters: left alone


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "12 to 1024"),
        ("x" * 1025, "12 to 1024"),
        ("aaaaaaaaaaaaaaa", "too easy"),
        ("my-name-is-zhao-ok", "too easy"),
    ],
)
def test_weak_passwords_are_refused(engine, password, problem):
    with pytest.raises(UserError, match=problem):
        add_user(engine, "zhao", password, "analyst", actor="t")


@pytest.mark.parametrize(
    ("username", "role", "station", "problem"),
    [
        ("a b", "analyst", None, "user name"),
        ("x" * 65, "analyst", None, "user name"),
        ("ok", "wizard", None, "unknown role"),
        ("ok", "station_chief", None, "needs a station"),
        ("ok", "station_chief", "BA99", "no station 'BA99'"),
        ("ok", "command_center", "BA01", "give no station"),
    ],
)
def test_users_are_checked_when_added(engine, username, role, station, problem):
    with pytest.raises(UserError, match=problem):
        add_user(engine, username, PASSWORD, role, station, actor="t")


def test_a_name_is_taken_once(engine, cheap_hasher):
    add_user(engine, "chen", PASSWORD, "analyst", actor="t")
    with pytest.raises(UserError, match="exists already"):
        add_user(engine, "chen", PASSWORD, "analyst", actor="t")


# -- lockout -------------------------------------------------------------------------------------
def test_five_failures_from_two_addresses_lock_the_account_for_fifteen_minutes(
    engine, cheap_hasher
):
    add_user(engine, "zhou", PASSWORD, "station_chief", "BA01", actor="t")
    now = datetime(2026, 11, 25, 8, 0)
    addresses = ["10.0.0.9", "10.0.0.8"] * 3
    for attempt in range(4):
        assert authenticate(engine, "zhou", "wrong", addresses[attempt], now=now).reason == (
            "wrong_password"
        ), attempt
    assert authenticate(engine, "zhou", "wrong", "10.0.0.9", now=now).reason == "wrong_password"
    locked = authenticate(engine, "zhou", PASSWORD, "10.0.0.9", now=now + timedelta(minutes=14))
    assert locked.reason == "locked" and not locked.ok  # even the right password
    assert authenticate(engine, "zhou", PASSWORD, now=now + timedelta(minutes=15, seconds=1)).ok
    failed = audit_rows(engine, "login_failed")
    assert [(f["user"], f["detail"], f["remote_addr"]) for f in failed] == [
        ("zhou", "wrong_password", a) for a in [*addresses[:4], "10.0.0.9"]
    ] + [("zhou", "locked", "10.0.0.9")]
    lock = audit_rows(engine, "account_locked")
    assert [(r["user"], r["target"], r["detail"]) for r in lock] == [
        ("zhou", "user:zhou", "locked for 15 min")
    ]
    assert [r["user"] for r in audit_rows(engine, "login")] == ["zhou"]


def test_a_success_resets_the_count_and_the_limits_are_settings(engine, cheap_hasher, monkeypatch):
    monkeypatch.setenv("ANNING_LOGIN_MAX_FAILURES", "2")
    monkeypatch.setenv("ANNING_LOGIN_LOCK_MINUTES", "60")
    add_user(engine, "sun", PASSWORD, "analyst", actor="t")
    now = datetime(2026, 11, 25, 8, 0)
    authenticate(engine, "sun", "wrong", now=now)
    assert authenticate(engine, "sun", PASSWORD, now=now).ok  # the count starts again
    authenticate(engine, "sun", "wrong", now=now)
    authenticate(engine, "sun", "wrong", now=now)
    assert authenticate(engine, "sun", PASSWORD, now=now + timedelta(minutes=59)).reason == "locked"
    assert authenticate(engine, "sun", PASSWORD, now=now + timedelta(minutes=61)).ok


def test_unknown_names_fail_like_wrong_passwords_and_are_recorded(engine, cheap_hasher):
    assert authenticate(engine, "nobody", "x", "10.1.1.1").reason == "unknown_user"
    assert authenticate(engine, "bad name!", "x").reason == "invalid_name"
    rows = audit_rows(engine, "login_failed")
    assert [(r["user"], r["detail"]) for r in rows] == [
        ("nobody", "unknown_user"),
        ("bad name!", "invalid_name"),
    ]


def test_a_reset_unlocks_and_a_removal_deletes(engine, cheap_hasher):
    add_user(engine, "qian", PASSWORD, "analyst", actor="t")
    for _ in range(5):
        authenticate(engine, "qian", "wrong")
    assert authenticate(engine, "qian", PASSWORD).reason == "locked"
    users.reset_password(engine, "qian", "a-brand-new-password", actor="cli:root")
    assert authenticate(engine, "qian", "a-brand-new-password").ok
    users.remove_user(engine, "qian", actor="cli:root")
    assert users.get_user(engine, "qian") is None
    actions = [
        (r["user"], r["action"]) for r in audit_rows(engine) if r["action"].startswith("user_")
    ]
    assert actions == [("t", "user_add"), ("cli:root", "user_reset"), ("cli:root", "user_remove")]


# -- roles ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "station", "stations", "personal", "reveal"),
    [
        ("administrator", None, frozenset(), False, False),
        ("command_center", None, None, False, True),
        ("leadership", None, None, False, False),
        ("station_chief", "BA01", frozenset({"BA01"}), True, False),
        ("station_officer", "BA02", frozenset({"BA02"}), True, False),
        ("analyst", None, None, False, False),
    ],
)
def test_each_role_maps_to_one_scope(role, station, stations, personal, reveal):
    user = UserInfo(1, "u", "U", role, station)
    assert scope_for(user, "10.0.0.1") == Scope(
        user="u",
        stations=stations,
        personal_details=personal,
        remote_addr="10.0.0.1",
        can_reveal=reveal,
        role=role,
    )


def test_every_role_is_in_the_table_and_strangers_see_nothing():
    assert set(users.ROLE_POLICIES) == set(ROLES)
    assert scope_for(None).stations == frozenset()
    assert scope_for(UserInfo(1, "u", "U", "superuser", None)).stations == frozenset()
    assert scope_for(UserInfo(1, "u", "U", "station_chief", None)).stations == frozenset()
    assert NO_ACCESS.stations == frozenset() and not NO_ACCESS.personal_details


# -- the trail stays as written ----------------------------------------------------------
@pytest.mark.citus
@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_event SET \"user\" = 'someone else'", "DELETE FROM audit_event"],
)
def test_the_database_refuses_to_change_the_audit_trail(engine, statement):
    add_user(engine, "he", PASSWORD, "analyst", actor="t")
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    assert len(audit_rows(engine)) == 1


def test_the_code_has_no_way_to_change_the_audit_trail():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in [*root.glob("data/**/*.py"), *root.glob("dashboard/**/*.py")]:
        if "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        for verb in (
            "update(AuditEvent",
            "delete(AuditEvent",
            "UPDATE audit_event",
            "DELETE FROM audit_event",
        ):
            assert verb not in source, f"{path.name} changes the audit trail: {verb}"


# -- demo mode -------------------------------------------------------------------------------------
def test_demo_users_exist_only_while_the_store_is_the_demo(engine, monkeypatch):
    monkeypatch.delenv("ANNING_DEMO", raising=False)
    assert users.sync_demo_users(engine)  # an empty store is the demo's
    names = {u.username for u in users.list_users(engine) if u.demo}
    assert names == {d.username for d in users.DEMO_USERS}
    assert authenticate(engine, "demo-chief", users.DEMO_PASSWORD, demo_active=True).ok
    assert authenticate(engine, "demo-chief", users.DEMO_PASSWORD).reason == "demo_inactive"
    monkeypatch.setenv("ANNING_DEMO", "off")
    assert not users.sync_demo_users(engine)
    assert [u for u in users.list_users(engine) if u.demo] == []
    assert [r["detail"] for r in audit_rows(engine, "demo_users_removed")] == [
        f"{len(users.DEMO_USERS)} users"
    ]


def test_imported_incidents_end_demo_mode(engine, monkeypatch):
    from canary import frames

    from data.store import insert_incidents

    monkeypatch.setenv("ANNING_DEMO", "1")
    assert users.demo_mode_active(engine)
    insert_incidents(engine, *frames())  # source system "test": real data, as far as we know
    assert not users.demo_mode_active(engine)
    assert not users.sync_demo_users(engine)


def test_a_demo_user_is_named_in_the_interface_language_and_others_as_entered():
    from data.users import UserInfo, display_name_in

    demo = UserInfo(1, "demo-command", "演示·指挥中心", "command_center", None)
    real = UserInfo(2, "zhang", "张三", "command_center", None)
    assert display_name_in(demo, "en") == "Demo command center"
    assert display_name_in(demo, "zh") == "演示·指挥中心"
    assert display_name_in(real, "en") == "张三"
