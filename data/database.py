"""Engine and session: the only place that opens the database.

``engine()`` reads the URL from :func:`data.settings.database_url` once per process;
``upgrade()`` brings the schema to the newest Alembic migration (and, on a Citus cluster, to the
distributed layout of :mod:`data.citus`).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from data import citus
from data.settings import DEFAULT_DATABASE_URL, SettingsError, database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        eng = create_engine(url, connect_args={"timeout": 30})
        path = sqlite_path(url)

        @event.listens_for(eng, "do_connect")
        def _read_only_when_unwritable(_dialect, record, cargs, cparams) -> None:
            record.info["read_only"] = path is not None and not _writable(path)
            if record.info["read_only"]:
                # SQLite maps the ``-shm`` index into memory: a read-write mapping of a file
                # that cannot be written kills the process with SIGBUS at the first touch.
                # Read-only, SQLite maps it read-only; writes fail with "readonly database"
                # (data.storage: served on, degraded; the probe reopens when it recovers).
                cargs[:] = [f"file:{path}?mode=ro"]
                cparams["uri"] = True

        @event.listens_for(eng, "connect")
        def _sqlite_pragmas(dbapi_conn, record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if not record.info.get("read_only"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return eng
    return create_engine(url, pool_pre_ping=True)


def _writable(path: Path) -> bool:
    """Whether the SQLite file and its WAL companions that exist may be written now (an
    immutable file or a read-only volume says no; a file yet to be created says yes)."""
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return all(os.access(f, os.W_OK) for f in files if f.exists())


class MissingDatabaseError(SettingsError):
    """``ANNING_DATABASE_URL`` names a SQLite file that does not exist (the message says which)."""


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (None for another database or an in-memory one)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def check_database(url: str | None = None) -> None:
    """Refuse a configured SQLite file that does not exist, unless it is the embedded default.

    A typo or an unmounted volume in ``ANNING_DATABASE_URL`` would otherwise silently start a
    second, empty database beside the real one. Only the default file under ``var/`` is created
    on first start; any other is created by ``python app.py init-db`` (or ``demo``).

    Raises
    ------
    MissingDatabaseError
        Naming the file and the command that creates it.
    """
    url = url or database_url()
    path = sqlite_path(url)
    if path is None or url == DEFAULT_DATABASE_URL or path.is_file():
        return
    where = "folder" if not path.parent.is_dir() else "file"
    missing = path.parent if where == "folder" else path
    raise MissingDatabaseError(
        f"ANNING_DATABASE_URL names {path}, but its {where} {missing} does not exist; "
        "check the path (or the mounted volume), or create it with `python app.py init-db`"
    )


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine(url: str | None = None, *, create: bool = False) -> Engine:
    """Return the process-wide engine for ``url`` (default: the configured URL).

    Keyed on the URL itself, so a changed configuration never gets the old database's engine.
    The configured SQLite file must exist (:func:`check_database`) unless ``create`` (the
    ``init-db`` and ``demo`` commands).
    """
    key = url or database_url()
    with _engines_lock:
        if key not in _engines:
            if url is None and not create:
                check_database(key)
            _engines[key] = make_engine(key)
        return _engines[key]


def forget_inherited_connections() -> None:
    """In a freshly forked process: drop the pooled connections inherited from the parent.

    A database connection is a socket; a parent and a child talking over the same one corrupt
    each other's conversation (measured under gunicorn on PostgreSQL: "unexpected result
    EMPTY_QUERY from command 'BEGIN'"). The parent's connections are left open for the parent
    (``close=False``); the child opens its own. Called by gunicorn's ``post_fork`` hook.
    """
    with _engines_lock:
        for eng in _engines.values():
            eng.dispose(close=False)


def session(url: str | None = None) -> Session:
    """Open a new ORM session; use it as ``with session() as s:``."""
    return sessionmaker(engine(url), expire_on_commit=False)()


def upgrade(eng: Engine | None = None) -> None:
    """Apply every Alembic migration up to ``head`` on ``eng`` (default: the configured one)."""
    eng = eng or engine()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    # On a Citus cluster: shard the tables the migrations made (nothing elsewhere).
    citus.distribute(eng)
