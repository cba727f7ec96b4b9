"""The columnar snapshot: every incident (minus free text) in polars, one copy per process
or one per machine shared by its workers (:mod:`data.snapshot_store`).

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
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, func, select

from data import revision as store_revision
from data.frames import INCIDENT_SCHEMA, SNAPSHOT_COLUMNS
from data.models import Incident
from data.settings import display_timezone, snapshot_dir
from data.snapshot_store import (
    Manifest,
    StoreState,
    WriterLock,
    map_frame,
    read_manifest,
    schema_id,
    store_folder,
    update_store,
)
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


_EMPTY_FRAME = pl.DataFrame(schema=FRAME_SCHEMA)


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


def _read_frame(engine: Engine, since: datetime | None) -> pl.DataFrame:
    """Rows written after ``since`` (all for None) with the derived columns."""
    return _derive(_read(engine, since))


@dataclass
class Snapshot:
    """A refreshable copy of the incident table for one engine.

    Without a store folder the copy lives in this process's memory. With one
    (``ANNING_SNAPSHOT_DIR``, set by ``gunicorn.conf.py``), the copy is the machine's shared
    Arrow files (:mod:`data.snapshot_store`), memory-mapped: one process at a time brings them
    up to date, every worker reads them.
    """

    engine: Engine
    store_root: Path | None = None
    frame: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=FRAME_SCHEMA))
    #: Newest ``updated_at`` seen (naive UTC), or None before the first load.
    seen_until: datetime | None = None
    #: Incremented each time the frame changes; caches key on it.
    version: int = 0
    #: The ``store_revision`` the frame reflects (None before the first load).
    revision: int | str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _manifest: Manifest | None = field(default=None, repr=False)
    _base: pl.DataFrame | None = field(default=None, repr=False)
    _delta: pl.DataFrame | None = field(default=None, repr=False)
    _live: pl.Series | None = field(default=None, repr=False)

    @property
    def height(self) -> int:
        """Incidents in the snapshot."""
        if self._manifest is not None:
            return self._manifest.rows
        return self.frame.height

    def refresh(self) -> pl.LazyFrame:
        """Bring the snapshot up to date with the database and return its rows, lazily.

        Asking costs one primary-key read of ``store_revision`` while nothing changed; a
        change reads only the rows written since the newest ``updated_at`` seen.
        """
        with self._lock:
            with self.engine.connect() as conn:
                # One primary-key read; a distributed query on Citus (data.revision).
                revision, count = store_revision.current(conn)
                if revision == self.revision:
                    return self._rows()
                newest = conn.execute(select(func.max(Incident.updated_at))).scalar_one()
            if self.store_root is None:
                self._catch_up(newest, count)
                self.revision = revision
            else:
                self._follow_store(StoreState(revision, count, newest))
            return self._rows()

    def collect(self) -> pl.DataFrame:
        """Every incident of the snapshot as one frame (a copy only where rows were replaced)."""
        return self.refresh().collect()

    def _rows(self) -> pl.LazyFrame:
        if self._manifest is None:
            return self.frame.lazy()
        base = self._base.lazy()
        if self._live is not None:  # rows with a newer version in the delta are left out
            base = self._base.with_columns(self._live.alias("_live")).lazy()
            base = base.filter(pl.col("_live")).drop("_live")
        if self._delta is None or self._delta.height == 0:
            return base
        return pl.concat([base, self._delta.lazy()], how="vertical")

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
            self.frame = _read_frame(self.engine, None)
        else:
            changed = _read_frame(self.engine, self.seen_until)
            kept = self.frame.filter(~pl.col("id").is_in(changed["id"].implode()))
            self.frame = pl.concat([kept, changed]).sort("id")
            if self.frame.height != count:
                self.frame = _read_frame(self.engine, None)
        self.seen_until = newest
        self.version += 1

    # -- the machine's shared copy -------------------------------------------------------
    def _follow_store(self, state: StoreState) -> None:
        source = self.engine.url.render_as_string(hide_password=True)
        folder = store_folder(self.store_root, source)
        folder.mkdir(parents=True, exist_ok=True)
        manifest = read_manifest(folder)
        if manifest is not None and manifest.schema != schema_id(_EMPTY_FRAME):
            manifest = None  # written before a migration changed the columns
        if manifest is None or manifest.source != source or manifest.revision != state.revision:
            lock = WriterLock(folder)
            # Wait for the writer only when there is nothing to serve yet; otherwise serve
            # the files as they are and look again at the next request.
            if lock.acquire(wait=manifest is None or self._manifest is None):
                try:
                    manifest = update_store(
                        folder,
                        source,
                        state,
                        lambda since: _read_frame(self.engine, since),
                        _EMPTY_FRAME,
                    )
                finally:
                    lock.release()
            else:
                manifest = read_manifest(folder)
                if manifest is None or manifest.schema != schema_id(_EMPTY_FRAME):
                    return  # being rewritten: serve what this worker has mapped
        self._load(folder, manifest)

    def _load(self, folder: Path, manifest: Manifest) -> None:
        for _ in range(5):
            try:
                self._map(folder, manifest)
                return
            except FileNotFoundError:  # the writer replaced the files meanwhile
                manifest = read_manifest(folder)
        self._map(folder, manifest)

    def _map(self, folder: Path, manifest: Manifest) -> None:
        if self._manifest == manifest:
            return
        old = self._manifest
        base = self._base
        if old is None or old.base != manifest.base:
            base = map_frame(folder / manifest.base)
        delta = self._delta
        if old is None or old.delta != manifest.delta or old.base != manifest.base:
            delta = None if manifest.delta is None else pl.read_ipc(folder / manifest.delta)
        live = None
        if delta is not None and delta.height:
            replaced = base["id"].is_in(delta["id"].implode())
            live = ~replaced if replaced.any() else None
        self._base, self._delta, self._live = base, delta, live
        self._manifest = manifest
        self.revision = manifest.revision
        self.seen_until = manifest.seen_until_time
        self.version += 1


_snapshots: dict[str, Snapshot] = {}
_snapshots_lock = threading.Lock()


def snapshot_for(engine: Engine) -> Snapshot:
    """The process-wide snapshot of ``engine``'s incidents (created on first use); shared
    with the machine's other workers when ``ANNING_SNAPSHOT_DIR`` names a folder."""
    key = str(engine.url)
    with _snapshots_lock:
        if key not in _snapshots:
            _snapshots[key] = Snapshot(engine, store_root=snapshot_dir())
        return _snapshots[key]
