"""What one filter change asks of the data layer, by three engines over one demo database.

    pip install -r benchmarks/requirements.txt          # DuckDB, for this benchmark only
    python benchmarks/bench_filter_paths.py --db /tmp/anning-bench/1000000/demo.sqlite \\
        --changes 60 --out benchmarks/results/filter_paths_1m.md

A filter change on the dashboard asks for three things: the count per H3 cell at the map's
resolution, the incidents per local day and category (the trend), and the first page of the
case list (newest first, with the number of matching cases). Each is answered, in one run on
one machine, by

* ``sqlite`` -- plain SQL on the database with the indexes the schema has. The database
  stores resolution-9 cells, so the cell counts are grouped by ``h3_cell`` in SQL and mapped
  to the display resolution's parents with :mod:`geo.h3cells`, as a SQL-only path must;
* ``polars`` -- the product's path: :class:`data.access.CaseAccess` (``cell_counts``,
  ``trend``, ``case_page``) over the columnar snapshot, for a command-centre scope;
* ``duckdb`` -- DuckDB SQL over the same polars frame (registered, not copied); with
  ``--duckdb-table`` also over a DuckDB table copied from it (``duckdb_table``).

The changes (date windows ending at the data's last day or drawn at random, category,
risk-level and source subsets, one station or none, a display resolution) come from a fixed
seed, so every engine and every run gets the same list. The engines' answers are compared for
every change (cells and counts, every trend row, the page's rows and the total) and the run
stops at the first disagreement. Each change runs ``--rounds`` times per engine and its
median counts; engines take turns in a rotating order, so machine noise falls on all alike.
The database is opened read-only and never upgraded.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from sqlalchemy import Engine, create_engine, event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.access import CaseAccess, IncidentFilter, Scope, mask_address
from data.settings import display_timezone
from data.snapshot import snapshot_for
from data.users import COMMAND_CENTER, scope_for
from geo.h3cells import DISPLAY_RESOLUTIONS, cells_to_parent

QUERIES = ("cells", "trend", "page")
PAGE_COLUMNS = (
    "id",
    "incident_no",
    "reported_at",
    "category",
    "source_channel",
    "risk_level",
    "status",
    "station_code",
    "address_raw",
    "warning_letter",
    "protection_order",
)
#: How SQLAlchemy writes ``DateTime`` values into SQLite text (naive UTC).
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
#: The same format as polars (chrono) parses it.
POLARS_TIME = "%Y-%m-%d %H:%M:%S%.f"


@dataclass(frozen=True)
class Change:
    """One filter change: the filter, the map's resolution and a short label."""

    flt: IncidentFilter
    res: int
    label: str


@dataclass(frozen=True)
class BenchUser:
    """Enough of a user for :func:`data.users.scope_for`."""

    username: str = "bench"
    role: str = COMMAND_CENTER
    station_code: str | None = None


