"""The audit trail: append-only records of who viewed, revealed, exported or imported what."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert

from data.models import AuditEvent


def record(
    engine: Engine,
    user: str,
    action: str,
    target: str | None = None,
    detail: str | None = None,
    remote_addr: str | None = None,
) -> None:
    """Append one audit event (``action`` such as ``view_case`` or ``export``), time now, UTC."""
    with engine.begin() as conn:
        conn.execute(
            insert(AuditEvent),
            {
                "at": datetime.now(UTC).replace(tzinfo=None),
                "user": user,
                "action": action,
                "target": target,
                "detail": detail,
                "remote_addr": remote_addr,
            },
        )
