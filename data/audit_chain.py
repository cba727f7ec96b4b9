"""The audit trail's hash chain: each event's hash covers the one before it.

The append-only triggers hold against the application, but anyone holding the database file
can drop them. The chain makes what they do then visible: every event stores ``prev_hash``
(the previous event's hash) and ``row_hash``, an HMAC-SHA256 over ``prev_hash`` and the
event's own fields, keyed with a key derived from the installation's pseudonym secret (which
lives outside the database, :func:`data.settings.secret_file`). Without that key a forged or
re-chained row cannot be given a valid hash, so :func:`verify` finds

* a changed row (its content no longer matches its hash),
* a deleted row (the next row's ``prev_hash`` no longer matches; the head row of
  ``audit_chain`` catches the last rows going),
* an inserted row (its hash does not verify, and it breaks the link of the row after it),
* and lifted append-only triggers.

Writers serialise on the head row (:func:`append`): they update it first, which takes a row
lock on PostgreSQL and the write lock on SQLite before they read the head, so several
gunicorn workers writing at once append one after the other.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text

#: ``prev_hash`` of the first event.
GENESIS = "0" * 64
#: What the chain key is derived for (changing it would break every existing chain).
_KEY_LABEL = b"anning audit chain v1"
_keys: dict[str, bytes] = {}
_key_lock = threading.Lock()


def chain_key() -> bytes:
    """The chain's HMAC key, derived from the pseudonym secret (read once per process and
    secret file: a process that is pointed at another installation's secret, as the test
    suite does, must not sign with the first one's key)."""
    from data.importers.pseudonyms import load_or_create_secret
    from data.settings import secret_file

    path = str(secret_file())
    with _key_lock:
        if path not in _keys:
            secret = load_or_create_secret(Path(path))
            _keys[path] = hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()
        return _keys[path]


def at_text(at: datetime | str) -> str:
    """An event time as the chain hashes it and SQLite stores it: ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    if isinstance(at, str):  # a raw SQLite value
        at = datetime.fromisoformat(at)
    return at.isoformat(sep=" ", timespec="microseconds")


def row_hash(
    prev_hash: str,
    at: datetime | str,
    user: str,
    action: str,
    target: str | None,
    detail: str | None,
    remote_addr: str | None,
) -> str:
    """The hash of one event given the previous event's hash (hex, 64 characters)."""
    content = json.dumps(
        [prev_hash, at_text(at), user, action, target, detail, remote_addr],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(chain_key(), content.encode("utf-8"), hashlib.sha256).hexdigest()


def append(conn: Connection, event: dict[str, object]) -> None:
    """Insert ``event`` (``at``, ``user``, ``action``, ``target``, ``detail``,
    ``remote_addr``) at the end of the chain, inside the caller's transaction.

    The head row is written first: that takes the lock that makes concurrent writers wait
    for each other (a row lock on PostgreSQL, the database's write lock on SQLite).
    """
    conn.execute(text("UPDATE audit_chain SET rows = rows WHERE id = 1"))
    head = conn.execute(text("SELECT last_hash FROM audit_chain WHERE id = 1")).scalar_one()
    digest = row_hash(
        head,
        event["at"],
        event["user"],
        event["action"],
        event.get("target"),
        event.get("detail"),
        event.get("remote_addr"),
    )
    new_id = conn.execute(
        text(
            'INSERT INTO audit_event (at, "user", action, target, detail, remote_addr, '
            "prev_hash, row_hash) VALUES (:at, :user, :action, :target, :detail, "
            ":remote_addr, :prev, :hash) RETURNING id"
        ),
        {
            "target": None,
            "detail": None,
            "remote_addr": None,
            **event,
            "prev": head,
            "hash": digest,
        },
    ).scalar_one()
    conn.execute(
        text(
            "UPDATE audit_chain SET last_id = :id, last_hash = :hash, rows = rows + 1 WHERE id = 1"
        ),
        {"id": new_id, "hash": digest},
    )


@dataclass
class ChainReport:
    """What :func:`verify` found: rows checked, problems (empty when intact), the head."""

    rows: int = 0
    problems: list[str] = field(default_factory=list)
    head_hash: str = GENESIS
    last_at: datetime | None = None

    @property
    def intact(self) -> bool:
        """Whether the chain holds from the first event to the head."""
        return not self.problems

    def summary(self) -> str:
        """Lines for the command line: the verdict first, then each problem."""
        if self.intact:
            return f"audit trail intact: {self.rows:,} events chained, head {self.head_hash[:16]}…"
        lines = [f"audit trail BROKEN: {len(self.problems)} problem(s) in {self.rows:,} events"]
        return "\n".join([*lines, *(f"  - {p}" for p in self.problems)])


#: Most problems listed (a wholesale rewrite would otherwise list every row).
MAX_PROBLEMS = 50


def _triggers_present(conn: Connection) -> bool:
    if conn.dialect.name == "sqlite":
        names = set(
            conn.scalars(
                text(
                    "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_event'"
                )
            )
        )
        return {"audit_event_no_update", "audit_event_no_delete"} <= names
    names = set(
        conn.scalars(
            text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass "
                "AND tgenabled <> 'D'"
            )
        )
    )
    return {"audit_event_no_change", "audit_event_no_truncate"} <= names


