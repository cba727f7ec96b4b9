"""The database the suite runs against: SQLite files (default), a real PostgreSQL server or a
real Citus cluster.

``scripts/test.sh`` runs the whole suite on SQLite, again with ``ANNING_TEST_DATABASE=postgresql``
and ``ANNING_TEST_POSTGRES_URL`` pointing at the server that ``scripts/postgres.sh`` started, and
then the tests marked ``citus`` with ``ANNING_TEST_DATABASE=citus`` and ``ANNING_TEST_POSTGRES_URL``
pointing at the coordinator that ``scripts/citus.sh`` started. Every test that needs a database
asks :func:`fresh_url` for an empty one, so the same tests exercise every backend; a test that
is about SQLite itself (its files, its driver) is marked ``sqlite_only``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

#: "sqlite", "postgresql" or "citus".
BACKEND = os.environ.get("ANNING_TEST_DATABASE", "sqlite")
if BACKEND not in ("sqlite", "postgresql", "citus"):
    raise RuntimeError(f"ANNING_TEST_DATABASE must be sqlite, postgresql or citus, not {BACKEND!r}")
POSTGRES_ADMIN_URL = os.environ.get(
    "ANNING_TEST_POSTGRES_URL", "postgresql+psycopg://anning@127.0.0.1:55432/postgres"
)
#: PostgreSQL or Citus: both speak PostgreSQL through the (coordinator's) URL.
ON_POSTGRES = BACKEND in ("postgresql", "citus")
ON_CITUS = BACKEND == "citus"
#: Shards per distributed table in test databases: few, so that creating them stays quick
#: (a production cluster keeps Citus's default of 32).
CITUS_TEST_SHARDS = 4


def _admin(url: str = POSTGRES_ADMIN_URL):
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _run(url: str, *statements: str) -> None:
    eng = _admin(url)
    try:
        with eng.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        eng.dispose()


def _citus_workers() -> list[tuple[str, int]]:
    """The worker nodes of the coordinator's ``postgres`` database (``scripts/citus.sh``)."""
    eng = _admin()
    try:
        with eng.connect() as conn:
            rows = conn.execute(
                text("SELECT nodename, nodeport FROM pg_dist_node WHERE groupid > 0 ORDER BY 2")
            ).all()
    finally:
        eng.dispose()
    return [(r[0], r[1]) for r in rows]


def _node_url(host: str, port: int, database: str) -> str:
    url = make_url(POSTGRES_ADMIN_URL).set(host=host, port=port, database=database)
    return url.render_as_string(hide_password=False)


def fresh_url(folder: Path, name: str = "anning", migrated: bool = True) -> str:
    """The URL of a new, empty database: a file in ``folder`` or a PG database.

    Not migrated, except on Citus. On PostgreSQL the database gets the PostGIS extension, as a
    DBA would create it. On Citus the database exists on the coordinator and on every worker,
    with Citus and PostGIS in each and the workers added, as a DBA sets up a cluster's database,
    and is already migrated and distributed (copied from a template that
    ``data.database.upgrade`` brought there once per test run; upgrading it again is a no-op),
    unless ``migrated`` is False.
    """
    if not ON_POSTGRES:
        return f"sqlite:///{Path(folder) / f'{name}.sqlite'}"
    db = f"t_{name.lower().replace('-', '_')[:20]}_{uuid.uuid4().hex[:12]}"
    url = make_url(POSTGRES_ADMIN_URL).set(database=db)
    coordinator = url.render_as_string(hide_password=False)
    if not ON_CITUS:
        _run(POSTGRES_ADMIN_URL, f'CREATE DATABASE "{db}"')
        _run(coordinator, "CREATE EXTENSION IF NOT EXISTS postgis")
        return coordinator
    workers = _citus_workers()
    _ensure_citus_templates(workers)
    _copy_everywhere(workers, _SCHEMA_TEMPLATE if migrated else _TEMPLATE, db)
    return coordinator


