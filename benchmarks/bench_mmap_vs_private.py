"""The same filter changes from the memory-mapped shared snapshot and from a private copy.

    python benchmarks/bench_mmap_vs_private.py PATH/TO/base-….arrow [--changes 40]

``PATH`` is a shared snapshot's base file (``ANNING_SNAPSHOT_DIR``, e.g. the one
``bench_http.py --gunicorn 4`` makes). Both frames answer the same changes (the filters and
the three queries of ``bench_shared_snapshot.py``) interleaved in random order, so both see
the same machine load; prints p50 and p95 of each.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import polars as pl
from bench_shared_snapshot import changes, one_change

from data.snapshot_store import map_frame


def main() -> None:
    """Run both and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--changes", type=int, default=40)
    args = parser.parse_args()
    mapped = map_frame(args.path)
    private = pl.read_ipc(args.path).rechunk()  # a copy in process memory, as before
    stations = mapped["station_code"].drop_nulls().unique().sort().to_list()
    preds = changes(args.changes, mapped["reported_day"].max(), stations, 7)
    times: dict[str, list[float]] = {"mapped": [], "private": []}
    with ThreadPoolExecutor(3) as pool:
        one_change(mapped, preds[0], pool)
        one_change(private, preds[0], pool)
        for pred in preds:
            order = [("mapped", mapped), ("private", private)]
            random.shuffle(order)
            for name, frame in order:
                times[name].append(one_change(frame, pred, pool) * 1000)
    for name, values in times.items():
        values.sort()
        p95 = statistics.quantiles(values, n=20, method="inclusive")[-1]
        print(f"{name}: p50 {statistics.median(values):.0f} ms, p95 {p95:.0f} ms, n={len(values)}")


if __name__ == "__main__":
    main()
