"""Bearer tokens of the live push API: create (shown once), verify, revoke, list.

A token is ``secrets.token_urlsafe(32)`` (256 random bits). Only its SHA-256 is stored, so
the database cannot be used to push, and verifying is a look-up of the hash: the token itself
is never compared character by character. Each token is bound to one mapping profile
(default ``cn-110``): pushes made with it are read as that profile reads a file, and stored
under the profile's ``source_system``. Creating and revoking are written to the audit trail.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from data import audit
from data.models import ApiToken

#: Profile a token pushes with unless told otherwise.
DEFAULT_PROFILE = "cn-110"
#: Bytes of randomness in a token (``token_urlsafe`` makes 43 characters of them).
TOKEN_BYTES = 32
#: Longest token accepted for checking (longer ones are refused without hashing).
MAX_TOKEN_CHARS = 200
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class TokenError(ValueError):
    """A token that cannot be created or revoked; the message names the culprit."""


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: everything but the token."""

    name: str
    profile: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether pushes with this token are accepted."""
        return self.revoked_at is None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def token_hash(token: str) -> str:
    """Hex SHA-256 of a token: what is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _info(row) -> TokenInfo:
    return TokenInfo(row.name, row.profile, row.created_at, row.last_used_at, row.revoked_at)


def create_token(
    engine: Engine, name: str, profile: str = DEFAULT_PROFILE, actor: str = "cli"
) -> str:
    """Create a token named ``name`` for pushes read with ``profile``; return the token.

    The token is returned this once and never stored. ``profile`` must be a profile that
    loads (a shipped name or a ``.toml`` path), so a typo cannot make a useless token.

    Raises
    ------
    TokenError
        If the name is not valid or already taken, or the profile does not load.
    """
    from data.importers.profiles import load_profile

    if not isinstance(name, str) or not _NAME.match(name):
        raise TokenError(
            f"token name {name!r}: 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    try:
        load_profile(profile)
    except Exception as err:  # ProfileError and the like: one line naming the profile
        raise TokenError(f"profile {profile!r}: {str(err).splitlines()[0]}") from err
    with engine.begin() as conn:
        if conn.execute(select(ApiToken.id).where(ApiToken.name == name)).first():
            raise TokenError(f"a token named {name!r} exists already (names are never reused)")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        conn.execute(
            insert(ApiToken),
            {
                "name": name,
                "token_hash": token_hash(token),
                "profile": str(profile),
                "created_at": _now(),
            },
        )
    audit.record(engine, actor, "token_add", target=f"token:{name}", detail=f"profile {profile}")
    return token


def verify_token(engine: Engine, token: str) -> TokenInfo | None:
    """The active token ``token`` is, or None; records when it was last used."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        return None
    digest = token_hash(token)
    with engine.begin() as conn:
        row = conn.execute(
            select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
        ).first()
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            return None
        conn.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=_now()))
    return TokenInfo(row.name, row.profile, row.created_at, _now(), None)


def find_token(engine: Engine, name: str) -> TokenInfo | None:
    """The token named ``name`` (revoked or not), or None."""
    with engine.connect() as conn:
        row = conn.execute(select(ApiToken).where(ApiToken.name == name)).first()
    return None if row is None else _info(row)


def revoke_token(engine: Engine, name: str, actor: str = "cli") -> None:
    """Refuse every later push with the token ``name``.

    Raises
    ------
    TokenError
        If there is no such token, or it is revoked already.
    """
    with engine.begin() as conn:
        row = conn.execute(select(ApiToken).where(ApiToken.name == name)).first()
        if row is None:
            raise TokenError(f"no token named {name!r}")
        if row.revoked_at is not None:
            raise TokenError(f"token {name!r} was revoked already")
        conn.execute(update(ApiToken).where(ApiToken.id == row.id).values(revoked_at=_now()))
    audit.record(engine, actor, "token_revoke", target=f"token:{name}")


def list_tokens(engine: Engine) -> list[TokenInfo]:
    """Every token, by name: never the token itself (it is not stored)."""
    with engine.connect() as conn:
        rows = conn.execute(select(ApiToken).order_by(ApiToken.name)).all()
    return [_info(r) for r in rows]
