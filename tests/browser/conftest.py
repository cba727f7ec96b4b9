"""Real-browser fixtures: a demo database, the real server on a free loopback port, Chromium.

The server is started the way users start it (``python app.py --port N`` with
``ANNING_DATABASE_URL`` pointing at a temporary SQLite demo of 3,000 incidents, in demo
mode). Pages are logged in as the demo command center (all stations, personal details
masked) through the real login form, once per session; ``anonymous_page`` is not. Every page
records the requests it makes; anything not addressed to the server (or a ``blob:``/``data:``
URL the page made itself) is aborted and fails the test that caused it.
"""

from __future__ import annotations

import contextlib
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

from tests.backends import drop, fresh_url

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
    """URL of a temporary database holding a small demo district."""
    from data.database import make_engine
    from data.demo.load import rebuild_demo

    url = fresh_url(tmp_path_factory.mktemp("browser"))
    engine = make_engine(url)
    rebuild_demo(engine, DEMO_INCIDENTS, DEMO_SEED)
    engine.dispose()
    yield url
    drop(url)


@contextlib.contextmanager
def running_server(
    database_url: str,
    var_dir: Path,
    incidents: int = DEMO_INCIDENTS,
    extra_env: dict[str, str] | None = None,
):
    """Run the real server (``python app.py``) on a free loopback port, with ``extra_env``
    set too; yield its base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = var_dir / "server.log"
    env = {
        **os.environ,
        "ANNING_DATABASE_URL": database_url,
        "ANNING_VAR_DIR": str(var_dir),
        "ANNING_DEMO": "1",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
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
        assert health["incidents"] == incidents and health["stations"] == 10, health
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def server(demo_database, tmp_path_factory) -> str:
    """Base URL of the real server on the shared demo database (tests must not change it)."""
    with running_server(demo_database, tmp_path_factory.mktemp("var")) as base:
        yield base


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
    csp: list[str] = field(default_factory=list)

    def allowed(self, url: str) -> bool:
        """Loopback server URLs and the page's own blob:/data: URLs."""
        return url.startswith(f"{self.base}/") or url.startswith(("blob:", "data:"))


@pytest.fixture
def traffic(server) -> Traffic:
    """The requests of the test's page."""
    return Traffic(server)


#: The demo user the pages log in as: all stations, personal details masked.
BROWSER_USER = "demo-command"
#: Collects the page's Content-Security-Policy violations (none are allowed).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def log_in(page, server: str, username: str, password: str) -> None:
    """Log in through the login form and wait until the landing page has loaded."""
    page.goto(f"{server}/login")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    with page.expect_navigation():
        page.click("#login-submit")


@pytest.fixture(scope="session")
def signed_in_cookies(browser, server) -> list[dict]:
    """The cookies of one command-center login, shared by every ``page``.

    Plain ``urllib`` requests of the tests carry the same session from then on (an opener
    with its cookies is installed), as the browser's own requests do.
    """
    from data.users import DEMO_PASSWORD

    context = browser.new_context()
    tab = context.new_page()
    log_in(tab, server, BROWSER_USER, DEMO_PASSWORD)
    assert tab.url == f"{server}/command", tab.url  # the command center's own screen
    cookies = context.cookies()
    context.close()
    opener = urllib.request.build_opener()
    opener.addheaders = [("Cookie", "; ".join(f"{c['name']}={c['value']}" for c in cookies))]
    urllib.request.install_opener(opener)
    yield cookies
    urllib.request.install_opener(urllib.request.build_opener())


def _page(browser, traffic, cookies: list[dict]):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    if cookies:
        context.add_cookies(cookies)
    context.add_init_script(CSP_LISTENER)

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
    # each error with the stack of where it was thrown
    tab.on("pageerror", lambda err: traffic.errors.append(err.stack or str(err)))

    def console(msg) -> None:
        if "Content Security Policy" in msg.text:  # Chromium's "Refused to …" reports
            traffic.csp.append(msg.text)

    tab.on("console", console)
    yield tab
    with contextlib.suppress(Exception):  # a page mid-navigation: the console still told us
        traffic.csp.extend(tab.evaluate("window.__cspViolations || []"))
    context.close()
    assert traffic.blocked == [], f"requests left loopback: {traffic.blocked}"
    outside = [url for url in traffic.seen if not traffic.allowed(url)]
    assert outside == [], f"requests left loopback: {outside}"
    assert traffic.errors == [], f"errors in the page: {traffic.errors}"
    assert traffic.csp == [], f"Content-Security-Policy violations: {traffic.csp}"


@pytest.fixture
def page(browser, server, traffic, signed_in_cookies):
    """A fresh Chinese-locale page, logged in, whose requests may only go to the server."""
    yield from _page(browser, traffic, signed_in_cookies)


@pytest.fixture
def anonymous_page(browser, server, traffic):
    """Like ``page``, but nobody is logged in."""
    yield from _page(browser, traffic, [])


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/browser/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def login():
    """The :func:`log_in` helper, as a fixture."""
    return log_in


@pytest.fixture
def shoot():
    """The :func:`screenshot` helper, as a fixture."""
    return screenshot


# -- a server of its own, for tests that change the data -----------------------------------
#: A real (non-demo) command-center user of ``own_database``.
WATCHER = "live-watcher"
WATCHER_PASSWORD = "watch-the-wall-screen-42"


@pytest.fixture(scope="module")
def own_database(tmp_path_factory) -> str:
    """A demo database of its own (for tests that change the data), with a real user."""
    from data.database import make_engine
    from data.demo.load import rebuild_demo

    url = fresh_url(tmp_path_factory.mktemp("push"))
    engine = make_engine(url)
    rebuild_demo(engine, DEMO_INCIDENTS, DEMO_SEED)
    engine.dispose()
    env = {**os.environ, "ANNING_DATABASE_URL": url}
    subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "app.py"),
            "users",
            "add",
            WATCHER,
            "--role",
            "command_center",
            "--password-stdin",
        ],
        cwd=REPO_ROOT,
        env=env,
        input=f"{WATCHER_PASSWORD}\n",
        text=True,
        capture_output=True,
        timeout=120,
        check=True,
    )
    yield url
    drop(url)


@pytest.fixture(scope="module")
def own_server(own_database, tmp_path_factory) -> str:
    """The real server on ``own_database``."""
    with running_server(own_database, tmp_path_factory.mktemp("push-var")) as base:
        yield base


@pytest.fixture
def watching_page(browser, own_server):
    """A page of ``own_server`` logged in as the real user (demo sessions end with real data)."""
    pages = _page(browser, Traffic(own_server), [])
    tab = next(pages)
    log_in(tab, own_server, WATCHER, WATCHER_PASSWORD)
    yield tab
    with contextlib.suppress(StopIteration):  # runs the page's own checks (loopback, errors)
        next(pages)
