"""Writing incidents to the system of record in batches.

Each call writes one batch inside one transaction: either all of it lands or none of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import ARRAY, Connection, Engine, String, bindparam, delete, func, insert, select

from data import citus
from data.frames import FOLLOW_UP_SCHEMA, INCIDENT_SCHEMA, STATUS_EVENT_SCHEMA, conform
from data.models import (
    DepartmentTask,
    FollowUpVisit,
    Incident,
    Station,
    StatusEvent,
    SupportRequest,
    SupportRequestEvent,
    SupportRequestIncident,
    WarningFollowUp,
)
from geo.jurisdictions import Jurisdiction


def _naive_utc(frame: pl.DataFrame) -> pl.DataFrame:
    """Datetime columns as naive UTC, the form stored in the database."""
    return frame.with_columns(
        pl.col(c).dt.replace_time_zone(None)
        for c, t in frame.schema.items()
        if isinstance(t, pl.Datetime) and t.time_zone is not None
    )


def only_located_positions(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows that are not ``located`` keep their point in ``source_lng``/``source_lat`` only.

    The store's rule (every writer passes through it): ``lng``, ``lat`` and ``h3_cell`` hold
    a position only for a located incident, so no map or layer can read a far-away or
    placeholder point; a row that is not located and still carries one has it moved to the
    source columns (unless these already say what the source gave).
    """
    if "location_state" not in frame.columns:
        return frame
    apart = pl.col("location_state") != "located"
    moved = [
        pl.when(apart & pl.col(f"source_{c}").is_null() & pl.col("source_lat").is_null())
        .then(pl.col(c))
        .otherwise(pl.col(f"source_{c}"))
        .alias(f"source_{c}")
        for c in ("lng", "lat")
        if f"source_{c}" in frame.columns
    ]
    emptied = [
        pl.when(apart).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("lng", "lat", "h3_cell")
        if c in frame.columns
    ]
    return frame.with_columns(moved).with_columns(emptied)


def save_stations(engine: Engine, stations: Iterable[Jurisdiction]) -> int:
    """Insert or replace station rows; returns how many were written."""
    rows = [
        {
            "code": s.code,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "boundary_geojson": s.boundary_geojson(),
            "parent_code": s.parent_code,
        }
        for s in stations
    ]
    with engine.begin() as conn:
        for row in rows:
            existing = conn.execute(select(Station.code).where(Station.code == row["code"]))
            if existing.first() is None:
                conn.execute(insert(Station), row)
            else:
                conn.execute(Station.__table__.update().where(Station.code == row["code"]), row)
    return len(rows)


def insert_incidents(
    engine: Engine,
    incidents: pl.DataFrame,
    status_events: pl.DataFrame | None = None,
    follow_ups: pl.DataFrame | None = None,
) -> int:
    """Insert new incidents with their status events and follow-up visits, in one transaction.

    Events and visits refer to their incident by ``incident_no`` (within this batch, whose
    incidents all share one ``source_system``). ``created_at`` and ``updated_at`` are set to
    the time of writing. Returns the number of incidents inserted.

    Rows travel by each database's bulk path, the one the importer uses too: the sqlite3
    driver's ``executemany`` on SQLite (see :func:`_sqlite_executemany`), ``COPY … FROM STDIN``
    on PostgreSQL with psycopg, SQLAlchemy Core elsewhere.
    """
    written = datetime.now(UTC).replace(tzinfo=None)
    incidents = only_located_positions(_naive_utc(conform(incidents, _WRITE_SCHEMA)))
    if incidents.is_empty():
        return 0
    systems = incidents["source_system"].unique().to_list()
    if len(systems) != 1:
        raise ValueError(f"one batch holds one source system, got {systems}")
    children = []
    for frame, schema, model in (
        (status_events, STATUS_EVENT_SCHEMA, StatusEvent),
        (follow_ups, FOLLOW_UP_SCHEMA, FollowUpVisit),
    ):
        if frame is None or frame.is_empty():
            continue
        frame = _naive_utc(conform(frame, schema))
        unknown = frame.filter(~pl.col("incident_no").is_in(incidents["incident_no"].implode()))
        if not unknown.is_empty():
            raise ValueError(
                f"{model.__tablename__} rows refer to incidents not in this batch: "
                f"{unknown['incident_no'].head(5).to_list()}"
            )
        children.append((frame, model.__tablename__))
    writer = _bulk_writer(engine)
    with engine.begin() as conn:
        ids = writer(conn, incidents, written)
        for frame, table in children:
            rows = frame.join(ids, on="incident_no", how="left", maintain_order="left")
            rows = rows.select("incident_id", *(c for c in rows.columns if c != "incident_id"))
            _write_rows(conn, table, rows)
    return ids.height


