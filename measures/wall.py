"""The numbers of the command-centre wall: its tiles, newest incidents and alerts.

Pure functions: incident frames (snapshot columns), layer results, the time ``now`` (aware)
and the installation's time zone in; plain values out. Nothing here reads the database, the
request or the clock, so every number on the wall can be checked against a hand-built frame.

What each tile compares (the tile says so in words, too):

=====================  ===========================================  ==========================
tile                   counts                                       compared with
=====================  ===========================================  ==========================
``today``              incidents since local midnight               yesterday, midnight to the
                                                                    same time of day
``week``               incidents of the last 7 × 24 h               the 7 × 24 h before them
``high_risk_open``     high-risk incidents not closed (any age)     (note: reported today)
``sla_breached``       open cases with a late service level         (note: open cases due soon)
                       (:func:`measures.service.late_open`, the
                       review's ``late_open`` over every date)
``warning_letters``    incidents this calendar month with a         last month, from its first
                       warning letter                               day to the same day and time
``protection_orders``  likewise, with a protection order            likewise
=====================  ===========================================  ==========================

"Now" windows end at local midnight tonight, so an incident pushed with a clock a few seconds
ahead of the server's still counts today; comparison windows end at the matching moment
(``now`` minus a day, a week or a month).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from measures import service

#: The tiles, in the order the wall shows them.
TILE_KEYS: tuple[str, ...] = (
    "today",
    "week",
    "high_risk_open",
    "sla_breached",
    "warning_letters",
    "protection_orders",
)
#: Tiles whose rise is bad news (drawn in the warning colour); all of them, today.
RISE_IS_BAD: frozenset[str] = frozenset(TILE_KEYS)
#: Newest incidents listed beside the map.
NEWEST_LISTED = 8
#: Incidents this recent pulse on the map ...
PULSE_HOURS = 24
#: ... at most this many (the newest), so a busy day stays readable and cheap to redraw.
PULSE_LIMIT = 40
#: Alerts on the ticker, highest priority first.
TICKER_LIMIT = 12


@dataclass(frozen=True)
class Tile:
    """One number of the wall.

    ``previous`` is the comparison period's number (None: the tile compares with nothing);
    ``note`` an extra number the tile mentions (None: none); ``parts`` the value split (by
    service level for ``sla_breached``; None: not split).
    """

    key: str
    value: int
    previous: int | None = None
    note: int | None = None
    parts: Mapping[str, int] | None = None


@dataclass(frozen=True)
class Change:
    """How a tile moved: ``direction`` ``'up'``, ``'down'`` or ``'same'``, and the signed
    difference and percentage as text (``'+3'``, ``'+25%'``; the percentage is empty when the
    comparison is zero)."""

    direction: str
    difference: str
    percent: str


def _utc(local: datetime) -> datetime:
    return local.astimezone(ZoneInfo("UTC"))


def _count(frame: pl.DataFrame, start: datetime, end: datetime, pred: pl.Expr | None = None) -> int:
    """Incidents reported in ``[start, end)`` (and matching ``pred``)."""
    window = (pl.col("reported_at") >= _utc(start)) & (pl.col("reported_at") < _utc(end))
    if pred is not None:
        window &= pred
    return int(frame.select(window.sum()).item() or 0)


def month_windows(
    now: datetime, tz: str
) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """This month so far and the same part of last month, as local ``[start, end)`` pairs.

    This month runs from its first day to local midnight tonight; last month from its first
    day to the same day of the month and time of day as ``now`` (its end, if it is shorter).
    """
    local = now.astimezone(ZoneInfo(tz))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = midnight.replace(day=1)
    previous_start = (month_start - timedelta(days=1)).replace(day=1)
    previous_end = min(previous_start + (local - month_start), month_start)
    return (month_start, midnight + timedelta(days=1)), (previous_start, previous_end)


def compute_tiles(
    incidents: pl.DataFrame, checks: pl.DataFrame, now: datetime, tz: str
) -> tuple[Tile, ...]:
    """The wall's tiles (:data:`TILE_KEYS` order) for the incidents a scope may see.

    Parameters
    ----------
    incidents : polars.DataFrame
        Every incident of the scope (snapshot columns ``reported_at`` (UTC), ``risk_level``,
        ``closed_at``, ``warning_letter``, ``protection_order``).
    checks : polars.DataFrame
        The service-level checks of the same incidents at ``now``
        (:func:`measures.service.checks`).
    now : datetime
        Time-zone aware.
    tz : str
        The installation's time zone: "today" and "this month" are local.
    """
    if now.tzinfo is None:
        raise ValueError(f"'now' should be time-zone aware, got naive {now.isoformat()}")
    local = now.astimezone(ZoneInfo(tz))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    tonight = midnight + timedelta(days=1)
    yesterday = midnight - timedelta(days=1)
    week_start = local - timedelta(days=7)
    (month_start, month_end), (last_start, last_end) = month_windows(now, tz)

    open_high = (pl.col("risk_level") == "high") & service.open_at(now)
    letters = pl.col("warning_letter").fill_null(False).cast(pl.Boolean)
    orders = pl.col("protection_order").fill_null(False).cast(pl.Boolean)

    return (
        Tile(
            "today",
            _count(incidents, midnight, tonight),
            _count(incidents, yesterday, local - timedelta(days=1)),
        ),
        Tile(
            "week",
            _count(incidents, week_start, tonight),
            _count(incidents, week_start - timedelta(days=7), week_start),
        ),
        Tile(
            "high_risk_open",
            int(incidents.select(open_high.sum()).item() or 0),
            note=_count(incidents, midnight, tonight, open_high),
        ),
        Tile(
            "sla_breached",
            service.late_open(checks),
            note=service.due_soon_open(checks, now),
            parts=service.late_open_by_level(checks),
        ),
        Tile(
            "warning_letters",
            _count(incidents, month_start, month_end, letters),
            _count(incidents, last_start, last_end, letters),
        ),
        Tile(
            "protection_orders",
            _count(incidents, month_start, month_end, orders),
            _count(incidents, last_start, last_end, orders),
        ),
    )


def change(value: int, previous: int) -> Change:
    """The signed change from ``previous`` to ``value`` (``'+3'``, ``'−2'``, ``'0'``)."""
    diff = value - previous
    direction = "up" if diff > 0 else "down" if diff < 0 else "same"
    sign = "+" if diff > 0 else "−" if diff < 0 else ""
    difference = f"{sign}{abs(diff):,}"
    percent = ""
    if previous:
        pct = round(100 * abs(diff) / previous)
        percent = f"{sign}{pct:,}%"
    return Change(direction, difference, percent)


def newest(incidents: pl.DataFrame, n: int = NEWEST_LISTED) -> pl.DataFrame:
    """The ``n`` newest incidents, newest first (ties by id, so the order is stable)."""
    return incidents.sort(["reported_at", "id"], descending=True).head(n)


def pulsing(
    incidents: pl.DataFrame, now: datetime, hours: int = PULSE_HOURS, limit: int = PULSE_LIMIT
) -> pl.DataFrame:
    """Located incidents of the last ``hours`` (up to ``limit``, newest first): they pulse."""
    since = now.astimezone(ZoneInfo("UTC")) - timedelta(hours=hours)
    return newest(
        incidents.filter(
            (pl.col("reported_at") >= since)
            & pl.col("lat").is_not_null()
            & pl.col("lng").is_not_null()
        ),
        limit,
    )


def age_parts(then: datetime, now: datetime) -> tuple[str, int]:
    """How long ago ``then`` was, as a unit (``'minutes'``, ``'hours'``, ``'days'``) and a
    whole number of it (at least 0)."""
    minutes = max(0, int((now - then).total_seconds() // 60))
    if minutes < 60:
        return "minutes", minutes
    if minutes < 48 * 60:
        return "hours", minutes // 60
    return "days", minutes // (24 * 60)


def alerts(early_warning: pl.DataFrame, limit: int = TICKER_LIMIT) -> list[dict[str, object]]:
    """The ticker's entries: the top ``limit`` early-warning rows, highest priority first.

    Each is a dict of ``rank``, ``entry_id``, ``kind``, ``reasons`` (codes), ``station_code``,
    ``cell`` (an int H3 cell or None), ``incidents`` (how many incidents it rests on),
    ``incident_nos`` (their incident numbers), ``address`` (the entry's address key as the
    layer gave it: masked for a role without personal details) and ``community``.
    """
    if early_warning.is_empty():
        return []
    rows = early_warning.sort("rank").head(limit)
    return [
        {
            "rank": int(row["rank"]),
            "entry_id": row["entry_id"],
            "kind": row["kind"],
            "reasons": list(row["reasons"] or []),
            "station_code": row["station_code"],
            "cell": row["cell"],
            "incidents": len(row["incident_ids"] or []),
            "incident_nos": [str(i) for i in row["incident_ids"] or []],
            "address": row.get("address_key"),
            "community": row.get("community"),
        }
        for row in rows.iter_rows(named=True)
    ]


def case_target(entry: Mapping[str, object]) -> int | None:
    """The case an alert is about (``case:<id>`` and ``incident:<id>`` entries), else None."""
    entry_id = str(entry.get("entry_id") or "")
    for prefix in ("case:", "incident:"):
        if entry_id.startswith(prefix) and entry_id[len(prefix) :].isdigit():
            return int(entry_id[len(prefix) :])
    return None
