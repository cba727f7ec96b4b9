"""Department tasks (任务分拨、分类处置): a case dispatched to a department, with its clock.

Seed 001: 公安、妇联、司法、法院、社区 are the five responsible units (首接负责, 多方联动); each
dispatched case becomes a task whose service level (:func:`~data.settings.task_service_hours`)
runs from its assignment. A station user records what a department did (visit, mediation,
referral, protection-order application) and when: the action enters the case's status history
(a :class:`~data.models.StatusEvent` with the department), and the task is done.

Reads and writes take the caller's :class:`~data.access.Scope`; writes are optimistic (the
task's ``version``), audited, and refused with a clear message.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from data import audit
from data.access import CaseAccess, Scope
from data.models import DepartmentTask, Incident, StatusEvent
from data.settings import task_service_hours
from data.vocab import DEPARTMENTS, TASK_ACTIONS

#: Roles that record what a department did.
RECORDER_ROLES = frozenset({"station_chief", "station_officer", "command_center"})
MAX_NOTE = 300

TASK_COLUMNS: dict[str, pl.DataType] = {
    "id": pl.Int64,
    "incident_id": pl.Int64,
    "incident_no": pl.String,
    "station_code": pl.String,
    "department": pl.String,
    "assigned_at": pl.Datetime("us"),
    "due_at": pl.Datetime("us"),
    "state": pl.String,
    "done_at": pl.Datetime("us"),
    "last_action": pl.String,
    "version": pl.Int64,
}


class TaskError(ValueError):
    """A task cannot be created or changed; the message says why."""


class StaleTaskError(TaskError):
    """Someone changed the task since the actor read it; nothing was written."""


def _naive(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC).replace(tzinfo=None)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _visible_incident(engine: Engine, scope: Scope, incident_id: int) -> Incident | None:
    access = CaseAccess(engine)
    with Session(engine) as session:
        inc = session.get(Incident, incident_id)
        if inc is None:
            return None
        if scope.stations is not None and inc.station_code not in access.expand_stations(
            scope.stations
        ):
            return None
        session.expunge(inc)
        return inc


#: The words a department comes as in Chinese exports and other systems (分流部门, 派单部门).
DEPARTMENT_WORDS: dict[str, str] = {
    "公安机关": "police",
    "公安": "police",
    "派出所": "police",
    "妇联": "womens_federation",
    "妇女联合会": "womens_federation",
    "司法局": "justice",
    "司法所": "justice",
    "司法": "justice",
    "法院": "court",
    "人民法院": "court",
    "社区": "community",
    "居委会": "community",
    "村委会": "community",
    "社区居委会": "community",
}


class DuplicateTaskError(TaskError):
    """The department has an open task on the case already; nothing was written."""


def department_code(value: object) -> str | None:
    """The department code of ``value``: a code (``police``) or a Chinese word (``公安``,
    ``居委会``); None when it is neither."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text in DEPARTMENTS:
        return text
    return DEPARTMENT_WORDS.get(text)


def _open_task(
    session: Session, inc: Incident, department: str, moment: datetime
) -> DepartmentTask:
    """Add the department's open task on ``inc`` to ``session``, its clock from ``moment``."""
    clash = session.scalars(
        select(DepartmentTask.id).where(
            DepartmentTask.incident_id == inc.id,
            DepartmentTask.department == department,
            DepartmentTask.state == "open",
        )
    ).first()
    if clash is not None:
        raise DuplicateTaskError(f"case {inc.incident_no} has an open {department} task already")
    row = DepartmentTask(
        incident_id=inc.id,
        incident_no=inc.incident_no,
        station_code=inc.station_code,
        department=department,
        assigned_at=moment,
        due_at=moment + timedelta(hours=task_service_hours()[department]),
        state="open",
        version=1,
    )
    session.add(row)
    return row


def _check_moment(moment: datetime, inc: Incident) -> None:
    if moment > _naive(None) + timedelta(minutes=5):
        raise TaskError("the dispatch time lies in the future")
    if moment < inc.reported_at:
        raise TaskError("the dispatch time lies before the case was reported")


def dispatch(
    engine: Engine,
    scope: Scope,
    incident_id: int,
    department: str,
    *,
    now: datetime | None = None,
) -> int:
    """Dispatch a case to ``department``: a new open task whose clock runs from now; its id.

    Raises ``PermissionError`` for a caller who may not, ``TaskError`` for an unknown
    department, :class:`DuplicateTaskError` for a department that has an open task on the
    case already. A refusal is audited too (``task_dispatch_refused``, with the reason).
    """
    try:
        return _dispatch(engine, scope, incident_id, department, now)
    except (PermissionError, TaskError) as err:
        audit.record(
            engine,
            scope.user,
            "task_dispatch_refused",
            target=f"incident:{incident_id}",
            detail=f"department={str(department)[:40]} reason={str(err)[:200]}",
            remote_addr=scope.remote_addr,
        )
        raise


