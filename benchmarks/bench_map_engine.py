"""Map engine benchmark: plotly ``Choroplethmap`` (MapLibre, WebGL) against Leaflet on a canvas.

Drives headless Chromium with software rendering (``--disable-gpu``) at 1440×900 over the
30,000-incident demo, on the real overview at resolution 9 over the whole district, for two
servers in one run: the *current* engine (a checkout of ``--current-ref``, default ``main``,
exported with ``git archive``) and the *chosen* one (this tree). Per engine it records

* navigation → map drawn, cold once then warm ``--loads`` times (median, max);
* filter change → map redrawn after the server's answer, over ``--changes`` changes of the
  risk filter (p50, p95): from the moment the map callback's response arrived in the page
  to the moment the map shows it (plotly: its ``afterplot`` and MapLibre's next ``idle``;
  Leaflet: the paint applied and the canvas drawn in the next animation frame);
* the JavaScript the page loaded, gzipped (each script fetched again and compressed with
  gzip level 6, as a server or proxy would send it).

Usage::

    .venv/bin/python benchmarks/bench_map_engine.py [--db /tmp/demo30k.db] [--out FILE]

The demo database is built when missing (``--incidents`` 30,000, seed 11); the current tree
builds its own (the same seed and size) with its own code and schema; each server gets its
own copy. Results go to ``benchmarks/results/map_engine.md`` with the command, the machine
load (``uptime``) and the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.cookiejar
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("ANNING_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
VIEWPORT = {"width": 1440, "height": 900}
USER = "demo-command"
#: The risk filter's values, cycled through by the filter changes.
RISKS = [["high"], ["medium"], ["low"], ["high", "medium"], []]

#: Page instrumentation: when the map callback's answer arrived (``window.__mapAnswer``).
HOOK = """
window.__mapAnswers = [];
const realFetch = window.fetch;
window.fetch = function (url, init) {
  const body = init && typeof init.body === 'string' ? init.body : '';
  const isMap = body.includes('map.figure') || body.includes('map-paint.data');
  return realFetch.apply(this, arguments).then(r => {
    if (isMap) { r.clone().text().then(() => window.__mapAnswers.push(performance.now())); }
    return r;
  });
};
"""

#: Engine probes: is the map drawn, and arm a "drawn again" timestamp for the next answer.
PROBES = {
    "plotly": {
        "ready": """() => {
          const gd = document.querySelector('#map .js-plotly-plot');
          if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd._fullData[1]) return false;
          const sub = gd._fullLayout.map._subplot;
          if (!sub || !sub.map || !sub.map.loaded()) return false;
          const uid = gd._fullData[1].uid;
          const layers = sub.map.getStyle().layers.filter(l => l.id.includes(uid)).map(l => l.id);
          return layers.length > 0 && sub.map.queryRenderedFeatures({layers}).length > 0
            && gd._fullLayout.meta && gd._fullLayout.meta.res === 9;
        }""",
        "arm": """() => {
          window.__drawn = null;
          const gd = document.querySelector('#map .js-plotly-plot');
          const once = () => {
            gd.removeListener('plotly_afterplot', once);
            const m = gd._fullLayout.map._subplot.map;
            m.once('idle', () => { window.__drawn = performance.now(); });
            m.triggerRepaint();
          };
          gd.on('plotly_afterplot', once);
        }""",
    },
    "leaflet": {
        "ready": """() => !!window.anningMap && window.anningMap.ready('map')
          && window.anningMap.info('map').paintUrl.includes('/cells/9.')""",
        "arm": """() => {
          window.__drawn = null;
          const ns = window.dash_clientside.anning_leaflet;
          if (!ns.__real) { ns.__real = ns.paint; }
          ns.paint = function (paint) {
            const out = ns.__real(paint);
            requestAnimationFrame(() => requestAnimationFrame(() => {
              window.__drawn = performance.now();
            }));
            ns.paint = ns.__real;
            return out;
          };
        }""",
    },
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_demo(path: Path, incidents: int, tree: Path = ROOT) -> None:
    """The demo (seed 11) in ``path``, built by the code of ``tree``: an older tree cannot
    open a database whose schema a newer one migrated ("Can't locate revision")."""
    script = (
        "import sys; sys.path.insert(0, '.')\n"
        "from data.database import make_engine\n"
        "from data.demo.load import rebuild_demo\n"
        f"engine = make_engine('sqlite:///{path}')\n"
        f"rebuild_demo(engine, {incidents}, 11)\n"
        "engine.dispose()\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=tree, check=True)


@contextlib.contextmanager
def server(tree: Path, db: Path, var: Path):
    """``python app.py`` of ``tree`` on a free port with its own copy of the demo."""
    port = free_port()
    var.mkdir(parents=True, exist_ok=True)
    copy = var / "demo.db"
    shutil.copyfile(db, copy)
    env = {
        **os.environ,
        "ANNING_DATABASE_URL": f"sqlite:///{copy}",
        "ANNING_VAR_DIR": str(var),
        "ANNING_DEMO": "1",
    }
    log = (var / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=tree,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError((var / "server.log").read_text()) from None
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        log.close()


def gzipped_js(urls: list[str], cookies: list[dict]) -> int:
    """Bytes of the scripts at ``urls``, each gzip-compressed (level 6)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("Cookie", "; ".join(f"{c['name']}={c['value']}" for c in cookies))]
    total = 0
    for url in sorted({u for u in urls if u.startswith("http")}):  # blob: workers are in them
        with opener.open(url) as response:
            total += len(gzip.compress(response.read(), compresslevel=6))
    return total


