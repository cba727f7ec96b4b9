"""Service-level measures: one judgement of every (case, level) check, counted two ways.

Both the wall's "open cases past a service level" tile and the review's "service levels met"
share count the same checks (:func:`layers.service_levels.checks`), so they cannot disagree:

* a **check** is one service level that applies to one case: handled within 24 h (every
  case), closed within 15 days (every case), 4 follow-up visits within 2 months (cases that
  need follow-up, :data:`layers.service_levels.FOLLOW_UP_CATEGORIES` and
  :data:`~layers.service_levels.FOLLOW_UP_RISK_LEVELS`);
* as of ``now`` a check is **met** (deadline passed, met at or before it), **late** (deadline
  passed, not met by it: met late or not at all) or **pending** (deadline not passed yet);
* a case is **open** when it was not closed by ``now`` (its closing time, not its status
  text, decides).

Measures (``frame`` is the :func:`checks` frame of the cases of the scope and period):

``late_open``
    Open cases with at least one late check. Numerator: those cases; no denominator. The
    wall counts every open case of the scope (any report date); the review the open cases
    reported in its period.
``sla_compliance``
    Met checks ÷ judged checks (met + late), summed over the three levels, of the cases
    reported in the period. Pending checks are left out: a young case can only have met a
    level early, which would flatter the share.
``handled_24h_share``
    The same share for the 24-hour handling level only.
``late_open_by_level``
    ``late_open`` split by level (a case late on two levels counts in both).
``due_soon_open``
    Open cases with no late check but a pending one due within its due-soon window
    (:meth:`layers.service_levels.ServiceLevelParams.due_soon_window`).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from layers import service_levels as sl


def open_at(now: datetime) -> pl.Expr:
    """Whether a case is open at ``now``: not closed by then (its ``closed_at`` is empty or
    later than ``now``). The one definition of "open" (``docs/measures.md``): the service
    levels, the wall's tiles, the overview's KPI and every list read it; the status text does
    not decide, so a past ``now`` gives the answer it gave then."""
    closed = pl.col("closed_at")
    return closed.is_null() | (closed > now)


__all__ = [
    "checks",
    "due_soon_open",
    "handled_24h_share",
    "late_open",
    "late_open_by_level",
    "late_open_ids",
    "share_by",
    "sla_compliance",
]


def checks(
    incidents: pl.DataFrame,
    visits: pl.DataFrame | None,
    now: datetime,
    extra: tuple[str, ...] = (),
) -> pl.DataFrame:
    """The service-level checks of ``incidents`` as of ``now`` (module docstring)."""
    return sl.checks(incidents, visits, now, extra=extra)


def late_open_ids(frame: pl.DataFrame, sla: str | None = None) -> list[int]:
    """Ids of the open cases with a late check (of level ``sla`` only, when given), sorted."""
    sel = frame.filter(pl.col("open") & (pl.col("state") == "late"))
    if sla is not None:
        sel = sel.filter(pl.col("sla") == sla)
    return sorted(int(i) for i in sel["incident_id"].unique().to_list())


def late_open(frame: pl.DataFrame) -> int:
    """Open cases with at least one late check."""
    return len(late_open_ids(frame))


def late_open_by_level(frame: pl.DataFrame) -> dict[str, int]:
    """``late_open`` per level, in :data:`layers.service_levels.SLAS` order."""
    return {sla: len(late_open_ids(frame, sla)) for sla in sl.SLAS}


def due_soon_open(frame: pl.DataFrame, now: datetime) -> int:
    """Open cases with no late check and a pending check due within its due-soon window."""
    params = sl.ServiceLevelParams()
    now = sl.check_now(now)
    late = set(late_open_ids(frame))
    soon: set[int] = set()
    for sla in sl.SLAS:
        window = params.due_soon_window(sla)
        rows = frame.filter(
            pl.col("open")
            & (pl.col("sla") == sla)
            & (pl.col("state") == "pending")
            & pl.col("met_at").is_null()
            & (pl.col("due_at") - now <= window)
        )
        soon.update(int(i) for i in rows["incident_id"].to_list())
    return len(soon - late)


def _share(frame: pl.DataFrame) -> float | None:
    met = frame.filter(pl.col("state") == "met").height
    late = frame.filter(pl.col("state") == "late").height
    return None if met + late == 0 else met / (met + late)


def sla_compliance(frame: pl.DataFrame) -> float | None:
    """Met ÷ (met + late) checks over all levels; None when nothing could be judged."""
    return _share(frame)


def handled_24h_share(frame: pl.DataFrame) -> float | None:
    """Met ÷ (met + late) checks of the 24-hour handling level; None when none judged."""
    return _share(frame.filter(pl.col("sla") == "handled_24h"))


def share_by(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per ``keys`` group: ``sla_compliance``, ``handled_24h_share`` and ``late_open``.

    The same definitions as the scalar functions above, grouped (groups with no checks are
    absent; shares are null when nothing was judged).
    """
    met = pl.col("state") == "met"
    late = pl.col("state") == "late"
    handled = pl.col("sla") == "handled_24h"

    def share(m: pl.Expr, judged: pl.Expr) -> pl.Expr:
        return pl.when(judged.sum() > 0).then(m.sum() / judged.sum()).otherwise(None)

    return frame.group_by(keys).agg(
        share(met, met | late).cast(pl.Float64).alias("sla_compliance"),
        share(met & handled, (met | late) & handled).cast(pl.Float64).alias("handled_24h_share"),
        pl.col("incident_id")
        .filter(pl.col("open") & late)
        .n_unique()
        .cast(pl.Int64)
        .alias("late_open"),
    )
