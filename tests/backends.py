"""The database the suite runs against: SQLite files (default) or a real PostgreSQL server.

``scripts/test.sh`` runs the whole suite twice: once on SQLite, once with
``ANNING_TEST_DATABASE=postgresql`` and ``ANNING_TEST_POSTGRES_URL`` pointing at the server that
``scripts/postgres.sh`` started. Every test that needs a database asks :func:`fresh_url` for an
empty one, so the same tests exercise both backends; a test that is about SQLite itself (its
files, its driver) is marked ``sqlite_only``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

#: "sqlite" or "postgresql".
BACKEND = os.environ.get("ANNING_TEST_DATABASE", "sqlite")
if BACKEND not in ("sqlite", "postgresql"):
    raise RuntimeError(f"ANNING_TEST_DATABASE must be sqlite or postgresql, not {BACKEND!r}")
POSTGRES_ADMIN_URL = os.environ.get(
    "ANNING_TEST_POSTGRES_URL", "postgresql+psycopg://anning@127.0.0.1:55432/postgres"
)
ON_POSTGRES = BACKEND == "postgresql"


def _admin():
    return create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")


def fresh_url(folder: Path, name: str = "anning") -> str:
    """The URL of a new, empty database (not migrated): a file in ``folder`` or a PG database.

    On PostgreSQL the database gets the PostGIS extension, as a DBA would create it.
    """
    if not ON_POSTGRES:
        return f"sqlite:///{Path(folder) / f'{name}.sqlite'}"
    db = f"t_{name.lower().replace('-', '_')[:20]}_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
    finally:
        admin.dispose()
    url = make_url(POSTGRES_ADMIN_URL).set(database=db)
    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    finally:
        eng.dispose()
    return url.render_as_string(hide_password=False)


def drop(url: str) -> None:
    """Delete the database behind ``url`` (PostgreSQL; SQLite files go with their temp folder)."""
    if not url.startswith("postgresql"):
        return
    db = make_url(url).database
    admin = _admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
    finally:
        admin.dispose()
