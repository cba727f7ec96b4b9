"""Storage failures are survived: database files made read-only while serving, then restored.

The store lives on a small ext4 file system of its own (a loop device), so that its files can
be made immutable (``chattr +i``), which refuses writes even to root and even through files
already open — what files turning read-only do to a running server. Needs root and loop
devices; skipped otherwise.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "auth"))
REPO_ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.sqlite_only


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False)


@pytest.fixture
def volume(tmp_path):
    """A mounted 64 MB ext4 file system; its folder."""
    if not shutil.which("losetup") or _run("id", "-u").stdout.strip() != "0":
        pytest.skip("needs root and loop devices")
    image, mount = tmp_path / "disk.img", tmp_path / "mnt"
    mount.mkdir()
    _run("truncate", "-s", "64M", str(image))
    if _run("mkfs.ext4", "-q", str(image)).returncode != 0:
        pytest.skip("cannot make an ext4 file system")
    loop = _run("losetup", "-f", "--show", str(image)).stdout.strip()
    if not loop or _run("mount", loop, str(mount)).returncode != 0:
        if loop:
            _run("losetup", "-d", loop)
        pytest.skip("cannot mount a loop device here")
    yield mount
    for f in mount.iterdir():
        _run("chattr", "-i", str(f))
    _run("umount", "-l", str(mount))
    _run("losetup", "-d", loop)


def _immutable(folder: Path, on: bool) -> None:
    """The database file and its write-ahead log refuse writes (or accept them again).

    The ``-shm`` index is left alone: SQLite maps it into memory, and a mapped file that turns
    read-only kills the process with SIGBUS (see the README's security section).
    """
    for name in ("anning.sqlite", "anning.sqlite-wal"):
        path = folder / name
        if path.exists():
            assert _run("chattr", "+i" if on else "-i", str(path)).returncode == 0


def test_read_only_storage_degrades_and_recovers(volume, monkeypatch, caplog):
    from canary import PASSWORD, frames, sign_in

    from dashboard import create_app
    from data import storage
    from data.database import make_engine, upgrade
    from data.demo.baoan import jurisdictions
    from data.store import insert_incidents, save_stations
    from data.users import add_user

    monkeypatch.setattr(storage, "PROBE_SECONDS", 0.0)
    engine = make_engine(f"sqlite:///{volume / 'anning.sqlite'}")
    upgrade(engine)
    save_stations(engine, jurisdictions())
    insert_incidents(engine, *frames())
    add_user(engine, "t-command", PASSWORD, "command_center", actor="tests")
    app = create_app(engine)
    client = sign_in(app, engine, "t-command")
    anonymous = app.server.test_client()
    assert anonymous.get("/healthz").get_json()["status"] == "ok"
    assert client.get("/station/BA01/cases.csv").status_code == 200

    _immutable(volume, True)
    try:
        health = anonymous.get("/healthz")
        assert health.status_code == 200
        assert health.get_json()["status"] == "degraded"
        assert health.get_json()["storage"]  # the database's own words
        with caplog.at_level(logging.INFO):
            export = client.get("/station/BA01/cases.csv")  # must be recorded: refused
            geometry = client.get("/geo/stations.geojson")  # nothing to record: served
        assert export.status_code == 503
        assert "cannot be written" in export.get_data(as_text=True)
        assert geometry.status_code == 200
        assert all(r.exc_info is None for r in caplog.records)  # one line, no stack trace
    finally:
        _immutable(volume, False)

    recovered = anonymous.get("/healthz").get_json()
    assert recovered["status"] == "ok", recovered.get("storage")
    assert client.get("/station/BA01/cases.csv").status_code == 200
    engine.dispose()


def _health(base: str) -> dict | None:
    """``/healthz``'s answer, or None when no worker answered (one was just killed)."""
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as err:
        return json.load(err)
    except OSError:
        return None


def _wait_steady(base: str, status: str, seconds: float, answers: int = 8) -> None:
    """Poll ``/healthz`` until ``answers`` answers in a row report ``status`` (whichever
    worker gives them), failing after ``seconds``."""
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.append(_health(base))
        if len(seen) >= answers and all(
            a is not None and a.get("status") == status for a in seen[-answers:]
        ):
            return
        time.sleep(0.3)
    raise AssertionError(f"/healthz did not keep saying {status!r} in {seconds} s: {seen[-8:]}")


def _wait_for(base: str, status: str, seconds: float) -> list:
    """Poll ``/healthz`` until it reports ``status``; every answer seen (None: no answer)."""
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.append(_health(base))
        if seen[-1] is not None and seen[-1].get("status") == status:
            return seen
        time.sleep(0.3)
    raise AssertionError(f"/healthz never said {status!r} in {seconds} s: {seen[-5:]}")


def test_the_server_survives_the_mapped_index_turning_read_only(volume, tmp_path):
    """All three files, the memory-mapped ``-shm`` index too: a worker touching the mapping
    is killed by SIGBUS; gunicorn's master (what ``python app.py`` runs) starts another, which
    serves on, degraded, and everything recovers when the storage does."""
    env = {
        **os.environ,
        "ANNING_DATABASE_URL": f"sqlite:///{volume / 'anning.sqlite'}",
        "ANNING_VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    demo = [sys.executable, str(REPO_ROOT / "app.py"), "demo", "--incidents", "300"]
    assert subprocess.run(demo, env=env, capture_output=True, timeout=180).returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env |= {"ANNING_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "ANNING_THREADS": "2"}
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, "ok", 60)
        assert (volume / "anning.sqlite-shm").exists()  # WAL mode maps this index
        for name in ("anning.sqlite", "anning.sqlite-wal", "anning.sqlite-shm"):
            assert _run("chattr", "+i", str(volume / name)).returncode == 0
        try:
            try:
                _wait_for(base, "degraded", 60)
            except AssertionError as err:
                lines = [
                    line
                    for line in log.read_text().splitlines()
                    if "GET /healthz" not in line and "Extension modules" not in line
                ]
                raise AssertionError(f"{err}\n" + "\n".join(lines[-60:])) from None
            # each worker learns it on its own next probe (every PROBE_SECONDS): then every
            # answer says so, from workers that stay alive
            _wait_steady(base, "degraded", 30)
            assert server.poll() is None, log.read_text()[-2000:]
        finally:
            for name in ("anning.sqlite", "anning.sqlite-wal", "anning.sqlite-shm"):
                _run("chattr", "-i", str(volume / name))
        # every worker says ok again, and one that had found the storage refusing says so
        # (a worker that got no request meanwhile never saw the failure)
        deadline = time.monotonic() + 60
        while True:
            _wait_steady(base, "ok", 60)
            text = log.read_text()
            if "storage accepts writes again: recovered" in text or time.monotonic() > deadline:
                break
        if "SIGBUS" in text:  # what the kernel did this time: the stack says where
            assert "Fatal Python error: Bus error" in text, text[-3000:]
        assert "storage accepts writes again: recovered" in text, text[-3000:]
    finally:
        server.terminate()
        server.wait(timeout=30)
