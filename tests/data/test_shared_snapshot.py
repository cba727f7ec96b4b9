"""The machine's one shared snapshot: several workers map the same Arrow files, one writes.

Each "worker" here is a :class:`Snapshot` of its own over the same database and store
folder, as gunicorn's worker processes are; every answer must equal a private snapshot's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from data import snapshot_store
from data.snapshot import Snapshot
from data.snapshot_store import WriterLock, read_manifest, store_folder
from data.store import insert_incidents, save_stations, upsert_incidents
from tests.data.test_store_and_access import STATION_A, STATION_B, _incidents

REPO_ROOT = Path(__file__).resolve().parents[2]


def _rows(numbers, status="reported"):
    return _incidents(
        [
            {
                "incident_no": str(n),
                "reported_at": datetime(2024, 3, 1 + n % 20, 10, 0),
                "lat": 22.61 + (n % 7) / 1000,
                "lng": 113.82 + (n % 5) / 100,
                "status": status,
            }
            for n in numbers
        ]
    )


def _same(snap: Snapshot, engine) -> None:
    """``snap`` holds exactly what a private snapshot read from the database holds."""
    private = Snapshot(engine).collect().sort("id")
    shared = snap.collect().sort("id")
    assert shared.height == snap.height
    assert shared.equals(private)


@pytest.fixture
def db_engine(db_engine):
    save_stations(db_engine, [STATION_A, STATION_B])
    return db_engine


def _folder(tmp_path, engine):
    return store_folder(tmp_path / "store", engine.url.render_as_string(hide_password=True))


def test_workers_share_one_copy_and_follow_new_and_changed_rows(db_engine, tmp_path, monkeypatch):
    insert_incidents(db_engine, _rows(range(1, 41)))
    first = Snapshot(db_engine, store_root=tmp_path / "store")
    second = Snapshot(db_engine, store_root=tmp_path / "store")
    _same(first, db_engine)
    _same(second, db_engine)
    folder = _folder(tmp_path, db_engine)
    base = read_manifest(folder).base
    assert second._manifest == first._manifest  # the second mapped what the first wrote

    insert_incidents(db_engine, _rows(range(41, 46)))  # new incidents: a delta, same base
    _same(second, db_engine)
    _same(first, db_engine)
    assert read_manifest(folder).base == base and read_manifest(folder).delta is not None

    # A changed incident: its new version in the delta hides the base's old one.
    upsert_incidents(db_engine, _rows([3], status="closed").drop("created_at", "updated_at"))
    _same(first, db_engine)
    _same(second, db_engine)
    assert first.collect().filter(pl.col("incident_no") == "3")["status"].to_list() == ["closed"]

    # A delta larger than the threshold is folded into a new base, still the same rows.
    monkeypatch.setattr(snapshot_store, "COMPACT_ROWS", 3)
    insert_incidents(db_engine, _rows(range(46, 60)))
    _same(second, db_engine)
    manifest = read_manifest(folder)
    assert manifest.base != base and manifest.delta is None
    assert sorted(p.name for p in folder.glob("*.arrow")) == [manifest.base]  # old ones gone
    _same(first, db_engine)


def test_a_worker_serves_the_files_it_has_while_another_writes(db_engine, tmp_path):
    insert_incidents(db_engine, _rows(range(1, 11)))
    worker = Snapshot(db_engine, store_root=tmp_path / "store")
    assert worker.collect().height == 10
    insert_incidents(db_engine, _rows(range(11, 13)))
    lock = WriterLock(_folder(tmp_path, db_engine))
    assert lock.acquire(wait=False)
    try:
        assert worker.collect().height == 10  # the writer is busy: serve what is mapped
    finally:
        lock.release()
    assert worker.collect().height == 12  # and catch up at the next look


def test_the_store_is_rebuilt_when_the_database_lost_rows(db_engine, tmp_path):
    insert_incidents(db_engine, _rows(range(1, 11)))
    worker = Snapshot(db_engine, store_root=tmp_path / "store")
    assert worker.collect().height == 10
    with db_engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM status_event")
        conn.exec_driver_sql("DELETE FROM incident WHERE incident_no IN ('1', '2')")
    _same(worker, db_engine)
    assert worker.height == 8


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/<pid>/smaps_rollup")
def test_the_mapped_copy_is_not_copied_into_the_process(db_engine, tmp_path):
    """The base's values stay in the shared page cache: mapping a 1M-row base costs the
    process a few MB of its own memory, not the ~80 MB the values take."""
    path = tmp_path / "base.arrow"
    n = 1_000_000
    pl.DataFrame(
        {"id": range(n), "address_key": [f"翻身路{i % 5000}栋" for i in range(n)]}
    ).write_ipc(path, compression="uncompressed")
    code = textwrap.dedent(
        f"""
        from data.snapshot_store import map_frame
        def private_mb():
            for line in open("/proc/self/smaps_rollup"):
                if line.startswith(("Private_Dirty", "Anonymous")):
                    yield int(line.split()[1]) / 1024
        before = max(private_mb())
        frame = map_frame({str(path)!r})
        assert frame.height == {n}
        total = frame["address_key"].str.len_bytes().sum() + frame["id"].sum()
        print(max(private_mb()) - before)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert float(done.stdout.strip()) < 20, done.stdout


def test_files_written_before_a_migration_changed_the_columns_are_written_again(
    db_engine, tmp_path
):
    insert_incidents(db_engine, _rows(range(1, 6)))
    Snapshot(db_engine, store_root=tmp_path / "store").collect()
    folder = _folder(tmp_path, db_engine)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "schema": "before-0007"}))
    worker = Snapshot(db_engine, store_root=tmp_path / "store")
    _same(worker, db_engine)
    assert read_manifest(folder).schema == manifest["schema"]
    assert read_manifest(folder).base != manifest["base"]  # written again
