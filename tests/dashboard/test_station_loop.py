"""The station workspace's loop section (issue 13), called as the browser would: what the
filing form offers for each kind of subject, and a request filed from it."""

from __future__ import annotations

import polars as pl
import pytest

from dashboard.screens.station import loop
from data import support
from data.access import Scope

PATH = "/station/BA02"


@pytest.fixture
def as_chief(app):
    """A request context of BA02's chief (the fixture district's T1 and T2 are BA02's)."""
    from dashboard.web.auth import use_identity
    from data.users import UserInfo

    with app.server.test_request_context(PATH):
        use_identity(UserInfo(0, "chief-ba02", "chief-ba02", "station_chief", "BA02"))
        yield


@pytest.mark.parametrize("kind", ["household", "address", "warning", "case"])
def test_every_kind_of_subject_offers_cases_of_the_station_only(as_chief, fixture_engine, kind):
    from sqlalchemy import select

    from data.models import Incident

    entries, chosen, units, unit = loop.subject_options(kind, PATH, "zh")
    assert chosen is None and unit == "ZAGL"
    assert [u["value"] for u in units] == ["ZAGL", "ZHZX"]
    with fixture_engine.connect() as conn:
        ba02 = set(conn.scalars(select(Incident.id).where(Incident.station_code == "BA02")))
    assert {e["value"] for e in entries} <= ba02
    if kind == "case":  # T1 is open, T2 closed
        assert len(entries) == 1 and "T1" in entries[0]["label"]


def test_a_request_filed_from_the_form(as_chief, fixture_engine):
    from sqlalchemy import select

    from data.models import Incident

    with fixture_engine.connect() as conn:
        t1 = conn.execute(select(Incident.id).where(Incident.incident_no == "T1")).scalar_one()
    message, tick = loop.file_request(
        1, "case", t1, "ZAGL", ["repeat_calls"], "重复报警", "urgent", PATH, 0, "en"
    )
    assert tick == 1 and "sent; answer due" in str(message)
    frame = support.request_frame(fixture_engine, Scope(user="x", role="leadership"))
    assert frame.filter(pl.col("incident_id") == t1).height >= 1
    refused, same = loop.file_request(1, "case", t1, "ZAGL", [], "x", "urgent", PATH, 3, "en")
    assert same == 3 and "at least one reason code" in str(refused)


def test_early_warning_entries_name_their_newest_case(as_chief, fixture_engine):
    """Layers name incidents by number: the form maps an entry to its newest case's id."""
    from sqlalchemy import select

    from data.models import Incident

    with fixture_engine.connect() as conn:
        t2 = conn.execute(select(Incident.id).where(Incident.incident_no == "T2")).scalar_one()
    entries, *_ = loop.subject_options("warning", PATH, "en")
    household = [e for e in entries if e["label"].startswith("Household")]
    assert household and household[0]["value"] == t2  # T2 is the household's newest
    assert all("；" not in e["label"] for e in entries)
