"""The question every worker asks before each answer: has the incident table changed?

On SQLite and PostgreSQL the answer is one primary-key read of ``store_revision``, which the
triggers of migration 0006 keep. On a Citus cluster those triggers are gone (Citus does not run
triggers on distributed tables, and one counter row updated by every shard would be a hot spot,
docs/scaling.md): the answer there is the newest ``updated_at`` with the row count, one
distributed query that every shard answers in parallel (its ``updated_at`` index gives the
maximum; the count scans the shard). Inserts raise the count or the newest time, deletes lower
the count, and every writer of Anning sets ``updated_at`` when it changes a row; an SQL
``UPDATE`` by hand that leaves ``updated_at`` alone is not seen on Citus until the next write.
"""

from __future__ import annotations

import threading

from sqlalchemy import Connection, func, select

from data import citus
from data.models import Incident, StoreRevision

_on_citus: dict[str, bool] = {}
_lock = threading.Lock()


def on_citus(conn: Connection) -> bool:
    """Whether ``conn``'s database keeps incidents distributed on Citus (asked once per URL)."""
    key = str(conn.engine.url)
    with _lock:
        known = _on_citus.get(key)
    if known is None:
        known = citus.is_distributed(conn, "incident")
        with _lock:
            _on_citus[key] = known
    return known


def current(conn: Connection) -> tuple[object, int]:
    """``(revision, incidents)``: a value that changes whenever incidents change, and their count.

    It is an integer on SQLite and PostgreSQL and, on Citus, the text
    ``"<newest updated_at>|<count>"`` (fixed width, so it orders by time, then count, as the
    integer does by writes); both survive the JSON manifest of :mod:`data.snapshot_store`.
    """
    if on_citus(conn):
        newest, count = conn.execute(
            select(func.max(Incident.updated_at), func.count()).select_from(Incident)
        ).one()
        stamp = "" if newest is None else newest.strftime("%Y-%m-%dT%H:%M:%S.%f")
        return f"{stamp}|{count:012d}", count
    revision, count = conn.execute(
        select(StoreRevision.revision, StoreRevision.incidents).where(StoreRevision.id == 1)
    ).one()
    return revision, count