def rss_mb() -> float:
    """Current resident set size of this process in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def readonly_engine(path: Path) -> Engine:
    """A SQLAlchemy engine on ``path`` opened read-only (``mode=ro``), for :class:`CaseAccess`.

    Databases made before migration 0006 lack ``store_revision``, which the snapshot reads to
    learn whether anything changed; each connection then gets a TEMP table of that name (in
    the connection's temporary schema, so the file is not touched) holding the row count.
    """
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as probe:
        has_revision = probe.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_revision'"
        ).fetchone()
        incidents = (
            0 if has_revision else probe.execute("SELECT count(*) FROM incident").fetchone()[0]
        )
    eng = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", connect_args={"timeout": 30})

    if not has_revision:

        @event.listens_for(eng, "connect")
        def _temp_revision(dbapi_conn, _record) -> None:
            dbapi_conn.execute(
                "CREATE TEMP TABLE store_revision "
                "(id INTEGER PRIMARY KEY, revision BIGINT, incidents BIGINT)"
            )
            dbapi_conn.execute("INSERT INTO temp.store_revision VALUES (1, 1, ?)", (incidents,))
            dbapi_conn.commit()

    return eng


# -- the filter changes ----------------------------------------------------------------------
def make_changes(
    n: int,
    seed: int,
    first: date,
    last: date,
    domains: dict[str, list[str]],
) -> list[Change]:
    """``n`` realistic filter changes drawn from ``seed`` (the same list on every run)."""
    rng = random.Random(seed)
    windows = ("last 7", "last 30", "last 90", "last 365", "random", "all time")
    weights = (15, 25, 20, 15, 20, 5)

    def subset(values: list[str], p_none: float, most: int) -> tuple[str, ...]:
        if rng.random() < p_none:
            return ()
        return tuple(sorted(rng.sample(values, rng.randint(1, min(most, len(values) - 1)))))

    changes = []
    for _ in range(n):
        window = rng.choices(windows, weights)[0]
        if window.startswith("last"):
            days = int(window.split()[1])
            start, end = last - timedelta(days=days - 1), last
        elif window == "random":
            days = rng.randint(1, 365)
            offset = rng.randint(0, max(0, (last - first).days - days + 1))
            start = first + timedelta(days=offset)
            end = min(last, start + timedelta(days=days - 1))
            window = f"{start}..{end}"
        else:
            start = end = None
        flt = IncidentFilter(
            start=start,
            end=end,
            categories=subset(domains["category"], 0.55, 3),
            risk_levels=subset(domains["risk_level"], 0.7, 2),
            sources=subset(domains["source_channel"], 0.75, 2),
            stations=(rng.choice(domains["station"]),) if rng.random() < 0.45 else (),
        )
        parts = [window]
        for name, values in (
            ("cat", flt.categories),
            ("risk", flt.risk_levels),
            ("src", flt.sources),
            ("stn", flt.stations),
        ):
            if values:
                parts.append(f"{name}={'+'.join(values)}")
        res = rng.choice(DISPLAY_RESOLUTIONS)
        changes.append(Change(flt, res, ", ".join(parts)))
    return changes


# -- shared post-processing for the SQL engines ---------------------------------------------
def parents(res9: pl.DataFrame, res: int) -> pl.DataFrame:
    """Counts per resolution-9 cell summed to their parents at ``res`` (as the product)."""
    return (
        res9.group_by(cells_to_parent("cell", res).alias("cell"))
        .agg(pl.col("count").sum().cast(pl.Int64))
        .sort("cell")
    )


def fill_days(counts: pl.DataFrame, flt: IncidentFilter) -> pl.DataFrame:
    """Per-day counts with the days of the filter's range that had none as 0 (as the product)."""
    if counts.is_empty():
        return pl.DataFrame(schema={"period": pl.Date, "category": pl.String, "count": pl.Int64})
    first = flt.start or counts["period"].min()
    last = flt.end or counts["period"].max()
    grid = pl.DataFrame({"period": pl.date_range(first, last, interval="1d", eager=True)}).join(
        counts.select("category").unique(), how="cross"
    )
    return (
        grid.join(counts, on=["period", "category"], how="left")
        .with_columns(pl.col("count").fill_null(0))
        .sort("period", "category")
    )


def present(page: pl.DataFrame, tz: str) -> pl.DataFrame:
    """A page with UTC ``reported_at`` as the case list shows it: local time, masked address."""
    return page.select(
        "id",
        "incident_no",
        pl.col("reported_at").dt.convert_time_zone(tz).dt.strftime("%Y-%m-%d %H:%M"),
        "category",
        "source_channel",
        "risk_level",
        "status",
        "station_code",
        pl.col("address_raw").map_elements(mask_address, return_dtype=pl.String),
        pl.col("warning_letter").cast(pl.Boolean),
        pl.col("protection_order").cast(pl.Boolean),
    )


def fixed_offset_minutes(tz: str, first: date, last: date) -> int:
    """The zone's UTC offset in minutes; refuses a zone whose offset changes in the data."""
    zone = ZoneInfo(tz)
    offsets = {
        datetime.combine(first + timedelta(days=d), dtime(12), zone).utcoffset()
        for d in range((last - first).days + 2)
    }
    if len(offsets) != 1:
        raise SystemExit(f"{tz} changes its UTC offset in the data; the SQLite day needs one")
    return int(offsets.pop().total_seconds() // 60)


class SqlEngine:
    """The WHERE clause both SQL engines share; subclasses bind the time bounds."""

    def __init__(self, tz: str, children: dict[str, list[str]], page_size: int) -> None:
        self.tz = tz
        self.zone = ZoneInfo(tz)
        self.children = children
        self.page_size = page_size

    def bound(self, day: date) -> object:
        raise NotImplementedError

    def expand(self, codes: tuple[str, ...]) -> list[str]:
        wanted, todo = set(codes), list(codes)
        while todo:
            for child in self.children.get(todo.pop(), ()):
                if child not in wanted:
                    wanted.add(child)
                    todo.append(child)
        return sorted(wanted)

    def where(self, flt: IncidentFilter) -> tuple[str, list]:
        clauses, params = ["TRUE"], []
        if flt.start is not None:
            clauses.append("reported_at >= ?")
            params.append(self.bound(flt.start))
        if flt.end is not None:
            clauses.append("reported_at < ?")
            params.append(self.bound(flt.end + timedelta(days=1)))
        for column, values in (
            ("category", list(flt.categories)),
            ("source_channel", list(flt.sources)),
            ("risk_level", list(flt.risk_levels)),
            ("station_code", self.expand(flt.stations) if flt.stations else []),
        ):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        return " AND ".join(clauses), params

    def sql(self, flt: IncidentFilter) -> dict[str, tuple[str, list]]:
        """The statements each query runs, by query."""
        where, params = self.where(flt)
        columns = ", ".join(PAGE_COLUMNS)
        return {
            "cells": (
                f"SELECT h3_cell, COUNT(*) FROM incident WHERE {where} AND h3_cell IS NOT NULL "
                "GROUP BY h3_cell",
                params,
            ),
            "trend": (
                f"SELECT {self.day_sql()} AS day, category, COUNT(*) FROM incident "
                f"WHERE {where} GROUP BY day, category",
                params,
            ),
            "page": (
                f"SELECT {columns} FROM incident WHERE {where} "
                f"ORDER BY reported_at DESC, id DESC LIMIT {self.page_size}",
                params,
            ),
            "total": (f"SELECT COUNT(*) FROM incident WHERE {where}", params),
        }

    def day_sql(self) -> str:
        raise NotImplementedError


class SqlitePath(SqlEngine):
    """SQL on the database file (read-only), using the schema's indexes."""

    def __init__(self, path: Path, offset_minutes: int, **kw) -> None:
        super().__init__(**kw)
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.offset = offset_minutes

    def bound(self, day: date) -> str:
        return datetime.combine(day, dtime(), self.zone).astimezone(UTC).strftime(SQLITE_TIME)

    def day_sql(self) -> str:
        return f"date(reported_at, '{self.offset:+d} minutes')"

    def cells(self, change: Change) -> pl.DataFrame:
        sql, params = self.sql(change.flt)["cells"]
        rows = self.conn.execute(sql, params).fetchall()
        res9 = pl.DataFrame(rows, schema={"cell": pl.Int64, "count": pl.Int64}, orient="row")
        return parents(res9, change.res)

    def trend(self, change: Change) -> pl.DataFrame:
        sql, params = self.sql(change.flt)["trend"]
        rows = self.conn.execute(sql, params).fetchall()
        counts = pl.DataFrame(
            rows,
            schema={"period": pl.String, "category": pl.String, "count": pl.Int64},
            orient="row",
        ).with_columns(pl.col("period").str.to_date("%Y-%m-%d"))
        return fill_days(counts, change.flt)

    def page(self, change: Change) -> tuple[pl.DataFrame, int]:
        stmts = self.sql(change.flt)
        rows = self.conn.execute(*stmts["page"]).fetchall()
        total = self.conn.execute(*stmts["total"]).fetchone()[0]
        schema = {c: pl.String for c in PAGE_COLUMNS} | {
            "id": pl.Int64,
            "warning_letter": pl.Int64,
            "protection_order": pl.Int64,
        }
        frame = pl.DataFrame(rows, schema=schema, orient="row").with_columns(
            pl.col("reported_at").str.to_datetime(POLARS_TIME, time_unit="us", time_zone="UTC")
        )
        return present(frame, self.tz), total

    def plans(self, change: Change) -> dict[str, str]:
        """SQLite's query plan per statement, one line each."""
        out = {}
        for name, (sql, params) in self.sql(change.flt).items():
            rows = self.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
            out[name] = "; ".join(r[-1] for r in rows)
        return out


class DuckPath(SqlEngine):
    """DuckDB SQL over the snapshot frame (registered: scanned in place through Arrow)."""

    def __init__(self, con, table: str, **kw) -> None:
        super().__init__(**kw)
        self.con = con
        self.table = table

    def bound(self, day: date) -> datetime:
        return datetime.combine(day, dtime(), self.zone).astimezone(UTC)

    def day_sql(self) -> str:
        return f"CAST(reported_at AT TIME ZONE '{self.tz}' AS DATE)"

    def run(self, change: Change, query: str):
        sql, params = self.sql(change.flt)[query]
        return self.con.sql(sql.replace("FROM incident", f"FROM {self.table}"), params=params)

    def cells(self, change: Change) -> pl.DataFrame:
        res9 = pl.from_arrow(self.run(change, "cells").to_arrow_table())
        res9.columns = ["cell", "count"]
        return parents(res9.cast({"count": pl.Int64}), change.res)

    def trend(self, change: Change) -> pl.DataFrame:
        counts = pl.from_arrow(self.run(change, "trend").to_arrow_table())
        counts.columns = ["period", "category", "count"]
        return fill_days(counts.cast({"count": pl.Int64}), change.flt)

    def page(self, change: Change) -> tuple[pl.DataFrame, int]:
        frame = pl.from_arrow(self.run(change, "page").to_arrow_table())
        total = self.run(change, "total").fetchall()[0][0]
        frame = frame.with_columns(pl.col("reported_at").dt.convert_time_zone("UTC"))
        return present(frame, self.tz), total


class PolarsPath:
    """The product: :class:`CaseAccess` over the columnar snapshot."""

    def __init__(self, access: CaseAccess, scope: Scope, page_size: int) -> None:
        self.access, self.scope, self.page_size = access, scope, page_size

    def cells(self, change: Change) -> pl.DataFrame:
        return self.access.cell_counts(self.scope, change.flt, change.res)

    def trend(self, change: Change) -> pl.DataFrame:
        return self.access.trend(self.scope, change.flt)

    def page(self, change: Change) -> tuple[pl.DataFrame, int]:
        return self.access.case_page(self.scope, change.flt, limit=self.page_size)


# -- running and reporting -----------------------------------------------------------------
def same(a, b) -> bool:
    if isinstance(a, tuple):
        return a[1] == b[1] and a[0].equals(b[0])
    return a.equals(b)


def describe(result) -> str:
    if isinstance(result, tuple):
        return f"total {result[1]:,}, first ids {result[0]['id'].head(5).to_list()}\n{result[0]}"
    return f"{result.height} rows\n{result}"


def stats(values: list[float]) -> tuple[float, float, float]:
    arr = np.array(values) * 1000
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 95)), float(arr.max())


