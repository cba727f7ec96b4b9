"""Fixtures of the push API tests: a store with the Bao'an stations, the app, a token."""

from __future__ import annotations

import pytest

from data.demo.baoan import jurisdictions
from data.store import save_stations


@pytest.fixture(autouse=True)
def private_secret(tmp_path, monkeypatch):
    """Each test gets its own pseudonym secret file."""
    path = tmp_path / "secret" / "pseudonym.key"
    monkeypatch.setenv("ANNING_SECRET_FILE", str(path))
    return path


@pytest.fixture
def store(db_engine):
    """A migrated database holding the ten Bao'an stations and no incidents."""
    save_stations(db_engine, jurisdictions())
    return db_engine


@pytest.fixture
def app(store):
    """The dashboard over ``store``."""
    from dashboard import create_app

    return create_app(store)


@pytest.fixture
def client(app):
    """A Flask test client without any session."""
    return app.server.test_client()


@pytest.fixture
def token(store) -> str:
    """A live token ``p110`` for the cn-110 profile."""
    from data.api_tokens import create_token

    return create_token(store, "p110", actor="tests")
