"""Fixtures of the authorisation tests over the canary district (see canary.py)."""

from __future__ import annotations

import pytest
from canary import PASSWORD, PRINCIPALS, UNITS, Principal, frames, sign_in
from sqlalchemy import select

from data.demo.baoan import jurisdictions
from data.store import insert_incidents, save_stations
from tests.backends import drop, fresh_url


@pytest.fixture(scope="module")
def canary_engine(tmp_path_factory):
    """A migrated store holding the canary district and one user per role."""
    from data.database import make_engine, upgrade
    from data.users import add_user

    url = fresh_url(tmp_path_factory.mktemp("auth"))
    engine = make_engine(url)
    upgrade(engine)
    save_stations(engine, jurisdictions())
    insert_incidents(engine, *frames())
    for name, spec in PRINCIPALS.items():
        if spec is not None:
            unit = UNITS.get(name)
            add_user(engine, spec[0], PASSWORD, spec[1], spec[2], actor="tests", unit_code=unit)
    yield engine
    engine.dispose()
    drop(url)


@pytest.fixture(scope="module")
def incident_ids(canary_engine) -> dict[str, int]:
    """Database id of each canary incident, by incident number."""
    from data.models import Incident

    with canary_engine.connect() as conn:
        return dict(conn.execute(select(Incident.incident_no, Incident.id)).all())


@pytest.fixture(scope="module")
def canary_app(canary_engine):
    """The dashboard over the canary district."""
    from dashboard import create_app

    return create_app(canary_engine)


@pytest.fixture(scope="module")
def principals(canary_app, canary_engine) -> dict[str, Principal]:
    """Every principal of :data:`PRINCIPALS`, signed in."""
    out = {}
    for name, spec in PRINCIPALS.items():
        username = spec[0] if spec else None
        out[name] = Principal(
            name, sign_in(canary_app, canary_engine, username), username, spec[1] if spec else None
        )
    return out
