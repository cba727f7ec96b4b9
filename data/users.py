"""Users, their roles, their passwords, and what each role may see.

The role of a user decides the :class:`~data.access.Scope` of every question they ask; that
mapping lives in one place, :func:`scope_for`. Passwords are hashed with argon2id through
argon2-cffi (RFC 9106's low-memory profile) and rehashed on the next login whenever the
parameters change. Repeated failures lock an account for a while; every login, failed login
and lock is written to the audit trail.

Demo mode (see :func:`demo_mode_active`) adds one user per role with :data:`DEMO_PASSWORD`,
which the login page prints: it is active only while the store holds the demo district alone,
so a published password never guards imported incidents.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data import audit
from data.access import Scope
from data.models import Incident, Station, SupportUnit, User, UserSession
from data.settings import demo_setting, login_lock_minutes, login_max_failures

logger = logging.getLogger(__name__)

# -- roles ----------------------------------------------------------------------------------
ADMINISTRATOR = "administrator"
COMMAND_CENTER = "command_center"
LEADERSHIP = "leadership"
STATION_CHIEF = "station_chief"
STATION_OFFICER = "station_officer"
ANALYST = "analyst"
#: A unit stations ask for support (治安管理大队, 指挥中心 …): sees the requests addressed to
#: it and, while one is open, its linked cases (data.support).
SUPPORT_UNIT = "support_unit"
#: Every role, in the order the interface lists them.
ROLES: tuple[str, ...] = (
    ADMINISTRATOR,
    COMMAND_CENTER,
    LEADERSHIP,
    STATION_CHIEF,
    STATION_OFFICER,
    ANALYST,
    SUPPORT_UNIT,
)
#: Roles bound to one station, which must be named when the user is added.
STATION_ROLES = frozenset({STATION_CHIEF, STATION_OFFICER})


@dataclass(frozen=True)
class RolePolicy:
    """What a role may see.

    Attributes
    ----------
    case_data : bool
        May see incidents at all (the administrator sees users and the audit trail only).
    all_stations : bool
        Every station's incidents; otherwise only those of the user's own station.
    personal_details : bool
        Exact addresses, coordinates and case summaries, unmasked.
    can_reveal : bool
        May unmask one case's details after giving a reason (recorded as ``reveal``).
    """

    case_data: bool
    all_stations: bool
    personal_details: bool
    can_reveal: bool


#: The one table of who sees what. Analysts and leadership see the same masked data today;
#: analysts are kept apart so pseudonymous analysis views can be granted to them alone.
ROLE_POLICIES: dict[str, RolePolicy] = {
    ADMINISTRATOR: RolePolicy(
        case_data=False, all_stations=False, personal_details=False, can_reveal=False
    ),
    COMMAND_CENTER: RolePolicy(
        case_data=True, all_stations=True, personal_details=False, can_reveal=True
    ),
    LEADERSHIP: RolePolicy(
        case_data=True, all_stations=True, personal_details=False, can_reveal=False
    ),
    STATION_CHIEF: RolePolicy(
        case_data=True, all_stations=False, personal_details=True, can_reveal=False
    ),
    STATION_OFFICER: RolePolicy(
        case_data=True, all_stations=False, personal_details=True, can_reveal=False
    ),
    ANALYST: RolePolicy(
        case_data=True, all_stations=True, personal_details=False, can_reveal=False
    ),
    # No station's cases in general: only the linked cases of a request addressed to its
    # unit, while that request is open (data.support.linked_case).
    SUPPORT_UNIT: RolePolicy(
        case_data=False, all_stations=False, personal_details=False, can_reveal=False
    ),
}

#: The scope of a request nobody is logged in for: nothing at all.
NO_ACCESS = Scope(user="anonymous", stations=frozenset(), personal_details=False)


class UserLike(Protocol):
    """Anything with a username, a role and a station (a :class:`UserInfo`, a ``User`` row)."""

    username: str
    role: str
    station_code: str | None


def scope_for(user: UserLike | None, remote_addr: str | None = None) -> Scope:
    """The data scope of ``user``: the one mapping from roles to what they may see.

    Parameters
    ----------
    user : UserLike or None
        The logged-in user; None (or an unknown role) gets :data:`NO_ACCESS`.
    remote_addr : str, optional
        Where the request came from, for the audit trail.

    Returns
    -------
    Scope
        Stations ``frozenset()`` (nothing) for the administrator, ``{station}`` for station
        roles, None (all) for the others.
    """
    policy = ROLE_POLICIES.get(user.role) if user is not None else None
    if user is None or policy is None:
        return Scope(user="anonymous", stations=frozenset(), remote_addr=remote_addr)
    if not policy.case_data:
        stations: frozenset[str] | None = frozenset()
    elif policy.all_stations:
        stations = None
    else:
        stations = frozenset({user.station_code}) if user.station_code else frozenset()
    return Scope(
        user=user.username,
        stations=stations,
        personal_details=policy.personal_details,
        remote_addr=remote_addr,
        can_reveal=policy.can_reveal,
        role=user.role,
        unit=getattr(user, "unit_code", None) if user.role == SUPPORT_UNIT else None,
    )


def may_see_cases(role: str | None) -> bool:
    """Whether ``role`` may see incidents at all (False for the administrator and strangers)."""
    policy = ROLE_POLICIES.get(role or "")
    return policy is not None and policy.case_data


# -- users ------------------------------------------------------------------------------------
#: Letters (any script), digits and ``. _ @ -``; 1 to 64 characters.
USERNAME_PATTERN = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD_LENGTH = 12
#: Longer passwords are refused before hashing (hashing cost grows with the input).
MAX_PASSWORD_LENGTH = 1024


class UserError(ValueError):
    """A user cannot be added or changed; the message names the culprit."""


@dataclass(frozen=True)
class UserInfo:
    """A user as the rest of the program sees one: never with the password hash."""

    id: int
    username: str
    display_name: str
    role: str
    station_code: str | None
    demo: bool = False
    locked_until: datetime | None = None
    last_login_at: datetime | None = None
    failed_logins: int = 0
    #: The support unit of a ``support_unit`` user.
    unit_code: str | None = None

    @classmethod
    def of(cls, row: User) -> UserInfo:
        """The public fields of a ``User`` row."""
        return cls(
            row.id,
            row.username,
            row.display_name,
            row.role,
            row.station_code,
            bool(row.demo),
            row.locked_until,
            row.last_login_at,
            row.failed_logins or 0,
            row.unit_code,
        )


def _now() -> datetime:
    """Now as the naive UTC value the database stores."""
    return datetime.now(UTC).replace(tzinfo=None)


_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)


def password_hasher() -> PasswordHasher:
    """The argon2id hasher every password goes through (tests may swap in cheaper params)."""
    return _HASHER


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (PHC string with its parameters and salt)."""
    return password_hasher().hash(password)


