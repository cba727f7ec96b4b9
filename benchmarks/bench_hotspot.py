"""Time Gi* hot spots (layers.hotspot.compute) on 5,000 / 20,000 / 100,000 H3 cells.

Run from the repository root::

    .venv/bin/python benchmarks/bench_hotspot.py [--repeats 15]

For each size it prints the median wall time of ``compute`` with the k-ring weights
built on every call (cache cleared first) and with the weights cached, plus the
weight build alone. Cells are full grid disks at resolution 9 around a point in
Bao'an, Shenzhen; counts are Poisson with a fixed seed. A last line times the emerging
hot spot layer on 20,000 cells x 52 weekly steps, for scale.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.h3cells import grid_disk, latlng_to_cells
from layers import emerging_hotspot, hotspot

SEED = 42
ORIGIN_LATLNG = (22.55, 113.88)
#: Grid-disk radii giving about 5,000 / 20,000 / 100,000 cells (a disk holds 3r(r+1)+1).
RADII = (41, 82, 183)
EMERGING_RADIUS = 82
EMERGING_STEPS = 52
EMERGING_MEAN_COUNT = 0.05
DEFAULT_REPEATS = 15
K = 1
MEAN_COUNT = 1.5


def _median_ms(run: Callable[[], object], repeats: int, before: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeats):
        before()
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1e3


def main(repeats: int = DEFAULT_REPEATS) -> None:
    """Print the timing table."""
    origin = int(latlng_to_cells(np.array([ORIGIN_LATLNG[0]]), np.array([ORIGIN_LATLNG[1]]))[0])
    rng = np.random.default_rng(SEED)
    print(f"Gi* k={K}, median of {repeats} runs (ms)")
    print(f"{'cells':>8} {'weights built':>14} {'weights cached':>15} {'build only':>11}")
    for radius in RADII:
        cells = np.array(sorted(grid_disk(origin, radius)), dtype=np.int64)
        counts = pl.DataFrame({"cell": cells, "count": rng.poisson(MEAN_COUNT, cells.size)})
        built = _median_ms(
            lambda c=counts: hotspot.compute(c, k=K), repeats, hotspot.clear_weights_cache
        )
        hotspot.compute(counts, k=K)
        cached = _median_ms(lambda c=counts: hotspot.compute(c, k=K), repeats, _nothing)
        build = _median_ms(lambda c=cells: hotspot.build_weights(c, K), repeats, _nothing)
        print(f"{cells.size:>8,} {built:>14.1f} {cached:>15.1f} {build:>11.1f}")

    cells = np.array(sorted(grid_disk(origin, EMERGING_RADIUS)), dtype=np.int64)
    counts = rng.poisson(EMERGING_MEAN_COUNT, (cells.size, EMERGING_STEPS))
    cube = pl.DataFrame(
        {
            "cell": np.repeat(cells, EMERGING_STEPS),
            "step": np.tile(np.arange(EMERGING_STEPS), cells.size),
            "count": counts.ravel(),
        }
    ).filter(pl.col("count") > 0)
    emerging = _median_ms(
        lambda: emerging_hotspot.compute_from_cube(cube, n_steps=EMERGING_STEPS),
        max(3, repeats // 3),
        _nothing,
    )
    print(
        f"emerging hot spots, {cells.size:,} cells x {EMERGING_STEPS} steps "
        f"({cube.height:,} non-empty bins), weights cached: {emerging:.0f} ms"
    )


def _nothing() -> None:
    return None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    main(parser.parse_args().repeats)
