"""Support requests (派出所请求支援): a station asks a unit for help, with clocks (seed 003).

The loop is 请求 → 响应 → 支援 → 反馈: ``requested`` → ``accepted`` → ``supporting`` →
``feedback_given`` → ``closed``, or ``declined`` with a reason (declining answers the clock
too). The station chief may reopen a request whose support did not help: it goes back to
``requested`` with a new response clock.

Every read and write takes the caller's :class:`~data.access.Scope`:

* station roles file and see their station's requests, close them, and (the chief) reopen;
* a ``support_unit`` user sees and answers the requests addressed to its unit, and reads the
  linked cases in full only while the request is open (:func:`linked_case`, audited);
* the command centre sees and may answer every request; leadership and analysts see them.

Writes are optimistic: each carries the ``version`` the actor read, and the row is changed only
if it still has that version. A stale action is refused with :class:`StaleRequestError` (the
screen reloads and says so); an action without a version (the push API) is re-checked against
the newest state and retried, so two people acting at once never lose an action silently.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy import Engine, func, insert, or_, select, update
from sqlalchemy.orm import Session

from data import audit, citus
from data.access import CaseAccess, CaseDetail, Scope, mask_address
from data.models import (
    Incident,
    Station,
    SupportRequest,
    SupportRequestEvent,
    SupportRequestIncident,
    SupportUnit,
)
from data.settings import support_response_hours
from data.vocab import (
    SUPPORT_OPEN_STATES,
    SUPPORT_REASONS,
    SUPPORT_SUBJECTS,
    SUPPORT_URGENCIES,
)

#: Roles that file requests for their station.
FILER_ROLES = frozenset({"station_chief", "station_officer", "command_center"})
#: Roles that see every station's requests.
OVERSEER_ROLES = frozenset({"command_center", "leadership", "analyst"})
SUPPORT_UNIT_ROLE = "support_unit"
#: The role of another system pushing the units' answers (dashboard.web.push_loop): it may
#: take a unit's actions on any request, never a station's, and reads no case.
PUSH_ROLE = "push_api"
#: Most incidents attached to one request (the newest of the history).
MAX_LINKED = 200
MAX_TEXT = 500
MAX_FEEDBACK = 1000
#: How often an action without a version is retried against a newer state.
RETRIES = 3

#: action → (states it may start from, state it leads to, who may take it).
#: "unit" is the addressed unit (or the command centre), "station" the requesting station's
#: users, "chief" its chief (or the command centre).
ACTIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "accept": (("requested",), "accepted", "unit"),
    "decline": (("requested", "accepted"), "declined", "unit"),
    "start": (("accepted",), "supporting", "unit"),
    "feedback": (("accepted", "supporting"), "feedback_given", "unit"),
    "close": (("feedback_given",), "closed", "station"),
    "reopen": (("feedback_given", "closed", "declined"), "requested", "chief"),
}
#: Actions that must say something (a reason, the feedback).
NOTE_REQUIRED = frozenset({"decline", "feedback", "reopen"})


class SupportError(ValueError):
    """A request cannot be filed or changed; the message says why."""


class StaleRequestError(SupportError):
    """Someone changed the request since the actor read it; nothing was written."""

    def __init__(self, request_id: int, state: str, version: int) -> None:
        super().__init__(
            f"support request {request_id} was changed meanwhile (now {state}, version {version})"
        )
        self.state, self.version = state, version


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _naive(moment: datetime | None) -> datetime:
    if moment is None:
        return _now()
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


# -- units ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Unit:
    """A configured support unit."""

    code: str
    name_zh: str
    name_en: str

    def name(self, lang: str) -> str:
        """The unit's name in ``lang``."""
        return self.name_en if lang == "en" else self.name_zh


