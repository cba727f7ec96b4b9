"""Visits after every warning letter (告诫必访, seed 000): the schedule and its compliance.

A warning letter (告诫书) starts a schedule (:func:`~data.settings.warning_schedule_days`;
default a first visit within 7 days, then one at least every 14 days for two months). Visits
are the case's :class:`~data.models.FollowUpVisit` rows, so they count for the service levels
too. A schedule is

* ``due`` when its next visit falls within the coming :data:`DUE_SOON_DAYS` days,
* ``overdue`` when its next visit's day has passed without a visit,
* ``complete`` when the schedule has run out, ``scheduled`` otherwise;

and *kept* (for compliance) when every visit so far came by its due time and none is
overdue now. The victim and offender of a warned household are the tagged persons
(标签人员) for focused visits, listed by pseudonym only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from data import audit
from data.access import CaseAccess, Scope
from data.models import FollowUpVisit, Incident, WarningFollowUp
from data.settings import warning_schedule_days
from data.vocab import DEPARTMENTS

#: A next visit within this many days counts as due (so a new letter's first visit is due
#: from the day it is issued, with the default schedule).
DUE_SOON_DAYS = 7
VISITOR_ROLES = frozenset({"station_chief", "station_officer", "command_center"})
#: Outcomes a visit may record (the existing follow-up vocabulary).
VISIT_OUTCOMES: tuple[str, ...] = (
    "stable",
    "improved",
    "reconciled",
    "ongoing_conflict",
    "escalated",
    "no_contact",
    "referred",
)
MAX_NOTE = 300


class VisitError(ValueError):
    """A visit or a schedule cannot be recorded; the message says why."""


def _naive(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC).replace(tzinfo=None)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def start_schedule(
    engine: Engine, actor: str, incident_id: int, issued_at: datetime | None = None
) -> int | None:
    """Start the visit schedule of the warning letter of case ``incident_id``; its id, or None
    when the case has one already (one letter, one schedule). Marks the case as warned."""
    first, interval, length = warning_schedule_days()
    with Session(engine) as session:
        inc = session.get(Incident, incident_id)
        if inc is None:
            raise VisitError(f"no case {incident_id}")
        present = session.scalars(
            select(WarningFollowUp.id).where(WarningFollowUp.incident_id == incident_id)
        ).first()
        if present is not None:
            return None
        issued = _naive(issued_at) if issued_at is not None else inc.reported_at
        row = WarningFollowUp(
            incident_id=inc.id,
            incident_no=inc.incident_no,
            station_code=inc.station_code,
            issued_at=issued,
            first_visit_days=first,
            interval_days=interval,
            ends_at=issued + timedelta(days=length),
            victim_key=inc.victim_key,
            offender_key=inc.offender_key,
            version=1,
        )
        session.add(row)
        if not inc.warning_letter:
            inc.warning_letter = True
        session.commit()
        schedule_id = row.id
    audit.record(
        engine, actor, "warning_schedule", target=f"incident:{incident_id}", detail=str(schedule_id)
    )
    return schedule_id


def start_missing_schedules(
    engine: Engine, source_system: str, incident_nos: Iterable[str], actor: str = "system"
) -> int:
    """Start the schedule of every warned incident among ``incident_nos`` (of
    ``source_system``) that has none yet and whose letter is recent enough for one to run;
    called after each import and push. Returns how many were started."""
    first, interval, length = warning_schedule_days()
    since = _naive(None) - timedelta(days=length)
    numbers = sorted(set(incident_nos))
    rows = []
    with engine.connect() as conn:
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            # Correlated on incident_no too: on Citus the schedule lives on its case's shard.
            has = select(WarningFollowUp.id).where(
                WarningFollowUp.incident_no == Incident.incident_no,
                WarningFollowUp.incident_id == Incident.id,
            )
            rows += conn.execute(
                select(
                    Incident.id,
                    Incident.incident_no,
                    Incident.station_code,
                    Incident.reported_at,
                    Incident.handled_at,
                    Incident.victim_key,
                    Incident.offender_key,
                ).where(
                    Incident.source_system == source_system,
                    Incident.incident_no.in_(chunk),
                    Incident.warning_letter.is_(True),
                    Incident.reported_at >= since,
                    ~has.exists(),
                )
            ).all()
    if not rows:
        return 0
    values = []
    for r in rows:
        issued = r.handled_at or r.reported_at
        values.append(
            {
                "incident_id": r.id,
                "incident_no": r.incident_no,
                "station_code": r.station_code,
                "issued_at": issued,
                "first_visit_days": first,
                "interval_days": interval,
                "ends_at": issued + timedelta(days=length),
                "victim_key": r.victim_key,
                "offender_key": r.offender_key,
                "version": 1,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(WarningFollowUp), values)
    audit.record(engine, actor, "warning_schedule", detail=f"{len(values)} started")
    return len(values)


def issue_warning(
    engine: Engine, scope: Scope, incident_id: int, *, at: datetime | None = None
) -> int | None:
    """A station user records that a warning letter was issued on a case: the schedule starts."""
    if scope.role not in VISITOR_ROLES:
        raise PermissionError(f"{scope.user!r} may not record warning letters")
    _check_visible(engine, scope, incident_id)
    return start_schedule(engine, scope.user, incident_id, at or _naive(None))


def _check_visible(engine: Engine, scope: Scope, incident_id: int) -> str:
    """The case's number, if ``scope`` may see the case (else PermissionError)."""
    access = CaseAccess(engine)
    with engine.connect() as conn:
        station = conn.execute(
            select(Incident.station_code, Incident.incident_no).where(Incident.id == incident_id)
        ).first()
    if station is None or (
        scope.stations is not None and station[0] not in access.expand_stations(scope.stations)
    ):
        raise PermissionError(f"case {incident_id} is not visible to {scope.user!r}")
    return station[1]


