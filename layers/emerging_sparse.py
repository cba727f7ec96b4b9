"""Emerging hot spots on sparse counts: exact Poisson and binomial tests, Esri's categories.

At domestic-violence density (about 0.02 incidents per resolution-9 cell per week) a weekly
space-time cube is almost all zeros: one incident makes a Gi* bin "hot" and the weeks
without one break every run, so a spot that appeared ten weeks ago comes out *sporadic*
like a steady one. :mod:`layers.emerging_hotspot` hands such a cube to :func:`classify`
(its module notes say when); this module decides each cell's category from a count model
instead of the normal approximation, and keeps Esri's category names.

The model
---------
Let ``T`` be the number of steps, the *recent* period the last ``R = ceil(T / 3)`` steps
(:data:`RECENT_SHARE`), the *baseline* the ``T - R`` before. For each cell ``i`` the
neighbourhood count (the cell and its ``k``-ring, as Gi* pools it) is ``a_i`` in the recent
period and ``b_i`` in the baseline; ``W_i`` is the neighbourhood's size.

1. *Hot in a period.* Under "no hot spot", a neighbourhood's count in a period is Poisson
   with mean ``W_i x`` (the area's incidents in that period per cell). The one-sided
   exact tail ``P(X >= a_i)`` is corrected with Benjamini–Hochberg over the cells; the
   period is *hot* at :data:`HOT_ALPHA`. Each period has its own area mean, so a rise or
   fall of the whole area makes no cell hot.
2. *Change.* Given the ``n_i = a_i + b_i`` incidents of the neighbourhood, under "no change
   relative to the area" ``a_i`` is binomial with ``n_i`` trials and the area's recent
   share ``q`` (incidents of the recent period over all). The change is tested only in
   the cells hot in either period (the only ones it can label), both exact tails corrected
   with Benjamini–Hochberg over them; *rising* (*falling*) at :data:`TREND_ALPHA`.
3. *Own incidents.* A cell is never a hot spot through its neighbours alone: the hot
   categories need an incident *in the cell itself* in the period that makes it hot.

Categories (a hot category needs the cell's own incidents as in 3):

- recent hot, baseline hot: ``intensifying_hotspot`` if rising, ``diminishing_hotspot`` if
  falling, else ``persistent_hotspot``;
- recent hot, baseline not hot, rising: ``new_hotspot`` when the neighbourhood had no
  incident at all in the baseline, else ``consecutive_hotspot``;
- recent hot, baseline not hot, not rising: ``sporadic_hotspot`` (hot on and off);
- recent not hot, baseline hot: ``historical_hotspot``;
- anything else: ``no_pattern``.

A Poisson count with a mean below 3 cannot be significantly *low* (``P(X = 0)`` exceeds
0.05), so the sparse model names no cold spot.

For the trend columns, the weekly steps are summed into ``T // 10`` -week bins (ten bins or
more, Esri's minimum) and the Mann-Kendall test runs on each neighbourhood's series;
``n_hot_steps``, ``n_cold_steps`` and ``final_step_class`` come from the exact two-sided
Poisson test of each of those bins (Benjamini–Hochberg over all bins, Gi*'s 90/95/99 %
classes).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from layers import hotspot
from layers.hotspot import KRingWeights

#: Share of the window's steps (rounded up) that form the recent period.
RECENT_SHARE = 1 / 3
#: Level of the Benjamini–Hochberg corrected Poisson test that makes a period hot.
HOT_ALPHA = 0.05
#: Level of the Benjamini–Hochberg corrected binomial test of a rise or fall.
TREND_ALPHA = 0.05
#: Fewest bins of the trend series (Esri's minimum number of time steps).
MIN_TREND_BINS = 10


def recent_steps(n_steps: int) -> int:
    """Number of final steps that form the recent period of an ``n_steps`` window."""
    return max(1, math.ceil(n_steps * RECENT_SHARE - 1e-9))


def classify(
    counts: np.ndarray,
    weights: KRingWeights,
    *,
    names: tuple[str, ...],
    mann_kendall,
) -> dict[str, np.ndarray]:
    """Category code and evidence of each cell of a sparse cells × steps cube.

    Parameters
    ----------
    counts : numpy.ndarray
        ``(n_cells, n_steps)`` whole counts, rows aligned with ``weights.cells``, step 0
        the oldest.
    weights : KRingWeights
        Binary spatial weights (diagonal set) over the cells.
    names : tuple of str
        The category names; the returned codes index into it.
    mann_kendall : callable
        The Mann-Kendall test (``series -> (s, z, p)``) of :mod:`layers.emerging_hotspot`.

    Returns
    -------
    dict of numpy.ndarray
        ``category`` (int64 index into ``names``), ``mk_z``, ``mk_p``, ``n_hot_steps``,
        ``n_cold_steps``, ``final_step_class``, one value per cell.
    """
    x = np.asarray(counts, dtype=np.float64)
    n_cells, n_steps = x.shape
    r = recent_steps(n_steps)
    pooled = np.asarray(weights.matrix @ x)
    size = weights.cardinality
    own_recent = x[:, n_steps - r :].sum(axis=1)
    own_base = x[:, : n_steps - r].sum(axis=1)
    a = pooled[:, n_steps - r :].sum(axis=1)
    b = pooled[:, : n_steps - r].sum(axis=1)
    total_recent, total_base = own_recent.sum(), own_base.sum()

    recent_hot = _hot(a, size * total_recent / max(n_cells, 1)) & (own_recent > 0)
    base_hot = _hot(b, size * total_base / max(n_cells, 1)) & (own_base > 0)
    share = total_recent / max(total_recent + total_base, 1.0)
    rising, falling = _change(a, b, share, recent_hot | base_hot)

    code = np.full(n_cells, names.index("no_pattern"), dtype=np.int64)
    rules = (
        ("historical_hotspot", ~recent_hot & base_hot),
        ("sporadic_hotspot", recent_hot & ~base_hot & ~rising),
        ("consecutive_hotspot", recent_hot & ~base_hot & rising & (b > 0)),
        ("new_hotspot", recent_hot & ~base_hot & rising & (b == 0)),
        ("persistent_hotspot", recent_hot & base_hot & ~rising & ~falling),
        ("intensifying_hotspot", recent_hot & base_hot & rising),
        ("diminishing_hotspot", recent_hot & base_hot & falling),
    )
    for name, mask in rules:
        code[mask] = names.index(name)

    bins = _trend_bins(pooled)
    _, mk_z, mk_p = mann_kendall(bins)
    bin_class = _bin_classes(bins, size)
    return {
        "category": code,
        "mk_z": mk_z,
        "mk_p": mk_p,
        "n_hot_steps": (bin_class > 0).sum(axis=1),
        "n_cold_steps": (bin_class < 0).sum(axis=1),
        "final_step_class": bin_class[:, -1],
    }


def _hot(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Cells whose count is significantly above its Poisson mean (BH-corrected)."""
    p = stats.poisson.sf(observed - 1, np.maximum(expected, 1e-300))
    return hotspot.benjamini_hochberg(p) <= HOT_ALPHA