def units(engine: Engine) -> list[Unit]:
    """The active support units, by code."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(SupportUnit.code, SupportUnit.name_zh, SupportUnit.name_en)
            .where(SupportUnit.active.is_(True))
            .order_by(SupportUnit.code)
        ).all()
    return [Unit(*r) for r in rows]


def add_unit(engine: Engine, code: str, name_zh: str, name_en: str, *, actor: str) -> None:
    """Configure another support unit (刑警大队, 反诈专班 …)."""
    if not code or len(code) > 32 or not code.replace("_", "").isalnum():
        raise SupportError(f"unit code {code!r} must be 1 to 32 letters, digits or _")
    with Session(engine) as session:
        if session.get(SupportUnit, code) is not None:
            raise SupportError(f"support unit {code!r} exists already")
        session.add(SupportUnit(code=code, name_zh=name_zh, name_en=name_en, active=True))
        session.commit()
    audit.record(engine, actor, "support_unit_add", target=f"support_unit:{code}")


# -- who may see what ---------------------------------------------------------------------------
def _visible(scope: Scope, access: CaseAccess):
    """A condition selecting the requests ``scope`` may see (None: all; False: none)."""
    if scope.role == SUPPORT_UNIT_ROLE:
        return SupportRequest.unit_code == scope.unit if scope.unit else False
    if scope.role in OVERSEER_ROLES or scope.role == PUSH_ROLE:
        return None
    if scope.role is None and scope.stations is None:
        return None
    if scope.stations is None:
        return None
    if not scope.stations:
        return False
    return SupportRequest.station_code.in_(sorted(access.expand_stations(scope.stations)))


def _may(scope: Scope, who: str, row: SupportRequest, access: CaseAccess) -> bool:
    if scope.role == "command_center":
        return True
    if scope.role == PUSH_ROLE:
        return who == "unit"
    if who == "unit":
        return scope.role == SUPPORT_UNIT_ROLE and scope.unit == row.unit_code
    station_ok = scope.stations is not None and row.station_code in access.expand_stations(
        scope.stations
    )
    if who == "station":
        return scope.role in ("station_chief", "station_officer") and station_ok
    return scope.role == "station_chief" and station_ok


# -- filing -----------------------------------------------------------------------------------
def _clean_text(value: object, limit: int, what: str, required: bool = True) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        if required:
            raise SupportError(f"{what} is required")
        return None
    if len(text) > limit:
        raise SupportError(f"{what} has {len(text)} characters; at most {limit}")
    return text


def linked_incidents(engine: Engine, incident: Incident, subject_kind: str) -> list[tuple]:
    """The history a request carries: (id, incident_no) of the incidents at the same address
    (``address``), or at the same address or of the same victim (``household``, ``case``,
    ``warning``), newest first, at most :data:`MAX_LINKED`; the case itself always."""
    conditions = []
    if incident.address_key:
        conditions.append(Incident.address_key == incident.address_key)
    if subject_kind != "address" and incident.victim_key:
        conditions.append(Incident.victim_key == incident.victim_key)
    query = select(Incident.id, Incident.incident_no).where(Incident.id == incident.id)
    if conditions:
        query = (
            select(Incident.id, Incident.incident_no)
            .where(or_(Incident.id == incident.id, *conditions))
            .order_by(Incident.reported_at.desc())
            .limit(MAX_LINKED)
        )
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    if all(r[0] != incident.id for r in rows):
        rows = [(incident.id, incident.incident_no), *rows[: MAX_LINKED - 1]]
    return rows


def file_request(
    engine: Engine,
    scope: Scope,
    *,
    incident_id: int,
    unit_code: str,
    subject_kind: str,
    reason_codes: Iterable[str],
    reason_text: str,
    urgency: str,
    now: datetime | None = None,
) -> int:
    """File a support request from a case of the caller's station; returns its id.

    The station is the case's; the linked incidents are attached from the household's or the
    address's history (:func:`linked_incidents`); the response clock runs from now for the
    hours :func:`~data.settings.support_response_hours` gives the urgency. Audited as
    ``support_request``.

    Raises
    ------
    PermissionError
        The caller may not file requests, or the case is not of their station.
    SupportError
        An unknown unit, urgency, subject or reason code, or a missing or too long text.
    """
    if scope.role not in FILER_ROLES:
        raise PermissionError(f"{scope.user!r} may not file support requests")
    if subject_kind not in SUPPORT_SUBJECTS:
        raise SupportError(f"subject must be one of {', '.join(SUPPORT_SUBJECTS)}")
    if urgency not in SUPPORT_URGENCIES:
        raise SupportError(f"urgency must be one of {', '.join(SUPPORT_URGENCIES)}")
    codes = [c for c in dict.fromkeys(reason_codes or ()) if c]
    if not codes:
        raise SupportError("at least one reason code is required")
    unknown = [c for c in codes if c not in SUPPORT_REASONS]
    if unknown:
        raise SupportError(
            f"unknown reason code {unknown[0]!r}; codes: {', '.join(SUPPORT_REASONS)}"
        )
    text = _clean_text(reason_text, MAX_TEXT, "the reason text")
    if unit_code not in {u.code for u in units(engine)}:
        raise SupportError(f"no support unit {unit_code!r} configured")
    access = CaseAccess(engine)
    with Session(engine) as session:
        citus.one_connection_per_node(session)
        incident = session.get(Incident, incident_id)
        visible = incident is not None and (
            scope.stations is None
            or incident.station_code in access.expand_stations(scope.stations)
        )
        if not visible or incident.station_code is None:
            raise PermissionError(f"case {incident_id} is not one of {scope.user!r}'s station")
        linked = linked_incidents(engine, incident, subject_kind)
        moment = _naive(now)
        row = SupportRequest(
            station_code=incident.station_code,
            unit_code=unit_code,
            subject_kind=subject_kind,
            incident_id=incident.id,
            incident_no=incident.incident_no,
            reason_codes=",".join(codes),
            reason_text=text,
            urgency=urgency,
            state="requested",
            requested_by=scope.user,
            requested_at=moment,
            clock_started_at=moment,
            response_due_at=moment + timedelta(hours=support_response_hours()[urgency]),
            reopened=0,
            version=1,
        )
        session.add(row)
        session.flush()
        session.execute(
            insert(SupportRequestIncident),
            [{"request_id": row.id, "incident_id": i, "incident_no": n} for i, n in linked],
        )
        session.add(
            SupportRequestEvent(
                request_id=row.id,
                incident_no=incident.incident_no,
                at=moment,
                actor=scope.user,
                action="file",
                from_state=None,
                to_state="requested",
                note=text,
            )
        )
        session.commit()
        request_id = row.id
    audit.record(
        engine,
        scope.user,
        "support_request",
        target=f"support_request:{request_id}",
        detail=f"unit={unit_code} urgency={urgency} linked={len(linked)}",
        remote_addr=scope.remote_addr,
    )
    return request_id


# -- acting on a request ----------------------------------------------------------------------
def act(
    engine: Engine,
    scope: Scope,
    request_id: int,
    action: str,
    *,
    note: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> int:
    """Take ``action`` on a request (accept, decline, start, feedback, close, reopen).

    Parameters
    ----------
    expected_version : int, optional
        The version the actor saw; if the request has changed since, nothing is written and
        :class:`StaleRequestError` is raised. Without it the action is checked against the
        newest state and retried if someone else wrote in between.

    Returns
    -------
    int
        The request's new version.

    Raises
    ------
    PermissionError
        The caller may not take this action on this request (refusal audited).
    SupportError
        An unknown action, an action the state does not allow, a missing note.
    """
    if action not in ACTIONS:
        raise SupportError(f"unknown action {action!r}; actions: {', '.join(ACTIONS)}")
    sources, target, who = ACTIONS[action]
    required = action in NOTE_REQUIRED
    text = _clean_text(
        note, MAX_FEEDBACK, "a note" if not required else f"the {action} text", required
    )
    access = CaseAccess(engine)
    moment = _naive(now)
    for _ in range(RETRIES):
        with Session(engine) as session:
            citus.one_connection_per_node(session)
            row = session.get(SupportRequest, request_id)
            if row is None:
                raise SupportError(f"no support request {request_id}")
            if not (_visible_row(scope, row, access) and _may(scope, who, row, access)):
                audit.record(
                    engine,
                    scope.user,
                    "support_refused",
                    target=f"support_request:{request_id}",
                    detail=f"action={action}",
                    remote_addr=scope.remote_addr,
                )
                raise PermissionError(
                    f"{scope.user!r} may not {action} support request {request_id}"
                )
            if expected_version is not None and row.version != expected_version:
                raise StaleRequestError(request_id, row.state, row.version)
            if row.state not in sources:
                raise SupportError(
                    f"support request {request_id} is {row.state}: cannot {action} it"
                )
            before, incident_no = row.state, row.incident_no
            values = _changes(row, action, target, text, moment)
            done = session.execute(
                update(SupportRequest)
                .where(SupportRequest.id == request_id, SupportRequest.version == row.version)
                .values(**values, state=target, version=row.version + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if done != 1:
                session.rollback()
                if expected_version is not None:
                    fresh = _current(engine, request_id)
                    raise StaleRequestError(request_id, *fresh)
                continue
            session.add(
                SupportRequestEvent(
                    request_id=request_id,
                    incident_no=incident_no,
                    at=moment,
                    actor=scope.user,
                    action=action,
                    from_state=before,
                    to_state=target,
                    note=text,
                )
            )
            version = row.version + 1
            session.commit()
        audit.record(
            engine,
            scope.user,
            f"support_{action}",
            target=f"support_request:{request_id}",
            detail=f"{before}->{target}",
            remote_addr=scope.remote_addr,
        )
        return version
    fresh = _current(engine, request_id)
    raise StaleRequestError(request_id, *fresh)


def _current(engine: Engine, request_id: int) -> tuple[str, int]:
    with engine.connect() as conn:
        state, version = conn.execute(
            select(SupportRequest.state, SupportRequest.version).where(
                SupportRequest.id == request_id
            )
        ).one()
    return state, version


def _visible_row(scope: Scope, row: SupportRequest, access: CaseAccess) -> bool:
    condition = _visible(scope, access)
    if condition is None:
        return True
    if condition is False:
        return False
    if scope.role == SUPPORT_UNIT_ROLE:
        return row.unit_code == scope.unit
    return row.station_code in access.expand_stations(scope.stations or ())


def _changes(row: SupportRequest, action: str, target: str, text: str | None, moment: datetime):
    values: dict[str, object] = {}
    if action in ("accept", "decline") and row.responded_at is None:
        values["responded_at"] = moment
    if action == "decline":
        values["decline_reason"] = text
        values["closed_at"] = moment
    if action == "start":
        values["support_started_at"] = moment
    if action == "feedback":
        values["feedback_at"] = moment
        values["feedback_text"] = text
        if row.support_started_at is None:
            values["support_started_at"] = moment
    if action == "close":
        values["closed_at"] = moment
    if action == "reopen":
        hours = support_response_hours()[row.urgency]
        values.update(
            responded_at=None,
            clock_started_at=moment,
            response_due_at=moment + timedelta(hours=hours),
            closed_at=None,
            reopened=(row.reopened or 0) + 1,
        )
    return values


# -- reading ------------------------------------------------------------------------------------
#: Columns of :func:`request_frame`.
REQUEST_COLUMNS: dict[str, pl.DataType] = {
    "id": pl.Int64,
    "station_code": pl.String,
    "unit_code": pl.String,
    "subject_kind": pl.String,
    "incident_id": pl.Int64,
    "incident_no": pl.String,
    "reason_codes": pl.String,
    "urgency": pl.String,
    "state": pl.String,
    "requested_by": pl.String,
    "requested_at": pl.Datetime("us"),
    "clock_started_at": pl.Datetime("us"),
    "response_due_at": pl.Datetime("us"),
    "responded_at": pl.Datetime("us"),
    "feedback_at": pl.Datetime("us"),
    "closed_at": pl.Datetime("us"),
    "reopened": pl.Int64,
    "version": pl.Int64,
    "feedback_text": pl.String,
    "decline_reason": pl.String,
    "linked": pl.Int64,
}


def request_frame(
    engine: Engine,
    scope: Scope,
    *,
    stations: Iterable[str] = (),
    unit: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pl.DataFrame:
    """The requests ``scope`` may see (naive UTC times), newest first, with the number of
    linked incidents; ``stations``, ``unit`` and ``start``/``end`` (requested time) narrow."""
    access = CaseAccess(engine)
    condition = _visible(scope, access)
    if condition is False:
        return pl.DataFrame(schema=REQUEST_COLUMNS)
    linked = (
        select(func.count())
        .where(SupportRequestIncident.request_id == SupportRequest.id)
        .scalar_subquery()
    )
    cols = [getattr(SupportRequest, c) for c in REQUEST_COLUMNS if c != "linked"]
    query = select(*cols, linked.label("linked")).order_by(SupportRequest.requested_at.desc())
    if condition is not None:
        query = query.where(condition)
    if stations:
        query = query.where(
            SupportRequest.station_code.in_(sorted(access.expand_stations(stations)))
        )
    if unit:
        query = query.where(SupportRequest.unit_code == unit)
    if start is not None:
        query = query.where(SupportRequest.requested_at >= _naive(start))
    if end is not None:
        query = query.where(SupportRequest.requested_at < _naive(end))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pl.DataFrame(rows, schema=REQUEST_COLUMNS, orient="row")


def with_clocks(frame: pl.DataFrame, now: datetime | None = None) -> pl.DataFrame:
    """``frame`` with the clocks: ``open`` (still asks something), ``past_due`` (unanswered
    past the response time), ``response_minutes`` (request, or reopening, to first answer;
    null if none),
    ``in_time`` (answered by the due time; null while unanswered and not yet due)."""
    moment = _naive(now)
    return frame.with_columns(
        pl.col("state").is_in(list(SUPPORT_OPEN_STATES)).alias("open"),
        (pl.col("responded_at").is_null() & (pl.col("response_due_at") < moment)).alias("past_due"),
        ((pl.col("responded_at") - pl.col("clock_started_at")).dt.total_seconds() / 60).alias(
            "response_minutes"
        ),
        pl.when(pl.col("responded_at").is_not_null())
        .then(pl.col("responded_at") <= pl.col("response_due_at"))
        .when(pl.col("response_due_at") < moment)
        .then(pl.lit(False))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
        .alias("in_time"),
    )


@dataclass(frozen=True)
class RequestDetail:
    """One request as the caller may see it: fields, history and linked incidents."""

    fields: dict[str, object]
    events: list[dict[str, object]]
    linked: list[dict[str, object]]
    #: Whether the caller may open the linked cases in full now.
    may_open_cases: bool


def request_detail(engine: Engine, scope: Scope, request_id: int) -> RequestDetail | None:
    """One request with its history and linked incidents, or None if ``scope`` may not see it.

    Addresses of linked incidents are masked unless the scope sees personal details, or it is
    the addressed unit and the request is open. Audited as ``view_support_request``.
    """
    access = CaseAccess(engine)
    with Session(engine) as session:
        row = session.get(SupportRequest, request_id)
        if row is None or not _visible_row(scope, row, access):
            return None
        fields = {c: getattr(row, c) for c in REQUEST_COLUMNS if c != "linked"}
        fields.update(reason_text=row.reason_text, support_started_at=row.support_started_at)
        events = [
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "note": e.note,
            }
            for e in session.scalars(
                select(SupportRequestEvent)
                .where(SupportRequestEvent.request_id == request_id)
                .order_by(SupportRequestEvent.at, SupportRequestEvent.id)
            )
        ]
        open_for_unit = _unit_may_open(scope, row)
        personal = scope.personal_details or open_for_unit
        linked = [
            {
                "id": inc.id,
                "incident_no": inc.incident_no,
                "reported_at": inc.reported_at,
                "category": inc.category,
                "risk_level": inc.risk_level,
                "status": inc.status,
                "address": inc.address_raw if personal else mask_address(inc.address_raw),
            }
            for inc in session.scalars(
                select(Incident)
                .join(SupportRequestIncident, SupportRequestIncident.incident_id == Incident.id)
                .where(SupportRequestIncident.request_id == request_id)
                .order_by(Incident.reported_at.desc())
            )
        ]
    audit.record(
        engine,
        scope.user,
        "view_support_request",
        target=f"support_request:{request_id}",
        remote_addr=scope.remote_addr,
    )
    return RequestDetail(fields, events, linked, open_for_unit)


def _unit_may_open(scope: Scope, row: SupportRequest) -> bool:
    return (
        scope.role == SUPPORT_UNIT_ROLE
        and scope.unit == row.unit_code
        and row.state in SUPPORT_OPEN_STATES
    )


def linked_case(engine: Engine, scope: Scope, request_id: int, incident_id: int) -> CaseDetail:
    """A linked case in full, for the addressed unit while the request is open.

    Other roles read cases through :class:`~data.access.CaseAccess` with their own scope.
    Audited: ``support_view_case`` (with the request) on success, ``support_refused`` when the
    request is closed, declined, someone else's, or the case is not linked to it.

    Raises
    ------
    PermissionError
        The caller may not open this case through this request (now).
    """
    with Session(engine) as session:
        row = session.get(SupportRequest, request_id)
        linked = session.get(SupportRequestIncident, (request_id, incident_id))
        allowed = row is not None and linked is not None and _unit_may_open(scope, row)
        state = row.state if row is not None else "missing"
    if not allowed:
        audit.record(
            engine,
            scope.user,
            "support_refused",
            target=f"incident:{incident_id}",
            detail=f"support_request:{request_id} state={state}",
            remote_addr=scope.remote_addr,
        )
        raise PermissionError(
            f"case {incident_id} is open to {scope.user!r} only through an open request linking it"
        )
    wide = replace(scope, stations=None, personal_details=True)
    detail = CaseAccess(engine).case_detail(wide, incident_id)
    audit.record(
        engine,
        scope.user,
        "support_view_case",
        target=f"incident:{incident_id}",
        detail=f"support_request:{request_id}",
        remote_addr=scope.remote_addr,
    )
    if detail is None:  # deleted meanwhile
        raise PermissionError(f"case {incident_id} no longer exists")
    return detail


# -- figures ------------------------------------------------------------------------------------
def unit_table(
    engine: Engine,
    scope: Scope,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    stations: Iterable[str] = (),
    now: datetime | None = None,
) -> pl.DataFrame:
    """Per unit (the 通报 of seed 003): ``unit_code``, ``requests``, ``median_response_minutes``,
    ``answered_in_time`` (share of the requests whose clock has run out or that were answered:
    answered by the due time), ``closed_with_feedback`` (share of the closed ones that got
    feedback first), ``open`` and ``past_due`` (unanswered past the response time)."""
    frame = with_clocks(request_frame(engine, scope, stations=stations, start=start, end=end), now)
    rows = []
    for unit in units(engine):
        mine = frame.filter(pl.col("unit_code") == unit.code)
        minutes = mine["response_minutes"].drop_nulls().to_list()
        judged = mine["in_time"].drop_nulls()
        ended = mine.filter(pl.col("state").is_in(["closed", "declined"]))
        rows.append(
            {
                "unit_code": unit.code,
                "requests": mine.height,
                "median_response_minutes": statistics.median(minutes) if minutes else None,
                "answered_in_time": judged.mean() if judged.len() else None,
                "closed_with_feedback": (
                    ended.filter(pl.col("feedback_at").is_not_null()).height / ended.height
                    if ended.height
                    else None
                ),
                "open": mine.filter(pl.col("open")).height,
                "past_due": mine.filter(pl.col("past_due")).height,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "unit_code": pl.String,
            "requests": pl.Int64,
            "median_response_minutes": pl.Float64,
            "answered_in_time": pl.Float64,
            "closed_with_feedback": pl.Float64,
            "open": pl.Int64,
            "past_due": pl.Int64,
        },
    )


def station_names(engine: Engine) -> dict[str, tuple[str, str]]:
    """Station code → (Chinese name, English name)."""
    with engine.connect() as conn:
        return {
            c: (zh, en)
            for c, zh, en in conn.execute(select(Station.code, Station.name_zh, Station.name_en))
        }