def main() -> None:
    """Run every filter change through every engine, check they agree, write the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="demo SQLite file (read-only)")
    parser.add_argument("--changes", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of each change per engine; the median counts"
    )
    parser.add_argument("--out", type=Path, default=None, help="markdown results file")
    parser.add_argument(
        "--duckdb-table", action="store_true", help="also time DuckDB on its own table copy"
    )
    args = parser.parse_args()
    if not args.db.is_file():
        raise SystemExit(f"no database at {args.db}")

    import duckdb  # only this benchmark needs it: benchmarks/requirements.txt

    load_start = os.getloadavg()
    started_at = datetime.now().astimezone()
    lines: list[str] = []

    def out(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    tz = display_timezone()
    rss_before = rss_mb()
    access = CaseAccess(readonly_engine(args.db), tz)
    scope = scope_for(BenchUser())
    t = time.perf_counter()
    incidents = access.snapshot_rows()
    load_s = time.perf_counter() - t
    rss_loaded, peak_loaded = rss_mb(), peak_rss_mb()
    frame = snapshot_for(access.engine).collect()  # the product's rows
    first, last = access.date_extent(scope)

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    t = time.perf_counter()
    con.register("incident", frame)
    con.execute("SELECT COUNT(*) FROM incident").fetchone()
    register_s = time.perf_counter() - t
    rss_registered = rss_mb()
    table_s = rss_table = None
    if args.duckdb_table:
        t = time.perf_counter()
        con.execute("CREATE TABLE incident_copy AS SELECT * FROM incident")
        table_s, rss_table = time.perf_counter() - t, rss_mb()

    stations = access.stations(scope)
    children: dict[str, list[str]] = {}
    for s in stations:
        if s.parent_code is not None:
            children.setdefault(s.parent_code, []).append(s.code)
    domains = {
        c: sorted(frame[c].drop_nulls().unique().to_list())
        for c in ("category", "risk_level", "source_channel")
    } | {"station": [s.code for s in stations]}
    changes = make_changes(args.changes, args.seed, first, last, domains)
    common = {"tz": tz, "children": children, "page_size": args.page_size}
    engines: dict[str, object] = {
        "sqlite": SqlitePath(args.db, fixed_offset_minutes(tz, first, last), **common),
        "polars": PolarsPath(access, scope, args.page_size),
        "duckdb": DuckPath(con, "incident", **common),
    }
    if args.duckdb_table:
        engines["duckdb_table"] = DuckPath(con, "incident_copy", **common)
    names = list(engines)

    # Warm-up: one unfiltered change per engine, untimed (page cache, query compilation).
    warm = Change(IncidentFilter(), 8, "warm-up")
    for engine in engines.values():
        for query in QUERIES:
            getattr(engine, query)(warm)

    times = {n: {q: [] for q in QUERIES} for n in names}
    per_change: list[tuple[Change, int, dict[str, float]]] = []
    for i, change in enumerate(changes):
        rounds = {n: {q: [] for q in QUERIES} for n in names}
        for r in range(args.rounds):
            turn = (i + r) % len(names)
            results: dict[str, dict[str, object]] = {}
            for name in names[turn:] + names[:turn]:
                results[name] = {}
                for query in QUERIES:
                    call: Callable = getattr(engines[name], query)
                    t = time.perf_counter()
                    results[name][query] = call(change)
                    rounds[name][query].append(time.perf_counter() - t)
            for name in names:
                for query in QUERIES:
                    if not same(results["polars"][query], results[name][query]):
                        raise SystemExit(
                            f"DISAGREEMENT at change {i + 1} ({change.label}, res {change.res}), "
                            f"{query}: polars {describe(results['polars'][query])}\n"
                            f"{name} {describe(results[name][query])}"
                        )
        for name in names:
            for query in QUERIES:
                times[name][query].append(statistics.median(rounds[name][query]))
        whole = {n: sum(times[n][q][-1] for q in QUERIES) for n in names}
        per_change.append((change, results["polars"]["page"][1], whole))
    load_end = os.getloadavg()

    # What every CaseAccess call pays before filtering: the snapshot's change check, and with
    # a station filter the station tree read to expand it.
    overhead = {}
    for label, call in (
        ("snapshot change check (refresh)", lambda: snapshot_for(access.engine).refresh()),
        ("station expansion", lambda: access.expand_stations(domains["station"][:1])),
    ):
        samples = []
        for _ in range(50):
            t = time.perf_counter()
            call()
            samples.append(time.perf_counter() - t)
        overhead[label] = statistics.median(samples) * 1000

    # -- report ------------------------------------------------------------------------------
    out(f"# Filter paths at {incidents:,} incidents: SQLite vs polars vs DuckDB\n")
    out(f"Command: `python benchmarks/bench_filter_paths.py {' '.join(sys.argv[1:])}`  ")
    out(
        f"Started {started_at:%Y-%m-%d %H:%M %Z}; database {args.db} "
        f"({args.db.stat().st_size / 1e6:,.0f} MB, opened read-only), data "
        f"{first} .. {last}, time zone {tz}.\n"
    )
    cpus = os.cpu_count()
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    out(
        f"Machine: {cpus} cores ({len(os.sched_getaffinity(0))} usable), {mem_gb:.0f} GiB RAM, "
        f"{platform.machine()}, Python {platform.python_version()}, polars {pl.__version__}, "
        f"DuckDB {duckdb.__version__} ({threads} threads), SQLite {sqlite3.sqlite_version}.  "
    )
    out(
        f"Load average (1/5/15 min) at start {load_start[0]:.2f} / {load_start[1]:.2f} / "
        f"{load_start[2]:.2f}, at end {load_end[0]:.2f} / {load_end[1]:.2f} / {load_end[2]:.2f}. "
        "The machine is shared and noisy: other jobs ran at the same time, so compare engines "
        "within this run, not across runs.\n"
    )
    out(
        f"Snapshot load (product path, once per process): {load_s:.2f} s; RSS "
        f"{rss_before:,.0f} MB before, {rss_loaded:,.0f} MB after (peak so far "
        f"{peak_loaded:,.0f} MB).  "
    )
    out(
        f"DuckDB register of the same frame: {register_s:.3f} s, RSS after {rss_registered:,.0f} "
        "MB (an Arrow scan of the frame, no table).  "
    )
    if table_s is not None:
        out(
            f"DuckDB table copied from the frame: {table_s:.2f} s, RSS after {rss_table:,.0f} MB.  "
        )
    out(
        "Fixed cost inside every product call (median of 50): "
        + "; ".join(f"{k} {v:.2f} ms" for k, v in overhead.items())
        + ".  "
    )
    matches = [m for _, m, _ in per_change]
    out(
        f"{len(changes)} filter changes (seed {args.seed}), matching "
        f"{min(matches):,} .. {statistics.median(matches):,.0f} (median) .. {max(matches):,} "
        f"incidents; page size {args.page_size}; each change run {args.rounds} times per "
        "engine (engines taking turns in rotating order), its median counted. All engines "
        "agreed on every change (cells and counts, every trend row, page rows and total).\n"
    )
    out(
        "Milliseconds per query (p50 / p95 / max over the changes' medians); *change* is the "
        "sum of the three for one change:\n"
    )
    out("| engine | cells | trend | page | change |")
    out("|---|---:|---:|---:|---:|")
    summary: dict[str, dict[str, tuple[float, float, float]]] = {}
    for name in names:
        per_query = {q: stats(times[name][q]) for q in QUERIES}
        per_query["change"] = stats([w[name] for _, _, w in per_change])
        summary[name] = per_query
        cells = " | ".join(
            f"{p50:,.1f} / {p95:,.1f} / {mx:,.1f}" for p50, p95, mx in per_query.values()
        )
        out(f"| {name} | {cells} |")
    out("\nRatios of p50 (and p95) to the product's polars path (> 1: slower than polars):\n")
    out("| engine | cells | trend | page | change |")
    out("|---|---:|---:|---:|---:|")
    for name in names:
        if name == "polars":
            continue
        cells = " | ".join(
            f"{summary[name][q][0] / summary['polars'][q][0]:.2f} "
            f"({summary[name][q][1] / summary['polars'][q][1]:.2f})"
            for q in (*QUERIES, "change")
        )
        out(f"| {name} | {cells} |")
    sample = next((c for c in changes if c.flt.stations and c.flt.start), changes[0])
    out(f"\nSQLite's plans for one change ({sample.label}):\n")
    for name, plan in engines["sqlite"].plans(sample).items():
        out(f"- {name}: `{plan}`")
    out("\nEvery change (ms for the whole change):\n")
    out("| # | change | res | matching | " + " | ".join(names) + " |")
    out("|---:|---|---:|---:|" + "---:|" * len(names))
    for i, (change, matching, whole) in enumerate(per_change, 1):
        row = " | ".join(f"{whole[n] * 1000:,.1f}" for n in names)
        out(f"| {i} | {change.label} | {change.res} | {matching:,} | {row} |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
