"""Shared test set-up: the repository root on sys.path, the shared data folder, fresh databases."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.backends import (  # noqa: E402  (needs the root on the path)
    ON_CITUS,
    ON_POSTGRES,
    drop,
    fresh_url,
)

#: Real data for tests (never read by the product at run time).
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def pytest_collection_modifyitems(config, items) -> None:
    """On PostgreSQL, skip the tests about SQLite itself (marked ``sqlite_only``); on Citus,
    also every test not marked ``citus`` (the subset that runs against the cluster)."""
    if not ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="about SQLite itself; the suite runs on PostgreSQL")
    not_citus = pytest.mark.skip(reason="not in the Citus subset (mark it citus to add it)")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)
        elif ON_CITUS and "citus" not in item.keywords:
            item.add_marker(not_citus)


@pytest.fixture
def db_url(tmp_path):
    """The URL of a new, empty database of the backend under test (see ``tests/backends.py``)."""
    url = fresh_url(tmp_path)
    yield url
    drop(url)


@pytest.fixture
def created_db_url(db_url):
    """:func:`db_url` after ``python app.py init-db``: the database exists and is migrated (only
    the embedded default may be created by the commands themselves)."""
    from data.database import make_engine, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    return db_url


@pytest.fixture
def db_engine(db_url):
    """A migrated, empty database of the backend under test."""
    from data.database import make_engine, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()
