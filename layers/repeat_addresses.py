"""Repeat addresses: places with more than one incident, how often and how fast they recur.

What is an address
------------------
An *address* is a group of incidents sharing one address key (``geo.addresses``) whose
points lie together on the ground:

* Located incidents of one key are clustered by **single linkage** at ``snap_distance_m``
  (100 m by default): two points are the same address when a chain of points of that key
  joins them with no hop longer than the snap distance. The same key within 100 m is one
  address; the same key 5 km away is a second address; different flats of one building
  have different keys and never merge. Distances are measured after projecting WGS-84
  degrees to the UTM zone of the located points' mean longitude (hemisphere from their mean
  latitude), e.g. EPSG:32649 (UTM 49N) for Bao'an and EPSG:32616 (UTM 16N) for Chicago.
  A province spanning two zones is measured in one of them; the scale error there stays
  under about 1 %, far below the snap distance's own tolerance. Keys whose points all fit
  within the snap distance are not clustered at all (the common case, and the fast path).
* An incident without coordinates (null, NaN, or the (0, 0) placeholder) joins the address
  of its key when that key has exactly one located address, or else forms an *unplaced*
  address of its key (``lat``/``lng`` null).
* Rows with neither an address key nor a raw address are not addresses and are left out;
  a null key is filled from ``address_raw`` with :func:`geo.addresses.normalise_addresses`.

``address_id`` is ``'<address_key>#<n>'``: ``n = 1, 2, …`` numbers the located addresses of
one key in order of their first incident (then west to east), ``n = 0`` is the unplaced
address of a key with several located ones. Ids are assigned on the whole input frame,
*before* the time window is applied, so an address keeps its id whichever window is
asked for.

What is reported per repeat address
-----------------------------------
Addresses with at least ``min_incidents`` incidents (with a reported time) in the window
``start <= reported_at < end``:

* ``count``, ``first_at``, ``last_at``, ``incident_ids`` (in time order);
* ``gaps_days``: days between consecutive incidents, ``median_gap_days``;
* ``escalating``: see :func:`escalation_expr` — a one-sided trend test on the gaps
  (Kendall's tau of gap against order, exact): the incidents come significantly faster and
  faster, at a stated false-positive rate :data:`ESCALATION_ALPHA` (5 %) for a history
  without trend (exchangeable gaps, as a steady Poisson process gives). It needs at least
  four gaps (five incidents) to reach 5 %: fewer cannot be told from chance;
* ``marac_flag``: :data:`MARAC_INCIDENTS` (3) or more incidents within any
  :data:`MARAC_WINDOW` (365 days), i.e. some incident is followed by two more no more than
  365 days after it — the MARAC "potential escalation" criterion (three or more police
  call-outs in twelve months), counted inside the window;
* ``categories``: ``{category, count}`` pairs, most frequent first;
* ``address_raw``: the most common raw spelling (ties: the alphabetically first), and
  ``lat``/``lng``: the mean of the address's located incidents in the window.

Why ``min_incidents = 2`` by default: in the repeat-victimisation literature an address is
a repeat from its second incident, and the first repeat is the strongest single predictor
of the next; hiding two-incident addresses would hide the earliest warning. The MARAC flag
marks the stricter three-in-twelve-months cases.

The helpers :func:`prepare_incidents`, :func:`check_repeat_params`, :func:`select_repeats`,
:func:`history_summary` and :func:`escalation_expr` are shared with ``layers.repeat_people``,
so both layers select windows and measure gaps, escalation and the MARAC flag the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np
import polars as pl
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import Delaunay, QhullError, cKDTree

from geo.addresses import normalise_addresses
from geo.projection import metric_transformer, utm_epsg

__all__ = [
    "ESCALATION_ALPHA",
    "ESCALATION_GAPS",
    "LAYER_ID",
    "MARAC_INCIDENTS",
    "MARAC_WINDOW",
    "MIN_INCIDENTS",
    "OUTPUT_SCHEMA",
    "REQUIRED_COLUMNS",
    "SNAP_DISTANCE_M",
    "RepeatAddressParams",
    "check_repeat_params",
    "compute",
    "escalation_expr",
    "escalation_p_expr",
    "history_summary",
    "prepare_incidents",
    "select_repeats",
    "utm_epsg",
]

#: Stable id of this layer in the layer registry.
LAYER_ID = "repeat_addresses"
#: An address is a repeat from its second incident (see the module docstring).
MIN_INCIDENTS = 2
#: Points of one address key closer than this (metres, single linkage) are one address.
SNAP_DISTANCE_M = 100.0
#: Former rule's window (the last gaps read); kept for callers that show the last gaps.
ESCALATION_GAPS = 3
#: One-sided level of the escalation test: the share of trendless histories flagged.
ESCALATION_ALPHA = 0.05
#: MARAC-style flag: this many incidents ...
MARAC_INCIDENTS = 3
#: ... within this long.
MARAC_WINDOW = timedelta(days=365)

#: Columns every incident frame must have; plus ``incident_no`` or ``id`` (the incident id)
#: and ``address_key`` or ``address_raw``.
REQUIRED_COLUMNS: tuple[str, ...] = ("reported_at", "lat", "lng", "category")

_TZ_UTC = "UTC"
_DAY_US = 86_400_000_000
_UNPLACED = 0
# Keys with more distinct points than this are clustered through a Delaunay triangulation.
_PAIRWISE_MAX_POINTS = 64

_CATEGORY_COUNT = pl.Struct({"category": pl.String, "count": pl.UInt32})

#: Columns of the frame :func:`compute` returns, in order.
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "address_id": pl.String,
    "address_key": pl.String,
    "address_raw": pl.String,
    "lat": pl.Float64,
    "lng": pl.Float64,
    "count": pl.UInt32,
    "first_at": pl.Datetime("us", _TZ_UTC),
    "last_at": pl.Datetime("us", _TZ_UTC),
    "gaps_days": pl.List(pl.Float64),
    "median_gap_days": pl.Float64,
    "escalating": pl.Boolean,
    "marac_flag": pl.Boolean,
    "categories": pl.List(_CATEGORY_COUNT),
    "incident_ids": pl.List(pl.String),
}


@dataclass(frozen=True)
class RepeatAddressParams:
    """Parameters of the repeat-address layer.

    Parameters
    ----------
    min_incidents : int
        Smallest number of incidents in the window for an address to be listed (>= 1).
    start, end : datetime or None
        Time window ``start <= reported_at < end``; timezone-aware; ``None`` leaves that side
        open.
    snap_distance_m : float
        Single-linkage distance in metres within which points of one key are one address.
    """

    min_incidents: int = MIN_INCIDENTS
    start: datetime | None = None
    end: datetime | None = None
    snap_distance_m: float = SNAP_DISTANCE_M

    def __post_init__(self) -> None:
        check_repeat_params(self.min_incidents, self.start, self.end)
        snap = self.snap_distance_m
        if not (isinstance(snap, int | float) and math.isfinite(snap) and snap > 0):
            raise ValueError(f"'snap_distance_m' should be > 0, got {self.snap_distance_m!r}")


def compute(incidents: pl.DataFrame, params: RepeatAddressParams | None = None) -> pl.DataFrame:
    """List the repeat addresses of an incident frame.

    Parameters
    ----------
    incidents : polars.DataFrame
        Incident frame (``data.frames``) with ``incident_no`` or ``id``, ``reported_at``,
        ``address_key`` or ``address_raw``, ``lat``, ``lng`` (WGS-84 degrees) and
        ``category``.
    params : RepeatAddressParams, optional
        Defaults: two or more incidents, no window, 100 m snap distance.

    Returns
    -------
    polars.DataFrame
        One row per repeat address with the columns of :data:`OUTPUT_SCHEMA` (described in
        the module docstring), most incidents first, then most recent.

    Raises
    ------
    TypeError
        If ``incidents`` is not a polars DataFrame.
    ValueError
        If a needed column is missing, or a coordinate is outside the WGS-84 range.
    """
    params = params or RepeatAddressParams()
    frame = prepare_incidents(incidents, REQUIRED_COLUMNS)
    frame = _with_locations(frame)
    frame = _assign_address_ids(frame, params.snap_distance_m)

    frame = select_repeats(frame, "address_id", params.start, params.end, params.min_incidents)
    representative = (
        frame.filter(pl.col("address_raw").is_not_null())
        .group_by("address_id", "address_raw")
        .agg(pl.len().alias("_n"))
        .sort(["address_id", "_n", "address_raw"], descending=[False, True, False])
        .group_by("address_id", maintain_order=True)
        .agg(pl.col("address_raw").first())
    )
    summary = history_summary(
        frame,
        "address_id",
        extra_aggs=(
            pl.col("address_key").first(),
            pl.col("lat").filter(pl.col("_located")).mean(),
            pl.col("lng").filter(pl.col("_located")).mean(),
        ),
    )
    return (
        summary.join(representative, on="address_id", how="left")
        .with_columns(pl.col("address_raw").fill_null(pl.col("address_key")))
        .select([pl.col(c).cast(t) for c, t in OUTPUT_SCHEMA.items()])
        .sort(["count", "last_at", "address_id"], descending=[True, True, False])
    )


# --------------------------------------------------------------------- shared with repeat_people


def prepare_incidents(
    incidents: pl.DataFrame,
    columns: Sequence[str] = (),
    *,
    address_required: bool = True,
) -> pl.DataFrame:
    """Check an incident frame and return the columns a repeat layer works on.

    Parameters
    ----------
    incidents : polars.DataFrame
        The incident frame as given by the caller.
    columns : sequence of str
        Further columns the layer needs, taken as they are (missing ones are an error).
    address_required : bool
        Whether an address (``address_key`` or ``address_raw``) must be present. When not
        required and absent, ``address_key`` is all null.

    Returns
    -------
    polars.DataFrame
        ``incident_id`` (String: ``incident_no``, else ``id``), ``reported_at``
        (``Datetime('us', 'UTC')``; a naive column is read as UTC), ``category``,
        ``address_key`` (nulls filled from ``address_raw``), ``address_raw`` and ``columns``.

    Raises
    ------
    TypeError
        If ``incidents`` is not a polars DataFrame.
    ValueError
        Naming the missing column(s), or when ``reported_at`` is not a datetime column.
    """
    if not isinstance(incidents, pl.DataFrame):
        raise TypeError(f"'incidents' should be a polars DataFrame, got {type(incidents).__name__}")
    have = set(incidents.columns)
    missing = [c for c in dict.fromkeys(("reported_at", "category", *columns)) if c not in have]
    if "incident_no" not in have and "id" not in have:
        missing.append("incident_no (or id)")
    has_address = "address_key" in have or "address_raw" in have
    if address_required and not has_address:
        missing.append("address_key (or address_raw)")
    if missing:
        raise ValueError(f"incident frame lacks columns: {', '.join(missing)}")

    reported = incidents.schema["reported_at"]
    if not isinstance(reported, pl.Datetime):
        raise ValueError(f"column 'reported_at' should be a Datetime, got {reported}")
    reported_at = pl.col("reported_at").cast(pl.Datetime("us", reported.time_zone))
    reported_at = (
        reported_at.dt.replace_time_zone(_TZ_UTC)
        if reported.time_zone is None
        else reported_at.dt.convert_time_zone(_TZ_UTC)
    )
    id_column = "incident_no" if "incident_no" in have else "id"
    raw = (
        pl.col("address_raw").cast(pl.String)
        if "address_raw" in have
        else pl.lit(None, pl.String).alias("address_raw")
    )
    key = (
        pl.col("address_key").cast(pl.String)
        if "address_key" in have
        else pl.lit(None, pl.String).alias("address_key")
    )
    frame = incidents.select(
        pl.col(id_column).cast(pl.String).alias("incident_id"),
        reported_at,
        pl.col("category").cast(pl.String),
        key,
        raw,
        *[pl.col(c) for c in dict.fromkeys(columns) if c not in {"reported_at", "category"}],
    )
    return _fill_address_keys(frame)


def history_summary(
    frame: pl.DataFrame,
    by: str | Sequence[str],
    *,
    extra_aggs: Iterable[pl.Expr] = (),
) -> pl.DataFrame:
    """Summarise the incident history of each group: counts, gaps, escalation, MARAC flag.

    Parameters
    ----------
    frame : polars.DataFrame
        Incidents with ``incident_id``, ``reported_at`` (non-null) and ``category`` plus the
        ``by`` columns, already restricted to the window and the groups wanted.
    by : str or sequence of str
        The grouping column(s): one group is one address, or one person in one role.
    extra_aggs : iterable of polars.Expr
        Further aggregations, evaluated per group on rows sorted by time.

    Returns
    -------
    polars.DataFrame
        ``by``, ``count``, ``first_at``, ``last_at``, ``gaps_days``, ``median_gap_days``,
        ``escalating``, ``marac_flag``, ``categories``, ``incident_ids`` and the extra
        aggregations, one row per group.
    """
    keys = [by] if isinstance(by, str) else list(by)
    ordered = frame.sort([*keys, "reported_at", "incident_id"]).with_columns(
        (pl.col("reported_at").diff().over(keys).dt.total_microseconds() / _DAY_US).alias(
            "_gap_days"
        ),
        (
            pl.col("reported_at").shift(-(MARAC_INCIDENTS - 1)).over(keys) - pl.col("reported_at")
            <= MARAC_WINDOW
        ).alias("_marac"),
    )
    histories = (
        ordered.group_by(keys, maintain_order=True)
        .agg(
            pl.len().alias("count"),
            pl.col("reported_at").first().alias("first_at"),
            pl.col("reported_at").last().alias("last_at"),
            pl.col("_gap_days").slice(1).alias("gaps_days"),
            pl.col("_marac").any().alias("marac_flag"),
            pl.col("incident_id").alias("incident_ids"),
            *extra_aggs,
        )
        .with_columns(
            pl.col("gaps_days").list.median().alias("median_gap_days"),
            escalation_expr(pl.col("gaps_days")).alias("escalating"),
        )
    )
    categories = (
        frame.group_by([*keys, "category"])
        .agg(pl.len().alias("count"))
        .sort([*keys, "count", "category"], descending=[False] * len(keys) + [True, False])
        .group_by(keys, maintain_order=True)
        .agg(pl.struct("category", "count").alias("categories"))
    )
    return histories.join(categories, on=keys, how="left", nulls_equal=True)


def escalation_expr(gaps_days: pl.Expr, alpha: float = ESCALATION_ALPHA) -> pl.Expr:
    """Whether a history escalates: its gaps shrink significantly (one-sided, level ``alpha``).

    See :func:`escalation_p_expr` for the test. ``[30, 12, 4]`` (4 incidents) does not
    escalate at 5 % (p = 1/6: one history in six without any trend looks like that);
    ``[40, 30, 12, 4]`` does (p = 1/24).

    Parameters
    ----------
    gaps_days : polars.Expr
        A ``List(Float64)`` expression of gaps in time order.
    alpha : float
        The false-positive rate on histories without trend.

    Returns
    -------
    polars.Expr
        Boolean expression; false for fewer than two gaps.
    """
    return escalation_p_expr(gaps_days) <= alpha


def escalation_p_expr(gaps_days: pl.Expr) -> pl.Expr:
    """One-sided p-value that a history's gaps shrink (the incidents come faster).

    The statistic is the number of *inversions* among the gaps ``g_1 .. g_m`` in time order
    (pairs ``i < j`` with ``g_i > g_j``; Kendall's tau of gap against order, ties not
    counted). Under the null hypothesis that the gaps are exchangeable — true of a
    homogeneous Poisson process, whose gaps are independent and identically distributed —
    every order of the gaps is equally likely, so the p-value ``P(inversions >= observed)``
    is exact, from the Mahonian distribution (the count of permutations of ``m`` items by
    their inversions). With ``m`` gaps the smallest p is ``1 / m!``: 1/2, 1/6, 1/24, 1/120.

    Parameters
    ----------
    gaps_days : polars.Expr
        A ``List(Float64)`` expression of gaps in time order.

    Returns
    -------
    polars.Expr
        Float64; 1.0 for fewer than two gaps.
    """
    return gaps_days.map_batches(_escalation_p_values, return_dtype=pl.Float64)


#: Most comparisons held in memory at once while counting inversions (bytes of booleans).
_INVERSION_CHUNK = 8_000_000


def _escalation_p_values(gaps: pl.Series) -> pl.Series:
    """The p-value of each list of gaps: inversions counted for all histories of one length
    at once (an early warning over a province tests a few hundred thousand)."""
    out = np.ones(gaps.len(), dtype=np.float64)
    lengths = gaps.list.len().fill_null(0).to_numpy().astype(np.int64)
    tested = np.flatnonzero(lengths >= 2)
    if tested.size == 0:
        return pl.Series(gaps.name, out, dtype=pl.Float64)
    sizes = lengths[tested]
    flat = gaps.gather(tested).explode().cast(pl.Float64).fill_null(np.nan).to_numpy()
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    for m in map(int, np.unique(sizes)):
        rows = np.flatnonzero(sizes == m)
        upper = np.triu(np.ones((m, m), dtype=bool), 1)  # the pairs i < j
        step = max(1, _INVERSION_CHUNK // (m * m))
        for chunk in range(0, rows.size, step):
            part = rows[chunk : chunk + step]
            g = flat[starts[part, None] + np.arange(m)]
            inversions = ((g[:, :, None] > g[:, None, :]) & upper).sum(axis=(1, 2))
            out[tested[part]] = [_mahonian_sf(m, int(i)) for i in inversions]
    return pl.Series(gaps.name, out, dtype=pl.Float64)


@lru_cache(maxsize=4096)
def _mahonian_sf(m: int, inversions: int) -> float:
    """``P(I >= inversions)`` for a uniformly random permutation of ``m`` items."""
    counts = _mahonian(m)
    return float(counts[inversions:].sum() / counts.sum())


@lru_cache(maxsize=64)
def _mahonian(m: int) -> np.ndarray:
    """Number of permutations of ``m`` items with 0, 1, ... inversions (as floats)."""
    counts = np.ones(1)
    for n in range(2, m + 1):
        # Inserting the n-th item adds 0 .. n-1 inversions.
        nxt = np.zeros(counts.size + n - 1)
        for extra in range(n):
            nxt[extra : extra + counts.size] += counts
        counts = nxt
    counts.setflags(write=False)
    return counts


def check_repeat_params(min_incidents: int, start: datetime | None, end: datetime | None) -> None:
    """Validate the parameters every repeat layer shares.

    Raises
    ------
    ValueError
        If ``min_incidents`` is not an integer >= 1, a window bound is naive, or
        ``start >= end``.
    TypeError
        If a window bound is not a datetime.
    """
    if not (isinstance(min_incidents, int) and not isinstance(min_incidents, bool)):
        raise ValueError(f"'min_incidents' should be an integer >= 1, got {min_incidents!r}")
    if min_incidents < 1:
        raise ValueError(f"'min_incidents' should be an integer >= 1, got {min_incidents!r}")
    for name, value in (("start", start), ("end", end)):
        if value is None:
            continue
        if not isinstance(value, datetime):
            raise TypeError(f"'{name}' should be a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"'{name}' should be timezone-aware, got {value.isoformat()}")
    if start is not None and end is not None and start >= end:
        raise ValueError(
            f"'start' ({start.isoformat()}) should be before 'end' ({end.isoformat()})"
        )


def select_repeats(
    frame: pl.DataFrame,
    by: str | Sequence[str],
    start: datetime | None,
    end: datetime | None,
    min_incidents: int,
) -> pl.DataFrame:
    """Rows inside the window whose group has at least ``min_incidents`` of them.

    Rows with a null ``reported_at`` or a null group column are left out: an undated
    incident has no place in a history, and a null key is no address or person.
    """
    keys = [by] if isinstance(by, str) else list(by)
    kept = pl.col("reported_at").is_not_null() & pl.all_horizontal(pl.col(keys).is_not_null())
    # Compare in UTC: polars refuses to compare datetimes of two time zones.
    if start is not None:
        kept &= pl.col("reported_at") >= start.astimezone(UTC)
    if end is not None:
        kept &= pl.col("reported_at") < end.astimezone(UTC)
    frame = frame.filter(kept)
    return frame.filter(pl.len().over(keys) >= min_incidents)


# --------------------------------------------------------------------------------- internals


def _fill_address_keys(frame: pl.DataFrame) -> pl.DataFrame:
    needs_key = (
        frame.get_column("address_key").is_null() & frame.get_column("address_raw").is_not_null()
    )
    if not needs_key.any():
        return frame
    raw_to_normalise = frame.select(
        pl.when(needs_key).then(pl.col("address_raw")).alias("address_raw")
    ).to_series()
    return frame.with_columns(pl.coalesce("address_key", normalise_addresses(raw_to_normalise)))


def _with_locations(frame: pl.DataFrame) -> pl.DataFrame:
    for name in ("lat", "lng"):
        if not frame.schema[name].is_numeric():
            raise ValueError(f"column '{name}' should be numeric, got {frame.schema[name]}")
    frame = frame.with_columns(
        pl.col("lat").cast(pl.Float64).fill_nan(None), pl.col("lng").cast(pl.Float64).fill_nan(None)
    )
    for name, bound in (("lat", 90.0), ("lng", 180.0)):
        bad = frame.filter(pl.col(name).abs() > bound)
        if bad.height:
            row = bad.row(0, named=True)
            raise ValueError(
                f"column '{name}' holds {bad.height} value(s) outside ±{bound:g}° "
                f"(first: incident {row['incident_id']!r}, {name}={row[name]}); "
                "expected WGS-84 degrees"
            )
    located = (
        pl.col("lat").is_not_null()
        & pl.col("lng").is_not_null()
        & ~((pl.col("lat") == 0.0) & (pl.col("lng") == 0.0))
    )
    return frame.with_columns(located.alias("_located"))


def _assign_address_ids(frame: pl.DataFrame, snap_distance_m: float) -> pl.DataFrame:
    """Add ``address_id`` (``'<key>#<n>'``) by clustering the points of each key."""
    keyed = pl.col("address_key").is_not_null()
    points = (
        frame.filter(keyed & pl.col("_located"))
        .group_by("address_key", "lat", "lng")
        .agg(pl.col("reported_at").min().alias("_first_at"))
    )
    points = _project(points, frame.filter(keyed & pl.col("_located")))
    points = _cluster(points, snap_distance_m)

    located_ids = points.select("address_key", "lat", "lng", "_ordinal")
    clusters_per_key = points.group_by("address_key").agg(
        pl.col("_ordinal").max().alias("_clusters")
    )
    frame = (
        frame.join(located_ids, on=["address_key", "lat", "lng"], how="left", maintain_order="left")
        .join(clusters_per_key, on="address_key", how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("_ordinal").is_not_null())
            .then(pl.col("_ordinal"))
            .when(pl.col("_clusters").fill_null(1) == 1)
            .then(pl.lit(1, pl.UInt32))
            .otherwise(pl.lit(_UNPLACED, pl.UInt32))
            .alias("_ordinal")
        )
    )
    return frame.with_columns(
        pl.when(keyed)
        .then(pl.format("{}#{}", "address_key", "_ordinal"))
        .otherwise(None)
        .alias("address_id")
    ).drop("_ordinal", "_clusters")


def _project(points: pl.DataFrame, located: pl.DataFrame) -> pl.DataFrame:
    """Add metric ``_x``/``_y`` in the UTM zone of the located incidents' mean position."""
    if points.height == 0:
        return points.with_columns(_x=pl.lit(None, pl.Float64), _y=pl.lit(None, pl.Float64))
    mean_lng, mean_lat = located.select(pl.col("lng").mean(), pl.col("lat").mean()).row(0)
    to_utm = metric_transformer(utm_epsg(mean_lng, mean_lat))
    x, y = to_utm.transform(
        points.get_column("lng").to_numpy(), points.get_column("lat").to_numpy()
    )
    return points.with_columns(_x=pl.Series(x), _y=pl.Series(y))


