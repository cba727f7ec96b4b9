"""Generate the demo district at a given size into a fresh SQLite file; time it, measure memory.

    python benchmarks/bench_demo.py --incidents 1000000

Prints the generation-only time, the generate-and-store time (``rebuild_demo``), the row
counts written and the process's peak resident memory. The database goes to a temporary
folder (or ``--out``) and can be kept for the other benchmarks with ``--keep``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from data.database import make_engine
from data.demo.load import rebuild_demo
from data.demo.scenario import generate
from data.models import FollowUpVisit, Incident, StatusEvent


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run the benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    generated = sum(batch.incidents.height for batch in generate(args.incidents, args.seed))
    gen_s = time.perf_counter() - started
    print(
        f"generate only: {generated:,} incidents in {gen_s:.1f} s "
        f"({generated / gen_s:,.0f}/s), peak RSS {peak_rss_mb():,.0f} MB",
        flush=True,
    )

    folder = args.out or Path(tempfile.mkdtemp(prefix="anning-bench-"))
    db = folder / "demo.sqlite"
    db.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    started = time.perf_counter()
    count = rebuild_demo(engine, n_incidents=args.incidents, seed=args.seed)
    total_s = time.perf_counter() - started
    with engine.connect() as conn:
        events = conn.execute(select(func.count(StatusEvent.id))).scalar_one()
        visits = conn.execute(select(func.count(FollowUpVisit.id))).scalar_one()
        stored = conn.execute(select(func.count(Incident.id))).scalar_one()
    print(
        f"generate + store: {count:,} incidents ({stored:,} stored, {events:,} status events, "
        f"{visits:,} follow-up visits) in {total_s:.1f} s ({count / total_s:,.0f} incidents/s)"
    )
    print(f"database file: {db.stat().st_size / 1e6:,.0f} MB; peak RSS {peak_rss_mb():,.0f} MB")
    if not args.keep:
        db.unlink()
    else:
        print(f"kept: {db}")


if __name__ == "__main__":
    main()
