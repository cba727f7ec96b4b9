"""Real-browser fixtures: a demo database, the real server on a free loopback port, Chromium.

The server is started the way users start it (``python app.py --port N`` with
``ANNING_DATABASE_URL`` pointing at a temporary SQLite demo of 3,000 incidents). Every page
records the requests it makes; anything not addressed to the server (or a ``blob:``/``data:``
URL the page made itself) is aborted and fails the test that caused it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
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
DEMO_INCIDENTS = 3_000
DEMO_SEED = 11
#: Seconds to wait for the server, and milliseconds for anything in the page.
SERVER_TIMEOUT = 90
PAGE_TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1440, "height": 1000}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen | None, log: Path) -> dict:
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                return json.load(response)
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"no answer from {url}/healthz:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> str:
    """URL of a temporary SQLite database holding a small demo district."""
    from data.database import make_engine
    from data.demo.load import rebuild_demo

    path = tmp_path_factory.mktemp("browser") / "anning.sqlite"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    rebuild_demo(engine, DEMO_INCIDENTS, DEMO_SEED)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def server(demo_database, tmp_path_factory) -> str:
    """Base URL of the real server (``python app.py``) on a free loopback port."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    var_dir = tmp_path_factory.mktemp("var")
    log = var_dir / "server.log"
    env = {
        **os.environ,
        "ANNING_DATABASE_URL": demo_database,
        "ANNING_VAR_DIR": str(var_dir),
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "app.py"), "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        health = _wait_healthy(base, proc, log)
        assert health["incidents"] == DEMO_INCIDENTS and health["stations"] == 10, health
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's), driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Traffic:
    """Requests a page made: all it asked for (``seen``), those let through to the server
    (``local``), those stopped for going elsewhere (``blocked``), and errors in the page."""

    base: str
    seen: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def allowed(self, url: str) -> bool:
        """Loopback server URLs and the page's own blob:/data: URLs."""
        return url.startswith(f"{self.base}/") or url.startswith(("blob:", "data:"))


@pytest.fixture
def traffic(server) -> Traffic:
    """The requests of the test's page."""
    return Traffic(server)


@pytest.fixture
def page(browser, server, traffic):
    """A fresh Chinese-locale page whose requests may only go to the server."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(PAGE_TIMEOUT_MS)

    def route(route_, request):
        if traffic.allowed(request.url):
            traffic.local.append(request.url)
            route_.continue_()
        else:
            traffic.blocked.append(request.url)
            route_.abort()

    context.route("**/*", route)
    context.on("request", lambda request: traffic.seen.append(request.url))
    tab = context.new_page()
    tab.on("pageerror", lambda err: traffic.errors.append(str(err)))
    yield tab
    context.close()
    assert traffic.blocked == [], f"requests left loopback: {traffic.blocked}"
    outside = [url for url in traffic.seen if not traffic.allowed(url)]
    assert outside == [], f"requests left loopback: {outside}"
    assert traffic.errors == [], f"errors in the page: {traffic.errors}"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/browser/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def shoot():
    """The :func:`screenshot` helper, as a fixture."""
    return screenshot
