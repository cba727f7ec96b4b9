"""Several worker processes answering filter changes from one memory-mapped snapshot file.

    python benchmarks/bench_shared_snapshot.py --db /tmp/demo.sqlite --scale 10 --workers 4

1. writes the machine's shared snapshot of the demo database (``data.snapshot_store``, as
   gunicorn's master does) and times it;
2. with ``--scale k``, writes a synthetic snapshot of k times the rows (the demo's rows
   repeated with new ids: same columns, same value distributions, k times as many incidents;
   it stands in for a k-times larger demo where generating one does not fit the time);
3. starts ``--workers`` processes that each map the file (timed: a worker's snapshot start-up)
   and answer ``--changes`` filter changes in turn (one at a time across the workers, as one
   client clicking; each change runs the overview's three queries at once on three threads:
   counts per res-8 cell, counts per local day and category, the newest 50 cases), with the
   filters of ``bench_http.py`` (date windows of 7–365 days, categories, risk levels, a
   station, sources);
4. reports per-change p50/p95 and every worker's RSS and PSS (``/proc/PID/smaps_rollup``):
   RSS counts every shared page in every process, PSS divides it among the processes that
   map it, so the PSS sum is the memory the workers cost together.

These are the access layer's polars queries on the snapshot, not HTTP: add the HTTP and
Dash overhead measured by ``bench_http.py`` (about 10–20 ms a change) for the whole change.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl

CATEGORIES = ["domestic_violence", "relationship_dispute", "family_dispute", "child_abuse"]
RISKS = ["low", "medium", "high"]
SOURCES = ["call_110", "grid_patrol", "court", "womens_federation", "mediation"]


def smaps() -> dict[str, float]:
    """This process's Rss, Pss and their anonymous / file-backed parts, MB."""
    out = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Rss", "Pss", "Pss_Anon", "Pss_File"):
            out[key] = int(value.split()[0]) / 1024
    return out


def changes(n: int, last: date, stations: list[str], seed: int) -> list[pl.Expr]:
    """``n`` random filters as polars predicates (local dates in Asia/Shanghai ≈ UTC+8)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        days = rng.choice([7, 30, 90, 180, 365])
        start = datetime.combine(last - timedelta(days=days - 1), datetime.min.time(), UTC)
        pred = pl.col("reported_at") >= start - timedelta(hours=8)
        if rng.random() < 0.4:
            pred &= pl.col("category").is_in(rng.sample(CATEGORIES, rng.randint(1, 3)))
        if rng.random() < 0.3:
            pred &= pl.col("risk_level").is_in(rng.sample(RISKS, rng.randint(1, 2)))
        if rng.random() < 0.4:
            pred &= pl.col("station_code").is_in([rng.choice(stations)])
        if rng.random() < 0.2:
            pred &= pl.col("source_channel").is_in(rng.sample(SOURCES, 2))
        out.append(pred)
    return out


def one_change(frame: pl.DataFrame, pred: pl.Expr, pool: ThreadPoolExecutor) -> float:
    """The overview's three queries for one filter, at once; seconds."""
    rows = frame.lazy().filter(pred)
    queries = [
        lambda: (
            rows.filter(pl.col("h3_cell").is_not_null()).group_by("h3_8").agg(pl.len()).collect()
        ),
        lambda: rows.group_by("reported_day", "category").agg(pl.len()).collect(),
        lambda: (
            rows.sort("reported_at", descending=True)
            .head(50)
            .select("id", "incident_no", "reported_at", "category", "station_code", "status")
            .collect()
        ),
    ]
    started = time.perf_counter()
    for future in [pool.submit(q) for q in queries]:
        future.result()
    return time.perf_counter() - started


def worker(path, preds_seed, n, turn, index, workers, last, stations, queue) -> None:
    """Map the file, answer every ``workers``-th change in turn, report times and memory."""
    from data.snapshot_store import map_frame

    started = time.perf_counter()
    frame = map_frame(Path(path))
    mapped = time.perf_counter() - started
    preds = changes(n, last, stations, preds_seed)
    times = []
    with ThreadPoolExecutor(3) as pool:
        one_change(frame, preds[0], pool)  # warm-up: page the columns in
        for i in range(n):
            with turn:
                if i % workers == index:
                    times.append(one_change(frame, preds[i], pool))
    queue.put((os.getpid(), mapped, times, smaps()))
    time.sleep(3)  # stay mapped while the others read their memory