def _change(
    recent: np.ndarray, base: np.ndarray, share: float, hot: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Hot cells whose recent share is significantly above (below) the area's, corrected
    with Benjamini–Hochberg over the hot cells (the only ones a change can label)."""
    n = recent + base
    tested = hot & (n > 0)
    rising = np.zeros(n.size, dtype=bool)
    falling = np.zeros(n.size, dtype=bool)
    if not tested.any() or not 0.0 < share < 1.0:
        return rising, falling
    k, m = recent[tested], n[tested]
    rising[tested] = hotspot.benjamini_hochberg(stats.binom.sf(k - 1, m, share)) <= TREND_ALPHA
    falling[tested] = hotspot.benjamini_hochberg(stats.binom.cdf(k, m, share)) <= TREND_ALPHA
    return rising, falling


def _trend_bins(pooled: np.ndarray) -> np.ndarray:
    """Sum whole steps into ``n_steps // 10``-step bins, ending at the final step."""
    n_steps = pooled.shape[1]
    width = max(1, n_steps // MIN_TREND_BINS)
    n_bins = n_steps // width
    kept = pooled[:, n_steps - n_bins * width :]
    return kept.reshape(pooled.shape[0], n_bins, width).sum(axis=2)


def _bin_classes(bins: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Hot/cold class of each trend bin: exact two-sided Poisson test, BH over all bins."""
    per_cell = bins.sum(axis=0) / max(bins.shape[0], 1)
    expected = np.maximum(size[:, None] * per_cell[None, :], 1e-300)
    upper = stats.poisson.sf(bins - 1, expected)
    lower = stats.poisson.cdf(bins, expected)
    p = np.minimum(1.0, 2.0 * np.minimum(upper, lower))
    sign = np.where(upper <= lower, 1.0, -1.0)
    return hotspot.classify_bins(sign, hotspot.benjamini_hochberg(p))
