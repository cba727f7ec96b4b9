"""Keyed pseudonyms for ID numbers: the same person gets the same key, the number is never kept.

A pseudonym is the first :data:`PSEUDONYM_HEX_CHARS` hex characters of
HMAC-SHA256(secret, normalised ID). The secret is per installation: 32 random bytes created on
first use in :func:`data.settings.secret_file` (mode 0600), outside the database, so a copy of
the database alone cannot be used to test guessed ID numbers. Losing the secret breaks matching
of new incidents to old ones; back it up with the database.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
import time
from itertools import repeat
from pathlib import Path

import polars as pl

from data.settings import secret_file

#: Length of the random per-installation secret, in bytes.
SECRET_BYTES = 32
#: Hex characters kept of the HMAC (128 bits): collisions are negligible at any scale.
PSEUDONYM_HEX_CHARS = 32
_SECRET_MODE = 0o600
_HASH = "sha256"
# Full-width digits, letters X/x and space fold to their ASCII forms before hashing.
_FULL_WIDTH = {chr(0xFF10 + i): str(i) for i in range(10)} | {"Ｘ": "X", "ｘ": "X", "\u3000": ""}


class SecretError(RuntimeError):
    """The pseudonym secret cannot be read or created."""


def load_or_create_secret(path: Path | None = None) -> bytes:
    """Return the installation's pseudonym secret, creating it on first use.

    Parameters
    ----------
    path : pathlib.Path, optional
        Secret file; default :func:`data.settings.secret_file`.

    Returns
    -------
    bytes
        The :data:`SECRET_BYTES`-byte secret.

    Raises
    ------
    SecretError
        If the file exists with the wrong length, or cannot be read or written.
    """
    path = Path(path) if path is not None else secret_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once cannot both create (and disagree on) a secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _SECRET_MODE)
    except FileExistsError:
        # Another process may have created it a moment ago and be writing it still.
        for _ in range(50):
            if path.stat().st_size >= SECRET_BYTES:
                break
            time.sleep(0.02)
        return _read_secret(path)
    except OSError as exc:
        raise SecretError(f"{path}: cannot create the pseudonym secret: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(SECRET_BYTES))
        handle.flush()
        os.fsync(handle.fileno())
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SecretError(f"{path}: cannot read the pseudonym secret: {exc.strerror}") from exc
    if len(data) != SECRET_BYTES:
        raise SecretError(
            f"{path}: the pseudonym secret should be {SECRET_BYTES} bytes, found {len(data)}"
        )
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(_SECRET_MODE)
    return data


def normalise_ids(ids: pl.Series) -> pl.Series:
    """ID numbers in the form they are hashed in: half-width, no spaces, upper-case ``X``.

    Parameters
    ----------
    ids : polars.Series
        Raw ID numbers as text.

    Returns
    -------
    polars.Series
        Normalised IDs; null where the input is null or blank.
    """
    text = ids.cast(pl.String).str.replace_many(_FULL_WIDTH).str.replace_all(r"\s+", "")
    text = text.str.to_uppercase()
    return pl.select(pl.when(text.str.len_chars() > 0).then(text)).to_series().alias(ids.name)


def hmac_digests(secret: bytes, values: list[bytes]) -> list[bytes]:
    """HMAC-SHA256 of each value under ``secret`` (32-byte digests, in order)."""
    # map() over the C function keeps Python frames out of the per-ID loop.
    return list(map(hmac.digest, repeat(secret), values, repeat(_HASH)))


def pseudonymise(ids: pl.Series, secret: bytes) -> pl.Series:
    """Keyed pseudonyms of raw ID numbers (each distinct value hashed once).

    Parameters
    ----------
    ids : polars.Series
        Raw ID numbers (any width, stray spaces, lower-case ``x`` allowed).
    secret : bytes
        The installation secret from :func:`load_or_create_secret`.

    Returns
    -------
    polars.Series
        :data:`PSEUDONYM_HEX_CHARS` hex characters per ID; null where the ID is null or blank.
    """
    return pseudonymise_columns([ids], secret)[0]


def pseudonymise_columns(columns: list[pl.Series], secret: bytes) -> list[pl.Series]:
    """:func:`pseudonymise` for several columns at once (victims and offenders), hashing each
    distinct ID of all of them once.

    Parameters
    ----------
    columns : list of polars.Series
        Raw ID numbers.
    secret : bytes
        The installation secret.

    Returns
    -------
    list of polars.Series
        The pseudonyms, one series per input column.
    """
    normalised = [normalise_ids(c) for c in columns]
    distinct = pl.concat([n.drop_nulls() for n in normalised]).unique()
    if distinct.is_empty():
        return [pl.Series(c.name, [None] * len(c), dtype=pl.String) for c in columns]
    raw = hmac_digests(secret, distinct.cast(pl.Binary).to_list())
    keys = pl.Series(raw, dtype=pl.Binary).bin.encode("hex").str.head(PSEUDONYM_HEX_CHARS)
    return [
        n.replace_strict(distinct, keys, default=None, return_dtype=pl.String) for n in normalised
    ]
