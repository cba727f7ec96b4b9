"""Whether the database can be written now, and what to do when it cannot.

Storage fails while serving: a volume remounted read-only, files made immutable, a disk full
or failing, a PostgreSQL server switched to read-only. The server must then keep running,
say clearly what is wrong, report ``degraded`` in ``/healthz``, and carry on by itself once the
storage is back. This module is that memory:

* writers that must not silently fail (the audit trail) turn a storage error into
  :class:`StorageError` through :func:`guard`, noting the failure;
* writers that may skip a write (a session's "last seen" time) call :func:`note_failure` and
  go on;
* :func:`probe` rewrites one row (at most every :data:`PROBE_SECONDS`) to learn whether the
  storage takes writes, for ``/healthz``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)

#: Seconds a probe's answer is reused (``/healthz`` may be polled every second).
PROBE_SECONDS = 5.0
#: Words of the drivers' messages that mean "the storage refuses writes" (SQLite, PostgreSQL).
_STORAGE_WORDS = (
    "readonly database",
    "read-only",
    "disk i/o error",
    "disk is full",
    "database or disk is full",
    "unable to open database file",
    "no space left",
    "could not write",
    "could not extend file",
)


class StorageError(RuntimeError):
    """The database refused a write because of its storage; the message says what it said."""


@dataclass
class _State:
    failing: bool = False
    reason: str | None = None
    since: float | None = None
    probed_at: float = -1e9


_state = _State()
_lock = threading.Lock()


def is_storage_error(err: BaseException) -> bool:
    """Whether ``err`` is the database saying its storage refuses writes."""
    if not isinstance(err, DBAPIError):
        return False
    message = str(err.orig if err.orig is not None else err).lower()
    return any(word in message for word in _STORAGE_WORDS)


def _reason(err: BaseException) -> str:
    orig = getattr(err, "orig", None) or err
    return (str(orig).splitlines() or [type(orig).__name__])[0][:200]


def note_failure(err: BaseException) -> None:
    """Remember that a write failed for ``err`` (logged once per outage, in one line)."""
    reason = _reason(err)
    with _lock:
        first = not _state.failing
        _state.failing, _state.reason = True, reason
        if first:
            _state.since = time.time()
    if first:
        logger.error("database storage refuses writes: %s (serving on, degraded)", reason)


def note_ok() -> None:
    """Remember that a write succeeded (logged once when an outage ends)."""
    if not _state.failing:
        return
    with _lock:
        was, _state.failing, _state.reason, _state.since = _state.failing, False, None, None
    if was:
        logger.warning("database storage accepts writes again: recovered")


@contextmanager
def guard(engine: Engine | None = None) -> Iterator[None]:
    """Around a write: a storage error becomes :class:`StorageError` (and is noted);
    success is noted too, so the state recovers by itself.

    On a storage error the ``engine``'s pooled connections are dropped: SQLite opens a file
    it cannot write read-only and would stay so, so new connections are needed to notice
    that the storage is back.
    """
    try:
        yield
    except DBAPIError as err:
        if is_storage_error(err):
            note_failure(err)
            if engine is not None:
                engine.dispose()
            raise StorageError(_reason(err)) from None
        raise
    note_ok()


def probe(engine: Engine) -> tuple[str, str | None]:
    """``('ok', None)`` or ``('degraded', reason)``: one committed write of the
    ``storage_probe`` row, its answer reused for :data:`PROBE_SECONDS`."""
    now = time.monotonic()
    with _lock:
        fresh = now - _state.probed_at < PROBE_SECONDS
        _state.probed_at = now if not fresh else _state.probed_at
    if not fresh:
        if _state.failing:
            # Connections opened during the outage are read-only for good: probe on new ones.
            engine.dispose()
        try:
            with guard(engine), engine.begin() as conn:
                # A real change: SQLite writes nothing for an update that changes nothing.
                conn.execute(
                    text("UPDATE storage_probe SET probed_at = :at WHERE id = 1"),
                    {"at": datetime.now(UTC).replace(tzinfo=None)},
                )
        except StorageError:
            pass
        except DBAPIError as err:  # the database itself is unreachable: also degraded
            note_failure(err)
    return ("degraded", _state.reason) if _state.failing else ("ok", None)


def status() -> tuple[str, str | None]:
    """The last known state without probing."""
    return ("degraded", _state.reason) if _state.failing else ("ok", None)
