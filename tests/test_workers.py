"""Production start: gunicorn with several workers that share nothing but the database.

A push received by whichever worker answers must reach every worker's columnar snapshot, so a
wall screen served by another worker shows it at its next refresh.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

#: Also run against a Citus cluster (tests/backends.py).
pytestmark = pytest.mark.citus

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
#: What the wall screen promises from a push to showing it.
PROMISED_SECONDS = 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(base: str) -> dict:
    # A new connection each time, so the kernel may hand it to any worker.
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
        return json.load(response)


def _app(env: dict, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "app.py"), *args],
        cwd=REPO_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def gunicorn_server(db_url, tmp_path):
    env = {
        **os.environ,
        "ANNING_DATABASE_URL": db_url,
        "ANNING_VAR_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    _app(env, "demo", "--incidents", "300", "--seed", "5")
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env |= {
        "ANNING_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(WORKERS),
        "ANNING_THREADS": "2",
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                _health(base)
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        yield base, env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _snapshots_by_worker(base: str, want: int, seconds: float) -> dict[int, int]:
    """Ask until ``want`` distinct workers have answered; their snapshot row counts."""
    seen: dict[int, int] = {}
    deadline = time.monotonic() + seconds
    while len(seen) < want and time.monotonic() < deadline:
        health = _health(base)
        seen[health["worker"]] = health["snapshot_incidents"]
    return seen


def test_a_push_to_one_worker_reaches_every_worker(gunicorn_server):
    base, env = gunicorn_server
    before = _snapshots_by_worker(base, WORKERS, 60)
    assert len(before) == WORKERS, f"only workers {sorted(before)} answered"
    assert set(before.values()) == {300}, before

    token = _app(env, "tokens", "add", "workers-test").strip().splitlines()[-1]
    pushed = {
        "警情编号": "WORKERS-0001",
        "接警时间": "2024-05-01 20:15:00",
        "警情类别": "家庭暴力",
        "发案地址": "宝安区新安街道推送测试路1号",
        "经度": 113.8836,
        "纬度": 22.5553,
        "处置状态": "已派警",
    }
    request = urllib.request.Request(
        f"{base}/api/v1/incidents",
        data=json.dumps(pushed, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.load(response)["results"][0]["outcome"] == "inserted"
    pushed_at = time.monotonic()

    after: dict[int, int] = {}
    while time.monotonic() - pushed_at < PROMISED_SECONDS:
        health = _health(base)
        after[health["worker"]] = health["snapshot_incidents"]
        if len(after) >= WORKERS and all(n == 301 for n in after.values()):
            break
    assert len(after) >= WORKERS and set(after.values()) == {301}, after
    assert set(after) == set(before), "a worker was replaced during the test"

    # Pushes answered at once by both workers append to one audit chain, never two.
    def push(n: int) -> int:
        item = {**pushed, "警情编号": f"WORKERS-1{n:03d}"}
        req = urllib.request.Request(
            f"{base}/api/v1/incidents",
            data=json.dumps(item, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(push, range(24))) == {200}
    assert _app(env, "audit", "verify").startswith("audit trail intact")


def test_python_app_py_serves_with_several_worker_processes(db_url, tmp_path):
    """The one-command start is a production server: gunicorn's workers, not Flask's."""
    env = {
        **os.environ,
        "ANNING_DATABASE_URL": db_url,
        "ANNING_VAR_DIR": str(tmp_path),
        "ANNING_WORKERS": "2",
        "ANNING_THREADS": "2",
    }
    _app(env, "demo", "--incidents", "200", "--seed", "5")
    port = _free_port()
    log = tmp_path / "app.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                _health(base)
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        workers = _snapshots_by_worker(base, 2, 60)
        assert len(workers) == 2 and proc.pid not in workers, (workers, proc.pid)
        assert "2 workers × 2 threads" in log.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
