"""The numbers of the leadership review: periods, their comparison, and the station league table.

Pure functions on polars frames (no Dash, no database, no clock): the review page, the PDF
meeting pack and the Excel workbook all compute through here, so the three always agree.

Periods
-------
A review looks at one :class:`Period` (local dates, both inclusive): an ISO week (Monday to
Sunday), a calendar month, or a custom range. It is compared with the previous period of the
same length (the week, month or range just before) or with the same period a year earlier
(the same ISO week number, the same month, or the range shifted by a year). A comparison
period the data does not fully cover is reported as such (:func:`coverage`) and no change is
computed against it: an empty comparison never turns into "+∞ %".

The measures (per station, and over all of them)
------------------------------------------------
``incidents``
    Incidents reported in the period.
``handled_24h_share``
    Share of the period's cases handled within 24 hours: met ÷ judged checks of the
    24-hour handling level (:mod:`measures.service`; cases reported less than 24 h before
    ``now`` are not judged yet). A case closed without a handling time counts as handled
    when it was closed.
``median_days_to_close``
    Median days from report to closure of the period's cases closed by ``now``
    (``closed_at − reported_at``); open cases are not in it, so read it beside
    ``late_open``.
``sla_compliance``
    Share of the service-level checks of the period's cases that were met in time, over
    the three levels (handled in 24 h, closed in 15 days, 4 follow-up visits in 2 months),
    counting only checks whose deadline passed by ``now``: met ÷ (met + late)
    (:func:`measures.service.sla_compliance`).
``late_open``
    The period's cases still open at ``now`` with at least one late service level
    (:func:`measures.service.late_open`): the wall's tile counts the same, over every
    report date.
``visits_done``
    Follow-up visits made in the period (by visit date) to incidents of the station, whenever
    those were reported.
``repeat_share``
    Share of the period's incidents at a repeat address: an address (normalised address key)
    with at least :data:`REPEAT_MIN_INCIDENTS` incidents in the :data:`REPEAT_WINDOW_DAYS`
    days ending on the period's last day. Incidents without an address key count as not
    repeat.
``warning_letters``, ``protection_orders``
    Incidents of the period with a warning letter (告诫书) or a protection order (保护令).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from measures import service

__all__ = [
    "COMPARISONS",
    "LEAGUE_COLUMNS",
    "MEASURES",
    "PERIOD_KINDS",
    "Change",
    "Period",
    "change",
    "comparison_of",
    "comparison_trend",
    "coverage",
    "default_period",
    "heatmap",
    "in_period",
    "league_table",
    "measures",
    "period_of",
    "sort_league",
    "trend",
    "trend_every",
]

#: How a review period is chosen.
PERIOD_KINDS: tuple[str, ...] = ("week", "month", "custom")
#: What the period is compared with.
COMPARISONS: tuple[str, ...] = ("previous", "last_year")
#: An address with this many incidents in the window is a repeat address.
REPEAT_MIN_INCIDENTS = 2
#: Days (ending on the period's last day) in which incidents at one address are counted.
REPEAT_WINDOW_DAYS = 365
#: Periods up to this many days are charted per day, longer ones per ISO week.
DAILY_TREND_MAX_DAYS = 62
#: The measures, in the order the league table shows them.
MEASURES: tuple[str, ...] = (
    "incidents",
    "handled_24h_share",
    "median_days_to_close",
    "sla_compliance",
    "late_open",
    "visits_done",
    "repeat_share",
    "warning_letters",
    "protection_orders",
)
#: Columns of the league table: the station, its incidents and their change, then the rest.
LEAGUE_COLUMNS: tuple[str, ...] = (
    "station_code",
    "incidents",
    "change",
    "change_pct",
    *MEASURES[1:],
)
_SCHEMA: dict[str, pl.DataType] = {
    "incidents": pl.Int64,
    "handled_24h_share": pl.Float64,
    "median_days_to_close": pl.Float64,
    "sla_compliance": pl.Float64,
    "late_open": pl.Int64,
    "visits_done": pl.Int64,
    "repeat_share": pl.Float64,
    "warning_letters": pl.Int64,
    "protection_orders": pl.Int64,
}
_ALL = "_all"


@dataclass(frozen=True, order=True)
class Period:
    """Local dates ``start`` to ``end``, both inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"period start {self.start} is after its end {self.end}")

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Change:
    """A measure now and in the comparison period, and the difference.

    ``delta`` and ``pct`` are None when there is nothing to compare with (the comparison is
    unavailable or the value missing); ``pct`` also when the comparison value is 0.
    """

    current: float | None
    previous: float | None
    delta: float | None
    pct: float | None


