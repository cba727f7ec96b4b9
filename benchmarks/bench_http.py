"""Filter-change latency over HTTP against the running server, map payload, server memory.

    python benchmarks/bench_http.py --db /tmp/anning-bench/1000000/demo.sqlite --changes 60

What it does, in one run:

1. starts the real server (``python app.py --port N``, demo mode for the demo logins) on the
   given database and waits until ``/healthz`` answers (start-up includes loading the columnar
   snapshot: its time is reported);
2. opens the overview in headless Chromium (Debian's ``/usr/bin/chromium``) as the demo
   command-centre user and records the callback requests the page itself sends
   (``POST /_dash-update-component``): the map, the trend and the case list;
3. replays those three callbacks for ``--changes`` filter changes (date windows, categories,
   risk levels, stations, sources, drawn from a fixed seed), the three of one change sent at
   once as the browser does, and times each request and the whole change (until the last of
   the three has answered) on the client over loopback;
4. fetches the map callback at each hexagon resolution (the zoom levels) and the cell
   geometry documents, and reports their sizes;
5. reads the server's resident memory (``VmRSS``) and peak (``VmHWM``) from ``/proc``.

The replayed bodies are the page's own, with only the filter values substituted, so the
benchmark follows the page when its callbacks change. Times include HTTP and JSON on loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.parts import ids  # noqa: E402
from dashboard.parts.leaflet_map import map_ids  # noqa: E402
from data.users import DEMO_PASSWORD  # noqa: E402
from data.vocab import CATEGORIES, RISK_LEVELS, SOURCES  # noqa: E402

CHROMIUM = os.environ.get("ANNING_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USER = "demo-command"
#: Which recorded callback is which: a component id in its ``output``.
WATCHED = {
    "map": f"{map_ids(ids.MAP).paint}.data",  # the Leaflet map's paint
    "trend": f"{ids.TREND}.figure",
    "cases": f"{ids.CASE_TABLE}.getRowsResponse",  # the case list's rows (an AG Grid request)
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def _smaps(pid: int) -> dict[str, float]:
    """Rss and Pss (the process's share of pages it shares with others) in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Rss", "Pss", "Pss_Anon", "Pss_File"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def _workers(master: int) -> list[int]:
    """The pids of the gunicorn master's worker processes."""
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def server_memory(proc: subprocess.Popen, workers: int) -> dict[str, float]:
    """RSS and PSS of the server: one process, or gunicorn's master plus its workers summed."""
    pids = [proc.pid, *(_workers(proc.pid) if workers else [])]
    total: dict[str, float] = {}
    for pid in pids:
        for key, value in _smaps(pid).items():
            total[key] = total.get(key, 0) + value
    total["processes"] = len(pids)
    return total


def start_server(
    db: Path, var: Path, workers: int = 0, shared: bool = True
) -> tuple[subprocess.Popen, str, float]:
    """Run ``app.py`` (or gunicorn with ``workers`` workers, sharing one snapshot unless
    ``shared`` is False) on ``db``; return the process, its base URL and the start-up seconds
    (for gunicorn: until every worker has answered ``/healthz``)."""
    port = _free_port()
    env = {
        **os.environ,
        "ANNING_DATABASE_URL": f"sqlite:///{db}",
        "ANNING_VAR_DIR": str(var),
        "ANNING_DEMO": "1",
    }
    command = [sys.executable, str(ROOT / "app.py"), "--port", str(port)]
    if workers:
        env |= {
            "ANNING_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
            "ANNING_SNAPSHOT_DIR": str(var / "snapshot") if shared else "",
        }
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
    log = (var / "server.log").open("w")
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(var / 'server.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=600) as r:
                json.load(r)
            break
        except OSError:
            time.sleep(0.5)
    if workers:
        answered = set()
        while len(answered) < workers:
            answered |= _health_workers(base)
    return proc, base, time.perf_counter() - started


def _health_workers(base: str) -> set[int]:
    with urllib.request.urlopen(f"{base}/healthz", timeout=600) as r:
        return {json.load(r)["worker"]}


def worker_startup(proc: subprocess.Popen, base: str) -> float:
    """Seconds from asking gunicorn's master for one more worker (``TTIN``) to that new
    worker answering ``/healthz`` with its snapshot loaded."""
    before = set(_workers(proc.pid))
    started = time.perf_counter()
    proc.send_signal(signal.SIGTTIN)
    while True:
        new = set(_workers(proc.pid)) - before
        if new and _health_workers(base) & new:
            return time.perf_counter() - started
        time.sleep(0.05)


def record_callbacks(base: str) -> tuple[dict[str, dict], dict[str, str], dict]:
    """Load the overview in Chromium; return its watched callback bodies, headers and a view."""
    from playwright.sync_api import sync_playwright

    recorded: dict[str, dict] = {}
    headers: dict[str, str] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()

        def on_request(request) -> None:
            if request.method != "POST" or "_dash-update-component" not in request.url:
                return
            body = request.post_data_json
            for name, marker in WATCHED.items():
                if marker in body.get("output", ""):
                    recorded[name] = body
                    headers.update(
                        {
                            k: v
                            for k, v in request.headers.items()
                            if k.lower() in ("x-csrftoken", "origin", "referer", "content-type")
                        }
                    )

        page.on("request", on_request)
        page.goto(f"{base}/login")
        page.fill("#login-username", USER)
        page.fill("#login-password", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("#login-submit")
        page.goto(f"{base}/")
        deadline = time.monotonic() + 300
        while set(recorded) != set(WATCHED) and time.monotonic() < deadline:
            page.wait_for_timeout(500)
        page.wait_for_timeout(1500)  # let the page settle (its later calls replace the first)
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
        headers["Cookie"] = cookies
        view = {"extent": page.evaluate("() => window.location.search")}
        browser.close()
    missing = set(WATCHED) - set(recorded)
    if missing:
        raise SystemExit(f"the overview never sent the {sorted(missing)} callbacks")
    return recorded, headers, view


def _items(body: dict):
    """Every input and state entry of a callback body (pattern-matching ones are lists)."""
    for part in ("inputs", "state"):
        for item in body.get(part, []):
            yield from item if isinstance(item, list) else [item]


def _set(body: dict, component: str, prop: str, value: object) -> None:
    for item in _items(body):
        if item.get("id") == component and item.get("property") == prop:
            item["value"] = value


def _value(bodies: dict[str, dict], component: str, prop: str) -> object:
    for body in bodies.values():
        for item in _items(body):
            if item.get("id") == component and item.get("property") == prop:
                return item.get("value")
    return None


def _stations(db: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return [r[0] for r in conn.execute("SELECT code FROM station ORDER BY code")]


def filter_changes(n: int, last: date, stations: list[str], seed: int) -> list[dict]:
    """``n`` filter settings a user could choose, from a fixed seed."""
    rng = random.Random(seed)
    changes = []
    for i in range(n):
        days = rng.choice([7, 30, 90, 180, 365])
        end = last - timedelta(days=rng.choice([0, 0, 0, 14, 60]))
        change = {
            "start": (end - timedelta(days=days - 1)).isoformat(),
            "end": end.isoformat(),
            "category": rng.sample(list(CATEGORIES), rng.randint(1, 3)) if i % 3 else [],
            "risk": rng.sample(list(RISK_LEVELS), rng.randint(1, 2)) if i % 4 == 1 else [],
            "station": [rng.choice(stations)] if stations and i % 5 == 2 else [],
            "source": rng.sample(list(SOURCES), 2) if i % 7 == 3 else [],
        }
        changes.append(change)
    return changes


def apply(bodies: dict[str, dict], change: dict) -> dict[str, dict]:
    """The recorded bodies with ``change``'s filter values."""
    out = json.loads(json.dumps(bodies))
    for body in out.values():
        _set(body, ids.DATE_RANGE, "start_date", change["start"])
        _set(body, ids.DATE_RANGE, "end_date", change["end"])
        _set(body, ids.CATEGORY, "value", change["category"])
        _set(body, ids.RISK, "value", change["risk"])
        _set(body, ids.STATION, "value", change["station"])
        _set(body, ids.SOURCE, "value", change["source"])
    return out


def post(base: str, headers: dict[str, str], body: dict) -> tuple[float, int, float]:
    """Send one callback; return (seconds on the client, response bytes, server milliseconds).

    A failed callback stops the run.
    """
    request = urllib.request.Request(
        f"{base}/_dash-update-component",
        data=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        payload = response.read()
        status = response.status
        timing = response.headers.get("Server-Timing", "")
    elapsed = time.perf_counter() - started
    if status not in (200, 204):
        raise SystemExit(f"callback answered {status}")
    server_ms = float(timing.split("dur=")[1]) if "dur=" in timing else float("nan")
    return elapsed, len(payload), server_ms


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    """Run the benchmark and print (and optionally write) a markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a demo SQLite database")
    parser.add_argument("--changes", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="write the report here too")
    parser.add_argument(
        "--gunicorn", type=int, default=0, metavar="N", help="serve with gunicorn, N workers"
    )
    parser.add_argument(
        "--private", action="store_true", help="with --gunicorn: a snapshot per worker"
    )
    args = parser.parse_args()
    if args.changes < 50:
        parser.error("--changes must be at least 50 (p95 over fewer means little)")

    var = Path(tempfile.mkdtemp(prefix="anning-bench-http-"))
    load_before = os.getloadavg()
    proc, base, startup = start_server(args.db, var, args.gunicorn, not args.private)
    try:
        rss_after_start = _memory(proc.pid)
        smaps_after_start = server_memory(proc, args.gunicorn)
        bodies, headers, _ = record_callbacks(base)
        stations = _stations(args.db)
        end_value = _value(bodies, ids.DATE_RANGE, "end_date")
        last = date.fromisoformat(str(end_value)[:10]) if end_value else date.today()
        changes = filter_changes(args.changes, last, stations, args.seed)

        # Warm-up: one change, not counted (first-use caches such as the cell geometry).
        if _value(bodies, ids.DATE_RANGE, "start_date") is None:
            raise SystemExit("the recorded callbacks do not take the date filter")
        for body in apply(bodies, changes[0]).values():
            post(base, headers, body)

        per: dict[str, list[float]] = {name: [] for name in WATCHED}
        server: dict[str, list[float]] = {name: [] for name in WATCHED}
        whole: list[float] = []
        map_sizes: set[int] = set()
        with ThreadPoolExecutor(max_workers=len(WATCHED)) as pool:
            for change in changes:
                replay = apply(bodies, change)
                started = time.perf_counter()
                futures = {name: pool.submit(post, base, headers, replay[name]) for name in WATCHED}
                for name, future in futures.items():
                    seconds, size, server_ms = future.result()
                    per[name].append(seconds)
                    server[name].append(server_ms / 1000)
                    if name == "map":
                        map_sizes.add(size)
                whole.append(time.perf_counter() - started)
        if len(map_sizes) < 2:
            raise SystemExit("every filter change gave the same map: the filters were not applied")

        payload = {}
        for res in (7, 8, 9):
            body = json.loads(json.dumps(bodies["map"]))
            _set(body, ids.RESOLUTION, "value", res)
            _, size, _ = post(base, headers, body)
            sizes = []
            for encoding in ("identity", "gzip"):
                request = urllib.request.Request(
                    f"{base}/geo/cells/{res}.geojson",
                    headers={"Cookie": headers["Cookie"], "Accept-Encoding": encoding},
                )
                with urllib.request.urlopen(request, timeout=120) as response:
                    sizes.append(len(response.read()))
            payload[res] = (size, *sizes)
        memory = _memory(proc.pid)
        smaps = server_memory(proc, args.gunicorn)
        with urllib.request.urlopen(f"{base}/healthz", timeout=60) as r:
            health = json.load(r)
        one_more = worker_startup(proc, base) if args.gunicorn else None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=120)  # gunicorn lets its workers finish (graceful_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    load_after = os.getloadavg()

    how = ""
    if args.gunicorn:
        how = f" --gunicorn {args.gunicorn}" + (" --private" if args.private else "")
    lines = [
        f"# HTTP filter-change latency: {health['incidents']:,} incidents",
        "",
        f"`python benchmarks/bench_http.py --db {args.db} --changes {args.changes}{how}` — "
        f"{os.cpu_count()} cores, load average {load_before[0]:.1f} at start, "
        f"{load_after[0]:.1f} at end (shared machine).",
        "",
        f"Server start-up to first `/healthz` (migrations, snapshot load): {startup:.1f} s; "
        f"RSS after start {rss_after_start.get('VmRSS', 0):,.0f} MB.",
        "",
        f"| callback ({args.changes} filter changes) | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    rows = [(f"{name}, client", values) for name, values in per.items()]
    rows += [(f"{name}, server", values) for name, values in server.items()]
    rows.append(("whole change (3 at once), client", whole))
    for name, values in rows:
        ms = [v * 1000 for v in values]
        lines.append(
            f"| {name} | {statistics.median(ms):.0f} | {_pct(ms, 0.95):.0f} | {max(ms):.0f} |"
        )
    lines += [
        "",
        "| hexagon resolution | map callback response | cell geometry (once, cached) | gzipped |",
        "|---|---:|---:|---:|",
    ]
    for res, (size, geo, packed) in payload.items():
        lines.append(
            f"| {res} | {size / 1024:,.0f} KB | {geo / 1024:,.0f} KB | {packed / 1024:,.0f} KB |"
        )
    lines += [
        "",
        f"Server memory after the run: RSS {memory.get('VmRSS', 0):,.0f} MB, "
        f"peak {memory.get('VmHWM', 0):,.0f} MB.",
    ]
    if args.gunicorn:
        lines += [
            "",
            f"gunicorn, {args.gunicorn} workers, "
            + ("one snapshot per worker" if args.private else "one shared snapshot (mmap)")
            + f"; master + workers summed ({smaps['processes']:.0f} processes):",
            "",
            "| when | RSS MB | PSS MB | PSS anonymous MB | PSS file-backed MB |",
            "|---|---:|---:|---:|---:|",
        ]
        for when, m in (("after start", smaps_after_start), ("after the run", smaps)):
            lines.append(
                f"| {when} | {m.get('Rss', 0):,.0f} | {m.get('Pss', 0):,.0f} | "
                f"{m.get('Pss_Anon', 0):,.0f} | {m.get('Pss_File', 0):,.0f} |"
            )
        lines += ["", f"One more worker (TTIN) to its first answer: {one_more:.1f} s."]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
