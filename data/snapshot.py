"""The columnar snapshot: every incident (minus free text) in one polars frame.

The database is the system of record; analytics read this snapshot instead. It is refreshed
incrementally: rows whose ``updated_at`` (the time the row was last written) is after the last
one seen are read and replace their older copies, so new and changed incidents reach the
dashboard without a reload. If the row count then disagrees with the database, the whole
table is read again: the snapshot is never silently short.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl
from sqlalchemy import Engine, func, select

from data import revision as store_revision
from data.frames import INCIDENT_SCHEMA, SNAPSHOT_COLUMNS
from data.models import Incident
from data.settings import display_timezone
from geo.h3cells import BASE_RESOLUTION, DISPLAY_RESOLUTIONS, cells_to_parent

_READ_SCHEMA = {c: INCIDENT_SCHEMA[c] for c in SNAPSHOT_COLUMNS}
#: Coarser H3 cells kept beside the stored resolution-9 cell (the map's display sizes).
PARENT_RESOLUTIONS: tuple[int, ...] = tuple(r for r in DISPLAY_RESOLUTIONS if r < BASE_RESOLUTION)
#: The snapshot's columns: the table's, plus columns derived once per row as rows arrive
#: (repeating the work at every filter change costs more than the memory they take, measured
#: at 1M rows: ~130 ms to convert times to local dates, ~35 ms to derive parent cells):
#: ``reported_day``, the local date of ``reported_at`` in the display time zone, and
#: ``h3_<res>``, the incident's cell at each coarser display resolution.
FRAME_SCHEMA = {
    **_READ_SCHEMA,
    "reported_day": pl.Date,
    **{f"h3_{res}": pl.Int64 for res in PARENT_RESOLUTIONS},
}


def parent_column(res: int) -> str | None:
    """The snapshot column holding each incident's cell at ``res``, if one is kept."""
    if res == BASE_RESOLUTION:
        return "h3_cell"
    return f"h3_{res}" if res in PARENT_RESOLUTIONS else None


def _derive(frame: pl.DataFrame) -> pl.DataFrame:
    tz = display_timezone()
    return frame.with_columns(
        pl.col("reported_at").dt.convert_time_zone(tz).dt.date().alias("reported_day"),
        *(cells_to_parent("h3_cell", res).alias(f"h3_{res}") for res in PARENT_RESOLUTIONS),
    )


#: Rows fetched per round trip on the SQLite path; bounds the Python objects alive at once.
_FETCH_ROWS = 100_000
#: How SQLAlchemy writes ``DateTime`` values into SQLite text.
_SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S%.f"
#: How PostgreSQL writes ``timestamp`` values in CSV (fraction only when non-zero).
_POSTGRES_TIME_FORMAT = "%Y-%m-%d %H:%M:%S%.f"


def _read(engine: Engine, since: datetime | None) -> pl.DataFrame:
    if engine.dialect.name == "sqlite":
        return _read_sqlite(engine, since)
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        return _read_postgres_copy(engine, since)
    return _read_rows(engine, since)


def _read_postgres_copy(engine: Engine, since: datetime | None) -> pl.DataFrame:
    """Stream the rows out with ``COPY … TO STDOUT`` as CSV and parse them in polars.

    One round trip and no Python object per value: the server writes text, polars parses it
    in native code (measured in ``benchmarks/bench_snapshot.py``).
    """
    sql = f"SELECT {', '.join(SNAPSHOT_COLUMNS)} FROM incident"
    if since is not None:
        sql += f" WHERE updated_at > '{since.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    buffer = io.BytesIO()
    raw = engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        with cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                buffer.write(block)
        raw.driver_connection.rollback()
    finally:
        raw.close()
    text_schema = {c: pl.String for c in SNAPSHOT_COLUMNS}
    if buffer.tell() == 0:
        frame = pl.DataFrame(schema=text_schema)
    else:
        buffer.seek(0)
        frame = pl.read_csv(
            buffer, has_header=False, new_columns=list(SNAPSHOT_COLUMNS), schema=text_schema
        )
    return frame.with_columns(
        pl.col(c).str.to_datetime(_POSTGRES_TIME_FORMAT, time_unit="us", time_zone="UTC")
        if isinstance(t, pl.Datetime)
        else (pl.col(c) == "t")
        if t == pl.Boolean
        else pl.col(c).cast(t)
        for c, t in _READ_SCHEMA.items()
    )