def _dispatch(
    engine: Engine, scope: Scope, incident_id: int, department: str, now: datetime | None
) -> int:
    if scope.role not in RECORDER_ROLES:
        raise PermissionError(f"{scope.user!r} may not dispatch cases")
    if department not in DEPARTMENTS:
        raise TaskError(f"department must be one of {', '.join(DEPARTMENTS)}")
    inc = _visible_incident(engine, scope, incident_id)
    if inc is None:
        raise PermissionError(f"case {incident_id} is not visible to {scope.user!r}")
    with Session(engine) as session:
        row = _open_task(session, inc, department, _naive(now))
        session.commit()
        task_id = row.id
    audit.record(
        engine,
        scope.user,
        "task_dispatch",
        target=f"incident:{incident_id}",
        detail=f"task={task_id} department={department}",
        remote_addr=scope.remote_addr,
    )
    return task_id


def _incident_by_number(session: Session, source_system: str, incident_no: str) -> Incident:
    inc = session.scalars(
        select(Incident).where(
            Incident.source_system == source_system, Incident.incident_no == incident_no
        )
    ).first()
    if inc is None:
        raise TaskError(f"no incident {incident_no[:64]!r} from system {source_system!r}")
    return inc


def dispatch_from_system(
    engine: Engine,
    actor: str,
    source_system: str,
    incident_no: str,
    department: str,
    at: datetime | None = None,
) -> int:
    """Dispatch the incident ``incident_no`` of ``source_system`` to ``department`` for another
    system (the push API); the clock runs from ``at`` (default now). The new task's id.

    ``department`` is a code or a Chinese word (:func:`department_code`). Raises
    :class:`TaskError` for an unknown incident or department or a time in the future or before
    the report, :class:`DuplicateTaskError` when the department has the case open already.
    """
    code = department_code(department)
    if code is None:
        raise TaskError(
            f"department {str(department)[:40]!r} is not one of {', '.join(DEPARTMENTS)} "
            f"or {', '.join(DEPARTMENT_WORDS)}"
        )
    with Session(engine) as session:
        inc = _incident_by_number(session, source_system, incident_no)
        moment = _naive(at)
        _check_moment(moment, inc)
        row = _open_task(session, inc, code, moment)
        session.commit()
        task_id, incident_id = row.id, inc.id
    audit.record(
        engine,
        actor,
        "task_dispatch",
        target=f"incident:{incident_id}",
        detail=f"task={task_id} department={code}",
    )
    return task_id


def open_imported_tasks(
    engine: Engine, source_system: str, dispatched: Iterable[tuple[str, str]], actor: str
) -> int:
    """Give each imported ``(incident_no, department code)`` its department task, its clock
    from the case's report time, unless the case has had a task of that department before
    (open or done): re-importing a file creates no second task. The number of tasks made.
    """
    wanted = {(no, dept) for no, dept in dispatched if dept in DEPARTMENTS}
    if not wanted:
        return 0
    made = 0
    numbers = sorted({no for no, _ in wanted})
    with Session(engine) as session:
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            incidents = {
                inc.incident_no: inc
                for inc in session.scalars(
                    select(Incident).where(
                        Incident.source_system == source_system, Incident.incident_no.in_(chunk)
                    )
                )
            }
            ids = [inc.id for inc in incidents.values()]
            had = set(
                session.execute(
                    select(DepartmentTask.incident_id, DepartmentTask.department).where(
                        DepartmentTask.incident_id.in_(ids)
                    )
                ).all()
            )
            for no in chunk:
                inc = incidents.get(no)
                if inc is None:
                    continue
                for dept in DEPARTMENTS:
                    if (no, dept) in wanted and (inc.id, dept) not in had:
                        _open_task(session, inc, dept, inc.reported_at)
                        made += 1
        session.commit()
    if made:
        audit.record(
            engine,
            actor,
            "task_dispatch_import",
            target=f"source:{source_system}",
            detail=f"tasks={made}",
        )
    return made