def measure(browser, base: str, engine: str, loads: int, changes: int) -> dict:
    from data.users import DEMO_PASSWORD

    probe = PROBES[engine]
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.add_init_script(HOOK)
    scripts: list[str] = []
    page.on(
        "response", lambda r: scripts.append(r.url) if r.request.resource_type == "script" else None
    )
    page.goto(f"{base}/login")
    page.fill("#login-username", USER)
    page.fill("#login-password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("#login-submit")
    url = f"{base}/?res=9"
    result: dict = {"engine": engine}
    drawn = []
    for i in range(loads + 1):
        scripts.clear()
        start = time.perf_counter()
        page.goto(url)
        try:
            page.wait_for_function(probe["ready"], timeout=90_000)
        except Exception as exc:
            result["error"] = f"map never drawn: {type(exc).__name__}"
            context.close()
            return result
        elapsed = time.perf_counter() - start
        if i == 0:
            result["cold_s"] = elapsed
            result["js_gz_bytes"] = gzipped_js(scripts, context.cookies())
        else:
            drawn.append(elapsed)
    result["warm_median_s"] = statistics.median(drawn)
    result["warm_max_s"] = max(drawn)
    page.wait_for_timeout(1500)
    redraws = []
    for i in range(changes):
        page.evaluate(probe["arm"])
        before = page.evaluate("() => window.__mapAnswers.length")
        risks = RISKS[i % len(RISKS)]
        page.evaluate("r => window.dash_clientside.set_props('filter-risk', {value: r})", risks)
        page.wait_for_function(f"() => window.__mapAnswers.length > {before}", timeout=60_000)
        page.wait_for_function("() => window.__drawn !== null", timeout=60_000)
        answered = page.evaluate(f"() => window.__mapAnswers[{before}]")
        redraws.append((page.evaluate("() => window.__drawn") - answered) / 1000)
        page.wait_for_timeout(300)
    redraws.sort()
    result["redraw_p50_s"] = statistics.median(redraws)
    result["redraw_p95_s"] = redraws[max(0, round(0.95 * len(redraws)) - 1)]
    result["redraws"] = len(redraws)
    context.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", type=Path, default=Path(tempfile.gettempdir()) / "anning_demo30k.db"
    )
    parser.add_argument("--incidents", type=int, default=30_000)
    parser.add_argument("--current-ref", default="main")
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--changes", type=int, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/map_engine.md")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if not args.db.exists():
        build_demo(args.db, args.incidents)
    work = Path(tempfile.mkdtemp(prefix="anning-bench-map-"))
    current = work / "current"
    current.mkdir()
    archive = subprocess.run(
        ["git", "archive", args.current_ref], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(current)], input=archive, check=True)
    # the same demo (same seed and size), built by each tree's own code and schema
    current_db = work / "current-demo.db"
    build_demo(current_db, args.incidents, current)
    databases = {"plotly": current_db, "leaflet": args.db}
    load_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for engine, tree in (("plotly", current), ("leaflet", ROOT)):
            with server(tree, databases[engine], work / f"var-{engine}") as base:
                results.append(measure(browser, base, engine, args.loads, args.changes))
                print(json.dumps(results[-1]), flush=True)
        browser.close()
    load_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    shutil.rmtree(work, ignore_errors=True)
    write(args, results, load_before, load_after)
    return 0


def write(args, results: list[dict], before: str, after: str) -> None:
    def cell(r: dict, key: str, scale: float = 1.0, fmt: str = "{:.2f}") -> str:
        return fmt.format(r[key] * scale) if key in r else "—"

    lines = [
        "# Map engine: plotly Choroplethmap (today) vs Leaflet canvas (chosen)",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_map_engine.py --loads {args.loads} "
        f"--changes {args.changes} --current-ref {args.current_ref}`",
        f"Demo: {args.incidents:,} incidents, overview at resolution 9 over the whole district, "
        "Chromium `--disable-gpu`, 1440×900, both engines in one run.",
        f"Load before: `{before}`",
        f"Load after: `{after}`",
        "",
        "| engine | nav → drawn cold (s) | warm median (s) | warm max (s) "
        "| redraw p50 (s) | redraw p95 (s) | JS gz (MB) | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['engine']} | {cell(r, 'cold_s')} | {cell(r, 'warm_median_s')} | "
            f"{cell(r, 'warm_max_s')} | {cell(r, 'redraw_p50_s', fmt='{:.3f}')} | "
            f"{cell(r, 'redraw_p95_s', fmt='{:.3f}')} | "
            f"{cell(r, 'js_gz_bytes', 1e-6)} | {r.get('error', '')} |"
        )
    if len(results) == 2 and all("warm_median_s" in r for r in results):
        old, new = results
        lines += [
            "",
            "Ratios (plotly / leaflet): "
            f"warm draw {old['warm_median_s'] / new['warm_median_s']:.1f}×, "
            f"redraw p95 {old['redraw_p95_s'] / new['redraw_p95_s']:.1f}×, "
            f"JS {old['js_gz_bytes'] / new['js_gz_bytes']:.1f}×.",
        ]
    lines += ["", "Targets: drawn ≤ 1.5 s warm, redraw ≤ 0.300 s p95, JS ≤ 3 MB gzipped.", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(args.out.read_text())


if __name__ == "__main__":
    raise SystemExit(main())
