"""One columnar copy of the incident table per machine, shared by every worker process.

The snapshot is kept on local disk as Arrow IPC files (uncompressed, one record batch) that
each worker memory-maps: the operating system keeps one copy of the pages in its page cache
and every worker reads the same pages, so four workers cost about one copy of the data, not
four (measured in ``benchmarks/results/shared_snapshot_*.md``).

Files in the store's folder:

- ``base-<n>.arrow``: every incident as of some moment, sorted by ``id``;
- ``delta-<n>.arrow``: the rows written since the base (new incidents and new versions of
  older ones), small, read into each worker's memory;
- ``manifest.json``: which base and delta are current, the ``store_revision`` and the newest
  ``updated_at`` they reflect, and the number of incidents; replaced atomically;
- ``writer.lock``: whoever holds this ``flock`` brings the files up to date from the database.

One process at a time writes (the lock); the others keep serving from the files they mapped
and pick up the new manifest at their next look. When the delta grows past
:data:`COMPACT_ROWS` rows (or a tenth of the base), the writer folds it into a new base.
Old files are unlinked at once; a worker that still maps one keeps reading it until it moves
on (the kernel frees the pages then).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
import pyarrow as pa

#: Delta rows at which the writer folds the delta into a new base.
COMPACT_ROWS = 200_000
#: ... or this share of the base, whichever is larger.
COMPACT_SHARE = 0.10
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """What the store's files hold."""

    base: str
    delta: str | None
    revision: int | str  # data.revision.current: an integer, or text on Citus
    seen_until: str | None
    rows: int
    source: str
    #: :func:`schema_id` of the files' columns: a migration that changes them makes the
    #: files unusable, and they are written again.
    schema: str

    @property
    def seen_until_time(self) -> datetime | None:
        """``seen_until`` as a naive UTC datetime."""
        return None if self.seen_until is None else datetime.fromisoformat(self.seen_until)


def schema_id(frame: pl.DataFrame) -> str:
    """A short fingerprint of ``frame``'s column names and types."""
    return hashlib.sha256(str(list(frame.schema.items())).encode()).hexdigest()[:16]


def store_folder(root: Path, source: str) -> Path:
    """The folder under ``root`` for the database named by ``source`` (its URL, password
    hidden): one store per database, so two databases never read each other's rows."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return root / digest


def read_manifest(folder: Path) -> Manifest | None:
    """The current manifest, or None when the store has never been written."""
    try:
        data = json.loads((folder / MANIFEST).read_text())
        return Manifest(**data)
    except FileNotFoundError:
        return None
    except (TypeError, ValueError):  # written by another version: write the files again
        return None


def _write_manifest(folder: Path, manifest: Manifest) -> None:
    tmp = folder / f".{MANIFEST}.{os.getpid()}"
    tmp.write_text(json.dumps(manifest.__dict__))
    os.replace(tmp, folder / MANIFEST)


def _write_frame(folder: Path, prefix: str, frame: pl.DataFrame) -> str:
    name = f"{prefix}-{time.time_ns()}-{os.getpid()}.arrow"
    tmp = folder / f".{name}"
    frame.rechunk().write_ipc(tmp, compression="uncompressed")
    os.replace(tmp, folder / name)
    return name


def map_frame(path: Path) -> pl.DataFrame:
    """The frame in the IPC file at ``path``, memory-mapped: no copy of the values is made,
    the columns point into the page cache shared by every process that maps the file.

    (polars' own ``read_ipc`` copies into process memory; pyarrow's memory map does not,
    and ``pl.from_arrow`` keeps its buffers.)
    """
    source = pa.memory_map(str(path))
    table = pa.ipc.open_file(source).read_all()
    return pl.from_arrow(table, rechunk=False)


class WriterLock:
    """The store's writer lock (``flock``): held by the one process that updates the files."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "writer.lock"
        self._fd: int | None = None

    def acquire(self, wait: bool) -> bool:
        """Take the lock; without ``wait``, give up at once if another process holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Give the lock back."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@dataclass
class StoreState:
    """The database's side of a change check: what the store must reflect."""

    revision: int | str  # data.revision.current: an integer, or text on Citus
    count: int
    newest: datetime | None


def update_store(
    folder: Path,
    source: str,
    state: StoreState,
    read_since: Callable[[datetime | None], pl.DataFrame],
    empty: pl.DataFrame,
) -> Manifest:
    """Bring the files in ``folder`` up to ``state`` (the caller holds the writer lock).

    ``read_since(t)`` returns the rows written after ``t`` (all rows for None), with the
    derived columns. Reads only what changed when it can; the whole table when the database
    has fewer rows than the store, another database's rows, or the counts disagree.
    """
    current = read_manifest(folder)
    schema = schema_id(empty)
    if current is not None and current.schema != schema:
        current = None
    if current is not None and current.source == source and current.revision == state.revision:
        return current
    newest = None if state.newest is None else state.newest.isoformat()
    usable = (
        current is not None
        and current.source == source
        and current.seen_until is not None
        and state.newest is not None
        and state.count >= current.rows
        and state.revision > current.revision
    )
    manifest = None
    if usable:
        manifest = _append(folder, current, state, read_since)
    if manifest is None:
        frame = read_since(None) if state.newest is not None else empty
        base = _write_frame(folder, "base", frame.sort("id"))
        manifest = Manifest(base, None, state.revision, newest, frame.height, source, schema)
    _write_manifest(folder, manifest)
    _remove_unused(folder, manifest)
    return manifest


def _append(
    folder: Path,
    current: Manifest,
    state: StoreState,
    read_since: Callable[[datetime | None], pl.DataFrame],
) -> Manifest | None:
    newest = None if state.newest is None else state.newest.isoformat()
    changed = read_since(current.seen_until_time)
    base = map_frame(folder / current.base)
    old_delta = pl.read_ipc(folder / current.delta) if current.delta else changed.clear()
    delta = pl.concat(
        [old_delta.filter(~pl.col("id").is_in(changed["id"].implode())), changed]
    ).sort("id")
    replaced = base.select(pl.col("id").is_in(delta["id"].implode()).sum()).item()
    rows = base.height - replaced + delta.height
    if rows != state.count:
        return None  # rows removed or written behind our back: read the whole table
    if delta.height > max(COMPACT_ROWS, COMPACT_SHARE * base.height):
        kept = base.filter(~pl.col("id").is_in(delta["id"].implode()))
        name = _write_frame(folder, "base", pl.concat([kept, delta]).sort("id"))
        return Manifest(name, None, state.revision, newest, rows, current.source, current.schema)
    name = _write_frame(folder, "delta", delta) if delta.height else None
    return Manifest(
        current.base, name, state.revision, newest, rows, current.source, current.schema
    )


def _remove_unused(folder: Path, manifest: Manifest) -> None:
    keep = {manifest.base, manifest.delta}
    for path in folder.glob("*.arrow"):
        if path.name not in keep:
            path.unlink(missing_ok=True)
