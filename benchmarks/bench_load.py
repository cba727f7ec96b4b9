"""Load test: many logged-in users changing the overview's filters at once, over loopback.

    python benchmarks/bench_load.py --users 50 --seconds 60 --servers gunicorn dev waitress

What it does, in one run:

1. builds (once, cached in ``--work``) the 30,000-incident demo district with ``app.py demo``;
2. starts the server as ``python app.py`` starts it (``--servers``: ``gunicorn``, the default
   start; ``dev``, Flask's development server, ``ANNING_SERVER=dev``; ``waitress``, the same
   app under waitress with the same threads), on the same port, and waits for ``/healthz``;
3. records, once, the callback requests the overview itself sends in headless Chromium
   (the map, the trend, the case list; as ``bench_http.py`` does);
4. logs ``--users`` users in over HTTP (each its own session and CSRF token) and lets each,
   for ``--seconds``, pick a filter change (fixed seed), send the page's three callbacks of
   that change at once (as the browser does), wait for all three, then think for a random
   ``--think`` seconds before the next change;
5. reports per-request latency (p50, p95, p99, max), errors (any status but 200/204, any
   exception), throughput, the load generator's own CPU time and the server's, and the
   machine's load average.

The generator runs on the same cores as the server: its CPU share is reported so the figures
can be read for what they are.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_http import WATCHED, _value, apply, filter_changes, record_callbacks  # noqa: E402

from dashboard.parts import ids  # noqa: E402
from data.users import DEMO_PASSWORD  # noqa: E402

USER = "demo-command"
PORT = 18_050
WAITRESS = (
    "import sys, app; app.prepare_database(); from waitress import serve; "
    "serve(app.wsgi(), host='127.0.0.1', port=int(sys.argv[1]), threads=int(sys.argv[2]))"
)


def _env(var: Path, kind: str) -> dict[str, str]:
    env = {**os.environ, "ANNING_VAR_DIR": str(var), "ANNING_DEMO": "1"}
    env.pop("ANNING_DATABASE_URL", None)
    if kind == "dev":
        env["ANNING_SERVER"] = "dev"
    return env


def build_demo(var: Path, incidents: int) -> None:
    """The demo district in ``var`` (kept between runs)."""
    if (var / "anning.sqlite").exists():
        return
    subprocess.run(
        [sys.executable, "app.py", "demo", "--incidents", str(incidents), "--seed", "7"],
        cwd=ROOT,
        env=_env(var, "gunicorn"),
        check=True,
    )


def start_server(kind: str, var: Path, threads: int) -> subprocess.Popen:
    """Start ``kind`` on :data:`PORT`; return once ``/healthz`` answers."""
    if kind == "waitress":
        command = [sys.executable, "-c", WAITRESS, str(PORT), str(threads)]
    else:
        command = [sys.executable, "app.py", "--port", str(PORT)]
    log = (var / f"server-{kind}.log").open("w")
    proc = subprocess.Popen(
        command, cwd=ROOT, env=_env(var, kind), stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit((var / f"server-{kind}.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=60) as r:
                json.load(r)
            return proc
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{kind} did not answer /healthz")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM the server (gunicorn's master stops its workers) and wait."""
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its live children, from ``/proc``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def log_in(base: str) -> dict[str, str]:
    """A fresh session of :data:`USER`: the headers its callbacks carry."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/login") as response:
        page = response.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    form = urllib.parse.urlencode(
        {"username": USER, "password": DEMO_PASSWORD, "csrf_token": token.group(1), "next": "/"}
    ).encode()
    request = urllib.request.Request(f"{base}/login", data=form, headers={"Origin": base})
    opener.open(request).read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "anning_session" not in cookies:
        raise SystemExit("login failed: no session cookie")
    return {
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "X-CSRFToken": cookies["_csrf_token"],
        "Origin": base,
        "Referer": f"{base}/",
        "Content-Type": "application/json",
    }


class Recorder:
    """Latencies and errors of every request, from every user thread."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.changes = 0
        self._lock = threading.Lock()

    def add(self, seconds: float, error: str | None) -> None:
        """One request's time on the client, and what went wrong (None: nothing)."""
        with self._lock:
            self.latencies.append(seconds)
            if error:
                self.errors.append(error)


