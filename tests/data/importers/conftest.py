"""Fixtures for the importer tests: a private pseudonym secret, a database with two stations."""

from __future__ import annotations

import pytest
from importer_fixtures import STATION_A, STATION_B

from data.store import save_stations


@pytest.fixture(autouse=True)
def private_secret(tmp_path, monkeypatch):
    """Each test gets its own pseudonym secret file."""
    path = tmp_path / "secret" / "pseudonym.key"
    monkeypatch.setenv("ANNING_SECRET_FILE", str(path))
    return path


@pytest.fixture
def engine_with_stations(db_engine):
    """A migrated database holding stations A and B."""
    save_stations(db_engine, [STATION_A, STATION_B])
    return db_engine