def _cluster(points: pl.DataFrame, snap_distance_m: float) -> pl.DataFrame:
    """Add ``_ordinal`` (1, 2, … per key) to distinct located points of each key."""
    extent = points.group_by("address_key").agg(
        (
            (pl.col("_x").max() - pl.col("_x").min()) ** 2
            + (pl.col("_y").max() - pl.col("_y").min()) ** 2
        )
        .sqrt()
        .alias("_extent")
    )
    points = points.join(extent, on="address_key", how="left")
    # Every point of a key within the snap distance of every other: one address, no search.
    compact = points.filter(pl.col("_extent") <= snap_distance_m).with_columns(
        pl.lit(0, pl.Int64).alias("_component")
    )
    spread = points.filter(pl.col("_extent") > snap_distance_m)
    components = (
        _single_linkage(spread, snap_distance_m) if spread.height else np.empty(0, np.int64)
    )
    spread = spread.with_columns(pl.Series("_component", components, dtype=pl.Int64))
    clusters = pl.concat([compact, spread], how="vertical")
    ordinals = (
        clusters.group_by("address_key", "_component")
        .agg(
            pl.col("_first_at").min().alias("_cluster_first"),
            pl.col("_x").min().alias("_cluster_x"),
            pl.col("_y").min().alias("_cluster_y"),
        )
        .sort(["address_key", "_cluster_first", "_cluster_x", "_cluster_y"], nulls_last=True)
        .with_columns(
            (pl.int_range(pl.len(), dtype=pl.UInt32).over("address_key") + 1).alias("_ordinal")
        )
        .select("address_key", "_component", "_ordinal")
    )
    return clusters.join(ordinals, on=["address_key", "_component"], how="left")


