"""Production start: ``.venv/bin/gunicorn -c gunicorn.conf.py`` (see docs/deployment.md).

Several worker processes, each with its own app and layer cache. They share the database
(``ANNING_DATABASE_URL``) and the machine's one columnar snapshot: Arrow files under
``ANNING_SNAPSHOT_DIR`` (default ``<ANNING_VAR_DIR>/snapshot``) that every worker memory-maps and
one worker at a time brings up to date (``data/snapshot_store.py``), so a push received by one
worker reaches a wall screen served by another at the next refresh, and four workers hold one
copy of the incidents, not four. The master migrates the database and loads the demo district
(when empty) once, before the workers start.

Settings come from the environment: ``ANNING_BIND`` (default 127.0.0.1:8050, keep it on
loopback behind nginx), ``WEB_CONCURRENCY`` (workers, default 4), ``ANNING_THREADS`` (threads per
worker, default 4: a wall screen's polling must not wait behind a slow export).
"""

import os

from data.settings import VAR_DIR

os.environ.setdefault("ANNING_SNAPSHOT_DIR", str(VAR_DIR / "snapshot"))

wsgi_app = "app:wsgi()"
bind = os.environ.get("ANNING_BIND", "127.0.0.1:8050")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("ANNING_THREADS", "4"))
worker_class = "gthread"
timeout = 120
graceful_timeout = 30
#: Recycle a worker now and then, so a slow leak cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
forwarded_allow_ips = "127.0.0.1"


def on_starting(server) -> None:
    """Migrate and seed the database once, before any worker exists, in a process spawned
    by the master (:func:`app.prepare_in_child`): polars' thread pool must not exist in a
    process that forks (a worker would inherit its locks held and hang), and generating the
    demo runs polars.

    The master does not write the shared snapshot either: the first worker to need it writes
    it under the writer lock while the others wait for it; later starts find the files on
    disk.
    """
    from app import prepare_in_child

    prepare_in_child()


def post_fork(server, worker) -> None:
    """A new worker drops the master's database connections and reports fatal signals
    (:func:`dashboard.web.server.post_fork`; imported here, after the fork, so the master
    never loads the dashboard)."""
    from dashboard.web.server import post_fork as prepare_worker

    prepare_worker(server, worker)
