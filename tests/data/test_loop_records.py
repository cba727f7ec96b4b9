"""Closing the loop (issue 13): support requests, department tasks, warning-letter visits.

Runs on the backend under test (SQLite by default, PostgreSQL with ANNING_TEST_DATABASE),
including the concurrency tests: two people acting on one request at the same moment.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import support, tasks, warning_visits
from data.access import Scope
from data.models import (
    AuditEvent,
    FollowUpVisit,
    Incident,
    Station,
    StatusEvent,
    SupportRequestEvent,
)

#: Also run against a Citus cluster (tests/backends.py).
pytestmark = pytest.mark.citus

NOW = datetime(2026, 11, 20, 12, 0)
BOX = '{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}'

CHIEF = Scope(
    user="chief1", stations=frozenset({"S1"}), personal_details=True, role="station_chief"
)
OFFICER = Scope(
    user="officer1", stations=frozenset({"S1"}), personal_details=True, role="station_officer"
)
OTHER_CHIEF = Scope(
    user="chief2", stations=frozenset({"S2"}), personal_details=True, role="station_chief"
)
UNIT = Scope(user="zagl1", stations=frozenset(), role="support_unit", unit="ZAGL")
OTHER_UNIT = Scope(user="zhzx1", stations=frozenset(), role="support_unit", unit="ZHZX")
COMMAND = Scope(user="cmd", stations=None, can_reveal=True, role="command_center")
LEADER = Scope(user="leader", stations=None, role="leadership")


def _incident(no, station, at, address="幸福路8号", victim="v1", **kw):
    return Incident(
        source_system="test",
        incident_no=no,
        source_channel="call_110",
        category="domestic_violence",
        risk_level="high",
        reported_at=at,
        address_raw=address,
        address_key=address,
        station_code=station,
        status="handling",
        victim_key=victim,
        offender_key="o-" + victim,
        summary="秘密案情",
        created_at=at,
        updated_at=at,
        **kw,
    )


@pytest.fixture
def loop_db(db_engine):
    """Two stations; S1 has a repeat household (3 calls at one address), S2 one case."""
    with Session(db_engine) as s:
        s.add_all(
            [
                Station(code="S1", name_zh="一所", name_en="One", boundary_geojson=BOX),
                Station(code="S2", name_zh="二所", name_en="Two", boundary_geojson=BOX),
            ]
        )
        s.flush()
        for i in range(3):
            s.add(_incident(f"A{i}", "S1", NOW - timedelta(days=30 - i * 10)))
        s.add(_incident("B0", "S2", NOW - timedelta(days=3), address="别处1号", victim="v9"))
        s.add(_incident("A9", "S1", NOW - timedelta(days=2), address="他处5号", victim="v5"))
        s.commit()
    return db_engine


def _id(engine, no):
    with engine.connect() as conn:
        return conn.execute(select(Incident.id).where(Incident.incident_no == no)).scalar_one()


def _file(engine, scope=CHIEF, no="A2", urgency="urgent", now=NOW):
    return support.file_request(
        engine,
        scope,
        incident_id=_id(engine, no),
        unit_code="ZAGL",
        subject_kind="household",
        reason_codes=["repeat_calls", "escalation_risk"],
        reason_text="多次调处无果仍重复报警",
        urgency=urgency,
        now=now,
    )


def _actions(engine, action_prefix):
    with engine.connect() as conn:
        return [
            (u, a, t)
            for u, a, t in conn.execute(
                select(AuditEvent.user, AuditEvent.action, AuditEvent.target).order_by(
                    AuditEvent.id
                )
            )
            if a.startswith(action_prefix)
        ]


# -- support requests -------------------------------------------------------------------------
def test_units_are_configured_by_the_migration(loop_db):
    assert [u.code for u in support.units(loop_db)] == ["ZAGL", "ZHZX"]
    support.add_unit(loop_db, "XJDD", "刑警大队", "Criminal Investigation", actor="admin")
    assert "XJDD" in {u.code for u in support.units(loop_db)}


def test_filing_attaches_the_household_history_and_starts_the_clock(loop_db):
    rid = _file(loop_db)
    frame = support.request_frame(loop_db, CHIEF)
    row = frame.row(0, named=True)
    assert row["id"] == rid and row["state"] == "requested" and row["station_code"] == "S1"
    # The household's three calls at 幸福路8号, not the other address of the station.
    assert row["linked"] == 3
    assert row["response_due_at"] == NOW + timedelta(hours=2)  # urgent
    assert ("chief1", "support_request", f"support_request:{rid}") in _actions(loop_db, "support")


def test_response_hours_are_configurable(loop_db, monkeypatch):
    monkeypatch.setenv("ANNING_SUPPORT_RESPONSE_HOURS", "urgent=1,normal=48")
    rid = _file(loop_db, urgency="normal")
    due = support.request_frame(loop_db, CHIEF).filter(pl.col("id") == rid)["response_due_at"][0]
    assert due == NOW + timedelta(hours=48)


def test_bad_input_is_refused_with_the_reason(loop_db):
    with pytest.raises(support.SupportError, match="unknown reason code 'nope'"):
        support.file_request(
            loop_db, CHIEF, incident_id=_id(loop_db, "A2"), unit_code="ZAGL",
            subject_kind="household", reason_codes=["nope"], reason_text="x", urgency="urgent",
        )  # fmt: skip
    with pytest.raises(support.SupportError, match="no support unit 'XXX'"):
        support.file_request(
            loop_db, CHIEF, incident_id=_id(loop_db, "A2"), unit_code="XXX",
            subject_kind="household", reason_codes=["other"], reason_text="x", urgency="urgent",
        )  # fmt: skip
    with pytest.raises(support.SupportError, match="reason text is required"):
        support.file_request(
            loop_db, CHIEF, incident_id=_id(loop_db, "A2"), unit_code="ZAGL",
            subject_kind="household", reason_codes=["other"], reason_text="  ", urgency="urgent",
        )  # fmt: skip


def test_a_station_files_only_for_its_own_cases(loop_db):
    with pytest.raises(PermissionError):
        _file(loop_db, scope=OTHER_CHIEF)  # A2 is S1's
    with pytest.raises(PermissionError):
        _file(loop_db, scope=UNIT)
    with pytest.raises(PermissionError):
        _file(loop_db, scope=LEADER)


def test_the_whole_loop_and_who_sees_it(loop_db):
    rid = _file(loop_db)
    # The addressed unit sees it; the other unit and the other station do not.
    assert support.request_frame(loop_db, UNIT)["id"].to_list() == [rid]
    assert support.request_frame(loop_db, OTHER_UNIT).is_empty()
    assert support.request_frame(loop_db, OTHER_CHIEF).is_empty()
    assert support.request_frame(loop_db, COMMAND)["id"].to_list() == [rid]
    assert support.request_detail(loop_db, OTHER_UNIT, rid) is None
    # Only the unit answers; the station cannot accept its own request.
    with pytest.raises(PermissionError):
        support.act(loop_db, CHIEF, rid, "accept")
    with pytest.raises(PermissionError):
        support.act(loop_db, OTHER_UNIT, rid, "accept")
    v = support.act(loop_db, UNIT, rid, "accept", now=NOW + timedelta(minutes=50))
    v = support.act(loop_db, UNIT, rid, "start", expected_version=v, now=NOW + timedelta(hours=3))
    with pytest.raises(support.SupportError, match="feedback text is required"):
        support.act(loop_db, UNIT, rid, "feedback", expected_version=v)
    v = support.act(
        loop_db, UNIT, rid, "feedback", note="已联合调处，双方签订调解协议",
        expected_version=v, now=NOW + timedelta(days=1),
    )  # fmt: skip
    # Only the chief reopens; the officer may close.
    with pytest.raises(PermissionError):
        support.act(loop_db, OFFICER, rid, "reopen", note="支援无效")
    v = support.act(
        loop_db, CHIEF, rid, "reopen", note="调解后再次报警", now=NOW + timedelta(days=2)
    )
    detail = support.request_detail(loop_db, CHIEF, rid)
    assert detail.fields["state"] == "requested" and detail.fields["reopened"] == 1
    assert detail.fields["response_due_at"] == NOW + timedelta(days=2, hours=2)
    assert [e["action"] for e in detail.events] == [
        "file", "accept", "start", "feedback", "reopen",
    ]  # fmt: skip
    support.act(loop_db, UNIT, rid, "accept", now=NOW + timedelta(days=2, hours=1))
    support.act(loop_db, UNIT, rid, "feedback", note="再次上门", now=NOW + timedelta(days=3))
    support.act(loop_db, OFFICER, rid, "close", now=NOW + timedelta(days=3, hours=1))
    table = support.unit_table(loop_db, LEADER, now=NOW + timedelta(days=4))
    zagl = table.filter(pl.col("unit_code") == "ZAGL").row(0, named=True)
    assert zagl["requests"] == 1 and zagl["open"] == 0
    assert zagl["answered_in_time"] == 1.0 and zagl["closed_with_feedback"] == 1.0
    assert zagl["median_response_minutes"] == pytest.approx(60.0)  # answered 1 h after reopening
    actions = [a for _, a, _ in _actions(loop_db, "support_")]
    assert actions.count("support_refused") == 3
    assert "support_reopen" in actions and "support_close" in actions


def test_declining_answers_the_clock_and_a_late_answer_counts_late(loop_db):
    a = _file(loop_db, no="A2")
    b = _file(loop_db, no="A9", urgency="normal")
    with pytest.raises(support.SupportError, match="decline text is required"):
        support.act(loop_db, UNIT, a, "decline")
    support.act(
        loop_db, UNIT, a, "decline", note="不属本队职责，请转刑警大队", now=NOW + timedelta(hours=1)
    )
    support.act(loop_db, UNIT, b, "accept", now=NOW + timedelta(hours=30))  # 24 h allowed
    clocks = support.with_clocks(support.request_frame(loop_db, LEADER), NOW + timedelta(days=2))
    by_id = {r["id"]: r for r in clocks.iter_rows(named=True)}
    assert by_id[a]["in_time"] is True and by_id[a]["state"] == "declined"
    assert by_id[b]["in_time"] is False
    table = support.unit_table(loop_db, LEADER, now=NOW + timedelta(days=2)).row(0, named=True)
    assert table["answered_in_time"] == 0.5
    assert table["closed_with_feedback"] == 0.0  # the declined one ended without feedback


def test_past_due_while_unanswered(loop_db):
    rid = _file(loop_db)
    early = support.with_clocks(support.request_frame(loop_db, COMMAND), NOW + timedelta(hours=1))
    late = support.with_clocks(support.request_frame(loop_db, COMMAND), NOW + timedelta(hours=3))
    assert early.filter(pl.col("id") == rid)["past_due"][0] is False
    assert late.filter(pl.col("id") == rid)["past_due"][0] is True
    assert support.unit_table(loop_db, COMMAND, now=NOW + timedelta(hours=3))["past_due"][0] == 1


def test_the_unit_reads_linked_cases_in_full_only_while_the_request_is_open(loop_db):
    rid = _file(loop_db)
    case = _id(loop_db, "A0")
    other = _id(loop_db, "A9")  # same station, not linked
    detail = support.linked_case(loop_db, UNIT, rid, case)
    assert detail.fields["summary"] == "秘密案情" and detail.fields["address_raw"] == "幸福路8号"
    with pytest.raises(PermissionError):
        support.linked_case(loop_db, UNIT, rid, other)
    with pytest.raises(PermissionError):
        support.linked_case(loop_db, OTHER_UNIT, rid, case)
    support.act(loop_db, UNIT, rid, "decline", note="不属本队职责")
    with pytest.raises(PermissionError):
        support.linked_case(loop_db, UNIT, rid, case)
    # After the request ended, the linked list shows masked addresses only.
    linked = support.request_detail(loop_db, UNIT, rid).linked
    assert all("8" not in (row["address"] or "") for row in linked)
    trail = _actions(loop_db, "support_")
    assert ("zagl1", "support_view_case", f"incident:{case}") in trail
    assert [a for _, a, _ in trail].count("support_refused") == 3


def _race(*calls):
    """Run the calls at the same moment in threads; their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_people_acting_on_one_version_one_wins_the_other_is_told(loop_db):
    """Both read version 1: the unit accepts, the command centre declines. Exactly one is
    written; the other gets StaleRequestError (nothing silently overwritten)."""
    rid = _file(loop_db)
    results = _race(
        lambda: support.act(loop_db, UNIT, rid, "accept", expected_version=1),
        lambda: support.act(loop_db, COMMAND, rid, "decline", note="重复请求", expected_version=1),
    )
    wins = [r for r in results if isinstance(r, int)]
    stale = [r for r in results if isinstance(r, support.StaleRequestError)]
    assert len(wins) == 1 and len(stale) == 1, results
    with Session(loop_db) as s:
        events = s.scalars(
            select(SupportRequestEvent.action).where(SupportRequestEvent.request_id == rid)
        ).all()
    assert len(events) == 2  # file + the one that won


