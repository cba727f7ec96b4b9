"""Service levels: which cases are past, or close to, the deadlines the district publishes.

The service levels
------------------
Bao'an publishes (DESIGN.md): dispatch within 2 seconds, handled within 24 hours, protection
order within 24 hours, closed within 15 days, 4 follow-up visits within 2 months. The three a
case's own times can judge are judged here (``data.vocab`` holds the numbers):

=====================  ==============================  ========================================
``sla``                deadline ``due_at``             met when
=====================  ==============================  ========================================
``handled_24h``        ``reported_at + 24 h``          handled at or before the deadline; a case
                                                       closed without a handling time counts as
                                                       handled when it was closed
``closed_15d``         ``reported_at + 15 days``       ``closed_at`` at or before the deadline
``follow_up_4_in_2m``  ``reported_at + 61 days``       the 4th follow-up visit at or before the
                                                       deadline
=====================  ==============================  ========================================

Exactly on the deadline is in time: handled after exactly 24 h meets the level, after 24 h and
one microsecond breaks it. "Two months" is :data:`data.vocab.SLA_FOLLOW_UP_WINDOW_DAYS` (61)
days.

As of ``now``
-------------
Only what has happened by ``now`` counts: a handling, closure or visit stamped after ``now`` is
treated as not having happened yet, and incidents reported after ``now`` are left out, so the
layer gives the same answer for a past ``now`` as it gave then. Times, not the ``status``
column, decide (``status`` is copied to the output as the case's current status). Visits
before ``reported_at`` are ignored (they cannot belong to this case), and visits of one case
at the same instant count once (an imported duplicate, not two visits).

Which cases need follow-up visits
---------------------------------
Every domestic-violence, child-abuse and elder-abuse case, and every high- or medium-risk case
of any category (:data:`FOLLOW_UP_CATEGORIES`, :data:`FOLLOW_UP_RISK_LEVELS`): the risk grading
"decides follow-up intensity" and abuse of a dependant is followed up whatever its grade. A
low-risk relationship, family or other dispute is not judged on visits.

States
------
* ``breached``: the deadline has passed and the level was not met by it — met late, or not yet
  met. ``overdue_hours = (time it was met, or now if not yet) - due_at`` (> 0).
* ``due_soon``: not met yet, the deadline not passed, and at most the due-soon window away:
  :data:`DUE_SOON_HANDLED_HOURS` (6 h, a quarter of the 24 h, so a new case is not "due soon"
  the moment it arrives), :data:`DUE_SOON_CLOSED_DAYS` and :data:`DUE_SOON_FOLLOW_UP_DAYS`
  (3 days). ``overdue_hours = now - due_at`` (<= 0: minus the hours left).

A level met in time gives no row: a closed case that met all its levels yields nothing.

Which cases :func:`compute` lists
---------------------------------
Rows in either state, for cases *open* at ``now`` (not closed by then), and for closed cases
whose closure or deadline fell within the last ``recent_days`` (:data:`RECENT_DAYS`, 7) — a
case closed late last week is still news; one closed late last year is the business of
:func:`compliance`.

:func:`compliance` gives per group the share of cases meeting each level, judged only on cases
old enough to judge (deadline passed by ``now``), so that young cases, which can only have met
a level early, do not flatter the share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from data.vocab import (
    SLA_CLOSED_HOURS,
    SLA_FOLLOW_UP_VISITS,
    SLA_FOLLOW_UP_WINDOW_DAYS,
    SLA_HANDLED_HOURS,
)

__all__ = [
    "CHECK_STATES",
    "DUE_SOON_CLOSED_DAYS",
    "DUE_SOON_FOLLOW_UP_DAYS",
    "DUE_SOON_HANDLED_HOURS",
    "FOLLOW_UP_CATEGORIES",
    "FOLLOW_UP_RISK_LEVELS",
    "LAYER_ID",
    "OUTPUT_SCHEMA",
    "RECENT_DAYS",
    "REQUIRED_COLUMNS",
    "SLAS",
    "STATES",
    "VISIT_COLUMNS",
    "ServiceLevelParams",
    "check_now",
    "checks",
    "compliance",
    "compute",
]

#: Stable id of this layer in the layer registry.
LAYER_ID = "service_levels"
#: The service levels judged, in the order rows are listed.
SLAS: tuple[str, ...] = ("handled_24h", "closed_15d", "follow_up_4_in_2m")
#: States a listed service level can be in, most urgent first.
STATES: tuple[str, ...] = ("breached", "due_soon")
#: A case not handled this close to its 24-hour deadline is due soon.
DUE_SOON_HANDLED_HOURS = 6.0
#: A case not closed this close to its 15-day deadline is due soon.
DUE_SOON_CLOSED_DAYS = 3.0
#: A case short of its 4 visits this close to the end of its 2-month window is due soon.
DUE_SOON_FOLLOW_UP_DAYS = 3.0
#: Closed cases are listed while their closure or deadline is at most this many days old.
RECENT_DAYS = 7.0
#: Categories followed up whatever their risk level.
FOLLOW_UP_CATEGORIES: tuple[str, ...] = ("domestic_violence", "child_abuse", "elder_abuse")
#: Risk levels followed up whatever their category.
FOLLOW_UP_RISK_LEVELS: tuple[str, ...] = ("high", "medium")

#: Incident columns both functions read.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "id",
    "incident_no",
    "station_code",
    "category",
    "risk_level",
    "status",
    "reported_at",
    "handled_at",
    "closed_at",
)
_TEXT_COLUMNS = ("incident_no", "station_code", "category", "risk_level", "status")
#: Columns of the visits frame: the incident's ``id`` and the visit time.
VISIT_COLUMNS: tuple[str, ...] = ("incident_id", "visited_at")

_UTC = pl.Datetime("us", "UTC")
_HOUR_US = 3_600_000_000
_DEADLINES: dict[str, timedelta] = {
    "handled_24h": timedelta(hours=SLA_HANDLED_HOURS),
    "closed_15d": timedelta(hours=SLA_CLOSED_HOURS),
    "follow_up_4_in_2m": timedelta(days=SLA_FOLLOW_UP_WINDOW_DAYS),
}

#: Columns of the frame :func:`compute` returns, in order. ``visits_in_window`` is the number of
#: visits so far inside the 2-month window (follow-up rows only, else null).
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "incident_id": pl.Int64,
    "incident_no": pl.String,
    "station_code": pl.String,
    "category": pl.String,
    "risk_level": pl.String,
    "status": pl.String,
    "reported_at": _UTC,
    "sla": pl.String,
    "state": pl.String,
    "due_at": _UTC,
    "overdue_hours": pl.Float64,
    "visits_in_window": pl.UInt32,
}


@dataclass(frozen=True)
class ServiceLevelParams:
    """Parameters of the service-level layer (the deadlines themselves are ``data.vocab``'s).

    Parameters
    ----------
    due_soon_handled_hours : float
        A case not yet handled is due soon this many hours before its 24-hour deadline.
    due_soon_closed_days : float
        A case not yet closed is due soon this many days before its 15-day deadline.
    due_soon_follow_up_days : float
        A case short of 4 visits is due soon this many days before its 2-month deadline.
    recent_days : float
        :func:`compute` lists a closed case while its closure or the deadline is at most
        this many days before ``now``.
    follow_up_categories, follow_up_risk_levels : tuple of str
        A case needs follow-up visits when its category is in the first or its risk level in
        the second.
    """

    due_soon_handled_hours: float = DUE_SOON_HANDLED_HOURS
    due_soon_closed_days: float = DUE_SOON_CLOSED_DAYS
    due_soon_follow_up_days: float = DUE_SOON_FOLLOW_UP_DAYS
    recent_days: float = RECENT_DAYS
    follow_up_categories: tuple[str, ...] = FOLLOW_UP_CATEGORIES
    follow_up_risk_levels: tuple[str, ...] = FOLLOW_UP_RISK_LEVELS

    def __post_init__(self) -> None:
        for name in (
            "due_soon_handled_hours",
            "due_soon_closed_days",
            "due_soon_follow_up_days",
            "recent_days",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"'{name}' should be a number >= 0, got {value!r}")
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"'{name}' should be a number >= 0, got {value!r}")
        for name in ("follow_up_categories", "follow_up_risk_levels"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"'{name}' should be a tuple of str, got {value!r}")

    def due_soon_window(self, sla: str) -> timedelta:
        """How long before the deadline of ``sla`` an unmet level is due soon."""
        return {
            "handled_24h": timedelta(hours=self.due_soon_handled_hours),
            "closed_15d": timedelta(days=self.due_soon_closed_days),
            "follow_up_4_in_2m": timedelta(days=self.due_soon_follow_up_days),
        }[sla]


def compute(
    incidents: pl.DataFrame,
    visits: pl.DataFrame | None,
    now: datetime,
    params: ServiceLevelParams | None = None,
) -> pl.DataFrame:
    """List the service levels that open and recently closed cases breached or soon will.

    Parameters
    ----------
    incidents : polars.DataFrame
        Incident frame (``data.frames``) with the columns of :data:`REQUIRED_COLUMNS`; times
        are datetimes (naive ones are read as UTC). ``id`` is the incident id visits refer to.
    visits : polars.DataFrame or None
        Follow-up visits: ``incident_id`` (the incident's ``id``) and ``visited_at``. ``None``
        means no visits at all.
    now : datetime.datetime
        Time-zone aware; the moment the levels are judged at.
    params : ServiceLevelParams, optional
        Due-soon windows, the recent-closure window and who needs follow-up; defaults above.

    Returns
    -------
    polars.DataFrame
        One row per (case, level) in state ``breached`` or ``due_soon`` (module docstring),
        with the columns of :data:`OUTPUT_SCHEMA`; breached first, then most overdue, then
        ``incident_id``, then the level in :data:`SLAS` order.

    Raises
    ------
    TypeError
        If a frame is not a polars DataFrame or ``now`` is not a datetime.
    ValueError
        If a column is missing or a time column is not a datetime, or ``now`` is naive.
    """
    params = params or ServiceLevelParams()
    now = check_now(now)
    frame = _evaluate(incidents, visits, now, params)
    recent = now - timedelta(days=params.recent_days)
    parts = []
    for sla in SLAS:
        due, met = pl.col(f"_{sla}_due"), pl.col(f"_{sla}_met")
        breached = (met.is_not_null() & (met > due)) | (met.is_null() & (due < now))
        due_soon = met.is_null() & (due >= now) & (due - now <= params.due_soon_window(sla))
        listed = pl.col("_closed").is_null() | (pl.max_horizontal("_closed", due) >= recent)
        parts.append(
            frame.filter(pl.col(f"_{sla}_applies") & (breached | due_soon) & listed).select(
                pl.col("id").alias("incident_id"),
                "incident_no",
                "station_code",
                "category",
                "risk_level",
                "status",
                "reported_at",
                pl.lit(sla, pl.String).alias("sla"),
                pl.when(breached)
                .then(pl.lit("breached"))
                .otherwise(pl.lit("due_soon"))
                .alias("state"),
                due.alias("due_at"),
                _hours(pl.coalesce(met, pl.lit(now, _UTC)) - due).alias("overdue_hours"),
                (
                    pl.col("_visits") if sla == "follow_up_4_in_2m" else pl.lit(None, pl.UInt32)
                ).alias("visits_in_window"),
                pl.lit(SLAS.index(sla), pl.Int8).alias("_sla_order"),
            )
        )
    return (
        pl.concat(parts, how="vertical")
        .sort(
            [pl.col("state") != "breached", "overdue_hours", "incident_id", "_sla_order"],
            descending=[False, True, False, False],
        )
        .select([pl.col(c).cast(t) for c, t in OUTPUT_SCHEMA.items()])
        .collect()
    )


def compliance(
    incidents: pl.DataFrame,
    visits: pl.DataFrame | None,
    now: datetime,
    by: str | Sequence[str] | None = "station_code",
    params: ServiceLevelParams | None = None,
) -> pl.DataFrame:
    """Share of cases meeting each service level, per group (the league table's numbers).

    Parameters
    ----------
    incidents : polars.DataFrame
        As for :func:`compute`; the caller restricts it to the period under review (by
        ``reported_at``), plus any columns named in ``by``.
    visits : polars.DataFrame or None
        As for :func:`compute`.
    now : datetime.datetime
        Time-zone aware; the moment the levels are judged at.
    by : str, sequence of str or None
        Grouping column(s), ``station_code`` by default; ``None`` for one row over all cases.
    params : ServiceLevelParams, optional
        Only who needs follow-up is read from it.

    Returns
    -------
    polars.DataFrame
        One row per group, sorted by the group columns (nulls last):

        * the ``by`` columns; ``incidents``: cases reported by ``now``; ``open_cases``: those
          not closed by ``now``;
        * for each level ``<sla>`` of :data:`SLAS`: ``<sla>_judged``, the cases old enough to
          judge (the level applies and its deadline passed by ``now``, so the outcome is
          final); ``<sla>_met``, those of them that met it in time; ``<sla>_share``,
          met / judged (null when nothing could be judged);
        * ``median_hours_to_close``: median hours from report to closure of the cases closed
          by ``now`` (open cases are not in it, so it flatters a group with many open cases;
          read it beside ``open_cases``).

    Raises
    ------
    TypeError, ValueError
        As for :func:`compute`, and when a ``by`` column is missing.
    """
    params = params or ServiceLevelParams()
    now = check_now(now)
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    if isinstance(incidents, pl.DataFrame):
        missing = [k for k in keys if k not in incidents.columns]
        if missing:
            raise ValueError(f"incident frame lacks 'by' column(s): {', '.join(missing)}")
    frame = _evaluate(incidents, visits, now, params, extra=keys)
    aggs: list[pl.Expr] = [
        pl.len().cast(pl.UInt32).alias("incidents"),
        pl.col("_closed").is_null().sum().cast(pl.UInt32).alias("open_cases"),
    ]
    for sla in SLAS:
        due, met = pl.col(f"_{sla}_due"), pl.col(f"_{sla}_met")
        judged = pl.col(f"_{sla}_applies") & (due <= now)
        in_time = judged & met.is_not_null() & (met <= due)
        aggs += [
            judged.sum().cast(pl.UInt32).alias(f"{sla}_judged"),
            in_time.sum().cast(pl.UInt32).alias(f"{sla}_met"),
        ]
    aggs.append(
        _hours(pl.col("_closed") - pl.col("reported_at")).median().alias("median_hours_to_close")
    )
    grouped = frame.group_by(keys).agg(aggs) if keys else frame.select(aggs)
    shares = [
        pl.when(pl.col(f"{sla}_judged") > 0)
        .then(pl.col(f"{sla}_met") / pl.col(f"{sla}_judged"))
        .otherwise(None)
        .cast(pl.Float64)
        .alias(f"{sla}_share")
        for sla in SLAS
    ]
    order = [
        *keys,
        "incidents",
        "open_cases",
        *[f"{sla}_{part}" for sla in SLAS for part in ("judged", "met", "share")],
        "median_hours_to_close",
    ]
    result = grouped.with_columns(shares).select(order)
    if keys:
        result = result.sort(keys, nulls_last=True)
    return result.collect()


#: States of one (case, level) check as of ``now`` (:func:`checks`).
CHECK_STATES: tuple[str, ...] = ("met", "late", "pending")


def checks(
    incidents: pl.DataFrame,
    visits: pl.DataFrame | None,
    now: datetime,
    extra: Sequence[str] = (),
    params: ServiceLevelParams | None = None,
) -> pl.DataFrame:
    """Every service-level check as of ``now``: one row per case reported by ``now`` and level
    that applies to it, with its outcome (the one judgement both the wall and the review count).

    ``state`` is

    * ``met``: the deadline passed by ``now`` and the level was met at or before it;
    * ``late``: the deadline passed (strictly before ``now``) and the level was not met by it,
      met late or not met yet (exactly :func:`compute`'s ``breached``);
    * ``pending``: the deadline has not passed (met early or not yet): not judged yet.

    Columns: ``incident_id``, ``incident_no``, ``station_code``, ``category``, ``risk_level``,
    ``status`` (current), ``reported_at``, ``open`` (not closed by ``now``), ``sla``,
    ``due_at``, ``met_at`` (null: not met by ``now``), ``state``, ``visits_in_window`` (the
    follow-up level's visits so far inside its window, else null), then the ``extra`` incident
    columns. Sorted by ``incident_id`` and level (:data:`SLAS` order).
    """
    params = params or ServiceLevelParams()
    now = check_now(now)
    extra = [c for c in extra if c not in REQUIRED_COLUMNS]
    if isinstance(incidents, pl.DataFrame):
        missing = [c for c in extra if c not in incidents.columns]
        if missing:
            raise ValueError(f"incident frame lacks column(s): {', '.join(missing)}")
    frame = _evaluate(incidents, visits, now, params, extra=extra)
    parts = []
    for sla in SLAS:
        due, met = pl.col(f"_{sla}_due"), pl.col(f"_{sla}_met")
        in_time = met.is_not_null() & (met <= due) & (due <= now)
        late = (due < now) & (met.is_null() | (met > due))
        parts.append(
            frame.filter(pl.col(f"_{sla}_applies")).select(
                pl.col("id").alias("incident_id"),
                "incident_no",
                "station_code",
                "category",
                "risk_level",
                "status",
                "reported_at",
                pl.col("_closed").is_null().alias("open"),
                pl.lit(sla, pl.String).alias("sla"),
                due.alias("due_at"),
                met.alias("met_at"),
                pl.when(in_time)
                .then(pl.lit("met"))
                .when(late)
                .then(pl.lit("late"))
                .otherwise(pl.lit("pending"))
                .alias("state"),
                (
                    pl.col("_visits") if sla == "follow_up_4_in_2m" else pl.lit(None, pl.UInt32)
                ).alias("visits_in_window"),
                *extra,
                pl.lit(SLAS.index(sla), pl.Int8).alias("_sla_order"),
            )
        )
    out = pl.concat(parts, how="vertical").sort("incident_id", "_sla_order").drop("_sla_order")
    return out.with_columns(
        pl.col("due_at", "met_at").cast(_UTC), pl.col("visits_in_window").cast(pl.UInt32)
    ).collect()


def check_now(now: datetime) -> datetime:
    """Return ``now`` in UTC, or say why it is not a time-zone-aware datetime.

    Raises
    ------
    TypeError
        If ``now`` is not a datetime.
    ValueError
        If ``now`` is naive.
    """
    if not isinstance(now, datetime):
        raise TypeError(f"'now' should be a datetime, got {type(now).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"'now' should be time-zone aware, got naive {now.isoformat()}")
    return now.astimezone(UTC)


# --------------------------------------------------------------------------------- internals


def _evaluate(
    incidents: pl.DataFrame,
    visits: pl.DataFrame | None,
    now: datetime,
    params: ServiceLevelParams,
    extra: Sequence[str] = (),
) -> pl.LazyFrame:
    """One row per case reported by ``now``: per level whether it applies, deadline, met time.

    ``_<sla>_met`` is when the level was met as of ``now`` (null if not yet): the handling
    (or else closure) time, the closure time, the 4th distinct visit at or after the report.
    ``_closed`` is the closure time as of ``now``; ``_visits`` the visits in the 2-month
    window so far.
    """
    frame = _check_incidents(incidents)
    visit_frame = _check_visits(visits)

    def as_of(column: str) -> pl.Expr:
        return pl.when(pl.col(column) <= now).then(pl.col(column))

    cases = (
        frame.lazy()
        .select(
            pl.col("id").cast(pl.Int64),
            *[pl.col(c).cast(pl.String) for c in _TEXT_COLUMNS],
            *[_to_utc(c, frame.schema[c]) for c in ("reported_at", "handled_at", "closed_at")],
            *[pl.col(c) for c in extra if c not in REQUIRED_COLUMNS],
        )
        .filter(pl.col("reported_at").is_not_null() & (pl.col("reported_at") <= now))
        .with_columns(
            pl.min_horizontal(as_of("handled_at"), as_of("closed_at")).alias("_handled"),
            as_of("closed_at").alias("_closed"),
            *[(pl.col("reported_at") + _DEADLINES[s]).alias(f"_{s}_due") for s in SLAS],
        )
    )
    follow_up_window = _DEADLINES["follow_up_4_in_2m"]
    seen = (
        visit_frame.lazy()
        .select(
            pl.col("incident_id").cast(pl.Int64),
            _to_utc("visited_at", visit_frame.schema["visited_at"]),
        )
        .filter(pl.col("visited_at").is_not_null() & (pl.col("visited_at") <= now))
        .unique()
        .join(cases.select(pl.col("id").alias("incident_id"), "reported_at"), on="incident_id")
        .filter(pl.col("visited_at") >= pl.col("reported_at"))
        .group_by("incident_id")
        .agg(
            pl.col("visited_at")
            .sort()
            .get(SLA_FOLLOW_UP_VISITS - 1, null_on_oob=True)
            .alias("_fourth_visit"),
            (pl.col("visited_at") <= pl.col("reported_at") + follow_up_window)
            .sum()
            .cast(pl.UInt32)
            .alias("_visits"),
        )
    )
    needs_follow_up = pl.col("category").is_in(list(params.follow_up_categories)) | pl.col(
        "risk_level"
    ).is_in(list(params.follow_up_risk_levels))
    return cases.join(seen, left_on="id", right_on="incident_id", how="left").with_columns(
        pl.col("_visits").fill_null(0),
        pl.lit(True).alias("_handled_24h_applies"),
        pl.col("_handled").alias("_handled_24h_met"),
        pl.lit(True).alias("_closed_15d_applies"),
        pl.col("_closed").alias("_closed_15d_met"),
        needs_follow_up.fill_null(False).alias("_follow_up_4_in_2m_applies"),
        pl.col("_fourth_visit").alias("_follow_up_4_in_2m_met"),
    )


def _check_incidents(incidents: pl.DataFrame) -> pl.DataFrame:
    if not isinstance(incidents, pl.DataFrame):
        raise TypeError(f"'incidents' should be a polars DataFrame, got {type(incidents).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in incidents.columns]
    if missing:
        raise ValueError(f"incident frame lacks columns: {', '.join(missing)}")
    for column in ("reported_at", "handled_at", "closed_at"):
        _check_datetime(incidents, column, "incident frame")
    return incidents


def _check_visits(visits: pl.DataFrame | None) -> pl.DataFrame:
    if visits is None:
        return pl.DataFrame(schema={"incident_id": pl.Int64, "visited_at": _UTC})
    if not isinstance(visits, pl.DataFrame):
        raise TypeError(f"'visits' should be a polars DataFrame, got {type(visits).__name__}")
    missing = [c for c in VISIT_COLUMNS if c not in visits.columns]
    if missing:
        raise ValueError(f"visits frame lacks columns: {', '.join(missing)}")
    _check_datetime(visits, "visited_at", "visits frame")
    return visits


def _check_datetime(frame: pl.DataFrame, column: str, what: str) -> None:
    dtype = frame.schema[column]
    # An all-null column built without a schema has dtype Null: no times, nothing to check.
    if not isinstance(dtype, pl.Datetime | pl.Null):
        raise ValueError(f"{what} column '{column}' should be a Datetime, got {dtype}")


def _to_utc(column: str, dtype: pl.DataType) -> pl.Expr:
    """The column as ``Datetime('us', 'UTC')``; a naive column is read as UTC."""
    if not isinstance(dtype, pl.Datetime):
        return pl.col(column).cast(_UTC)
    expr = pl.col(column).cast(pl.Datetime("us", dtype.time_zone))
    if dtype.time_zone is None:
        return expr.dt.replace_time_zone("UTC")
    return expr.dt.convert_time_zone("UTC")


def _hours(duration: pl.Expr) -> pl.Expr:
    return duration.dt.total_microseconds() / _HOUR_US
