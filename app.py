"""Anning (安宁): start the dashboard, or rebuild the demo district.

    python app.py                                 serve on http://127.0.0.1:8050
    python app.py serve --host 0.0.0.0 --port 80  serve elsewhere
    python app.py demo --incidents 30000 --seed 7 rebuild the demo data
    python app.py users add NAME --role ROLE      manage users (list, add, reset, remove)
    python app.py tokens add NAME [--profile P]   push API tokens (add, list, revoke)
    python app.py import FILE --profile cn-110    import incidents (--mapping, --rejects, --all)
    python app.py init-db                         create the configured database
    python app.py audit verify                    check the audit trail's hash chain
    python app.py stations FILE --code-field F --name-field F
                                                  import station polygons

The database URL comes from ``ANNING_DATABASE_URL`` (default: a SQLite file under ``var/``).
On first start with an empty database the demo district is generated. Only the default file
may be created by a start; another ``ANNING_DATABASE_URL`` must exist (``init-db`` creates it).
"""

from __future__ import annotations

import argparse
import sys
import time

from sqlalchemy.exc import SQLAlchemyError

from data.importers.cli import IMPORT_COMMANDS, add_import_commands, run_command
from data.settings import SettingsError
from data.tokens_cli import add_tokens_command, run_tokens_command
from data.users_cli import add_users_command, run_users_command

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050


def _progress(done: int, total: int) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def prepare_database() -> None:
    """Migrate the database and load the demo district if it is empty (once per start).

    ``python app.py`` calls it before serving; under gunicorn the master has it done before
    forking the workers, in a spawned process (:func:`prepare_in_child`), so workers never
    race to migrate.
    """
    from data.database import engine, upgrade
    from data.demo.load import ensure_demo
    from data.settings import check_settings
    from data.users import sync_demo_users

    check_settings()
    eng = engine()
    upgrade(eng)
    started = time.perf_counter()
    if ensure_demo(eng):
        print(f"demo district generated in {time.perf_counter() - started:.1f} s", flush=True)
    sync_demo_users(eng)
    # Closed, not only forgotten, before the workers fork: SQLite keeps one memory map of the
    # ``-shm`` index per process and file, and a worker inheriting the master's read-write
    # map would reuse it, and die of SIGBUS, when the storage turns read-only.
    eng.dispose()


def prepare_in_child() -> None:
    """:func:`prepare_database` in a process of its own, spawned (not forked), for a server
    that forks its workers next (gunicorn's master).

    Generating the demo runs polars, whose thread pool does not survive a fork: workers
    forked from a process that had used it hang at their first query (the first start of
    ``python app.py`` served its login page but never a number). The master so never runs
    polars, and holds no database connection or SQLite memory map either. Exits as the
    preparation did (2 with its one-line reason)."""
    import multiprocessing

    child = multiprocessing.get_context("spawn").Process(
        target=_prepare_or_say_why, name="anning-prepare"
    )
    child.start()
    child.join()
    if child.exitcode:
        raise SystemExit(child.exitcode)


def _prepare_or_say_why() -> None:
    """:func:`prepare_database`; what a user can fix is one line on stderr and exit code 2."""
    try:
        prepare_database()
    except (SettingsError, SQLAlchemyError, OSError) as exc:
        print(_reason(exc), file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def _reason(exc: BaseException) -> str:
    """One line for a failure a user can fix (a wrong database URL, an unwritable folder, a
    port in use): no stack trace."""
    if isinstance(exc, SettingsError):
        return f"anning: {exc}"
    from data.settings import database_url

    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"anning: {reason} (database: {database_url()})"


def wsgi():
    """The WSGI application for a production server: ``gunicorn -c gunicorn.conf.py``.

    Each worker builds its own app, snapshot and caches; workers share only the database.
    """
    from dashboard import create_app
    from data.database import engine

    return create_app(engine()).server


def serve(host: str, port: int) -> None:
    """Migrate the database, load the demo district if it is empty, and serve the dashboard.

    gunicorn's threaded workers serve by default (:mod:`dashboard.web.server`); with
    ``ANNING_SERVER=dev``, Flask's development server in this process.
    """
    from data.settings import server_kind

    if server_kind() == "gunicorn":
        from dashboard.web.server import run

        prepare_in_child()
        run(host, port, wsgi)
        return
    from dashboard import create_app
    from data.database import engine

    prepare_database()
    app = create_app(engine())
    print(f"Anning is serving on http://{host}:{port}/ (development server)", flush=True)
    app.run(host=host, port=port, debug=False, dev_tools_disable_version_check=True)


def init_db() -> None:
    """Create the configured database (a new SQLite file) and bring its schema up to date."""
    from data.database import engine, sqlite_path, upgrade
    from data.settings import database_url

    path = sqlite_path(database_url())
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    upgrade(engine(create=True))
    print(f"database ready: {database_url()}")


def demo(incidents: int, seed: int) -> None:
    """Replace the demo data with ``incidents`` freshly generated ones (creating the database)."""
    from data.database import engine
    from data.demo.load import rebuild_demo

    started = time.perf_counter()
    count = rebuild_demo(engine(create=True), n_incidents=incidents, seed=seed, progress=_progress)
    print(f"demo district: {count:,} incidents in {time.perf_counter() - started:.1f} s")


def check_settings_early(command: str | None) -> None:
    """Before any command but ``init-db`` and ``demo``: the configured database must exist.

    Raises :class:`~data.settings.SettingsError` (one line, naming the file).
    """
    if command in ("init-db", "demo"):
        return
    from data.database import check_database

    check_database()


def run_audit_command(args: argparse.Namespace) -> int:
    """``audit verify``: walk the hash chain of the audit trail; 0 if intact, 1 if not."""
    from data.audit_chain import verify
    from data.database import engine

    report = verify(engine())
    print(report.summary())
    return 0 if report.intact else 1


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="app.py", description="Anning (安宁) dashboard")
    sub = parser.add_subparsers(dest="command")
    p_serve = sub.add_parser("serve", help="serve the dashboard (the default)")
    for p in (parser, p_serve):
        p.add_argument("--host", default=DEFAULT_HOST)
        p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p_demo = sub.add_parser("demo", help="rebuild the demo district")
    p_demo.add_argument("--incidents", type=int, default=30_000)
    p_demo.add_argument("--seed", type=int, default=20240601)
    sub.add_parser("init-db", help="create the configured database (a new SQLite file)")
    p_audit = sub.add_parser("audit", help="check the audit trail")
    p_audit.add_argument("audit_command", choices=["verify"])
    add_users_command(sub)
    add_tokens_command(sub)
    add_import_commands(sub)
    args = parser.parse_args(argv)

    try:
        check_settings_early(args.command)
    except SettingsError as exc:
        print(f"anning: {exc}", file=sys.stderr)
        return 2
    if args.command in IMPORT_COMMANDS:
        return run_command(args)
    if args.command == "audit":
        return run_audit_command(args)
    if args.command == "users":
        return run_users_command(args)
    if args.command == "tokens":
        return run_tokens_command(args)
    if args.command == "demo" and args.incidents < 1:
        parser.error("--incidents must be at least 1")
    try:
        if args.command == "demo":
            demo(args.incidents, args.seed)
        elif args.command == "init-db":
            init_db()
        else:
            serve(args.host, args.port)
    except (SettingsError, SQLAlchemyError, OSError) as exc:
        print(_reason(exc), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