def test_actions_without_versions_are_rechecked_never_lost(loop_db):
    """The push API sends no version. The unit starts support while the command centre, at the
    same moment, gives feedback: whichever comes second is re-checked against the newer state
    and retried. Every action that returned is in the history, and one that could not apply
    any more was told why (SupportError naming the state): none vanished."""
    for _ in range(3):
        rid = _file(loop_db)
        support.act(loop_db, UNIT, rid, "accept")
        results = _race(
            lambda rid=rid: support.act(loop_db, UNIT, rid, "start"),
            lambda rid=rid: support.act(loop_db, COMMAND, rid, "feedback", note="指挥中心已协调"),
        )
        landed = [r for r in results if isinstance(r, int)]
        told = [r for r in results if isinstance(r, support.SupportError)]
        assert len(landed) + len(told) == 2, results
        assert all("cannot start" in str(r) for r in told)
        detail = support.request_detail(loop_db, COMMAND, rid)
        assert len(detail.events) == 2 + len(landed)
        assert detail.fields["version"] == len(detail.events)
        assert "feedback" in [e["action"] for e in detail.events]


# -- department tasks -----------------------------------------------------------------------
def test_tasks_clocks_and_actions_enter_the_status_history(loop_db):
    case = _id(loop_db, "A2")
    police = tasks.dispatch(loop_db, CHIEF, case, "police", now=NOW - timedelta(hours=30))
    tasks.dispatch(loop_db, CHIEF, case, "womens_federation", now=NOW - timedelta(hours=10))
    with pytest.raises(tasks.TaskError, match="open police task already"):
        tasks.dispatch(loop_db, CHIEF, case, "police")
    with pytest.raises(PermissionError):
        tasks.dispatch(loop_db, OTHER_CHIEF, case, "court")
    table = tasks.department_table(loop_db, LEADER, now=NOW)
    rows = {r["department"]: r for r in table.iter_rows(named=True)}
    assert rows["police"]["open"] == 1 and rows["police"]["open_past_due"] == 1  # 24 h
    assert rows["womens_federation"]["open_past_due"] == 0  # 72 h
    done = tasks.record_action(
        loop_db, OFFICER, case, "police", "mediation", at=NOW - timedelta(hours=2), note="调解"
    )
    assert done == police
    with Session(loop_db) as s:
        ev = s.scalars(
            select(StatusEvent).where(StatusEvent.incident_id == case).order_by(StatusEvent.id)
        ).all()
    assert [(e.status, e.department) for e in ev] == [("mediation", "police")]
    rows = {
        r["department"]: r
        for r in tasks.department_table(loop_db, LEADER, now=NOW).iter_rows(named=True)
    }
    assert rows["police"]["done"] == 1 and rows["police"]["median_handling_hours"] == 28
    assert rows["police"]["done_in_time"] == 0.0
    assert tasks.department_table(loop_db, OTHER_CHIEF, now=NOW)["open"].sum() == 0
    with pytest.raises(tasks.TaskError, match="future"):
        tasks.record_action(loop_db, OFFICER, case, "court", "visit", at=NOW + timedelta(days=999))