_ID_SCHEMA = {"incident_no": pl.String, "incident_id": pl.Int64}


def _bulk_writer(engine: Engine):
    """The incident writer for ``engine``'s database: rows in, ``incident_no`` → id out."""
    if engine.dialect.name == "sqlite":
        return _sqlite_write_incidents
    if _copy_capable(engine):
        return _copy_write_incidents
    return _insert_new


def _copy_capable(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


def _sqlite_write_incidents(conn, new: pl.DataFrame, written: datetime) -> pl.DataFrame:
    """Insert under the write lock; the new rows are exactly those above the largest id."""
    _sqlite_begin_immediate(conn)
    before = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM incident").scalar_one()
    stamp = pl.select(pl.lit(written).dt.strftime(_SQLITE_TIME_FORMAT)).item()
    constants = {"source_system": new["source_system"][0], "created_at": stamp, "updated_at": stamp}
    _sqlite_executemany(conn, "incident", new.select(list(_WRITE_SCHEMA)), constants)
    rows = conn.exec_driver_sql(
        "SELECT incident_no, id FROM incident WHERE id > ? ORDER BY id", (before,)
    ).all()
    return pl.DataFrame(rows, schema=_ID_SCHEMA, orient="row")


def _copy_write_incidents(conn, new: pl.DataFrame, written: datetime) -> pl.DataFrame:
    """PostgreSQL: ``COPY`` the rows into a session table, then one ``INSERT … SELECT …
    RETURNING`` moves them into ``incident`` and answers their ids (no lookup afterwards)."""
    rows = _with_write_times(new, written)
    columns = ", ".join(f'"{c}"' for c in rows.columns)
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS incident_load AS "
        f"SELECT {columns} FROM incident WITH NO DATA"
    )
    conn.exec_driver_sql("TRUNCATE incident_load")
    _copy_rows(conn, "incident_load", rows)
    found = conn.exec_driver_sql(
        f"INSERT INTO incident ({columns}) SELECT {columns} FROM incident_load "
        "RETURNING incident_no, id"
    ).all()
    conn.exec_driver_sql("TRUNCATE incident_load")
    return pl.DataFrame(found, schema=_ID_SCHEMA, orient="row")


def _write_rows(conn, table: str, rows: pl.DataFrame) -> None:
    """Insert ``rows`` into ``table`` by the connection's bulk path."""
    if rows.is_empty():
        return
    if conn.dialect.name == "sqlite":
        _sqlite_executemany(conn, table, rows)
    elif _copy_capable(conn.engine):
        _copy_rows(conn, table, rows)
    else:
        model = {"status_event": StatusEvent, "follow_up_visit": FollowUpVisit}[table]
        conn.execute(insert(model), rows.to_dicts())


#: Marks NULL in the CSV sent to ``COPY`` (an empty string stays an empty string).
_COPY_NULL = "\\N"


def _copy_rows(conn, table: str, rows: pl.DataFrame) -> None:
    """Stream ``rows`` into ``table`` with PostgreSQL's ``COPY … FROM STDIN`` (CSV)."""
    payload = rows.write_csv(
        include_header=False, null_value=_COPY_NULL, datetime_format="%Y-%m-%d %H:%M:%S%.6f"
    )
    columns = ", ".join(f'"{c}"' for c in rows.columns)
    cursor = conn.connection.driver_connection.cursor()
    try:
        statement = f"COPY {table} ({columns}) FROM STDIN (FORMAT csv, NULL '{_COPY_NULL}')"
        with cursor.copy(statement) as copy:
            copy.write(payload)
    finally:
        cursor.close()


