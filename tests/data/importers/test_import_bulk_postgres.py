"""A large first load into PostgreSQL: one transaction, indexes and foreign keys built at its end.

The result must equal the row-by-row path's, every index and foreign key must be back after
it, and a load that fails half-way must leave nothing behind, indexes and keys included.
"""

from __future__ import annotations

import pytest
from importer_fixtures import cn110_rows, write_csv
from sqlalchemy import func, select

import data.importers.run as run
from data.importers.run import import_file
from data.models import Incident, StatusEvent
from tests.backends import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's bulk-load path")

_SCHEMA_OBJECTS = """
SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes
 WHERE tablename IN ('incident', 'status_event')
UNION ALL
SELECT 'key ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid::regclass::text IN ('incident', 'status_event')
ORDER BY 1
"""


def _schema(engine) -> list[str]:
    with engine.connect() as conn:
        return _schema_of(conn)


def _schema_of(conn) -> list[str]:
    return list(conn.exec_driver_sql(_SCHEMA_OBJECTS).scalars())


def _stored(engine) -> tuple:
    with engine.connect() as conn:
        incidents = conn.execute(
            select(
                Incident.incident_no, Incident.status, Incident.station_code, Incident.h3_cell
            ).order_by(Incident.incident_no)
        ).all()
        events = conn.execute(
            select(Incident.incident_no, StatusEvent.status)
            .join(StatusEvent, StatusEvent.incident_id == Incident.id)
            .order_by(Incident.incident_no, StatusEvent.status)
        ).all()
    return incidents, events


def test_a_bulk_load_equals_the_row_path_and_puts_indexes_and_keys_back(
    engine_with_stations, tmp_path, monkeypatch
):
    engine = engine_with_stations
    before = _schema(engine)
    assert any("FOREIGN KEY" in s for s in before) and any("ix_incident_" in s for s in before)
    path = write_csv(tmp_path / "load.csv", cn110_rows(count=120))
    monkeypatch.setattr(run, "BULK_LOAD_ROWS", 1)
    seen_inside: list[list[str]] = []
    real = run.upsert_incidents

    def spy(*args, **kwargs):
        seen_inside.append(_schema_of(kwargs["connection"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "upsert_incidents", spy)
    summary = import_file(engine, path, "cn-110", batch_size=25)
    assert summary.inserted > 100 and len(seen_inside) == 5
    # While loading, the foreign keys and the secondary indexes were out.
    assert not any("FOREIGN KEY" in s for s in seen_inside[0])
    dropped = {s.split()[1] for s in set(before) - set(seen_inside[0])}
    assert {"ix_incident_reported_at", "ix_incident_h3_cell", "ix_status_event_incident"} <= dropped
    monkeypatch.setattr(run, "upsert_incidents", real)
    assert _schema(engine) == before
    bulk = _stored(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE incident CASCADE")
    monkeypatch.setattr(run, "BULK_LOAD_ROWS", 10**9)  # the row-by-row path
    assert import_file(engine, path, "cn-110", batch_size=25).inserted == summary.inserted
    assert _stored(engine) == bulk


def test_a_bulk_load_that_fails_leaves_nothing_behind(engine_with_stations, tmp_path, monkeypatch):
    engine = engine_with_stations
    before = _schema(engine)
    path = write_csv(tmp_path / "load.csv", cn110_rows(count=120))
    monkeypatch.setattr(run, "BULK_LOAD_ROWS", 1)
    real = run.upsert_incidents
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "upsert_incidents", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(engine, path, "cn-110", batch_size=25)
    with engine.connect() as conn:
        assert conn.execute(select(func.count(Incident.id))).scalar_one() == 0
    assert _schema(engine) == before
