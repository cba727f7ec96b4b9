"""Status events and follow-up visits carry their incident's number (migration 0011).

On Citus the number is their shard key (docs/scaling.md); on every backend the writers fill it
in the same transaction as the incident, and the migration fills it for rows written before.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from sqlalchemy import text

from data.database import make_engine, upgrade
from data.store import insert_incidents, save_stations, upsert_incidents
from tests.data.test_store_and_access import STATION_A, STATION_B, _incidents

#: Also run against a Citus cluster (tests/backends.py).
pytestmark = pytest.mark.citus


def _children_numbers(engine, table: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT c.incident_no, i.incident_no FROM {table} c "
                "JOIN incident i ON i.id = c.incident_id AND i.incident_no = c.incident_no "
                "ORDER BY c.incident_no"
            )
        ).all()
        total = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    assert len(rows) == total, f"{table} rows whose number is not their incident's"
    return [tuple(r) for r in rows]


def test_inserted_events_and_visits_carry_the_incident_number(db_engine):
    save_stations(db_engine, [STATION_A, STATION_B])
    incidents = _incidents(
        [
            {"incident_no": n, "reported_at": datetime(2024, 3, d), "lat": 22.62, "lng": 113.82}
            for n, d in (("N1", 1), ("N2", 2))
        ]
    ).drop("created_at", "updated_at")
    events = pl.DataFrame(
        {"incident_no": ["N1", "N2"], "status": ["reported"] * 2, "at": incidents["reported_at"]}
    ).with_columns(department=pl.lit(None, pl.String), note=pl.lit(None, pl.String))
    visits = pl.DataFrame(
        {
            "incident_no": ["N2"],
            "visited_at": [datetime(2024, 3, 9)],
            "department": ["police"],
            "outcome": ["reached"],
            "note": [None],
        }
    )
    assert insert_incidents(db_engine, incidents, events, visits) == 2
    assert _children_numbers(db_engine, "status_event") == [("N1", "N1"), ("N2", "N2")]
    assert _children_numbers(db_engine, "follow_up_visit") == [("N2", "N2")]


def test_upserted_status_events_carry_the_incident_number(db_engine):
    save_stations(db_engine, [STATION_A, STATION_B])
    rows = [{"incident_no": "U1", "reported_at": datetime(2024, 3, 1), "lat": 22.62, "lng": 113.82}]
    frame = _incidents(rows).drop("created_at", "updated_at")
    upsert_incidents(db_engine, frame)
    closed = frame.with_columns(
        pl.lit("closed").alias("status"), pl.lit(datetime(2024, 3, 5)).alias("closed_at")
    )
    outcome = upsert_incidents(db_engine, closed)
    assert outcome["outcome"].to_list() == ["updated"]
    assert _children_numbers(db_engine, "status_event") == [("U1", "U1"), ("U1", "U1")]


@pytest.mark.sqlite_only
def test_the_migration_gives_existing_children_their_number(tmp_path):
    from alembic import command
    from alembic.config import Config

    from data.database import MIGRATIONS_DIR

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0009")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO incident (id, source_system, incident_no, source_channel, category, "
                "risk_level, reported_at, location_state, status, warning_letter, "
                "protection_order, minor_involved, created_at, updated_at) VALUES (7, 's', 'OLD-7',"
                " 'call_110', 'domestic_violence', 'low', '2024-01-01 00:00:00.000000', "
                "'located', 'reported', 0, 0, 0, '2024-01-01', '2024-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO status_event (incident_id, status, at) "
                "VALUES (7, 'reported', '2024-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO follow_up_visit (incident_id, visited_at, department, outcome) "
                "VALUES (7, '2024-01-02', 'police', 'reached')"
            )
        )
    upgrade(engine)
    assert _children_numbers(engine, "status_event") == [("OLD-7", "OLD-7")]
    assert _children_numbers(engine, "follow_up_visit") == [("OLD-7", "OLD-7")]
    engine.dispose()
