"""Installation settings read from the environment, with the embedded defaults.

Only this module reads ``ANNING_*`` variables, so every setting has one name and one default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Where the embedded installation keeps its SQLite file and its secrets.
VAR_DIR = Path(os.environ.get("ANNING_VAR_DIR", REPO_ROOT / "var"))

#: SQLAlchemy URL of the system of record; PostgreSQL follows by URL.
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'anning.sqlite'}"

#: The installation's time zone: times are stored in UTC and shown in this zone.
DEFAULT_TIMEZONE = "Asia/Shanghai"


def database_url() -> str:
    """Return the database URL from ``ANNING_DATABASE_URL`` or the embedded SQLite file."""
    return os.environ.get("ANNING_DATABASE_URL", DEFAULT_DATABASE_URL)


class SettingsError(ValueError):
    """An ``ANNING_*`` variable holds a value the product cannot use (the message names it)."""


def check_settings() -> None:
    """Refuse, before serving, a setting that would only fail later inside a request.

    Raises
    ------
    SettingsError
        Naming the variable and its value.
    """
    tz = display_timezone()
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"ANNING_TIMEZONE should be an IANA time zone such as Asia/Shanghai, got {tz!r}"
        ) from None
    wall_refresh_seconds()
    review_targets()
    patrol_shifts()
    basemap()


def snapshot_dir() -> Path | None:
    """Where the workers of this machine keep their one shared columnar snapshot
    (``ANNING_SNAPSHOT_DIR``, a local folder), or None: each process keeps its own copy."""
    value = os.environ.get("ANNING_SNAPSHOT_DIR", "").strip()
    return Path(value) if value else None


def display_timezone() -> str:
    """Return the IANA time zone in which times are shown (``ANNING_TIMEZONE``)."""
    return os.environ.get("ANNING_TIMEZONE", DEFAULT_TIMEZONE)


def default_language() -> str:
    """Return the interface language shown first: ``zh`` unless ``ANNING_LANGUAGE=en``."""
    lang = os.environ.get("ANNING_LANGUAGE", "zh")
    return lang if lang in ("zh", "en") else "zh"


#: Where the pseudonym secret lives by default: beside the database, never inside it.
DEFAULT_SECRET_FILE = VAR_DIR / "pseudonym.key"


def secret_file() -> Path:
    """Return the path of the pseudonym secret (``ANNING_SECRET_FILE``).

    The file holds the per-installation HMAC key that turns ID numbers into pseudonyms. It is
    created on first use and must stay outside the database, so that a copy of the database
    alone cannot be used to test guessed ID numbers.
    """
    return Path(os.environ.get("ANNING_SECRET_FILE", DEFAULT_SECRET_FILE))


def import_batch_pause() -> float:
    """Return seconds to sleep after each committed import batch (``ANNING_IMPORT_BATCH_PAUSE``).

    Zero in normal use. Tests set it to widen the window in which they kill an import, to
    check that a killed import leaves the database consistent.
    """
    try:
        return max(0.0, float(os.environ.get("ANNING_IMPORT_BATCH_PAUSE", "0")))
    except ValueError:
        return 0.0


# -- login, sessions and demo mode ----------------------------------------------------------
def _int_setting(name: str, default: int, lowest: int, highest: int) -> int:
    """An integer setting clamped to ``lowest..highest``; the default if it is not a number."""
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return min(max(value, lowest), highest)


def demo_setting() -> str:
    """Return ``'auto'``, ``'on'`` or ``'off'`` from ``ANNING_DEMO`` (default ``'auto'``).

    Demo mode creates one demo user per role with a password printed on the login page, so it
    is only ever active while the store holds demo incidents alone (see :mod:`data.users`):
    ``auto`` and ``on`` both mean "when the store is the demo district"; ``off`` never.
    """
    value = os.environ.get("ANNING_DEMO", "auto").strip().lower()
    if value in ("0", "off", "no", "false"):
        return "off"
    if value in ("1", "on", "yes", "true"):
        return "on"
    return "auto"


def session_idle_minutes() -> int:
    """Return minutes without a request after which a session ends (``ANNING_SESSION_IDLE_MINUTES``,
    default 30, 1 to 1440)."""
    return _int_setting("ANNING_SESSION_IDLE_MINUTES", 30, 1, 1440)


def session_max_hours() -> int:
    """Return hours after which a session ends however active (``ANNING_SESSION_MAX_HOURS``,
    default 12, 1 to 168)."""
    return _int_setting("ANNING_SESSION_MAX_HOURS", 12, 1, 168)


def login_max_failures() -> int:
    """Return failed logins in a row, from at least two source addresses, that lock an
    account (``ANNING_LOGIN_MAX_FAILURES``, default 5, 1 to 100)."""
    return _int_setting("ANNING_LOGIN_MAX_FAILURES", 5, 1, 100)


def login_address_max_failures() -> int:
    """Return failed logins one source address may make in an hour, whatever names it tries,
    before it is refused until the hour is over (``ANNING_LOGIN_ADDRESS_MAX_FAILURES``,
    default 20, 3 to 10000)."""
    return _int_setting("ANNING_LOGIN_ADDRESS_MAX_FAILURES", 20, 3, 10_000)


def login_lock_minutes() -> int:
    """Return minutes an account stays locked (``ANNING_LOGIN_LOCK_MINUTES``, default 15,
    1 to 1440)."""
    return _int_setting("ANNING_LOGIN_LOCK_MINUTES", 15, 1, 1440)


def reveal_max_per_hour() -> int:
    """Return reveals of personal details one user may make in an hour
    (``ANNING_REVEAL_MAX_PER_HOUR``, default 20, 1 to 10000)."""
    return _int_setting("ANNING_REVEAL_MAX_PER_HOUR", 20, 1, 10_000)


def reveal_bulk_alert() -> int:
    """Return reveals in an hour above which the administrator's page flags a user as
    revealing in bulk (``ANNING_REVEAL_BULK_ALERT``, default 10, 1 to 10000)."""
    return _int_setting("ANNING_REVEAL_BULK_ALERT", 10, 1, 10_000)


def refusal_alert() -> int:
    """Return refusals in an hour above which the administrator's page flags a user
    (``ANNING_REFUSAL_ALERT``, default 10, 1 to 10000)."""
    return _int_setting("ANNING_REFUSAL_ALERT", 10, 1, 10_000)


def cookie_secure() -> str:
    """Return when cookies get the ``Secure`` flag (``ANNING_COOKIE_SECURE``): ``'auto'``
    (default: when the request came over HTTPS), ``'on'`` (always) or ``'off'`` (never)."""
    value = os.environ.get("ANNING_COOKIE_SECURE", "auto").strip().lower()
    if value in ("1", "on", "yes", "true"):
        return "on"
    if value in ("0", "off", "no", "false"):
        return "off"
    return "auto"


def allowed_origins() -> tuple[str, ...]:
    """Return origins besides the server's own that may post (``ANNING_ALLOWED_ORIGINS``).

    Comma-separated ``scheme://host[:port]`` values, for a reverse proxy that terminates
    HTTPS in front of the server (the server then sees ``http://`` and another host).
    """
    raw = os.environ.get("ANNING_ALLOWED_ORIGINS", "")
    return tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())


# -- the command-centre wall screen ----------------------------------------------------------
#: Bounds of ``ANNING_WALL_REFRESH_SECONDS``: faster would load the server for nothing, slower
#: would leave a wall screen showing an hour-old picture.
WALL_REFRESH_MIN_SECONDS = 5
WALL_REFRESH_MAX_SECONDS = 3600


def wall_refresh_seconds() -> int:
    """Return seconds between two full refreshes of the wall screen
    (``ANNING_WALL_REFRESH_SECONDS``, default 30, 5 to 3600).

    Raises
    ------
    ValueError
        If the variable is set to anything but a whole number in range, naming the variable
        and the value (a wall that silently refreshes at another rate is worse than none).
    """
    raw = os.environ.get("ANNING_WALL_REFRESH_SECONDS", "30").strip()
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(
            f"ANNING_WALL_REFRESH_SECONDS should be a whole number of seconds, got {raw!r}"
        ) from None
    if not WALL_REFRESH_MIN_SECONDS <= value <= WALL_REFRESH_MAX_SECONDS:
        raise SettingsError(
            f"ANNING_WALL_REFRESH_SECONDS should be {WALL_REFRESH_MIN_SECONDS} to "
            f"{WALL_REFRESH_MAX_SECONDS}, got {value}"
        )
    return value


# -- the web server of ``python app.py`` --------------------------------------------------------
def server_kind() -> str:
    """Return which server ``python app.py`` runs (``ANNING_SERVER``): ``'gunicorn'`` (default,
    threaded worker processes) or ``'dev'`` (Flask's development server, for debugging)."""
    return "dev" if os.environ.get("ANNING_SERVER", "").strip().lower() == "dev" else "gunicorn"


def server_workers() -> int:
    """Return worker processes of ``python app.py`` (``ANNING_WORKERS``, default: the number of
    cores, 1 to 32). Each worker holds its own columnar snapshot of the incidents."""
    return _int_setting("ANNING_WORKERS", os.cpu_count() or 1, 1, 32)


def server_threads() -> int:
    """Return threads per worker (``ANNING_THREADS``, default 8, 1 to 64)."""
    return _int_setting("ANNING_THREADS", 8, 1, 64)


def _hours_setting(name: str, defaults: dict[str, int]) -> dict[str, int]:
    """``key=hours`` pairs from ``name`` (``"urgent=2,normal=24"``) over ``defaults``.

    Raises
    ------
    SettingsError
        An unknown key or a value that is not a whole number of hours from 1 to 8760.
    """
    text = os.environ.get(name, "").strip()
    values = dict(defaults)
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, number = part.partition("=")
        key = key.strip()
        if key not in defaults:
            raise SettingsError(f"{name}: unknown key {key!r}; keys: {', '.join(defaults)}")
        try:
            hours = int(number)
        except ValueError:
            raise SettingsError(f"{name}: {key} needs whole hours, got {number!r}") from None
        if not 1 <= hours <= 8760:
            raise SettingsError(f"{name}: {key} must be 1 to 8760 hours, got {hours}")
        values[key] = hours
    return values


def support_response_hours() -> dict[str, int]:
    """Hours a unit has to answer a support request, per urgency
    (``ANNING_SUPPORT_RESPONSE_HOURS``, default ``urgent=2,normal=24``)."""
    return _hours_setting("ANNING_SUPPORT_RESPONSE_HOURS", {"urgent": 2, "normal": 24})


def task_service_hours() -> dict[str, int]:
    """Hours each department has to handle a dispatched case (``ANNING_TASK_SERVICE_HOURS``,
    default police 24, women's federation 72, justice 120, court 240, community 72)."""
    return _hours_setting(
        "ANNING_TASK_SERVICE_HOURS",
        {"police": 24, "womens_federation": 72, "justice": 120, "court": 240, "community": 72},
    )


def warning_schedule_days() -> tuple[int, int, int]:
    """The visit schedule a warning letter starts: days to the first visit, days between
    visits, days the schedule runs (``ANNING_WARNING_FIRST_VISIT_DAYS`` 7,
    ``ANNING_WARNING_VISIT_INTERVAL_DAYS`` 14, ``ANNING_WARNING_FOLLOW_UP_DAYS`` 61: two
    months)."""
    return (
        _int_setting("ANNING_WARNING_FIRST_VISIT_DAYS", 7, 1, 90),
        _int_setting("ANNING_WARNING_VISIT_INTERVAL_DAYS", 14, 1, 90),
        _int_setting("ANNING_WARNING_FOLLOW_UP_DAYS", 61, 7, 730),
    )


#: The patrol shifts when ``ANNING_PATROL_SHIFTS`` is not set: early, late and night.
DEFAULT_PATROL_SHIFTS = "08-16,16-24,00-08"


def patrol_shifts() -> tuple[tuple[int, int], ...]:
    """Return the patrol shifts as ``(start, end)`` hours (``ANNING_PATROL_SHIFTS``, default
    ``08-16,16-24,00-08``): each ``HH-HH`` with 0 <= start < 24, 0 < end <= 24 and
    start != end; a shift may run past midnight (``22-06``). Shifts may not overlap.

    Raises
    ------
    SettingsError
        Naming the variable, the value and what is wrong with it.
    """
    raw = os.environ.get("ANNING_PATROL_SHIFTS", DEFAULT_PATROL_SHIFTS).strip()
    shifts: list[tuple[int, int]] = []
    taken: set[int] = set()
    for part in raw.split(","):
        start_text, _, end_text = part.strip().partition("-")
        try:
            start, end = int(start_text), int(end_text)
        except ValueError:
            start, end = -1, -1
        if not (0 <= start < 24 and 0 < end <= 24 and start != end % 24):
            raise SettingsError(
                f"ANNING_PATROL_SHIFTS should list shifts as HH-HH separated by commas, e.g. "
                f"{DEFAULT_PATROL_SHIFTS}; {part.strip()!r} in {raw!r} is not one"
            )
        hours = set(shift_hours((start, end)))
        if hours & taken:
            raise SettingsError(
                f"ANNING_PATROL_SHIFTS: shift {part.strip()!r} overlaps another in {raw!r}"
            )
        taken |= hours
        shifts.append((start, end))
    return tuple(shifts)


def shift_hours(shift: tuple[int, int]) -> tuple[int, ...]:
    """The hours of the day (0–23) a ``(start, end)`` shift covers; ``(22, 6)`` runs past
    midnight: 22, 23, 0, …, 5."""
    start, end = shift
    length = (end - start) % 24 or 24
    return tuple((start + i) % 24 for i in range(length))


@dataclass(frozen=True)
class Basemap:
    """Where map tiles come from (``ANNING_BASEMAP``).

    ``url`` is the tile URL template the browser asks (``{z}/{x}/{y}``); ``origin`` the one
    origin the content security policy then allows for images (None for Anning's own
    ``/basemap/`` route, which serves an MBTiles file, ``mbtiles``).
    """

    url: str
    origin: str | None
    mbtiles: Path | None
    attribution: str


#: The path under which Anning serves the tiles of a local MBTiles file.
BASEMAP_ROUTE = "/basemap/{z}/{x}/{y}"
_TILE_WORDS = {"{TileMatrix}": "{z}", "{TileCol}": "{x}", "{TileRow}": "{y}"}


def basemap() -> Basemap | None:
    """The basemap of the maps, or None (the default: no tiles, boundaries only).

    ``ANNING_BASEMAP`` is an XYZ raster URL template the police network serves
    (``https://tiles.example.gov/{z}/{x}/{y}.png``), a WMTS REST template
    (``…/{TileMatrix}/{TileRow}/{TileCol}.png``, read as ``{z}/{y}/{x}``), or the path of a
    local ``.mbtiles`` file (raster tiles) that Anning serves itself under ``/basemap/``.
    ``ANNING_BASEMAP_ATTRIBUTION`` is the credit line shown on the map.

    Raises
    ------
    SettingsError
        For a template without ``{z}``, ``{x}`` and ``{y}``, a scheme other than http(s), a
        missing MBTiles file, or another kind of file (PMTiles: convert it to MBTiles with
        ``pmtiles convert``).
    """
    raw = os.environ.get("ANNING_BASEMAP", "").strip()
    attribution = os.environ.get("ANNING_BASEMAP_ATTRIBUTION", "").strip()[:200]
    if not raw:
        return None
    if "://" not in raw:
        path = Path(raw)
        if path.suffix.lower() != ".mbtiles":
            raise SettingsError(
                f"ANNING_BASEMAP should be an http(s) tile URL template or an .mbtiles file, "
                f"got {raw!r} (a .pmtiles file: convert it with `pmtiles convert` first)"
            )
        if not path.is_file():
            raise SettingsError(f"ANNING_BASEMAP names {path}, which does not exist")
        return Basemap(BASEMAP_ROUTE, None, path.resolve(), attribution)
    for word, short in _TILE_WORDS.items():
        raw = raw.replace(word, short)
    scheme, _, rest = raw.partition("://")
    host = rest.split("/", 1)[0]
    if scheme not in ("http", "https") or not host or any(c in host for c in "{}"):
        raise SettingsError(
            f"ANNING_BASEMAP should be an http(s) URL with a fixed host, got {raw!r}"
        )
    missing = [w for w in ("{z}", "{x}", "{y}") if w not in raw]
    if missing:
        raise SettingsError(
            f"ANNING_BASEMAP should hold {{z}}, {{x}} and {{y}}; {raw!r} lacks {', '.join(missing)}"
        )
    return Basemap(raw, f"{scheme}://{host}", None, attribution)


def review_targets() -> dict[str, float]:
    """Return the review's target per measure: :data:`measures.targets.DEFAULT_TARGETS` with
    the entries of ``ANNING_REVIEW_TARGETS`` (``measure=value,…``) over them.

    Raises
    ------
    SettingsError
        Naming the variable and the entry it cannot use.
    """
    from measures.targets import parse_targets

    try:
        return parse_targets(os.environ.get("ANNING_REVIEW_TARGETS", ""))
    except ValueError as error:
        raise SettingsError(str(error)) from None