def verify(engine: Engine, batch: int = 5000) -> ChainReport:
    """Walk the whole chain in id order and report every break (see the module docstring)."""
    report = ChainReport()
    expected, previous_id = GENESIS, 0
    with engine.connect() as conn:
        if not _triggers_present(conn):
            report.problems.append("the append-only triggers of audit_event are missing")
        head = conn.execute(text("SELECT last_id, last_hash, rows FROM audit_chain WHERE id = 1"))
        head = head.first()
        last_id = 0
        while True:
            rows = conn.execute(
                text(
                    'SELECT id, at, "user", action, target, detail, remote_addr, prev_hash, '
                    "row_hash FROM audit_event WHERE id > :last ORDER BY id LIMIT :n"
                ),
                {"last": last_id, "n": batch},
            ).all()
            if not rows:
                break
            for row in rows:
                _check_row(report, row, expected, previous_id)
                expected, previous_id = row.row_hash or "", row.id
                report.rows += 1
                report.last_at = row.at
            last_id = rows[-1].id
    if head is None:
        report.problems.append("the chain's head row (audit_chain) is missing")
    elif head.last_hash != expected:
        report.problems.append(
            f"the trail ends at event {previous_id} but the chain's head names event "
            f"{head.last_id}: events at the end were deleted or added"
        )
    elif head.rows != report.rows:
        report.problems.append(
            f"the chain's head counts {head.rows:,} events, the trail holds {report.rows:,}"
        )
    report.head_hash = expected
    del report.problems[MAX_PROBLEMS:]
    return report


def _check_row(report: ChainReport, row, expected: str, previous_id: int) -> None:
    if row.row_hash is None or row.prev_hash is None:
        report.problems.append(f"event {row.id} has no hash: it was inserted around the chain")
        return
    own = row_hash(
        row.prev_hash, row.at, row.user, row.action, row.target, row.detail, row.remote_addr
    )
    if not hmac.compare_digest(own, row.row_hash):
        report.problems.append(
            f"event {row.id} ({row.action} by {row.user}): its content does not match its "
            "hash — changed, or inserted without the key"
        )
    if row.prev_hash != expected:
        missing = row.id - previous_id - 1
        gap = (
            "an event before it was deleted or replaced"
            if missing < 1
            else f"event {previous_id + 1} is missing"
            if missing == 1
            else f"events {previous_id + 1}–{row.id - 1} are missing"
        )
        report.problems.append(
            f"event {row.id} does not follow event {previous_id or 'the start'}: {gap}"
        )