def _single_linkage(points: pl.DataFrame, snap_distance_m: float) -> np.ndarray:
    """Connected components of 'same key and within the snap distance', one label per point.

    Single-linkage clusters at distance ``d`` are the components of the Euclidean minimum
    spanning tree's edges no longer than ``d``, and that tree lies inside the Delaunay
    triangulation. So a key with many points is triangulated (``O(n)`` edges) instead of
    listing every pair within ``d`` (``O(n²)`` for a dense address). Keys with few points
    go together into one k-d tree, each key lifted to its own plane along a third axis so
    that no pair crosses keys.
    """
    x = points.get_column("_x").to_numpy()
    y = points.get_column("_y").to_numpy()
    codes = points.get_column("address_key").rank("dense").to_numpy().astype(np.int64) - 1
    sizes = np.bincount(codes)
    small = sizes[codes] <= _PAIRWISE_MAX_POINTS
    edges: list[np.ndarray] = [np.empty((0, 2), dtype=np.int64)]

    few = np.flatnonzero(small)
    if few.size:
        spacing = max(np.ptp(x[few]), np.ptp(y[few])) + 10.0 * snap_distance_m
        lifted = np.column_stack(
            [x[few] - x[few].min(), y[few] - y[few].min(), codes[few] * spacing]
        )
        edges.append(few[cKDTree(lifted).query_pairs(snap_distance_m, output_type="ndarray")])

    many = np.flatnonzero(~small)
    many = many[np.argsort(codes[many], kind="stable")]
    for members in np.split(many, np.flatnonzero(np.diff(codes[many])) + 1):
        if members.size:
            edges.append(members[_delaunay_edges(x[members], y[members], snap_distance_m)])

    pairs = np.concatenate(edges)
    n = len(x)
    graph = sparse.coo_matrix(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n)
    )
    return csgraph.connected_components(graph, directed=False)[1].astype(np.int64)


def _delaunay_edges(x: np.ndarray, y: np.ndarray, snap_distance_m: float) -> np.ndarray:
    """Delaunay edges no longer than the snap distance (index pairs into ``x``/``y``)."""
    xy = np.column_stack([x - x.min(), y - y.min()])
    try:
        # QJ joggles the input by ~1e-8 m instead of merging facets, so nearly collinear or
        # cocircular points (common: geocodes along one road) still get a true triangulation.
        triangulation = Delaunay(xy, qhull_options="QJ")
    except QhullError:  # Qhull gave up: fall back to listing the pairs
        return cKDTree(xy).query_pairs(snap_distance_m, output_type="ndarray")
    simplices = triangulation.simplices
    candidates = [simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]]
    if triangulation.coplanar.size:
        # Points Qhull left out (numerically on top of a vertex) join their nearest vertex.
        candidates.append(triangulation.coplanar[:, [0, 2]])
    candidates_arr = np.concatenate(candidates).astype(np.int64)
    length = np.hypot(*(xy[candidates_arr[:, 0]] - xy[candidates_arr[:, 1]]).T)
    return candidates_arr[length <= snap_distance_m]
