"""Benchmark: import a 1,000,000-row cn-110 export into a fresh SQLite file.

    .venv/bin/python benchmarks/bench_import.py [--rows 1000000] [--encoding utf-8|gb18030]

The file is generated deterministically (seed :data:`SEED`) in a temporary directory: the
headers DESIGN.md lists, Bao'an's ten stations named in 管辖单位 and stored as jurisdictions,
coordinates in WGS-84, GCJ-02 and BD-09 (named per row in 坐标系), a pool of
:data:`ADDRESSES` addresses, ID numbers for most victims and offenders, phone numbers in the
summaries, and a few rows of each bad kind (no coordinates, swapped coordinates, unknown
category, unreadable time). Generating the file is not timed; reading, validating,
pseudonymising, placing and writing it is. The target is 1M rows in under 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SEED = 20241125
DEFAULT_ROWS = 1_000_000
#: Distinct addresses in the generated file (a district's repeat addresses).
ADDRESSES = 100_000
#: Distinct people (ID numbers) among victims and offenders.
PEOPLE = 600_000
TARGET_SECONDS = 30.0
_CATEGORIES = ["家庭暴力", "婚恋情感纠纷", "家庭纠纷", "虐待儿童", "虐待老人"]
_CATEGORY_P = [0.3, 0.35, 0.3, 0.03, 0.02]
_SOURCES = ["110报警", "网格员巡查", "法院受理", "妇联投诉", "人民调解转介", "强制报告"]
_SOURCE_P = [0.7, 0.12, 0.05, 0.06, 0.05, 0.02]
_STATUSES = ["已接警", "已派警", "处置中", "回访中", "已办结"]
_STATUS_P = [0.05, 0.05, 0.1, 0.1, 0.7]
_DATUMS = ["WGS84", "GCJ02", "BD09"]
_DATUM_P = [0.6, 0.3, 0.1]
_ROADS = ["翻身路", "创业一路", "宝民二路", "新湖路", "前进二路", "西乡大道", "福永大道", "沙井路"]


def generate(path: Path, rows: int, encoding: str = "utf-8") -> None:
    """Write a deterministic cn-110 CSV of ``rows`` incidents to ``path``."""
    from data.demo.baoan import STATIONS, jurisdictions
    from geo.datums import gcj02_to_bd09, wgs84_to_gcj02

    rng = np.random.default_rng(SEED)
    stations = list(jurisdictions())
    # Addresses: each belongs to a station and has a WGS-84 point inside it.
    addr_station = rng.integers(0, len(stations), ADDRESSES)
    addr_lng = np.empty(ADDRESSES)
    addr_lat = np.empty(ADDRESSES)
    for s, j in enumerate(stations):
        idx = np.flatnonzero(addr_station == s)
        pts = _points_in(j.boundary, idx.size, rng)
        addr_lng[idx], addr_lat[idx] = pts[:, 0], pts[:, 1]
    road = rng.integers(0, len(_ROADS), ADDRESSES)
    building = rng.integers(1, 80, ADDRESSES)
    room = rng.integers(1, 30, ADDRESSES) * 100 + rng.integers(1, 9, ADDRESSES)
    addr_text = [
        f"宝安区{_ROADS[r]}{b}栋{m}室" for r, b, m in zip(road, building, room, strict=True)
    ]

    which = rng.integers(0, ADDRESSES, rows)
    lng, lat = addr_lng[which], addr_lat[which]
    datum = rng.choice(len(_DATUMS), rows, p=_DATUM_P)
    g_lng, g_lat = wgs84_to_gcj02(lng, lat)
    b_lng, b_lat = gcj02_to_bd09(g_lng, g_lat)
    out_lng = np.select([datum == 1, datum == 2], [g_lng, b_lng], lng)
    out_lat = np.select([datum == 1, datum == 2], [g_lat, b_lat], lat)

    start = np.datetime64("2021-01-01T00:00:00")
    seconds = rng.integers(0, 4 * 365 * 86400, rows)
    reported = start + seconds.astype("timedelta64[s]")
    status = rng.choice(len(_STATUSES), rows, p=_STATUS_P)
    closed = reported + rng.integers(3600, 15 * 86400, rows).astype("timedelta64[s]")
    people = 440306_19700101_0000 + rng.integers(0, PEOPLE, (2, rows))
    has_victim = rng.random(rows) < 0.8
    has_offender = rng.random(rows) < 0.6
    phones = 13_800_000_000 + rng.integers(0, 99_999_999, rows)

    frame = pl.DataFrame(
        {
            "警情编号": [f"J440306{i:012d}" for i in range(rows)],
            "接警时间": reported.astype("datetime64[s]").astype(str),
            "警情类别": np.array(_CATEGORIES)[rng.choice(5, rows, p=_CATEGORY_P)],
            "来源渠道": np.array(_SOURCES)[rng.choice(6, rows, p=_SOURCE_P)],
            "风险等级": np.array(["高", "中", "低"])[rng.choice(3, rows, p=[0.1, 0.3, 0.6])],
            "发案地址": np.array(addr_text)[which],
            "经度": np.round(out_lng, 6),
            "纬度": np.round(out_lat, 6),
            "坐标系": np.array(_DATUMS)[datum],
            "管辖单位": np.array([s[1] for s in STATIONS])[addr_station[which]],
            "受害人证件号": people[0].astype(str),
            "加害人证件号": people[1].astype(str),
            "处置状态": np.array(_STATUSES)[status],
            "办结时间": closed.astype("datetime64[s]").astype(str),
            "是否出具告诫书": np.where(rng.random(rows) < 0.2, "是", "否"),
            "是否申请保护令": np.where(rng.random(rows) < 0.02, "是", "否"),
            "是否涉未成年人": np.where(rng.random(rows) < 0.04, "是", "否"),
            "简要案情": [f"报警人称与家人发生纠纷，联系电话{p}。" for p in phones],
        }
    ).with_columns(
        pl.col("接警时间").str.replace("T", " "),
        pl.when(pl.Series(status == 4)).then(pl.col("办结时间").str.replace("T", " ")),
        pl.when(pl.Series(has_victim)).then(pl.col("受害人证件号")),
        pl.when(pl.Series(has_offender)).then(pl.col("加害人证件号")),
    )
    frame = _spoil(frame, rng)
    if encoding == "utf-8":
        frame.write_csv(path)
    else:
        path.write_bytes(frame.write_csv().encode(encoding))


def _spoil(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """A few rows of each bad kind, as real exports have (0.1% each)."""
    n = frame.height
    k = max(1, n // 1000)
    idx = pl.Series(rng.choice(n, 4 * k, replace=False))
    no_coords, swapped, unknown, bad_time = (idx[i * k : (i + 1) * k] for i in range(4))
    row = pl.int_range(pl.len())
    return frame.with_columns(
        pl.when(row.is_in(no_coords.implode())).then(None).otherwise(pl.col("经度")).alias("经度"),
        pl.when(row.is_in(no_coords.implode())).then(None).otherwise(pl.col("纬度")).alias("纬度"),
    ).with_columns(
        pl.when(row.is_in(swapped.implode()))
        .then(pl.col("纬度"))
        .otherwise(pl.col("经度"))
        .alias("经度"),
        pl.when(row.is_in(swapped.implode()))
        .then(pl.col("经度"))
        .otherwise(pl.col("纬度"))
        .alias("纬度"),
        pl.when(row.is_in(unknown.implode()))
        .then(pl.lit("邻里纠纷"))
        .otherwise(pl.col("警情类别"))
        .alias("警情类别"),
        pl.when(row.is_in(bad_time.implode()))
        .then(pl.lit("2024-13-45 25:61"))
        .otherwise(pl.col("接警时间"))
        .alias("接警时间"),
    )


def _points_in(polygon, count: int, rng: np.random.Generator) -> np.ndarray:
    import shapely

    minx, miny, maxx, maxy = polygon.bounds
    found: list[np.ndarray] = []
    have = 0
    while have < count:
        xy = rng.uniform((minx, miny), (maxx, maxy), (max(count, 64) * 2, 2))
        inside = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
        found.append(inside)
        have += len(inside)
    return np.concatenate(found)[:count]


def fresh_postgres(admin_url: str) -> str:
    """A new empty database (with PostGIS) on the server of ``admin_url``; its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_import_{int(time.time())}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name)
    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    eng.dispose()
    return url.render_as_string(hide_password=False)


