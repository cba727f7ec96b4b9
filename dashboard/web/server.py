"""The production WSGI server behind ``python app.py``: gunicorn's threaded workers, in process.

Flask's development server answers one request at a time per thread and is not meant to face
users; ``python app.py`` therefore runs gunicorn (``gthread`` workers) programmatically, with
the same steps as ``gunicorn -c gunicorn.conf.py``: the caller migrates the database and loads
the demo district once before the workers fork, and each worker drops the connections it
inherited.
The choice of server and of the worker/thread counts is measured in
``benchmarks/results/load_30000.md`` (``benchmarks/bench_load.py``).

``ANNING_SERVER=dev`` still runs Flask's development server (one process, for debugging).
"""

from __future__ import annotations

import faulthandler
import os
import sys
from collections.abc import Callable

from gunicorn.app.base import BaseApplication

from data.settings import server_threads, server_workers


class AnningServer(BaseApplication):
    """gunicorn run from Python, with the options given instead of a configuration file."""

    def __init__(self, app_factory: Callable[[], object], options: dict[str, object]) -> None:
        self._factory = app_factory
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        """Put the options into gunicorn's configuration (unknown names are an error)."""
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        """The WSGI application, built in each worker after the fork."""
        return self._factory()


def post_fork(_server, _worker) -> None:
    """Prepare a new worker: drop the master's database connections (one socket, two talkers)
    and report a fatal signal with its Python stack in the error log.

    A worker whose memory-mapped database file turns unwritable (SQLite's ``-shm`` index on a
    volume remounted read-only) is killed by SIGBUS; the master then logs "was sent SIGBUS!"
    and starts another, which serves on and reports ``degraded`` (docs/deployment.md). The
    stack written here says which database call met it.
    """
    from data.database import forget_inherited_connections

    forget_inherited_connections()
    faulthandler.enable(file=sys.stderr, all_threads=True)


def options(host: str, port: int) -> dict[str, object]:
    """gunicorn options of the one-command start (workers and threads from the settings)."""
    return {
        "bind": f"{host}:{port}",
        "workers": server_workers(),
        "threads": server_threads(),
        "worker_class": "gthread",
        "timeout": 120,
        "graceful_timeout": 30,
        # Browsers keep connections for minutes; a user thinking between two filter changes
        # should not pay a new connection each time.
        "keepalive": 75,
        "max_requests": 5000,
        "max_requests_jitter": 500,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "post_fork": post_fork,
        "proc_name": f"anning:{port}",
    }


def run(host: str, port: int, app_factory: Callable[[], object]) -> None:
    """Serve ``app_factory()`` on ``host:port`` until stopped (Ctrl-C or SIGTERM)."""
    print(
        f"Anning is serving on http://{host}:{port}/ "
        f"({server_workers()} workers × {server_threads()} threads, pid {os.getpid()})",
        flush=True,
    )
    AnningServer(app_factory, options(host, port)).run()