#: Databases made on every node, that each test database is copied from: the first with
#: Citus, PostGIS and the workers added (creating the extensions takes ~18 s per database), the
#: second copied from it, migrated and distributed by ``data.database.upgrade`` once per test
#: run (distributing takes seconds per database; a copy of the result is the same cluster state).
_TEMPLATE = "anning_citus_template"
_SCHEMA_TEMPLATE = "anning_citus_schema"
_schema_made = False


def _copy_everywhere(workers: list[tuple[str, int]], template: str, db: str) -> None:
    for host, port in workers:
        _copy_template(_node_url(host, port, "postgres"), template, db)
    _copy_template(POSTGRES_ADMIN_URL, template, db)


def _copy_template(admin_url: str, template: str, db: str) -> None:
    """``CREATE DATABASE db TEMPLATE`` the template, once Citus's own sessions have left it.

    The template refuses new connections, but Citus's maintenance daemon and the coordinator's
    cached connections may still be in it from its making.
    """
    _run(
        admin_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{template}' AND pid <> pg_backend_pid()",
        f'CREATE DATABASE "{db}" TEMPLATE {template}',
    )


def _ensure_citus_templates(workers: list[tuple[str, int]]) -> None:
    global _schema_made
    _ensure_citus_template(workers)
    if _schema_made:
        return
    nodes = [(make_url(POSTGRES_ADMIN_URL).host, make_url(POSTGRES_ADMIN_URL).port), *workers]
    for host, port in nodes:
        admin = _node_url(host, port, "postgres")
        _run(admin, f"DROP DATABASE IF EXISTS {_SCHEMA_TEMPLATE} WITH (FORCE)")
    _copy_everywhere(workers, _TEMPLATE, _SCHEMA_TEMPLATE)
    url = make_url(POSTGRES_ADMIN_URL).set(database=_SCHEMA_TEMPLATE)
    _run(
        POSTGRES_ADMIN_URL,
        f"ALTER DATABASE {_SCHEMA_TEMPLATE} SET citus.shard_count = {CITUS_TEST_SHARDS}",
    )
    from data.database import make_engine, upgrade

    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    for host, port in nodes:
        _run(
            _node_url(host, port, "postgres"),
            f"ALTER DATABASE {_SCHEMA_TEMPLATE} ALLOW_CONNECTIONS false",
        )
    _schema_made = True


def _ensure_citus_template(workers: list[tuple[str, int]]) -> None:
    eng = _admin()
    try:
        with eng.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": _TEMPLATE}
            ).first()
    finally:
        eng.dispose()
    if exists:
        return
    coordinator = make_url(POSTGRES_ADMIN_URL)
    for host, port in workers:
        _run(_node_url(host, port, "postgres"), f"CREATE DATABASE {_TEMPLATE}")
        _run(
            _node_url(host, port, _TEMPLATE),
            "CREATE EXTENSION IF NOT EXISTS citus",
            "CREATE EXTENSION IF NOT EXISTS postgis",
        )
    _run(POSTGRES_ADMIN_URL, f"CREATE DATABASE {_TEMPLATE}")
    _run(
        coordinator.set(database=_TEMPLATE).render_as_string(hide_password=False),
        "CREATE EXTENSION IF NOT EXISTS citus",
        "CREATE EXTENSION IF NOT EXISTS postgis",
        f"SELECT citus_set_coordinator_host('{coordinator.host}', {coordinator.port})",
        *(f"SELECT citus_add_node('{host}', {port})" for host, port in workers),
    )
    for host, port in [(coordinator.host, coordinator.port), *workers]:
        _run(
            _node_url(host, port, "postgres"), f"ALTER DATABASE {_TEMPLATE} ALLOW_CONNECTIONS false"
        )


def drop(url: str) -> None:
    """Delete the database behind ``url`` (PostgreSQL; SQLite files go with their temp folder).

    On Citus the database goes from the coordinator and from every worker.
    """
    if not url.startswith("postgresql"):
        return
    db = make_url(url).database
    _run(POSTGRES_ADMIN_URL, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    if ON_CITUS:
        for host, port in _citus_workers():
            _run(_node_url(host, port, "postgres"), f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