def record_visit(
    engine: Engine,
    scope: Scope,
    incident_id: int,
    *,
    department: str = "police",
    outcome: str = "stable",
    at: datetime | None = None,
    note: str | None = None,
) -> None:
    """A station user records a visit to a warned household; the schedule moves on.

    The schedule's version rises in the same transaction, so two visits recorded at once are
    both kept (each is its own row) and both count.
    """
    if scope.role not in VISITOR_ROLES:
        raise PermissionError(f"{scope.user!r} may not record visits")
    if department not in DEPARTMENTS:
        raise VisitError(f"department must be one of {', '.join(DEPARTMENTS)}")
    if outcome not in VISIT_OUTCOMES:
        raise VisitError(f"outcome must be one of {', '.join(VISIT_OUTCOMES)}")
    text = note.strip() if isinstance(note, str) else ""
    if len(text) > MAX_NOTE:
        raise VisitError(f"the note has {len(text)} characters; at most {MAX_NOTE}")
    moment = _naive(at)
    if moment > _naive(None) + timedelta(minutes=5):
        raise VisitError("the time of the visit lies in the future")
    incident_no = _check_visible(engine, scope, incident_id)
    with Session(engine) as session:
        session.add(
            FollowUpVisit(
                incident_id=incident_id,
                incident_no=incident_no,
                visited_at=moment,
                department=department,
                outcome=outcome,
                note=text or None,
            )
        )
        session.execute(
            update(WarningFollowUp)
            .where(WarningFollowUp.incident_id == incident_id)
            .values(version=WarningFollowUp.version + 1)
        )
        session.commit()
    audit.record(
        engine,
        scope.user,
        "warning_visit",
        target=f"incident:{incident_id}",
        detail=f"department={department} outcome={outcome}",
        remote_addr=scope.remote_addr,
    )


SCHEDULE_COLUMNS: dict[str, pl.DataType] = {
    "id": pl.Int64,
    "incident_id": pl.Int64,
    "incident_no": pl.String,
    "station_code": pl.String,
    "issued_at": pl.Datetime("us"),
    "first_visit_days": pl.Int64,
    "interval_days": pl.Int64,
    "ends_at": pl.Datetime("us"),
    "victim_key": pl.String,
    "offender_key": pl.String,
}


@dataclass(frozen=True)
class ScheduleState:
    """Where one schedule stands at a moment."""

    state: str
    next_due: datetime | None
    visits: int
    kept: bool


def schedule_state(
    issued_at: datetime,
    first_days: int,
    interval_days: int,
    ends_at: datetime,
    visits: Iterable[datetime],
    now: datetime,
) -> ScheduleState:
    """The state of one schedule given its visits (naive UTC), at ``now``.

    The first visit is due ``first_days`` after the letter; each next one ``interval_days``
    after the previous visit (or, if that was late, after its due time would have been: a
    late visit restarts the clock from the visit). Visits before the letter do not count.
    """
    due = issued_at + timedelta(days=first_days)
    kept = True
    count = 0
    for visit in sorted(v for v in visits if v >= issued_at):
        if visit > ends_at:
            break
        count += 1
        if visit > due:
            kept = False
        due = visit + timedelta(days=interval_days)
    if due > ends_at:
        return ScheduleState("complete", None, count, kept)
    if now > due:
        return ScheduleState("overdue", due, count, False)
    if due - now <= timedelta(days=DUE_SOON_DAYS):
        return ScheduleState("due", due, count, kept)
    return ScheduleState("scheduled", due, count, kept)


