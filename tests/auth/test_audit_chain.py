"""The audit trail's hash chain: tampering with a copy of the database is found.

Each test writes a short trail through the application (:func:`data.audit.record`), then does
what someone holding the database file could do (drop the append-only triggers, then delete,
change or insert rows) and checks that :func:`data.audit_chain.verify` and
``python app.py audit verify`` name what happened. Several processes writing at once must
leave one unbroken chain.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from data import audit
from data.audit_chain import verify
from data.database import make_engine, upgrade
from tests.backends import ON_POSTGRES

REPO_ROOT = Path(__file__).resolve().parents[2]


def _trail(engine, n: int = 6) -> None:
    for i in range(n):
        audit.record(
            engine, f"user{i}", "view_case", target=f"incident:{i}", remote_addr="10.0.0.1"
        )


def _lift_triggers(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER audit_event_no_update"))
        conn.execute(text("DROP TRIGGER audit_event_no_delete"))
    else:
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))


@pytest.fixture
def copy_engine(db_url, tmp_path):
    """A trail written by the application, and an engine on a copy of its database to tamper
    with (on PostgreSQL the throw-away test database itself)."""
    engine = make_engine(db_url)
    upgrade(engine)
    _trail(engine)
    assert verify(engine).intact
    if ON_POSTGRES:
        yield engine
    else:
        engine.dispose()
        source = Path(db_url.removeprefix("sqlite:///"))
        target = tmp_path / "copy.sqlite"
        shutil.copy(source, target)
        engine = make_engine(f"sqlite:///{target}")
        yield engine
    engine.dispose()


def test_an_untouched_trail_verifies(db_engine):
    _trail(db_engine, 3)
    report = verify(db_engine)
    assert report.intact and report.rows >= 3, report.summary()
    assert "intact" in report.summary()


def test_a_changed_row_is_found(copy_engine):
    with copy_engine.begin() as conn:
        _lift_triggers(conn)
        conn.execute(
            text("UPDATE audit_event SET target = 'incident:999' WHERE \"user\" = 'user2'")
        )
    report = verify(copy_engine)
    assert not report.intact
    assert any("content does not match its hash" in p and "user2" in p for p in report.problems)


def test_a_deleted_row_is_found(copy_engine):
    with copy_engine.begin() as conn:
        _lift_triggers(conn)
        gone = conn.execute(text("SELECT id FROM audit_event WHERE \"user\" = 'user3'")).scalar()
        conn.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": gone})
    report = verify(copy_engine)
    assert any(f"event {gone} is missing" in p for p in report.problems), report.problems


def test_the_last_rows_deleted_are_found(copy_engine):
    with copy_engine.begin() as conn:
        _lift_triggers(conn)
        conn.execute(text("DELETE FROM audit_event WHERE \"user\" IN ('user4', 'user5')"))
    report = verify(copy_engine)
    assert any("events at the end were deleted or added" in p for p in report.problems)


def test_a_back_dated_inserted_row_is_found(copy_engine):
    with copy_engine.begin() as conn:
        first = conn.execute(text("SELECT min(id) FROM audit_event")).scalar()
        prev = conn.execute(
            text("SELECT row_hash FROM audit_event WHERE id = :i"), {"i": first}
        ).scalar()
        # Slipped in right after the first event, with a made-up hash (the key is not in the file).
        conn.execute(
            text(
                'INSERT INTO audit_event (id, at, "user", action, target, prev_hash, row_hash) '
                "VALUES (:i, '2020-01-01 00:00:00.000000', 'intruder', 'login', NULL, :p, :h)"
            ),
            {"i": first + 100000, "p": prev, "h": "f" * 64},
        )
    report = verify(copy_engine)
    assert any("intruder" in p and "does not match its hash" in p for p in report.problems)
    assert any("events at the end were deleted or added" in p for p in report.problems)


def test_lifted_triggers_are_reported(copy_engine):
    with copy_engine.begin() as conn:
        _lift_triggers(conn)
    report = verify(copy_engine)
    assert report.problems == ["the append-only triggers of audit_event are missing"]


@pytest.mark.sqlite_only
def test_the_command_line_reports_a_tampered_copy(tmp_path):
    env = {
        **os.environ,
        "ANNING_DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite'}",
        "ANNING_SECRET_FILE": str(tmp_path / "pseudonym.key"),
    }

    def app(*args: str, url: str | None = None, stdin: str = "") -> subprocess.CompletedProcess:
        run_env = {**env, **({"ANNING_DATABASE_URL": url} if url else {})}
        return subprocess.run(
            [sys.executable, "app.py", *args],
            cwd=REPO_ROOT,
            env=run_env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert app("init-db").returncode == 0
    for name in ("chief1", "chief2", "chief3"):
        done = app(
            "users",
            "add",
            name,
            "--role",
            "analyst",
            "--password-stdin",
            stdin="a-long-pass-9876\n",
        )
        assert done.returncode == 0, done.stderr
    good = app("audit", "verify")
    assert good.returncode == 0 and good.stdout.startswith("audit trail intact: 3 events")
    copy = tmp_path / "copy.sqlite"
    shutil.copy(tmp_path / "a.sqlite", copy)
    engine = make_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        _lift_triggers(conn)
        conn.execute(text("DELETE FROM audit_event WHERE target = 'user:chief2'"))
    engine.dispose()
    bad = app("audit", "verify", url=f"sqlite:///{copy}")
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [
        "audit trail BROKEN: 3 problem(s) in 2 events",
        "  - the append-only triggers of audit_event are missing",
        "  - event 3 does not follow event 1: event 2 is missing",
        "  - the chain's head counts 3 events, the trail holds 2",
    ]


def _writer(url: str, name: str, n: int) -> None:
    engine = make_engine(url)
    for i in range(n):
        audit.record(engine, name, "view_case", target=f"incident:{i}")
    engine.dispose()


def test_concurrent_writers_do_not_fork_the_chain(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    ctx = multiprocessing.get_context("spawn")
    writers = [ctx.Process(target=_writer, args=(db_url, f"w{k}", 40)) for k in range(4)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
        assert w.exitcode == 0
    report = verify(engine)
    assert report.intact, report.summary()
    assert report.rows == 160
    engine.dispose()


def test_the_chain_key_follows_the_secret_file(tmp_path, monkeypatch):
    """A process pointed at another installation's secret signs with that one's key (the key
    was cached once per process: the suite's later tests signed with an earlier test's key)."""
    from data import audit_chain

    monkeypatch.setenv("ANNING_SECRET_FILE", str(tmp_path / "a.key"))
    first = audit_chain.chain_key()
    monkeypatch.setenv("ANNING_SECRET_FILE", str(tmp_path / "b.key"))
    second = audit_chain.chain_key()
    assert first != second
    monkeypatch.setenv("ANNING_SECRET_FILE", str(tmp_path / "a.key"))
    assert audit_chain.chain_key() == first
