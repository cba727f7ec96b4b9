"""The audit trail: append-only records of who viewed, revealed, exported or imported what.

Events are only ever inserted: this module has no update or delete, and the database refuses
both (triggers of migration 0002); each event is chained to the one before it by a keyed hash
(:mod:`data.audit_chain`), so whoever bypasses the triggers leaves a broken chain.
Administrators read the trail through :func:`events` and export it through :func:`iter_events`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data import audit_chain, storage
from data.models import AuditEvent


def record(
    engine: Engine,
    user: str,
    action: str,
    target: str | None = None,
    detail: str | None = None,
    remote_addr: str | None = None,
) -> None:
    """Append one audit event (``action`` such as ``view_case`` or ``export``), time now, UTC.

    The event joins the hash chain (:func:`data.audit_chain.append`) in the same transaction.
    Raises :class:`data.storage.StorageError` when the storage refuses the write: whatever
    was to be recorded must then not happen (a case is not shown unrecorded).
    """
    at = datetime.now(UTC).replace(tzinfo=None)
    with storage.guard(engine), engine.begin() as conn:
        audit_chain.append(
            conn,
            {
                # SQLite keeps the text SQLAlchemy's DateTime writes; PostgreSQL a timestamp.
                "at": at if conn.dialect.name != "sqlite" else audit_chain.at_text(at),
                "user": user,
                "action": action,
                "target": target,
                "detail": detail,
                "remote_addr": remote_addr,
            },
        )


# -- reading the trail (administrators only) -------------------------------------------------
#: Most events one page of the audit log may hold.
MAX_AUDIT_PAGE = 200
#: Columns of an audit event as the log and its export show them.
AUDIT_COLUMNS: tuple[str, ...] = ("at", "user", "action", "target", "detail", "remote_addr")


@dataclass(frozen=True)
class AuditQuery:
    """A selection of audit events; None means "no restriction".

    ``user`` matches any part of the user name (literally: ``%`` and ``_`` are not
    wildcards); ``action`` matches exactly; ``start`` and ``end`` are local dates in
    ``tz``, both inclusive.
    """

    user: str | None = None
    action: str | None = None
    start: date | None = None
    end: date | None = None

    def where(self, tz: str) -> list:
        """SQLAlchemy conditions selecting this query's events."""
        zone = ZoneInfo(tz)
        conditions = []
        if self.user:
            conditions.append(AuditEvent.user.contains(self.user, autoescape=True))
        if self.action:
            conditions.append(AuditEvent.action == self.action)
        if self.start is not None:
            start = datetime.combine(self.start, time(), zone).astimezone(UTC)
            conditions.append(AuditEvent.at >= start.replace(tzinfo=None))
        if self.end is not None:
            end = datetime.combine(self.end + timedelta(days=1), time(), zone).astimezone(UTC)
            conditions.append(AuditEvent.at < end.replace(tzinfo=None))
        return conditions


def _row(event: AuditEvent, zone: ZoneInfo) -> dict[str, object]:
    local = event.at.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    return {
        "id": event.id,
        "at": local,
        "user": event.user,
        "action": event.action,
        "target": event.target,
        "detail": event.detail,
        "remote_addr": event.remote_addr,
    }


def events(
    engine: Engine, query: AuditQuery, tz: str, offset: int = 0, limit: int = 50
) -> tuple[list[dict[str, object]], int]:
    """One page of matching events, newest first, with times local to ``tz``, and the total.

    Raises ``ValueError`` for a negative offset or a limit outside 1..:data:`MAX_AUDIT_PAGE`.
    """
    if offset < 0 or not 1 <= limit <= MAX_AUDIT_PAGE:
        raise ValueError(f"page out of range: offset={offset}, limit={limit}")
    zone = ZoneInfo(tz)
    conditions = query.where(tz)
    with Session(engine) as session:
        total = session.scalar(select(func.count(AuditEvent.id)).where(*conditions)) or 0
        rows = session.scalars(
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [_row(e, zone) for e in rows], int(total)


def iter_events(
    engine: Engine, query: AuditQuery, tz: str, batch: int = 1000
) -> Iterator[dict[str, object]]:
    """Every matching event, oldest first, read ``batch`` at a time (for exports)."""
    zone = ZoneInfo(tz)
    conditions = query.where(tz)
    last_id = 0
    while True:
        with Session(engine) as session:
            rows = list(
                session.scalars(
                    select(AuditEvent)
                    .where(*conditions, AuditEvent.id > last_id)
                    .order_by(AuditEvent.id)
                    .limit(batch)
                )
            )
            chunk = [_row(e, zone) for e in rows]
        if not chunk:
            return
        yield from chunk
        last_id = int(chunk[-1]["id"])


def actions(engine: Engine) -> list[str]:
    """The distinct actions the trail holds, sorted."""
    with engine.connect() as conn:
        return sorted(conn.scalars(select(AuditEvent.action).distinct()))


# -- counting (limits and alerts) ---------------------------------------------------------------
def count_since(engine: Engine, action: str, user: str, since: datetime) -> int:
    """Events ``action`` by ``user`` at or after ``since`` (naive UTC)."""
    with engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.action == action, AuditEvent.user == user, AuditEvent.at >= since
                )
            )
            or 0
        )


def frequent_users(
    engine: Engine, action: str, since: datetime, more_than: int
) -> list[tuple[str, int]]:
    """Users with more than ``more_than`` events ``action`` since ``since``, most first."""
    count = func.count(AuditEvent.id)
    with engine.connect() as conn:
        rows = conn.execute(
            select(AuditEvent.user, count)
            .where(AuditEvent.action == action, AuditEvent.at >= since)
            .group_by(AuditEvent.user)
            .having(count > more_than)
            .order_by(count.desc(), AuditEvent.user)
        ).all()
    return [(user, int(n)) for user, n in rows]