def schedules(
    engine: Engine,
    scope: Scope,
    *,
    stations: Iterable[str] = (),
    now: datetime | None = None,
) -> pl.DataFrame:
    """Every warning schedule ``scope`` may see with ``state``, ``next_due``, ``visits`` and
    ``kept`` (naive UTC times)."""
    moment = _naive(now)
    access = CaseAccess(engine)
    query = select(*[getattr(WarningFollowUp, c) for c in SCHEDULE_COLUMNS])
    if scope.stations is not None:
        if not scope.stations:
            return _empty()
        query = query.where(
            WarningFollowUp.station_code.in_(sorted(access.expand_stations(scope.stations)))
        )
    if stations:
        query = query.where(
            WarningFollowUp.station_code.in_(sorted(access.expand_stations(stations)))
        )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        ids = [r.incident_id for r in rows]
        visits: dict[int, list[datetime]] = {}
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            for inc, at in conn.execute(
                select(FollowUpVisit.incident_id, FollowUpVisit.visited_at).where(
                    FollowUpVisit.incident_id.in_(chunk)
                )
            ):
                visits.setdefault(inc, []).append(at)
    frame = pl.DataFrame(rows, schema=SCHEDULE_COLUMNS, orient="row")
    states = [
        schedule_state(
            r["issued_at"],
            r["first_visit_days"],
            r["interval_days"],
            r["ends_at"],
            visits.get(r["incident_id"], []),
            moment,
        )
        for r in frame.iter_rows(named=True)
    ]
    return frame.with_columns(
        pl.Series("state", [s.state for s in states], dtype=pl.String),
        pl.Series("next_due", [s.next_due for s in states], dtype=pl.Datetime("us")),
        pl.Series("visits", [s.visits for s in states], dtype=pl.Int64),
        pl.Series("kept", [s.kept for s in states], dtype=pl.Boolean),
    )


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema=SCHEDULE_COLUMNS
        | {
            "state": pl.String,
            "next_due": pl.Datetime("us"),
            "visits": pl.Int64,
            "kept": pl.Boolean,
        }
    )


def compliance_table(engine: Engine, scope: Scope, *, now: datetime | None = None) -> pl.DataFrame:
    """Per station: ``warned`` (schedules), ``active``, ``overdue``, ``kept`` and
    ``compliance`` (share of schedules kept so far)."""
    frame = schedules(engine, scope, now=now)
    if frame.is_empty():
        return pl.DataFrame(
            schema={
                "station_code": pl.String,
                "warned": pl.Int64,
                "active": pl.Int64,
                "overdue": pl.Int64,
                "kept": pl.Int64,
                "compliance": pl.Float64,
            }
        )
    return (
        frame.group_by("station_code")
        .agg(
            pl.len().cast(pl.Int64).alias("warned"),
            (pl.col("state") != "complete").sum().cast(pl.Int64).alias("active"),
            (pl.col("state") == "overdue").sum().cast(pl.Int64).alias("overdue"),
            pl.col("kept").sum().cast(pl.Int64).alias("kept"),
        )
        .with_columns((pl.col("kept") / pl.col("warned")).alias("compliance"))
        .sort("station_code")
    )


def pseudonym(key: str | None, role: str) -> str | None:
    """A short display pseudonym of a person key: ``V-3FA29C`` (victim) or ``O-…``."""
    if not key:
        return None
    return f"{'V' if role == 'victim' else 'O'}-{key[:6].upper()}"


def tagged_persons(
    engine: Engine, scope: Scope, *, stations: Iterable[str] = (), now: datetime | None = None
) -> pl.DataFrame:
    """The victims and offenders of warned households with an active schedule (标签人员):
    ``person`` (pseudonym), ``role``, ``station_code``, ``incident_id``, ``incident_no``,
    ``next_due``, ``state``; soonest due first."""
    frame = schedules(engine, scope, stations=stations, now=now).filter(
        pl.col("state") != "complete"
    )
    parts = []
    for role, column in (("victim", "victim_key"), ("offender", "offender_key")):
        parts.append(
            frame.filter(pl.col(column).is_not_null()).select(
                pl.col(column)
                .map_elements(lambda k, r=role: pseudonym(k, r), return_dtype=pl.String)
                .alias("person"),
                pl.lit(role).alias("role"),
                "station_code",
                "incident_id",
                "incident_no",
                "next_due",
                "state",
            )
        )
    out = pl.concat(parts) if parts else pl.DataFrame()
    if out.is_empty():
        return out
    return out.sort("next_due", "person", nulls_last=True).unique(
        subset=["person", "role"], keep="first", maintain_order=True
    )