def _ids_of(conn, new: pl.DataFrame) -> pl.DataFrame:
    """``incident_no`` → id of the stored rows of ``new``'s source system and numbers."""
    found = _existing(conn, new["source_system"][0], new["incident_no"].to_list(), False)
    return pl.DataFrame(found.select("incident_no", "id").rows(), schema=_ID_SCHEMA, orient="row")


def delete_source_system(engine: Engine, source_system: str) -> None:
    """Remove every incident of one source system (with its events and visits)."""
    with engine.begin() as conn:
        citus.one_connection_per_node(conn)  # reference tables written after shard-wide deletes
        ids = select(Incident.id).where(Incident.source_system == source_system)
        conn.execute(delete(StatusEvent).where(StatusEvent.incident_id.in_(ids)))
        conn.execute(delete(FollowUpVisit).where(FollowUpVisit.incident_id.in_(ids)))
        # The loop's rows about these incidents (issue 13) go with them.
        requests = select(SupportRequest.id).where(SupportRequest.incident_id.in_(ids))
        conn.execute(
            delete(SupportRequestEvent).where(SupportRequestEvent.request_id.in_(requests))
        )
        conn.execute(
            delete(SupportRequestIncident).where(SupportRequestIncident.request_id.in_(requests))
        )
        conn.execute(
            delete(SupportRequestIncident).where(SupportRequestIncident.incident_id.in_(ids))
        )
        conn.execute(delete(SupportRequest).where(SupportRequest.incident_id.in_(ids)))
        conn.execute(delete(DepartmentTask).where(DepartmentTask.incident_id.in_(ids)))
        conn.execute(delete(WarningFollowUp).where(WarningFollowUp.incident_id.in_(ids)))
        conn.execute(delete(Incident).where(Incident.source_system == source_system))


# ---------------------------------------------------------------------------- upserting imports

#: What :func:`upsert_incidents` did with each incident.
UPSERT_OUTCOMES: tuple[str, ...] = ("inserted", "updated", "unchanged")
#: Incident columns an importer supplies (the store adds id, created_at and updated_at).
_WRITE_SCHEMA = {
    k: v for k, v in INCIDENT_SCHEMA.items() if k not in ("id", "created_at", "updated_at")
}
#: Columns compared to decide whether a row changes a stored incident.
_COMPARED = tuple(c for c in _WRITE_SCHEMA if c not in ("source_system", "incident_no"))
#: Bound parameters per ``IN (...)`` list: well under every database's limit.
_IN_CHUNK = 500
#: How SQLAlchemy stores a DateTime in SQLite (so raw inserts read back identically).
_SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S%.6f"
_INCIDENT_COLUMNS = (*_WRITE_SCHEMA, "created_at", "updated_at")
#: A text column with at most this many distinct values in a batch is sent as small integers.
_CASE_CODED_MAX = 16
_EVENT_COLUMNS = ("incident_id", "incident_no", "status", "at", "department", "note")