def period_of(kind: str, day: date) -> Period:
    """The ISO week (``'week'``, Monday first) or calendar month (``'month'``) holding ``day``."""
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=6))
    if kind == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(day.replace(day=1), day.replace(day=last))
    raise ValueError(f"'kind' should be 'week' or 'month', got {kind!r}")


def _shift_year(day: date, years: int = -1) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def comparison_of(period: Period, kind: str, compare: str) -> Period:
    """The period ``period`` (of ``kind``) is compared with under ``compare``.

    ``previous``: the week, month or equally long range just before. ``last_year``: the same
    ISO week number (week 53 → week 52 when the year before has none), the same month, or the
    range shifted back by a year.
    """
    if compare not in COMPARISONS:
        raise ValueError(f"'compare' should be one of {COMPARISONS}, got {compare!r}")
    if compare == "previous":
        if kind == "month":
            return period_of("month", period.start - timedelta(days=1))
        return Period(period.start - timedelta(days=period.days), period.start - timedelta(days=1))
    if kind == "week":
        year, week, _ = period.start.isocalendar()
        weeks_before = date(year - 1, 12, 28).isocalendar()[1]
        start = date.fromisocalendar(year - 1, min(week, weeks_before), 1)
        return Period(start, start + timedelta(days=6))
    if kind == "month":
        return period_of("month", _shift_year(period.start))
    return Period(_shift_year(period.start), _shift_year(period.end))


def default_period(kind: str, extent: tuple[date, date] | None, today: date) -> Period:
    """The period a review opens on: the last complete week or month of the data.

    The week or month holding the newest incident's day when the data runs to its end, else
    the one before (a meeting reviews a finished period), unless that one lies before the
    data. A custom range defaults to the last 28 days of data. Without data, the period
    holding ``today``.
    """
    last = extent[1] if extent else today
    if kind == "custom":
        first = extent[0] if extent else last
        return Period(max(first, last - timedelta(days=27)), last)
    period = period_of(kind, last)
    if period.end > last:
        before = period_of(kind, period.start - timedelta(days=1))
        if extent is None or before.end >= extent[0]:
            period = before
    return period


def coverage(period: Period, extent: tuple[date, date] | None) -> str:
    """How far the data covers ``period``: ``'full'``, ``'partial'`` or ``'none'``.

    ``extent`` is the first and last day with incidents (None: no data at all).
    """
    if extent is None or period.end < extent[0] or period.start > extent[1]:
        return "none"
    if period.start < extent[0] or period.end > extent[1]:
        return "partial"
    return "full"


def change(current: float | None, previous: float | None, comparable: bool = True) -> Change:
    """``current`` against ``previous``: difference and percentage change (see :class:`Change`)."""
    if not comparable or current is None or previous is None:
        return Change(current, previous if comparable else None, None, None)
    delta = current - previous
    pct = None if previous == 0 else delta / previous * 100.0
    return Change(current, previous, delta, pct)


# -- frames -------------------------------------------------------------------------------------
def _local_day(column: str, tz: str) -> pl.Expr:
    return pl.col(column).dt.convert_time_zone(tz).dt.date()


def in_period(incidents: pl.DataFrame, period: Period, tz: str) -> pl.DataFrame:
    """The incidents reported on the local days of ``period``."""
    day = _local_day("reported_at", tz)
    return incidents.filter((day >= period.start) & (day <= period.end))


def _keys(by: str | None) -> list[str]:
    return [by] if by else [_ALL]


def _with_group(frame: pl.DataFrame, by: str | None) -> pl.DataFrame:
    return frame if by else frame.with_columns(pl.lit(_ALL).alias(_ALL))