def test_two_recorders_finishing_one_task_keep_both_actions(loop_db):
    case = _id(loop_db, "A2")
    tasks.dispatch(loop_db, CHIEF, case, "community", now=NOW - timedelta(hours=5))
    results = _race(
        lambda: tasks.record_action(loop_db, OFFICER, case, "community", "visit"),
        lambda: tasks.record_action(loop_db, CHIEF, case, "community", "referral"),
    )
    assert all(not isinstance(r, Exception) or isinstance(r, tasks.StaleTaskError) for r in results)
    with Session(loop_db) as s:
        ev = s.scalars(select(StatusEvent.status).where(StatusEvent.incident_id == case)).all()
    # Each recorded action is in the history, whichever closed the task (a stale one refused
    # is reported to its actor, never silently dropped).
    kept = [r for r in results if not isinstance(r, Exception)]
    assert len(ev) == len(kept) >= 1
    assert tasks.task_frame(loop_db, CHIEF, incident_id=case)["state"].to_list() == ["done"]


def test_refused_dispatches_are_audited_with_the_reason(loop_db):
    """A dispatch from the case page that is refused leaves an audit row saying why."""
    case = _id(loop_db, "A2")
    tasks.dispatch(loop_db, CHIEF, case, "police", now=NOW - timedelta(hours=1))
    with pytest.raises(tasks.DuplicateTaskError):
        tasks.dispatch(loop_db, OFFICER, case, "police")
    with pytest.raises(PermissionError):
        tasks.dispatch(loop_db, OTHER_CHIEF, case, "court")
    with pytest.raises(PermissionError):
        tasks.dispatch(loop_db, LEADER, case, "court")
    with pytest.raises(tasks.TaskError):
        tasks.dispatch(loop_db, CHIEF, case, "fire_brigade")
    refused = _actions(loop_db, "task_dispatch")
    assert refused[0] == ("chief1", "task_dispatch", f"incident:{case}")
    assert [(u, a) for u, a, _ in refused[1:]] == [
        ("officer1", "task_dispatch_refused"),
        ("chief2", "task_dispatch_refused"),
        ("leader", "task_dispatch_refused"),
        ("chief1", "task_dispatch_refused"),
    ]
    with loop_db.connect() as conn:
        details = conn.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "task_dispatch_refused")
            .order_by(AuditEvent.id)
        ).all()
    assert "open police task already" in details[0] and "not visible" in details[1]
    assert tasks.task_frame(loop_db, COMMAND)["department"].to_list() == ["police"]


