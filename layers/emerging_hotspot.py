"""Emerging hot spots: space-time Gi* per time step, a Mann-Kendall trend, Esri's categories.

The method follows Esri's *Emerging Hot Spot Analysis* ("How Emerging Hot Spot Analysis
works", ArcGIS Pro documentation). No open Python library implements the categories, so
every choice is written down here.

1. The space-time cube
----------------------
The window must lie within the history: when the incidents given begin more than one step
after the window's start, :func:`compute` refuses, naming the dates and the longest window
the history allows (empty early steps would make every recently active cell "new").

Incidents are counted per H3 cell and per time step (a week by default). Steps are
aligned on ``end`` (exclusive) and counted back, so the final step ends at ``end`` and
is complete: step ``i`` of ``T`` covers ``[end - (T - i) * step, end - (T - i - 1) * step)``.
The analysed cells are those with at least one incident in the window plus, when given,
every cell of ``study_cells`` (Esri's "polygon analysis mask"), with zero counts where
nothing happened. Esri needs at least ten time steps; so does :func:`compute`
(:data:`MIN_TIME_STEPS`).

2. Gi* per bin (space-time neighbourhood)
-----------------------------------------
As Esri does: the neighbours of bin (cell ``i``, step ``t``) are the cells within ``k``
grid steps of ``i`` (``i`` included) *in the same step and in each of the previous
``time_window`` steps* (Esri's "Neighborhood Time Step", default 1). The window looks
back only, so a bin never depends on the future; at the first steps it is truncated.
Weights are binary. The global mean and standard deviation are taken over *all* bins of
the cube (Esri's default global window, "Entire cube"); ``n`` is cells × steps. So for
each bin ``z = (L - mean W) / (std sqrt((n W - W**2) / (n - 1)))`` with ``L`` the sum
over the neighbourhood and ``W`` its size: esda's ``G_Local(star=True, transform='B')``
on the space-time weights (tested to 1e-9). p-values are two-sided and corrected with
Benjamini–Hochberg over all bins of the cube (Esri applies an FDR correction here too).
A bin is a *hot* (*cold*) spot when its corrected p is ``<= 0.10`` (90 % confidence, the
loosest Gi* class) and ``z > 0`` (``z < 0``).

3. Trend
--------
The Mann-Kendall test runs on each cell's series of Gi* z-scores (the "intensity of
clustering"), as in Esri: ``S = sum_{i<j} sign(z_j - z_i)``,
``Var(S) = (T(T-1)(2T+5) - sum_g t_g(t_g-1)(2t_g+5)) / 18`` over groups of tied values,
``Z = (S - sign(S)) / sqrt(Var(S))`` (continuity correction), two-sided normal p.
z-scores are rounded to :data:`TIE_DECIMALS` decimals first so that equal neighbourhoods
tie exactly. The trend is *significant* when ``p <= trend_alpha`` (default
:data:`TREND_ALPHA`).

4. Categories (rules as implemented)
------------------------------------
Let ``T`` be the number of steps, ``H``/``C`` the number of hot/cold bins of the cell,
"mostly hot" mean ``H >= 90 % of T`` (:data:`MOSTLY_SHARE`), and the final step be
hot, cold or not significant. Cold categories mirror hot ones (swap hot and cold, and
"increasing" with "decreasing" z).

Final step hot:

- ``intensifying_hotspot``: mostly hot, and a significant upward trend.
- ``diminishing_hotspot``: mostly hot, and a significant downward trend.
- ``persistent_hotspot``: mostly hot, and no significant trend.
- ``oscillating_hotspot``: not mostly hot, and at least one earlier cold bin.
- ``new_hotspot``: the final bin is the only hot bin, and no cold bin ever.
- ``consecutive_hotspot``: the hot bins form one uninterrupted run of at least two that
  ends at the final step (never hot before the run), not mostly hot, no cold bin ever.
- ``sporadic_hotspot``: not mostly hot, hot before the final run with a gap between (an
  on-again, off-again hot spot), and no cold bin ever.

Final step not significant:

- ``historical_hotspot``: mostly hot.
- ``historical_coldspot``: mostly cold.

Anything else (including a cell hot now and then but not at the final step, or never
significant) is ``no_pattern``. A cell without an incident of its own in the window is
never a hot spot (its neighbours alone made its bins hot): it is ``no_pattern`` too.

Where Esri's wording lets two categories hold at once, this module decides so:

- A cold bin anywhere in the history makes a final-hot cell *oscillating*, even if it
  would otherwise be new or consecutive (Esri defines those by the hot history alone).
- A cell hot in at least 90 % of steps but cold at the final step is an
  ``oscillating_coldspot``, not a ``historical_hotspot``: the categories that describe
  the current step come first.
- Sporadic requires the final step to be hot, as the current Pro documentation says
  (the older ArcMap text did not); a cell hot on and off but not now is ``no_pattern``.

5. Time step and sparse counts
------------------------------
Esri's guidance for the space-time cube is to size its bins so that they hold enough
points; a weekly cube of resolution-9 cells at domestic-violence density (about 0.02
incidents per cell per week) holds almost none, and Gi* on it calls one incident a hot
bin: a spot that began ten weeks ago comes out *sporadic*, like a steady one. So, unless
the caller fixes ``step``, :func:`compute` chooses it from the data: the shortest whole
number of weeks whose bins hold on average at least :data:`MIN_MEAN_PER_BIN` incident
(mean over the cells with an incident in the window, so that empty study cells do not
count) while leaving at least :data:`MIN_TIME_STEPS` steps. If no such step exists, the
counts are sparse and :mod:`layers.emerging_sparse` classifies the weekly cube with exact
Poisson and binomial tests (recent third of the window against the rest) under the same
category names. The cell size is the caller's (the map's resolution): coarser cells would
hide the small clusters a station chief patrols.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from geo.h3cells import BASE_RESOLUTION, cells_to_parent
from layers import emerging_sparse, hotspot
from layers.counts import CELL_COLUMN
from layers.hotspot import DEFAULT_K, KRingWeights
from layers.refusal import LayerRefusedError

#: Stable id of this layer in the layer registry.
LAYER_ID = "emerging_hotspot"
#: Length of one time step of the cube.
DEFAULT_STEP = timedelta(weeks=1)
#: Previous steps in each bin's neighbourhood (Esri's "Neighborhood Time Step" default).
DEFAULT_TIME_WINDOW = 1
#: Fewest time steps the analysis accepts (Esri's minimum for Emerging Hot Spot Analysis).
MIN_TIME_STEPS = 10
#: Share of steps a cell must be hot (cold) in for the persistent-type categories.
MOSTLY_SHARE = 0.9
#: Significance level of the Mann-Kendall trend.
TREND_ALPHA = 0.05
#: Decimals Gi* z-scores are rounded to before the trend test, so equal values tie.
TIE_DECIMALS = 10
#: Mean incidents per space-time bin (over the cells with an incident in the window) that a
#: time step must reach for the Gi* cube; below it at every step allowed, the sparse-count
#: model of :mod:`layers.emerging_sparse` decides (see the module notes, part 5).
MIN_MEAN_PER_BIN = 1.0
#: Ways :func:`compute` may classify: choose from the data, or force one.
MODELS: tuple[str, ...] = ("auto", "gi_star", "sparse")
#: Column of an incident frame holding the report time (UTC).
TIME_COLUMN = "reported_at"

#: Category names, hot first, then cold, then ``no_pattern``.
CATEGORIES: tuple[str, ...] = (
    "new_hotspot",
    "consecutive_hotspot",
    "intensifying_hotspot",
    "persistent_hotspot",
    "diminishing_hotspot",
    "sporadic_hotspot",
    "oscillating_hotspot",
    "historical_hotspot",
    "new_coldspot",
    "consecutive_coldspot",
    "intensifying_coldspot",
    "persistent_coldspot",
    "diminishing_coldspot",
    "sporadic_coldspot",
    "oscillating_coldspot",
    "historical_coldspot",
    "no_pattern",
)
#: Codes of the hot categories (a cell without an incident in the window gets none).
_HOT_CODES = [i for i, name in enumerate(CATEGORIES) if name.endswith("_hotspot")]
#: Polars dtype of the ``category`` column.
CATEGORY_DTYPE = pl.Enum(list(CATEGORIES))

#: Columns of the frame :func:`compute` returns.
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "cell": pl.Int64,
    "category": CATEGORY_DTYPE,
    "mk_z": pl.Float64,
    "mk_p": pl.Float64,
    "n_hot_steps": pl.Int32,
    "n_cold_steps": pl.Int32,
    "final_step_class": pl.Int8,
}
#: Columns of the cube :func:`space_time_counts` returns.
CUBE_SCHEMA: dict[str, pl.DataType] = {
    "cell": pl.Int64,
    "step": pl.Int32,
    "count": pl.Int64,
}


def compute(
    incidents: pl.DataFrame,
    *,
    res: int = BASE_RESOLUTION,
    step: timedelta | None = None,
    end: datetime | None = None,
    n_steps: int | None = None,
    k: int = DEFAULT_K,
    time_window: int = DEFAULT_TIME_WINDOW,
    study_cells: Sequence[int] | np.ndarray | pl.Series | None = None,
    trend_alpha: float = TREND_ALPHA,
    fdr: bool = True,
    model: str = "auto",
) -> pl.DataFrame:
    """Emerging hot and cold spots of incidents over H3 cells (Esri's categories).

    Parameters
    ----------
    incidents : polars.DataFrame
        An incident frame; ``reported_at`` (time-zone-aware Datetime) and ``h3_cell``
        (int64 at the base resolution, null when unlocated) are read. Unlocated incidents
        and those outside the window are not counted.
    res : int
        H3 resolution of the analysis, from 0 up to the base resolution.
    step : datetime.timedelta, optional
        Length of a time step. Default: chosen from the data (module notes, part 5): the
        shortest whole number of weeks whose bins hold :data:`MIN_MEAN_PER_BIN` incidents
        on average while leaving :data:`MIN_TIME_STEPS` steps; ``n_steps`` then counts
        weeks, and the oldest weeks that do not fill a step are left out.
    end : datetime.datetime, optional
        Time-zone-aware end of the window (exclusive); the final step ends here. Pass the
        current time (or the end of the last complete week) for a live map. Default: just
        after the latest report, which makes the result depend only on ``incidents``.
    n_steps : int, optional
        Number of steps in the window, at least :data:`MIN_TIME_STEPS`. Default: as many as
        reach back to the earliest report.
    k : int
        Spatial neighbourhood: cells within ``k`` grid steps, the cell itself included.
    time_window : int
        Previous time steps included in each bin's neighbourhood (0: the same step only).
    study_cells : sequence of int, optional
        Every cell of the study area at ``res``; cells without incidents enter with zero
        counts. Every cell with an incident in the window must be in it.
    trend_alpha : float
        Significance level of the Mann-Kendall trend.
    fdr : bool
        Decide each bin's hot/cold state on the Benjamini–Hochberg adjusted p-value (true,
        as Esri does) or on the raw p-value.
    model : str
        ``"auto"`` (default): the Gi* cube when a step reaches :data:`MIN_MEAN_PER_BIN`,
        else the sparse-count model; ``"gi_star"`` or ``"sparse"`` force one. The sparse
        model reads ``k`` and ``study_cells`` only (``time_window``, ``trend_alpha`` and
        ``fdr`` are Gi*'s; its own levels are in :mod:`layers.emerging_sparse`).

    Returns
    -------
    polars.DataFrame
        One row per analysed cell, sorted by ``cell``: ``cell`` (Int64), ``category``
        (Enum of :data:`CATEGORIES`), ``mk_z`` and ``mk_p`` (Mann-Kendall trend of the
        cell's Gi* z-scores), ``n_hot_steps`` and ``n_cold_steps`` (Int32), and
        ``final_step_class`` (Int8 Gi* class of the final step, -3..+3 as in
        :mod:`layers.hotspot`).

    Raises
    ------
    ValueError
        On a missing column, a naive ``end`` or time column, fewer than
        :data:`MIN_TIME_STEPS` steps, or any error :func:`compute_from_cube` raises;
        :class:`~layers.refusal.LayerRefusedError` (a ``ValueError`` keyed for the
        screens) when the window reaches back before the history.
    """
    if model not in MODELS:
        raise ValueError(f"'model' should be one of {', '.join(MODELS)}, got {model!r}")
    unit = DEFAULT_STEP if step is None else step
    cube, n_steps = _cube_from_incidents(incidents, res=res, step=unit, end=end, n_steps=n_steps)
    width = choose_step_width(cube, n_steps) if step is None else 1
    dense = width is not None and _mean_per_bin(cube, n_steps, width) >= MIN_MEAN_PER_BIN
    if model == "sparse" or (model == "auto" and not dense):
        return compute_sparse(cube, n_steps=n_steps, k=k, study_cells=study_cells)
    cube, n_steps = coarser_steps(cube, n_steps, width or 1)
    return compute_from_cube(
        cube,
        n_steps=n_steps,
        k=k,
        time_window=time_window,
        study_cells=study_cells,
        trend_alpha=trend_alpha,
        fdr=fdr,
    )


def choose_step_width(cube: pl.DataFrame, n_steps: int) -> int | None:
    """Fewest steps of ``cube`` to merge into one so that a bin holds enough incidents.

    The mean count per bin is taken over the cells with an incident in the window (empty
    cells of the study area would make every area sparse). Widths leaving fewer than
    :data:`MIN_TIME_STEPS` steps are not tried.

    Returns
    -------
    int or None
        The smallest width (1 = the steps as they are) whose mean reaches
        :data:`MIN_MEAN_PER_BIN`, or None when none does: the counts are sparse.
    """
    for width in range(1, n_steps // MIN_TIME_STEPS + 1):
        if _mean_per_bin(cube, n_steps, width) >= MIN_MEAN_PER_BIN:
            return width
    return None


def coarser_steps(cube: pl.DataFrame, n_steps: int, width: int) -> tuple[pl.DataFrame, int]:
    """Merge every ``width`` steps of ``cube`` into one, counting back from the final step.

    The oldest ``n_steps % width`` steps, which would not fill a merged step, are dropped.
    Returns the merged cube (``cell``, ``step``, ``count``) and its number of steps.
    """
    if width == 1:
        return cube, n_steps
    merged = n_steps // width
    offset = n_steps - merged * width
    out = (
        cube.filter(pl.col("step") >= offset)
        .group_by("cell", ((pl.col("step") - offset) // width).cast(pl.Int32).alias("step"))
        .agg(pl.col("count").sum())
        .sort("cell", "step")
    )
    return out, merged


def compute_sparse(
    cube: pl.DataFrame,
    *,
    n_steps: int,
    k: int = DEFAULT_K,
    study_cells: Sequence[int] | np.ndarray | pl.Series | None = None,
) -> pl.DataFrame:
    """Emerging hot spot categories of a sparse cube by :mod:`layers.emerging_sparse`.

    Parameters and result as in :func:`compute_from_cube` (whose cube checks apply).
    """
    _check_int("n_steps", n_steps, MIN_TIME_STEPS)
    _check_int("k", k, 0)
    universe, counts = _cube_matrix(cube, n_steps, study_cells)
    weights = hotspot.cached_weights(universe, k)
    found = emerging_sparse.classify(counts, weights, names=CATEGORIES, mann_kendall=mann_kendall)
    by_code = pl.Series("category", CATEGORIES, dtype=CATEGORY_DTYPE)
    return pl.DataFrame(
        {"cell": universe, **found, "category": by_code.gather(found["category"])},
        schema=OUTPUT_SCHEMA,
    ).select(list(OUTPUT_SCHEMA))


def _mean_per_bin(cube: pl.DataFrame, n_steps: int, width: int) -> float:
    cells = cube["cell"].n_unique()
    if cells == 0:
        return 0.0
    kept = cube.filter(pl.col("step") >= n_steps % width)["count"].sum()
    return float(kept) / (cells * (n_steps // width))


def space_time_counts(
    incidents: pl.DataFrame,
    *,
    res: int = BASE_RESOLUTION,
    step: timedelta = DEFAULT_STEP,
    end: datetime | None = None,
    n_steps: int | None = None,
) -> pl.DataFrame:
    """Count incidents per H3 cell and time step (the non-empty bins of the cube).

    Parameters
    ----------
    incidents, res, step, end, n_steps
        As in :func:`compute`.

    Returns
    -------
    polars.DataFrame
        Columns ``cell`` (Int64), ``step`` (Int32, 0 = oldest, ``n_steps - 1`` = final),
        ``step_start`` (Datetime UTC) and ``count`` (Int64), sorted by cell and step; bins
        without incidents are absent.
    """
    cube, _ = _cube_from_incidents(incidents, res=res, step=step, end=end, n_steps=n_steps)
    return cube


def compute_from_cube(
    cube: pl.DataFrame,
    *,
    n_steps: int,
    k: int = DEFAULT_K,
    time_window: int = DEFAULT_TIME_WINDOW,
    study_cells: Sequence[int] | np.ndarray | pl.Series | None = None,
    trend_alpha: float = TREND_ALPHA,
    fdr: bool = True,
    weights: KRingWeights | None = None,
) -> pl.DataFrame:
    """Emerging hot spot categories from a ready space-time cube of counts.

    Parameters
    ----------
    cube : polars.DataFrame
        Columns ``cell`` (integer H3 cell), ``step`` (integer, ``0..n_steps - 1``, 0 the
        oldest) and ``count`` (non-negative); one row per non-empty bin, missing bins
        count zero. :func:`space_time_counts` produces it.
    n_steps : int
        Number of time steps of the cube, at least :data:`MIN_TIME_STEPS`.
    k, time_window, study_cells, trend_alpha, fdr
        As in :func:`compute`.
    weights : KRingWeights, optional
        Spatial weights from :func:`layers.hotspot.build_weights` over exactly the
        analysed cells and ``k``; built and memoised when omitted.

    Returns
    -------
    polars.DataFrame
        As :func:`compute` returns.
    """
    _check_int("n_steps", n_steps, MIN_TIME_STEPS)
    _check_int("k", k, 0)
    _check_int("time_window", time_window, 0)
    if not 0.0 < trend_alpha < 1.0:
        raise ValueError(f"'trend_alpha' should be within (0, 1), got {trend_alpha}")
    universe, counts = _cube_matrix(cube, n_steps, study_cells)
    if weights is None:
        weights = hotspot.cached_weights(universe, k)
    elif weights.k != k or not np.array_equal(weights.cells, universe):
        raise ValueError(
            f"'weights' were built for {weights.cells.size} cells and k={weights.k}, "
            f"not for these {universe.size} cells and k={k}"
        )
    z = space_time_gi_star(counts, weights, time_window)
    p = hotspot.two_sided_p(z)
    gi_class = hotspot.classify_bins(z, hotspot.benjamini_hochberg(p) if fdr else p)
    _, mk_z, mk_p = mann_kendall(z)
    category = classify_trends(gi_class, mk_z, mk_p, trend_alpha=trend_alpha)
    # Hot through its neighbours alone: a cell without an incident is never a hot spot.
    category[(counts.sum(axis=1) == 0) & np.isin(category, _HOT_CODES)] = CATEGORIES.index(
        "no_pattern"
    )
    by_code = pl.Series("category", CATEGORIES, dtype=CATEGORY_DTYPE)
    return pl.DataFrame(
        {
            "cell": universe,
            "category": by_code.gather(category),
            "mk_z": mk_z,
            "mk_p": mk_p,
            "n_hot_steps": (gi_class > 0).sum(axis=1),
            "n_cold_steps": (gi_class < 0).sum(axis=1),
            "final_step_class": gi_class[:, -1],
        },
        schema=OUTPUT_SCHEMA,
    )


def space_time_gi_star(counts: np.ndarray, weights: KRingWeights, time_window: int) -> np.ndarray:
    """Gi* z-score of every bin of a cells × steps cube (see the module notes, part 2).

    Parameters
    ----------
    counts : numpy.ndarray
        ``(n_cells, n_steps)`` values, rows aligned with ``weights.cells``, step 0 oldest.
    weights : KRingWeights
        Binary spatial weights (diagonal set).
    time_window : int
        Previous steps in each neighbourhood.

    Returns
    -------
    numpy.ndarray of float64
        ``(n_cells, n_steps)`` z-scores, the global mean and deviation taken over the cube.
    """
    x = np.asarray(counts, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != weights.cells.size:
        raise ValueError(f"'counts' should be ({weights.cells.size}, n_steps), got {x.shape}")
    n_steps = x.shape[1]
    spatial = weights.matrix @ x
    # Sums over a window of whole counts: cumulative sums stay exact below 2**53.
    running = np.cumsum(spatial, axis=1)
    local_sum = running.copy()
    if time_window + 1 < n_steps:
        local_sum[:, time_window + 1 :] -= running[:, : n_steps - time_window - 1]
    steps_in_window = np.minimum(np.arange(n_steps), time_window) + 1.0
    cardinality = weights.cardinality[:, None] * steps_in_window[None, :]
    return hotspot.z_from_local_sums(
        local_sum,
        cardinality,
        n=x.size,
        mean=float(x.mean()) if x.size else 0.0,
        std=hotspot.population_std(x),
    )


def mann_kendall(
    series: np.ndarray, *, continuity: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall trend test of each row, with the tie correction of the variance.

    Parameters
    ----------
    series : numpy.ndarray
        ``(n_series, n_times)`` values in time order; a 1-D array is one series (and
        gives arrays of length 1). Values are rounded to :data:`TIE_DECIMALS` decimals.
    continuity : bool
        Apply the continuity correction ``S - sign(S)`` (the textbook test, and the
        default); without it ``Z`` equals the z of ``scipy.stats.kendalltau`` against time.

    Returns
    -------
    s : numpy.ndarray of float64
        ``S = sum_{i<j} sign(x_j - x_i)``.
    z : numpy.ndarray of float64
        Normal score of ``S``; 0 when the variance is 0 (all values tied).
    p : numpy.ndarray of float64
        Two-sided p-value of ``z``.
    """
    # Rounded so that values equal up to float noise count as ties in S and in Var(S).
    x = np.round(np.atleast_2d(np.asarray(series, dtype=np.float64)), TIE_DECIMALS)
    n_series, n = x.shape
    # O(n²) pairs per series, vectorised over series (n is a few dozen steps); time-major
    # and boolean comparisons keep each pass contiguous and cheap.
    by_time = np.ascontiguousarray(x.T)
    pair_sum = np.zeros(n_series, dtype=np.int64)
    for i in range(n - 1):
        later, now = by_time[i + 1 :], by_time[i]
        pair_sum += (later > now).sum(axis=0, dtype=np.int64)
        pair_sum -= (later < now).sum(axis=0, dtype=np.int64)
    s = pair_sum.astype(np.float64)
    variance = (n * (n - 1) * (2 * n + 5) - _tie_term(x)) / 18.0
    numerator = s - np.sign(s) if continuity else s
    z = np.zeros(n_series, dtype=np.float64)
    np.divide(numerator, np.sqrt(np.maximum(variance, 0.0)), out=z, where=variance > 0)
    return s, z, hotspot.two_sided_p(z)


def classify_trends(
    gi_class: np.ndarray, mk_z: np.ndarray, mk_p: np.ndarray, *, trend_alpha: float = TREND_ALPHA
) -> np.ndarray:
    """Category code (index into :data:`CATEGORIES`) of each cell, by the module's rules.

    Parameters
    ----------
    gi_class : numpy.ndarray
        ``(n_cells, n_steps)`` Gi* classes (-3..+3; non-zero is significant), step 0 oldest.
    mk_z, mk_p : numpy.ndarray
        Mann-Kendall z and p of each cell's Gi* z-scores.
    trend_alpha : float
        Significance level of the trend.

    Returns
    -------
    numpy.ndarray of int64
        Index into :data:`CATEGORIES` per cell.
    """
    gi_class = np.asarray(gi_class)
    n_cells, n_steps = gi_class.shape
    code = np.full(n_cells, CATEGORIES.index("no_pattern"), dtype=np.int64)
    if n_steps == 0:
        return code
    mostly = math.ceil(MOSTLY_SHARE * n_steps - 1e-9)
    significant = np.asarray(mk_p) <= trend_alpha
    rising = significant & (np.asarray(mk_z) > 0)
    falling = significant & (np.asarray(mk_z) < 0)
    hot, cold = gi_class > 0, gi_class < 0
    neither_final = ~hot[:, -1] & ~cold[:, -1]
    # (spot, its opposite, trend that intensifies it, trend that diminishes it)
    sides = (("hotspot", hot, cold, rising, falling), ("coldspot", cold, hot, falling, rising))
    for name, spot, opposite, intensifying, diminishing in sides:
        n_spot = spot.sum(axis=1)
        n_opposite = opposite.sum(axis=1)
        final = spot[:, -1]
        is_mostly = n_spot >= mostly
        final_run = np.cumprod(spot[:, ::-1], axis=1).sum(axis=1)
        rules = (
            ("intensifying", final & is_mostly & intensifying),
            ("diminishing", final & is_mostly & diminishing),
            ("persistent", final & is_mostly & ~intensifying & ~diminishing),
            ("oscillating", final & ~is_mostly & (n_opposite > 0)),
            ("new", final & ~is_mostly & (n_opposite == 0) & (n_spot == 1)),
            (
                "consecutive",
                final & ~is_mostly & (n_opposite == 0) & (n_spot >= 2) & (final_run == n_spot),
            ),
            ("sporadic", final & ~is_mostly & (n_opposite == 0) & (final_run < n_spot)),
            ("historical", neither_final & is_mostly),
        )
        for prefix, mask in rules:
            code[mask] = CATEGORIES.index(f"{prefix}_{name}")
    return code


# -- private helpers ---------------------------------------------------------------------


def _check_int(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"'{name}' should be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"'{name}' should be >= {minimum}, got {value}")


def _tie_term(x: np.ndarray) -> np.ndarray:
    """``sum_g t_g (t_g - 1)(2 t_g + 5)`` over the groups of tied values of each row."""
    n_series, n = x.shape
    if n == 0:
        return np.zeros(n_series)
    ordered = np.sort(x, axis=1)
    starts = np.ones_like(ordered, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    group = np.cumsum(starts.ravel()) - 1
    size = np.bincount(group).astype(np.float64)
    row_of_group = np.repeat(np.arange(n_series), n)[starts.ravel()]
    return np.bincount(row_of_group, weights=size * (size - 1) * (2 * size + 5), minlength=n_series)


def _check_history_covers(
    times: pl.Series, start: datetime, end: datetime, step: timedelta, n_steps: int
) -> None:
    """Refuse a window that reaches back before the history: its empty early steps would
    make every cell with a recent incident look new."""
    earliest = times.min()
    days = step / timedelta(days=1)
    days = int(days) if days.is_integer() else round(days, 2)
    if earliest is None or earliest >= end:
        raise LayerRefusedError(
            f"no incident before the window's end {end:%Y-%m-%d}: emerging hot spots need "
            f"{n_steps} steps of history",
            "map.refusal.emerging_no_history",
            end=f"{end:%Y-%m-%d}",
            steps=n_steps,
            days=days,
        )
    if earliest - start <= step:
        return
    covered = int((end - earliest) / step)
    values = {
        "earliest": f"{earliest:%Y-%m-%d}",
        "start": f"{start:%Y-%m-%d}",
        "steps": n_steps,
        "days": days,
        "covered": covered,
        "minimum": MIN_TIME_STEPS,
    }
    head = (
        f"the history is too short for the window: the incidents given begin on "
        f"{earliest:%Y-%m-%d}, but {n_steps} steps of {_duration(step)} reach back to "
        f"{start:%Y-%m-%d}; the history covers {covered} step(s); "
    )
    if covered >= MIN_TIME_STEPS:
        raise LayerRefusedError(
            head + f"choose a window of at most {covered} steps, or include an earlier date range",
            "map.refusal.emerging_window",
            **values,
        )
    raise LayerRefusedError(
        head + f"emerging hot spots need at least {MIN_TIME_STEPS}: include an earlier date range",
        "map.refusal.emerging_history",
        **values,
    )


def _duration(step: timedelta) -> str:
    if step % timedelta(weeks=1) == timedelta(0):
        weeks = step // timedelta(weeks=1)
        return f"{weeks} week" + ("s" if weeks != 1 else "")
    return str(step)


def _cube_from_incidents(
    incidents: pl.DataFrame,
    *,
    res: int,
    step: timedelta,
    end: datetime | None,
    n_steps: int | None,
) -> tuple[pl.DataFrame, int]:
    if not isinstance(incidents, pl.DataFrame):
        raise TypeError(f"'incidents' should be a polars DataFrame, got {type(incidents).__name__}")
    missing = [c for c in (TIME_COLUMN, CELL_COLUMN) if c not in incidents.columns]
    if missing:
        raise ValueError(f"incident frame lacks column(s) {missing}")
    time_dtype = incidents[TIME_COLUMN].dtype
    if not isinstance(time_dtype, pl.Datetime) or time_dtype.time_zone is None:
        raise ValueError(f"'{TIME_COLUMN}' should be a time-zone-aware Datetime, got {time_dtype}")
    if not 0 <= res <= BASE_RESOLUTION:
        raise ValueError(f"'res' should be within 0..{BASE_RESOLUTION}, got {res}")
    if not isinstance(step, timedelta) or step <= timedelta(0):
        raise ValueError(f"'step' should be a positive timedelta, got {step!r}")
    times = incidents[TIME_COLUMN].dt.convert_time_zone("UTC")
    if end is None:
        latest = times.max()
        if latest is None:
            raise ValueError(f"no '{TIME_COLUMN}' to place the window: pass 'end'")
        end = latest + timedelta(microseconds=1)
    elif end.tzinfo is None:
        raise ValueError(f"'end' should be time-zone-aware, got {end!r}")
    if n_steps is None:
        earliest = times.min()
        if earliest is None or earliest >= end:
            raise ValueError(f"no '{TIME_COLUMN}' before 'end': pass 'n_steps'")
        n_steps = math.ceil((end - earliest) / step)
        if n_steps < MIN_TIME_STEPS:
            raise ValueError(
                f"the incidents span {n_steps} step(s) of {step}; emerging hot spots need at "
                f"least {MIN_TIME_STEPS} (pass a longer 'n_steps' or a shorter 'step')"
            )
    _check_int("n_steps", n_steps, MIN_TIME_STEPS)
    start = (end - n_steps * step).astimezone(UTC)
    end = end.astimezone(UTC)
    _check_history_covers(times, start, end, step, n_steps)
    step_us = step // timedelta(microseconds=1)
    cube = (
        pl.DataFrame({"t": times, "c": incidents[CELL_COLUMN].cast(pl.Int64)})
        .lazy()
        .drop_nulls()
        .filter((pl.col("t") >= start) & (pl.col("t") < end))
        .select(
            cells_to_parent(pl.col("c"), res).alias("cell"),
            ((pl.col("t") - start).dt.total_microseconds() // step_us).cast(pl.Int32).alias("step"),
        )
        .group_by("cell", "step")
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .sort("cell", "step")
        .with_columns(
            (pl.lit(start, dtype=pl.Datetime("us", "UTC")) + pl.col("step") * step).alias(
                "step_start"
            )
        )
        .select("cell", "step", "step_start", "count")
        .collect()
    )
    return cube, n_steps


def _cube_matrix(
    cube: pl.DataFrame,
    n_steps: int,
    study_cells: Sequence[int] | np.ndarray | pl.Series | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Validate the cube frame; return the sorted analysed cells and a cells × steps array."""
    if not isinstance(cube, pl.DataFrame):
        raise TypeError(f"'cube' should be a polars DataFrame, got {type(cube).__name__}")
    missing = [c for c in ("cell", "step", "count") if c not in cube.columns]
    if missing:
        raise ValueError(f"'cube' lacks column(s) {missing}; has {cube.columns}")
    for column in ("cell", "step"):
        if not cube[column].dtype.is_integer():
            raise ValueError(
                f"'cube' column '{column}' should be integer, got {cube[column].dtype}"
            )
        if cube[column].null_count():
            raise ValueError(f"'cube' column '{column}' has {cube[column].null_count()} null(s)")
    if not cube["count"].dtype.is_numeric():
        raise ValueError(f"'cube' column 'count' should be numeric, got {cube['count'].dtype}")
    cells = cube["cell"].cast(pl.Int64).to_numpy()
    steps = cube["step"].cast(pl.Int64).to_numpy()
    values = cube["count"].cast(pl.Float64).to_numpy()
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"'cube' column 'count' should be finite and >= 0; cell {cells[i]}, step "
            f"{steps[i]} has {values[i]}"
        )
    off = (steps < 0) | (steps >= n_steps)
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise ValueError(f"'cube' step {steps[i]} (cell {cells[i]}) is outside 0..{n_steps - 1}")
    if cube.select(pl.struct("cell", "step").is_duplicated().any()).item():
        raise ValueError("'cube' repeats a (cell, step) bin; one row per bin")
    present = np.unique(cells)
    universe, _ = hotspot.study_area_values(present, np.zeros(present.size), study_cells)
    matrix = np.zeros((universe.size, n_steps), dtype=np.float64)
    matrix[np.searchsorted(universe, cells), steps] = values
    return universe, matrix