def check_username(username: object) -> str:
    """``username`` if it is a valid user name; :class:`UserError` naming the rule otherwise."""
    if not isinstance(username, str) or not USERNAME_PATTERN.match(username):
        raise UserError(
            f"user name {str(username)[:80]!r} must be 1 to 64 letters, digits or . _ @ -"
        )
    return username


def check_password(password: object, username: str = "") -> str:
    """``password`` if it is acceptable for a real user; :class:`UserError` otherwise."""
    if not isinstance(password, str):
        raise UserError("the password must be text")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise UserError(
            f"the password must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    if len(set(password)) < 4 or (len(username) >= 3 and username.lower() in password.lower()):
        raise UserError("the password is too easy to guess (few distinct characters or the name)")
    return password


def _check_role(engine: Engine, role: str, station_code: str | None, known: bool = True) -> None:
    """Refuse an unknown role, a station role without a station (or, with ``known``, with a
    station the database does not hold), and a station for a role that sees all or none."""
    if role not in ROLE_POLICIES:
        raise UserError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if role in STATION_ROLES:
        if not station_code:
            raise UserError(f"role {role!r} needs a station (--station CODE)")
        if not known:
            return
        with engine.connect() as conn:
            known = conn.execute(select(Station.code).where(Station.code == station_code)).first()
        if known is None:
            raise UserError(f"no station {station_code!r} in the database")
    elif station_code:
        raise UserError(f"role {role!r} sees all stations or none: give no station")


def _check_unit(engine: Engine, role: str, unit_code: str | None, known: bool = True) -> None:
    """Refuse a support unit user without a configured unit, and a unit for any other role."""
    if role != SUPPORT_UNIT:
        if unit_code:
            raise UserError(f"role {role!r} answers for no support unit: give no unit")
        return
    if not unit_code:
        raise UserError(f"role {role!r} needs a support unit (--unit CODE)")
    if not known:
        return
    with engine.connect() as conn:
        found = conn.execute(select(SupportUnit.code).where(SupportUnit.code == unit_code)).first()
    if found is None:
        raise UserError(f"no support unit {unit_code!r} configured")


def add_user(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    station_code: str | None = None,
    display_name: str | None = None,
    *,
    actor: str,
    demo: bool = False,
    unit_code: str | None = None,
) -> UserInfo:
    """Add a user; the password is checked (unless ``demo``) and stored as an argon2id hash.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store.
    username, password : str
        The login; :func:`check_username` and :func:`check_password` rules apply.
    role : str
        One of :data:`ROLES`.
    station_code : str, optional
        Required for station roles (the station must exist), refused for the others.
    display_name : str, optional
        Shown in the interface; defaults to the user name.
    actor : str
        Who adds the user, for the audit trail.
    demo : bool
        A demo user (its well-known password skips the strength rules).
    unit_code : str, optional
        Required for :data:`SUPPORT_UNIT` users (a configured unit), refused for the others.

    Returns
    -------
    UserInfo

    Raises
    ------
    UserError
        With a message naming the culprit (name taken, bad role or station, weak password).
    """
    check_username(username)
    if not demo:
        check_password(password, username)
    _check_role(engine, role, station_code, known=not demo)
    _check_unit(engine, role, unit_code, known=not demo)
    return _insert_user(
        engine,
        username,
        hash_password(password),
        role,
        station_code,
        display_name,
        actor,
        demo,
        unit_code,
    )


def _insert_user(
    engine: Engine,
    username: str,
    password_hash: str,
    role: str,
    station_code: str | None,
    display_name: str | None,
    actor: str,
    demo: bool,
    unit_code: str | None = None,
) -> UserInfo:
    now = _now()
    row = User(
        username=username,
        display_name=(display_name or username)[:100],
        role=role,
        station_code=station_code,
        password_hash=password_hash,
        failed_logins=0,
        password_changed_at=now,
        created_at=now,
        demo=demo,
        unit_code=unit_code,
    )
    with Session(engine) as session:
        if session.scalars(select(User.id).where(User.username == username)).first():
            raise UserError(f"user {username!r} exists already")
        session.add(row)
        session.commit()
        info = UserInfo.of(row)
    target = f"user:{username}"
    audit.record(
        engine,
        actor,
        "user_add",
        target=target,
        detail=f"role={role} station={station_code}" + (f" unit={unit_code}" if unit_code else ""),
    )
    return info


def get_user(engine: Engine, username: str) -> UserInfo | None:
    """The user called ``username``, or None."""
    with Session(engine) as session:
        row = session.scalars(select(User).where(User.username == username)).first()
        return UserInfo.of(row) if row is not None else None


def get_user_by_id(engine: Engine, user_id: int) -> UserInfo | None:
    """The user with database id ``user_id``, or None."""
    with Session(engine) as session:
        row = session.get(User, user_id)
        return UserInfo.of(row) if row is not None else None


def list_users(engine: Engine) -> list[UserInfo]:
    """Every user, by role (in :data:`ROLES` order) then name."""
    with Session(engine) as session:
        rows = [UserInfo.of(r) for r in session.scalars(select(User))]
    order = {role: i for i, role in enumerate(ROLES)}
    return sorted(rows, key=lambda u: (order.get(u.role, len(order)), u.username))


def remove_user(engine: Engine, username: str, *, actor: str) -> None:
    """Delete a user and end their sessions; :class:`UserError` if there is no such user."""
    with Session(engine) as session:
        row = session.scalars(select(User).where(User.username == username)).first()
        if row is None:
            raise UserError(f"no user {username!r}")
        session.delete(row)  # sessions go with it (ON DELETE CASCADE)
        session.commit()
    audit.record(engine, actor, "user_remove", target=f"user:{username}")


def close_user_sessions(engine: Engine, user_id: int) -> int:
    """End every session of ``user_id``; returns how many there were."""
    with engine.begin() as conn:
        return conn.execute(delete(UserSession).where(UserSession.user_id == user_id)).rowcount


def reset_password(engine: Engine, username: str, password: str, *, actor: str) -> None:
    """Set a new password, clear any lock and end the user's sessions."""
    with Session(engine) as session:
        row = session.scalars(select(User).where(User.username == username)).first()
        if row is None:
            raise UserError(f"no user {username!r}")
        if not row.demo:
            check_password(password, username)
        row.password_hash = hash_password(password)
        row.password_changed_at = _now()
        row.failed_logins = 0
        row.locked_until = None
        session.commit()
        user_id = row.id
    close_user_sessions(engine, user_id)
    audit.record(engine, actor, "user_reset", target=f"user:{username}")


# -- logging in ---------------------------------------------------------------------------------
#: Verified against when the user name is unknown, so that takes as long as a wrong password.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not a password: this hash only burns time")
    return _DUMMY_HASH


@dataclass(frozen=True)
class LoginResult:
    """The outcome of :func:`authenticate`.

    ``reason`` is ``ok``, ``invalid_name``, ``unknown_user``, ``wrong_password``, ``locked`` or
    ``demo_inactive``. Callers tell the user no more than "failed": which one it was is for
    the audit trail only, so nobody can probe which names exist.
    """

    user: UserInfo | None
    reason: str

    @property
    def ok(self) -> bool:
        """Whether the user is logged in."""
        return self.user is not None


def _burn(password: str) -> None:
    with contextlib.suppress(VerificationError, InvalidHashError):
        password_hasher().verify(_dummy_hash(), password)


def audit_name(username: object) -> str:
    """A user name as the audit trail records an attempt: printable, at most 64 characters."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(username))
    return text[:64] or "?"


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    remote_addr: str | None = None,
    *,
    demo_active: bool = False,
    now: datetime | None = None,
) -> LoginResult:
    """Check a login; count failures, lock after too many, rehash outdated hashes.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store.
    username, password : str
        What was typed.
    remote_addr : str, optional
        Where from, for the audit trail.
    demo_active : bool
        Whether demo users may log in now.
    now : datetime, optional
        Naive UTC time of the attempt (default: the clock).

    Returns
    -------
    LoginResult
        The user on success. Failures record ``login_failed`` (and ``account_locked`` when
        the :func:`~data.settings.login_max_failures`-th failure in a row locks the account
        for :func:`~data.settings.login_lock_minutes`); success records ``login``.
    """
    now = now or _now()
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        password = ""
    try:
        check_username(username)
    except UserError:
        _burn(password)
        return _failed(engine, username, "invalid_name", remote_addr)
    with Session(engine) as session:
        row = session.scalars(select(User).where(User.username == username)).first()
        if row is None:
            _burn(password)
            return _failed(engine, username, "unknown_user", remote_addr)
        if row.demo and not demo_active:
            _burn(password)
            return _failed(engine, username, "demo_inactive", remote_addr)
        locked = row.locked_until is not None and row.locked_until > now
        try:
            password_hasher().verify(row.password_hash, password)
            matched = True
        except (VerificationError, InvalidHashError):
            matched = False
        if locked:
            return _failed(engine, username, "locked", remote_addr)
        if not matched:
            row.failed_logins = (row.failed_logins or 0) + 1
            just_locked = row.failed_logins >= login_max_failures()
            if just_locked:
                row.locked_until = now + timedelta(minutes=login_lock_minutes())
                row.failed_logins = 0
            session.commit()
            result = _failed(engine, username, "wrong_password", remote_addr)
            if just_locked:
                audit.record(
                    engine,
                    audit_name(username),
                    "account_locked",
                    target=f"user:{username}",
                    detail=f"locked for {login_lock_minutes()} min",
                    remote_addr=remote_addr,
                )
            return result
        if password_hasher().check_needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
        row.failed_logins = 0
        row.locked_until = None
        row.last_login_at = now
        session.commit()
        info = UserInfo.of(row)
    audit.record(engine, username, "login", detail=f"role={info.role}", remote_addr=remote_addr)
    return LoginResult(info, "ok")


def _failed(engine: Engine, username: object, reason: str, remote_addr: str | None) -> LoginResult:
    audit.record(
        engine, audit_name(username), "login_failed", detail=reason, remote_addr=remote_addr
    )
    return LoginResult(None, reason)


# -- demo mode ----------------------------------------------------------------------------------
#: The password of every demo user; printed on the login page in demo mode only.
DEMO_PASSWORD = "anning-demo"
DEMO_SOURCE_SYSTEM = "demo"


@dataclass(frozen=True)
class DemoUser:
    """One demo user: name, role, station and display names in both languages."""

    username: str
    role: str
    station_code: str | None
    name_zh: str
    name_en: str
    unit_code: str | None = None


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("demo-admin", ADMINISTRATOR, None, "演示·系统管理员", "Demo administrator"),
    DemoUser("demo-command", COMMAND_CENTER, None, "演示·指挥中心", "Demo command center"),
    DemoUser("demo-leader", LEADERSHIP, None, "演示·区领导", "Demo district leader"),
    DemoUser("demo-chief", STATION_CHIEF, "BA01", "演示·新安派出所所长", "Demo chief, Xin'an"),
    DemoUser(
        "demo-officer", STATION_OFFICER, "BA02", "演示·西乡派出所民警", "Demo officer, Xixiang"
    ),
    DemoUser("demo-analyst", ANALYST, None, "演示·研判分析员", "Demo analyst"),
    DemoUser(
        "demo-support",
        SUPPORT_UNIT,
        None,
        "演示·治安管理大队",
        "Demo public order brigade",
        unit_code="ZAGL",
    ),
)


def store_is_demo_only(engine: Engine) -> bool:
    """Whether the store holds no incident other than the generated demo district's."""
    other = or_(
        Incident.source_system < DEMO_SOURCE_SYSTEM, Incident.source_system > DEMO_SOURCE_SYSTEM
    )
    with engine.connect() as conn:
        return conn.execute(select(Incident.id).where(other).limit(1)).first() is None


def demo_mode_active(engine: Engine) -> bool:
    """Whether demo mode is on: ``ANNING_DEMO`` is not ``off`` and the store is the demo's."""
    return demo_setting() != "off" and store_is_demo_only(engine)


def display_name_in(user: UserLike, lang: str) -> str:
    """``user``'s display name for an interface in ``lang``: a demo user's own name in that
    language; anyone else's name as it was entered."""
    name = getattr(user, "display_name", None) or user.username
    for demo in DEMO_USERS:
        if demo.username == user.username and name == demo.name_zh:
            return demo.name_en if lang == "en" else demo.name_zh
    return name


def sync_demo_users(engine: Engine) -> bool:
    """Create the missing demo users in demo mode; delete every demo user outside it.

    Returns
    -------
    bool
        Whether demo mode is active.
    """
    active = demo_mode_active(engine)
    if not active:
        with engine.begin() as conn:
            removed = conn.execute(delete(User).where(User.demo.is_(True))).rowcount
        if removed:
            audit.record(engine, "system", "demo_users_removed", detail=f"{removed} users")
        return False
    with engine.connect() as conn:
        present = set(conn.scalars(select(User.username)))
    missing = [d for d in DEMO_USERS if d.username not in present]
    if missing:
        shared = hash_password(DEMO_PASSWORD)  # one hash: the password is public anyway
        for demo in missing:
            try:
                _insert_user(
                    engine,
                    demo.username,
                    shared,
                    demo.role,
                    demo.station_code,
                    demo.name_zh,
                    "system",
                    True,
                    demo.unit_code,
                )
            except (IntegrityError, UserError):
                # Another process (a second gunicorn worker) created it meanwhile.
                logger.info("demo user %s was created by another process", demo.username)
    return True


#: The roles that see every station and so open the command wall (``/command``).
WALL_ROLES: tuple[str, ...] = (COMMAND_CENTER, LEADERSHIP, ANALYST)

#: The roles that hold review meetings (``/review``).
REVIEW_ROLES: frozenset[str] = frozenset({LEADERSHIP, COMMAND_CENTER, ANALYST})

#: The roles that open the support units' screen (``/support``): the units answer there, the
#: command centre oversees every request.
SUPPORT_SCREEN_ROLES: frozenset[str] = frozenset({SUPPORT_UNIT, COMMAND_CENTER})