def _read_sqlite(engine: Engine, since: datetime | None) -> pl.DataFrame:
    """Read raw values through the DB-API cursor in chunks and parse times in polars.

    About twice as fast as SQLAlchemy rows with a third of the peak memory. An Arrow-native
    SQLite reader (ADBC, connectorx) would be faster still, but it links its own copy of
    SQLite into the process, and two SQLite libraries in one process break each other's
    POSIX locks (sqlite.org/howtocorrupt.html, 2.2.1): measured here, its reads missed
    rows committed after its first connection.
    """
    sql = f"SELECT {', '.join(SNAPSHOT_COLUMNS)} FROM incident"
    params: tuple = ()
    if since is not None:
        sql += " WHERE updated_at > ?"
        params = (since.strftime("%Y-%m-%d %H:%M:%S.%f"),)
    raw_schema = {
        c: (pl.String if isinstance(t, pl.Datetime) else pl.Int64 if t == pl.Boolean else t)
        for c, t in _READ_SCHEMA.items()
    }
    chunks = []
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(sql, params)
        while rows := cur.fetchmany(_FETCH_ROWS):
            chunks.append(pl.DataFrame(rows, schema=raw_schema, orient="row"))
        cur.close()
    finally:
        raw.close()
    frame = pl.concat(chunks) if chunks else pl.DataFrame(schema=raw_schema)
    return frame.with_columns(
        pl.col(c).str.to_datetime(_SQLITE_TIME_FORMAT, time_unit="us", time_zone="UTC")
        if isinstance(t, pl.Datetime)
        else pl.col(c).cast(t)
        for c, t in _READ_SCHEMA.items()
    )


def _read_rows(engine: Engine, since: datetime | None) -> pl.DataFrame:
    cols = [getattr(Incident, c) for c in SNAPSHOT_COLUMNS]
    query = select(*cols)
    if since is not None:
        query = query.where(Incident.updated_at > since)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    naive = {
        c: (pl.Datetime("us") if isinstance(t, pl.Datetime) else t) for c, t in _READ_SCHEMA.items()
    }
    frame = pl.DataFrame(rows, schema=naive, orient="row")
    return frame.with_columns(
        pl.col(c).dt.replace_time_zone("UTC")
        for c, t in _READ_SCHEMA.items()
        if isinstance(t, pl.Datetime)
    )


@dataclass
class Snapshot:
    """A refreshable in-memory copy of the incident table for one engine."""

    engine: Engine
    frame: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=FRAME_SCHEMA))
    #: Newest ``updated_at`` seen (naive UTC), or None before the first load.
    seen_until: datetime | None = None
    #: Incremented each time the frame changes; caches key on it.
    version: int = 0
    #: The ``store_revision`` the frame reflects (None before the first load).
    revision: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def refresh(self) -> pl.DataFrame:
        """Bring the frame up to date with the database and return it.

        Asking costs one primary-key read of ``store_revision`` while nothing changed (one
        distributed query on Citus, :mod:`data.revision`); a
        change reads only the rows written since the newest ``updated_at`` seen.
        """
        with self._lock:
            with self.engine.connect() as conn:
                revision, count = store_revision.current(conn)
                if revision == self.revision:
                    return self.frame
                newest = conn.execute(select(func.max(Incident.updated_at))).scalar_one()
            self._catch_up(newest, count)
            self.revision = revision
            return self.frame

    def _catch_up(self, newest: datetime | None, count: int) -> None:
        if newest is None:
            if self.frame.height:
                self.frame = pl.DataFrame(schema=FRAME_SCHEMA)
                self.version += 1
            self.seen_until = None
            return
        if self.seen_until is not None and newest == self.seen_until and count == self.frame.height:
            return
        if self.seen_until is None or count < self.frame.height:
            self.frame = _derive(_read(self.engine, None))
        else:
            changed = _derive(_read(self.engine, self.seen_until))
            kept = self.frame.filter(~pl.col("id").is_in(changed["id"].implode()))
            self.frame = pl.concat([kept, changed]).sort("id")
            if self.frame.height != count:
                self.frame = _derive(_read(self.engine, None))
        self.seen_until = newest
        self.version += 1


_snapshots: dict[str, Snapshot] = {}
_snapshots_lock = threading.Lock()


def snapshot_for(engine: Engine) -> Snapshot:
    """The process-wide snapshot of ``engine``'s incidents (created on first use)."""
    key = str(engine.url)
    with _snapshots_lock:
        if key not in _snapshots:
            _snapshots[key] = Snapshot(engine)
        return _snapshots[key]
