"""``python app.py users add|remove|reset|list``: through ``app.main`` and as a real process."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from canary import audit_rows

import app
from data.users import authenticate, get_user

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(db_engine, monkeypatch):
    """The configured store is a fresh one with the ten stations."""
    from data import database
    from data.demo.baoan import jurisdictions
    from data.store import save_stations

    save_stations(db_engine, jurisdictions())
    monkeypatch.setattr(database, "engine", lambda url=None: db_engine)
    return db_engine


def _run(argv: list[str], stdin: str = "") -> int:
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return app.main(argv)
    finally:
        sys.stdin = old


def test_add_list_reset_remove(store, capsys):
    assert (
        _run(
            [
                "users",
                "add",
                "zhang",
                "--role",
                "station_chief",
                "--station",
                "BA02",
                "--display-name",
                "张所长",
                "--password-stdin",
            ],
            "first-password-1\n",
        )
        == 0
    )
    assert "added zhang: station_chief of BA02" in capsys.readouterr().out
    assert authenticate(store, "zhang", "first-password-1").ok
    assert _run(["users", "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["user", "role", "station", "state", "last", "login"]
    assert listing[1].split()[:4] == ["zhang", "station_chief", "BA02", "ok"]
    assert _run(["users", "reset", "zhang", "--password-stdin"], "second-password-2\n") == 0
    assert authenticate(store, "zhang", "second-password-2").ok
    assert not authenticate(store, "zhang", "first-password-1").ok
    assert _run(["users", "remove", "zhang"]) == 0
    assert get_user(store, "zhang") is None
    trail = [
        (r["action"], r["target"]) for r in audit_rows(store) if r["action"].startswith("user")
    ]
    assert trail == [
        ("user_add", "user:zhang"),
        ("user_reset", "user:zhang"),
        ("user_remove", "user:zhang"),
    ]
    assert all(r["user"].startswith("cli:") for r in audit_rows(store, "user_add"))


def test_the_password_prompt_asks_twice(store, monkeypatch, capsys):
    from data import users_cli

    answers = iter(["typed-password-1", "typed-password-1", "one-password-11", "another-one-22"])
    monkeypatch.setattr(users_cli.getpass, "getpass", lambda prompt: next(answers))
    assert _run(["users", "add", "li", "--role", "analyst"]) == 0
    assert authenticate(store, "li", "typed-password-1").ok
    assert _run(["users", "reset", "li"]) == 1
    assert "the two passwords differ" in capsys.readouterr().err


def test_a_support_unit_user_answers_for_a_configured_unit(store, capsys):
    argv = ["users", "add", "zagl", "--role", "support_unit", "--unit", "ZAGL", "--password-stdin"]
    assert _run(argv, "unit-password-12\n") == 0
    assert "added zagl: support_unit of ZAGL" in capsys.readouterr().out
    from data.users import get_user, scope_for

    scope = scope_for(get_user(store, "zagl"))
    assert (scope.role, scope.unit, scope.stations) == ("support_unit", "ZAGL", frozenset())


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["users", "add", "w", "--role", "station_chief"], "long-password-1\n", "needs a station"),
        (
            ["users", "add", "w", "--role", "analyst", "--station", "BA01"],
            "long-password-1\n",
            "give no station",
        ),
        (
            ["users", "add", "w", "--role", "station_officer", "--station", "XX"],
            "long-password-1\n",
            "no station 'XX'",
        ),
        (["users", "add", "w", "--role", "analyst"], "short\n", "12 to 1024 characters"),
        (["users", "add", "bad name", "--role", "analyst"], "long-password-1\n", "user name"),
        (["users", "add", "w", "--role", "support_unit"], "long-password-1\n", "needs a support"),
        (
            ["users", "add", "w", "--role", "support_unit", "--unit", "XJ"],
            "long-password-1\n",
            "no support unit 'XJ'",
        ),
        (
            ["users", "add", "w", "--role", "analyst", "--unit", "ZAGL"],
            "long-password-1\n",
            "give no unit",
        ),
        (["users", "reset", "nobody"], "long-password-1\n", "no user 'nobody'"),
        (["users", "remove", "nobody"], "", "no user 'nobody'"),
    ],
)
def test_mistakes_are_one_line_naming_the_culprit(store, capsys, argv, stdin, message):
    if argv[1] != "remove":
        argv = [*argv, "--password-stdin"]
    assert _run(argv, stdin) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_unknown_role_is_refused_by_argparse(store, capsys):
    with pytest.raises(SystemExit) as stop:
        _run(["users", "add", "w", "--role", "wizard", "--password-stdin"], "long-password-1\n")
    assert stop.value.code == 2
    assert "invalid choice: 'wizard'" in capsys.readouterr().err


def test_the_real_command_line(db_url, tmp_path):
    env = {
        **os.environ,
        "ANNING_DATABASE_URL": db_url,
        "ANNING_VAR_DIR": str(tmp_path),
    }
    add = subprocess.run(
        [
            sys.executable,
            "app.py",
            "users",
            "add",
            "admin",
            "--role",
            "administrator",
            "--password-stdin",
        ],
        input="correct-horse-battery\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        check=False,
    )
    assert add.returncode == 0, add.stderr
    listing = subprocess.run(
        [sys.executable, "app.py", "users", "list"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        check=False,
    )
    assert listing.returncode == 0 and "administrator" in listing.stdout
    assert "correct-horse-battery" not in listing.stdout + add.stdout
