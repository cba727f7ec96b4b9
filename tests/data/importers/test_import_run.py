"""Whole imports: formats, idempotency, updates by later rows, status events, the audit trail."""

from __future__ import annotations

import json

import polars as pl
import pytest
from importer_fixtures import CN110_HEADERS, cn110_rows, write_csv
from sqlalchemy import func, select

from data.importers.run import import_file
from data.models import AuditEvent, Incident, StatusEvent

#: Also run against a Citus cluster (tests/backends.py).
pytestmark = pytest.mark.citus


def _counts(summary) -> tuple[int, int, int, int]:
    return summary.inserted, summary.updated, summary.unchanged, summary.rejected


def _table(engine, model) -> list:
    with engine.connect() as conn:
        # In id order: a Citus cluster returns the shards' rows in any order.
        return conn.execute(select(model).order_by(model.id)).all()


def _events(engine) -> list[tuple[str, str]]:
    query = (
        select(Incident.incident_no, StatusEvent.status)
        .join(
            StatusEvent,
            # By number too: on Citus a join of co-located tables goes by their shard key.
            (StatusEvent.incident_id == Incident.id)
            & (StatusEvent.incident_no == Incident.incident_no),
        )
        .order_by(Incident.incident_no, StatusEvent.at, StatusEvent.id)
    )
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query).all()]


def test_a_gb18030_export_imports_with_counts_that_add_up(engine_with_stations, tmp_path):
    rows = cn110_rows(count=30)
    rows[4]["接警时间"] = "not a time"
    path = write_csv(tmp_path / "宝安警情.csv", rows, encoding="gb18030", blank_after=(9,))
    summary = import_file(engine_with_stations, path, "cn-110")
    assert summary.encoding == "gb18030"
    assert (summary.rows_read, summary.blank_lines) == (30, 1)
    assert _counts(summary) == (29, 0, 0, 1)
    assert summary.balanced
    text = "\n".join(summary.lines())
    assert "宝安警情.csv: row 6: column 接警时间: value 'not a time'" in text


def test_importing_the_same_file_twice_changes_nothing(engine_with_stations, tmp_path):
    rows = cn110_rows(count=25)
    rows[3].update({"处置状态": "已办结", "办结时间": "2024-03-05 10:00:00"})
    rows[7].update({"经度": "", "纬度": ""})  # placed from the same address
    path = write_csv(tmp_path / "export.csv", rows, encoding="utf-8-sig")
    first = import_file(engine_with_stations, path, "cn-110", batch_size=10)
    assert _counts(first) == (25, 0, 0, 0)
    before = [tuple(r) for r in _table(engine_with_stations, Incident)]
    events_before = _events(engine_with_stations)
    second = import_file(engine_with_stations, path, "cn-110", batch_size=7)
    assert _counts(second) == (0, 0, 25, 0)
    assert [tuple(r) for r in _table(engine_with_stations, Incident)] == before  # updated_at too
    assert _events(engine_with_stations) == events_before


def test_a_later_row_updates_status_and_adds_a_status_event(engine_with_stations, tmp_path):
    first = write_csv(tmp_path / "day1.csv", cn110_rows({"警情编号": "J1"}, {"警情编号": "J2"}))
    import_file(engine_with_stations, first, "cn-110")
    assert _events(engine_with_stations) == [("J1", "reported"), ("J2", "reported")]
    later = write_csv(
        tmp_path / "day2.csv",
        cn110_rows(
            {
                "警情编号": "J1",
                "处置状态": "已办结",
                "办结时间": "2024-03-03 09:00:00",
                "是否出具告诫书": "是",
            },
            {"警情编号": "J2"},
        ),
    )
    summary = import_file(engine_with_stations, later, "cn-110")
    assert _counts(summary) == (0, 1, 1, 0)
    with engine_with_stations.connect() as conn:
        j1 = conn.execute(select(Incident).where(Incident.incident_no == "J1")).one()
        closed_event = conn.execute(
            select(StatusEvent.at).where(StatusEvent.status == "closed")
        ).scalar_one()
    assert j1.status == "closed" and j1.warning_letter is True
    assert j1.updated_at > j1.created_at
    assert str(j1.closed_at) == "2024-03-03 01:00:00" == str(closed_event)
    assert _events(engine_with_stations) == [
        ("J1", "reported"),
        ("J1", "closed"),
        ("J2", "reported"),
    ]
    assert _counts(import_file(engine_with_stations, later, "cn-110")) == (0, 0, 2, 0)


