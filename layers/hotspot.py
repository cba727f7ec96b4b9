"""Hot and cold spots: Getis-Ord Gi* over H3 cells with k-ring neighbours.

What is computed
----------------
For every cell ``i`` of the analysis set, with counts ``x`` over all ``n`` cells of the set,
binary weights ``w_ij = 1`` when ``j`` is within ``k`` grid steps of ``i`` (``i`` itself
included, so this is Gi*, not Gi), ``W_i = sum_j w_ij`` and ``S_1i = sum_j w_ij**2 = W_i``::

    z_i = (sum_j w_ij x_j - mean(x) W_i) / (std(x) * sqrt((n S_1i - W_i**2) / (n - 1)))

with ``std`` the population standard deviation (Getis & Ord 1992; Ord & Getis 1995). This
is the z-score of PySAL esda's ``G_Local(y, w, star=True, transform='B')`` on the same
weights (tested to 1e-9); esda's default transform ``'R'`` gives other scores. The p-value
is two-sided from the standard normal, as Esri reports it.

Multiple testing
----------------
As in Esri's Optimized Hot Spot Analysis, significance is corrected with the
Benjamini–Hochberg false discovery rate: a cell is significant at confidence
``1 - alpha`` when its BH-adjusted p-value is ``<= alpha`` (equivalently, Esri's step-up
cut-off on the ranked p-values, applied for alpha 0.10, 0.05 and 0.01). Only this
correction is taken from Optimized Hot Spot Analysis: the scale of analysis (``k``) is the
caller's choice, not searched for.

The analysis set matters
------------------------
Gi* compares each neighbourhood with the whole set, so cells with *zero* incidents inside
the study area change every score. :func:`compute` analyses the cells present in the
counts frame plus, when given, every cell of ``study_cells`` (for a station, the cells of its
jurisdiction), with zero counts where no incident fell. Without ``study_cells`` an empty
area is invisible and no cold spot can show there.

Core and halo cells
-------------------
Gi* scores a neighbourhood, not a cell: with ``k >= 1`` the ring around a hot cell is hot too,
even where it holds no incident. The scores and classes stay exactly Gi*'s, but every hot
cell is also told apart (column ``halo``): a hot cell is *core* when it is hot by its own
incidents, i.e. its own count is at least the mean count of its neighbourhood
(``x_i >= sum_j w_ij x_j / W_i``) and is itself significantly high: its Gi* z-score with
``k = 0`` (``(x_i - mean(x)) / std(x)``) reaches :data:`CORE_MIN_Z` (one-sided 95 %, not
corrected: it only qualifies a cell whose neighbourhood already passed the FDR test).
Otherwise it is a *halo* cell, hot only through its neighbours, and its ``label`` is
``hot_halo`` (its ``gi_class`` keeps the confidence level). With ``k = 0`` no cell is a
halo. A patrol is never sent to a halo cell on this layer's word.

Degenerate cases
----------------
Where the z-score is undefined (all counts equal, or a neighbourhood that spans the whole
set), ``z = 0`` and ``p = 1``: the cell is reported not significant rather than NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl
from scipy import sparse, special

from geo.h3cells import grid_disks

#: Stable id of this layer in the layer registry.
LAYER_ID = "hotspot"
#: Default neighbourhood: the cell and its first ring (7 cells at a hexagon).
DEFAULT_K = 1
#: (class level, alpha) from strictest to loosest: 99 %, 95 % and 90 % confidence.
CONFIDENCE_LEVELS: tuple[tuple[int, float], ...] = ((3, 0.01), (2, 0.05), (1, 0.10))
#: Label of each Gi* class, in legend order (hottest first).
CLASS_LABELS: dict[int, str] = {
    3: "hot_99",
    2: "hot_95",
    1: "hot_90",
    0: "not_significant",
    -1: "cold_90",
    -2: "cold_95",
    -3: "cold_99",
}
#: A hot cell is core only if its own count's z-score (Gi* with k=0) reaches this.
CORE_MIN_Z = 1.6448536269514722
#: Label of a hot cell that is hot only through its neighbours (see "Core and halo cells").
HALO_LABEL = "hot_halo"
#: Every label, in legend order: the hot classes, the halo, then the rest.
LABELS: tuple[str, ...] = (
    "hot_99",
    "hot_95",
    "hot_90",
    HALO_LABEL,
    "not_significant",
    "cold_90",
    "cold_95",
    "cold_99",
)
#: How many distinct (cell set, k) weight matrices are memoised (100k cells, k=1 ≈ 8 MB each).
WEIGHTS_CACHE_SIZE = 4

#: Polars dtype of the ``label`` column: an Enum in legend order.
LABEL_DTYPE = pl.Enum(list(LABELS))

#: Columns of the frame :func:`compute` returns (``count`` is Float64 when the input's is).
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "cell": pl.Int64,
    "count": pl.Int64,
    "z": pl.Float64,
    "p": pl.Float64,
    "p_fdr": pl.Float64,
    "gi_class": pl.Int8,
    "label": LABEL_DTYPE,
    "halo": pl.Boolean,
}


@dataclass(frozen=True, eq=False)
class KRingWeights:
    """Binary k-ring weights (self included) over a sorted set of H3 cells.

    Attributes
    ----------
    cells : numpy.ndarray of int64
        The analysis set, sorted and unique; row and column ``i`` of ``matrix`` is ``cells[i]``.
    k : int
        Grid distance of the neighbourhood.
    matrix : scipy.sparse.csr_array
        ``n x n`` with ``1.0`` where two cells are within ``k`` steps (diagonal included).
    cardinality : numpy.ndarray of float64
        Row sums ``W_i``: the number of cells of the set in each neighbourhood.
    """

    cells: np.ndarray
    k: int
    matrix: sparse.csr_array
    cardinality: np.ndarray


def build_weights(cells: Sequence[int] | np.ndarray, k: int = DEFAULT_K) -> KRingWeights:
    """Build binary k-ring weights over ``cells`` (neighbours outside the set are dropped).

    Parameters
    ----------
    cells : sequence or array of int64
        H3 cells of one resolution; duplicates are removed and the set is sorted.
    k : int
        Grid distance, ``k >= 0``.

    Returns
    -------
    KRingWeights
        Pass it to :func:`compute` as ``weights=`` to skip the build on later calls.
    """
    _check_k(k)
    universe = np.unique(np.asarray(cells, dtype=np.int64))
    return _build_weights(universe, k)


def cached_weights(cells: np.ndarray, k: int = DEFAULT_K) -> KRingWeights:
    """Like :func:`build_weights`, memoised per (cell set, ``k``) for the last few sets.

    Parameters
    ----------
    cells : numpy.ndarray of int64
        The analysis set, already sorted and unique.
    k : int
        Grid distance, ``k >= 0``.

    Returns
    -------
    KRingWeights
        Shared between calls: treat it as read-only.
    """
    _check_k(k)
    universe = np.ascontiguousarray(cells, dtype=np.int64)
    if universe.size > 1 and not bool(np.all(universe[1:] > universe[:-1])):
        raise ValueError("'cells' should be sorted and unique")
    return _cached_weights(universe.tobytes(), int(k))


def clear_weights_cache() -> None:
    """Forget the memoised weights (for benchmarks, and to release their memory)."""
    _cached_weights.cache_clear()


def compute(
    counts: pl.DataFrame,
    *,
    k: int = DEFAULT_K,
    study_cells: Sequence[int] | np.ndarray | pl.Series | None = None,
    fdr: bool = True,
    weights: KRingWeights | None = None,
) -> pl.DataFrame:
    """Getis-Ord Gi* hot and cold spots over H3 cells, with FDR-corrected classes.

    Parameters
    ----------
    counts : polars.DataFrame
        Columns ``cell`` (integer H3 cell, unique, one resolution) and ``count``
        (non-negative number of incidents), e.g. from :func:`layers.counts.cell_counts`.
    k : int
        Neighbourhood: cells within ``k`` grid steps, the cell itself included.
    study_cells : sequence of int, optional
        Every cell of the study area (a station's jurisdiction, a district). Cells absent
        from ``counts`` enter the analysis with a count of zero, which is what lets an
        area without incidents come out as a cold spot. Every cell of ``counts`` must be
        in it. Default: the cells of ``counts`` only.
    fdr : bool
        Classify on the Benjamini–Hochberg adjusted p-value (``p_fdr``, Esri's FDR
        correction) when true, on the raw ``p`` when false. Both columns are returned.
    weights : KRingWeights, optional
        Weights from :func:`build_weights` over exactly the analysis set and ``k``. Without
        them, weights are built and memoised per (cell set, ``k``), the last
        :data:`WEIGHTS_CACHE_SIZE` kept.

    Returns
    -------
    polars.DataFrame
        One row per cell of the analysis set, sorted by ``cell``, with columns
        ``cell`` (Int64), ``count`` (Int64, or Float64 for a float input; zero for study
        cells without incidents),
        ``z`` (Gi* z-score), ``p`` (two-sided), ``p_fdr`` (BH-adjusted),
        ``gi_class`` (Int8: +3/+2/+1 hot at 99/95/90 % confidence, -3/-2/-1 cold, 0 not
        significant), ``label`` (``hot_99`` ... ``not_significant`` ... ``cold_99``, and
        ``hot_halo`` for a hot cell hot only through its neighbours) and ``halo`` (Boolean,
        true for those cells; see the module notes).

    Raises
    ------
    ValueError
        On a missing column, null/duplicate cell, negative or missing count, ``k < 0``, a
        count cell outside ``study_cells``, invalid or mixed-resolution cells, or weights
        that do not match the analysis set.
    """
    _check_k(k)
    cells, values = _read_counts(counts)
    universe, y = study_area_values(cells, values, study_cells)
    if weights is None:
        weights = cached_weights(universe, k)
    elif weights.k != k or not np.array_equal(weights.cells, universe):
        raise ValueError(
            f"'weights' were built for {weights.cells.size} cells and k={weights.k}, "
            f"not for this analysis set of {universe.size} cells and k={k}"
        )
    z = gi_star_z(y, weights)
    p = two_sided_p(z)
    p_fdr = benjamini_hochberg(p)
    gi_class = classify_bins(z, p_fdr if fdr else p)
    halo = halo_cells(y, weights, gi_class)
    labels = class_labels(gi_class)
    labels = pl.select(
        pl.when(pl.Series(halo)).then(pl.lit(HALO_LABEL)).otherwise(labels).cast(LABEL_DTYPE)
    ).to_series()
    count_dtype = pl.Int64 if counts["count"].dtype.is_integer() else pl.Float64
    return pl.DataFrame(
        {
            "cell": universe,
            "count": y,
            "z": z,
            "p": p,
            "p_fdr": p_fdr,
            "gi_class": gi_class,
            "label": labels,
            "halo": halo,
        },
        schema={**OUTPUT_SCHEMA, "count": pl.Float64},
    ).with_columns(pl.col("count").cast(count_dtype))


def gi_star_z(values: np.ndarray, weights: KRingWeights) -> np.ndarray:
    """Gi* z-scores of ``values`` (aligned with ``weights.cells``) on binary weights.

    Parameters
    ----------
    values : numpy.ndarray
        One value per cell of ``weights.cells``, in that order.
    weights : KRingWeights
        Binary weights with the diagonal set.

    Returns
    -------
    numpy.ndarray of float64
        The z-scores; 0 where undefined (see the module notes).
    """
    y = np.asarray(values, dtype=np.float64)
    if y.shape != weights.cells.shape:
        raise ValueError(f"'values' has {y.size} entries for {weights.cells.size} cells")
    local_sum = weights.matrix @ y
    return z_from_local_sums(
        local_sum, weights.cardinality, n=y.size, mean=_mean(y), std=population_std(y)
    )


def halo_cells(values: np.ndarray, weights: KRingWeights, gi_class: np.ndarray) -> np.ndarray:
    """Hot cells that are hot only through their neighbours (the ring around a hot spot).

    Parameters
    ----------
    values : numpy.ndarray
        Counts aligned with ``weights.cells``.
    weights : KRingWeights
        The weights the classes were computed on.
    gi_class : numpy.ndarray
        Classes from :func:`classify_bins`.

    Returns
    -------
    numpy.ndarray of bool
        True where the cell is hot (``gi_class > 0``) but its own count is below the mean
        count of its neighbourhood (itself included) or its own z-score is below
        :data:`CORE_MIN_Z`. Always false when ``weights.k == 0``.
    """
    y = np.asarray(values, dtype=np.float64)
    hot = np.asarray(gi_class) > 0
    if y.size == 0 or weights.k == 0:
        return np.zeros(y.size, dtype=bool)
    neighbourhood_mean = (weights.matrix @ y) / np.maximum(weights.cardinality, 1.0)
    std = population_std(y)
    own_z = (y - _mean(y)) / std if std > 0 else np.zeros_like(y)
    # A small tolerance: a cell exactly at its neighbourhood's mean is core.
    own = (y > 0) & (y >= neighbourhood_mean * (1 - 1e-12)) & (own_z >= CORE_MIN_Z)
    return hot & ~own


def z_from_local_sums(
    local_sum: np.ndarray, cardinality: np.ndarray, *, n: int, mean: float, std: float
) -> np.ndarray:
    """Standardise binary-weight local sums into Gi* z-scores.

    Parameters
    ----------
    local_sum : numpy.ndarray
        ``sum_j w_ij x_j`` per observation (any shape).
    cardinality : numpy.ndarray
        ``W_i``, the number of neighbours incl. self, broadcastable to ``local_sum``.
    n : int
        Number of observations the global mean and deviation are taken over.
    mean, std : float
        Global mean and population standard deviation of the values; pass ``std = 0``
        when all values are equal (see :func:`population_std`).

    Returns
    -------
    numpy.ndarray of float64
        ``(local_sum - mean W) / (std sqrt((n W - W**2) / (n - 1)))``; 0 where the
        denominator is zero.
    """
    w = np.broadcast_to(np.asarray(cardinality, dtype=np.float64), np.shape(local_sum))
    # W is a whole number, so n W - W² is exactly 0 when a neighbourhood covers the set.
    spread = (n * w - w * w) / (n - 1) if n > 1 else np.zeros_like(w)
    z = np.zeros(np.shape(local_sum), dtype=np.float64)
    if std <= 0.0:
        return z
    np.divide(local_sum - mean * w, std * np.sqrt(np.maximum(spread, 0.0)), out=z, where=spread > 0)
    return z


def population_std(y: np.ndarray) -> float:
    """Population standard deviation of ``y``; exactly 0 when all values are equal.

    ``numpy.std`` of equal non-integer values can be a few ulps above zero, which would
    turn rounding noise into huge z-scores.
    """
    if y.size == 0 or np.ptp(y) == 0:
        return 0.0
    return float(y.std())


def two_sided_p(z: np.ndarray) -> np.ndarray:
    """Two-sided standard-normal p-values of z-scores."""
    return 2.0 * special.ndtr(-np.abs(np.asarray(z, dtype=np.float64)))


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (the false discovery rate step-up procedure).

    Parameters
    ----------
    p : numpy.ndarray
        Raw p-values, any shape.

    Returns
    -------
    numpy.ndarray of float64
        ``min(1, min_{j >= i} m p_(j) / j)`` for the value ranked ``i`` of ``m``, in the
        input's shape and order. A test at level ``alpha`` rejects where it is ``<= alpha``.
    """
    values = np.asarray(p, dtype=np.float64)
    flat = values.ravel()
    m = flat.size
    if m == 0:
        return values.copy()
    order = np.argsort(flat, kind="stable")
    scaled = flat[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m, dtype=np.float64)
    adjusted[order] = np.minimum(adjusted_sorted, 1.0)
    return adjusted.reshape(values.shape)


def classify_bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Gi* class per bin: sign of ``z`` times the confidence level that ``p`` reaches.

    Parameters
    ----------
    z, p : numpy.ndarray
        z-scores and the p-values that decide (adjusted or raw), same shape.

    Returns
    -------
    numpy.ndarray of int8
        +3/+2/+1 hot at 99/95/90 % confidence, -3/-2/-1 cold, 0 not significant.
    """
    p = np.asarray(p, dtype=np.float64)
    level = np.zeros(p.shape, dtype=np.int8)
    for value, alpha in reversed(CONFIDENCE_LEVELS):
        level[p <= alpha] = value
    return (level * np.sign(z)).astype(np.int8)


def class_labels(gi_class: np.ndarray) -> pl.Series:
    """Labels (``hot_99`` ... ``cold_99``, an Enum series) of classes from :func:`classify_bins`."""
    by_class = pl.Series("label", [CLASS_LABELS[c] for c in range(-3, 4)], dtype=LABEL_DTYPE)
    return by_class.gather(np.asarray(gi_class, dtype=np.int64) + 3)


def study_area_values(
    cells: np.ndarray,
    values: np.ndarray,
    study_cells: Sequence[int] | np.ndarray | pl.Series | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The analysis set (sorted) and the value of each of its cells, zero where none.

    Parameters
    ----------
    cells : numpy.ndarray of int64
        Cells with a value, sorted and unique.
    values : numpy.ndarray
        Their values.
    study_cells : sequence of int, optional
        The study area; ``cells`` must lie in it. ``None``: the analysis set is ``cells``.

    Returns
    -------
    universe : numpy.ndarray of int64
        Sorted, unique cells of the analysis set.
    values : numpy.ndarray of float64
        Aligned with ``universe``.
    """
    if study_cells is None:
        return cells, values
    study = np.asarray(study_cells, dtype=np.int64).ravel()
    universe = study if bool(np.all(study[1:] > study[:-1])) else np.unique(study)
    if universe.size == 0:
        position = np.zeros(cells.size, dtype=np.int64)
        inside = np.zeros(cells.size, dtype=bool)
    else:
        position = np.minimum(np.searchsorted(universe, cells), universe.size - 1)
        inside = universe[position] == cells
    if not inside.all():
        outside = cells[~inside]
        raise ValueError(
            f"{outside.size} cell(s) of 'counts' are outside 'study_cells', e.g. "
            f"{int(outside[0])}; filter the incidents to the study area first"
        )
    y = np.zeros(universe.size, dtype=np.float64)
    y[position] = values
    return universe, y


# -- private helpers ---------------------------------------------------------------------


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise TypeError(f"'k' should be an int, got {type(k).__name__}")
    if k < 0:
        raise ValueError(f"'k' should be >= 0, got {k}")


def _read_counts(counts: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Validate the counts frame; return its cells (int64, sorted) and counts (float64)."""
    if not isinstance(counts, pl.DataFrame):
        raise TypeError(f"'counts' should be a polars DataFrame, got {type(counts).__name__}")
    missing = [c for c in ("cell", "count") if c not in counts.columns]
    if missing:
        raise ValueError(f"'counts' lacks column(s) {missing}; has {counts.columns}")
    if not counts["cell"].dtype.is_integer():
        raise ValueError(f"'counts' column 'cell' should be integer, got {counts['cell'].dtype}")
    if not counts["count"].dtype.is_numeric():
        raise ValueError(f"'counts' column 'count' should be numeric, got {counts['count'].dtype}")
    if counts["cell"].null_count():
        raise ValueError(f"'counts' column 'cell' has {counts['cell'].null_count()} null(s)")
    cells = counts["cell"].cast(pl.Int64).to_numpy()
    values = counts["count"].cast(pl.Float64).to_numpy()  # a null count becomes NaN
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"'counts' column 'count' should be finite and >= 0; cell {cells[i]} has {values[i]}"
        )
    cells, values = _sorted_by_cell(cells, values)
    repeated = cells[1:][cells[1:] == cells[:-1]]
    if repeated.size:
        raise ValueError(f"'counts' repeats cell {int(repeated[0])}; one row per cell")
    return cells, values


def _sorted_by_cell(cells: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Frames from cell_counts arrive sorted: an O(n) check spares the sort.
    if cells.size < 2 or bool(np.all(cells[1:] >= cells[:-1])):
        return cells, values
    order = np.argsort(cells, kind="stable")
    return cells[order], values[order]


@lru_cache(maxsize=WEIGHTS_CACHE_SIZE)
def _cached_weights(universe_bytes: bytes, k: int) -> KRingWeights:
    """Memoised :func:`_build_weights`, keyed by the sorted cell set's bytes and ``k``."""
    return _build_weights(np.frombuffer(universe_bytes, dtype=np.int64), k)


def _build_weights(universe: np.ndarray, k: int) -> KRingWeights:
    n = universe.size
    if n == 0:
        empty = sparse.csr_array((0, 0), dtype=np.float64)
        return KRingWeights(universe, k, empty, np.zeros(0))
    origin, neighbour = grid_disks(universe, k)
    position = np.minimum(np.searchsorted(universe, neighbour), n - 1)
    inside = universe[position] == neighbour
    rows, cols = origin[inside], position[inside]
    # grid_disks lists each origin's disk contiguously and in order, so the kept pairs
    # are already the CSR layout: only the row pointer needs counting.
    per_row = np.bincount(rows, minlength=n)
    indptr = np.concatenate(([0], np.cumsum(per_row)))
    matrix = sparse.csr_array(
        (np.ones(cols.size, dtype=np.float64), cols.astype(np.int32), indptr.astype(np.int32)),
        shape=(n, n),
    )
    cardinality = per_row.astype(np.float64)
    cardinality.setflags(write=False)  # shared through the cache
    return KRingWeights(universe, k, matrix, cardinality)


def _mean(y: np.ndarray) -> float:
    return float(y.mean()) if y.size else 0.0
