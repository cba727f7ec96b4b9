"""Engine and session: the only place that opens the database.

``engine()`` reads the URL from :func:`data.settings.database_url` once per process;
``upgrade()`` brings the schema to the newest Alembic migration (and, on a Citus cluster, to the
distributed layout of :mod:`data.citus`).
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from data import citus
from data.settings import database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        eng = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(eng, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return eng
    return create_engine(url, pool_pre_ping=True)


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine(url: str | None = None) -> Engine:
    """Return the process-wide engine for ``url`` (default: the configured URL).

    Keyed on the URL itself, so a changed configuration never gets the old database's engine.
    """
    key = url or database_url()
    with _engines_lock:
        if key not in _engines:
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