def test_rows_repeating_an_incident_in_one_file_merge_in_order(engine_with_stations, tmp_path):
    rows = cn110_rows(
        {"警情编号": "J1"},
        {"警情编号": "J2"},
        {"警情编号": "J1", "处置状态": "处置中"},
        {"警情编号": "J1", "处置状态": "已办结", "办结时间": "2024-03-02 10:00:00"},
    )
    path = write_csv(tmp_path / "repeats.csv", rows)
    summary = import_file(engine_with_stations, path, "cn-110")
    assert _counts(summary) == (2, 2, 0, 0) and summary.balanced
    with engine_with_stations.connect() as conn:
        assert conn.execute(select(func.count(Incident.id))).scalar_one() == 2
        status = conn.execute(select(Incident.status).where(Incident.incident_no == "J1"))
        assert status.scalar_one() == "closed"
    again = import_file(engine_with_stations, path, "cn-110")
    assert _counts(again) == (0, 0, 4, 0)


def test_an_excel_export_imports(engine_with_stations, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from datetime import datetime

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(CN110_HEADERS))
    for i, row in enumerate(cn110_rows(count=3)):
        values = [row[h] or None for h in CN110_HEADERS]
        values[1] = datetime(2024, 3, 1 + i, 9, 30)  # a real Excel date cell
        values[6], values[7] = 113.82, 22.62  # numbers, not text
        sheet.append(values)
    path = tmp_path / "警情.xlsx"
    book.save(path)
    summary = import_file(engine_with_stations, path, "cn-110")
    assert _counts(summary) == (3, 0, 0, 0)
    with engine_with_stations.connect() as conn:
        rows = conn.execute(
            select(Incident.reported_at, Incident.station_code).order_by(Incident.reported_at)
        ).all()
    assert (str(rows[0][0]), rows[0][1]) == ("2024-03-01 01:30:00", "A")


def test_a_parquet_export_imports(engine_with_stations, tmp_path):
    frame = pl.DataFrame(cn110_rows(count=4)).with_columns(
        pl.col("经度").cast(pl.Float64), pl.col("纬度").cast(pl.Float64)
    )
    path = tmp_path / "export.parquet"
    frame.write_parquet(path)
    assert _counts(import_file(engine_with_stations, path, "cn-110")) == (4, 0, 0, 0)


def test_every_import_is_audited(engine_with_stations, tmp_path):
    path = write_csv(tmp_path / "audit.csv", cn110_rows(count=2))
    import_file(engine_with_stations, path, "cn-110", user="cli:zhang")
    audit = _table(engine_with_stations, AuditEvent)
    assert [(a.user, a.action, a.target) for a in audit] == [
        ("cli:zhang", "import_started", "file:audit.csv"),
        ("cli:zhang", "import", "file:audit.csv"),
    ]
    detail = json.loads(audit[-1].detail)
    assert detail["inserted"] == 2 and detail["rows_read"] == 2 and detail["profile"] == "cn-110"


def test_the_portable_write_path_gives_the_same_result(engine_with_stations, tmp_path, monkeypatch):
    # PostgreSQL goes through SQLAlchemy Core, not the sqlite3 driver: same rows, same events.
    import data.store

    monkeypatch.setattr(data.store, "_sqlite_fast_path", lambda engine: False)
    rows = cn110_rows({"警情编号": "J1"}, {"警情编号": "J2", "处置状态": "处置中"})
    path = write_csv(tmp_path / "core.csv", rows)
    assert _counts(import_file(engine_with_stations, path, "cn-110")) == (2, 0, 0, 0)
    assert _events(engine_with_stations) == [
        ("J1", "reported"),
        ("J2", "reported"),
        ("J2", "handling"),
    ]
    later = write_csv(tmp_path / "core2.csv", cn110_rows({"警情编号": "J1", "处置状态": "已办结"}))
    assert _counts(import_file(engine_with_stations, later, "cn-110")) == (0, 1, 0, 0)
    assert _events(engine_with_stations)[1] == ("J1", "closed")
    assert _counts(import_file(engine_with_stations, later, "cn-110")) == (0, 0, 1, 0)