def test_dispatches_from_other_systems_and_imports(loop_db):
    """By incident number (with the words exports use), once per open department task;
    imports make a department's task only if the case never had one."""
    assert tasks.department_code("居委会") == "community"
    assert tasks.department_code(" court ") == "court"
    assert tasks.department_code("教育局") is None
    reported = NOW - timedelta(days=2)
    at = reported + timedelta(hours=1)
    first = tasks.dispatch_from_system(loop_db, "api:x", "test", "A9", "公安", at)
    with pytest.raises(tasks.DuplicateTaskError):
        tasks.dispatch_from_system(loop_db, "api:x", "test", "A9", "police", at)
    with pytest.raises(tasks.TaskError, match="no incident"):
        tasks.dispatch_from_system(loop_db, "api:x", "other", "A9", "police", at)
    with pytest.raises(tasks.TaskError, match="before the case was reported"):
        tasks.dispatch_from_system(loop_db, "api:x", "test", "A9", "court", reported - timedelta(1))
    with pytest.raises(tasks.TaskError, match="is not one of"):
        tasks.dispatch_from_system(loop_db, "api:x", "test", "A9", "教育局", at)
    frame = tasks.task_frame(loop_db, CHIEF, incident_id=_id(loop_db, "A9"))
    assert frame["id"].to_list() == [first] and frame["assigned_at"][0] == at
    assert frame["due_at"][0] == at + timedelta(hours=24)
    tasks.record_action(loop_db, CHIEF, _id(loop_db, "A9"), "police", "visit", at=NOW)
    pairs = [("A9", "police"), ("A9", "court"), ("A1", "community"), ("ZZ", "court")]
    assert tasks.open_imported_tasks(loop_db, "test", pairs, actor="importer") == 2
    assert tasks.open_imported_tasks(loop_db, "test", pairs, actor="importer") == 0
    frame = tasks.task_frame(loop_db, COMMAND).sort("incident_no", "department")
    assert list(zip(frame["incident_no"], frame["department"], frame["state"], strict=True)) == [
        ("A1", "community", "open"),
        ("A9", "court", "open"),
        ("A9", "police", "done"),  # done before the import: not reopened, not duplicated
    ]
    assert frame["assigned_at"][0] == NOW - timedelta(days=20)  # from the report