def upsert_incidents(
    engine: Engine,
    incidents: pl.DataFrame,
    note: str | None = None,
    connection: Connection | None = None,
) -> pl.DataFrame:
    """Insert new incidents, update changed ones and leave equal ones alone, in one transaction.

    An incident is identified by ``(source_system, incident_no)``. A new incident gets a
    ``reported`` status event at its reported time (and one for its current status when that
    is further on); an incident whose status changes gets an event for the new status, at its
    ``closed_at`` when it closes, else at the time of writing. ``updated_at`` is set on every
    written row, ``created_at`` on new ones only.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    incidents : polars.DataFrame
        Canonical incidents (:data:`data.frames.INCIDENT_SCHEMA` without ``id``,
        ``created_at``, ``updated_at``), one source system, each incident number once.
    note : str, optional
        Note stored on the status events written (e.g. the file imported).
    connection : sqlalchemy.Connection, optional
        Write inside this connection's open transaction (see :func:`postgres_bulk_load`)
        instead of a transaction of its own.

    Returns
    -------
    polars.DataFrame
        ``incident_no`` and ``outcome`` (one of :data:`UPSERT_OUTCOMES`) per input row, in
        input order.

    Raises
    ------
    ValueError
        If the batch mixes source systems or repeats an incident number.

    Notes
    -----
    On SQLite the write lock is taken before the stored rows are read (``BEGIN IMMEDIATE``),
    so no other writer can slip in between, and rows go in through the driver's
    ``executemany``, about four times faster than SQLAlchemy Core.
    """
    frame = only_located_positions(_naive_utc(conform(incidents, _WRITE_SCHEMA)))
    result_schema = {"incident_no": pl.String, "outcome": pl.String}
    if frame.is_empty():
        return pl.DataFrame(schema=result_schema)
    systems = frame["source_system"].unique().to_list()
    if len(systems) != 1:
        raise ValueError(f"one batch holds one source system, got {systems}")
    if frame["incident_no"].is_duplicated().any():
        dupes = frame.filter(pl.col("incident_no").is_duplicated())["incident_no"].unique()
        raise ValueError(f"incident numbers repeated in one batch: {dupes.head(5).to_list()}")
    if connection is not None:
        return _upsert(connection, frame, systems[0], note)
    sqlite = _sqlite_fast_path(engine)
    with engine.begin() as conn:
        if sqlite:
            _sqlite_begin_immediate(conn)
        return _upsert(conn, frame, systems[0], note)


def _upsert(conn, frame: pl.DataFrame, source_system: str, note: str | None) -> pl.DataFrame:
    """:func:`upsert_incidents`' work inside the caller's transaction on ``conn``."""
    written = datetime.now(UTC).replace(tzinfo=None)
    sqlite = conn.dialect.name == "sqlite"
    existing = _existing(conn, source_system, frame["incident_no"].to_list(), sqlite)
    joined = frame.join(existing, on="incident_no", how="left", suffix="_db", maintain_order="left")
    same = pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"{c}_db")) for c in _COMPARED)
    joined = joined.with_columns(
        pl.when(pl.col("id").is_null())
        .then(pl.lit("inserted"))
        .when(same)
        .then(pl.lit("unchanged"))
        .otherwise(pl.lit("updated"))
        .alias("outcome")
    )
    new = joined.filter(pl.col("outcome") == "inserted").select(list(_WRITE_SCHEMA))
    changed = joined.filter(pl.col("outcome") == "updated")
    if sqlite:
        _sqlite_insert_new(conn, new, written, note)
    elif not new.is_empty():
        ids = _bulk_writer(conn.engine)(conn, new, written)
        _insert_events(conn, _new_events(new, ids, written), note)
    _update_changed(conn, changed, written)
    _insert_events(conn, _change_events(changed, written), note)
    return joined.select("incident_no", "outcome")


def located_addresses(engine: Engine, keys: list[str]) -> pl.DataFrame:
    """Located incidents at the given address keys, to place incidents that lack coordinates.

    Returns
    -------
    polars.DataFrame
        ``address_key``, ``reported_at`` (UTC), ``lng``, ``lat``, ``h3_cell``, ``station_code``.
    """
    cols = ("address_key", "reported_at", "lng", "lat", "h3_cell", "station_code")
    naive = {c: _naive_type(INCIDENT_SCHEMA[c]) for c in cols}
    rows: list = []
    with engine.connect() as conn:
        for start in range(0, len(keys), _IN_CHUNK):
            query = select(*(getattr(Incident, c) for c in cols)).where(
                Incident.location_state == "located",
                Incident.address_key.in_(keys[start : start + _IN_CHUNK]),
            )
            rows.extend(conn.execute(query).all())
    frame = pl.DataFrame(rows, schema=naive, orient="row")
    return frame.with_columns(pl.col("reported_at").dt.replace_time_zone("UTC"))


