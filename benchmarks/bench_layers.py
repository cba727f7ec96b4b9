"""Time every registered layer through the data-access layer on a demo database.

    python benchmarks/bench_demo.py --incidents 1000000 --out /tmp --keep   # makes /tmp/demo.sqlite
    python benchmarks/bench_layers.py --db /tmp/demo.sqlite --days 365

Each layer runs ``--repeat`` times over the incidents of the last ``--days`` days (all
stations, resolution 8 for cell layers, the layer's default parameters); the median and the
fastest run are printed, with the result's row count. Snapshot loading is timed separately.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.access import CaseAccess, IncidentFilter, Scope
from data.database import make_engine
from layers.registry import REGISTRY

#: Parameter sets timed besides the defaults.
PARAMS = {"near_repeat": ({}, {"history_days": 30})}


def main() -> None:
    """Run the timings and print a markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--res", type=int, default=8)
    args = parser.parse_args()

    access = CaseAccess(make_engine(f"sqlite:///{args.db}"))
    started = time.perf_counter()
    total = access.incidents(Scope(), IncidentFilter()).height
    print(f"snapshot: {total:,} incidents loaded in {time.perf_counter() - started:.1f} s")
    newest = access.date_extent(Scope())[1]
    flt = IncidentFilter(start=newest - timedelta(days=args.days - 1), end=newest)
    now = datetime.combine(newest + timedelta(days=1), datetime.min.time(), UTC)
    selected = access.incidents(Scope(), flt).height
    print(f"window: {flt.start} .. {flt.end} ({selected:,} incidents), res {args.res}\n")
    print("| layer | median s | fastest s | rows |")
    print("|---|---:|---:|---:|")
    for layer_id in REGISTRY:
        for params in PARAMS.get(layer_id, ({},)):
            label = layer_id + "".join(f" {k}={v}" for k, v in params.items())
            times, rows = [], 0
            try:
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    rows = access.layer(Scope(), flt, layer_id, params, args.res, now).height
                    times.append(time.perf_counter() - t)
            except ValueError as refused:  # a layer's own guard, e.g. too many Knox pairs
                print(f"| {label} | refused: {refused} | | |", flush=True)
                continue
            print(
                f"| {label} | {statistics.median(times):.2f} | {min(times):.2f} | {rows:,} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
