"""The README's first command, as a new user meets it: ``python app.py`` on an empty store
generates the demo district and then serves numbers, not only the login page.

(The first start once generated the demo in gunicorn's master, whose polars thread pool the
forked workers inherited locked: every query hung while ``/login`` still answered. Every
other test starts the server on a demo built beforehand, so only this one walks that path.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.sqlite_only


def _health(base: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            return json.load(response)
    except OSError:
        return None


def test_the_first_start_generates_the_demo_and_serves_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'anning.sqlite'}"
    env = {
        **os.environ,
        "ANNING_DATABASE_URL": url,
        "ANNING_VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("ANNING_DEMO", None)  # the default: a demo on an empty store
    app = [sys.executable, str(REPO_ROOT / "app.py")]
    made = subprocess.run([*app, "init-db"], env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [*app, "--port", str(port)], cwd=REPO_ROOT, env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        answer, deadline = None, time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            answer = _health(base)
            if answer is not None:
                break
            time.sleep(0.5)
        assert answer is not None, log.read_text()[-3000:]
        assert answer["status"] == "ok" and answer["incidents"] == 30_000, answer
        assert answer["snapshot_incidents"] == 30_000  # a worker's polars copy: no hang
        text = log.read_text()
        assert "demo district generated" in text
        # every worker answers (each its own snapshot), not only the first
        workers = {(_health(base) or {}).get("worker") for _ in range(12)}
        assert None not in workers, log.read_text()[-3000:]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_bad_store_at_first_start_is_one_line_and_exit_2(tmp_path):
    env = {
        **os.environ,
        "ANNING_DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'anning.sqlite'}",
        "ANNING_VAR_DIR": str(tmp_path / "var"),
    }
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "app.py"), "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("anning: ") and "Traceback" not in done.stderr, done.stderr