# -- warning letters ------------------------------------------------------------------------
def test_schedule_state_planted():
    issued = datetime(2026, 1, 1)
    end = issued + timedelta(days=61)
    s = warning_visits.schedule_state(issued, 7, 14, end, [], issued)
    assert (s.state, s.next_due) == ("due", issued + timedelta(days=7))  # due from the letter
    visited = [issued + timedelta(days=2)]
    s = warning_visits.schedule_state(issued, 7, 14, end, visited, issued + timedelta(days=3))
    assert (s.state, s.next_due) == ("scheduled", issued + timedelta(days=16))
    s = warning_visits.schedule_state(issued, 7, 14, end, visited, issued + timedelta(days=10))
    assert s.state == "due"
    s = warning_visits.schedule_state(issued, 7, 14, end, [], issued + timedelta(days=8))
    assert s.state == "overdue" and not s.kept
    visits = [issued + timedelta(days=d) for d in (6, 19, 33, 46, 59)]
    s = warning_visits.schedule_state(issued, 7, 14, end, visits, issued + timedelta(days=70))
    assert s.state == "complete" and s.kept and s.visits == 5
    late = [issued + timedelta(days=d) for d in (9, 20, 34, 48, 60)]
    s = warning_visits.schedule_state(issued, 7, 14, end, late, issued + timedelta(days=70))
    assert s.state == "complete" and not s.kept


