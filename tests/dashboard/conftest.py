"""A tiny hand-built district for the dashboard's tests: the ten Bao'an stations, five incidents.

Known answers (local time, Asia/Shanghai):

* newest incident on 2026-11-12, oldest on 2026-06-01, so the default range is
  2026-08-15 … 2026-11-12 and holds incidents 1, 2, 3 and 5;
* incidents 1 and 2 lie in Xixiang (BA02), at its centre; 3 at Xin'an's (BA01) centre;
  4 at Shiyan's (BA10) centre, months earlier; 5 could not be placed;
* in the default range: 4 incidents, 1 high risk, 2 open (1 and 5), 1 warning letter,
  1 protection order;
* incident 1 has three status events; incident 3 one follow-up visit.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from data.demo.baoan import STATIONS, jurisdictions
from data.store import insert_incidents, save_stations
from geo.h3cells import latlng_to_cells
from tests.backends import drop, fresh_url
from tests.dashboard.signed_in import signed_in_client

CENTRES = {code: centre for code, _, _, centre in STATIONS}

_BASE = {
    "source_system": "test",
    "source_channel": "call_110",
    "category": "domestic_violence",
    "risk_level": "low",
    "address_raw": "宝安区西乡街道固戍社区固戍一路12栋302室",
    "address_key": "固戍一路12栋302室",
    "location_state": "located",
    "community": "固戍社区",
    "status": "reported",
    "handled_at": None,
    "closed_at": None,
    "warning_letter": False,
    "protection_order": False,
    "minor_involved": False,
    "victim_key": None,
    "offender_key": None,
    "summary": "丈夫酒后动手，电话13800138000",
    "created_at": None,
    "updated_at": None,
}


def _row(no: str, station: str | None, when: datetime, **fields: object) -> dict:
    lng, lat = CENTRES[station] if station else (None, None)
    return {
        **_BASE,
        "incident_no": no,
        "station_code": station,
        "lng": lng,
        "lat": lat,
        "reported_at": when,
        **fields,
    }


FIXTURE_ROWS = [
    _row(
        "T1",
        "BA02",
        datetime(2026, 11, 10, 2, 0),
        risk_level="high",
        status="handling",
        warning_letter=True,
    ),
    _row(
        "T2",
        "BA02",
        datetime(2026, 11, 11, 12, 0),
        category="relationship_dispute",
        status="closed",
        closed_at=datetime(2026, 11, 12, 9, 0),
    ),
    _row(
        "T3",
        "BA01",
        datetime(2026, 11, 12, 1, 0),
        category="family_dispute",
        risk_level="medium",
        status="closed",
        closed_at=datetime(2026, 11, 13, 10, 0),
        protection_order=True,
    ),
    _row(
        "T4",
        "BA10",
        datetime(2026, 6, 1, 4, 0),
        category="elder_abuse",
        status="closed",
        closed_at=datetime(2026, 6, 3, 16, 0),
    ),
    _row(
        "T5",
        None,
        datetime(2026, 11, 12, 3, 0),
        category="other",
        location_state="unlocated",
        address_raw=None,
    ),
]


def fixture_frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Incidents, status events and follow-up visits of the fixture district."""
    frame = pl.DataFrame(FIXTURE_ROWS, infer_schema_length=None)
    lat = frame["lat"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    lng = frame["lng"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    frame = frame.with_columns(
        pl.Series("h3_cell", latlng_to_cells(lat, lng)).replace(-1, None),
        pl.col("reported_at").dt.replace_time_zone("UTC"),
    )
    events = pl.DataFrame(
        {
            "incident_no": ["T1", "T1", "T1"],
            "status": ["reported", "dispatched", "handling"],
            "at": [
                datetime(2026, 11, 10, 2, 0, tzinfo=UTC),
                datetime(2026, 11, 10, 2, 1, tzinfo=UTC),
                datetime(2026, 11, 10, 3, 0, tzinfo=UTC),
            ],
            "department": ["police", "police", "womens_federation"],
            "note": ["接警登记", "任务分拨", None],
        }
    )
    visits = pl.DataFrame(
        {
            "incident_no": ["T3"],
            "visited_at": [datetime(2026, 11, 14, 2, 0, tzinfo=UTC)],
            "department": ["community"],
            "outcome": ["stable"],
            "note": ["回访情况稳定"],
        }
    )
    return frame, events, visits


@pytest.fixture(scope="module")
def fixture_engine(tmp_path_factory):
    """A migrated database holding the fixture district."""
    from data.database import make_engine, upgrade

    url = fresh_url(tmp_path_factory.mktemp("dashboard"))
    engine = make_engine(url)
    upgrade(engine)
    save_stations(engine, jurisdictions())
    insert_incidents(engine, *fixture_frames())
    yield engine
    engine.dispose()
    drop(url)


@pytest.fixture(scope="module")
def app(fixture_engine):
    """The dashboard over the fixture district."""
    from dashboard import create_app

    return create_app(fixture_engine)


#: The role the page tests run as: every station, personal details masked.
TEST_ROLE = "command_center"
TEST_USER = "test-command"


@pytest.fixture
def client(app, fixture_engine):
    """A Flask test client of the dashboard's server, logged in as the command center.

    Its requests carry the session cookie, a same-origin ``Origin`` and the CSRF header, as
    the browser's do.
    """
    return signed_in_client(app, fixture_engine, TEST_USER, TEST_ROLE)


@pytest.fixture
def request_context(app):
    """A request context served as the command center, so callbacks can be called as plain
    functions."""
    from dashboard.web.auth import use_identity
    from data.users import UserInfo

    with app.server.test_request_context("/"):
        use_identity(UserInfo(0, TEST_USER, TEST_USER, TEST_ROLE, None))
        yield


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory):
    """A small demo district (3,000 incidents ending now, with its loop records and places)."""
    from data.database import make_engine, upgrade
    from data.demo.load import ensure_demo

    url = fresh_url(tmp_path_factory.mktemp("visits"))
    engine = make_engine(url)
    upgrade(engine)
    assert ensure_demo(engine, n_incidents=3000)
    yield engine
    engine.dispose()
    drop(url)


@pytest.fixture(scope="module")
def demo_app(demo_engine):
    """The dashboard over :func:`demo_engine`."""
    from dashboard import create_app

    return create_app(demo_engine)
