"""The map's search: places by name in either language, addresses as the role may read them."""

from __future__ import annotations

import re

from dashboard.parts.search import search
from data.access import Scope
from data.audit import AuditQuery, events


def _svc(demo_app):
    from dashboard.parts.services import EXTENSION_KEY

    return demo_app.server.extensions[EXTENSION_KEY]


def test_a_community_is_found_by_its_chinese_or_english_name(demo_app):
    svc = _svc(demo_app)
    scope = Scope(user="t", personal_details=False)
    with demo_app.server.test_request_context("/"):
        (zh,) = [f for f in search(svc, scope, "固戍", "zh") if f.kind != "address"]
        (en,) = [f for f in search(svc, scope, "gushu", "en") if f.kind != "address"]
    assert (zh.label, zh.kind) == ("固戍社区", "urban_village")
    assert en.label == "Gushu Community" and en.bounds == zh.bounds
    from data.demo.scenario import village_centres

    ((_, lng, lat),) = [c for c in village_centres() if c[0].name == "固戍"]
    west, south, east, north = zh.bounds
    assert west < lng < east and south < lat < north  # around the community's centre
    assert 0.004 < east - west < 0.006  # ±250 m around a point


def test_addresses_are_masked_searched_masked_and_audited(demo_app, demo_engine):
    svc = _svc(demo_app)
    with demo_app.server.test_request_context("/"):
        full = search(svc, Scope(user="t-chief", personal_details=True), "翻身", "zh")
        masked = search(svc, Scope(user="t-command", personal_details=False), "翻身", "zh")
        by_number = search(svc, Scope(user="t-command", personal_details=False), "12栋", "zh")
    full_addresses = [f for f in full if f.kind == "address"]
    masked_addresses = [f for f in masked if f.kind == "address"]
    assert full_addresses and masked_addresses
    assert all(re.search(r"\d", f.label) for f in full_addresses)
    assert not any(re.search(r"\d", f.label) for f in masked_addresses)  # numbers hidden
    assert [f for f in by_number if f.kind == "address"] == []  # a house number finds nothing
    assert all(f.incidents >= 1 for f in masked_addresses)
    logged, _ = events(demo_engine, AuditQuery(action="search"), "Asia/Shanghai", limit=10)
    assert {e["user"] for e in logged} >= {"t-chief", "t-command"}


def test_a_station_sees_only_its_own_addresses(demo_app):
    svc = _svc(demo_app)
    own = Scope(user="t", stations=frozenset({"BA01"}), personal_details=True)
    with demo_app.server.test_request_context("/"):
        # 固戍 is a Xixiang (BA02) community: Xin'an's chief finds the place, not the addresses.
        found = search(svc, own, "固戍", "zh")
    assert [f.kind for f in found] == ["urban_village"]


def test_too_short_a_search_answers_nothing(demo_app):
    with demo_app.server.test_request_context("/"):
        assert search(_svc(demo_app), Scope(user="t"), " 固 ", "zh") == []