#: Kept while bulk loading: a load appends to it in order, which costs next to nothing.
_APPEND_ORDER_INDEX = "ix_incident_updated_at"


def deferrable_incident_indexes() -> list:
    """Secondary incident indexes worth rebuilding after a bulk load instead of updating.

    Not the unique key (it keeps incidents unique while loading) and not the ``updated_at``
    index, which a load appends to in order.
    """
    return [
        ix for ix in Incident.__table__.indexes if not ix.unique and ix.name != _APPEND_ORDER_INDEX
    ]


def drop_incident_indexes(engine: Engine) -> None:
    """Drop the secondary incident indexes before a bulk load (rebuild them afterwards).

    Building an index once over a million rows is several times faster than updating it row
    by row. Queries stay correct without them, only slower, and
    :func:`ensure_incident_indexes` puts them back (also after a crash).
    """
    with engine.begin() as conn:
        for index in deferrable_incident_indexes():
            index.drop(conn, checkfirst=True)


def ensure_incident_indexes(engine: Engine) -> None:
    """Create any secondary incident index that is missing (as the migrations define them)."""
    with engine.begin() as conn:
        for index in deferrable_incident_indexes():
            index.create(conn, checkfirst=True)


#: Tables whose secondary indexes and foreign keys a PostgreSQL bulk load builds once at its end.
_BULK_TABLES = ("incident", "status_event")


@contextmanager
def postgres_bulk_load(engine: Engine) -> Iterator[Connection]:
    """One transaction for a whole large load on PostgreSQL, with the indexes and foreign keys
    built once at its end instead of updated row by row.

    Drops the secondary indexes of ``incident`` (:func:`deferrable_incident_indexes`) and
    ``status_event`` and the foreign keys of both, yields the connection for the writes
    (:func:`upsert_incidents` with ``connection=``), then creates the indexes again and adds
    the foreign keys back, which checks every row in one pass. PostgreSQL's DDL is
    transactional: a failure anywhere rolls everything back, indexes and keys included, so
    nothing is ever left without them. The unique key on ``(source_system, incident_no)``
    stays, so a load still cannot duplicate an incident. Readers of the two tables wait
    until the load commits (``DROP INDEX`` locks them): meant for first and large loads.
    """
    indexes = [*deferrable_incident_indexes(), *StatusEvent.__table__.indexes]
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        keys = conn.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            (list(_BULK_TABLES),),
        ).all()
        for table, name, _ in keys:
            conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for index in indexes:
            index.drop(conn, checkfirst=True)
        yield conn
        for index in indexes:
            index.create(conn, checkfirst=True)
        for table, name, definition in keys:
            conn.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _sqlite_fast_path(engine: Engine) -> bool:
    """Whether to write through the sqlite3 driver directly (else portable SQLAlchemy Core)."""
    return engine.dialect.name == "sqlite"


def _naive_type(dtype: pl.DataType) -> pl.DataType:
    return pl.Datetime("us") if isinstance(dtype, pl.Datetime) else dtype


