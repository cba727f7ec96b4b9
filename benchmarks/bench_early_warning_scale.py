"""Early warning over the whole history, on k copies of a demo district side by side.

    python benchmarks/bench_early_warning_scale.py --db /tmp/anning-bench/1000000/demo.sqlite \
        --copies 1 3 10

Each copy keeps the demo's places and times but has households of its own (address, victim
and offender keys and incident ids made distinct per copy): k districts' worth of addresses,
as a province has, rather than the 10M demo's one district with ten times the incidents at
each address. Because the copies share no household, the entries of k copies must be exactly
k times those of one; the script checks it. Times :func:`layers.early_warning.compute` (the
wall's and the station workspace's call: no date filter), with its follow-up visits.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.access import CaseAccess, IncidentFilter, Scope
from data.database import make_engine
from layers import early_warning

#: Columns that name a household or an incident: made distinct per copy.
KEYS = ("address_key", "victim_key", "offender_key")


def copies(incidents: pl.DataFrame, visits: pl.DataFrame, k: int) -> tuple[pl.DataFrame, ...]:
    """``k`` copies of the incidents and visits, each with its own ids and keys."""
    step = int(incidents["id"].max()) + 1
    parts, visit_parts = [], []
    for i in range(k):
        suffix = f"~{i}" if i else ""
        parts.append(
            incidents.with_columns(
                (pl.col("id") + i * step).cast(incidents["id"].dtype),
                pl.col("incident_no").cast(pl.String) + suffix,
                *[
                    (pl.col(c).cast(pl.String) + suffix).cast(incidents[c].dtype)
                    for c in KEYS
                    if c in incidents.columns
                ],
            )
        )
        visit_parts.append(
            visits.with_columns(
                (pl.col("incident_id") + i * step).cast(visits["incident_id"].dtype)
            )
        )
    return pl.concat(parts), pl.concat(visit_parts)


def main() -> None:
    """Time the early warning on each number of copies and print a markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 3, 10])
    args = parser.parse_args()
    access = CaseAccess(make_engine(f"sqlite:///{args.db}"))
    newest = access.date_extent(Scope())[1]
    now = datetime.combine(newest + timedelta(days=1), datetime.min.time(), UTC)
    incidents = access.incidents(Scope(), IncidentFilter())
    visits = access.follow_up_visits(Scope())
    print(f"now {now:%Y-%m-%d %H:%M} UTC; one copy: {incidents.height:,} incidents\n")
    print("| copies | incidents | early warning s | entries | entries / one copy's |")
    print("|---:|---:|---:|---:|---:|")
    single = None
    for k in args.copies:
        frame, visit_frame = copies(incidents, visits, k)
        started = time.perf_counter()
        entries = early_warning.compute(frame, visit_frame, now).height
        seconds = time.perf_counter() - started
        single = single or (entries if k == 1 else None)
        ratio = f"{entries / single:.3f}" if single else ""
        print(f"| {k} | {frame.height:,} | {seconds:.1f} | {entries:,} | {ratio} |", flush=True)
        del frame, visit_frame
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
