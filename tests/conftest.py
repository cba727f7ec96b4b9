"""Shared test set-up: the repository root on sys.path, the shared data folder, fresh databases."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

#: Real data for tests (never read by the product at run time).
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def sqlite_engine(tmp_path):
    """A migrated, empty SQLite database in a temporary file."""
    from data.database import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'anning.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()
