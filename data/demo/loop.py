"""The demo district's loop (issue 13): support requests, department tasks and warning-letter
visit schedules with realistic timings, some late, so every new list and table shows
something on first start.

Drawn from the generated incidents (same seed, same loop):

* support requests from the repeat households of the last :data:`REQUEST_DAYS` days (three or
  more calls at one address), mostly to 治安管理大队; most are answered in time, some late, a
  few still waiting (past due when old enough), some declined, some reopened;
* department tasks for the open and recent cases (police, women's federation, justice, court,
  community by the seed's shares), handled in a lognormal time around a share of the service
  level, about one in six late, the newest still open;
* a visit schedule for every warning letter of the last :data:`WARNING_DAYS` days (its visits
  are the demo's follow-up visits, so some households are due and some overdue).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select

from data import citus
from data.demo.scenario import VISIT_NOTES, VISIT_OUTCOMES
from data.models import (
    DepartmentTask,
    FollowUpVisit,
    Incident,
    SupportRequest,
    SupportRequestEvent,
    SupportRequestIncident,
    WarningFollowUp,
)
from data.settings import support_response_hours, task_service_hours, warning_schedule_days

REQUEST_DAYS = 60
#: A repeat household: this many calls at one address within :data:`HISTORY_DAYS`.
REPEAT_CALLS = 3
HISTORY_DAYS = 365
TASK_DAYS = 30
WARNING_DAYS = 75
#: Requests per station at most (the busiest repeat households).
REQUESTS_PER_STATION = 6
#: Shares of departments a task goes to (police first: 首接负责).
TASK_DEPARTMENTS = {
    "police": 0.45,
    "womens_federation": 0.2,
    "community": 0.18,
    "justice": 0.1,
    "court": 0.07,
}
TASK_ACTIONS_BY_DEPARTMENT = {
    "police": "visit",
    "womens_federation": "mediation",
    "community": "visit",
    "justice": "referral",
    "court": "protection_order",
}
FEEDBACK = (
    "已会同社区、妇联联合调处，双方签订调解协议，列入重点回访。",
    "已协调刑侦、法制部门研判，对加害人依法告诫，落实跟踪管控。",
    "已派员到场协助，开展心理疏导并转介司法局法律援助。",
)
DECLINE = "经研判属一般家庭纠纷，建议派出所继续调处，本队提供业务指导。"
REASON_TEXT = "该户多次调处无果仍重复报警，存在矛盾升级风险，请求协调支援。"


def _utc_now(end: datetime | None) -> datetime:
    moment = end or datetime.now(UTC)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def generate_loop(engine: Engine, source_system: str, seed: int, end: datetime | None) -> dict:
    """Write the demo loop for the incidents of ``source_system`` up to ``end`` (UTC).

    Returns the counts written: ``requests``, ``tasks``, ``warnings``.
    """
    rng = random.Random(seed)
    now = _utc_now(end)
    with engine.connect() as conn:
        last = conn.execute(
            select(Incident.reported_at)
            .where(Incident.source_system == source_system)
            .order_by(Incident.reported_at.desc())
            .limit(1)
        ).scalar()
        if last is None:
            return {"requests": 0, "tasks": 0, "warnings": 0}
        since = now - timedelta(days=HISTORY_DAYS)
        rows = conn.execute(
            select(
                Incident.id,
                Incident.incident_no,
                Incident.station_code,
                Incident.address_key,
                Incident.victim_key,
                Incident.offender_key,
                Incident.reported_at,
                Incident.status,
                Incident.warning_letter,
            )
            .where(
                Incident.source_system == source_system,
                Incident.reported_at >= since,
                Incident.station_code.is_not(None),
            )
            .order_by(Incident.id)
        ).all()
    counts = {
        "requests": _requests(engine, rng, rows, now),
        "tasks": _tasks(engine, rng, rows, now),
        "warnings": _warnings(engine, rng, rows, now),
    }
    return counts


def _requests(engine: Engine, rng: random.Random, rows, now: datetime) -> int:
    hours = support_response_hours()
    by_address: dict[tuple[str, str], list] = defaultdict(list)
    for r in rows:
        if r.address_key:
            by_address[(r.station_code, r.address_key)].append(r)
    recent = now - timedelta(days=REQUEST_DAYS)
    per_station: dict[str, list] = defaultdict(list)
    for (station, _), incidents in sorted(by_address.items()):
        if len(incidents) >= REPEAT_CALLS and max(r.reported_at for r in incidents) >= recent:
            per_station[station].append(incidents)
    written = 0
    with engine.begin() as conn:
        citus.one_connection_per_node(conn)
        for station in sorted(per_station):
            households = sorted(per_station[station], key=lambda h: (-len(h), h[0].id))
            for incidents in households[:REQUESTS_PER_STATION]:
                anchor = max(incidents, key=lambda r: r.reported_at)
                filed = anchor.reported_at + timedelta(hours=rng.uniform(2, 30))
                if filed >= now - timedelta(minutes=30):
                    filed = now - timedelta(minutes=rng.uniform(30, 300))
                written += _one_request(conn, rng, station, anchor, incidents, filed, now, hours)
    return written


def _one_request(conn, rng, station, anchor, incidents, filed, now, hours) -> int:
    urgency = "urgent" if rng.random() < 0.3 else "normal"
    unit = "ZAGL" if rng.random() < 0.75 else "ZHZX"
    allowed = hours[urgency] * 60
    fate = rng.random()
    # Minutes to the first answer: mostly within the limit, some late, a few not yet.
    if fate < 0.72:
        answer = rng.uniform(0.1, 0.9) * allowed
    elif fate < 0.88:
        answer = rng.uniform(1.1, 3.0) * allowed
    elif filed > now - timedelta(days=2):
        answer = None  # still waiting: past due if the limit has run out
    else:
        answer = rng.uniform(1.1, 3.0) * allowed
    events = [("file", None, "requested", filed, REASON_TEXT, anchor.station_code)]
    values = {
        "responded_at": None,
        "support_started_at": None,
        "feedback_at": None,
        "feedback_text": None,
        "decline_reason": None,
        "closed_at": None,
    }
    state = "requested"
    answered = filed + timedelta(minutes=answer) if answer is not None else None
    if answered is not None and answered < now:
        values["responded_at"] = answered
        if rng.random() < 0.1:
            state = "declined"
            values.update(decline_reason=DECLINE, closed_at=answered)
            events.append(("decline", "requested", "declined", answered, DECLINE, unit))
        else:
            state = "accepted"
            events.append(("accept", "requested", "accepted", answered, None, unit))
            started = answered + timedelta(hours=rng.uniform(1, 20))
            if started < now:
                state = "supporting"
                values["support_started_at"] = started
                events.append(("start", "accepted", "supporting", started, None, unit))
                fed = started + timedelta(days=rng.uniform(1, 8))
                if fed < now:
                    text = rng.choice(FEEDBACK)
                    state = "feedback_given"
                    values.update(feedback_at=fed, feedback_text=text)
                    events.append(("feedback", "supporting", "feedback_given", fed, text, unit))
                    closed = fed + timedelta(days=rng.uniform(0.2, 3))
                    if closed < now and rng.random() < 0.8:
                        state = "closed"
                        values["closed_at"] = closed
                        events.append(("close", "feedback_given", "closed", closed, None, station))
    request_id = conn.execute(
        insert(SupportRequest).returning(SupportRequest.id),
        {
            "station_code": station,
            "unit_code": unit,
            "subject_kind": "household",
            "incident_id": anchor.id,
            "incident_no": anchor.incident_no,
            "reason_codes": "repeat_calls,escalation_risk"
            if rng.random() < 0.6
            else "mediation_failed",
            "reason_text": REASON_TEXT,
            "urgency": urgency,
            "state": state,
            "requested_by": f"demo-{station.lower()}",
            "requested_at": filed,
            "clock_started_at": filed,
            "response_due_at": filed + timedelta(hours=hours[urgency]),
            "reopened": 0,
            "version": len(events),
            **values,
        },
    ).scalar_one()
    conn.execute(
        insert(SupportRequestIncident),
        [
            {"request_id": request_id, "incident_id": r.id, "incident_no": r.incident_no}
            for r in incidents
        ],
    )
    conn.execute(
        insert(SupportRequestEvent),
        [
            {
                "request_id": request_id,
                "incident_no": anchor.incident_no,
                "at": at,
                "actor": f"demo-{actor.lower()}",
                "action": action,
                "from_state": before,
                "to_state": after,
                "note": note,
            }
            for action, before, after, at, note, actor in events
        ],
    )
    return 1


def _tasks(engine: Engine, rng: random.Random, rows, now: datetime) -> int:
    sla = task_service_hours()
    departments = list(TASK_DEPARTMENTS)
    weights = list(TASK_DEPARTMENTS.values())
    batch = []
    for r in rows:
        if r.reported_at < now - timedelta(days=TASK_DAYS) or rng.random() > 0.5:
            continue
        chosen = {rng.choices(departments, weights)[0] for _ in range(rng.choice((1, 1, 2)))}
        for dept in sorted(chosen):
            assigned = r.reported_at + timedelta(minutes=rng.uniform(10, 240))
            if assigned >= now:
                continue
            limit = sla[dept]
            late = rng.random() < 0.17
            took = limit * (rng.uniform(1.05, 2.5) if late else math.exp(rng.gauss(-1.0, 0.5)))
            done = assigned + timedelta(hours=min(took, limit * 2.5))
            is_done = done < now
            batch.append(
                {
                    "incident_id": r.id,
                    "incident_no": r.incident_no,
                    "station_code": r.station_code,
                    "department": dept,
                    "assigned_at": assigned,
                    "due_at": assigned + timedelta(hours=limit),
                    "state": "done" if is_done else "open",
                    "done_at": done if is_done else None,
                    "last_action": TASK_ACTIONS_BY_DEPARTMENT[dept] if is_done else None,
                    "version": 2 if is_done else 1,
                }
            )
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(DepartmentTask), batch)
    return len(batch)


def _warnings(engine: Engine, rng: random.Random, rows, now: datetime) -> int:
    """A schedule per recent warning letter, and the police's visits after it: about three in
    four households visited on time throughout, the others late or not at all."""
    first, interval, length = warning_schedule_days()
    batch, visits = [], []
    for r in rows:
        if not r.warning_letter or r.reported_at < now - timedelta(days=WARNING_DAYS):
            continue
        issued = r.reported_at + timedelta(hours=3)
        ends = issued + timedelta(days=length)
        batch.append(
            {
                "incident_id": r.id,
                "incident_no": r.incident_no,
                "station_code": r.station_code,
                "issued_at": issued,
                "first_visit_days": first,
                "interval_days": interval,
                "ends_at": ends,
                "victim_key": r.victim_key,
                "offender_key": r.offender_key,
                "version": 1,
            }
        )
        habit = rng.random()
        if habit >= 0.92:
            continue  # never visited
        kept = habit < 0.76
        moment = issued + timedelta(
            days=rng.uniform(0.5, first - 0.5) if kept else rng.uniform(first + 1, first + 8)
        )
        while moment < min(now, ends):
            outcome = rng.choices(list(VISIT_OUTCOMES), list(VISIT_OUTCOMES.values()))[0]
            visits.append(
                {
                    "incident_id": r.id,
                    "incident_no": r.incident_no,
                    "visited_at": moment,
                    "department": "police",
                    "outcome": outcome,
                    "note": VISIT_NOTES[outcome],
                }
            )
            gap = (
                rng.uniform(interval * 0.5, interval - 0.5)
                if kept
                else rng.uniform(interval + 1, interval + 9)
            )
            moment += timedelta(days=gap)
    with engine.begin() as conn:
        for start in range(0, len(batch), 500):
            conn.execute(insert(WarningFollowUp), batch[start : start + 500])
        for start in range(0, len(visits), 500):
            conn.execute(insert(FollowUpVisit), visits[start : start + 500])
    return len(batch)
