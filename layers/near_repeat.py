"""Near-repeat: the Knox test of space-time interaction, as in Ratcliffe's Near Repeat Calculator.

What is computed
----------------
Every pair of located incidents is put in one *space band* and one *time band*:

* space: ``same location`` (closer than ``same_location_m``), then ``space_bands`` bands of
  ``space_bandwidth_m`` metres (``0 to 100 m`` is the half-open interval (0, 100] beyond the
  same-location tolerance, ``100 to 200 m`` is (100, 200], ...), then ``more than ... m``;
* time: the difference of the incidents' *calendar dates* in ``time_zone`` (the Near Repeat
  Calculator works in whole days): ``0 to 7 days`` holds date differences 0..7, ``8 to 14
  days`` 8..14, ..., then ``more than ... days``.

The *observed* count of a band is its number of pairs. The *expected* count is the mean over
``permutations`` Monte Carlo runs in which the incidents' dates are shuffled over their
locations (a random permutation, drawn from ``numpy.random.default_rng(seed)``), which keeps
both the spatial and the temporal distribution and breaks only their interaction. The Knox
ratio is observed / expected; the p-value is ``(n_ge + 1) / (permutations + 1)`` with ``n_ge``
the number of runs whose count is at least the observed one, a one-sided test of *more*
close pairs than chance (with 99 runs the smallest p-value is 0.01). A band is
``significant`` when ``p_value <= alpha`` and the ratio is above 1. The ``more than`` bands
are what is left of fixed totals, so a deficit of close pairs shows there as a ratio a hair
above 1 that can be "significant"; read them as complements (the zones ignore them). As in
the calculator, each band is tested on its own: with 30 bands at alpha 0.05, one or two
significant bands are expected by chance alone.

How it stays fast
-----------------
Only pairs within ``space_bands * space_bandwidth_m`` are enumerated (``scipy.spatial.cKDTree``
``query_pairs``); a permutation only re-reads those pairs' dates. The ``more than`` space row
is derived, not enumerated: shuffling dates does not change how many pairs of *all* pairs
fall in each time band, and that total comes from the sorted dates in O(n log n). So the
cost grows with the number of close pairs, not with n².

Distances
---------
Coordinates are WGS-84 degrees; before any distance they are projected to the UTM zone of
the incidents' mean longitude (northern or southern by their mean latitude; e.g. EPSG:32649,
UTM 49N, for Shenzhen, EPSG:32616 for Chicago), by :func:`geo.projection.to_local_metres`.
The chosen CRS is returned in the ``metric_crs`` column. Data spanning more than
:data:`geo.projection.MAX_LONGITUDE_SPAN_DEG` degrees of longitude is refused: split it by
area first.

Unlocated incidents
-------------------
Incidents without coordinates or time are not paired; their number is returned in the
``n_excluded`` column, next to ``n_incidents`` (the incidents that were paired).

References
----------
Knox, E. G. (1964). The detection of space-time interactions. *Applied Statistics* 13(1).
Ratcliffe, J. H. (2009). *Near Repeat Calculator* (version 1.3). Temple University and the
National Institute of Justice.
Johnson, S. D. et al. (2007). Space-time patterns of risk: a cross national assessment of
residential burglary victimization. *Journal of Quantitative Criminology* 23(3).
"""

from __future__ import annotations

import math
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pyproj
import shapely
from scipy.spatial import cKDTree

from geo.h3cells import (
    BASE_RESOLUTION,
    cell_to_boundary_lnglat,
    cell_to_latlng,
    grid_disks,
    latlng_to_cells,
)
from geo.projection import metric_transformer, to_local_metres

