"""The distributed layout on a real Citus cluster (docs/scaling.md, data/citus.py).

Run by ``scripts/test.sh`` with ``ANNING_TEST_DATABASE=citus``; skipped on SQLite and plain
PostgreSQL, where ``data.citus.distribute`` does nothing (checked here too).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from data import citus
from data.database import make_engine, upgrade
from data.snapshot import Snapshot
from data.store import delete_source_system, insert_incidents, save_stations
from tests.backends import ON_CITUS, drop, fresh_url
from tests.data.test_store_and_access import STATION_A, STATION_B, _incidents

pytestmark = pytest.mark.citus
on_citus = pytest.mark.skipif(not ON_CITUS, reason="needs a Citus cluster")


def _layout(engine) -> dict[str, tuple[str, str | None, int]]:
    """table → (method h/n, distribution column, co-location group) of every Citus table."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT logicalrelid::text, partmethod, "
                "column_to_column_name(logicalrelid, partkey), colocationid "
                "FROM pg_dist_partition"
            )
        ).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_distribute_does_nothing_without_citus(db_engine):
    if ON_CITUS:
        pytest.skip("about SQLite and plain PostgreSQL")
    assert citus.distribute(db_engine) == []
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT revision FROM store_revision")).scalar_one() >= 1


@on_citus
def test_upgrade_distributes_an_empty_database(tmp_path):
    url = fresh_url(tmp_path, "layout", migrated=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        layout = _layout(engine)
        assert layout["incident"][:2] == ("h", "incident_no")
        for child in ("status_event", "follow_up_visit"):
            assert layout[child][:2] == ("h", "incident_no")
            assert layout[child][2] == layout["incident"][2], f"{child} not co-located"
        for table in ("station", "app_user", "api_token"):
            assert layout[table][0] == "n", f"{table} is not a reference table"
        # The audit trail stays a plain table on the coordinator, with its append-only triggers.
        assert "audit_event" not in layout
        with engine.connect() as conn:
            assert conn.execute(text("SELECT to_regclass('store_revision')")).scalar() is None
        # A second start-up finds everything in place.
        upgrade(engine)
        assert citus.distribute(engine) == []
        assert _layout(engine) == layout
    finally:
        engine.dispose()
        drop(url)


@on_citus
def test_a_listed_table_without_a_number_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setattr(citus, "COLOCATED", (*citus.COLOCATED, "t_nonumber"))
    url = fresh_url(tmp_path, "nonumber", migrated=False)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t_nonumber (id serial PRIMARY KEY, note text)"))
        with pytest.raises(citus.CitusSchemaError, match=r"t_nonumber .* no incident_no"):
            upgrade(engine)
    finally:
        engine.dispose()
        drop(url)


@on_citus
def test_a_listed_child_is_keyed_by_number_and_its_references_follow(tmp_path, monkeypatch):
    """The shapes of the closed-loop tables: a unique key without the number, a composite
    key without an id, and a reference table with an optional link to a case."""
    monkeypatch.setattr(citus, "COLOCATED", (*citus.COLOCATED, "t_schedule", "t_attached"))
    monkeypatch.setattr(citus, "REFERENCE", (*citus.REFERENCE, "t_request"))
    url = fresh_url(tmp_path, "children", migrated=False)
    engine = make_engine(url)
    try:
        # As a fresh install runs the migrations that add such tables: before distributing.
        # (On a database distributed earlier, a new table refers to incident by
        # (incident_no, incident_id): incident's key is (incident_no, id) there.)
        _migrate_only(engine)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE t_request (id serial PRIMARY KEY, "
                    "incident_id integer REFERENCES incident(id) ON DELETE SET NULL)"
                )
            )
            conn.execute(
                text(
                    "CREATE TABLE t_schedule (id serial PRIMARY KEY, incident_no varchar(64) "
                    "NOT NULL, incident_id integer NOT NULL, CONSTRAINT uq_t_schedule "
                    "UNIQUE (incident_id))"
                )
            )
            conn.execute(
                text(
                    "CREATE TABLE t_attached (request_id integer REFERENCES t_request(id), "
                    "incident_id integer NOT NULL, incident_no varchar(64) NOT NULL, "
                    "PRIMARY KEY (request_id, incident_id))"
                )
            )
        done = citus.distribute(engine)
        expected = [
            "reference table t_request",
            "incident distributed by incident_no",
            "t_schedule co-located with incident",
            "t_attached co-located with incident",
        ]
        # Each step done, in this order (the product's own tables are done around them).
        assert [d for d in done if d in expected] == expected
        layout = _layout(engine)
        assert layout["t_schedule"][2] == layout["t_attached"][2] == layout["incident"][2]
        _two(engine)
        with engine.begin() as conn:
            c1 = conn.execute(text("SELECT id FROM incident WHERE incident_no = 'C1'")).scalar()
            conn.execute(text("INSERT INTO t_request (incident_id) VALUES (:i)"), {"i": c1})
            conn.execute(
                text("INSERT INTO t_schedule (incident_no, incident_id) VALUES ('C1', :i)"),
                {"i": c1},
            )
            conn.execute(
                text(
                    "INSERT INTO t_attached (request_id, incident_id, incident_no) "
                    "SELECT id, :i, 'C1' FROM t_request"
                ),
                {"i": c1},
            )
        with pytest.raises(DBAPIError, match="uq_t_schedule"), engine.begin() as conn:
            conn.execute(
                text("INSERT INTO t_schedule (incident_no, incident_id) VALUES ('C1', :i)"),
                {"i": c1},
            )
        with pytest.raises(DBAPIError, match="foreign key"), engine.begin() as conn:
            conn.execute(
                text("INSERT INTO t_schedule (incident_no, incident_id) VALUES ('C2', :i)"),
                {"i": c1},
            )
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM incident WHERE incident_no = 'C1'"))
            assert conn.execute(text("SELECT count(*) FROM t_schedule")).scalar_one() == 0
    finally:
        engine.dispose()
        drop(url)


def _migrate_only(engine) -> None:
    from alembic import command
    from alembic.config import Config

    from data.database import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _two(db_engine, numbers=("C1", "C2")):
    save_stations(db_engine, [STATION_A, STATION_B])
    rows = [
        {"incident_no": n, "reported_at": datetime(2024, 3, 1), "lat": 22.62, "lng": 113.82}
        for n in numbers
    ]
    return insert_incidents(db_engine, _incidents(rows).drop("created_at", "updated_at"))


@on_citus
def test_the_natural_key_and_the_child_key_hold_across_shards(db_engine):
    assert _two(db_engine) == 2
    with pytest.raises(DBAPIError, match="uq_incident_source_no"):
        _two(db_engine, ("C2",))
    with db_engine.connect() as conn:
        first = conn.execute(text("SELECT id FROM incident WHERE incident_no = 'C1'")).scalar()
    with pytest.raises(DBAPIError, match="foreign key"), db_engine.begin() as conn:
        # The id of C1 under C2's number: refused, the key is (incident_no, id).
        conn.execute(
            text(
                "INSERT INTO status_event (incident_id, incident_no, status, at) "
                f"VALUES ({first}, 'C2', 'reported', now())"
            )
        )


def test_the_snapshot_sees_inserts_and_deletes(db_engine):
    snap = Snapshot(db_engine)
    assert snap.refresh().collect().height == 0
    _two(db_engine)
    assert sorted(snap.refresh().collect()["incident_no"].to_list()) == ["C1", "C2"]
    delete_source_system(db_engine, "test")
    assert snap.refresh().collect().height == 0
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM status_event")).scalar_one() == 0