def _post(conn: http.client.HTTPConnection, headers: dict, body: bytes) -> str | None:
    conn.request("POST", "/_dash-update-component", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return None if response.status in (200, 204) else f"HTTP {response.status}"


def user_loop(
    n: int,
    headers: dict[str, str],
    bodies: dict,
    changes: list[dict],
    think: tuple[float, float],
    stop_at: float,
    recorder: Recorder,
) -> None:
    """One user: filter change, three callbacks at once, think, until ``stop_at``."""
    rng = random.Random(n)
    conns = [http.client.HTTPConnection("127.0.0.1", PORT, timeout=120) for _ in WATCHED]
    time.sleep(rng.uniform(0, think[1]))  # users do not all start in the same instant
    with ThreadPoolExecutor(max_workers=len(WATCHED)) as pool:
        while time.monotonic() < stop_at:
            replay = apply(bodies, rng.choice(changes))

            def send(i_name: tuple[int, str], replay=replay) -> tuple[float, str | None]:
                i, name = i_name
                body = json.dumps(replay[name]).encode()
                started = time.perf_counter()
                error = None
                for _ in range(2):
                    try:
                        error = _post(conns[i], headers, body)
                        break
                    except (OSError, http.client.HTTPException) as exc:
                        # A kept-alive connection the server closed while the user thought:
                        # a browser opens a new one and sends again; so does this (once).
                        conns[i].close()
                        conns[i] = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
                        error = type(exc).__name__
                return time.perf_counter() - started, error

            for seconds, error in pool.map(send, list(enumerate(WATCHED))):
                recorder.add(seconds, error)
            recorder.changes += 1
            time.sleep(rng.uniform(*think))
    for conn in conns:
        conn.close()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def run_one(kind: str, var: Path, args, bodies: dict | None) -> tuple[dict, dict]:
    """Start ``kind``, load it, stop it; return its figures and the recorded bodies."""
    proc = start_server(kind, var, args.threads)
    base = f"http://127.0.0.1:{PORT}"
    try:
        if bodies is None:
            bodies, _, _ = record_callbacks(base)
        sessions = [log_in(base) for _ in range(args.users)]
        end_value = _value(bodies, ids.DATE_RANGE, "end_date")
        last = date.fromisoformat(str(end_value)[:10])
        changes = filter_changes(200, last, [f"BA{i:02d}" for i in range(1, 11)], args.seed)
        for body in apply(bodies, changes[0]).values():  # warm-up, not counted
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
            _post(conn, sessions[0], json.dumps(body).encode())
            conn.close()
        recorder = Recorder()
        load_before = os.getloadavg()
        own_before = resource.getrusage(resource.RUSAGE_SELF)
        server_before = _cpu_seconds(proc.pid)
        started = time.monotonic()
        threads = [
            threading.Thread(
                target=user_loop,
                args=(n, s, bodies, changes, args.think, started + args.seconds, recorder),
            )
            for n, s in enumerate(sessions)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started
        own_after = resource.getrusage(resource.RUSAGE_SELF)
        server_cpu = _cpu_seconds(proc.pid) - server_before
        load_after = os.getloadavg()
    finally:
        stop_server(proc)
    own_cpu = (own_after.ru_utime - own_before.ru_utime) + (
        own_after.ru_stime - own_before.ru_stime
    )
    lat = recorder.latencies
    return {
        "server": kind,
        "requests": len(lat),
        "changes": recorder.changes,
        "errors": len(recorder.errors),
        "error_kinds": sorted(set(recorder.errors))[:5],
        "p50": _pct(lat, 0.50) * 1000,
        "p95": _pct(lat, 0.95) * 1000,
        "p99": _pct(lat, 0.99) * 1000,
        "max": max(lat, default=0) * 1000,
        "rps": len(lat) / wall,
        "wall": wall,
        "generator_cpu": own_cpu,
        "server_cpu": server_cpu,
        "load_before": load_before[0],
        "load_after": load_after[0],
    }, bodies


def main() -> None:
    """Run the load test for each server and print (and optionally write) a report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--incidents", type=int, default=30_000)
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 8.0), metavar=("MIN", "MAX"))
    parser.add_argument("--threads", type=int, default=8, help="threads of waitress")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--servers", nargs="+", default=["gunicorn"])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "anning-load")
    parser.add_argument("--out", type=Path, default=None, help="write the report here too")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    build_demo(args.work, args.incidents)
    results, bodies = [], None
    for kind in args.servers:
        figures, bodies = run_one(kind, args.work, args, bodies)
        results.append(figures)
        print(json.dumps(figures), flush=True)

    cores = os.cpu_count() or 1
    command = " ".join(["python", "benchmarks/bench_load.py", *sys.argv[1:]])
    lines = [
        f"# Load test: {args.users} users changing filters, {args.incidents:,} incidents",
        "",
        f"`{command}` — {cores} cores shared by server and load generator (loopback); "
        f"each user sends the overview's 3 callbacks of a change at once, then thinks "
        f"{args.think[0]:g}–{args.think[1]:g} s; {args.seconds:g} s per server.",
        "",
        "| server | requests | changes | errors | req/s | p50 ms | p95 ms | p99 ms | max ms "
        "| generator CPU | server CPU | load avg before → after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        gen_share = r["generator_cpu"] / (r["wall"] * cores) * 100
        srv_share = r["server_cpu"] / (r["wall"] * cores) * 100
        lines.append(
            f"| {r['server']} | {r['requests']:,} | {r['changes']:,} | {r['errors']} "
            f"| {r['rps']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} "
            f"| {r['max']:.0f} | {r['generator_cpu']:.1f} s ({gen_share:.0f}% of the machine) "
            f"| {r['server_cpu']:.1f} s ({srv_share:.0f}%) "
            f"| {r['load_before']:.1f} → {r['load_after']:.1f} |"
        )
    errors = [f"{r['server']}: {r['error_kinds']}" for r in results if r["errors"]]
    if errors:
        lines += ["", "Errors: " + "; ".join(errors)]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
