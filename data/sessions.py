"""Server-side login sessions: opened at login, ended by logout, idleness or age.

The browser holds a random token; the database holds its SHA-256, the user, a per-session
CSRF token and when the session was last used. Keeping sessions on the server (rather than
in a signed cookie) means logout, a removed user or a reset password end them at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from data import storage
from data.models import User, UserSession
from data.settings import session_idle_minutes, session_max_hours
from data.users import UserInfo

#: A session's last-use time is written at most this often (seconds), not on every request.
TOUCH_SECONDS = 30
#: Bytes of randomness in a session token and a CSRF token.
TOKEN_BYTES = 32


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def token_id(token: str) -> str:
    """The stored id of a session token (its SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class Ticket:
    """What the browser is given at login: the session token and the CSRF token."""

    token: str
    csrf_token: str


@dataclass(frozen=True)
class ActiveSession:
    """A live session as a request sees it."""

    id: str
    csrf_token: str
    user: UserInfo
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class Lookup:
    """The answer of :func:`resolve`: a live session, or why there is none.

    ``status`` is ``ok``, ``missing`` (no such token), ``idle`` (unused too long) or
    ``expired`` (older than the maximum age); ``username`` names the owner of an ended one.
    """

    session: ActiveSession | None
    status: str
    username: str | None = None


def open_session(
    engine: Engine, user_id: int, remote_addr: str | None = None, now: datetime | None = None
) -> Ticket:
    """Start a session for ``user_id``; ended sessions of every user are cleared on the way."""
    now = now or _now()
    ticket = Ticket(secrets.token_urlsafe(TOKEN_BYTES), secrets.token_urlsafe(TOKEN_BYTES))
    with engine.begin() as conn:
        conn.execute(delete(UserSession).where(_ended(now)))
        conn.execute(
            UserSession.__table__.insert(),
            {
                "id": token_id(ticket.token),
                "user_id": user_id,
                "csrf_token": ticket.csrf_token,
                "created_at": now,
                "last_seen_at": now,
                "remote_addr": (remote_addr or "")[:64] or None,
            },
        )
    return ticket


def _ended(now: datetime):
    idle = now - timedelta(minutes=session_idle_minutes())
    old = now - timedelta(hours=session_max_hours())
    return or_(UserSession.last_seen_at < idle, UserSession.created_at < old)


def resolve(engine: Engine, token: str | None, now: datetime | None = None) -> Lookup:
    """The live session of ``token``; an idle or too old one is ended and reported as such.

    Using a session counts as activity: its last-use time moves on (at most every
    :data:`TOUCH_SECONDS`).
    """
    if not token or len(token) > 200:
        return Lookup(None, "missing")
    now = now or _now()
    sid = token_id(token)
    with Session(engine) as session:
        found = session.execute(
            select(UserSession, User).join(User).where(UserSession.id == sid)
        ).first()
        if found is None:
            return Lookup(None, "missing")
        row, user = found
        status = "ok"
        if row.created_at < now - timedelta(hours=session_max_hours()):
            status = "expired"
        elif row.last_seen_at < now - timedelta(minutes=session_idle_minutes()):
            status = "idle"
        if status != "ok":
            session.execute(delete(UserSession).where(UserSession.id == sid))
            session.commit()
            return Lookup(None, status, user.username)
        active = ActiveSession(
            sid, row.csrf_token, UserInfo.of(user), row.created_at, row.last_seen_at
        )
        if (now - row.last_seen_at).total_seconds() >= TOUCH_SECONDS:
            try:
                session.execute(
                    update(UserSession).where(UserSession.id == sid).values(last_seen_at=now)
                )
                session.commit()
            except DBAPIError as err:
                # Storage refusing writes: the session lives on untouched (serve degraded).
                if not storage.is_storage_error(err):
                    raise
                session.rollback()
                storage.note_failure(err)
    return Lookup(active, "ok")


def close_session(engine: Engine, token: str | None) -> None:
    """End the session of ``token`` (nothing happens for an unknown one)."""
    if token:
        with engine.begin() as conn:
            conn.execute(delete(UserSession).where(UserSession.id == token_id(token)))
