"""Throttling of failed logins by source address, so that strangers cannot lock accounts.

An account lock stops guessing one password from many places, but a lock that any single
stranger can trigger is a way to shut a colleague out. So the two limits are kept apart:

* **per address** (this module): every failed login from an address counts against that
  address, whatever name it tried. After :data:`FREE_FAILURES` failures each further attempt
  must wait twice as long as the one before (1 s, 2 s, 4 s, … at most
  :data:`MAX_DELAY_SECONDS`), and after :func:`~data.settings.login_address_max_failures`
  failures in an hour the address is refused until the hour is over. Password spraying across
  many names from one address is bounded by this, not by argon2's cost alone.
* **per account** (:func:`data.users.authenticate`): an account locks after
  :func:`~data.settings.login_max_failures` failures in a row *from at least two addresses*;
  one address alone is held back by its own delays instead.

The counts live in the ``login_throttle`` table, so every worker process sees them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from data.models import LoginThrottle
from data.settings import login_address_max_failures

#: Failures an address may have before the delays start.
FREE_FAILURES = 3
#: Longest delay between two attempts from one address.
MAX_DELAY_SECONDS = 300
#: The window over which an address's failures are counted.
WINDOW = timedelta(hours=1)


def delay_after(failures: int) -> float:
    """Seconds an address must wait after its ``failures``-th failure (0 while it is free)."""
    if failures < FREE_FAILURES:
        return 0.0
    return float(min(2 ** (failures - FREE_FAILURES), MAX_DELAY_SECONDS))


def retry_after(engine: Engine, remote_addr: str | None, now: datetime) -> float:
    """Seconds before ``remote_addr`` may try to log in again (0: it may try now).

    Addresses unknown (None, as in command-line calls) are not throttled.
    """
    if not remote_addr:
        return 0.0
    with engine.connect() as conn:
        row = conn.execute(
            select(LoginThrottle).where(LoginThrottle.remote_addr == remote_addr[:64])
        ).first()
    if row is None or row.window_start + WINDOW <= now:
        return 0.0
    if row.failures >= login_address_max_failures():
        return max(0.0, (row.window_start + WINDOW - now).total_seconds())
    ready = row.last_failure_at + timedelta(seconds=delay_after(row.failures))
    return max(0.0, (ready - now).total_seconds())


def count_failure(engine: Engine, remote_addr: str | None, now: datetime) -> None:
    """Count one failed login against ``remote_addr`` (a new window when the old one ended)."""
    if not remote_addr:
        return
    addr = remote_addr[:64]
    for _ in range(3):  # another worker may insert the row between our two statements
        with engine.begin() as conn:
            bumped = conn.execute(
                update(LoginThrottle)
                .where(LoginThrottle.remote_addr == addr, LoginThrottle.window_start > now - WINDOW)
                .values(failures=LoginThrottle.failures + 1, last_failure_at=now)
            ).rowcount
            if bumped:
                return
            restarted = conn.execute(
                update(LoginThrottle)
                .where(LoginThrottle.remote_addr == addr)
                .values(failures=1, window_start=now, last_failure_at=now)
            ).rowcount
            if restarted:
                return
        try:
            with engine.begin() as conn:
                conn.execute(
                    insert(LoginThrottle).values(
                        remote_addr=addr, failures=1, window_start=now, last_failure_at=now
                    )
                )
            return
        except IntegrityError:
            continue
