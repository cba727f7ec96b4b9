"""Imported dispatches (issue 13, 任务分拨): a profile's department column (分流部门) gives each
imported case its open task for that department, once, whatever words the export uses."""

from __future__ import annotations

from importer_fixtures import CN110_HEADERS, cn110_rows, write_csv
from sqlalchemy import select

from data.importers.run import import_file
from data.models import AuditEvent, DepartmentTask, Incident

HEADERS = (*CN110_HEADERS, "分流部门")


def _mapping(tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_text(
        '[columns]\ndepartment = "分流部门"\n\n[values.department]\n"街道综治办" = "community"\n',
        encoding="utf-8",
    )
    return path


def _tasks(engine) -> list[tuple[str, str, str]]:
    query = select(DepartmentTask.incident_no, DepartmentTask.department, DepartmentTask.state)
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(query.order_by(DepartmentTask.id)).all())


def test_each_imported_case_gets_its_department_task_once(engine_with_stations, tmp_path):
    rows = cn110_rows(count=6)
    for row, word in zip(
        rows, ["公安", "妇联、司法局", "法院", "居委会", "街道综治办", ""], strict=True
    ):
        row["分流部门"] = word
    path = write_csv(tmp_path / "export.csv", rows, headers=HEADERS)
    summary = import_file(engine_with_stations, path, "cn-110", mapping=_mapping(tmp_path))
    assert summary.inserted == 6
    expected = [
        ("J0001", "police", "open"),
        ("J0002", "justice", "open"),
        ("J0002", "womens_federation", "open"),
        ("J0003", "court", "open"),
        ("J0004", "community", "open"),
        ("J0005", "community", "open"),
    ]
    assert _tasks(engine_with_stations) == expected
    with engine_with_stations.connect() as conn:
        reported = dict(conn.execute(select(Incident.incident_no, Incident.reported_at)).all())
        clocks = conn.execute(select(DepartmentTask.incident_no, DepartmentTask.assigned_at)).all()
        audited = conn.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "task_dispatch_import")
        ).all()
    assert all(at == reported[no] for no, at in clocks)  # the clock runs from the report
    assert audited == ["tasks=6"]
    again = import_file(engine_with_stations, path, "cn-110", mapping=_mapping(tmp_path))
    assert again.unchanged == 6
    assert _tasks(engine_with_stations) == expected  # no duplicate on re-import


def test_unknown_department_words_warn_and_make_no_task(engine_with_stations, tmp_path):
    rows = cn110_rows(count=2)
    rows[0]["分流部门"] = "教育局"
    rows[1]["分流部门"] = "公安"
    path = write_csv(tmp_path / "export.csv", rows, headers=HEADERS)
    summary = import_file(engine_with_stations, path, "cn-110", mapping=_mapping(tmp_path))
    assert summary.inserted == 2
    assert _tasks(engine_with_stations) == [("J0002", "police", "open")]
    warning = [w for w in summary.warnings if w.kind == "unknown_department"]
    assert warning and "'教育局'" in warning[0].message


def test_without_the_column_mapped_no_task_is_made(engine_with_stations, tmp_path):
    rows = cn110_rows(count=2)
    rows[0]["分流部门"] = "公安"
    path = write_csv(tmp_path / "export.csv", rows, headers=HEADERS)
    import_file(engine_with_stations, path, "cn-110")
    assert _tasks(engine_with_stations) == []
