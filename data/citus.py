"""The schema on a Citus cluster: incidents sharded by number, their children beside them.

When the PostgreSQL database holds the Citus extension (``CREATE EXTENSION citus`` by the DBA,
workers added with ``citus_add_node``), :func:`data.database.upgrade` runs :func:`distribute`
after the migrations, so every start-up brings a new or an upgraded database to this layout
(docs/scaling.md, "Citus"):

- ``incident`` is hash-distributed by ``incident_no``; its primary key becomes
  ``(incident_no, id)`` (Citus requires the distribution column in every unique constraint;
  the natural key ``(source_system, incident_no)`` already has it, so deduplication stays a
  database guarantee; ``id`` still comes from one sequence on the coordinator);
- the tables of :data:`COLOCATED` (the incident's children, each with an ``incident_no``
  column) are distributed by ``incident_no`` with ``colocate_with => 'incident'``, their key
  becomes ``(incident_no, id)`` and their foreign key ``(incident_no, incident_id) →
  incident (incident_no, id)``, so a case, its events and its visits live on one shard;
- the tables of :data:`REFERENCE` (stations, users, tokens) are copied to every node;
- everything else (sessions, the audit trail, ``alembic_version``) stays on the coordinator;
- the ``store_revision`` triggers are dropped (Citus does not run triggers on distributed
  tables): the "has anything changed?" question is answered by :func:`data.revision.current`
  from ``max(updated_at)`` and the row count instead.

Every step is idempotent: a table already distributed is left alone, so a table added to
:data:`COLOCATED` by a later migration is distributed at the next start-up.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

#: Tables sharded beside ``incident`` by ``incident_no``: the incident's children. A table
#: added here needs a NOT NULL ``incident_no`` column filled by its writers (as migration 0011
#: gives ``status_event``); :func:`distribute` then puts ``incident_no`` first in its primary
#: key and its unique constraints, turns its foreign keys to ``incident.id`` into
#: ``(incident_no, incident_id) → incident (incident_no, id)`` and co-locates it. Tables in
#: this list that do not exist (yet) are skipped, so a branch may list a table before its
#: migration lands.
COLOCATED: tuple[str, ...] = (
    "status_event",
    "follow_up_visit",
    # Closing the loop (issue 13): a case's department tasks, its warning-letter follow-up
    # schedule.
    "department_task",
    "warning_follow_up",
)
#: Small tables every node reads, copied to each worker (missing ones are skipped). A
#: reference table may not refer to a distributed one: its foreign keys to ``incident`` are
#: dropped (the support request's optional case link; its writers keep it right).
REFERENCE: tuple[str, ...] = (
    "station",
    "app_user",
    "api_token",
    "support_unit",
    "support_request",
    "support_request_event",
    # The incidents attached to a support request: few, and read with the request (a
    # correlated count from support_request), which Citus refuses across a reference and a
    # distributed table.
    "support_request_incident",
    # Places to name cells by (issue 11): small, read whole by every worker.
    "place",
)
#: The triggers of migration 0006 that keep ``store_revision`` (not run on distributed tables).
_REVISION_TRIGGERS = (
    "incident_revision_insert",
    "incident_revision_delete",
    "incident_revision_update",
)


class CitusSchemaError(RuntimeError):
    """A table cannot be distributed as listed (the message names the table and why)."""


def installed(conn: Connection) -> bool:
    """Whether this database has the Citus extension (plain PostgreSQL and SQLite: False)."""
    if conn.dialect.name != "postgresql":
        return False
    return (
        conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'citus'")).first() is not None
    )


def kind(conn: Connection, table: str) -> str | None:
    """How Citus holds ``table``: ``"distributed"`` (sharded), ``"reference"`` (on every node),
    ``"local"`` (a coordinator table Citus manages because of a reference-table foreign key),
    or None (not Citus's, or no Citus at all)."""
    if not installed(conn):
        return None
    row = conn.execute(
        text(
            "SELECT p.partmethod, p.repmodel FROM pg_dist_partition p "
            "JOIN pg_class c ON c.oid = p.logicalrelid "
            "WHERE c.relname = :t AND c.relnamespace = 'public'::regnamespace"
        ),
        {"t": table},
    ).first()
    if row is None:
        return None
    if row[0] == "h":
        return "distributed"
    return "reference" if row[1] == "t" else "local"


def is_distributed(conn: Connection, table: str = "incident") -> bool:
    """Whether ``table`` is sharded by a Citus cluster."""
    return kind(conn, table) == "distributed"


def distribute(engine: Engine, shard_count: int | None = None) -> list[str]:
    """Bring a migrated database on Citus to the distributed layout; returns what was done.

    Does nothing on SQLite or on PostgreSQL without the Citus extension. ``shard_count``
    (default: the server's ``citus.shard_count``, 32) applies to ``incident`` when it is
    first distributed; its children always get the same shards.
    """
    done: list[str] = []
    with engine.begin() as conn:
        if not installed(conn):
            return done
        workers = conn.execute(
            text("SELECT count(*) FROM pg_dist_node WHERE groupid > 0 AND isactive")
        ).scalar_one()
        if workers == 0:
            raise CitusSchemaError(
                "the Citus extension is installed but no worker node is added: run "
                "SELECT citus_add_node('<host>', <port>) for each worker, then start again"
            )
    children = _existing_children(engine)
    if not is_distributed_engine(engine, "incident"):
        with engine.begin() as conn:
            for trigger in _REVISION_TRIGGERS:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger} ON incident"))
            # Gone rather than stale: data.revision answers from the incidents themselves.
            conn.execute(text("DROP TABLE IF EXISTS store_revision"))
            conn.execute(text("DROP FUNCTION IF EXISTS store_revision_bump()"))
            for child in children:
                _rekey_child(conn, child)
            for table in REFERENCE:
                if _exists(conn, table):
                    _drop_foreign_keys_to_incident(conn, table)
            _set_primary_key(conn, "incident", ("incident_no", "id"))
        # Reference tables first: a distributed table may only refer to those. Each Citus
        # step commits on its own (Citus refuses some after a parallel query in a transaction).
        _make_reference_tables(engine, done)
        with engine.begin() as conn:
            if shard_count:
                conn.execute(text(f"SET LOCAL citus.shard_count = {int(shard_count)}"))
            conn.execute(text("SELECT create_distributed_table('incident', 'incident_no')"))
            done.append("incident distributed by incident_no")
    _make_reference_tables(engine, done)
    for child in children:
        with engine.begin() as conn:
            if is_distributed(conn, child):
                continue
            _rekey_child(conn, child)
            conn.execute(
                text(
                    "SELECT create_distributed_table(:t, 'incident_no', "
                    "colocate_with => 'incident')"
                ),
                {"t": child},
            )
            done.append(f"{child} co-located with incident")
    for child in children:
        with engine.begin() as conn:
            _add_child_foreign_key(conn, child)
    return done


