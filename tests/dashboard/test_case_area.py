"""A drawn area's report: its cases listed, summarised and exported, as the role may read them."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote

from data.access import CaseAccess, IncidentFilter, Scope
from data.audit import AuditQuery, events
from data.demo.scenario import village_centres
from geo.areas import parse
from tests.dashboard.signed_in import signed_in_client


def _page(demo_app, demo_engine, username: str, role: str, station, query: str) -> str:
    """The /cases page of ``query`` rendered for the user (its layout, as the router does)."""
    from dashboard.screens import cases as case_list
    from dashboard.web.auth import use_identity
    from data.users import add_user, get_user

    user = get_user(demo_engine, username) or add_user(
        demo_engine, username, "test-password-123", role, station, actor="tests"
    )
    with demo_app.server.test_request_context("/cases"):
        use_identity(user)
        lang = "en" if "lang=en" in query else "zh"
        return str(case_list.layout(lang, "?" + query))


def _total(page: str) -> int:
    return int(re.search(r"data-total='(\d+)'", page).group(1))


def _around(name: str, metres: int) -> str:
    ((_, lng, lat),) = [c for c in village_centres() if c[0].name == name]
    return f"circle:{lng:.6f},{lat:.6f},{metres}"


def _expected(engine, area_text: str, stations=None) -> int:
    scope = Scope(user="t", stations=stations, personal_details=True)
    frame = CaseAccess(engine).incidents(scope, IncidentFilter())
    area = parse(area_text)
    return int(area.contains(frame["lng"].to_numpy(), frame["lat"].to_numpy()).sum())


def test_a_circle_lists_and_exports_exactly_the_cases_inside_it(demo_app, demo_engine):
    area = _around("翻身", 600)
    expected = _expected(demo_engine, area)
    assert expected > 20  # a community the demo clusters incidents in
    client = signed_in_client(demo_app, demo_engine, "t-area-chief", "station_chief", "BA01")
    page = _page(
        demo_app, demo_engine, "t-area-chief", "station_chief", "BA01",
        f"m=incidents&area={quote(area)}&lang=en",
    )  # fmt: skip
    assert _total(page) == expected  # 翻身 lies wholly in the chief's station, BA01
    assert "case-list-area" in page and "a circle of 600 m radius" in page
    body = client.get(f"/cases.csv?m=incidents&area={quote(area)}&lang=en").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "Incident no." and len(rows) - 1 == expected
    assert any(re.search(r"\d+栋", r[-1]) for r in rows[1:])  # the chief reads addresses
    logged, _ = events(demo_engine, AuditQuery(action="export"), "Asia/Shanghai", limit=5)
    assert (
        logged[0]["target"] == "case_list:incidents" and f"rows={expected}" in logged[0]["detail"]
    )


def test_the_command_centre_gets_the_area_masked(demo_app, demo_engine):
    area = _around("固戍", 400)
    client = signed_in_client(demo_app, demo_engine, "t-area-command", "command_center")
    body = client.get(f"/cases.csv?m=incidents&area={quote(area)}").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))[1:]
    assert len(rows) == _expected(demo_engine, area) > 0
    assert not any(re.search(r"\d", r[-1]) for r in rows)  # address numbers masked


def test_a_station_sees_only_its_own_cases_in_an_area_across_a_boundary(demo_app, demo_engine):
    area = "circle:113.880,22.575,3000"  # straddles 新安 (BA01) and 西乡 (BA02)
    page = _page(
        demo_app, demo_engine, "t-area-chief", "station_chief", "BA01",
        f"m=incidents&area={quote(area)}",
    )  # fmt: skip
    total = _total(page)
    assert total == _expected(demo_engine, area, frozenset({"BA01"}))
    assert total < _expected(demo_engine, area)


def test_a_bad_area_is_refused_with_why(demo_app, demo_engine):
    page = _page(
        demo_app, demo_engine, "t-area-chief", "station_chief", "BA01",
        "m=incidents&area=circle:1,2&lang=en",
    )  # fmt: skip
    assert "circle:LNG,LAT,RADIUS_M" in page
    client = signed_in_client(demo_app, demo_engine, "t-area-chief", "station_chief", "BA01")
    response = client.get("/cases.csv?m=incidents&area=circle:1,2")
    assert response.status_code == 400 and b"circle:LNG,LAT,RADIUS_M" in response.data


def test_a_chief_s_list_says_whose_stations_it_holds(demo_app, demo_engine):
    page = _page(
        demo_app, demo_engine, "t-scope-chief", "station_chief", "BA01", "m=incidents&lang=en"
    )
    assert "Xin&#x27;an Station" in page or "Xin'an Station" in page
    assert "All stations" not in page
