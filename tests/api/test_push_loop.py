"""The push API for support requests and department tasks (issue 13): same tokens, same
body rules as the incident push, per-item outcomes, stale versions refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import support, tasks
from data.access import Scope
from data.models import AuditEvent, Incident

CHIEF = Scope(
    user="chief", stations=frozenset({"BA01"}), personal_details=True, role="station_chief"
)


@pytest.fixture
def case(store):
    """One case of BA01 with a support request and a police task."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with Session(store) as s:
        inc = Incident(
            source_system="test", incident_no="P1", source_channel="call_110",
            category="domestic_violence", risk_level="high", reported_at=now - timedelta(days=1),
            address_raw="幸福路8号", address_key="幸福路8号", station_code="BA01",
            status="handling", created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(inc)
        s.commit()
        incident_id = inc.id
    request_id = support.file_request(
        store, CHIEF, incident_id=incident_id, unit_code="ZAGL", subject_kind="case",
        reason_codes=["repeat_calls"], reason_text="重复报警", urgency="urgent",
    )  # fmt: skip
    task_id = tasks.dispatch(store, CHIEF, incident_id, "police")
    return request_id, task_id


def _post(client, path, token, body):
    return client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def test_no_token_no_change(client, case):
    request_id, _ = case
    response = client.post(
        "/api/v1/loop/support-requests", json={"id": request_id, "action": "accept"}
    )
    assert response.status_code == 401


def test_units_answers_arrive_by_push(client, store, token, case):
    request_id, _ = case
    response = _post(
        client, "/api/v1/loop/support-requests", token,
        [{"id": request_id, "action": "accept", "version": 1},
         {"id": request_id, "action": "accept", "version": 1},
         {"id": request_id, "action": "feedback", "note": "已联合调处"},
         {"id": 99999, "action": "start"}],
    )  # fmt: skip
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [r["outcome"] for r in body["results"]] == ["applied", "stale", "applied", "rejected"]
    assert body["counts"] == {"applied": 2, "stale": 1, "rejected": 1}
    detail = support.request_detail(store, CHIEF, request_id)
    assert detail.fields["state"] == "feedback_given"
    assert [e["actor"] for e in detail.events][1:] == ["api:p110", "api:p110"]
    with store.connect() as conn:
        actions = set(conn.scalars(select(AuditEvent.action).where(AuditEvent.user.like("%p110"))))
    assert {"push_loop", "support_accept", "support_feedback"} <= actions


def test_a_push_cannot_take_a_stations_action(client, store, token, case):
    request_id, _ = case
    response = _post(
        client, "/api/v1/loop/support-requests", token, {"id": request_id, "action": "close"}
    )
    assert response.status_code == 400
    assert response.get_json()["field"] == "action"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "1", "action": "accept"}, "id"),
        ({"action": "accept"}, "id"),
        ({"id": 1, "action": "accept", "colour": "red"}, "colour"),
        ({"id": 1, "action": "accept", "version": 0}, "version"),
    ],
)
def test_bad_bodies_are_refused_whole(client, token, case, body, field):
    response = _post(client, "/api/v1/loop/support-requests", token, [body])
    assert response.status_code == 400
    assert response.get_json()["field"] == field


def test_task_states_arrive_by_push(client, store, token, case):
    _, task_id = case
    response = _post(
        client, "/api/v1/loop/tasks", token,
        [{"id": task_id, "state": "done", "at": "2026-11-20T10:00:00+08:00"},
         {"id": 424242, "state": "done"}],
    )  # fmt: skip
    assert response.status_code == 200
    assert [r["outcome"] for r in response.get_json()["results"]] == ["applied", "rejected"]
    frame = tasks.task_frame(store, CHIEF)
    assert frame["state"].to_list() == ["done"]
    assert frame["done_at"][0] == datetime(2026, 11, 20, 2, 0)
    bad = _post(
        client, "/api/v1/loop/tasks", token, {"id": task_id, "state": "done", "at": "yesterday"}
    )
    assert bad.status_code == 400 and bad.get_json()["field"] == "at"


def test_a_pushed_warning_letter_starts_its_visit_schedule(client, store, token):
    """告诫必访: an incident pushed with a warning letter gets its schedule at once; one
    without gets none; pushing the same letter again starts no second one."""
    from datetime import timedelta as days

    from data import warning_visits

    when = (datetime.now(UTC) + days(hours=8) - days(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    base = {
        "接警时间": when, "警情类别": "家庭暴力", "风险等级": "高",
        "发案地址": "宝安区新安街道新安一路1号", "经度": 113.89, "纬度": 22.56,
        "管辖单位": "BA01", "处置状态": "已派警",
    }  # fmt: skip
    body = [
        {**base, "警情编号": "W1", "是否出具告诫书": "是"},
        {**base, "警情编号": "W2", "是否出具告诫书": "否"},
    ]
    for _ in range(2):
        response = _post(client, "/api/v1/incidents", token, body)
        assert response.status_code == 200, response.get_json()
    frame = warning_visits.schedules(store, CHIEF)
    assert frame["incident_no"].to_list() == ["W1"]
    assert frame["state"].to_list() == ["due"]  # first visit due within 7 days


def test_dispatches_arrive_by_push(client, store, token):
    """任务分拨 from another system: incident number + department (code or word) + time; a
    retried dispatch is stale, an unknown case or department rejected, a bad shape a 400."""
    reported = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=2)
    with Session(store) as s:
        s.add(
            Incident(
                source_system="110", incident_no="J9", source_channel="call_110",
                category="domestic_violence", risk_level="high", reported_at=reported,
                address_raw="幸福路8号", address_key="幸福路8号", station_code="BA01",
                status="handling", created_at=reported, updated_at=reported,
            )
        )  # fmt: skip
        s.commit()
    at = (reported + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = _post(
        client, "/api/v1/loop/tasks", token,
        [{"incident_no": "J9", "department": "妇联", "at": at},
         {"incident_no": "J9", "department": "womens_federation"},
         {"incident_no": "J9", "department": "court"},
         {"incident_no": "NOPE", "department": "police"},
         {"incident_no": "J9", "department": "教育局"},
         {"incident_no": "J9", "department": "justice", "at": "2001-01-01T00:00:00Z"}],
    )  # fmt: skip
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [r["outcome"] for r in body["results"]] == [
        "applied", "stale", "applied", "rejected", "rejected", "rejected",
    ]  # fmt: skip
    assert body["counts"] == {"applied": 2, "stale": 1, "rejected": 3}
    frame = tasks.task_frame(store, CHIEF).sort("department")
    assert frame["department"].to_list() == ["court", "womens_federation"]
    assert frame["state"].to_list() == ["open", "open"]
    assert frame.filter(frame["department"] == "womens_federation")["assigned_at"][0] == (
        reported + timedelta(hours=3)
    ).replace(microsecond=0)
    assert body["results"][0]["id"] in frame["id"].to_list()
    with store.connect() as conn:
        actors = conn.scalars(
            select(AuditEvent.user).where(AuditEvent.action == "task_dispatch")
        ).all()
    assert actors == ["api:p110", "api:p110"]
    for bad, field in (
        ({"incident_no": "J9"}, "department"),
        ({"incident_no": 9, "department": "police"}, "incident_no"),
        ({"incident_no": "J9", "department": "police", "state": "done"}, "state"),
    ):
        refused = _post(client, "/api/v1/loop/tasks", token, [bad])
        assert refused.status_code == 400 and refused.get_json()["field"] == field
    assert tasks.task_frame(store, CHIEF).height == 2