def measures(
    incidents: pl.DataFrame,
    visits: pl.DataFrame | None,
    period: Period,
    now: datetime,
    tz: str,
    by: str | None = "station_code",
) -> pl.DataFrame:
    """The review's measures (module docstring) for ``period``, per ``by`` group or overall.

    Parameters
    ----------
    incidents : polars.DataFrame
        Incident frame (snapshot columns), at least the period and the
        :data:`REPEAT_WINDOW_DAYS` before its end, for the repeat-address share.
    visits : polars.DataFrame or None
        ``incident_id`` and ``visited_at`` (UTC) of follow-up visits, as
        :meth:`data.access.CaseAccess.follow_up_visits` returns them.
    period : Period
        The local days under review.
    now : datetime.datetime
        Time-zone aware; handling, closure and service levels are judged as of it.
    tz : str
        The installation's time zone (local days).
    by : str or None
        Grouping column (``station_code``), or None for one row over everything.

    Returns
    -------
    polars.DataFrame
        The ``by`` column (none when ``by`` is None) and :data:`MEASURES`; groups without
        incidents in the period are left out. Shares are fractions (0–1), null when nothing
        could be judged.
    """
    keys = _keys(by)
    sel = _with_group(in_period(incidents, period, tz), by)
    if sel.is_empty():
        return _empty(by)
    closed = pl.when(pl.col("closed_at") <= now).then(pl.col("closed_at"))
    base = sel.group_by(keys).agg(
        pl.len().cast(pl.Int64).alias("incidents"),
        ((closed - pl.col("reported_at")).dt.total_seconds().median() / 86400.0).alias(
            "median_days_to_close"
        ),
        pl.col("warning_letter").fill_null(False).sum().cast(pl.Int64).alias("warning_letters"),
        pl.col("protection_order").fill_null(False).sum().cast(pl.Int64).alias("protection_orders"),
    )
    extra = tuple(k for k in keys if k != "station_code")
    levels = service.share_by(service.checks(sel, visits, now, extra=extra), keys)
    out = (
        base.join(levels, on=keys, how="left")
        .join(_visits_done(incidents, visits, period, tz, by), on=keys, how="left")
        .join(_repeat_share(incidents, sel, period, tz, by), on=keys, how="left")
        .with_columns(
            pl.col("visits_done").fill_null(0),
            pl.col("repeat_share").fill_null(0.0),
            pl.col("late_open").fill_null(0),
        )
    )
    columns = [by] if by else []
    return out.select(*columns, *[pl.col(m).cast(_SCHEMA[m]) for m in MEASURES]).sort(
        columns or "incidents"
    )


def _empty(by: str | None) -> pl.DataFrame:
    schema = ({by: pl.String} if by else {}) | _SCHEMA
    return pl.DataFrame(schema=schema)


def _visits_done(
    incidents: pl.DataFrame,
    visits: pl.DataFrame | None,
    period: Period,
    tz: str,
    by: str | None,
) -> pl.DataFrame:
    keys = _keys(by)
    schema = {keys[0]: pl.String, "visits_done": pl.Int64}
    if visits is None or visits.is_empty():
        return pl.DataFrame(schema=schema)
    day = _local_day("visited_at", tz)
    made = visits.filter((day >= period.start) & (day <= period.end))
    owners = _with_group(incidents, by).select(pl.col("id").alias("incident_id"), *keys)
    return (
        made.join(owners, on="incident_id", how="inner")
        .group_by(keys)
        .agg(pl.len().cast(pl.Int64).alias("visits_done"))
    )


def _repeat_share(
    incidents: pl.DataFrame, sel: pl.DataFrame, period: Period, tz: str, by: str | None
) -> pl.DataFrame:
    keys = _keys(by)
    window = Period(period.end - timedelta(days=REPEAT_WINDOW_DAYS - 1), period.end)
    counts = (
        in_period(incidents, window, tz)
        .filter(pl.col("address_key").is_not_null())
        .group_by("address_key")
        .agg(pl.len().alias("_n"))
    )
    return (
        sel.join(counts, on="address_key", how="left")
        .group_by(keys)
        .agg(
            ((pl.col("_n").fill_null(0) >= REPEAT_MIN_INCIDENTS).sum() / pl.len()).alias(
                "repeat_share"
            )
        )
    )


def league_table(
    current: pl.DataFrame,
    comparison: pl.DataFrame | None,
    stations: Sequence[str],
) -> pl.DataFrame:
    """One row per station of ``stations`` (in that order): :data:`LEAGUE_COLUMNS`.

    ``current`` and ``comparison`` are :func:`measures` per ``station_code``; ``comparison``
    is None when the comparison period is not covered by the data, and then ``change`` and
    ``change_pct`` are null. A station without incidents shows 0 incidents and null shares.
    ``change_pct`` is in percent, null when the comparison had no incidents.
    """
    frame = pl.DataFrame({"station_code": list(stations)}, schema={"station_code": pl.String})
    frame = frame.join(current, on="station_code", how="left").with_columns(
        pl.col("incidents").fill_null(0),
        pl.col("visits_done").fill_null(0),
        pl.col("warning_letters").fill_null(0),
        pl.col("protection_orders").fill_null(0),
        pl.col("late_open").fill_null(0),
    )
    if comparison is None:
        frame = frame.with_columns(
            pl.lit(None, pl.Int64).alias("change"), pl.lit(None, pl.Float64).alias("change_pct")
        )
    else:
        before = comparison.select("station_code", pl.col("incidents").alias("_before"))
        frame = (
            frame.join(before, on="station_code", how="left")
            .with_columns(pl.col("_before").fill_null(0))
            .with_columns(
                (pl.col("incidents") - pl.col("_before")).alias("change"),
                pl.when(pl.col("_before") > 0)
                .then((pl.col("incidents") - pl.col("_before")) / pl.col("_before") * 100.0)
                .otherwise(None)
                .alias("change_pct"),
            )
        )
    return frame.select(LEAGUE_COLUMNS)