def _sqlite_begin_immediate(conn) -> None:
    """Take SQLite's write lock before reading, so no other writer slips in between."""
    if not conn.connection.driver_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _existing(conn, source_system: str, numbers: list[str], sqlite: bool) -> pl.DataFrame:
    """Stored rows (``id``, ``incident_no`` and the compared columns) among ``numbers``."""
    cols = ("id", "incident_no", *_COMPARED)
    naive = {c: _naive_type(INCIDENT_SCHEMA[c]) for c in cols}
    if sqlite:
        # One statement per batch: the numbers travel as one JSON array parameter.
        rows = conn.exec_driver_sql(
            f"SELECT {', '.join(cols)} FROM incident WHERE source_system = ? "
            "AND incident_no IN (SELECT value FROM json_each(?))",
            (source_system, json.dumps(numbers)),
        ).all()
        # The driver returns times as text and booleans as 0/1, as SQLite stores them.
        times = [c for c, t in naive.items() if t == pl.Datetime("us")]
        flags = [c for c, t in naive.items() if t == pl.Boolean]
        raw = {
            c: pl.String if c in times else pl.Int64 if c in flags else t for c, t in naive.items()
        }
        frame = pl.DataFrame(rows, schema=raw, orient="row")
        return frame.with_columns(
            *(pl.col(c).str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S%.f") for c in times),
            *(pl.col(c).cast(pl.Boolean) for c in flags),
        )
    if conn.dialect.name == "postgresql":
        # One statement per batch: the numbers travel as one array parameter.
        query = select(*(getattr(Incident, c) for c in cols)).where(
            Incident.source_system == source_system,
            Incident.incident_no == func.any(bindparam("numbers", type_=ARRAY(String))),
        )
        rows = conn.execute(query, {"numbers": numbers}).all()
        return pl.DataFrame(rows, schema=naive, orient="row")
    rows = []
    for start in range(0, len(numbers), _IN_CHUNK):
        query = select(*(getattr(Incident, c) for c in cols)).where(
            Incident.source_system == source_system,
            Incident.incident_no.in_(numbers[start : start + _IN_CHUNK]),
        )
        rows.extend(conn.execute(query).all())
    return pl.DataFrame(rows, schema=naive, orient="row")


def _with_write_times(new: pl.DataFrame, written: datetime) -> pl.DataFrame:
    return new.with_columns(
        pl.lit(written).alias("created_at"), pl.lit(written).alias("updated_at")
    ).select(_INCIDENT_COLUMNS)


def _insert_new(conn, new: pl.DataFrame, written: datetime) -> pl.DataFrame:
    """Insert rows (any database); return ``incident_no`` → ``incident_id``."""
    if new.is_empty():
        return pl.DataFrame(schema=_ID_SCHEMA)
    conn.execute(insert(Incident), _with_write_times(new, written).to_dicts())
    return _ids_of(conn, new)


def _sqlite_insert_new(conn, new: pl.DataFrame, written: datetime, note: str | None) -> None:
    """Insert rows and their first status events on SQLite, the events by SQL alone.

    We hold the write lock, so the new rows are exactly those above the largest id seen
    before inserting; their events are derived inside the database, with no Python row each.
    """
    if new.is_empty():
        return
    before = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM incident").scalar_one()
    stamp = pl.select(pl.lit(written).dt.strftime(_SQLITE_TIME_FORMAT)).item()
    constants = {
        "source_system": new["source_system"][0],
        "created_at": stamp,
        "updated_at": stamp,
    }
    _sqlite_executemany(conn, "incident", new.select(list(_WRITE_SCHEMA)), constants)
    conn.exec_driver_sql(
        "INSERT INTO status_event (incident_id, incident_no, status, at, department, note) "
        "SELECT id, incident_no, 'reported', reported_at, NULL, ? FROM incident WHERE id > ? "
        "ORDER BY id",
        (note, before),
    )
    # Same rule as _status_time: a closing has its own time, any other step is "now".
    conn.exec_driver_sql(
        "INSERT INTO status_event (incident_id, incident_no, status, at, department, note) "
        "SELECT id, incident_no, status, max(CASE WHEN status = 'closed' AND closed_at IS NOT NULL "
        "THEN closed_at ELSE ? END, reported_at), NULL, ? "
        "FROM incident WHERE id > ? AND status != 'reported' ORDER BY id",
        (stamp, note, before),
    )


def _sqlite_executemany(
    conn, table: str, rows: pl.DataFrame, constants: dict[str, str] | None = None
) -> None:
    """Insert through the driver, times written as SQLAlchemy writes them.

    Making a Python object of each cell and binding it is most of the cost, so: values shared
    by every row (``constants``) are written into the statement once, columns null in every
    row are left to their NULL default, and a text column with few distinct values (codes,
    stations) travels as a small integer that a ``CASE`` in the statement turns back into text.
    """
    constants = constants or {}
    varying = [c for c in rows.columns if c not in constants and rows[c].null_count() < rows.height]
    marks: list[str] = []
    values: list[pl.Expr] = []
    for c in varying:
        dtype = rows.schema[c]
        codes = rows[c].drop_nulls().unique(maintain_order=True) if dtype == pl.String else None
        if codes is not None and len(codes) <= _CASE_CODED_MAX:
            cases = " ".join(f"WHEN {i} THEN {_sql_text(v)}" for i, v in enumerate(codes))
            marks.append(f"CASE ? {cases} END")
            values.append(
                pl.col(c).replace_strict(
                    codes, range(len(codes)), default=None, return_dtype=pl.Int8
                )
            )
        elif isinstance(dtype, pl.Datetime):
            marks.append("?")
            values.append(pl.col(c).dt.strftime(_SQLITE_TIME_FORMAT))
        else:
            marks.append("?")
            values.append(pl.col(c))
    names = ", ".join([*varying, *constants])
    placeholders = ", ".join(marks + [_sql_text(v) for v in constants.values()])
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows.select(values).rows()
        )
    finally:
        cursor.close()