def is_distributed_engine(engine: Engine, table: str) -> bool:
    """:func:`is_distributed` on a connection of its own."""
    with engine.connect() as conn:
        return is_distributed(conn, table)


def _exists(conn: Connection, table: str) -> bool:
    return (
        conn.execute(text("SELECT to_regclass(:t)"), {"t": f"public.{table}"}).scalar() is not None
    )


def _make_reference_tables(engine: Engine, done: list[str]) -> None:
    for table in REFERENCE:
        with engine.begin() as conn:
            if _exists(conn, table) and kind(conn, table) != "reference":
                _drop_foreign_keys_to_incident(conn, table)
                conn.execute(text("SELECT create_reference_table(:t)"), {"t": table})
                done.append(f"reference table {table}")


def _drop_foreign_keys_to_incident(conn: Connection, table: str) -> None:
    for name, definition in _constraints(conn, table, "f"):
        if "REFERENCES incident(" in definition:
            conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))


def _existing_children(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        found = [t for t in COLOCATED if _exists(conn, t)]
        for table in found:
            number = conn.execute(
                text(
                    "SELECT is_nullable FROM information_schema.columns WHERE table_schema = "
                    "'public' AND table_name = :t AND column_name = 'incident_no'"
                ),
                {"t": table},
            ).first()
            if number is None or number[0] != "NO":
                why = "has no incident_no column" if number is None else "lets incident_no be NULL"
                raise CitusSchemaError(
                    f"table {table} is listed in data.citus.COLOCATED but {why}: give it a NOT "
                    "NULL incident_no in a migration (as 0011 does for status_event), filled by "
                    "its writers, then start again"
                )
    return found


def _constraints(conn: Connection, table: str, kind: str) -> list[tuple[str, str]]:
    """(name, definition) of ``table``'s constraints of one kind (``p`` key, ``f`` foreign)."""
    rows = conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass(:t) AND contype = :k ORDER BY conname"
        ),
        {"t": f"public.{table}", "k": kind},
    ).all()
    return [(r[0], r[1]) for r in rows]


def _columns(definition: str) -> list[str]:
    """The column names of a ``PRIMARY KEY (…)`` or ``UNIQUE (…)`` definition."""
    inside = definition[definition.index("(") + 1 : definition.index(")")]
    return [c.strip().strip('"') for c in inside.split(",")]


def _set_primary_key(conn: Connection, table: str, columns: tuple[str, ...]) -> None:
    wanted = f"PRIMARY KEY ({', '.join(columns)})"
    keys = _constraints(conn, table, "p")
    if keys and keys[0][1] == wanted:
        return
    for name, _definition in keys:
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    conn.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey {wanted}"))


def _with_number_first(columns: list[str]) -> tuple[str, ...]:
    return ("incident_no", *(c for c in columns if c != "incident_no"))


def _rekey_child(conn: Connection, table: str) -> None:
    """Key a child by its incident's number: Citus wants the distribution column in every
    primary key and unique constraint, and in foreign keys between distributed tables."""
    _drop_foreign_keys_to_incident(conn, table)
    keys = _constraints(conn, table, "p")
    if keys:
        _set_primary_key(conn, table, _with_number_first(_columns(keys[0][1])))
    for name, definition in _constraints(conn, table, "u"):
        columns = _columns(definition)
        if "incident_no" in columns:
            continue
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        conn.execute(
            text(
                f'ALTER TABLE {table} ADD CONSTRAINT "{name}" '
                f"UNIQUE ({', '.join(_with_number_first(columns))})"
            )
        )


def _add_child_foreign_key(conn: Connection, table: str) -> None:
    name = f"{table}_incident_fkey"
    if any(n == name for n, _ in _constraints(conn, table, "f")):
        return
    has_id = conn.execute(
        text(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = :t AND column_name = 'incident_id'"
        ),
        {"t": table},
    ).first()
    if has_id is None:
        return
    conn.execute(
        text(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY (incident_no, incident_id) "
            "REFERENCES incident (incident_no, id) ON DELETE CASCADE"
        )
    )


def one_connection_per_node(session) -> None:
    """On Citus: run the rest of this transaction over one connection per node.

    A transaction that reads incidents across shards (in parallel) and then writes a reference
    table that a distributed table refers to is refused by Citus ("cannot modify table … because
    there was a parallel operation on a distributed table"); the support request's filing does
    exactly that. Elsewhere (SQLite, plain PostgreSQL) this does nothing.
    """
    conn = session if isinstance(session, Connection) else session.connection()
    if conn.dialect.name == "postgresql" and is_distributed(conn, "incident"):
        conn.execute(text("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"))