#: Stable id of this layer in the layer registry.
LAYER_ID = "near_repeat"
#: Monte Carlo runs for the expected counts (the Near Repeat Calculator's usual setting).
PERMUTATIONS = 99
#: Seed of the permutations: the same data and seed give the same table.
DEFAULT_SEED = 20_170_101
#: Width of each space band, metres.
SPACE_BANDWIDTH_M = 100.0
#: Number of space bands after ``same location`` (so pairs up to 500 m are tabulated).
SPACE_BANDS = 5
#: Width of each time band, whole days.
TIME_BANDWIDTH_DAYS = 7
#: Number of time bands (so date differences up to 28 days are tabulated).
TIME_BANDS = 4
#: Pairs closer than this are at the same location (geocoded to one address: exactly 0 m).
SAME_LOCATION_M = 0.5
#: Most pairs within the tabulated distance a test may enumerate (~1 GB of working arrays).
MAX_CLOSE_PAIRS = 20_000_000
#: Significance level of a band.
ALPHA = 0.05
#: Calendar dates, and so day differences, are taken in the installation's time zone.
TIME_ZONE = "Asia/Shanghai"

#: Columns of the frame :func:`knox_test` returns.
KNOX_SCHEMA: dict[str, pl.DataType] = {
    "space_band": pl.String,
    "time_band": pl.String,
    "space_index": pl.Int32,
    "time_index": pl.Int32,
    "space_from_m": pl.Float64,
    "space_to_m": pl.Float64,
    "time_from_days": pl.Int32,
    "time_to_days": pl.Int32,
    "observed": pl.Int64,
    "expected_mean": pl.Float64,
    "ratio": pl.Float64,
    "p_value": pl.Float64,
    "significant": pl.Boolean,
    "permutations": pl.Int32,
    "n_incidents": pl.Int64,
    "n_excluded": pl.Int64,
    "metric_crs": pl.String,
}

#: Columns of the frame :func:`near_repeat_zones` returns.
ZONE_SCHEMA: dict[str, pl.DataType] = {
    "cell": pl.Int64,
    "until": pl.Datetime("us", "UTC"),
    "source_incidents": pl.Int64,
    "radius_m": pl.Float64,
    "window_days": pl.Int32,
}

_REQUIRED = ("reported_at", "lat", "lng")
#: Distances are compared at this resolution (projection round-off is far below it).
_DISTANCE_RESOLUTION_M = 1e-6


