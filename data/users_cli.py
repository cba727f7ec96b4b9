"""Command-line management of users, for ``app.py`` to mount.

    python app.py users list
    python app.py users add NAME --role ROLE [--station CODE] [--unit CODE] [--display-name TEXT]
    python app.py users reset NAME
    python app.py users remove NAME

Passwords are typed twice at a hidden prompt, or read from the first line of standard input
with ``--password-stdin`` (for scripts); they never appear on the command line, where other
users of the machine could read them. Every change is written to the audit trail as
``cli:<login name>``. Problems print one line naming the culprit and exit with status 1.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: Sub-commands of ``users``.
USER_ACTIONS: tuple[str, ...] = ("list", "add", "reset", "remove")
EXIT_OK = 0
EXIT_ERROR = 1

Prompt = Callable[[str], str]


def add_users_command(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``users`` command (``list``, ``add``, ``reset``, ``remove``) to ``subparsers``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``parser.add_subparsers(dest="command")`` returned.
    """
    from data.users import ROLES

    p_users = subparsers.add_parser("users", help="list, add, reset or remove users")
    actions = p_users.add_subparsers(dest="users_action", required=True)
    actions.add_parser("list", help="list the users, their roles and stations")
    p_add = actions.add_parser("add", help="add a user (the password is asked for)")
    p_add.add_argument("username")
    p_add.add_argument("--role", required=True, choices=ROLES)
    p_add.add_argument("--station", help="station code (station_chief, station_officer)")
    p_add.add_argument("--unit", help="support unit code (support_unit), e.g. ZAGL")
    p_add.add_argument("--display-name", help="the name shown in the interface")
    p_reset = actions.add_parser("reset", help="set a new password, unlock, end sessions")
    p_reset.add_argument("username")
    p_remove = actions.add_parser("remove", help="remove a user and end their sessions")
    p_remove.add_argument("username")
    for p in (p_add, p_reset):
        p.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input",
        )


def _password(args: argparse.Namespace, stdin: TextIO, prompt: Prompt) -> str:
    from data.users import UserError

    if args.password_stdin:
        return stdin.readline().rstrip("\r\n")
    first = prompt("New password: ")
    if prompt("Repeat it: ") != first:
        raise UserError("the two passwords differ")
    return first


def _list(engine: Engine, out: TextIO) -> None:
    from data.users import list_users

    rows = [("user", "role", "station", "state", "last login")]
    for u in list_users(engine):
        state = f"locked until {u.locked_until:%Y-%m-%d %H:%M} UTC" if u.locked_until else "ok"
        last = f"{u.last_login_at:%Y-%m-%d %H:%M} UTC" if u.last_login_at else "never"
        name = f"{u.username} (demo)" if u.demo else u.username
        rows.append((name, u.role, u.station_code or "-", state, last))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        out.write("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() + "\n")


def run_users_command(
    args: argparse.Namespace,
    engine: Engine | None = None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    prompt: Prompt | None = None,
) -> int:
    """Run ``users <action>`` parsed into ``args``; returns the exit status.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments; ``args.users_action`` is one of :data:`USER_ACTIONS`.
    engine : sqlalchemy.Engine, optional
        The store (default: the configured one, migrated first).
    stdin, out : text streams, optional
        Where ``--password-stdin`` reads and where messages go (default: the process's).
    prompt : callable, optional
        Asks for a password without echoing it (default :func:`getpass.getpass`).

    Returns
    -------
    int
        :data:`EXIT_OK`, or :data:`EXIT_ERROR` after printing what was wrong.
    """
    from data.users import UserError, add_user, remove_user, reset_password

    stdin, out = stdin or sys.stdin, out or sys.stdout
    prompt = prompt or getpass.getpass
    if engine is None:
        from data.database import engine as configured_engine
        from data.database import upgrade

        engine = configured_engine()
        upgrade(engine)
    actor = f"cli:{getpass.getuser()}"
    try:
        if args.users_action == "list":
            _list(engine, out)
        elif args.users_action == "add":
            user = add_user(
                engine,
                args.username,
                _password(args, stdin, prompt),
                args.role,
                args.station,
                args.display_name,
                actor=actor,
                unit_code=getattr(args, "unit", None),
            )
            station = (
                f" of {user.station_code or user.unit_code}"
                if (user.station_code or user.unit_code)
                else ""
            )
            out.write(f"added {user.username}: {user.role}{station}\n")
        elif args.users_action == "reset":
            reset_password(engine, args.username, _password(args, stdin, prompt), actor=actor)
            out.write(f"new password set for {args.username}; lock cleared, sessions ended\n")
        elif args.users_action == "remove":
            remove_user(engine, args.username, actor=actor)
            out.write(f"removed {args.username}; sessions ended\n")
    except (UserError, EOFError, KeyboardInterrupt) as err:
        sys.stderr.write(f"users {args.users_action}: {str(err) or 'cancelled'}\n")
        return EXIT_ERROR
    return EXIT_OK