def _sql_text(value: str) -> str:
    """A SQL string literal (quotes doubled), for values written into a statement."""
    return "'" + str(value).replace("'", "''") + "'"


def _update_changed(conn, changed: pl.DataFrame, written: datetime) -> None:
    if changed.is_empty():
        return
    statement = (
        Incident.__table__.update()
        # The number beside the id: one shard on Citus, where incident_no distributes.
        .where(Incident.id == bindparam("b_id"), Incident.incident_no == bindparam("b_no"))
        .values({c: bindparam(f"b_{c}") for c in (*_COMPARED, "updated_at")})
    )
    rows = changed.select(
        pl.col("id").alias("b_id"),
        pl.col("incident_no").alias("b_no"),
        *(pl.col(c).alias(f"b_{c}") for c in _COMPARED),
        pl.lit(written).alias("b_updated_at"),
    ).to_dicts()
    conn.execute(statement, rows)


def _event_frame(
    ids: pl.Series, numbers: pl.Series, status: pl.Series, at: pl.Series
) -> pl.DataFrame:
    return pl.DataFrame(
        {"incident_id": ids, "incident_no": numbers, "status": status, "at": at},
        schema={
            "incident_id": pl.Int64,
            "incident_no": pl.String,
            "status": pl.String,
            "at": pl.Datetime("us"),
        },
    ).with_columns(pl.lit(None, dtype=pl.String).alias("department"))


def _status_time(written: datetime) -> pl.Expr:
    """When a case entered its current status: closing has a time of its own; else now."""
    return (
        pl.when((pl.col("status") == "closed") & pl.col("closed_at").is_not_null())
        .then(pl.col("closed_at"))
        .otherwise(pl.lit(written))
    )


def _new_events(new: pl.DataFrame, ids: pl.DataFrame, written: datetime) -> pl.DataFrame:
    rows = new.join(ids, on="incident_no", how="inner")
    reported = _event_frame(
        rows["incident_id"],
        rows["incident_no"],
        pl.Series(["reported"] * rows.height),
        rows["reported_at"],
    )
    further = rows.filter(pl.col("status") != "reported")
    current = _event_frame(
        further["incident_id"],
        further["incident_no"],
        further["status"],
        further.select(_status_time(written).clip(lower_bound=pl.col("reported_at"))).to_series(),
    )
    return pl.concat([reported, current])


def _change_events(changed: pl.DataFrame, written: datetime) -> pl.DataFrame:
    moved = changed.filter(pl.col("status") != pl.col("status_db"))
    return _event_frame(
        moved["id"],
        moved["incident_no"],
        moved["status"],
        moved.select(_status_time(written)).to_series(),
    )


def _insert_events(conn, events: pl.DataFrame, note: str | None) -> None:
    if events.is_empty():
        return
    events = events.with_columns(pl.lit(note, dtype=pl.String).alias("note"))
    _write_rows(conn, "status_event", events.select(_EVENT_COLUMNS))
