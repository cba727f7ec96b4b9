"""The station workspace's counts: follow-up visits due this week and overdue.

Both come from the service-level checks (:func:`measures.service.checks`) of the level "4
follow-up visits within 2 months" (``follow_up_4_in_2m``), for cases *open* at ``now``:

``follow_ups_due``
    Open cases whose follow-up level is pending (not met, deadline not passed) and whose
    deadline falls within :data:`DUE_DAYS` days of ``now``; soonest deadline first.
``follow_ups_overdue``
    Open cases whose follow-up level is late (deadline passed without the 4th visit, or the
    4th visit after it): the same cases the wall's and the review's ``late_open`` count for
    this level. Most overdue (oldest deadline) first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from layers.service_levels import check_now

#: Days ahead a follow-up counts as due "this week".
DUE_DAYS = 7
#: The service level of the follow-up visits.
FOLLOW_UP_SLA = "follow_up_4_in_2m"

__all__ = ["DUE_DAYS", "FOLLOW_UP_SLA", "follow_ups_due", "follow_ups_overdue"]


def _open_follow_ups(checks: pl.DataFrame) -> pl.DataFrame:
    return checks.filter(pl.col("open") & (pl.col("sla") == FOLLOW_UP_SLA))


def follow_ups_due(checks: pl.DataFrame, now: datetime, days: int = DUE_DAYS) -> pl.DataFrame:
    """Open cases whose 4th follow-up visit is due within ``days`` days, soonest first."""
    now = check_now(now)
    return (
        _open_follow_ups(checks)
        .filter(
            (pl.col("state") == "pending")
            & pl.col("met_at").is_null()
            & (pl.col("due_at") <= now + timedelta(days=days))
        )
        .sort("due_at", "incident_id")
    )


def follow_ups_overdue(checks: pl.DataFrame) -> pl.DataFrame:
    """Open cases past their follow-up deadline, oldest deadline first."""
    return _open_follow_ups(checks).filter(pl.col("state") == "late").sort("due_at", "incident_id")