def main() -> None:
    """Build the store, scale it, run the workers, print a markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--changes", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    os.environ["ANNING_SNAPSHOT_DIR"] = ""
    from data.database import make_engine
    from data.snapshot import Snapshot
    from data.snapshot_store import map_frame, read_manifest, store_folder

    load = [os.getloadavg()[0]]
    tmp = Path(tempfile.mkdtemp(prefix="anning-shared-"))
    engine = make_engine(f"sqlite:///{args.db}")
    started = time.perf_counter()
    snap = Snapshot(engine, store_root=tmp)
    snap.refresh()
    build_s = time.perf_counter() - started
    folder = store_folder(tmp, engine.url.render_as_string(hide_password=True))
    path = folder / read_manifest(folder).base
    base = map_frame(path)
    stations = base["station_code"].drop_nulls().unique().sort().to_list()
    last = base["reported_day"].max()
    scale_s = 0.0
    if args.scale > 1:
        started = time.perf_counter()
        step = int(base["id"].max()) + 1
        big = pl.concat(
            [base.with_columns(pl.col("id") + k * step) for k in range(args.scale)], rechunk=True
        )
        path = tmp / "scaled.arrow"
        big.write_ipc(path, compression="uncompressed")
        del big
        scale_s = time.perf_counter() - started
    rows = map_frame(path).height
    del base
    size_mb = path.stat().st_size / 1e6

    ctx = multiprocessing.get_context("spawn")
    turn, queue = ctx.Lock(), ctx.Queue()
    procs = [
        ctx.Process(
            target=worker,
            args=(str(path), args.seed, args.changes, turn, i, args.workers, last, stations, queue),
        )
        for i in range(args.workers)
    ]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    load.append(os.getloadavg()[0])

    times = sorted(t * 1000 for r in results for t in r[2])
    pct = statistics.quantiles(times, n=20, method="inclusive")[-1]
    cmd = f"python benchmarks/bench_shared_snapshot.py --db {args.db} --scale {args.scale} "
    cmd += f"--workers {args.workers} --changes {args.changes}"
    lines = [
        f"# {args.workers} workers, one memory-mapped snapshot of {rows:,} incidents",
        "",
        f"`{cmd}` — {os.cpu_count()} cores, load average {load[0]:.1f} at start, "
        f"{load[1]:.1f} at end (shared machine).",
        "",
        f"- writing the shared snapshot from the database ({snap.height:,} rows): {build_s:.1f} s",
    ]
    if args.scale > 1:
        lines.append(
            f"- synthetic ×{args.scale} file written in {scale_s:.1f} s (not product work)"
        )
    lines += [
        f"- snapshot file: {size_mb:,.0f} MB (Arrow IPC, uncompressed)",
        f"- a worker mapping it (its snapshot start-up): "
        f"{', '.join(f'{r[1]:.2f}' for r in results)} s",
        f"- filter change (3 queries at once), {len(times)} changes: p50 "
        f"{statistics.median(times):.0f} ms, p95 {pct:.0f} ms, max {times[-1]:.0f} ms",
        "",
        "| worker pid | RSS MB | PSS MB | PSS anonymous MB | PSS file-backed MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for pid, _, _, mem in results:
        lines.append(
            f"| {pid} | {mem['Rss']:,.0f} | {mem['Pss']:,.0f} | {mem['Pss_Anon']:,.0f} | "
            f"{mem['Pss_File']:,.0f} |"
        )
    total = {k: sum(r[3][k] for r in results) for k in ("Rss", "Pss", "Pss_Anon", "Pss_File")}
    lines.append(
        f"| **all {args.workers}** | {total['Rss']:,.0f} | **{total['Pss']:,.0f}** | "
        f"{total['Pss_Anon']:,.0f} | {total['Pss_File']:,.0f} |"
    )
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
