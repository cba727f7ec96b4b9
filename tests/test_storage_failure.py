"""Storage failures are survived: database files made read-only while serving, then restored.

The store lives on a small ext4 file system of its own (a loop device), so that its files can
be made immutable (``chattr +i``), which refuses writes even to root and even through files
already open — what files turning read-only do to a running server. Needs root and loop
devices; skipped otherwise.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "auth"))

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
