"""Command-line management of push API tokens, for ``app.py`` to mount.

    python app.py tokens add NAME [--profile cn-110]   prints the new token, once
    python app.py tokens list                          names, profiles, states; never tokens
    python app.py tokens revoke NAME                   later pushes with it get 401

Every change is written to the audit trail as ``cli:<login name>``. Problems print one line
naming the culprit and exit with status 1.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: Sub-commands of ``tokens``.
TOKEN_ACTIONS: tuple[str, ...] = ("add", "list", "revoke")
EXIT_OK = 0
EXIT_ERROR = 1


def add_tokens_command(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``tokens`` command (``add``, ``list``, ``revoke``) to ``subparsers``."""
    from data.api_tokens import DEFAULT_PROFILE

    p_tokens = subparsers.add_parser("tokens", help="add, list or revoke push API tokens")
    actions = p_tokens.add_subparsers(dest="tokens_action", required=True)
    p_add = actions.add_parser("add", help="create a token (printed once, never stored)")
    p_add.add_argument("name")
    p_add.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        help=f"mapping profile the pushes are read with (default {DEFAULT_PROFILE})",
    )
    actions.add_parser("list", help="list the tokens (names only; tokens are not stored)")
    p_revoke = actions.add_parser("revoke", help="refuse every later push with a token")
    p_revoke.add_argument("name")


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "never"


def _list(engine: Engine, out: TextIO) -> None:
    from data.api_tokens import list_tokens

    rows = [("name", "profile", "state", "created", "last used")]
    for tok in list_tokens(engine):
        state = "active" if tok.active else f"revoked {_when(tok.revoked_at)}"
        rows.append((tok.name, tok.profile, state, _when(tok.created_at), _when(tok.last_used_at)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        out.write("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() + "\n")


def run_tokens_command(
    args: argparse.Namespace, engine: Engine | None = None, out: TextIO | None = None
) -> int:
    """Run ``tokens <action>`` parsed into ``args``; returns the exit status.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments; ``args.tokens_action`` is one of :data:`TOKEN_ACTIONS`.
    engine : sqlalchemy.Engine, optional
        The store (default: the configured one, migrated first).
    out : text stream, optional
        Where messages go (default standard output).

    Returns
    -------
    int
        :data:`EXIT_OK`, or :data:`EXIT_ERROR` after printing what was wrong.
    """
    from data.api_tokens import TokenError, create_token, revoke_token

    out = out or sys.stdout
    if engine is None:
        from data.database import engine as configured_engine
        from data.database import upgrade

        engine = configured_engine()
        upgrade(engine)
    actor = f"cli:{getpass.getuser()}"
    try:
        if args.tokens_action == "list":
            _list(engine, out)
        elif args.tokens_action == "add":
            token = create_token(engine, args.name, args.profile, actor=actor)
            out.write(
                f"token {args.name} (profile {args.profile}) created. It is shown this once "
                "and cannot be recovered; give it to the pushing system:\n"
                f"{token}\n"
            )
        elif args.tokens_action == "revoke":
            revoke_token(engine, args.name, actor=actor)
            out.write(f"revoked {args.name}; pushes with it are refused from now on\n")
    except TokenError as err:
        sys.stderr.write(f"tokens {args.tokens_action}: {err}\n")
        return EXIT_ERROR
    return EXIT_OK