def test_warning_letter_visit_due_visit_recorded_compliance_updated(loop_db):
    case = _id(loop_db, "A9")
    issued = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=6)
    sid = warning_visits.issue_warning(loop_db, CHIEF, case, at=issued)
    assert sid is not None
    assert warning_visits.issue_warning(loop_db, CHIEF, case) is None  # one letter, one plan
    with pytest.raises(PermissionError):
        warning_visits.issue_warning(loop_db, OTHER_CHIEF, case)
    frame = warning_visits.schedules(loop_db, CHIEF)
    assert frame["state"].to_list() == ["due"]
    persons = warning_visits.tagged_persons(loop_db, CHIEF)
    assert sorted(persons["person"].to_list()) == ["O-O-V5", "V-V5"]
    assert warning_visits.schedules(loop_db, OTHER_CHIEF).is_empty()
    warning_visits.record_visit(loop_db, OFFICER, case, outcome="stable")
    after = warning_visits.schedules(loop_db, CHIEF).row(0, named=True)
    assert after["state"] == "scheduled" and after["visits"] == 1 and after["kept"]
    table = warning_visits.compliance_table(loop_db, LEADER)
    assert table.row(0, named=True) | {} == {
        "station_code": "S1", "warned": 1, "active": 1, "overdue": 0, "kept": 1,
        "compliance": 1.0,
    }  # fmt: skip
    with Session(loop_db) as s:
        assert s.scalars(select(FollowUpVisit.outcome)).all() == ["stable"]
        assert s.get(Incident, case).warning_letter is True
    assert ("officer1", "warning_visit", f"incident:{case}") in _actions(loop_db, "warning")


def test_overdue_schedule_counts_against_compliance(loop_db):
    case = _id(loop_db, "A2")
    warning_visits.start_schedule(loop_db, "system", case, NOW - timedelta(days=20))
    table = warning_visits.compliance_table(loop_db, LEADER, now=NOW)
    row = table.row(0, named=True)
    assert row["overdue"] == 1 and row["compliance"] == 0.0