def run(rows: int, encoding: str, workdir: Path, database_url: str | None = None) -> dict:
    """Generate, import into a fresh database (SQLite file by default), return the measurements."""
    os.environ["ANNING_SECRET_FILE"] = str(workdir / "pseudonym.key")
    from data.database import make_engine, upgrade
    from data.demo.baoan import jurisdictions
    from data.importers.run import import_file
    from data.store import save_stations

    csv = workdir / f"cn110_{rows}.csv"
    t0 = time.perf_counter()
    generate(csv, rows, encoding)
    generated = time.perf_counter() - t0
    engine = make_engine(database_url or f"sqlite:///{workdir / 'bench.sqlite'}")
    upgrade(engine)
    save_stations(engine, jurisdictions())
    load_before = os.getloadavg()[0]
    t1, cpu = time.perf_counter(), time.process_time()
    summary = import_file(engine, csv, "cn-110", rejects_path=workdir / "rejects.csv")
    seconds, cpu = time.perf_counter() - t1, time.process_time() - cpu
    engine.dispose()
    return {
        "generated_s": generated,
        "seconds": seconds,
        "cpu_s": cpu,
        "load": (load_before, os.getloadavg()[0]),
        "summary": summary,
        "megabytes": csv.stat().st_size / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print rows/s and total seconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--encoding", default="utf-8", choices=("utf-8", "gb18030"))
    parser.add_argument("--keep", type=Path, help="keep the files in this directory")
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        help="import into a new database on this PostgreSQL server instead of SQLite "
        "(e.g. the one `bash scripts/postgres.sh start` prints)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="anning-bench-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        url = fresh_postgres(args.postgres) if args.postgres else None
        result = run(args.rows, args.encoding, workdir, url)
    summary = result["summary"]
    print("\n".join(summary.lines()))
    print(
        f"generated {args.rows:,} rows ({result['megabytes']:.0f} MB, {args.encoding}) in "
        f"{result['generated_s']:.1f} s (not timed)"
    )
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"import into {backend}: {args.rows:,} rows in {result['seconds']:.1f} s = "
        f"{args.rows / result['seconds']:,.0f} rows/s (target: {DEFAULT_ROWS:,} in "
        f"< {TARGET_SECONDS:.0f} s)"
    )
    # Wall time depends on what else the machine runs: say so next to the figure.
    print(
        f"process CPU {result['cpu_s']:.1f} s on {os.cpu_count()} cores; load average "
        f"{result['load'][0]:.2f} before, {result['load'][1]:.2f} after"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