@dataclass(frozen=True)
class NearRepeatParams:
    """Bands and Monte Carlo settings of the Knox test.

    Attributes
    ----------
    space_bandwidth_m : float
        Width of a space band in metres, > 0.
    space_bands : int
        Number of space bands after ``same location``, >= 1.
    time_bandwidth_days : int
        Width of a time band in whole days, >= 1.
    time_bands : int
        Number of time bands, >= 1.
    same_location_m : float
        Pairs closer than this many metres are at the ``same location``; >= 0 and below
        ``space_bandwidth_m``.
    permutations : int
        Monte Carlo runs, >= 1.
    seed : int
        Seed of the permutations.
    alpha : float
        Significance level, in (0, 1).
    time_zone : str
        IANA time zone whose calendar dates define the day differences.
    """

    space_bandwidth_m: float = SPACE_BANDWIDTH_M
    space_bands: int = SPACE_BANDS
    time_bandwidth_days: int = TIME_BANDWIDTH_DAYS
    time_bands: int = TIME_BANDS
    same_location_m: float = SAME_LOCATION_M
    permutations: int = PERMUTATIONS
    seed: int = DEFAULT_SEED
    alpha: float = ALPHA
    time_zone: str = TIME_ZONE

    def __post_init__(self) -> None:
        for name in ("space_bands", "time_bandwidth_days", "time_bands", "permutations", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(f"'{name}' should be an int, got {type(value).__name__}")
        for name in ("space_bands", "time_bandwidth_days", "time_bands", "permutations"):
            if getattr(self, name) < 1:
                raise ValueError(f"'{name}' should be >= 1, got {getattr(self, name)}")
        if not (math.isfinite(self.space_bandwidth_m) and self.space_bandwidth_m > 0):
            raise ValueError(f"'space_bandwidth_m' should be > 0, got {self.space_bandwidth_m}")
        if not 0 <= self.same_location_m < self.space_bandwidth_m:
            raise ValueError(
                f"'same_location_m' should be in [0, space_bandwidth_m={self.space_bandwidth_m})"
                f", got {self.same_location_m}"
            )
        if not 0 < self.alpha < 1:
            raise ValueError(f"'alpha' should be in (0, 1), got {self.alpha}")
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as err:
            raise ValueError(f"'time_zone' is not an IANA time zone: {self.time_zone!r}") from err

    @property
    def max_distance_m(self) -> float:
        """Outer edge of the last tabulated space band."""
        return self.space_bands * self.space_bandwidth_m

    @property
    def max_days(self) -> int:
        """Outer edge (inclusive) of the last tabulated time band."""
        return self.time_bands * self.time_bandwidth_days


def knox_test(incidents: pl.DataFrame, params: NearRepeatParams | None = None) -> pl.DataFrame:
    """Knox test of near-repeat victimisation: observed vs. expected pairs per space-time band.

    Parameters
    ----------
    incidents : polars.DataFrame
        An incident frame (see :mod:`data.frames`); reads ``reported_at`` (time-zone aware,
        UTC), ``lat`` and ``lng`` (WGS-84 degrees). Rows missing any of them are excluded
        and counted in ``n_excluded``.
    params : NearRepeatParams, optional
        Bands, permutations, seed; defaults to :class:`NearRepeatParams()`.

    Returns
    -------
    polars.DataFrame
        One row per (space band, time band), space-major: ``(space_bands + 2) x
        (time_bands + 1)`` rows with the columns of :data:`KNOX_SCHEMA`:
        ``space_band``/``time_band`` labels; ``space_index`` (0 same location, 1..N the
        bands, N+1 beyond) and ``time_index`` (0..M-1 the bands, M beyond);
        ``space_from_m``/``space_to_m`` and ``time_from_days``/``time_to_days`` (band edges,
        ``to`` null for the *more than* bands); ``observed`` pairs; ``expected_mean`` over the
        permutations; ``ratio`` (Knox ratio, null when nothing is expected); ``p_value``;
        ``significant``; and constant ``permutations``, ``n_incidents``, ``n_excluded``,
        ``metric_crs`` (the UTM CRS used for distances).

    Raises
    ------
    TypeError
        If ``incidents`` is not a polars DataFrame or a column has the wrong type.
    ValueError
        If a column is missing, coordinates are out of the WGS-84 range (projected data?),
        the data spans too wide an area, or fewer than two incidents are located.
    """
    params = NearRepeatParams() if params is None else params
    located, n_excluded = _located(incidents)
    if located.height < 2:
        raise ValueError(
            f"the Knox test needs at least 2 located incidents, got {located.height} "
            f"({n_excluded} without coordinates or time)"
        )
    lat = located["lat"].to_numpy()
    lng = located["lng"].to_numpy()
    x, y, crs = to_local_metres(lat, lng)
    days = _local_days(located["reported_at"], params.time_zone)

    first, second, space_band = _close_pairs(x, y, params)
    n_space = params.space_bands + 1  # same location + the bands; "beyond" is derived
    n_time = params.time_bands + 1  # the bands + beyond
    time_totals = _time_band_totals(days, params)

    observed = _full_table(
        _near_table(days, first, second, space_band, n_space, params), time_totals
    )
    rng = np.random.default_rng(params.seed)
    simulated = np.empty((params.permutations, n_space + 1, n_time), dtype=np.int64)
    for run in range(params.permutations):
        shuffled = days[rng.permutation(days.size)]
        simulated[run] = _full_table(
            _near_table(shuffled, first, second, space_band, n_space, params), time_totals
        )

    expected = simulated.mean(axis=0)
    ratio = np.full(expected.shape, np.nan)
    np.divide(observed, expected, out=ratio, where=expected > 0)
    n_ge = (simulated >= observed[None, :, :]).sum(axis=0)
    p_value = (n_ge + 1) / (params.permutations + 1)
    significant = (p_value <= params.alpha) & (ratio > 1)
    return _knox_frame(
        observed,
        expected,
        ratio,
        p_value,
        significant,
        params,
        n_incidents=located.height,
        n_excluded=n_excluded,
        crs=crs,
    )


def near_repeat_zones(
    incidents: pl.DataFrame,
    knox_result: pl.DataFrame,
    now: datetime,
    params: NearRepeatParams | None = None,
) -> pl.DataFrame:
    """H3 cells currently inside a significant near-repeat window after recent incidents.

    From ``knox_result`` the run of significant bands that starts at the nearest ones (same
    location or the first distance band, in the first time band) and grows through
    significant neighbouring bands gives the radius ``D`` (the outer edge of its farthest space
    band, metres) and the window ``T`` (the outer edge of its latest time band, days); the
    *more than* bands never count. Each incident whose
    calendar date (in ``params.time_zone``) is at most ``T`` days before today's keeps the
    cells around it "hot" until the end of its date plus ``T`` days; the cells are those
    whose hexagon comes within ``D`` metres of the incident (distance measured in the UTM
    zone of the recent incidents, see :func:`to_local_metres`).

    Parameters
    ----------
    incidents : polars.DataFrame
        An incident frame; reads ``reported_at`` (UTC), ``lat``, ``lng`` (WGS-84).
        Incidents after ``now`` are ignored; unlocated ones cannot be placed and are skipped.
    knox_result : polars.DataFrame
        The output of :func:`knox_test` (normally on the same area's longer history).
    now : datetime.datetime
        Time-zone aware current time.
    params : NearRepeatParams, optional
        Must be the parameters of ``knox_result`` (only ``time_zone`` is read here).

    Returns
    -------
    polars.DataFrame
        Columns of :data:`ZONE_SCHEMA`: ``cell`` (Int64, resolution 9), ``until`` (UTC: when
        the last window covering the cell closes), ``source_incidents`` (recent incidents
        whose window covers it), ``radius_m`` (``D``) and ``window_days`` (``T``); sorted by
        ``until`` descending then ``cell``. Empty when no band is significant.

    Raises
    ------
    TypeError
        If ``now`` is not a datetime or the frames are not polars DataFrames.
    ValueError
        If ``now`` is naive, or a frame lacks columns.
    """
    params = NearRepeatParams() if params is None else params
    if not isinstance(now, datetime):
        raise TypeError(f"'now' should be a datetime, got {type(now).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"'now' should be time-zone aware, got naive {now.isoformat()}")
    radius, window = _significant_extent(knox_result)
    if radius is None or window is None:
        return pl.DataFrame(schema=ZONE_SCHEMA)

    located, _ = _located(incidents)
    zone = zoneinfo.ZoneInfo(params.time_zone)
    today = now.astimezone(zone).date()
    local = pl.col("reported_at").dt.convert_time_zone(params.time_zone)
    recent = located.filter(pl.col("reported_at") <= now).with_columns(
        local.dt.date().alias("_date")
    )
    recent = recent.filter(pl.col("_date") >= today - timedelta(days=window))
    if recent.is_empty():
        return pl.DataFrame(schema=ZONE_SCHEMA)
    # The window of a date d closes at the start of local date d + T + 1.
    recent = recent.with_columns(
        (pl.col("_date") + pl.duration(days=window + 1))
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone(params.time_zone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .alias("_until")
    )
    lat = recent["lat"].to_numpy()
    lng = recent["lng"].to_numpy()
    incident_idx, cells = _cells_within(lat, lng, radius)
    return (
        pl.DataFrame({"cell": cells, "_i": incident_idx})
        .join(recent.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_i"), "_until"), on="_i")
        .group_by("cell")
        .agg(
            pl.col("_until").max().alias("until"), pl.len().cast(pl.Int64).alias("source_incidents")
        )
        .with_columns(
            pl.lit(radius, dtype=pl.Float64).alias("radius_m"),
            pl.lit(window, dtype=pl.Int32).alias("window_days"),
        )
        .sort(["until", "cell"], descending=[True, False])
        .select([pl.col(c).cast(t) for c, t in ZONE_SCHEMA.items()])
    )


# -- private helpers ---------------------------------------------------------------------


def _located(incidents: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Validate the frame; return its rows with time and coordinates, and how many lack them."""
    if not isinstance(incidents, pl.DataFrame):
        raise TypeError(f"'incidents' should be a polars DataFrame, got {type(incidents).__name__}")
    missing = [c for c in _REQUIRED if c not in incidents.columns]
    if missing:
        raise ValueError(f"'incidents' lacks column(s) {missing}; has {incidents.columns}")
    reported = incidents.schema["reported_at"]
    if not isinstance(reported, pl.Datetime) or reported.time_zone is None:
        raise TypeError(
            f"'incidents' column 'reported_at' should be a time-zone aware Datetime (UTC), "
            f"got {reported}"
        )
    for column in ("lat", "lng"):
        if not incidents.schema[column].is_numeric():
            raise TypeError(
                f"'incidents' column '{column}' should be numeric (WGS-84 degrees), "
                f"got {incidents.schema[column]}"
            )
    frame = incidents.select(
        pl.col("reported_at").dt.convert_time_zone("UTC"),
        pl.col("lat").cast(pl.Float64).fill_nan(None),
        pl.col("lng").cast(pl.Float64).fill_nan(None),
    )
    located = frame.drop_nulls()
    return located, frame.height - located.height


def _local_days(reported_at: pl.Series, time_zone: str) -> np.ndarray:
    """Calendar date of each time in ``time_zone``, as days since 1970-01-01 (int64)."""
    dates = reported_at.dt.convert_time_zone(time_zone).dt.date()
    return dates.cast(pl.Int32).cast(pl.Int64).to_numpy()


def _close_pairs(
    x: np.ndarray, y: np.ndarray, params: NearRepeatParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``i < j`` within the tabulated distance, and the space band of each pair."""
    tree = cKDTree(np.column_stack([x, y]))
    reach = params.max_distance_m + _DISTANCE_RESOLUTION_M
    # Counting is cheap; listing and permuting that many pairs would exhaust memory.
    n_pairs = (int(tree.count_neighbors(tree, reach)) - x.size) // 2
    if n_pairs > MAX_CLOSE_PAIRS:
        raise ValueError(
            f"{x.size:,} incidents make {n_pairs:,} pairs within {params.max_distance_m:g} m, "
            f"more than the {MAX_CLOSE_PAIRS:,} the Knox test handles: choose a shorter period "
            "or fewer stations"
        )
    pairs = tree.query_pairs(r=reach, output_type="ndarray")
    first = pairs[:, 0].astype(np.int64)
    second = pairs[:, 1].astype(np.int64)
    # Rounded to the micrometre, so 100 m that projection makes 100.000000001 m stays 100 m.
    distance = np.round(np.hypot(x[first] - x[second], y[first] - y[second]), 6)
    inside = distance <= params.max_distance_m
    first, second, distance = first[inside], second[inside], distance[inside]
    band = np.ceil(distance / params.space_bandwidth_m).astype(np.int64)
    band = np.clip(band, 1, params.space_bands)
    band[distance < params.same_location_m] = 0
    return first, second, band


def _time_band(day_difference: np.ndarray, params: NearRepeatParams) -> np.ndarray:
    """Time band of date differences: 0..bw -> 0, bw+1..2bw -> 1, ...; beyond -> ``time_bands``."""
    band = np.maximum(day_difference - 1, 0) // params.time_bandwidth_days
    return np.minimum(band, params.time_bands)


def _near_table(
    days: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    space_band: np.ndarray,
    n_space: int,
    params: NearRepeatParams,
) -> np.ndarray:
    """Counts of the close pairs per (space band, time band), ``n_space x (time_bands + 1)``."""
    n_time = params.time_bands + 1
    time_band = _time_band(np.abs(days[first] - days[second]), params)
    flat = np.bincount(space_band * n_time + time_band, minlength=n_space * n_time)
    return flat.reshape(n_space, n_time)


def _time_band_totals(days: np.ndarray, params: NearRepeatParams) -> np.ndarray:
    """Pairs of *all* incidents per time band: invariant under shuffling dates over places."""
    ordered = np.sort(days)
    n = ordered.size
    positions = np.arange(n)

    def pairs_within(limit: int) -> int:
        # For each i (sorted), later incidents j > i with days[j] - days[i] <= limit.
        reach = np.searchsorted(ordered, ordered + limit, side="right")
        return int((reach - positions - 1).sum())

    edges = [pairs_within(k * params.time_bandwidth_days) for k in range(1, params.time_bands + 1)]
    cumulative = np.array([*edges, n * (n - 1) // 2], dtype=np.int64)
    return np.diff(cumulative, prepend=0)


def _full_table(near: np.ndarray, time_totals: np.ndarray) -> np.ndarray:
    """Append the ``more than`` space row: all pairs of a time band minus the close ones."""
    return np.vstack([near, time_totals - near.sum(axis=0)])


def _knox_frame(
    observed: np.ndarray,
    expected: np.ndarray,
    ratio: np.ndarray,
    p_value: np.ndarray,
    significant: np.ndarray,
    params: NearRepeatParams,
    *,
    n_incidents: int,
    n_excluded: int,
    crs: str,
) -> pl.DataFrame:
    n_space_rows, n_time = observed.shape
    space_index = np.repeat(np.arange(n_space_rows), n_time)
    time_index = np.tile(np.arange(n_time), n_space_rows)
    space_edges = [_space_edges(s, params) for s in range(n_space_rows)]
    time_edges = [_time_edges(t, params) for t in range(n_time)]
    return pl.DataFrame(
        {
            "space_band": [space_edges[s][2] for s in space_index],
            "time_band": [time_edges[t][2] for t in time_index],
            "space_index": space_index,
            "time_index": time_index,
            "space_from_m": [space_edges[s][0] for s in space_index],
            "space_to_m": [space_edges[s][1] for s in space_index],
            "time_from_days": [time_edges[t][0] for t in time_index],
            "time_to_days": [time_edges[t][1] for t in time_index],
            "observed": observed.ravel(),
            "expected_mean": expected.ravel(),
            "ratio": ratio.ravel(),
            "p_value": p_value.ravel(),
            "significant": significant.ravel(),
            "permutations": np.full(observed.size, params.permutations),
            "n_incidents": np.full(observed.size, n_incidents),
            "n_excluded": np.full(observed.size, n_excluded),
            "metric_crs": [crs] * observed.size,
        },
        schema=KNOX_SCHEMA,
        nan_to_null=True,
    )


def _space_edges(index: int, params: NearRepeatParams) -> tuple[float, float | None, str]:
    bw, n = params.space_bandwidth_m, params.space_bands
    if index == 0:
        return 0.0, params.same_location_m, "same location"
    if index > n:
        return n * bw, None, f"more than {_number(n * bw)} m"
    return (index - 1) * bw, index * bw, f"{_number((index - 1) * bw)} to {_number(index * bw)} m"


def _time_edges(index: int, params: NearRepeatParams) -> tuple[int, int | None, str]:
    bw, m = params.time_bandwidth_days, params.time_bands
    if index >= m:
        return m * bw + 1, None, f"more than {m * bw} days"
    low = 0 if index == 0 else index * bw + 1
    return low, (index + 1) * bw, f"{low} to {(index + 1) * bw} days"


def _number(value: float) -> str:
    return f"{value:g}"


def _significant_extent(knox_result: pl.DataFrame) -> tuple[float | None, int | None]:
    """Outer edges of the run of significant bands that starts at the nearest ones.

    The seeds are the significant bands of the first time band at the same location or in the
    first distance band; the run grows through significant bands that share a side with it
    (one step in space or in time). A significant band cut off from that run — with 35 bands
    tested, one or two come out significant by chance — does not widen the zones.
    """
    if not isinstance(knox_result, pl.DataFrame):
        raise TypeError(
            f"'knox_result' should be a polars DataFrame, got {type(knox_result).__name__}"
        )
    needed = ("significant", "space_index", "time_index", "space_to_m", "time_to_days")
    missing = [c for c in needed if c not in knox_result.columns]
    if missing:
        raise ValueError(f"'knox_result' lacks column(s) {missing}: pass the output of knox_test()")
    bands = knox_result.filter(
        pl.col("significant")
        & pl.col("space_to_m").is_not_null()
        & pl.col("time_to_days").is_not_null()
    )
    edges = {
        (int(r["space_index"]), int(r["time_index"])): (
            float(r["space_to_m"]),
            int(r["time_to_days"]),
        )
        for r in bands.iter_rows(named=True)
    }
    run = [band for band in ((0, 0), (1, 0)) if band in edges]
    seen = set(run)
    while run:
        s_i, t_i = run.pop()
        for step in ((s_i + 1, t_i), (s_i - 1, t_i), (s_i, t_i + 1), (s_i, t_i - 1)):
            if step in edges and step not in seen:
                seen.add(step)
                run.append(step)
    if not seen:
        return None, None
    return max(edges[b][0] for b in seen), max(edges[b][1] for b in seen)


def _cells_within(lat: np.ndarray, lng: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """(incident position, cell) pairs: resolution-9 cells whose hexagon is within ``radius``."""
    x, y, crs = to_local_metres(lat, lng)
    transformer = metric_transformer(int(crs.removeprefix("EPSG:")))
    origins = latlng_to_cells(lat, lng, BASE_RESOLUTION)
    unique_origins, origin_of = np.unique(origins, return_inverse=True)

    # Circumradius R of the origin hexagons bounds how far the grid must reach: a cell that
    # touches the disc has its centre within radius + 2R of the origin's centre, and grid
    # distance k is at least ~1.5 R k away; 1.2 R leaves room for H3's distortion.
    circumradius = max(_circumradius(int(c), transformer) for c in unique_origins)
    k = math.ceil((radius + 2.0 * circumradius) / (1.2 * circumradius)) + 1
    disk_origin, disk_cell = grid_disks(unique_origins, k)

    candidates, candidate_of = np.unique(disk_cell, return_inverse=True)
    polygons = shapely.polygons([_projected_ring(int(c), transformer) for c in candidates])
    # Every (incident, candidate cell of its origin's disk) pair.
    per_origin = pl.DataFrame({"o": disk_origin, "c": candidate_of})
    pairs = pl.DataFrame({"i": np.arange(lat.size), "o": origin_of}).join(per_origin, on="o")
    i = pairs["i"].to_numpy()
    c = pairs["c"].to_numpy()
    points = shapely.points(x[i], y[i])
    keep = shapely.distance(points, polygons[c]) <= radius
    return i[keep], candidates[c[keep]]


def _projected_ring(cell: int, transformer: pyproj.Transformer) -> np.ndarray:
    ring = np.asarray(cell_to_boundary_lnglat(cell))
    x, y = transformer.transform(ring[:, 0], ring[:, 1])
    return np.column_stack([x, y])


def _circumradius(cell: int, transformer: pyproj.Transformer) -> float:
    ring = _projected_ring(cell, transformer)
    lat, lng = cell_to_latlng(cell)
    cx, cy = transformer.transform(lng, lat)
    return float(np.hypot(ring[:, 0] - cx, ring[:, 1] - cy).max())
