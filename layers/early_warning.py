"""Early warning: one ranked list of what needs attention now, each entry with its reasons.

For the station chief and the command center (Hunan's 智能风险预警: high-incidence areas and
compounds, repeat callers, special circumstances). Every entry carries *reason codes* — the UI
translates them — and a ``detail`` struct of numbers behind them (never sentences).

Entries and their reasons
-------------------------
"The last N days" is always ``now - N days <= reported_at <= now``; incidents reported after
``now`` do not exist yet. Histories are read over the *lookback* window, the last
``lookback_days`` (365).

**Places: households and repeat addresses** (``kind`` ``'household'`` or ``'address'``). An
*address* is an address of ``layers.repeat_addresses`` (same key, snapped within 100 m; its
``address_id``), and every reason about a household is attached to an address, so one place
gives one entry with all its reasons:

* ``escalating``: the address's incidents in the lookback window escalate (the test of
  :func:`layers.repeat_addresses.escalation_expr`: the gaps shrink significantly, one-sided
  5 % — one trendless history in twenty is flagged by chance; it takes at least five
  incidents) and its latest incident lies within the last
  ``escalation_active_days`` (90): an escalation that stopped months ago is history, not a
  warning.
* ``escalating_victim``: the same rule over one victim's incidents
  (``layers.repeat_people``, the pseudonymous ``victim_key``), wherever they happened — a
  victim who moved keeps one history. Attached to the address of the victim's latest
  incident.
* ``high_risk_recent``: a high-risk incident within the last ``high_risk_days`` (30) at a
  *repeat* address (two or more incidents in the lookback window), or after a *prior warning
  letter* (告诫书): an earlier incident, at any time before it, with a warning letter and the
  same address key, victim key or offender key (a letter is served on the offender; a new
  high-risk incident after one is the clearest sign it did not work).
* ``repeat_new_incident``: a repeat address (two or more incidents in the lookback window)
  with an incident within the last ``new_incident_days`` (7).

An entry is a ``'household'`` when it has one of the first three reasons, else an
``'address'``. A reason whose incident has no address key is attached to the victim
(``victim:<key>``), else to the incident itself (``incident:<id>``).

**Compounds** (``kind`` ``'compound'``, reason ``count_jump``): a compound is a community
within one station's jurisdiction (``station_code``, ``community``), or, for incidents without
a community, an H3 cell of resolution ``compound_cell_resolution`` (8, ~0.7 km²) within it.
Time is cut into windows of ``compound_window_days`` (28) back from ``now``: window 0 is
``[now - 28 d, now]``, window ``j`` is ``[now - (j + 1) 28 d, now - j 28 d)``. The count ``k``
of window 0 is tested against the mean ``mu`` of the ``compound_baseline_windows`` (6) windows
before it: the compound jumped when ``k >= compound_min_count`` (5) and
``P(X >= k | Poisson(mu)) = poisson.sf(k - 1, mu) < compound_p_value`` (0.01). ``mu`` is
floored at ``compound_min_baseline_mean`` (0.5), so a compound with no past still needs
``compound_min_count`` incidents and a small p. Only baseline windows that start on or after
the first incident of the input count (so a frame that starts 100 days ago has 2 baseline
windows, not 6 with zeros); with none, no compound is tested. Each compound is tested on its
own: with a few hundred compounds at 0.01, a few jumps a month are expected by chance.

**Cases** (``kind`` ``'case'``): cases, open or closed, past a service level
(``layers.service_levels``: handled in 24 h, closed in 15 days, 4 visits in 2 months) whose
deadline fell within the last ``sla_lookback_days`` (30) — reasons ``sla_breached_<sla>``.
Older breaches are the backlog that :func:`layers.service_levels.compliance` reports, not a
warning.

Priority
--------
``score = 1000 * tier + term`` with ``term`` in ``[0, 999]``:

==== ================================================  =========================================
tier entries                                           term
==== ================================================  =========================================
5    household: ``high_risk_recent`` and an             ``100 * len(reasons) + min(incidents,
     escalation reason                                  99)``
4    other households                                   as tier 5
3    cases past a service level                         the largest ``overdue_hours``, at most
                                                        999
2    repeat addresses with a new incident               as tier 5
1    compounds whose count jumped                       ``10 * -log10(p_value)``, at most 999
==== ================================================  =========================================

Two lists
---------
Risk and service are ranked apart, so that hundreds of late follow-ups never bury an
escalating household: ``list`` is ``'risk'`` for households, addresses and compounds and
``'service'`` for cases past a service level. Rows come risk list first, then the service
list; within each by ``score`` descending, then ``last_at`` descending (nulls last), then
``entry_id``. ``list_rank`` numbers the rows of each list from 1, ``rank`` all rows from 1
(the risk list's ranks are the same in both). Within the risk list: high-risk escalation
first, then households, new repeats, then area signals.

Stable ids
----------
``entry_id`` names the subject, not the reasons, so an entry keeps its id while reasons come
and go: ``address:<address_id>``, ``victim:<victim_key>``, ``incident:<id>``,
``community:<station>:<community>``, ``cell:<station>:<hex cell>``, ``case:<id>``.
``address_id`` is the repeat-address layer's id: only the address keys that can matter here
are clustered, and because clustering is per key, their ids are the ones that layer gives on
the same input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
import polars as pl
from scipy.stats import poisson

from data.vocab import SLA_FOLLOW_UP_WINDOW_DAYS
from geo.h3cells import BASE_RESOLUTION, cell_to_str, cells_to_parent
from layers import repeat_addresses, repeat_people, service_levels
from layers.repeat_addresses import MIN_INCIDENTS, RepeatAddressParams, prepare_incidents
from layers.repeat_people import RepeatPeopleParams
from layers.service_levels import SLAS, ServiceLevelParams, check_now

__all__ = [
    "COMPOUND_BASELINE_WINDOWS",
    "COMPOUND_CELL_RESOLUTION",
    "COMPOUND_MIN_BASELINE_MEAN",
    "COMPOUND_MIN_COUNT",
    "COMPOUND_P_VALUE",
    "COMPOUND_WINDOW_DAYS",
    "DETAIL_SCHEMA",
    "ESCALATION_ACTIVE_DAYS",
    "HIGH_RISK_DAYS",
    "KINDS",
    "LAYER_ID",
    "LISTS",
    "LOOKBACK_DAYS",
    "NEW_INCIDENT_DAYS",
    "OUTPUT_SCHEMA",
    "REASONS",
    "REQUIRED_COLUMNS",
    "SLA_LOOKBACK_DAYS",
    "TIERS",
    "EarlyWarningParams",
    "compute",
]

#: Stable id of this layer in the layer registry.
LAYER_ID = "early_warning"
#: Kinds of entry.
KINDS: tuple[str, ...] = ("household", "address", "compound", "case")
#: The two lists: risk (households, addresses, compounds), then service-level breaches.
LISTS: tuple[str, ...] = ("risk", "service")
#: Reason codes, in the order an entry lists them (the UI translates them).
REASONS: tuple[str, ...] = (
    "high_risk_recent",
    "escalating",
    "escalating_victim",
    "repeat_new_incident",
    "count_jump",
    *(f"sla_breached_{sla}" for sla in SLAS),
)
#: Tier of each kind of entry in the score (module docstring); households split in two.
TIERS: dict[str, int] = {
    "household_high_risk_escalating": 5,
    "household": 4,
    "case": 3,
    "address": 2,
    "compound": 1,
}

#: Histories (repeat addresses, victims) are read over this many days back from ``now``.
LOOKBACK_DAYS = 365
#: An escalating history is a warning while its latest incident is this recent (days).
ESCALATION_ACTIVE_DAYS = 90
#: High-risk incidents this recent (days) make a household high-risk.
HIGH_RISK_DAYS = 30
#: A repeat address with an incident this recent (days) is listed.
NEW_INCIDENT_DAYS = 7
#: Length in days of the windows a compound's counts are compared in.
COMPOUND_WINDOW_DAYS = 28
#: Number of earlier windows that form a compound's baseline.
COMPOUND_BASELINE_WINDOWS = 6
#: Fewest incidents in the latest window for a compound to be flagged.
COMPOUND_MIN_COUNT = 5
#: One-sided Poisson p-value below which a compound's count jumped.
COMPOUND_P_VALUE = 0.01
#: Floor of a compound's baseline mean per window.
COMPOUND_MIN_BASELINE_MEAN = 0.5
#: H3 resolution of the cells that stand for compounds when the community is unknown.
COMPOUND_CELL_RESOLUTION = 8
#: Service levels breached at most this many days ago are listed.
SLA_LOOKBACK_DAYS = 30

#: Incident columns :func:`compute` reads (``address_raw`` too, when present, to fill null
#: address keys).
REQUIRED_COLUMNS: tuple[str, ...] = (
    *service_levels.REQUIRED_COLUMNS,
    "community",
    "address_key",
    "lat",
    "lng",
    "h3_cell",
    "warning_letter",
    "victim_key",
    "offender_key",
)

#: Fields of ``detail`` (null where they do not apply):
#:
#: * ``incidents``: related incidents of a place in the lookback window (``incident_ids``);
#: * ``last_gap_days``, ``previous_gap_days``: the address's last two gaps (escalating);
#: * ``victim_incidents``, ``victim_addresses``, ``victim_last_gap_days``,
#:   ``victim_previous_gap_days``: the escalating victim's history in the lookback window;
#: * ``high_risk_incidents``: qualifying high-risk incidents within ``high_risk_days``;
#:   ``prior_warning_letter``: whether one of them followed a warning letter;
#: * ``new_incidents``: the place's incidents within ``new_incident_days``;
#:   ``days_since_last``: days from the place's latest incident to ``now``;
#: * ``window_count``, ``baseline_mean``, ``baseline_windows``, ``p_value``: a compound's test
#:   (``baseline_mean`` before the floor);
#: * ``overdue_hours_<sla>``: hours past each breached service level; ``visits_in_window``:
#:   visits made within the 2-month window.
DETAIL_SCHEMA: dict[str, pl.DataType] = {
    "incidents": pl.Int64,
    "last_gap_days": pl.Float64,
    "previous_gap_days": pl.Float64,
    "victim_incidents": pl.Int64,
    "victim_addresses": pl.Int64,
    "victim_last_gap_days": pl.Float64,
    "victim_previous_gap_days": pl.Float64,
    "high_risk_incidents": pl.Int64,
    "prior_warning_letter": pl.Boolean,
    "new_incidents": pl.Int64,
    "days_since_last": pl.Float64,
    "window_count": pl.Int64,
    "baseline_mean": pl.Float64,
    "baseline_windows": pl.Int64,
    "p_value": pl.Float64,
    **{f"overdue_hours_{sla}": pl.Float64 for sla in SLAS},
    "visits_in_window": pl.Int64,
}

_UTC = pl.Datetime("us", "UTC")
_DAY_US = 86_400_000_000

#: Columns of the frame :func:`compute` returns, in order. ``cell`` is the compound's H3 cell
#: (int64, null unless the compound is a cell); ``lat``/``lng`` are WGS-84 degrees: the
#: address's mean position, the mean of a compound's recent located incidents, else the
#: latest incident's point.
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "rank": pl.UInt32,
    "list": pl.String,
    "list_rank": pl.UInt32,
    "entry_id": pl.String,
    "kind": pl.String,
    "reasons": pl.List(pl.String),
    "detail": pl.Struct(DETAIL_SCHEMA),
    "score": pl.Float64,
    "station_code": pl.String,
    "address_key": pl.String,
    "community": pl.String,
    "cell": pl.Int64,
    "lat": pl.Float64,
    "lng": pl.Float64,
    "last_at": _UTC,
    "incident_ids": pl.List(pl.String),
}


@dataclass(frozen=True)
class EarlyWarningParams:
    """Parameters of the early-warning list (every window in whole days back from ``now``).

    Parameters
    ----------
    lookback_days : int
        Window over which address and victim histories are read; at least every other
        day window below except the compound windows.
    escalation_active_days : int
        An escalating history is listed while its latest incident is this recent.
    high_risk_days : int
        High-risk incidents this recent count for ``high_risk_recent``.
    new_incident_days : int
        Repeat addresses with an incident this recent are listed.
    compound_window_days : int
        Length of the windows a compound's counts are compared in.
    compound_baseline_windows : int
        Number of earlier windows in a compound's baseline.
    compound_min_count : int
        Fewest incidents in the latest window for a compound to be flagged.
    compound_p_value : float
        Poisson tail probability below which the count jumped, in (0, 1).
    compound_min_baseline_mean : float
        Floor of the baseline mean per window (> 0).
    compound_cell_resolution : int
        H3 resolution of cell compounds, 0 to 9.
    sla_lookback_days : int
        Service-level breaches whose deadline is at most this many days old are listed.
    service_levels : ServiceLevelParams
        Passed to :func:`layers.service_levels.compute` (who needs follow-up, windows).
    """

    lookback_days: int = LOOKBACK_DAYS
    escalation_active_days: int = ESCALATION_ACTIVE_DAYS
    high_risk_days: int = HIGH_RISK_DAYS
    new_incident_days: int = NEW_INCIDENT_DAYS
    compound_window_days: int = COMPOUND_WINDOW_DAYS
    compound_baseline_windows: int = COMPOUND_BASELINE_WINDOWS
    compound_min_count: int = COMPOUND_MIN_COUNT
    compound_p_value: float = COMPOUND_P_VALUE
    compound_min_baseline_mean: float = COMPOUND_MIN_BASELINE_MEAN
    compound_cell_resolution: int = COMPOUND_CELL_RESOLUTION
    sla_lookback_days: int = SLA_LOOKBACK_DAYS
    service_levels: ServiceLevelParams = field(default_factory=ServiceLevelParams)

    def __post_init__(self) -> None:
        for name in (
            "lookback_days",
            "escalation_active_days",
            "high_risk_days",
            "new_incident_days",
            "compound_window_days",
            "compound_baseline_windows",
            "compound_min_count",
            "sla_lookback_days",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"'{name}' should be an integer >= 1, got {value!r}")
        longest = max(self.escalation_active_days, self.high_risk_days, self.new_incident_days)
        if self.lookback_days < longest:
            raise ValueError(
                f"'lookback_days' ({self.lookback_days}) should be at least the longest of "
                f"'escalation_active_days', 'high_risk_days' and 'new_incident_days' ({longest})"
            )
        p = self.compound_p_value
        if not (isinstance(p, int | float) and not isinstance(p, bool) and 0 < p < 1):
            raise ValueError(f"'compound_p_value' should be in (0, 1), got {p!r}")
        floor = self.compound_min_baseline_mean
        if not (isinstance(floor, int | float) and math.isfinite(floor) and floor > 0):
            raise ValueError(f"'compound_min_baseline_mean' should be > 0, got {floor!r}")
        res = self.compound_cell_resolution
        if isinstance(res, bool) or not isinstance(res, int) or not 0 <= res <= BASE_RESOLUTION:
            raise ValueError(
                f"'compound_cell_resolution' should be within 0..{BASE_RESOLUTION}, got {res!r}"
            )
        if not isinstance(self.service_levels, ServiceLevelParams):
            raise ValueError(
                "'service_levels' should be a ServiceLevelParams, got "
                f"{type(self.service_levels).__name__}"
            )


def compute(
    incidents: pl.DataFrame,
    visits: pl.DataFrame | None,
    now: datetime,
    params: EarlyWarningParams | None = None,
) -> pl.DataFrame:
    """Rank what needs attention at ``now``: households, repeat addresses, compounds, cases.

    Parameters
    ----------
    incidents : polars.DataFrame
        Incident frame (``data.frames``) with the columns of :data:`REQUIRED_COLUMNS`; the
        whole history the caller can see (at least ``lookback_days``, and the compound
        baseline, before ``now``).
    visits : polars.DataFrame or None
        Follow-up visits, ``incident_id`` (the incident's ``id``) and ``visited_at``; ``None``
        for none.
    now : datetime.datetime
        Time-zone aware; the moment of the warning.
    params : EarlyWarningParams, optional
        Windows, thresholds and service-level settings; the defaults above.

    Returns
    -------
    polars.DataFrame
        One row per entry with the columns of :data:`OUTPUT_SCHEMA`: reasons from
        :data:`REASONS` (at least one), ``detail`` (:data:`DETAIL_SCHEMA`), the score and
        related incidents' numbers (``incident_no``, in time order) in ``incident_ids``,
        ranked as the module docstring says.

    Raises
    ------
    TypeError
        If a frame is not a polars DataFrame or ``now`` is not a datetime.
    ValueError
        If a column is missing or mistyped, ``now`` is naive, a coordinate is outside the
        WGS-84 range, or a person key looks like a raw ID-card or phone number.
    """
    params = params or EarlyWarningParams()
    now = check_now(now)
    frame = _prepare(incidents, now)
    start = now - timedelta(days=params.lookback_days)

    victims = _escalating_victims(frame, now, start, params)
    high_risk = _recent_high_risk(frame, now, params)
    addresses, placed = _addresses(frame, start, victims, high_risk)
    places = _places(frame, now, params, addresses, placed, victims, high_risk)
    cases = _cases(frame, incidents, visits, now, params)
    compounds = _compounds(frame, now, params)
    entries = pl.concat([places, cases, compounds], how="vertical")
    return _rank(_with_incident_numbers(entries, incidents))


def _with_incident_numbers(entries: pl.DataFrame, incidents: pl.DataFrame) -> pl.DataFrame:
    """``incident_ids`` as incident numbers (what users and the API see, as in every layer);
    the entries are built on the database ``id``, which stays internal."""
    numbers = incidents.select(pl.col("id").cast(pl.Int64), pl.col("incident_no").cast(pl.String))
    return entries.with_columns(
        pl.col("incident_ids").list.eval(
            pl.element().replace_strict(
                numbers["id"], numbers["incident_no"], default=None, return_dtype=pl.String
            )
        )
    )


# ------------------------------------------------------------------------------ preparation


def _prepare(incidents: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Checked incidents reported by ``now``, ``id`` Int64, keys filled, times in UTC."""
    if not isinstance(incidents, pl.DataFrame):
        raise TypeError(f"'incidents' should be a polars DataFrame, got {type(incidents).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in incidents.columns]
    if missing:
        raise ValueError(f"incident frame lacks columns: {', '.join(missing)}")
    # Without incident_no, the repeat helpers name incidents by their id (as String).
    frame = prepare_incidents(
        incidents.drop("incident_no"),
        (
            "risk_level",
            "station_code",
            "community",
            "lat",
            "lng",
            "h3_cell",
            "warning_letter",
            "victim_key",
            "offender_key",
        ),
    )
    return (
        frame.with_columns(
            pl.col("incident_id").cast(pl.Int64).alias("id"),
            *[pl.col(c).cast(pl.String) for c in ("risk_level", "station_code", "community")],
            *[pl.col(c).cast(pl.String) for c in ("victim_key", "offender_key")],
            pl.col("lat").cast(pl.Float64).fill_nan(None),
            pl.col("lng").cast(pl.Float64).fill_nan(None),
            pl.col("h3_cell").cast(pl.Int64),
            pl.col("warning_letter").cast(pl.Boolean).fill_null(False),
        )
        .drop("incident_id", "address_raw")
        .filter(pl.col("reported_at").is_not_null() & (pl.col("reported_at") <= now))
    )


def _since(now: datetime, days: int) -> pl.Expr:
    """Reported within the last ``days`` days (the frame holds nothing after ``now``)."""
    return pl.col("reported_at") >= now - timedelta(days=days)


def _ids(column: str = "incident_ids") -> pl.Expr:
    """The repeat layers' String incident ids (our ``id`` values) back as Int64."""
    return pl.col(column).list.eval(pl.element().cast(pl.Int64))


# -------------------------------------------------------------------------- places: histories


def _escalating_victims(
    frame: pl.DataFrame, now: datetime, start: datetime, params: EarlyWarningParams
) -> pl.DataFrame:
    """Victims whose gaps shrink and whose latest incident is recent: key, history, last id."""
    people = repeat_people.compute(
        frame.select(
            pl.col("id").alias("incident_no"),
            "reported_at",
            "category",
            "station_code",
            "victim_key",
            "address_key",
        ),
        RepeatPeopleParams(roles=("victim",), start=start),
    )
    active = now - timedelta(days=params.escalation_active_days)
    return people.filter(pl.col("escalating") & (pl.col("last_at") >= active)).select(
        pl.col("person_key").alias("victim_key"),
        _ids(),
        pl.col("count").cast(pl.Int64).alias("victim_incidents"),
        pl.col("address_count").cast(pl.Int64).alias("victim_addresses"),
        pl.col("gaps_days").list.get(-1, null_on_oob=True).alias("victim_last_gap_days"),
        pl.col("gaps_days").list.get(-2, null_on_oob=True).alias("victim_previous_gap_days"),
        pl.col("incident_ids").list.last().cast(pl.Int64).alias("last_id"),
    )


def _recent_high_risk(
    frame: pl.DataFrame, now: datetime, params: EarlyWarningParams
) -> pl.DataFrame:
    """High-risk incidents within ``high_risk_days``, with whether a warning letter preceded.

    A letter precedes when an incident reported strictly earlier, sharing the address key,
    the victim key or the offender key, carries one.
    """
    recent = frame.filter((pl.col("risk_level") == "high") & _since(now, params.high_risk_days))
    recent = recent.with_columns(pl.lit(False).alias("prior_warning_letter"))
    letters = frame.filter(pl.col("warning_letter"))
    for key in ("address_key", "victim_key", "offender_key"):
        first = (
            letters.filter(pl.col(key).is_not_null())
            .group_by(key)
            .agg(pl.col("reported_at").min().alias("_first_letter"))
        )
        recent = (
            recent.join(first, on=key, how="left")
            .with_columns(
                pl.col("prior_warning_letter")
                | (pl.col("_first_letter") < pl.col("reported_at")).fill_null(False)
            )
            .drop("_first_letter")
        )
    return recent


def _addresses(
    frame: pl.DataFrame,
    start: datetime,
    victims: pl.DataFrame,
    high_risk: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Addresses of the keys that can matter, and the address of each incident in the window.

    A key can matter when it has two or more incidents in the lookback window (a repeat
    address), or holds a recent high-risk incident or an escalating victim's latest incident.
    All incidents of those keys go to :func:`layers.repeat_addresses.compute`, so their
    ``address_id`` is the one that layer gives on the whole input.
    """
    in_window = frame.filter(pl.col("reported_at") >= start)
    repeat_keys = (
        in_window.filter(pl.col("address_key").is_not_null())
        .group_by("address_key")
        .agg(pl.len().alias("_n"))
        .filter(pl.col("_n") >= MIN_INCIDENTS)
        .get_column("address_key")
    )
    victim_keys = frame.join(victims.select(pl.col("last_id").alias("id")), on="id").get_column(
        "address_key"
    )
    keys = pl.concat([repeat_keys, high_risk.get_column("address_key"), victim_keys]).drop_nulls()
    addresses = repeat_addresses.compute(
        frame.filter(pl.col("address_key").is_in(keys.unique().implode())).select(
            pl.col("id").alias("incident_no"),
            "reported_at",
            "category",
            "address_key",
            "lat",
            "lng",
        ),
        RepeatAddressParams(min_incidents=1, start=start),
    ).with_columns(_ids())
    placed = addresses.select("address_id", pl.col("incident_ids").alias("id")).explode("id")
    return addresses, placed


def _places(
    frame: pl.DataFrame,
    now: datetime,
    params: EarlyWarningParams,
    addresses: pl.DataFrame,
    placed: pl.DataFrame,
    victims: pl.DataFrame,
    high_risk: pl.DataFrame,
) -> pl.DataFrame:
    """Household and address entries: reasons per subject, merged, with place and detail."""
    active = now - timedelta(days=params.escalation_active_days)
    new_since = now - timedelta(days=params.new_incident_days)
    repeat = pl.col("count") >= MIN_INCIDENTS

    escalating = addresses.filter(pl.col("escalating") & (pl.col("last_at") >= active)).select(
        pl.format("address:{}", "address_id").alias("entry_id"),
        pl.lit("escalating").alias("reason"),
        "incident_ids",
        pl.col("gaps_days").list.get(-1, null_on_oob=True).alias("last_gap_days"),
        pl.col("gaps_days").list.get(-2, null_on_oob=True).alias("previous_gap_days"),
    )
    new_repeat = addresses.filter(repeat & (pl.col("last_at") >= new_since)).select(
        pl.format("address:{}", "address_id").alias("entry_id"),
        pl.lit("repeat_new_incident").alias("reason"),
        "incident_ids",
    )
    victim_rows = (
        victims.join(placed, left_on="last_id", right_on="id", how="left")
        .with_columns(pl.col("last_id").alias("id"))
        .select(
            _subject(),
            pl.lit("escalating_victim").alias("reason"),
            "incident_ids",
            "victim_incidents",
            "victim_addresses",
            "victim_last_gap_days",
            "victim_previous_gap_days",
        )
    )
    counts = addresses.select("address_id", pl.col("count").cast(pl.Int64).alias("_at_address"))
    high_rows = (
        high_risk.join(placed, on="id", how="left")
        .join(counts, on="address_id", how="left")
        .filter(
            (pl.col("_at_address").fill_null(0) >= MIN_INCIDENTS) | pl.col("prior_warning_letter")
        )
        .with_columns(_subject())
        .group_by("entry_id")
        .agg(
            pl.lit("high_risk_recent").alias("reason"),
            pl.col("id").sort().alias("incident_ids"),
            pl.len().cast(pl.Int64).alias("high_risk_incidents"),
            pl.col("prior_warning_letter").any(),
        )
    )
    address_incidents = addresses.select(
        pl.format("address:{}", "address_id").alias("entry_id"),
        pl.col("incident_ids").alias("_address_ids"),
        "address_key",
        "lat",
        "lng",
    )
    rows = pl.concat([escalating, new_repeat, victim_rows, high_rows], how="diagonal_relaxed")
    if rows.height == 0:
        return _empty_entries()
    merged = (
        rows.group_by("entry_id")
        .agg(
            pl.col("reason"),
            pl.col("incident_ids").list.explode(keep_nulls=False, empty_as_null=False),
            *[pl.col(c).drop_nulls().first() for c in rows.columns if c not in _MERGED],
        )
        .join(address_incidents, on="entry_id", how="left")
        .with_columns(
            # A place's related incidents: its own in the window and those of its reasons.
            pl.concat_list(pl.col("_address_ids").fill_null([]), "incident_ids").alias(
                "incident_ids"
            )
        )
    )
    related = _related_incidents(merged, frame)
    merged = (
        merged.drop("incident_ids")
        .join(related, on="entry_id", how="left")
        .with_columns(
            pl.coalesce("lat", "_last_lat").alias("lat"),
            pl.coalesce("lng", "_last_lng").alias("lng"),
            pl.coalesce("address_key", "_last_address_key").alias("address_key"),
            pl.col("incident_ids").list.len().cast(pl.Int64).alias("incidents"),
            ((pl.lit(now, _UTC) - pl.col("last_at")).dt.total_microseconds() / _DAY_US).alias(
                "days_since_last"
            ),
        )
    )
    new_counts = (
        merged.select("entry_id", "incident_ids")
        .explode("incident_ids")
        .join(
            frame.select(pl.col("id").alias("incident_ids"), "reported_at"),
            on="incident_ids",
            how="inner",
        )
        .group_by("entry_id")
        .agg((pl.col("reported_at") >= new_since).sum().cast(pl.Int64).alias("new_incidents"))
    )
    merged = merged.join(new_counts, on="entry_id", how="left")
    reasons = _ordered_reasons(pl.col("reason"))
    household = (
        reasons.list.set_intersection(
            ["high_risk_recent", "escalating", "escalating_victim"]
        ).list.len()
        > 0
    )
    escalation = reasons.list.set_intersection(["escalating", "escalating_victim"]).list.len() > 0
    tier = (
        pl.when(reasons.list.contains("high_risk_recent") & escalation)
        .then(TIERS["household_high_risk_escalating"])
        .when(household)
        .then(TIERS["household"])
        .otherwise(TIERS["address"])
    )
    term = 100 * reasons.list.len() + pl.min_horizontal(pl.col("incidents"), pl.lit(99))
    return merged.select(
        "entry_id",
        pl.when(household).then(pl.lit("household")).otherwise(pl.lit("address")).alias("kind"),
        reasons.alias("reasons"),
        _detail(merged.columns),
        (1000 * tier + term).cast(pl.Float64).alias("score"),
        pl.col("_last_station").alias("station_code"),
        "address_key",
        pl.col("_last_community").alias("community"),
        pl.lit(None, pl.Int64).alias("cell"),
        "lat",
        "lng",
        "last_at",
        "incident_ids",
    )


def _subject() -> pl.Expr:
    """Entry id of a household reason: its address, else its victim, else its incident."""
    return pl.coalesce(
        pl.format("address:{}", "address_id"),
        pl.format("victim:{}", "victim_key"),
        pl.format("incident:{}", "id"),
    ).alias("entry_id")


#: Columns of a reason row that merging handles itself.
_MERGED = ("entry_id", "reason", "incident_ids")


def _related_incidents(merged: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """Per entry: its distinct incident ids in time order, and its latest incident's place."""
    return (
        merged.select("entry_id", pl.col("incident_ids").alias("id"))
        .explode("id")
        .drop_nulls("id")
        .unique()
        .join(
            frame.select(
                "id", "reported_at", "station_code", "community", "address_key", "lat", "lng"
            ),
            on="id",
            how="inner",
        )
        .sort("entry_id", "reported_at", "id")
        .group_by("entry_id", maintain_order=True)
        .agg(
            pl.col("id").alias("incident_ids"),
            pl.col("reported_at").last().alias("last_at"),
            pl.col("station_code").last().alias("_last_station"),
            pl.col("community").last().alias("_last_community"),
            pl.col("address_key").last().alias("_last_address_key"),
            pl.col("lat").last().alias("_last_lat"),
            pl.col("lng").last().alias("_last_lng"),
        )
    )


# ------------------------------------------------------------------------------------ cases


def _cases(
    frame: pl.DataFrame,
    incidents: pl.DataFrame,
    visits: pl.DataFrame | None,
    now: datetime,
    params: EarlyWarningParams,
) -> pl.DataFrame:
    """Cases whose service-level deadline passed unmet within ``sla_lookback_days``."""
    lookback = timedelta(days=params.sla_lookback_days)
    # No deadline is later than the follow-up one, so older cases cannot have a deadline in
    # the lookback window: leave them out before judging (the result is the same).
    latest_deadline = timedelta(days=SLA_FOLLOW_UP_WINDOW_DAYS)
    young = frame.filter(pl.col("reported_at") >= now - lookback - latest_deadline)
    young_incidents = incidents.filter(pl.col("id").is_in(young.get_column("id").implode()))
    # A closed case is listed while its deadline lies in the lookback, whatever the
    # service-level layer's own recent-closure window.
    sl_params = replace(
        params.service_levels,
        recent_days=max(params.service_levels.recent_days, params.sla_lookback_days),
    )
    breaches = service_levels.compute(young_incidents, visits, now, sl_params).filter(
        (pl.col("state") == "breached") & (pl.col("due_at") >= now - lookback)
    )
    if breaches.height == 0:
        return _empty_entries()
    per_case = (
        breaches.group_by("incident_id")
        .agg(
            *[
                pl.col("overdue_hours")
                .filter(pl.col("sla") == sla)
                .first()
                .alias(f"overdue_hours_{sla}")
                for sla in SLAS
            ],
            pl.col("visits_in_window").drop_nulls().first().cast(pl.Int64),
            pl.col("overdue_hours").max().alias("_overdue"),
        )
        .join(
            frame.select(
                pl.col("id").alias("incident_id"),
                "reported_at",
                "station_code",
                "community",
                "address_key",
                "lat",
                "lng",
            ),
            on="incident_id",
            how="inner",
        )
    )
    reasons = pl.concat_list(
        [
            pl.when(pl.col(f"overdue_hours_{sla}").is_not_null())
            .then(pl.lit(f"sla_breached_{sla}"))
            .otherwise(None)
            for sla in SLAS
        ]
    ).list.drop_nulls()
    term = pl.min_horizontal(pl.col("_overdue"), pl.lit(999.0))
    return per_case.select(
        pl.format("case:{}", "incident_id").alias("entry_id"),
        pl.lit("case").alias("kind"),
        reasons.alias("reasons"),
        _detail(per_case.columns),
        (1000.0 * TIERS["case"] + term).alias("score"),
        "station_code",
        "address_key",
        "community",
        pl.lit(None, pl.Int64).alias("cell"),
        "lat",
        "lng",
        pl.col("reported_at").alias("last_at"),
        pl.concat_list(pl.col("incident_id")).alias("incident_ids"),
    )


# -------------------------------------------------------------------------------- compounds


def _compounds(frame: pl.DataFrame, now: datetime, params: EarlyWarningParams) -> pl.DataFrame:
    """Compounds whose count in the latest window jumped against their own baseline."""
    window_us = params.compound_window_days * _DAY_US
    n_windows = params.compound_baseline_windows
    first = frame.get_column("reported_at").min()
    if first is None:
        return _empty_entries()
    span_us = (now - first) // timedelta(microseconds=1)
    # Baseline window j (1..n) is usable when its start is not before the first incident.
    usable = min(n_windows, span_us // window_us - 1)
    if usable < 1:
        return _empty_entries()
    age = (pl.lit(now, _UTC) - pl.col("reported_at")).dt.total_microseconds()
    cell = cells_to_parent(pl.col("h3_cell"), params.compound_cell_resolution)
    recent = (
        frame.lazy()
        .with_columns(
            ((age - 1) // window_us).clip(lower_bound=0).alias("_window"),
            pl.when(pl.col("community").is_null()).then(cell).alias("cell"),
        )
        .filter(
            (pl.col("_window") <= usable)
            & (pl.col("community").is_not_null() | pl.col("cell").is_not_null())
        )
    )
    keys = ["station_code", "community", "cell"]
    tested = (
        recent.group_by(keys)
        .agg(
            (pl.col("_window") == 0).sum().cast(pl.Int64).alias("window_count"),
            (pl.col("_window") > 0).sum().alias("_baseline_count"),
        )
        .filter(pl.col("window_count") >= params.compound_min_count)
        .with_columns(
            (pl.col("_baseline_count") / usable).alias("baseline_mean"),
            pl.lit(usable, pl.Int64).alias("baseline_windows"),
        )
        .collect()
    )
    if tested.height == 0:
        return _empty_entries()
    floor = params.compound_min_baseline_mean
    mu = np.maximum(tested.get_column("baseline_mean").to_numpy(), floor)
    k = tested.get_column("window_count").to_numpy()
    tested = tested.with_columns(pl.Series("p_value", poisson.sf(k - 1, mu), dtype=pl.Float64))
    jumped = tested.filter(pl.col("p_value") < params.compound_p_value)
    if jumped.height == 0:
        return _empty_entries()
    members = (
        recent.filter(pl.col("_window") == 0)
        .collect()
        .join(jumped.select(keys), on=keys, how="inner", nulls_equal=True)
        .sort("reported_at", "id")
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col("id").alias("incident_ids"),
            pl.col("reported_at").last().alias("last_at"),
            pl.col("lat").filter(pl.col("lat").is_not_null() & pl.col("lng").is_not_null()).mean(),
            pl.col("lng").filter(pl.col("lat").is_not_null() & pl.col("lng").is_not_null()).mean(),
        )
    )
    jumped = jumped.join(members, on=keys, how="left", nulls_equal=True)
    station = pl.col("station_code").fill_null("")
    cell_text = pl.Series(
        [None if c is None else cell_to_str(c) for c in jumped.get_column("cell")],
        dtype=pl.String,
    )
    jumped = jumped.with_columns(cell_text.alias("_cell_text"))
    strength = 10.0 * -np.log10(np.maximum(jumped.get_column("p_value").to_numpy(), 1e-300))
    jumped = jumped.with_columns(pl.Series("_strength", strength, dtype=pl.Float64))
    return jumped.select(
        pl.when(pl.col("community").is_not_null())
        .then(pl.format("community:{}:{}", station, "community"))
        .otherwise(pl.format("cell:{}:{}", station, "_cell_text"))
        .alias("entry_id"),
        pl.lit("compound").alias("kind"),
        pl.lit(["count_jump"], pl.List(pl.String)).alias("reasons"),
        _detail(jumped.columns),
        (1000.0 * TIERS["compound"] + pl.min_horizontal("_strength", pl.lit(999.0))).alias("score"),
        "station_code",
        pl.lit(None, pl.String).alias("address_key"),
        "community",
        "cell",
        "lat",
        "lng",
        "last_at",
        "incident_ids",
    )


# ---------------------------------------------------------------------------------- ranking


def _ordered_reasons(reasons: pl.Expr) -> pl.Expr:
    """Distinct reason codes of a list, in :data:`REASONS` order."""
    order = {code: i for i, code in enumerate(REASONS)}
    return (
        reasons.list.eval(pl.element().replace_strict(order, return_dtype=pl.Int32))
        .list.unique()
        .list.sort()
        .list.eval(pl.element().replace_strict({i: c for c, i in order.items()}))
    )


def _detail(columns: list[str]) -> pl.Expr:
    """The ``detail`` struct from the columns present (absent fields are null)."""
    return pl.struct(
        [
            (pl.col(name) if name in columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in DETAIL_SCHEMA.items()
        ]
    ).alias("detail")


def _empty_entries() -> pl.DataFrame:
    """No entries, in the internal form (``incident_ids`` still database ids)."""
    ranked = ("rank", "list", "list_rank")
    schema = {c: t for c, t in OUTPUT_SCHEMA.items() if c not in ranked}
    return pl.DataFrame(schema=schema | {"incident_ids": pl.List(pl.Int64)})


def _rank(entries: pl.DataFrame) -> pl.DataFrame:
    listed = entries.with_columns(
        pl.when(pl.col("kind") == "case")
        .then(pl.lit(LISTS[1]))
        .otherwise(pl.lit(LISTS[0]))
        .alias("list")
    )
    ranked = listed.select(
        [pl.col(c).cast(t) for c, t in OUTPUT_SCHEMA.items() if c not in ("rank", "list_rank")]
    ).sort(
        [pl.col("list") == LISTS[1], "score", "last_at", "entry_id"],
        descending=[False, True, True, False],
        nulls_last=True,
    )
    return ranked.with_columns(
        pl.int_range(1, ranked.height + 1, dtype=pl.UInt32).alias("rank"),
        pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("list").alias("list_rank"),
    ).select(list(OUTPUT_SCHEMA))
