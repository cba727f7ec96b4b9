"""The command line: demo rebuild and the one-line errors a user can act on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from data.database import make_engine

REPO_ROOT = Path(__file__).resolve().parent.parent


def _app(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_rebuilds_the_district_into_the_configured_database(db_url, tmp_path):
    done = _app(
        "demo",
        "--incidents",
        "500",
        "--seed",
        "3",
        env={"ANNING_DATABASE_URL": db_url, "ANNING_VAR_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert "demo district: 500 incidents" in done.stdout
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM incident")).scalar_one() == 500
    engine.dispose()


def test_a_bad_database_url_is_one_line_not_a_stack_trace(tmp_path):
    done = _app("demo", "--incidents", "10", env={"ANNING_DATABASE_URL": "nonsense://x"})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "anning: Can't load plugin: sqlalchemy.dialects:nonsense (database: nonsense://x)"
    )


@pytest.mark.sqlite_only
def test_an_unwritable_database_folder_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    url = f"sqlite:///{blocker}/sub/anning.sqlite"
    done = _app("demo", "--incidents", "10", env={"ANNING_DATABASE_URL": url})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert str(blocker) in done.stderr


def test_zero_incidents_is_refused_by_the_parser():
    done = _app("demo", "--incidents", "0", env={})
    assert done.returncode == 2 and "--incidents must be at least 1" in done.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ANNING_TIMEZONE", "Mars/Base", "ANNING_TIMEZONE should be an IANA time zone"),
        ("ANNING_WALL_REFRESH_SECONDS", "abc", "ANNING_WALL_REFRESH_SECONDS should be a whole"),
    ],
)
def test_a_bad_setting_stops_the_server_before_serving(db_url, tmp_path, variable, value, message):

    done = _app(
        "--port",
        "8999",
        env={"ANNING_DATABASE_URL": db_url, "ANNING_VAR_DIR": str(tmp_path), variable: value},
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().startswith(f"anning: {message}")
    assert value in done.stderr and "serving" not in done.stdout


# -- a wrong database path is an error (issue 15) ------------------------------------------------
@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "command",
    [
        ("--port", "1"),  # the server (stops before it binds)
        ("serve", "--port", "1"),
        ("import", "incidents.csv", "--profile", "cn-110"),
        ("users", "list"),
        ("audit", "verify"),
    ],
)
def test_a_missing_database_stops_with_one_line_and_creates_nothing(tmp_path, command):
    missing = tmp_path / "unmounted" / "anning.sqlite"
    done = _app(*command, env={"ANNING_DATABASE_URL": f"sqlite:///{missing}"})
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"anning: ANNING_DATABASE_URL names {missing}, but its folder")
    assert "python app.py init-db" in done.stderr
    assert not missing.parent.exists()


@pytest.mark.sqlite_only
def test_init_db_creates_the_named_database_and_then_it_is_used(tmp_path):
    target = tmp_path / "volume" / "anning.sqlite"
    env = {"ANNING_DATABASE_URL": f"sqlite:///{target}"}
    missing = _app("users", "list", env=env)
    assert missing.returncode == 2 and "its folder" in missing.stderr
    created = _app("init-db", env=env)
    assert created.returncode == 0, created.stderr
    assert target.is_file()
    assert _app("users", "list", env=env).returncode == 0
    assert _app("audit", "verify", env=env).stdout.startswith("audit trail intact: 0 events")


def test_the_embedded_default_may_be_created(tmp_path):
    from data.database import MissingDatabaseError, check_database
    from data.settings import DEFAULT_DATABASE_URL

    check_database(DEFAULT_DATABASE_URL)  # created on first start: no error even if missing
    with pytest.raises(MissingDatabaseError, match="its file"):
        check_database(f"sqlite:///{tmp_path / 'typo.sqlite'}")
