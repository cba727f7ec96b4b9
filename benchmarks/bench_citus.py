"""Benchmark: plain PostgreSQL against Citus with one and with two workers, in one run.

    bash scripts/postgres.sh start 55453          # plain PostgreSQL
    bash scripts/citus.sh start 55450 2           # coordinator 55450, workers 55451-55452
    .venv/bin/python benchmarks/bench_citus.py --rows 200000 \\
        --postgres postgresql+psycopg://anning@127.0.0.1:55453/postgres \\
        --citus postgresql+psycopg://anning@127.0.0.1:55450/postgres

One cn-110 CSV of ``--rows`` incidents (``bench_import.generate``) is imported into a fresh
database of each setup: plain PostgreSQL, Citus with the first worker only, Citus with both
(each Citus database gets its own worker list; every node is a server on this one machine).
Per setup it measures, each timed alone:

- the import (``data.importers.run.import_file``, the command-line import path);
- the snapshot read: a worker's first full load of the columnar copy (``Snapshot.refresh``),
  and the "has anything changed?" question asked while nothing changed (``data.revision``:
  a primary-key read on PostgreSQL, ``max(updated_at)`` + count over every shard on Citus);
- the national rollup: counts per resolution-7 hexagon × local day × category × station, as
  one SQL ``GROUP BY`` (a distributed query on Citus). The res-7 parent of the stored res-9
  cell is computed in SQL with H3's bit layout, checked against the h3 library.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

#: The res-7 parent of a res-9 H3 cell (bit layout: resolution in bits 52-55, then 3 bits
#: per resolution digit, 7 = unused): set the resolution to 7 and digits 8..15 to 7.
ROLLUP_SQL = """
SELECT ((h3_cell & ~(15::bigint << 52)) | (7::bigint << 52) | ((1::bigint << 24) - 1)) AS cell7,
       (reported_at AT TIME ZONE 'UTC' AT TIME ZONE 'Asia/Shanghai')::date AS day,
       category, station_code, count(*) AS incidents
FROM incident WHERE h3_cell IS NOT NULL
GROUP BY 1, 2, 3, 4
"""
#: Repeats of the quick reads, for a median.
REPEATS = 5


def _run(url: str, *statements: str) -> None:
    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            for s in statements:
                conn.execute(text(s))
    finally:
        eng.dispose()


def fresh_database(admin_url: str, name: str, workers: list[tuple[str, int]] | None) -> str:
    """A new database with PostGIS (and Citus with ``workers`` added, when given); its URL."""
    admin = make_url(admin_url)
    url = admin.set(database=name).render_as_string(hide_password=False)
    nodes = [] if workers is None else workers
    for host, port in nodes:
        node = admin.set(host=host, port=port)
        _run(node.render_as_string(hide_password=False), f'DROP DATABASE IF EXISTS "{name}"')
        _run(node.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"')
        _run(
            node.set(database=name).render_as_string(hide_password=False),
            "CREATE EXTENSION citus",
            "CREATE EXTENSION postgis",
        )
    _run(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    if workers is None:
        _run(url, "CREATE EXTENSION postgis")
    else:
        _run(
            url,
            "CREATE EXTENSION citus",
            "CREATE EXTENSION postgis",
            f"SELECT citus_set_coordinator_host('{admin.host}', {admin.port})",
            *(f"SELECT citus_add_node('{h}', {p})" for h, p in workers),
        )
    return url


def _median_seconds(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _check_rollup_cells(engine) -> None:
    """The SQL parent cell equals h3's for a sample of stored cells (else the rollup is wrong)."""
    import polars as pl

    from geo.h3cells import cells_to_parent

    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT h3_cell, (h3_cell & ~(15::bigint << 52)) | (7::bigint << 52) "
                "| ((1::bigint << 24) - 1) FROM incident WHERE h3_cell IS NOT NULL LIMIT 2000"
            )
        ).all()
    frame = pl.DataFrame(rows, schema={"h3_cell": pl.Int64, "sql7": pl.Int64}, orient="row")
    expected = frame.select(cells_to_parent("h3_cell", 7)).to_series()
    assert (expected == frame["sql7"]).all(), "SQL res-7 parent differs from h3"


def measure(label: str, url: str, csv: Path, workdir: Path) -> dict:
    """Import ``csv`` into the database at ``url`` and time the reads; the figures."""
    from data import revision
    from data.database import make_engine, upgrade
    from data.demo.baoan import jurisdictions
    from data.importers.run import import_file
    from data.snapshot import Snapshot
    from data.store import save_stations

    engine = make_engine(url)
    upgrade(engine)
    save_stations(engine, jurisdictions())
    out: dict = {"setup": label, "load_before": os.getloadavg()[0]}
    t = time.perf_counter()
    summary = import_file(engine, csv, "cn-110", rejects_path=workdir / f"rejects-{label}.csv")
    out["import_s"] = time.perf_counter() - t
    out["inserted"] = summary.inserted
    t = time.perf_counter()
    frame = Snapshot(engine).refresh()
    out["snapshot_s"] = time.perf_counter() - t
    out["snapshot_rows"] = frame.height

    def ask() -> None:
        with engine.connect() as conn:
            revision.current(conn)

    ask()
    out["changed_ms"] = _median_seconds(ask) * 1000
    _check_rollup_cells(engine)

    def rollup() -> None:
        with engine.connect() as conn:
            out["rollup_rows"] = len(conn.execute(text(ROLLUP_SQL)).all())

    rollup()
    out["rollup_s"] = _median_seconds(rollup, 3)
    out["load_after"] = os.getloadavg()[0]
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    """Run every setup on one generated file and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--postgres", required=True, metavar="ADMIN_URL")
    parser.add_argument("--citus", required=True, metavar="COORDINATOR_ADMIN_URL")
    args = parser.parse_args(argv)
    from bench_import import generate

    eng = create_engine(args.citus)
    with eng.connect() as conn:
        workers = [
            (r[0], r[1])
            for r in conn.execute(
                text("SELECT nodename, nodeport FROM pg_dist_node WHERE groupid > 0 ORDER BY 2")
            )
        ]
    eng.dispose()
    setups = [
        ("PostgreSQL", args.postgres, None),
        ("Citus, 1 worker", args.citus, workers[:1]),
        ("Citus, 2 workers", args.citus, workers[:2]),
    ]
    results = []
    with tempfile.TemporaryDirectory(prefix="anning-bench-citus-") as tmp:
        workdir = Path(tmp)
        os.environ["ANNING_SECRET_FILE"] = str(workdir / "pseudonym.key")
        csv = workdir / "cn110.csv"
        generate(csv, args.rows)
        for i, (label, admin, nodes) in enumerate(setups):
            url = fresh_database(admin, f"bench_citus_{i}", nodes)
            results.append(measure(label, url, csv, workdir))
            print(results[-1], flush=True)
    print(f"\n{args.rows:,} rows generated; {os.cpu_count()} cores; all servers on this machine\n")
    print(
        "| setup | import | rows/s | snapshot full read | 'changed?' (median) | "
        "national rollup (rows) | load before → after |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r['setup']} | {r['import_s']:.1f} s | {args.rows / r['import_s']:,.0f} | "
            f"{r['snapshot_s']:.2f} s ({r['snapshot_rows']:,} rows) | {r['changed_ms']:.1f} ms | "
            f"{r['rollup_s']:.2f} s ({r['rollup_rows']:,}) | "
            f"{r['load_before']:.1f} → {r['load_after']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
