"""Crash safety: an import killed with SIGKILL after a batch leaves whole batches behind, and
running it again completes it with the right totals."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from importer_fixtures import cn110_rows, write_csv
from sqlalchemy import inspect

from data.importers.run import import_file

REPO_ROOT = Path(__file__).resolve().parents[3]

ROWS = 200
BATCH = 20
PAUSE_SECONDS = "0.3"
WAIT_SECONDS = 60

_SCRIPT = """
import sys
sys.path.insert(0, {root!r})
import data.importers.run as run
from data.database import make_engine

run.BULK_LOAD_ROWS = 1  # take the bulk path too: secondary indexes dropped while loading
engine = make_engine({url!r})
run.import_file(engine, {path!r}, "cn-110", batch_size={batch})
print("finished")
"""


def _count(db: str, table: str) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.mark.sqlite_only  # reads the file with sqlite3 and checks SQLite's bulk-load index drop
def test_a_killed_import_is_consistent_and_a_rerun_completes_it(db_engine, tmp_path):
    db = str(tmp_path / "anning.sqlite")
    path = write_csv(tmp_path / "big.csv", cn110_rows(count=ROWS))
    script = tmp_path / "run_import.py"
    script.write_text(
        textwrap.dedent(
            _SCRIPT.format(root=str(REPO_ROOT), url=f"sqlite:///{db}", path=str(path), batch=BATCH)
        )
    )
    env = dict(os.environ, ANNING_IMPORT_BATCH_PAUSE=PAUSE_SECONDS)
    proc = subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while _count(db, "incident") < BATCH:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the first batch never committed"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=WAIT_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL

    committed = _count(db, "incident")
    assert 0 < committed < ROWS and committed % BATCH == 0  # whole batches only
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = conn.execute(
            "SELECT count(*) FROM status_event WHERE incident_id NOT IN (SELECT id FROM incident)"
        ).fetchone()[0]
        without_event = conn.execute(
            "SELECT count(*) FROM incident WHERE id NOT IN (SELECT incident_id FROM status_event)"
        ).fetchone()[0]
        dropped = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'ix_incident_h3_cell'"
        ).fetchone()[0]
    assert orphans == 0 and without_event == 0
    assert dropped == 0  # killed during a bulk load: the secondary indexes are still out
    assert _count(db, "status_event") == committed

    summary = import_file(db_engine, path, "cn-110", batch_size=BATCH)
    assert (summary.inserted, summary.unchanged, summary.updated) == (
        ROWS - committed,
        committed,
        0,
    )
    assert _count(db, "incident") == ROWS and _count(db, "status_event") == ROWS
    indexes = {ix["name"] for ix in inspect(db_engine).get_indexes("incident")}
    assert {"ix_incident_h3_cell", "ix_incident_station_reported"} <= indexes