def record_action(
    engine: Engine,
    scope: Scope,
    incident_id: int,
    department: str,
    action: str,
    *,
    at: datetime | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> int | None:
    """Record what ``department`` did on a case at ``at`` (default now).

    The action enters the case's status history (a status event named after the action, with
    the department and note); the department's open task on the case, if any, is done. With
    ``expected_version`` the task must still have that version (:class:`StaleTaskError`).

    Returns
    -------
    int or None
        The id of the task that was done, or None when the department had no open task.
    """
    if scope.role not in RECORDER_ROLES:
        raise PermissionError(f"{scope.user!r} may not record department actions")
    if department not in DEPARTMENTS:
        raise TaskError(f"department must be one of {', '.join(DEPARTMENTS)}")
    if action not in TASK_ACTIONS:
        raise TaskError(f"action must be one of {', '.join(TASK_ACTIONS)}")
    text = note.strip() if isinstance(note, str) else ""
    if len(text) > MAX_NOTE:
        raise TaskError(f"the note has {len(text)} characters; at most {MAX_NOTE}")
    moment = _naive(at)
    if moment > _naive(None) + timedelta(minutes=5):
        raise TaskError("the time of the action lies in the future")
    inc = _visible_incident(engine, scope, incident_id)
    if inc is None:
        raise PermissionError(f"case {incident_id} is not visible to {scope.user!r}")
    if moment < inc.reported_at:
        raise TaskError("the time of the action lies before the case was reported")
    with Session(engine) as session:
        task = session.scalars(
            select(DepartmentTask)
            .where(
                DepartmentTask.incident_id == incident_id,
                DepartmentTask.department == department,
                DepartmentTask.state == "open",
            )
            .order_by(DepartmentTask.assigned_at)
        ).first()
        task_id = None
        if task is not None:
            if expected_version is not None and task.version != expected_version:
                raise StaleTaskError(f"task {task.id} was changed meanwhile")
            done = session.execute(
                update(DepartmentTask)
                .where(DepartmentTask.id == task.id, DepartmentTask.version == task.version)
                .values(state="done", done_at=moment, last_action=action, version=task.version + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if done != 1:
                session.rollback()
                raise StaleTaskError(f"task {task.id} was changed meanwhile")
            task_id = task.id
        session.add(
            StatusEvent(
                incident_id=incident_id,
                incident_no=inc.incident_no,
                status=action,
                at=moment,
                department=department,
                note=text or None,
            )
        )
        session.commit()
    audit.record(
        engine,
        scope.user,
        "task_action",
        target=f"incident:{incident_id}",
        detail=f"department={department} action={action} task={task_id}",
        remote_addr=scope.remote_addr,
    )
    return task_id


def set_task_state(
    engine: Engine, actor: str, task_id: int, state: str, at: datetime | None = None
) -> int:
    """Set a task ``open`` or ``done`` from another system (the push API); the new version."""
    if state not in ("open", "done"):
        raise TaskError("state must be open or done")
    moment = _naive(at)
    with Session(engine) as session:
        task = session.get(DepartmentTask, task_id)
        if task is None:
            raise TaskError(f"no task {task_id}")
        version = task.version
        done = session.execute(
            update(DepartmentTask)
            .where(DepartmentTask.id == task_id, DepartmentTask.version == version)
            .values(
                state=state,
                done_at=moment if state == "done" else None,
                version=version + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if done != 1:
            raise StaleTaskError(f"task {task_id} was changed meanwhile")
        session.commit()
    audit.record(engine, actor, "task_state", target=f"task:{task_id}", detail=state)
    return version + 1


def task_frame(
    engine: Engine,
    scope: Scope,
    *,
    stations: Iterable[str] = (),
    incident_id: int | None = None,
) -> pl.DataFrame:
    """The tasks of the cases ``scope`` may see (naive UTC times)."""
    access = CaseAccess(engine)
    query = select(*[getattr(DepartmentTask, c) for c in TASK_COLUMNS]).order_by(
        DepartmentTask.assigned_at.desc()
    )
    if scope.stations is not None:
        if not scope.stations:
            return pl.DataFrame(schema=TASK_COLUMNS)
        query = query.where(
            DepartmentTask.station_code.in_(sorted(access.expand_stations(scope.stations)))
        )
    if stations:
        query = query.where(
            DepartmentTask.station_code.in_(sorted(access.expand_stations(stations)))
        )
    if incident_id is not None:
        query = query.where(DepartmentTask.incident_id == incident_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pl.DataFrame(rows, schema=TASK_COLUMNS, orient="row")


def with_clocks(frame: pl.DataFrame, now: datetime | None = None) -> pl.DataFrame:
    """``frame`` with ``past_due`` (open past its service level, or done late) and
    ``handling_hours`` (assignment to done)."""
    moment = _naive(now)
    return frame.with_columns(
        (
            ((pl.col("state") == "open") & (pl.col("due_at") < moment))
            | ((pl.col("state") == "done") & (pl.col("done_at") > pl.col("due_at")))
        ).alias("past_due"),
        ((pl.col("done_at") - pl.col("assigned_at")).dt.total_seconds() / 3600).alias(
            "handling_hours"
        ),
    )


def department_table(
    engine: Engine,
    scope: Scope,
    *,
    stations: Iterable[str] = (),
    now: datetime | None = None,
) -> pl.DataFrame:
    """Per department: ``open`` tasks, ``open_past_due`` (open past the service level),
    ``done``, ``median_handling_hours``, ``done_in_time`` (share of done ones)."""
    frame = with_clocks(task_frame(engine, scope, stations=stations), now)
    rows = []
    for dept in DEPARTMENTS:
        mine = frame.filter(pl.col("department") == dept)
        opened = mine.filter(pl.col("state") == "open")
        done = mine.filter(pl.col("state") == "done")
        hours = done["handling_hours"].drop_nulls().to_list()
        rows.append(
            {
                "department": dept,
                "open": opened.height,
                "open_past_due": opened.filter(pl.col("past_due")).height,
                "done": done.height,
                "median_handling_hours": statistics.median(hours) if hours else None,
                "done_in_time": (
                    done.filter(~pl.col("past_due")).height / done.height if done.height else None
                ),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "department": pl.String,
            "open": pl.Int64,
            "open_past_due": pl.Int64,
            "done": pl.Int64,
            "median_handling_hours": pl.Float64,
            "done_in_time": pl.Float64,
        },
    )