def sort_league(frame: pl.DataFrame, column: str, descending: bool) -> pl.DataFrame:
    """The league table ordered by ``column`` (missing values last, then by station code)."""
    if column not in frame.columns:
        raise ValueError(f"cannot sort the league table by {column!r}")
    return frame.sort([column, "station_code"], descending=[descending, False], nulls_last=True)


def trend_every(period: Period) -> str:
    """``'1d'`` for periods up to :data:`DAILY_TREND_MAX_DAYS` days, else ``'1w'``."""
    return "1d" if period.days <= DAILY_TREND_MAX_DAYS else "1w"


def trend(incidents: pl.DataFrame, period: Period, tz: str, column: str) -> pl.DataFrame:
    """Incidents of ``period`` per day or ISO week (:func:`trend_every`) and ``column`` value.

    Columns ``period`` (date: the day, or the Monday of the week), ``code`` and ``count``;
    every day (or week) of the period appears for every code present, with 0 when quiet.
    """
    every = trend_every(period)
    sel = in_period(incidents, period, tz).select(
        _local_day("reported_at", tz).dt.truncate(every).alias("period"),
        pl.col(column).fill_null("other").alias("code"),
    )
    schema = {"period": pl.Date, "code": pl.String, "count": pl.Int64}
    if sel.is_empty():
        return pl.DataFrame(schema=schema)
    counts = sel.group_by("period", "code").agg(pl.len().cast(pl.Int64).alias("count"))
    days = pl.date_range(period.start, period.end, interval="1d", eager=True)
    grid = pl.DataFrame({"period": days.dt.truncate(every).unique().sort()}).join(
        counts.select("code").unique(), how="cross"
    )
    return (
        grid.join(counts, on=["period", "code"], how="left")
        .with_columns(pl.col("count").fill_null(0).cast(pl.Int64))
        .sort("period", "code")
    )


def comparison_trend(
    incidents: pl.DataFrame, period: Period, other: Period, tz: str
) -> pl.DataFrame:
    """All incidents of ``other`` per step (day or week of ``period``'s :func:`trend_every`),
    placed on the step of ``period`` at the same position: the comparison line of a trend.

    Columns ``period`` (the step of ``period`` it is drawn at), ``compared`` (the step of
    ``other`` it counts) and ``count``. The n-th day (or week) of ``other`` faces the n-th of
    ``period``; steps beyond the shorter of the two are left out.
    """
    every = trend_every(period)
    schema = {"period": pl.Date, "compared": pl.Date, "count": pl.Int64}

    def steps(p: Period) -> list[date]:
        days = pl.date_range(p.start, p.end, interval="1d", eager=True)
        return days.dt.truncate(every).unique().sort().to_list()

    ours, theirs = steps(period), steps(other)
    counts = dict(
        in_period(incidents, other, tz)
        .group_by(_local_day("reported_at", tz).dt.truncate(every).alias("step"))
        .agg(pl.len().cast(pl.Int64))
        .iter_rows()
    )
    rows = [(a, b, int(counts.get(b, 0))) for a, b in zip(ours, theirs, strict=False)]
    return pl.DataFrame(rows, schema=schema, orient="row")


def heatmap(incidents: pl.DataFrame, period: Period, tz: str) -> np.ndarray:
    """Incidents of ``period`` by local weekday (rows, Monday first) and hour (columns): 7×24."""
    local = in_period(incidents, period, tz).select(
        pl.col("reported_at").dt.convert_time_zone(tz).alias("t")
    )
    grid = np.zeros((7, 24), dtype=np.int64)
    if local.is_empty():
        return grid
    counts = local.group_by(
        (pl.col("t").dt.weekday() - 1).alias("d"), pl.col("t").dt.hour().alias("h")
    ).agg(pl.len().alias("n"))
    for d, h, n in counts.iter_rows():
        grid[int(d), int(h)] = int(n)
    return grid
