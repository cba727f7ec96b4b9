"""Loading the demo district into a SQLite store: counts, replacement, first start."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from sqlalchemy import func, select

from data.database import make_engine
from data.demo.load import ensure_demo, rebuild_demo
from data.demo.scenario import generate
from data.models import FollowUpVisit, Incident, Station, StatusEvent
from data.store import insert_incidents

N = 2_000
SEED = 11
END = datetime(2026, 11, 20, 15, 59, tzinfo=UTC)


def _count(engine, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


def test_rebuild_demo_writes_every_row_of_the_generator(db_url):
    engine = make_engine(db_url)  # not migrated yet
    calls: list[tuple[int, int]] = []
    loaded = rebuild_demo(
        engine, N, seed=SEED, end=END, progress=lambda *a: calls.append(a), loop=False
    )
    frames = list(generate(N, seed=SEED, end=END))
    assert loaded == N
    assert calls[-1] == (N, N)
    assert _count(engine, Incident) == N
    assert _count(engine, StatusEvent) == sum(b.status_events.height for b in frames)
    assert _count(engine, FollowUpVisit) == sum(b.follow_ups.height for b in frames)
    assert _count(engine, Station) == 10
    engine.dispose()


def test_rebuild_replaces_the_demo_and_keeps_other_sources(db_engine):
    other = next(generate(3, seed=SEED, end=END)).incidents.with_columns(
        source_system=pl.lit("import_110"), station_code=pl.lit(None, dtype=pl.String)
    )
    insert_incidents(db_engine, other)
    rebuild_demo(db_engine, 500, seed=SEED, end=END)
    rebuild_demo(db_engine, 300, seed=SEED + 1, end=END)
    assert _count(db_engine, Incident, source_system="demo") == 300
    assert _count(db_engine, Incident, source_system="import_110") == 3
    assert _count(db_engine, Station) == 10


def test_ensure_demo_loads_only_into_an_empty_store(db_url):
    engine = make_engine(db_url)
    assert ensure_demo(engine, n_incidents=400, end=END) is True
    assert ensure_demo(engine, n_incidents=400, end=END) is False
    assert _count(engine, Incident) == 400
    engine.dispose()


def test_the_demo_loop_shows_something_everywhere_with_some_late(db_engine):
    """Issue 13: on first start every new list and table has rows, and not all of them kept
    time: requests answered late or still waiting, tasks past their service level, warned
    households overdue."""
    from data import support, tasks, warning_visits
    from data.access import Scope
    from data.demo.loop import generate_loop
    from data.demo.scenario import SOURCE_SYSTEM, resolve_end

    rebuild_demo(db_engine, 6000, seed=SEED, end=END, loop=False)
    counts = generate_loop(db_engine, SOURCE_SYSTEM, SEED, resolve_end(END))
    assert counts["requests"] >= 5 and counts["tasks"] > 50 and counts["warnings"] > 20
    everyone = Scope(user="t", stations=None, role="leadership")
    now = resolve_end(END).replace(tzinfo=None)
    clocks = support.with_clocks(support.request_frame(db_engine, everyone), now)
    assert clocks["in_time"].drop_nulls().to_list().count(False) >= 1
    assert clocks["in_time"].drop_nulls().to_list().count(True) >= 1
    assert "closed" in set(clocks["state"]) and clocks["open"].any()
    late_tasks = tasks.with_clocks(tasks.task_frame(db_engine, everyone), now)["past_due"]
    assert 0 < late_tasks.sum() < late_tasks.len()
    compliance = warning_visits.compliance_table(db_engine, everyone, now=now)
    assert 0 < compliance["kept"].sum() < compliance["warned"].sum()
    assert compliance["overdue"].sum() >= 1
